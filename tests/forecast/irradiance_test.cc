#include "forecast/irradiance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace meg {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

// A sun at an apparent zenith and azimuth (refraction left out: these tests are geometry).
SolarPosition Sun(double zenith_deg, double azimuth_deg) {
  SolarPosition s;
  s.zenith_deg = s.apparent_zenith_deg = zenith_deg;
  s.elevation_deg = s.apparent_elevation_deg = 90.0 - zenith_deg;
  s.azimuth_deg = azimuth_deg;
  return s;
}

TEST(IncidenceTest, HorizontalVerticalAndBehindThePlane) {
  // Horizontal plane: the incidence angle is the zenith angle.
  EXPECT_NEAR(IncidenceAngleDeg({0, 180}, Sun(37, 123)), 37.0, 1e-9);
  // Vertical south wall, sun due south at elevation 20: incidence = 20 deg.
  EXPECT_NEAR(IncidenceAngleDeg({90, 180}, Sun(70, 180)), 20.0, 1e-9);
  // 30-deg south plane, sun due south at zenith 30: the rays are normal to the plane.
  EXPECT_NEAR(CosIncidence({30, 180}, Sun(30, 180)), 1.0, 1e-12);
  // Vertical north wall, sun due south: behind the plane (cos < 0).
  EXPECT_LT(CosIncidence({90, 0}, Sun(40, 180)), 0);
  // East-facing 45-deg plane, sun at zenith 60 in the east:
  // cos = cos60 cos45 + sin60 sin45 cos0 = 0.35355 + 0.61237 = 0.96593 (15 deg).
  EXPECT_NEAR(IncidenceAngleDeg({45, 90}, Sun(60, 90)), 15.0, 1e-9);
}

TEST(ErbsTest, DiffuseFractionOnEachBranchOfTheCorrelation) {
  // Sun at zenith 30 (cos 0.866025), E0n = 1367 W/m2, so GHI = kt x 1183.86.
  const SolarPosition sun = Sun(30, 180);
  const double cos_z = std::cos(30 * kDeg);
  // kt = 0.1 (<= 0.22): fraction 1 - 0.09 x 0.1 = 0.991; GHI 118.386 -> DHI 117.320, DNI 1.2303.
  BeamDiffuse low = ErbsDecomposition(0.1 * 1367 * cos_z, sun, 1367);
  EXPECT_NEAR(low.dhi_w_m2, 117.3202, 1e-3);
  EXPECT_NEAR(low.dni_w_m2, 1.2303, 1e-3);
  // kt = 0.5: 0.9511 - 0.0802 + 1.0970 - 2.07975 + 0.771 = 0.65915; GHI 591.928 ->
  // DHI 390.170, DNI (1 - 0.65915) x 591.928 / 0.866025 = 232.971.
  BeamDiffuse mid = ErbsDecomposition(0.5 * 1367 * cos_z, sun, 1367);
  EXPECT_NEAR(mid.dhi_w_m2, 390.1696, 1e-3);
  EXPECT_NEAR(mid.dni_w_m2, 232.9710, 1e-3);
  // kt = 0.9 (> 0.8): fraction 0.165; GHI 1065.471 -> DHI 175.803, DNI 1027.300.
  BeamDiffuse high = ErbsDecomposition(0.9 * 1367 * cos_z, sun, 1367);
  EXPECT_NEAR(high.dhi_w_m2, 175.8027, 1e-3);
  EXPECT_NEAR(high.dni_w_m2, 1027.3005, 1e-3);
  // The split always closes: GHI = DNI cos z + DHI.
  EXPECT_NEAR(mid.dni_w_m2 * cos_z + mid.dhi_w_m2, 0.5 * 1367 * cos_z, 1e-9);
}

