// DrCommitment: what a demand-response call asks of a site's grid import, as the planner and the
// controllers see it (the market layer turns a call and its customer baseline load into these,
// market/dr_program.h). In core because market makes it and optimize reads it. A value type.
#pragma once

#include <optional>
#include <vector>

#include "core/time.h"
#include "core/units.h"

namespace meg {

// A demand-response commitment (수요반응 감축, KPX 전력시장운영규칙 ch. 12) over [start, end), one
// per trading hour: keep the grid import at most `import_cap` (the hour's customer baseline load
// less the requested reduction, kW). A kW of import above the cap costs `shortfall_krw_per_kwh`
// (the energy payment lost plus the penalty); a kW of reduction beyond the request, up to
// `extra_cap` (the recognised reduction is capped at 1.2 x the request, 별표26), earns
// `extra_krw_per_kwh` (MGP for a reliability call, SMP for a test; an economic plan has no
// extra_cap). `known_from` is when the call was issued: a planner at an earlier time does not
// know it.
struct DrCommitment {
  Timestamp known_from;
  Timestamp start;
  Timestamp end;
  Kilowatts import_cap;
  Kilowatts extra_cap;
  double extra_krw_per_kwh = 0;
  double shortfall_krw_per_kwh = 0;
};

// The commitment covering `t` among those issued by `now`, or nullptr.
inline const DrCommitment* DrCommitmentAt(const std::vector<DrCommitment>& dr, Timestamp t, Timestamp now) {
  for (const DrCommitment& c : dr) {
    if (c.known_from <= now && c.start <= t && t < c.end) return &c;
  }
  return nullptr;
}

}  // namespace meg
