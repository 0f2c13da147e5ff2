// Hourly weather as every reader in io/ returns it (Open-Meteo, EPW, TMY3, NSRDB PSM3): one
// value type whose time convention is explicit, so that the PV model and the chillers' COP do
// not care which file it came from. Value type; thread-compatible.
//
// Convention: radiation is a MEAN over an hour named by its START; temperature and wind are
// SAMPLES at an instant. Each reader documents where its file puts the instant (Open-Meteo, EPW
// and TMY3: at the end of the radiation's hour; PSM3: at the row's timestamp).
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <vector>

#include "core/series.h"
#include "core/time.h"

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

// The five hourly columns every reader fills, in the order of HourlyWeather's members: GHI, DNI,
// DHI, temperature, wind speed.
using HourlyColumns = std::array<std::vector<std::optional<double>>, 5>;

// HourlyWeather of `columns`: the radiation's hours from `radiation_start`, the samples from
// `sample_start`, one hour apart.
inline HourlyWeather MakeHourlyWeather(HourlyColumns columns, Timestamp radiation_start, Timestamp sample_start) {
  constexpr std::chrono::hours kHour{1};
  HourlyWeather out;
  out.ghi_w_m2 = IntervalSeries<double>(radiation_start, kHour, std::move(columns[0]));
  out.dni_w_m2 = IntervalSeries<double>(radiation_start, kHour, std::move(columns[1]));
  out.dhi_w_m2 = IntervalSeries<double>(radiation_start, kHour, std::move(columns[2]));
  out.temp_air_c = IntervalSeries<double>(sample_start, kHour, std::move(columns[3]));
  out.wind_speed_m_s = IntervalSeries<double>(sample_start, kHour, std::move(columns[4]));
  return out;
}

}  // namespace meg
