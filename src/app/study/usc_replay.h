// `meg cbl --usc-replay DIR`: the USC campus DR records (io/usc_dr.h) replayed with the KPX CBL
// (market/cbl.h) and compared with the curtailment the program recorded under its own two
// baselines. ReplayUscDrRecords reads the folder; ReplayUscDr is pure over the parsed records.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "io/usc_dr.h"
#include "market/cbl.h"

namespace meg {

struct UscReplayDate {
  Date date;
  int buildings = 0;        // with metered consumption on the date
  int with_baseline = 0;    // of them, with a CBL from their earlier event days
  double metered_kwh = 0;   // all buildings with consumption
  double baseline_kwh = 0;  // the CBL summed over `with_baseline` buildings
  double metered_with_baseline_kwh = 0;
  std::optional<double> curtailment_kwh;  // ours: baseline - metered over `with_baseline`, if all have one
  std::optional<double> sce_kwh, fb_kwh;  // recorded
};

struct UscReplay {
  CblMethod method = CblMethod::kMid6of10;
  std::vector<UscReplayDate> dates;
  int building_days = 0;      // consumption rows with a number
  int strict_baselines = 0;   // CBLs possible with earlier event days excluded (별표28 3.2)
  int relaxed_baselines = 0;  // CBLs with 3.2 waived
};

// Each building's consumption on an event day stands as the energy of its event window. The KPX
// CBL needs reference days that are not event days (별표28 3.2); the records hold event days only,
// so `strict_baselines` counts what the rule allows and the replay itself waives 3.2: a building's
// earlier event days within the method's lookback (3.2.1) are its reference days. Weekdays are
// Monday-Friday (US holidays are not in the data).
Result<UscReplay> ReplayUscDr(const std::vector<UscConsumption>& consumption, const std::vector<UscCurtailment>& sce,
                              const std::vector<UscCurtailment>& fb, CblMethod method);

// ReplayUscDr on the records of `dir` (../shared/data/dr): meteredConsumption.csv,
// curtailment-SCE.csv and curtailment-FB.csv. Errors: a file cannot be read or parsed; those of
// ReplayUscDr.
Result<UscReplay> ReplayUscDrRecords(const std::string& dir, CblMethod method);

}  // namespace meg
