#include "control/decision_reason.h"

#include <cmath>

#include <fmt/format.h>

#include "core/text.h"

namespace meg {
namespace {

constexpr double kIdleKw = 0.05;  // below this the battery is idle (solver noise)

std::string Kw(double v) { return WithThousands(std::llround(v)) + " kW"; }

// "discharging 185 kW", "charging 50 kW", "idle".
std::string Action(double kw) {
  return kw > kIdleKw ? "discharging " + Kw(kw) : kw < -kIdleKw ? "charging " + Kw(-kw) : "idle";
}

bool Known(float v) { return std::isfinite(v); }

std::string Hhmm(Timestamp t) { return FormatKst(t).substr(11, 5); }

std::string BandText(Band b) { return fmt::format("{} {}", BandNameKo(b), BandName(b)); }

// "(경부하 off-peak, 96.3 KRW/kWh, among the cheapest 33 % of the next 24 h)"
std::string PriceText(const DecisionReason& r, bool cheap) {
  std::string out = fmt::format("({}, {:.1f} KRW/kWh", BandText(r.band), r.price_krw_per_kwh);
  if (r.rank_hours > 0 && r.cheaper_pct >= 100 && r.dearer_pct >= 100) {
    out += fmt::format(", the same price all of the next {} h", r.rank_hours);
  } else if (r.rank_hours > 0) {
    out += fmt::format(", among the {} {} % of the next {} h", cheap ? "cheapest" : "dearest",
                       cheap ? r.cheaper_pct : r.dearer_pct, r.rank_hours);
  }
  return out + ")";
}

std::string ReserveWindow(const DecisionReason& r, Timestamp start) {
  return fmt::format("{}-{}", Hhmm(start + r.reserve_from * kInterval), Hhmm(start + r.reserve_to * kInterval));
}

// ", for the discharge from 13:00" when the plan discharges within 24 h.
std::string ForLater(const DecisionReason& r, Timestamp start) {
  return r.next_discharge > 0 ? ", for the discharge from " + Hhmm(start + r.next_discharge * kInterval) : "";
}

std::string Why(const DecisionReason& r, Timestamp start) {
  switch (r.code) {
    case DecisionCode::kNone: return "";
    case DecisionCode::kIdle:
      if (r.next_discharge > 0) {
        return fmt::format("holding the stored energy for the discharge from {}",
                           Hhmm(start + r.next_discharge * kInterval));
      }
      return "no price spread or peak to shave worth the battery's wear " + PriceText(r, r.cheaper_pct <= r.dearer_pct);
    case DecisionCode::kIdleReserve:
      return fmt::format("keeping {} kWh stored as reserve for {}, in case the demand comes above the forecast",
                         WithThousands(std::llround(r.reserve_kwh)), ReserveWindow(r, start));
    case DecisionCode::kChargeCheap: return "energy is cheap now " + PriceText(r, true) + ForLater(r, start);
    case DecisionCode::kChargePv:
      return "storing PV production the site can neither use nor export" + ForLater(r, start);
    case DecisionCode::kDischargePeak: {
      std::string out = fmt::format("holding the month peak {} ({}, demand counts", Kw(r.peak_kw), BandText(r.band));
      if (Known(r.month_peak_kw) && r.month_peak_kw > 0)
        out += fmt::format("; this month so far {}", Kw(r.month_peak_kw));
      if (Known(r.ratchet_kw) && r.ratchet_kw > 0) out += fmt::format(", ratchet {}", Kw(r.ratchet_kw));
      return out + ")";
    }
    case DecisionCode::kDischargePrice: return "energy is dear now " + PriceText(r, false);
    case DecisionCode::kDischargeDr:
      return fmt::format("holding the grid import at the DR commitment's cap {}", Kw(r.dr_cap_kw));
    case DecisionCode::kPeakGuard:
      if (Known(r.plan_peak_kw)) {
        return fmt::format(
            "the demand {} is above the plan's peak {}; holding {}, the most the stored energy holds to the day's "
            "end if the demand stays this far above the forecast (the plan said {})",
            Kw(r.demand_kw), Kw(r.plan_peak_kw), Kw(r.peak_kw), Action(r.planned_kw));
      }
      return fmt::format("the demand {} is above the plan's peak {} (the plan said {})", Kw(r.demand_kw), Kw(r.peak_kw),
                         Action(r.planned_kw));
    case DecisionCode::kChargeHeld:
      return fmt::format("the plan's {} of charging cut, as more would lift the counted demand above {}",
                         Kw(-r.planned_kw), Kw(r.peak_kw));
    case DecisionCode::kFallback: return "no plan (the forecast or solve failed); the peak-shave rule decided";
  }
  return "";
}

std::string_view LimitText(LimitStage s) {
  switch (s) {
    case LimitStage::kNone: return "";
    case LimitStage::kUntrusted: return "the safe reading of untrusted telemetry";
    case LimitStage::kBattery: return "the battery's power or SoC limits";
    case LimitStage::kRamp: return "the battery's ramp limit";
    case LimitStage::kContract: return "the contract power";
    case LimitStage::kExport: return "the export limit";
    case LimitStage::kGenerator: return "the generator's rating, minimum load or ramp";
    case LimitStage::kThermal: return "the cold store's limits";
  }
  return "";
}

}  // namespace

std::string_view DecisionCodeName(DecisionCode code) {
  switch (code) {
    case DecisionCode::kNone: return "";
    case DecisionCode::kIdle: return "idle";
    case DecisionCode::kIdleReserve: return "idle_reserve";
    case DecisionCode::kChargeCheap: return "charge_cheap";
    case DecisionCode::kChargePv: return "charge_pv";
    case DecisionCode::kDischargePeak: return "discharge_peak";
    case DecisionCode::kDischargePrice: return "discharge_price";
    case DecisionCode::kDischargeDr: return "discharge_dr";
    case DecisionCode::kPeakGuard: return "peak_guard";
    case DecisionCode::kChargeHeld: return "charge_held";
    case DecisionCode::kFallback: return "fallback";
  }
  return "";
}

std::string_view LimitStageName(LimitStage stage) {
  switch (stage) {
    case LimitStage::kNone: return "";
    case LimitStage::kUntrusted: return "untrusted_input";
    case LimitStage::kBattery: return "battery_limits";
    case LimitStage::kRamp: return "ramp";
    case LimitStage::kContract: return "contract_power";
    case LimitStage::kExport: return "export_limit";
    case LimitStage::kGenerator: return "generator_limits";
    case LimitStage::kThermal: return "thermal_storage_limits";
  }
  return "";
}

std::string RenderDecisionReason(const DecisionReason& r, Timestamp start) {
  if (r.code == DecisionCode::kNone) return "";
  std::string out = Action(r.battery_kw);
  if (r.code != DecisionCode::kNone) out += ": " + Why(r, start);
  if (r.reserve_kwh > kIdleKw && r.code != DecisionCode::kIdleReserve && r.reserve_to > r.reserve_from) {
    out += fmt::format("; {} kWh of reserve kept for {}", WithThousands(std::llround(r.reserve_kwh)),
                       ReserveWindow(r, start));
  }
  if (Known(r.dr_cap_kw) && r.code != DecisionCode::kDischargeDr) {
    out += fmt::format("; a DR commitment caps the import at {}", Kw(r.dr_cap_kw));
  }
  if (r.limit != LimitStage::kNone) {
    out += Known(r.limited_kw) ? fmt::format("; clipped to {} by {}", Action(r.limited_kw), LimitText(r.limit))
                               : fmt::format("; clipped by {}", LimitText(r.limit));
  }
  return out;
}

}  // namespace meg
