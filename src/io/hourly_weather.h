// Hourly weather as every reader in io/ returns it (Open-Meteo, EPW, TMY3, NSRDB PSM3): one
// value type whose time convention is explicit, so that the PV model and the chillers' COP do
// not care which file it came from. Value type; thread-compatible.
//
// Convention: radiation is a MEAN over an hour named by its START; temperature and wind are
// SAMPLES at an instant. Each reader documents where its file puts the instant (Open-Meteo, EPW
// and TMY3: at the end of the radiation's hour; PSM3: at the row's timestamp).
#pragma once

#include "core/series.h"

namespace meg {

struct HourlyWeather {
  // Mean irradiance, W/m2, over [TimeAt(i), TimeAt(i) + 1 h). The three share start and size.
  IntervalSeries<double> ghi_w_m2;  // global horizontal
  IntervalSeries<double> dni_w_m2;  // direct normal
  IntervalSeries<double> dhi_w_m2;  // diffuse horizontal
  // Samples at the instant TimeAt(i); 1-hour step.
  IntervalSeries<double> temp_air_c;      // air temperature at 2 m, degrees C
  IntervalSeries<double> wind_speed_m_s;  // wind speed at 10 m
};

}  // namespace meg
