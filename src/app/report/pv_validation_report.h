// The PV model scored on the measured GIST systems (forecast/pv_validation.h) as `meg pv-validate`
// prints it: what a row's time label means, the fitted sensor plane, per system the kWp and the
// NMBE/NRMSE of the three model paths, as text or a Markdown table. Pure; thread-safe.
#pragma once

#include <string>

#include "forecast/pv_validation.h"

namespace meg {

// What was scored, as the report heads it.
struct PvValidationHeading {
  std::string file;
  double latitude_deg = 0;
  double longitude_deg = 0;
  std::string calibration;  // the month kWp and the plane were fitted on, "2022-07"
  std::string holdout;      // the month scored, "2022-08"
};

// `markdown`: the system table as Markdown instead of aligned text.
std::string RenderPvValidationText(const PvValidationReport& r, const PvValidationHeading& o, bool markdown);

}  // namespace meg