TEST(ErbsTest, LowSunNoLightAndCloudEnhancement) {
  EXPECT_DOUBLE_EQ(ErbsDecomposition(20, Sun(88, 90), 1367).dhi_w_m2, 20);  // beyond 87 deg
  EXPECT_DOUBLE_EQ(ErbsDecomposition(20, Sun(88, 90), 1367).dni_w_m2, 0);
  EXPECT_DOUBLE_EQ(ErbsDecomposition(0, Sun(30, 180), 1367).dni_w_m2, 0);
  // GHI above E0n cos z (kt > 1, a cloud-edge spike): the beam is capped at E0n, GHI kept.
  const BeamDiffuse spike = ErbsDecomposition(1400, Sun(10, 180), 1367);
  EXPECT_LE(spike.dni_w_m2, 1367);
  EXPECT_NEAR(spike.dni_w_m2 * std::cos(10 * kDeg) + spike.dhi_w_m2, 1400, 1e-9);
}

TEST(HayDaviesTest, HandCalculationOnASouthPlaneFacingTheSun) {
  // Plane 30 deg south, sun due south at zenith 30: incidence 0, Rb = 1 / 0.866025 = 1.154701.
  // GHI 800, DNI 700, DHI = 800 - 700 x 0.866025 = 193.782; A = 700 / 1367 = 0.512070.
  // Beam 700. Sky 193.782 x (0.512070 x 1.154701 + 0.487930 x 0.933013) = 202.799.
  // Ground 800 x 0.2 x (1 - 0.866025) / 2 = 10.718.
  const double dhi = 800 - 700 * std::cos(30 * kDeg);
  const PlaneIrradiance p = HayDaviesPoa({30, 180}, Sun(30, 180), 800, 700, dhi, 1367, 0.2);
  EXPECT_NEAR(p.beam_w_m2, 700, 1e-9);
  EXPECT_NEAR(p.sky_diffuse_w_m2, 202.7994, 1e-3);
  EXPECT_NEAR(p.ground_w_m2, 10.7180, 1e-3);
  EXPECT_NEAR(p.total(), 913.5174, 1e-3);
  EXPECT_NEAR(p.incidence_deg, 0, 1e-6);
}

TEST(HayDaviesTest, HorizontalPlaneReadsTheGlobalIrradiance) {
  // Tilt 0: Rb = 1, the isotropic view factor is 1 and the ground is not seen, so POA = GHI.
  const SolarPosition sun = Sun(50, 140);
  const double dni = 600, dhi = 150, ghi = dni * std::cos(50 * kDeg) + dhi;
  EXPECT_NEAR(HayDaviesPoa({0, 180}, sun, ghi, dni, dhi, 1367, 0.2).total(), ghi, 1e-9);
}

TEST(HayDaviesTest, SunBehindThePlaneLeavesOnlyIsotropicSkyAndGround) {
  // North-facing wall, sun due south: no beam, no circumsolar; sky DHI (1 - A) / 2; ground
  // GHI x 0.2 / 2.
  const PlaneIrradiance p = HayDaviesPoa({90, 0}, Sun(40, 180), 700, 500, 317, 1367, 0.2);
  EXPECT_DOUBLE_EQ(p.beam_w_m2, 0);
  EXPECT_NEAR(p.sky_diffuse_w_m2, 317 * (1 - 500.0 / 1367) / 2, 1e-9);
  EXPECT_NEAR(p.ground_w_m2, 70, 1e-9);
}

TEST(AshraeIamTest, GlassLossGrowsWithIncidence) {
  EXPECT_DOUBLE_EQ(AshraeIam(0), 1.0);
  EXPECT_NEAR(AshraeIam(60), 0.95, 1e-12);  // 1 - 0.05 (1 / 0.5 - 1)
  EXPECT_DOUBLE_EQ(AshraeIam(89), 0.0);     // 1 - 0.05 x 56.3 < 0, floored
  EXPECT_DOUBLE_EQ(AshraeIam(95), 0.0);
}

}  // namespace
}  // namespace meg
