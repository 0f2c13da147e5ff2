// The inputs of a site's year on the 15-minute grid, prepared from its Site description: the
// load (from its data file, laid on the year and scaled) and the available PV production of every
// array (from the weather file through the PV model). Reads files through io; pure otherwise.
#pragma once

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/site.h"

namespace meg {

struct SiteInputs {
  PowerSeries load;  // + consumption, kW, the whole calendar year site.load.year
  PowerSeries pv;    // + available AC production of all arrays, kW, same grid (zeros if no PV)
  // Air temperature, degrees C, at the start of each interval of `load`'s grid, linearly
  // interpolated between the weather file's hourly samples; empty when the site has no weather
  // file (no PV). The load forecaster's temperature input.
  IntervalSeries<double> temp_c;
  KilowattHours load_energy;
  KilowattHours pv_energy;
};

Result<SiteInputs> PrepareSiteInputs(const Site& site, const HolidayCalendar& calendar);

// The persistence forecast `mpc-persistence` plans on: each 15-minute interval as it was one day
// earlier (the first day forecasts itself).
PowerSeries DayBefore(const PowerSeries& s);

// The load alone (used by PrepareSiteInputs and by callers that have no weather).
Result<PowerSeries> LoadSeriesForYear(const Site& site, const HolidayCalendar& calendar);

}  // namespace meg
