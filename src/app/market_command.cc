#include "app/market_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/exit.h"
#include "app/report/brokerage_report.h"
#include "app/site_loader.h"
#include "app/study/cnu_buildings.h"
#include "app/study/gist_pv_forecasts.h"
#include "core/text.h"
#include "io/kpx_smp.h"
#include "io/text_file.h"
#include "market/brokerage.h"
#include "market/local_market.h"
#include "sim/site_inputs.h"
#include "tariff/slot_price.h"

namespace meg {
namespace {

constexpr std::string_view kBroker = "meg broker";
constexpr std::string_view kMarket = "meg market";

// ---------------------------------------------------------------------------------------------
// meg broker

struct BrokerOptions {
  std::string dataset = "gist-pv";
  std::string month = "2022-08";
  std::string forecaster = "model";
  std::string distribution = "metered";
  std::string missing = "skip";
  bool jeju = false;
  bool json = false;
};

Result<PvForecaster> ParseForecaster(const std::string& name) {
  if (name == "model" || name == "physics-ridge") return PvForecaster::kPhysicsRidge;
  if (name == "physics") return PvForecaster::kPhysics;
  if (name == "clear-sky") return PvForecaster::kClearSkyPersistence;
  if (name == "naive") return PvForecaster::kSeasonalNaive;
  return InvalidInput(
      fmt::format("--forecaster {}: known forecasters are model (physics + ridge), physics, clear-sky, naive", name));
}

Result<IncentiveDistribution> ParseDistribution(const std::string& name) {
  if (name == "metered") return IncentiveDistribution::kMeteredEnergy;
  if (name == "capacity") return IncentiveDistribution::kCapacity;
  if (name == "accuracy") return IncentiveDistribution::kOwnAccuracy;
  return InvalidInput(fmt::format("--distribution {}: known rules are metered, capacity, accuracy", name));
}

int RunBroker(const BrokerOptions& o) {
  if (o.dataset != "gist-pv") {
    return ExitWith(kBroker, InvalidInput(fmt::format("--dataset {}: the known data set is gist-pv", o.dataset)));
  }
  auto forecaster = ParseForecaster(o.forecaster);
  if (!forecaster) return ExitWith(kBroker, forecaster.error());
  auto month = ParseMonth(o.month);
  if (!month)
    return ExitWith("meg broker", InvalidInput(fmt::format("--month {}: {}", o.month, month.error().message)));
  auto distribution = ParseDistribution(o.distribution);
  if (!distribution) return ExitWith(kBroker, distribution.error());
  if (o.missing != "skip" && o.missing != "exclude") {
    return ExitWith("meg broker", InvalidInput(fmt::format("--missing {}: use skip or exclude", o.missing)));
  }
  auto in = LoadGistPvForecastInputs(DefaultSharedDir());
  if (!in) return ExitWith(kBroker, in.error());
  const Timestamp data_start = in->site.ghi_w_m2.start();
  const Timestamp data_end = in->site.ghi_w_m2.end();
  // Forecasts exist from the third day of the data (one full day of history before the issue).
  const Date first_forecast_day = AddDays(ToKst(data_start).date, 2);
  const Date month_first = *month / 1;
  const Date first_day = std::max(std::chrono::sys_days{month_first}, std::chrono::sys_days{first_forecast_day});
  const Timestamp from = FromKst(first_day);
  const Timestamp to = std::min(StartOfKstMonth(*month + std::chrono::months{1}), data_end);
  if (from >= to) {
    return ExitWith("meg broker",
                    InvalidInput(fmt::format("--month {}: the GIST data cover {} to {}; forecasts start on {}", o.month,
                                             FormatKst(data_start), FormatKst(data_end),
                                             FormatDate(first_forecast_day))));
  }
  auto portfolio = ForecastGistPvPortfolio(*in, first_day);
  if (!portfolio) return ExitWith(kBroker, portfolio.error());
  std::vector<BrokerageMember> members;
  for (const GistPvMember& m : portfolio->members) {
    members.push_back(ToBrokerageMember(m, *forecaster, from, to));
  }
  ForecastIncentiveRules rules;
  rules.settle_below_entry_capacity = true;  // the GIST aggregate is far below 20 MW
  rules.jeju = o.jeju;
  rules.distribution = *distribution;
  rules.missing = o.missing == "skip" ? MissingMemberData::kSkipHour : MissingMemberData::kExcludeMember;
  auto s = SettleForecastIncentive(members, rules);
  if (!s) return ExitWith(kBroker, s.error());
  const std::string name(PvForecasterName(*forecaster));
  if (o.json) {
    std::cout << BrokerJson(*s, o.month, name, portfolio->excluded).dump(2) << "\n";
  } else {
    std::cout << RenderBrokerText(*s,
                                  fmt::format("hours [{}, {}) KST", FormatDate(first_day), FormatDate(ToKst(to).date)),
                                  name, portfolio->excluded, rules);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// meg market

struct MarketOptions {
  std::string site = DefaultDataDir() + "/sites/jeonju-hospital.toml";
  std::string date = "2024-08-12";
  std::string neighbour_tariff = "일반용(을) 고압A 선택I";
  bool json = false;
  std::optional<std::string> fuel;  // --fuel-krw-per-kwh
};

// One market participant for the day: 96 intervals of load and PV (kW), its tariff prices and
// limits.
struct DemoSite {
  SiteTradingLimits limits;
  std::string description;
  std::vector<double> load_kw, pv_kw;  // 96 each
  std::vector<WonPerKwh> grid_price;   // 96
};

// The KEPCO per-kWh price of every slot of `date` (tariff/slot_price.h): energy rate of the
// slot's band after any energy discount + 기후환경요금 + 연료비조정요금. VAT and the fund (a
// percentage of the whole bill) are left out: the demo compares per-kWh prices before them.
Result<std::vector<WonPerKwh>> SlotPrices(const TariffBook& book, const HolidayCalendar& calendar,
                                          const std::string& tariff, Date date) {
  auto id = book.FindTariff(tariff);
  if (!id) return id.error();
  auto day = PriceDay(book, calendar, *id, date);
  if (!day) return day.error();
  std::vector<WonPerKwh> out;
  for (const SlotPrice& slot : day->slots) out.push_back(slot.BeforeTaxes());
  return out;
}

// KPX SMP of `date` (io/kpx_smp.h), hourly, as the export value of each 15-minute slot.
Result<std::vector<WonPerKwh>> SlotSmp(const std::string& path, Date date) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  auto hourly = KpxSmpOfDay(*text, path, date);
  if (!hourly) return hourly.error();
  std::vector<WonPerKwh> out;
  for (const WonPerKwh& p : *hourly) out.insert(out.end(), 4, p);
  return out;
}

struct SiteTotals {
  double bought_kwh = 0, sold_kwh = 0;
  Won paid, received;
  double grid_only_milli = 0;  // cost with the grid only, milli-won (+ pays)
  double with_market_milli = 0;
};

int RunMarket(const MarketOptions& o) {
  auto date = ParseDate(o.date);
  if (!date) return ExitWith(kMarket, InvalidInput(fmt::format("--date {}: {}", o.date, date.error().message)));
  auto loaded = LoadSiteContext(SiteOptions{o.site, DefaultTariffDir(), DefaultCalendarPath(), o.fuel});
  if (!loaded) return ExitWith(kMarket, loaded.error());
  const Site& site = loaded->site;
  const TariffBook& book = loaded->book;
  const HolidayCalendar& calendar = loaded->calendar;
  auto inputs = PrepareSiteInputs(site, calendar);
  if (!inputs) return ExitWith(kMarket, inputs.error());
  const std::string smp_path = DefaultSharedDir() + "/data/market/smp_jeju_2024.csv";
  auto smp = SlotSmp(smp_path, *date);
  if (!smp) return ExitWith(kMarket, smp.error());

  std::vector<DemoSite> sites;
  // 1. The hospital, from its site file: load and PV of the day, contract power, no export.
  DemoSite h;
  h.limits.site = "hospital";
  h.limits.import_limit = site.contract_power;
  h.limits.export_limit = site.grid.export_allowed ? site.grid.export_limit_kw : Kilowatts(0);
  h.description = fmt::format("{} ({}), {:.0f} kW contract, PV {:.0f} kWp, no export", site.name, o.site,
                              site.contract_power.value(), site.pv.empty() ? 0.0 : site.pv.front().dc_kwp.value());
  double hospital_kwp = 0;
  for (const auto& a : site.pv) hospital_kwp += a.dc_kwp.value();
  std::vector<double> unit_pv(kIntervalsPerDay, 0.0);  // kW per kWp of the hospital's arrays
  for (int s = 0; s < kIntervalsPerDay; ++s) {
    const auto i = inputs->load.IndexOf(FromKst(*date, s * 15));
    if (!i || !inputs->load.at(*i)) {
      return ExitWith("meg market", NotFound(fmt::format("the site's load has no value on {} (its year is {})", o.date,
                                                         site.load.year)));
    }
    h.load_kw.push_back(inputs->load.at(*i)->value());
    const double pv = inputs->pv.at(*i) ? inputs->pv.at(*i)->value() : 0.0;
    h.pv_kw.push_back(pv);
    unit_pv[static_cast<size_t>(s)] = hospital_kwp > 0 ? pv / hospital_kwp : 0.0;
  }
  auto hospital_price = SlotPrices(book, calendar, site.tariff, *date);
  if (!hospital_price) return ExitWith(kMarket, hospital_price.error());
  h.grid_price = *hospital_price;
  sites.push_back(std::move(h));
  // 2-3. Campus neighbours: a measured CNU building load with a rooftop PV of the hospital's
  // profile scaled to its kWp; export up to its inverter (kWp / 1.2).
  auto neighbour_price = SlotPrices(book, calendar, o.neighbour_tariff, *date);
  if (!neighbour_price) return ExitWith(kMarket, neighbour_price.error());
  struct Neighbour {
    const char* name;
    const char* building;
    double kwp;
  };
  for (const Neighbour& n :
       {Neighbour{"campus-eng7", "eng7_HV_02", 400}, Neighbour{"campus-truth", "truth_bldg_CS_02", 200}}) {
    auto load = CnuBuildingDayLike(DefaultSharedDir(), n.building, *date);
    if (!load) return ExitWith(kMarket, load.error());
    DemoSite d;
    d.limits.site = n.name;
    d.limits.import_limit = Kilowatts(1000);
    d.limits.export_limit = Kilowatts(n.kwp / 1.2);
    d.load_kw = load->kw;
    for (double u : unit_pv) d.pv_kw.push_back(u * n.kwp);
    d.grid_price = *neighbour_price;
    d.description = fmt::format(
        "CNU {} measured load of {} + {:.0f} kWp PV (the hospital's PV profile scaled), export "
        "<= {:.0f} kW, {}",
        n.building, FormatDate(load->source_day), n.kwp, n.kwp / 1.2, o.neighbour_tariff);
    sites.push_back(std::move(d));
  }

  // Orders from each site's perfect day-ahead forecast (the day's own values).
  std::vector<MarketOrder> orders;
  for (const DemoSite& d : sites) {
    std::vector<SiteInterval> iv;
    for (int s = 0; s < kIntervalsPerDay; ++s) {
      const size_t k = static_cast<size_t>(s);
      iv.push_back({FromKst(*date, s * 15), KilowattHours((d.load_kw[k] - d.pv_kw[k]) * kIntervalHours.value()),
                    d.grid_price[k], (*smp)[k], 0});
    }
    auto so = SiteOrders(d.limits, iv);
    if (!so) return ExitWith(kMarket, so.error());
    orders.insert(orders.end(), so->begin(), so->end());
  }
  auto m = ClearLocalMarket(orders);
  if (!m) return ExitWith(kMarket, m.error());

  // Savings against the grid only: each kWh bought replaces a grid kWh at the site's price, each
  // kWh sold replaces an exported kWh at the SMP; surplus above the export limit is curtailed.
  std::map<std::string, SiteTotals> totals;
  std::map<std::pair<Timestamp, std::string>, const LedgerEntry*> ledger;
  for (const LedgerEntry& e : m->ledger) ledger[{e.interval, e.site}] = &e;
  for (const DemoSite& d : sites) {
    SiteTotals& t = totals[d.limits.site];
    for (int s = 0; s < kIntervalsPerDay; ++s) {
      const size_t k = static_cast<size_t>(s);
      const double net = (d.load_kw[k] - d.pv_kw[k]) * kIntervalHours.value();
      const double import = std::max(0.0, net);
      const double exp = std::min(std::max(0.0, -net), d.limits.export_limit.value() * kIntervalHours.value());
      const double price = static_cast<double>(d.grid_price[k].milli_won());
      const double smp_milli = static_cast<double>((*smp)[k].milli_won());
      t.grid_only_milli += import * price - exp * smp_milli;
      double bought = 0, sold = 0;
      Won paid, received;
      const auto it = ledger.find({FromKst(*date, s * 15), d.limits.site});
      if (it != ledger.end()) {
        bought = it->second->bought().value();
        sold = it->second->sold().value();
        paid = it->second->paid;
        received = it->second->received;
      }
      t.bought_kwh += bought;
      t.sold_kwh += sold;
      t.paid += paid;
      t.received += received;
      t.with_market_milli += (import - bought) * price - (exp - sold) * smp_milli +
                             1000.0 * static_cast<double>(paid.value() - received.value());
    }
  }

  if (o.json) {
    nlohmann::json j = {{"date", o.date}};
    for (const auto& c : m->intervals) {
      j["intervals"].push_back(
          {{"start", FormatKst(c.interval)},
           {"bids", c.bids},
           {"asks", c.asks},
           {"volume_kwh", c.volume().value()},
           {"price_krw_per_kwh", c.price ? nlohmann::json(c.price->won()) : nlohmann::json(nullptr)},
           {"value_krw", c.value.value()}});
    }
    for (const DemoSite& d : sites) {
      const SiteTotals& t = totals[d.limits.site];
      j["sites"].push_back({{"site", d.limits.site},
                            {"description", d.description},
                            {"bought_kwh", t.bought_kwh},
                            {"sold_kwh", t.sold_kwh},
                            {"paid_krw", t.paid.value()},
                            {"received_krw", t.received.value()},
                            {"grid_only_cost_krw", std::llround(t.grid_only_milli / 1000.0)},
                            {"with_market_cost_krw", std::llround(t.with_market_milli / 1000.0)},
                            {"savings_krw", std::llround((t.grid_only_milli - t.with_market_milli) / 1000.0)}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::string out = fmt::format(
      "Local energy market demo, {} (KST): 15-minute double auction, pay-as-clear (one price per "
      "interval, the middle of the range of clearing prices).\nSites:\n",
      o.date);
  for (const DemoSite& d : sites) out += fmt::format("- {}: {}\n", d.limits.site, d.description);
  out += fmt::format(
      "Buyers bid their KEPCO energy + climate + fuel-adjustment price of the slot; sellers ask "
      "the KPX SMP of the hour ({}; Jeju prices stand in for the mainland).\n\n",
      smp_path);
  out += fmt::format("{:<7}{:>6}{:>6}{:>11}{:>12}{:>10}\n", "start", "bids", "asks", "kWh", "KRW/kWh", "KRW");
  double volume = 0;
  Won value;
  int traded = 0;
  for (const auto& c : m->intervals) {
    if (!c.price) continue;
    ++traded;
    volume += c.volume().value();
    value += c.value;
    const int minute = ToKst(c.interval).minute_of_day;
    out += fmt::format("{:02d}:{:02d}{:>6}{:>6}{:>11.1f}{:>12.3f}{:>10}\n", minute / 60, minute % 60, c.bids, c.asks,
                       c.volume().value(), c.price->won(), c.value.value());
  }
  out +=
      fmt::format("{} of 96 intervals traded, {:.1f} kWh, {} KRW.\n\n", traded, volume, WithThousands(value.value()));
  out += fmt::format("{:<14}{:>12}{:>12}{:>12}{:>14}{:>16}{:>18}{:>12}\n", "site", "bought kWh", "sold kWh", "paid KRW",
                     "received KRW", "grid only KRW", "with market KRW", "saving KRW");
  double saving = 0;
  for (const DemoSite& d : sites) {
    const SiteTotals& t = totals[d.limits.site];
    saving += (t.grid_only_milli - t.with_market_milli) / 1000.0;
    out += fmt::format("{:<14}{:>12.1f}{:>12.1f}{:>12}{:>14}{:>16}{:>18}{:>12}\n", d.limits.site, t.bought_kwh,
                       t.sold_kwh, WithThousands(t.paid.value()), WithThousands(t.received.value()),
                       WithThousands(std::llround(t.grid_only_milli / 1000.0)),
                       WithThousands(std::llround(t.with_market_milli / 1000.0)),
                       WithThousands(std::llround((t.grid_only_milli - t.with_market_milli) / 1000.0)));
  }
  out += fmt::format("{:<14}{:>102}\n", "total", WithThousands(std::llround(saving)));
  out +=
      "\nkWh and KRW per site for the day; 'grid only' and 'with market' are the energy-priced "
      "cost of the day (imports at the site's KEPCO per-kWh price minus exports at SMP, plus "
      "market payments minus receipts), not a bill. Where demand exceeds supply at the margin the "
      "price is the marginal bid, so that buyer saves nothing and the sellers keep the gain. "
      "Basic charge, billing demand, VAT and fund, and any network (wheeling) charge for the local "
      "trade are left out. Forecasts are perfect "
      "(the day's own load and PV); batteries are not offered. See "
      "docs/trading-brokerage-market.md.\n";
  std::cout << out;
  return 0;
}

}  // namespace

void AddMarketCommand(CLI::App& app, int* exit_code) {
  auto b = std::make_shared<BrokerOptions>();
  auto* broker =
      app.add_subcommand("broker", "small-scale brokerage: the KPX ch. 14 forecast incentive of an aggregate");
  broker->add_option("--dataset", b->dataset, "gist-pv: the measured GIST campus PV systems")->capture_default_str();
  broker->add_option("--month", b->month, "month to settle, YYYY-MM (the data: 2022-07, 2022-08)")
      ->capture_default_str();
  broker
      ->add_option("--forecaster", b->forecaster,
                   "day-ahead forecaster: model (physics + ridge), physics, clear-sky, naive")
      ->capture_default_str();
  broker
      ->add_option("--distribution", b->distribution,
                   "split to members: metered (kWh in paid hours), capacity, accuracy")
      ->capture_default_str();
  broker
      ->add_option("--missing", b->missing,
                   "a member's missing hour: skip (the hour is not settled) or exclude (the "
                   "member leaves the hour)")
      ->capture_default_str();
  broker->add_flag("--jeju", b->jeju, "a Jeju resource: rates x 0.5");
  broker->add_flag("--json", b->json, "print JSON");
  broker->callback([b, exit_code] { *exit_code = RunBroker(*b); });

  auto m = std::make_shared<MarketOptions>();
  auto* market = app.add_subcommand("market", "local energy market: a one-day demo of the 15-minute double auction");
  market->add_option("--site", m->site, "the main site file")->capture_default_str();
  market->add_option("--date", m->date, "the day, YYYY-MM-DD (KST; the SMP data cover 2024)")->capture_default_str();
  market->add_option("--neighbour-tariff", m->neighbour_tariff, "tariff of the campus neighbours")
      ->capture_default_str();
  market->add_flag("--json", m->json, "print JSON");
  AddFuelOption(market, m->fuel);
  market->callback([m, exit_code] { *exit_code = RunMarket(*m); });
}

}  // namespace meg
