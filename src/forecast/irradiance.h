// Irradiance geometry: the angle of incidence on a tilted plane, the split of global horizontal
// irradiance into beam and diffuse (Erbs et al. 1982), the transposition onto the plane
// (Hay & Davies 1980) and the glass reflection loss of the beam (ASHRAE). Pure functions; all
// irradiances in W/m2, angles in degrees. Thread-safe.
//
//   const SolarPosition sun = SunPosition(t, site);
//   const double e0 = ExtraterrestrialNormalW_m2(t);
//   const BeamDiffuse split = ErbsDecomposition(ghi, sun, e0);
//   const PlaneIrradiance poa = HayDaviesPoa({30, 180}, sun, ghi, split.dni_w_m2, split.dhi_w_m2,
//                                            e0, 0.2);
#pragma once

#include "forecast/solar_position.h"

namespace meg {

// A plane's orientation: tilt from horizontal (0 = flat, 90 = vertical), and the azimuth its
// face points to, clockwise from north (180 = south), as in PvArraySpec.
struct PlaneOrientation {
  double tilt_deg = 0;
  double azimuth_deg = 180;
};

// Cosine of the angle between the sun's rays and the plane's normal, from the apparent sun
// position (the rays arrive along the refracted direction). < 0 when the sun is behind the plane.
double CosIncidence(const PlaneOrientation& plane, const SolarPosition& sun);
// The same angle in degrees, 0..180.
double IncidenceAngleDeg(const PlaneOrientation& plane, const SolarPosition& sun);

// Direct normal and diffuse horizontal irradiance. GHI = DNI cos(zenith) + DHI.
struct BeamDiffuse {
  double dni_w_m2 = 0;
  double dhi_w_m2 = 0;
};

// Splits global horizontal irradiance with the Erbs, Klein & Duffie (1982) diffuse fraction
// correlation of the clearness index kt = GHI / (E0n cos(zenith)) (Solar Energy 28(4):293-302,
// eq. 1). With the apparent zenith beyond 87 deg, or GHI <= 0, everything is diffuse. The beam
// is capped at `dni_extra_w_m2` (kt > 1 occurs in cloud enhancement) and the diffuse is then
// GHI minus the capped beam, so GHI is always preserved.
BeamDiffuse ErbsDecomposition(double ghi_w_m2, const SolarPosition& sun, double dni_extra_w_m2);

// Irradiance on the plane, by component. total() is what a pyranometer in the plane reads.
struct PlaneIrradiance {
  double beam_w_m2 = 0;         // DNI cos(incidence), 0 when the sun is behind the plane
  double sky_diffuse_w_m2 = 0;  // Hay-Davies: circumsolar + isotropic
  double ground_w_m2 = 0;       // isotropic reflection of GHI by the ground
  double incidence_deg = 0;
  double total() const { return beam_w_m2 + sky_diffuse_w_m2 + ground_w_m2; }
};

// Hay & Davies (1980), "Calculation of the solar radiation incident on an inclined surface",
// Proc. 1st Canadian Solar Radiation Data Workshop, 59-72: the anisotropy index
// A = DNI / E0n weighs a circumsolar part, DHI A Rb with Rb = cos(incidence) / cos(zenith), against
// an isotropic part, DHI (1 - A) (1 + cos tilt) / 2. Ground: GHI albedo (1 - cos tilt) / 2.
// cos(zenith) in Rb is floored at cos(85 deg) so the circumsolar part stays bounded at sunrise.
// REQUIRES: irradiances >= 0, 0 <= albedo <= 1.
PlaneIrradiance HayDaviesPoa(const PlaneOrientation& plane, const SolarPosition& sun,
                             double ghi_w_m2, double dni_w_m2, double dhi_w_m2,
                             double dni_extra_w_m2, double albedo);

// The ASHRAE incidence angle modifier of the beam through the module glass,
// 1 - b0 (1 / cos(incidence) - 1), floored at 0 (Souka & Safwat 1966; ASHRAE Standard 93).
// b0 = 0.05 is the usual glass value. Returns 0 at incidence >= 90 deg.
double AshraeIam(double incidence_deg, double b0 = 0.05);

}  // namespace meg
