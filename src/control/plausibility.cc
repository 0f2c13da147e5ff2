#include "control/plausibility.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace meg {

namespace {

double Finite(double v) { return std::isfinite(v) ? std::max(0.0, v) : 0.0; }

PlausibleBounds MeterBounds(const Site& site) {
  const double c = site.contract_power.value();
  const double b = kMeterContractFactor * Finite(c);
  // Export comes from PV, the battery and the generator: a site whose generation exceeds 3x its
  // contract may export up to 1.2x that generation.
  const double generation = (site.ess ? Finite(site.ess->discharge_kw.value()) : 0.0) +
                            Finite(PvAcRating(site).value()) +
                            (site.generator ? Finite(site.generator->rating_kw.value()) : 0.0);
  const double export_bound = std::max(b, kRatingFactor * generation);
  return {Kilowatts(-export_bound), Kilowatts(b), Kilowatts(b),
          export_bound > b ? fmt::format("{:g} x contract power {:g} kW; export {:g} x PV, ESS and generator {:g} kW",
                                         kMeterContractFactor, c, kRatingFactor, generation)
                           : fmt::format("{:g} x contract power {:g} kW", kMeterContractFactor, c)};
}

}  // namespace

PlausibleBounds BoundsOf(const Site& site, DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kMeter: return MeterBounds(site);
    case DeviceKind::kPv: {
      const double rating = PvAcRating(site).value();
      if (!(rating > 0) || !std::isfinite(rating)) return MeterBounds(site);
      return {Kilowatts(-kPvDrawFactor * rating), Kilowatts(kRatingFactor * rating), Kilowatts(kRatingFactor * rating),
              fmt::format("PV AC rating {:g} kW: -{:g} x .. {:g} x", rating, kPvDrawFactor, kRatingFactor)};
    }
    case DeviceKind::kBattery: {
      if (!site.ess) return MeterBounds(site);
      const double charge = site.ess->charge_kw.value(), discharge = site.ess->discharge_kw.value();
      const double larger = std::max(charge, discharge);
      if (!(larger > 0) || !std::isfinite(larger)) return MeterBounds(site);
      return {Kilowatts(-kRatingFactor * charge), Kilowatts(kRatingFactor * discharge),
              Kilowatts(kRatingFactor * larger),
              fmt::format("{:g} x ESS rating (charge {:g} kW, discharge {:g} kW)", kRatingFactor, charge, discharge)};
    }
    case DeviceKind::kThermalStorage: {
      // Its power is electricity saved or spent: at most its ratings at the lowest COP there is;
      // what it can give and take (max charge, max discharge) is cooling: at most its ratings.
      if (!site.thermal_storage || !site.cooling) return MeterBounds(site);
      const double kw_th =
          std::max(site.thermal_storage->charge_kw_th.value(), site.thermal_storage->discharge_kw_th.value());
      const double kw = kw_th / (0.3 * site.cooling->cop * site.thermal_storage->charge_cop_pct / 100.0);
      if (!(kw > 0) || !std::isfinite(kw)) return MeterBounds(site);
      return {Kilowatts(-kRatingFactor * kw), Kilowatts(kRatingFactor * kw), Kilowatts(kRatingFactor * kw_th),
              fmt::format("{:g} x the cold store's ratings: {:g} kW of electricity at its lowest COP, {:g} kW of "
                          "cooling",
                          kRatingFactor, kw, kw_th)};
    }
    case DeviceKind::kGenerator: {
      const double rating = site.generator ? site.generator->rating_kw.value() : 0.0;
      if (!(rating > 0) || !std::isfinite(rating)) return MeterBounds(site);
      // A stopped generator may draw a little (its auxiliaries): as much as a PV inverter's night draw.
      return {Kilowatts(-kPvDrawFactor * rating), Kilowatts(kRatingFactor * rating), Kilowatts(kRatingFactor * rating),
              fmt::format("generator rating {:g} kW: -{:g} x .. {:g} x", rating, kPvDrawFactor, kRatingFactor)};
    }
  }
  return MeterBounds(site);
}

std::optional<std::string> CheckPlausible(const Telemetry& t, const PlausibleBounds& b) {
  const double p = t.power.value();
  if (!std::isfinite(p) || p < b.power_min.value() || p > b.power_max.value()) {
    return fmt::format("power {:.6g} kW is outside {:.6g}..{:.6g} kW ({})", p, b.power_min.value(), b.power_max.value(),
                       b.basis);
  }
  if (t.soc_pct && !(*t.soc_pct >= 0 && *t.soc_pct <= 100)) {
    return fmt::format("state of charge {:.6g} % is outside 0..100 %", *t.soc_pct);
  }
  const std::pair<const char*, const std::optional<Kilowatts>*> ratings[] = {{"rated power", &t.rated_power},
                                                                             {"max charge", &t.max_charge},
                                                                             {"max discharge", &t.max_discharge}};
  for (const auto& [name, value] : ratings) {
    if (!*value) continue;
    const double v = (*value)->value();
    if (!std::isfinite(v) || v < 0 || v > b.rating_max.value()) {
      return fmt::format("{} {:.6g} kW is outside 0..{:.6g} kW ({})", name, v, b.rating_max.value(), b.basis);
    }
  }
  return std::nullopt;
}

}  // namespace meg
