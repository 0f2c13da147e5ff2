#include "device/sim/twin.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

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
      case DeviceKind::kMeter: t.power = twin_.grid(); break;
      case DeviceKind::kPv: t.power = twin_.pv_power_[index_]; break;
      case DeviceKind::kBattery: {
        const Battery& b = twin_.batteries_[index_];
        t.power = twin_.battery_power_[index_];
        t.soc_pct = b.soc_pct();
        t.rated_power = twin_.battery_rating_;
        // What the cells allow over the next second (the window edge), as a BMS reports it.
        t.max_discharge = b.MaxDischarge(Hours(1.0 / 3600));
        t.max_charge = b.MaxCharge(Hours(1.0 / 3600));
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
    EssSpec each = *ess;
    const double n = std::max(1, batteries);
    each.usable_kwh = ess->usable_kwh * (1.0 / n);
    each.charge_kw = ess->charge_kw * (1.0 / n);
    each.discharge_kw = ess->discharge_kw * (1.0 / n);
    each.ramp_kw_per_min = ess->ramp_kw_per_min / n;
    battery_rating_ = each.discharge_kw;
    for (int i = 0; i < std::max(1, batteries); ++i) batteries_.emplace_back(each);
  }
  battery_setpoints_.assign(batteries_.size(), Kilowatts(0));
  battery_power_.assign(batteries_.size(), Kilowatts(0));
  const size_t inverters = pv_.empty() ? 0 : static_cast<size_t>(std::max(1, pv_inverters));
  pv_limits_.assign(inverters, std::nullopt);
  bool ok = true;
  load_now_ = SeriesAt(load_, now_, &ok);
  pv_available_now_ = pv_.empty() ? Kilowatts(0) : SeriesAt(pv_, now_, &ok);
  // No inverter is limited before a command: each gives its share of the PV from the start, so a
  // read at the start instant sees it (not 0 kW, which would make the meter read the whole load).
  const double share = inverters == 0 ? 0.0 : pv_available_now_.value() / static_cast<double>(inverters);
  pv_power_.assign(inverters, Kilowatts(share));
}

std::vector<std::unique_ptr<Device>> SiteTwin::MakeDevices() {
  std::vector<std::unique_ptr<Device>> out;
  out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kMeter, 0, "twin-meter"));
  for (size_t j = 0; j < pv_power_.size(); ++j) {
    out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kPv, j, fmt::format("twin-pv-{}", j + 1)));
  }
  for (size_t i = 0; i < batteries_.size(); ++i) {
    out.push_back(std::make_unique<TwinDevice>(*this, DeviceKind::kBattery, i, fmt::format("twin-ess-{}", i + 1)));
  }
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

Status SiteTwin::AdvanceTo(Instant now) {
  if (now <= now_) return Ok{};
  bool ok = true;
  const Kilowatts load = SeriesAt(load_, now, &ok);
  const Kilowatts pv = pv_.empty() ? Kilowatts(0) : SeriesAt(pv_, now, &ok);
  if (!ok) {
    return NotFound(fmt::format("site twin: no load or PV data at {} (the series run from {} to {})",
                                FormatKst(ToTimestamp(now)), FormatKst(load_.start()), FormatKst(load_.end())));
  }
  const Hours dt((now - now_).count() / 3'600'000.0);
  for (size_t i = 0; i < batteries_.size(); ++i) {
    const Battery::Step step = batteries_[i].Apply(battery_setpoints_[i], dt);
    batteries_[i] = step.next;
    battery_power_[i] = step.power;
  }
  now_ = now;
  load_now_ = load;
  pv_available_now_ = pv;
  const double share = pv_power_.empty() ? 0.0 : pv.value() / static_cast<double>(pv_power_.size());
  for (size_t j = 0; j < pv_power_.size(); ++j) {
    double p = share;
    if (pv_limits_[j]) p = std::clamp(pv_limits_[j]->value(), 0.0, p);
    pv_power_[j] = Kilowatts(p);
  }
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

Kilowatts SiteTwin::grid() const { return load_now_ - pv_output() - battery_output(); }

}  // namespace meg
