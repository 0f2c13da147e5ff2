#include "device/sim/twin.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/ess.h"
#include "core/thermal.h"

namespace meg {

class TwinDevice final : public Device {
 public:
  TwinDevice(SiteTwin& twin, DeviceKind kind, size_t index, std::string id)
      : twin_(twin), kind_(kind), index_(index), id_(std::move(id)) {}
  const std::string& id() const override { return id_; }
  DeviceKind kind() const override { return kind_; }

  Result<Telemetry> Read(Instant now) override {
    if (auto s = twin_.AdvanceTo(now); !s) {
      health_ = {HealthState::kRetrying, health_.consecutive_failures + 1, s.error().message};
      return s.error();
    }
    health_ = {};
    Telemetry t;
    t.time = now;
    switch (kind_) {
      case DeviceKind::kMeter:
        t.power = twin_.grid();
        t.net_import_energy = twin_.energy_.grid;
        break;
      case DeviceKind::kPv: t.power = twin_.pv_power_[index_]; break;
      case DeviceKind::kBattery: {
        const Battery& b = twin_.batteries_[index_];
        t.power = twin_.battery_power_[index_];
        t.soc_pct = b.soc_pct();
        t.rated_power = twin_.battery_rating_;
        // What the cells allow over the next second (the window edge), as a BMS reports it; the
        // ramp is the controller's to keep (the loop's limit stage), not the BMS's.
        t.max_discharge = MaxDischarge(b.spec(), b.stored(), Hours(1.0 / 3600), std::nullopt);
        t.max_charge = MaxCharge(b.spec(), b.stored(), Hours(1.0 / 3600), std::nullopt);
        break;
      }
      case DeviceKind::kGenerator:
        t.power = twin_.generator_power_;
        t.rated_power = twin_.generator_->rating_kw;
        break;
      case DeviceKind::kThermalStorage: {
        // As a plant reports it: the electricity its last action saved, its level, the COP now,
        // and what it can give or take over the next second (the demand it may serve, the
        // chillers' spare capacity).
        const ThermalStorageSpec& s = *twin_.thermal_;
        bool ok = true;
        const Kilowatts demand = twin_.SeriesAt(twin_.cooling_, now, &ok);
        // The COP a plant shows: its average serving the demand now (its part load).
        const double cop_full = ValueOrNaN(twin_.cop_, IntervalStart(ToTimestamp(now)));
        const double cop = std::isfinite(cop_full) && cop_full > 0 && ok
                               ? ChillerPlantCop(twin_.cooling_spec_, cop_full, demand)
                               : std::numeric_limits<double>::quiet_NaN();
        t.power = twin_.thermal_electric_;
        t.soc_pct = ThermalSocPct(s, twin_.thermal_stored_);
        t.cop = std::isfinite(cop) ? std::optional(cop) : std::nullopt;
        if (ok && std::isfinite(demand.value())) t.cooling_load = Kilowatts(std::max(0.0, demand.value()));
        t.max_discharge = ThermalMaxDischarge(s, twin_.thermal_stored_, Hours(1.0 / 3600), demand);
        t.max_charge =
            ThermalMaxCharge(s, twin_.thermal_stored_, Hours(1.0 / 3600), demand, twin_.cooling_spec_.chiller_kw_th);
        break;
      }
    }
    return t;
  }

  Status Write(const Command& command, Instant now) override {
    if (auto s = twin_.AdvanceTo(now); !s) return s;
    if (kind_ == DeviceKind::kBattery && command.battery_power) {
      twin_.battery_setpoints_[index_] = *command.battery_power;
    }
    if (kind_ == DeviceKind::kPv) twin_.pv_limits_[index_] = command.pv_limit;
    if (kind_ == DeviceKind::kThermalStorage && command.thermal_power) {
      const double p = command.thermal_power->value();
      twin_.thermal_setpoint_ = Kilowatts(std::isfinite(p) ? p : 0.0);
    }
    if (kind_ == DeviceKind::kGenerator && command.generator_power) {
      const double rating = twin_.generator_->rating_kw.value();
      const double p = command.generator_power->value();
      twin_.generator_setpoint_ = Kilowatts(std::isfinite(p) ? std::clamp(p, 0.0, rating) : 0.0);
    }
    return Ok{};
  }

  DeviceHealth Health() const override { return health_; }

