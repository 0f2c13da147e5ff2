#include "forecast/solar_position.h"

#include <chrono>
#include <cmath>
#include <numbers>

namespace meg {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;
constexpr double kSecondsPerDay = 86400.0;
// Days from the Unix epoch (JD 2440587.5) to J2000.0 (JD 2451545.0).
constexpr double kUnixToJ2000Days = 10957.5;

// x modulo m, in [0, m).
double Wrap(double x, double m) {
  const double r = std::fmod(x, m);
  return r < 0 ? r + m : r;
}

}  // namespace

double MichalskyRefractionDeg(double true_elevation_deg, const RefractionAir& air) {
  // Michalsky (1988), "refraction correction": the fit is for 1013.2 mbar and 288.2 K
  // (3.51561 = 1013.2 / 288.2), scaled in proportion to P / T as the paper notes; below
  // -0.56 deg the correction is held at 0.56 deg.
  const double scale = (air.pressure_mbar / 1013.2) * (288.15 / (273.15 + air.temperature_c));
  const double e = true_elevation_deg;
  if (e < -0.56) return 0.56 * scale;
  return 3.51561 * scale * (0.1594 + 0.0196 * e + 0.00002 * e * e) /
         (1.0 + 0.505 * e + 0.0845 * e * e);
}

SolarPosition SunPosition(Timestamp t, const Location& site, const RefractionAir& air) {
  const double unix_seconds = static_cast<double>(t.time_since_epoch().count());
  // Michalsky (1988): `time` is the Julian date minus 2451545.0 (J2000.0), in days with fraction.
  const double n = unix_seconds / kSecondsPerDay - kUnixToJ2000Days;
  const double hour_ut = Wrap(unix_seconds, kSecondsPerDay) / 3600.0;

  // Ecliptic coordinates: mean longitude, mean anomaly, ecliptic longitude, obliquity (deg).
  const double mean_longitude = Wrap(280.460 + 0.9856474 * n, 360.0);
  const double mean_anomaly = Wrap(357.528 + 0.9856003 * n, 360.0) * kDeg;
  const double ecliptic_longitude =
      Wrap(mean_longitude + 1.915 * std::sin(mean_anomaly) + 0.020 * std::sin(2 * mean_anomaly),
           360.0) *
      kDeg;
  const double obliquity = (23.439 - 0.0000004 * n) * kDeg;

  // Celestial coordinates: right ascension (atan2 keeps the quadrant) and declination.
  const double right_ascension = Wrap(
      std::atan2(std::cos(obliquity) * std::sin(ecliptic_longitude), std::cos(ecliptic_longitude)),
      2 * std::numbers::pi);
  const double declination = std::asin(std::sin(obliquity) * std::sin(ecliptic_longitude));

  // Local coordinates: Greenwich and local mean sidereal time (hours), hour angle.
  const double gmst = Wrap(6.697375 + 0.0657098242 * n + hour_ut, 24.0);
  const double lmst = Wrap(gmst + site.longitude_deg / 15.0, 24.0);
  double hour_angle = lmst * 15.0 * kDeg - right_ascension;
  if (hour_angle < -std::numbers::pi) hour_angle += 2 * std::numbers::pi;
  if (hour_angle >= std::numbers::pi) hour_angle -= 2 * std::numbers::pi;

  const double lat = site.latitude_deg * kDeg;
  const double sin_el = std::sin(declination) * std::sin(lat) +
                        std::cos(declination) * std::cos(lat) * std::cos(hour_angle);
  const double elevation = std::asin(std::fmax(-1.0, std::fmin(1.0, sin_el)));
  // Azimuth clockwise from north. Michalsky takes asin(-cos(dec) sin(ha) / cos(el)) and picks the
  // quadrant by tests that Spencer (1989, Solar Energy 42(4):353) corrected for some latitudes;
  // atan2 of the east and north components gives the same angle with the quadrant built in.
  const double east = -std::cos(declination) * std::sin(hour_angle);
  const double north = std::sin(declination) * std::cos(lat) -
                       std::cos(declination) * std::sin(lat) * std::cos(hour_angle);
  const double azimuth = Wrap(std::atan2(east, north) / kDeg, 360.0);

  SolarPosition p;
  p.elevation_deg = elevation / kDeg;
  p.zenith_deg = 90.0 - p.elevation_deg;
  p.refraction_deg = MichalskyRefractionDeg(p.elevation_deg, air);
  p.apparent_elevation_deg = p.elevation_deg + p.refraction_deg;
  p.apparent_zenith_deg = 90.0 - p.apparent_elevation_deg;
  p.azimuth_deg = azimuth;
  p.declination_deg = declination / kDeg;
  p.hour_angle_deg = hour_angle / kDeg;
  return p;
}

double ExtraterrestrialNormalW_m2(Timestamp t) {
  // Spencer (1971), "Fourier series representation of the position of the sun", Search 2(5):172;
  // the eccentricity factor (r0/r)^2 as given by Iqbal (1983), "An Introduction to Solar
  // Radiation", eq. 1.2.1, with the day angle 2 pi (day_of_year - 1) / 365.
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const auto jan1 = std::chrono::sys_days{ymd.year() / std::chrono::January / 1};
  const double day_of_year = static_cast<double>((day - jan1).count()) + 1.0;
  const double g = 2 * std::numbers::pi * (day_of_year - 1.0) / 365.0;
  const double e0 = 1.000110 + 0.034221 * std::cos(g) + 0.001280 * std::sin(g) +
                    0.000719 * std::cos(2 * g) + 0.000077 * std::sin(2 * g);
  return kSolarConstantW_m2 * e0;
}

}  // namespace meg
