#include "store/store.h"

#include <cmath>

#include <fmt/format.h>

namespace meg {

Status CheckSamples(std::span<const Sample> samples, std::string_view store,
                    const std::function<Result<bool>(PointId)>& registered) {
  PointId checked{-1};
  for (const Sample& s : samples) {
    if (s.point != checked) {
      MEG_TRY_ASSIGN(known, registered(s.point));
      if (!known) {
        return InvalidInput(fmt::format("{}: sample at {} names point {}, which is not registered", store,
                                        FormatKst(ToTimestamp(s.time)), s.point.value));
      }
      checked = s.point;
    }
    if (s.quality == SampleQuality::kGood && !std::isfinite(s.value)) {
      return InvalidInput(
          fmt::format("{}: good sample of point {} at {} has value {}; mark it bad or give a finite value", store,
                      s.point.value, FormatKst(ToTimestamp(s.time)), s.value));
    }
  }
  return Ok{};
}

}  // namespace meg
