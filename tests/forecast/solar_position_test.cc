#include "forecast/solar_position.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/time.h"

namespace meg {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year;

constexpr double kDeg = std::numbers::pi / 180.0;
const Location kGwangju{35.17, 126.89, 0, 540};

Timestamp Utc(int y, unsigned m, unsigned d, int h, int min, int s = 0) {
  return sys_days{year{y} / m / d} + hours{h} + minutes{min} + seconds{s};
}

// Reda & Andreas (2004), "Solar position algorithm for solar radiation applications", Solar
// Energy 76(5):577-589 (NREL/TP-560-34302), Table A5.2: Golden, Colorado, 2003-10-17 12:30:30
// local time at UTC-7 (19:30:30 UTC), 39.742476 N, 105.1786 W, 1830.14 m, 820 mbar, 11 C.
// SPA gives the topocentric zenith 50.11162 deg and azimuth 194.34024 deg (and, in the same
// table, the geocentric declination -9.31434 deg and hour angle 11.105900 deg).
const Location kGolden{39.742476, -105.1786, 1830.14, -420};
const Timestamp kSpaInstant = Utc(2003, 10, 17, 19, 30, 30);

// SPA's refraction (Reda & Andreas eq. 42) of a true elevation e0 at P mbar, T C, degrees.
double SpaRefractionDeg(double e0, double pressure_mbar, double temp_c) {
  return pressure_mbar / 1010.0 * 283.0 / (273.0 + temp_c) * 1.02 /
         (60.0 * std::tan((e0 + 10.3 / (e0 + 5.11)) * kDeg));
}

TEST(SolarPositionTest, MatchesTheSpaWorkedExampleWithinOneHundredthOfADegree) {
  const SolarPosition sun = SunPosition(kSpaInstant, kGolden);
  // SPA's 50.11162 deg is an APPARENT zenith: it includes refraction at 820 mbar and 11 C. Like
  // with like: add SPA's own refraction formula, at SPA's pressure and temperature, to our TRUE
  // elevation and compare the apparent zeniths. (SPA's true topocentric elevation is 39.872046
  // and its refraction 0.016332 deg; ours is geocentric, the parallax is < 0.0024 deg.)
  const double apparent_zenith =
      90.0 - (sun.elevation_deg + SpaRefractionDeg(sun.elevation_deg, 820, 11));
  EXPECT_NEAR(apparent_zenith, 50.11162, 0.01);
  EXPECT_NEAR(sun.zenith_deg, 90.0 - 39.872046, 0.01);
  EXPECT_NEAR(sun.azimuth_deg, 194.34024, 0.01);
  EXPECT_NEAR(sun.declination_deg, -9.31434, 0.01);
  EXPECT_NEAR(sun.hour_angle_deg, 11.105900, 0.01);
  // Michalsky's own refraction, scaled to 820 mbar and 11 C, lands within 0.003 deg of SPA's.
  const SolarPosition at_golden_air = SunPosition(kSpaInstant, kGolden, {820, 11});
  EXPECT_NEAR(at_golden_air.apparent_zenith_deg, 50.11162, 0.01);
  EXPECT_NEAR(at_golden_air.elevation_deg, sun.elevation_deg, 1e-12);  // refraction only
}

TEST(SolarPositionTest, DeclinationAtTheEquinoxAndSolsticesOf2022) {
  // Instants from the US Naval Observatory's "Earth's Seasons" table for 2022 (UTC): equinox
  // Mar 20 15:33, solstices Jun 21 09:14 and Dec 21 21:48. The declination is then 0 and
  // +/- the obliquity of the ecliptic (23.436 deg in 2022).
  EXPECT_NEAR(SunPosition(Utc(2022, 3, 20, 15, 33), kGwangju).declination_deg, 0.0, 0.01);
  EXPECT_NEAR(SunPosition(Utc(2022, 6, 21, 9, 14), kGwangju).declination_deg, 23.436, 0.01);
  EXPECT_NEAR(SunPosition(Utc(2022, 12, 21, 21, 48), kGwangju).declination_deg, -23.436, 0.01);
}

TEST(SolarPositionTest, SolarNoonInGwangjuIsLateAndTheSunStandsDueSouth) {
  // Gwangju (126.89 E) lies 8.11 deg west of the KST meridian (135 E): mean solar noon is
  // 12:32:26 KST, and on 15 July the equation of time is about -6 min (the sun is slow), so
  // the sun culminates at about 12:38 KST, due south, at 90 - latitude + declination.
  double highest = -90;
  int noon_minute = 0;
  for (int m = 11 * 60; m < 14 * 60; ++m) {
    const double e = SunPosition(FromKst(year{2022} / 7 / 15, m), kGwangju).elevation_deg;
    if (e > highest) highest = e, noon_minute = m;
  }
  EXPECT_GE(noon_minute, 12 * 60 + 37);
  EXPECT_LE(noon_minute, 12 * 60 + 39);
  const SolarPosition noon = SunPosition(FromKst(year{2022} / 7 / 15, noon_minute), kGwangju);
  EXPECT_NEAR(noon.azimuth_deg, 180.0, 0.5);  // within the half minute of the search step
  EXPECT_NEAR(noon.elevation_deg, 90.0 - 35.17 + noon.declination_deg, 0.01);
  EXPECT_NEAR(noon.hour_angle_deg, 0.0, 0.25);
}

TEST(SolarPositionTest, AzimuthRunsClockwiseFromNorth) {
  // Mid-morning the sun is in the east-south-east, mid-afternoon in the west-south-west; at
  // midnight it is below the horizon in the north.
  const auto at = [](int hour) {
    return SunPosition(FromKst(year{2022} / 7 / 15, hour * 60), kGwangju);
  };
  EXPECT_GT(at(9).azimuth_deg, 70);
  EXPECT_LT(at(9).azimuth_deg, 130);
  EXPECT_GT(at(16).azimuth_deg, 230);
  EXPECT_LT(at(16).azimuth_deg, 290);
  EXPECT_LT(at(0).elevation_deg, -20);
  EXPECT_TRUE(at(0).azimuth_deg < 30 || at(0).azimuth_deg > 330);
  EXPECT_LT(at(9).hour_angle_deg, 0);
  EXPECT_GT(at(16).hour_angle_deg, 0);
}

TEST(SolarPositionTest, RefractionIsSeparateFromTheTruePosition) {
  // Michalsky (1988): 3.51561 x 0.1594 = 0.5604 deg at the horizon, 0.56 deg below -0.56 deg,
  // 3.51561 x 0.9754 / 156.4 = 0.0219 deg at 40 deg, scaled by P / T.
  EXPECT_NEAR(MichalskyRefractionDeg(0.0), 0.5604, 1e-4);
  EXPECT_DOUBLE_EQ(MichalskyRefractionDeg(-5.0), 0.56);
  EXPECT_NEAR(MichalskyRefractionDeg(40.0), 0.0219, 0.0005);
  EXPECT_NEAR(MichalskyRefractionDeg(10.0, {506.6, 15.0}), MichalskyRefractionDeg(10.0) / 2, 1e-12);
  const SolarPosition sun = SunPosition(kSpaInstant, kGolden);
  EXPECT_DOUBLE_EQ(sun.apparent_elevation_deg, sun.elevation_deg + sun.refraction_deg);
  EXPECT_DOUBLE_EQ(sun.apparent_zenith_deg, 90.0 - sun.apparent_elevation_deg);
  EXPECT_DOUBLE_EQ(sun.zenith_deg, 90.0 - sun.elevation_deg);
}

TEST(SolarPositionTest, ExtraterrestrialIrradianceFollowsTheEarthSunDistance) {
  // Spencer's series on 1 January: 1.000110 + 0.034221 + 0.000719 = 1.035050 -> 1414.91 W/m2;
  // on 4 July (day 185, aphelion): 0.966584 -> 1321.32 W/m2.
  EXPECT_NEAR(ExtraterrestrialNormalW_m2(Utc(2022, 1, 1, 3, 0)), 1414.91, 0.05);
  EXPECT_NEAR(ExtraterrestrialNormalW_m2(Utc(2022, 7, 4, 3, 0)), 1321.32, 0.05);
}

}  // namespace
}  // namespace meg
