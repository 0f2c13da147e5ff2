// Where the sun is: zenith, elevation and azimuth for a UTC instant and a site, with the
// atmospheric refraction correction kept separate, and the extraterrestrial irradiance. Pure
// functions and value types; thread-safe.
//
//   const SolarPosition sun = SunPosition(t, site.location);
//   if (sun.apparent_elevation_deg > 0) ...   // the sun is seen above the horizon
//
// Algorithm: Michalsky, J. J. (1988), "The Astronomical Almanac's algorithm for approximate solar
// position (1950-2050)", Solar Energy 40(3):227-235; stated accuracy 0.01 deg in 1950-2050.
// The position is geocentric (no parallax: at most 0.0024 deg) and takes UTC as UT (|UT1 - UTC| <
// 0.9 s, i.e. < 0.004 deg of hour angle).
#pragma once

#include "core/site.h"
#include "core/time.h"

namespace meg {

// The solar constant used with Spencer's eccentricity factor, W/m2 (the value of Iqbal 1983 and
// of Erbs et al. 1982 / Hay & Davies 1980, whose correlations were fitted with it).
inline constexpr double kSolarConstantW_m2 = 1367.0;

// Air at the site, for the refraction correction only. The defaults are the standard conditions
// of Michalsky's formula (1013.2 mbar, 288.2 K).
struct RefractionAir {
  double pressure_mbar = 1013.2;
  double temperature_c = 15.0;
};

// The sun seen from a site at one instant. "True" angles are geometric (no atmosphere);
// "apparent" ones include refraction, which lifts the sun: apparent = true + refraction_deg.
struct SolarPosition {
  double elevation_deg = 0;           // true elevation, -90..90
  double zenith_deg = 0;              // true zenith = 90 - elevation_deg
  double refraction_deg = 0;          // >= 0
  double apparent_elevation_deg = 0;  // elevation_deg + refraction_deg
  double apparent_zenith_deg = 0;     // 90 - apparent_elevation_deg
  double azimuth_deg = 0;             // clockwise from north, 0..360 (90 = east, 180 = south)
  double declination_deg = 0;         // + north
  double hour_angle_deg = 0;          // -180..180, < 0 before solar noon (15 deg per hour)
};

// The sun at instant `t` (UTC) seen from `site` (latitude, longitude; elevation is not used).
// REQUIRES: t in 1950..2050 for the stated accuracy (outside, it degrades slowly).
SolarPosition SunPosition(Timestamp t, const Location& site, const RefractionAir& air = {});

// Michalsky's (1988) refraction correction, degrees, for a true elevation in degrees: a rational
// fit scaled by pressure / temperature, and the constant 0.56 deg below -0.56 deg.
double MichalskyRefractionDeg(double true_elevation_deg, const RefractionAir& air = {});

// Extraterrestrial irradiance on a plane normal to the sun's rays, W/m2, on the UTC day of `t`:
// kSolarConstantW_m2 times Spencer's (1971) eccentricity factor (1367 W/m2 x 0.967..1.034).
double ExtraterrestrialNormalW_m2(Timestamp t);

}  // namespace meg
