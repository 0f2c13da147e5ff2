// The inputs of a site's year on the 15-minute grid, prepared from its Site description: the
// load (from its data file, laid on the year and scaled) and the available PV production of every
// array (from the weather file through the PV model). Reads files through io; pure otherwise.
#pragma once

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "io/hourly_weather.h"

namespace meg {

struct SiteInputs {
  PowerSeries load;  // + consumption, kW, the whole calendar year site.load.year (or the span asked)
  PowerSeries pv;    // + available AC production of all arrays, kW, same grid (zeros if no PV)
  // Air temperature, degrees C, at the start of each interval of `load`'s grid, linearly
  // interpolated between the weather file's hourly samples; empty when the site has no weather
  // file (no PV). The load forecaster's temperature input.
  IntervalSeries<double> temp_c;
  // The cooling plant ([cooling], core/site.h CoolingSpec), on the load's grid: the cooling demand
  // (kW of cooling: what the chillers' electricity in the load data makes, core/thermal.h
  // ChillerCoolingFor) and the chillers' full-load COP at each interval's temperature (ChillerCop;
  // the plant's COP at a load is ChillerPlantCop of it). The chillers' electricity is part of
  // `load`. Empty without [cooling].
  PowerSeries cooling_kw_th;
  IntervalSeries<double> cop;
  KilowattHours load_energy;
  KilowattHours pv_energy;
};

Result<SiteInputs> PrepareSiteInputs(const Site& site, const HolidayCalendar& calendar);

// Several years: from the KST day `from` to the end of `last_year` (a year scored with a history
// before it, `meg simulate --history-from`). The load is laid on each year as on load.year
// (doe-hospital, cnu-building) or cut from the data (usage-csv, which must cover the span); the
// weather of each year comes from the weather file with that year in place of ${year} (see
// docs/site-config.md). Errors: a file missing or not covering the span, as PrepareSiteInputs.
Result<SiteInputs> PrepareSiteInputs(const Site& site, const HolidayCalendar& calendar, Date from, int last_year);

// The site's hourly weather of each year of [first_year, last_year] from its weather file(s) (a
// typical year laid on each; one series), e.g. the live weather forecast's fallback.
Result<HourlyWeather> SiteWeatherForYears(const Site& site, int first_year, int last_year);

// The part of `inputs` in [from, to) (its energies recomputed), e.g. the scored year of a span.
SiteInputs SliceInputs(const SiteInputs& inputs, Timestamp from, Timestamp to);

// The persistence forecast `mpc-persistence` plans on: each 15-minute interval as it was one day
// earlier (the first day forecasts itself).
PowerSeries DayBefore(const PowerSeries& s);

// The load alone (used by PrepareSiteInputs and by callers that have no weather): load.year, or
// the span [from, end of last_year).
Result<PowerSeries> LoadSeriesForYear(const Site& site, const HolidayCalendar& calendar);
Result<PowerSeries> LoadSeriesForSpan(const Site& site, const HolidayCalendar& calendar, Date from, int last_year);

}  // namespace meg