 private:
  SiteTwin& twin_;
  DeviceKind kind_;
  size_t index_;
  std::string id_;
  DeviceHealth health_;
};

SiteTwin::SiteTwin(PowerSeries load, PowerSeries pv, std::optional<EssSpec> ess, int batteries, int pv_inverters,
                   Instant start)
    : load_(std::move(load)), pv_(std::move(pv)), now_(start) {
  if (ess) {
    const EssSpec each = ShareOf(*ess, std::max(1, batteries));
    // The PCS rating: the larger of the two directions (each direction's own limit is what the BMS
    // reports as max_charge / max_discharge); the discharge rating alone would cap a larger charge.
    battery_rating_ = Kilowatts(std::max(each.charge_kw.value(), each.discharge_kw.value()));
    for (int i = 0; i < std::max(1, batteries); ++i) batteries_.emplace_back(each);
  }
  battery_setpoints_.assign(batteries_.size(), Kilowatts(0));
  battery_power_.assign(batteries_.size(), Kilowatts(0));
  const size_t inverters = pv_.empty() ? 0 : static_cast<size_t>(std::max(1, pv_inverters));
  pv_limits_.assign(inverters, std::nullopt);
  pv_power_.assign(inverters, Kilowatts(0));
  bool ok = true;
  load_now_ = SeriesAt(load_, now_, &ok);
  pv_available_now_ = pv_.empty() ? Kilowatts(0) : SeriesAt(pv_, now_, &ok);
  SetPvOutput(pv_available_now_);
}

void SiteTwin::AddGenerator(const GeneratorSpec& spec) { generator_ = spec; }

void SiteTwin::AddThermalStorage(const ThermalStorageSpec& spec, const CoolingSpec& cooling, PowerSeries cooling_kw_th,
                                 IntervalSeries<double> cop) {
  thermal_ = spec;
  cooling_spec_ = cooling;
  cooling_ = std::move(cooling_kw_th);
  cop_ = std::move(cop);
  thermal_stored_ = ThermalStoredAt(spec, spec.soc_initial_pct);
}

double SiteTwin::thermal_soc_pct() const { return thermal_ ? ThermalSocPct(*thermal_, thermal_stored_) : 0.0; }

std::vector<std::unique_ptr<Device>> SiteTwin::MakeDevices() {
  std::vector<std::unique_ptr<Device>> out;
  out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kMeter, 0, "twin-meter"));
  for (size_t j = 0; j < pv_power_.size(); ++j) {
    out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kPv, j, fmt::format("twin-pv-{}", j + 1)));
  }
  for (size_t i = 0; i < batteries_.size(); ++i) {
    out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kBattery, i, fmt::format("twin-ess-{}", i + 1)));
  }
  if (generator_) out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kGenerator, 0, "twin-gen-1"));
  if (thermal_) out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kThermalStorage, 0, "twin-tes-1"));
  return out;
}

Kilowatts SiteTwin::SeriesAt(const PowerSeries& s, Instant t, bool* ok) const {
  // The interval that holds t: the series is a step function of 15-minute means.
  const Timestamp ts = ToTimestamp(t);
  const std::optional<size_t> i = ts < s.start() || ts >= s.end()
                                      ? std::nullopt
                                      : std::optional<size_t>(static_cast<size_t>((ts - s.start()) / s.step()));
  if (!i || !s.at(*i)) {
    *ok = false;
    return Kilowatts(0);
  }
  return *s.at(*i);
}

void SiteTwin::SetPvOutput(Kilowatts available) {
  const double share = pv_power_.empty() ? 0.0 : available.value() / static_cast<double>(pv_power_.size());
  for (size_t j = 0; j < pv_power_.size(); ++j) {
    double p = share;
    if (pv_limits_[j]) p = std::clamp(pv_limits_[j]->value(), 0.0, p);
    pv_power_[j] = Kilowatts(p);
  }
}

