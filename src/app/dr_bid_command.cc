#include "app/dr_bid_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/exit.h"
#include "app/site_loader.h"
#include "control/site_image.h"
#include "forecast/plan_forecast.h"
#include "io/kpx_smp.h"
#include "io/text_file.h"
#include "market/economic_dr.h"
#include "sim/site_inputs.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg dr-bid";

struct DrBidOptions : SiteOptions {
  std::string day;
  std::string net_benefit = "0";  // KRW/kWh: 수요반응자원 순편익가격 of the month, from the KPX notice
  std::string own_price = "0";    // KRW/kWh
  double curtailable_kw = 0;
  std::string smp_file = DefaultSharedDir() + "/data/market/smp_jeju_2024.csv";
  bool json = false;
};

int RunDrBid(const DrBidOptions& o) {
  auto day = ParseDate(o.day);
  if (!day) return ExitWith(kCommand, InvalidInput("--day: " + day.error().message));
  auto net_benefit = WonPerKwh::FromDecimal(o.net_benefit);
  if (!net_benefit || net_benefit->milli_won() < 0) {
    return ExitWith(kCommand, InvalidInput(fmt::format("--net-benefit-krw-per-kwh '{}': a price >= 0", o.net_benefit)));
  }
  auto own = WonPerKwh::FromDecimal(o.own_price);
  if (!own || own->milli_won() < 0)
    return ExitWith(kCommand, InvalidInput(fmt::format("--own-price-krw-per-kwh '{}': a price >= 0", o.own_price)));
  if (!(o.curtailable_kw >= 0)) return ExitWith(kCommand, InvalidInput("--curtailable-kw: a power >= 0"));
  auto loaded = LoadSiteContext(o);
  if (!loaded) return ExitWith(kCommand, loaded.error());
  const Site& site = loaded->site;
  const HolidayCalendar& calendar = loaded->calendar;
  auto inputs = PrepareSiteInputs(site, calendar);
  if (!inputs) return ExitWith(kCommand, inputs.error());
  if (inputs->temp_c.empty())
    return ExitWith(kCommand, InvalidInput(o.site + ": no weather file: the load forecaster needs temperature"));

  // The forecast as it would be issued at the deadline, from the load measured before it.
  const Timestamp issued = EconomicDrBidDeadline(*day);
  const Timestamp to = FromKst(AddDays(*day, 1));
  if (issued < inputs->load.start() + std::chrono::days(15) || to > inputs->load.end()) {
    return ExitWith(kCommand,
                    InvalidInput(
                        fmt::format("--day {}: the site's load covers {} to {}; a bid needs 15 days of history "
                                    "before the deadline and the day itself",
                                    o.day, FormatKst(inputs->load.start()), FormatKst(inputs->load.end()))));
  }
  const LoadData history{ToDoubleSeries(inputs->load), inputs->temp_c};
  LearnedPlanForecast forecaster(history, inputs->pv, calendar, LearnedPlanOptions{});
  auto forecast = forecaster.ForecastAt(issued, to);
  if (!forecast) return ExitWith(kCommand, forecast.error());

  std::optional<std::array<WonPerKwh, 24>> smp;
  std::string smp_note = "no SMP for the day: the battery's energy goes to the earliest hours";
  if (!o.smp_file.empty()) {
    if (auto text = ReadTextFile(o.smp_file)) {
      if (auto s = KpxSmpOfDay(*text, o.smp_file, *day)) {
        smp = *s;
        smp_note = "expected SMP: the day's published SMP of " + o.smp_file + " (perfect price foresight; Jeju)";
      } else {
        smp_note = s.error().message + ": the battery's energy goes to the earliest hours";
      }
    }
  }
  std::vector<EconomicDrHourInput> hours(24);
  for (int h = 0; h < 24; ++h) {
    double kwh = 0;
    for (int q = 0; q < 4; ++q) {
      const Timestamp t = FromKst(*day, h * 60 + q * 15);
      const auto i = forecast->load.IndexOf(t);
      const auto j = forecast->pv.IndexOf(t);
      if (!i || !j || !forecast->load.at(*i) || !forecast->pv.at(*j))
        return ExitWith(kCommand, NotFound("the forecast has a gap at " + FormatKst(t)));
      kwh += std::max(0.0, forecast->load.at(*i)->value() - forecast->pv.at(*j)->value()) * 0.25;
    }
    EconomicDrHourInput& in = hours[static_cast<size_t>(h)];
    in.forecast_load = KilowattHours(kwh);
    in.curtailable = Kilowatts(o.curtailable_kw);
    if (site.ess) in.battery = site.ess->discharge_kw;  // the same rating MakeSiteImage reports below
    if (smp) in.expected_smp = (*smp)[static_cast<size_t>(h)];
  }
  EconomicDrConfig config;
  config.net_benefit_price = *net_benefit;
  config.own_price = *own;
  // The battery as the planner sees it (control/site_image.h, the one builder): its discharge
  // rating and the AC energy of a full SoC window.
  SiteReading full;
  full.start = issued;
  if (site.ess) {
    full.battery = BatteryReading{};
    full.battery->soc_pct = site.ess->soc_max_pct;
  }
  const SiteImage battery = MakeSiteImage(site, full, nullptr, nullptr, {});
  if (battery.has_battery) config.battery_energy = battery.battery_deliverable_full;
  auto bid = BuildEconomicDrBid(*day, hours, config, calendar);
  if (!bid) return ExitWith(kCommand, bid.error());

  if (o.json) {
    nlohmann::json j{{"day", FormatDate(*day)},
                     {"deadline", FormatKst(bid->deadline)},
                     {"forecast_issued", FormatKst(issued)},
                     {"no_bid_reason", bid->no_bid_reason}};
    j["hours"] = nlohmann::json::array();
    for (const auto& h : bid->hours) {
      j["hours"].push_back({{"start", FormatKst(h.hour_start)},
                            {"quantity_kwh", h.quantity.value()},
                            {"price_krw_per_kwh", h.price.won()}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("Economic DR bid (자발적 수요감축, 제12.4.2조) of {} for {}\n", site.name, FormatDate(*day));
  std::cout << fmt::format("due {} (제12.4.2.2조); load forecast issued then, from the load measured before it\n",
                           FormatKst(bid->deadline));
  std::cout << fmt::format("flexibility: battery {:.0f} kW, {:.0f} kWh a day; curtailable load {:.0f} kW; {}\n",
                           site.ess ? site.ess->discharge_kw.value() : 0.0,
                           config.battery_energy ? config.battery_energy->value() : 0.0, o.curtailable_kw, smp_note);
  if (!bid->has_bid()) {
    std::cout << "no bid: " << bid->no_bid_reason << "\n";
    return 0;
  }
  std::cout << fmt::format("\n{:<6} {:>18} {:>13} {:>18} {:>16}\n", "hour", "forecast grid kWh", "offered kWh",
                           "price KRW/kWh", "SMP KRW/kWh");
  double total = 0;
  for (const auto& h : bid->hours) {
    const int hour = ToKst(h.hour_start).minute_of_day / 60;
    total += h.quantity.value();
    std::cout << fmt::format("{:02d}:00  {:>18.1f} {:>13.1f} {:>18.2f} {:>16}\n", hour,
                             hours[static_cast<size_t>(hour)].forecast_load.value(), h.quantity.value(), h.price.won(),
                             smp ? fmt::format("{:.2f}", (*smp)[static_cast<size_t>(hour)].won()) : std::string("-"));
  }
  std::cout << fmt::format("\n{} hours, {:.1f} kWh offered in all (each hour >= 0.1 MWh, 제12.4.2.1조 ① 2호)\n",
                           bid->hours.size(), total);
  return 0;
}

}  // namespace

void AddDrBidCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DrBidOptions>();
  CLI::App* cmd = app.add_subcommand(
      "dr-bid",
      "Economic DR: the D-1 bid of a site for a day (hours, kWh, price), from its load forecast at 11:00 D-1");
  cmd->add_option("--site", o->site, "site TOML file")->required();
  cmd->add_option("--day", o->day, "trading day D, e.g. 2024-08-13")->required();
  cmd->add_option("--net-benefit-krw-per-kwh", o->net_benefit,
                  "수요반응자원 순편익가격 of the month (KPX notice): the lowest bid price")
      ->capture_default_str();
  cmd->add_option("--own-price-krw-per-kwh", o->own_price, "the site's own price for a kWh of reduction")
      ->capture_default_str();
  cmd->add_option("--curtailable-kw", o->curtailable_kw, "load the site can shed for a whole hour, kW")
      ->capture_default_str();
  cmd->add_option("--smp", o->smp_file, "KPX SMP file (EPSIS layout) for the expected hourly prices; empty: none")
      ->capture_default_str();
  cmd->add_option("--calendar", o->calendar, "holiday calendar CSV")->capture_default_str();
  AddFuelOption(cmd, o->fuel);
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, exit_code] { *exit_code = RunDrBid(*o); });
}

}  // namespace meg
