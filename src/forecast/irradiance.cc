#include "forecast/irradiance.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace meg {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;
// Erbs: beyond this apparent zenith the clearness index is meaningless (cos z -> 0).
constexpr double kErbsMaxZenithDeg = 87.0;
// Hay-Davies: floor of cos(zenith) in Rb, cos(85 deg).
const double kMinCosZenithRb = std::cos(85.0 * kDeg);

}  // namespace

double CosIncidence(const PlaneOrientation& plane, const SolarPosition& sun) {
  // Duffie & Beckman, "Solar Engineering of Thermal Processes", eq. 1.6.3 in zenith/azimuth form.
  const double z = sun.apparent_zenith_deg * kDeg;
  const double b = plane.tilt_deg * kDeg;
  return std::cos(z) * std::cos(b) +
         std::sin(z) * std::sin(b) * std::cos((sun.azimuth_deg - plane.azimuth_deg) * kDeg);
}

double IncidenceAngleDeg(const PlaneOrientation& plane, const SolarPosition& sun) {
  return std::acos(std::clamp(CosIncidence(plane, sun), -1.0, 1.0)) / kDeg;
}

BeamDiffuse ErbsDecomposition(double ghi_w_m2, const SolarPosition& sun, double dni_extra_w_m2) {
  if (ghi_w_m2 <= 0) return {0, 0};
  if (sun.apparent_zenith_deg >= kErbsMaxZenithDeg) return {0, ghi_w_m2};
  const double cos_z = std::cos(sun.apparent_zenith_deg * kDeg);
  const double kt = std::clamp(ghi_w_m2 / (dni_extra_w_m2 * cos_z), 0.0, 1.0);
  // Erbs et al. (1982) eq. 1: diffuse fraction of the hourly global irradiance.
  double fraction;
  if (kt <= 0.22) {
    fraction = 1.0 - 0.09 * kt;
  } else if (kt <= 0.80) {
    fraction =
        0.9511 - 0.1604 * kt + 4.388 * kt * kt - 16.638 * kt * kt * kt + 12.336 * kt * kt * kt * kt;
  } else {
    fraction = 0.165;
  }
  const double dni = std::min((1.0 - fraction) * ghi_w_m2 / cos_z, dni_extra_w_m2);
  return {dni, ghi_w_m2 - dni * cos_z};
}

PlaneIrradiance HayDaviesPoa(const PlaneOrientation& plane, const SolarPosition& sun,
                             double ghi_w_m2, double dni_w_m2, double dhi_w_m2,
                             double dni_extra_w_m2, double albedo) {
  PlaneIrradiance out;
  const double cos_inc = CosIncidence(plane, sun);
  out.incidence_deg = std::acos(std::clamp(cos_inc, -1.0, 1.0)) / kDeg;
  const bool sun_up = sun.apparent_elevation_deg > 0;
  const double cos_b = std::cos(plane.tilt_deg * kDeg);
  if (sun_up) out.beam_w_m2 = dni_w_m2 * std::max(0.0, cos_inc);
  // Anisotropy index: the share of the diffuse that comes from around the sun.
  const double a =
      sun_up && dni_extra_w_m2 > 0 ? std::clamp(dni_w_m2 / dni_extra_w_m2, 0.0, 1.0) : 0.0;
  const double cos_z = std::max(std::cos(sun.apparent_zenith_deg * kDeg), kMinCosZenithRb);
  const double rb = std::max(0.0, cos_inc) / cos_z;
  out.sky_diffuse_w_m2 = dhi_w_m2 * (a * rb + (1.0 - a) * (1.0 + cos_b) / 2.0);
  out.ground_w_m2 = ghi_w_m2 * albedo * (1.0 - cos_b) / 2.0;
  return out;
}

double AshraeIam(double incidence_deg, double b0) {
  if (incidence_deg >= 90.0) return 0.0;
  const double c = std::cos(incidence_deg * kDeg);
  return std::clamp(1.0 - b0 * (1.0 / c - 1.0), 0.0, 1.0);
}

}  // namespace meg