Status SiteTwin::AdvanceTo(Instant now) {
  if (now <= now_) return Ok{};
  // The values at `now` (held from the last interval when `now` is the series' very end), and
  // the data of every interval the step crosses, before anything moves.
  const bool at_end = ToTimestamp(now) == load_.end() && now == ToInstant(load_.end());
  bool ok = true;
  const Instant probe = at_end ? now - Millis(1) : now;
  const Kilowatts load = SeriesAt(load_, probe, &ok);
  const Kilowatts pv = pv_.empty() ? Kilowatts(0) : SeriesAt(pv_, probe, &ok);
  if (!ok) {
    return NotFound(fmt::format("site twin: no load or PV data at {} (the series run from {} to {})",
                                FormatKst(ToTimestamp(now)), FormatKst(load_.start()), FormatKst(load_.end())));
  }
  // Integrate [now_, now) piece by piece, split where the series step to their next interval;
  // every piece's data is checked first, so a gap moves nothing.
  const Millis step = std::chrono::duration_cast<Millis>(std::chrono::seconds(load_.step()));
  const auto piece_end = [&](Instant from) {
    return std::min(now, from - (from - ToInstant(load_.start())) % step + step);
  };
  for (Instant from = now_; from < now; from = piece_end(from)) {
    SeriesAt(load_, from, &ok);
    if (!pv_.empty()) SeriesAt(pv_, from, &ok);
    if (!ok) return NotFound(fmt::format("site twin: no load or PV data at {}", FormatKst(ToTimestamp(from))));
  }
  Instant from = now_;
  while (from < now) {
    const Instant to = piece_end(from);
    const Kilowatts piece_load = SeriesAt(load_, from, &ok);
    const Kilowatts piece_pv = pv_.empty() ? Kilowatts(0) : SeriesAt(pv_, from, &ok);
    const Hours dt((to - from).count() / 3'600'000.0);
    SetPvOutput(piece_pv);
    for (size_t i = 0; i < batteries_.size(); ++i) {
      const Battery::Step s = batteries_[i].Apply(battery_setpoints_[i], dt);
      batteries_[i] = s.next;
      battery_power_[i] = s.power;
    }
    if (generator_power_.value() <= 0 && generator_setpoint_.value() > 0) ++energy_.generator_starts;
    generator_power_ = generator_setpoint_;
    if (thermal_) {
      // The store holds its setpoint within what it can do over the piece (its ratings, energy,
      // the demand it serves, the chillers' spare capacity); the chillers' electricity changes by
      // what that saves or costs at the interval's full-load COP and the plant's part load.
      const Kilowatts demand = SeriesAt(cooling_, from, &ok);
      const double cop = ValueOrNaN(cop_, IntervalStart(ToTimestamp(from)));
      const double lo = -ThermalMaxCharge(*thermal_, thermal_stored_, dt, demand, cooling_spec_.chiller_kw_th).value();
      const double hi = ThermalMaxDischarge(*thermal_, thermal_stored_, dt, demand).value();
      thermal_action_ = Kilowatts(std::isfinite(cop) && cop > 0 ? std::clamp(thermal_setpoint_.value(), lo, hi) : 0.0);
      thermal_electric_ = std::isfinite(cop) && cop > 0
                              ? ThermalPlantElectric(*thermal_, cooling_spec_, cop, demand, thermal_action_)
                              : Kilowatts(0);
      thermal_stored_ = ThermalNext(*thermal_, thermal_stored_, thermal_action_, dt);
      energy_.thermal_electric += thermal_electric_ * dt;
      if (thermal_action_.value() > 0) energy_.thermal_discharged += thermal_action_ * dt;
      if (thermal_action_.value() < 0) energy_.thermal_charged += -thermal_action_ * dt;
    }
    const KilowattHours ev = ev_ != nullptr ? ev_->AdvanceTo(to) : KilowattHours(0);
    energy_.ev += ev;
    energy_.load += piece_load * dt + ev;
    energy_.pv += pv_output() * dt;
    energy_.battery += battery_output() * dt;
    energy_.generator += generator_power_ * dt;
    energy_.grid += (piece_load - pv_output() - battery_output() - generator_power_ - thermal_electric_) * dt + ev;
    from = to;
  }
  now_ = now;
  load_now_ = load + (ev_ != nullptr ? ev_->power() : Kilowatts(0));
  pv_available_now_ = pv;
  SetPvOutput(pv);
  return Ok{};
}

Kilowatts SiteTwin::pv_output() const {
  double sum = 0;
  for (const Kilowatts p : pv_power_) sum += p.value();
  return Kilowatts(sum);
}

Kilowatts SiteTwin::battery_output() const {
  double sum = 0;
  for (const Kilowatts p : battery_power_) sum += p.value();
  return Kilowatts(sum);
}

Kilowatts SiteTwin::grid() const {
  return load_now_ - pv_output() - battery_output() - generator_power_ - thermal_electric_;
}

}  // namespace meg
