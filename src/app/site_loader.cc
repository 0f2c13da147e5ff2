#include "app/site_loader.h"

#include <fmt/format.h>

namespace meg {

void AddReferenceDataOptions(CLI::App* cmd, SiteOptions& o) {
  cmd->add_option("--tariff-dir", o.tariff_dir, "KEPCO tariff tables directory")->capture_default_str();
  cmd->add_option("--calendar", o.calendar, "holiday calendar CSV")->capture_default_str();
  AddFuelOption(cmd, o.fuel);
}

void AddFuelOption(CLI::App* cmd, std::optional<std::string>& fuel) {
  cmd->add_option("--fuel-krw-per-kwh", fuel,
                  "fuel-cost adjustment to price every month with, KRW/kWh (within ±5); default: each quarter's "
                  "rate from the tariff directory's fuel_adjustment.csv");
}

Result<LoadedSite> LoadSiteContext(const SiteOptions& o) {
  MEG_TRY_ASSIGN(book, LoadTariffBook(o.tariff_dir));
  if (o.fuel) {
    auto fuel = WonPerKwh::FromDecimal(*o.fuel);
    if (!fuel) return InvalidInput("--fuel-krw-per-kwh: " + fuel.error().message);
    book.SetFuelOverride(*fuel);
  }
  MEG_TRY_ASSIGN(calendar, LoadCalendar(o.calendar));
  MEG_TRY_ASSIGN(site, LoadSite(o.site));
  auto tariff = book.FindTariff(site.tariff);
  if (!tariff) return InvalidInput(fmt::format("{}: tariff.name: {}", o.site, tariff.error().message));
  const ClassRules rules = RulesOf(tariff->tariff_class);
  const double kw = site.contract_power.value();
  if (kw < rules.min_kw || kw >= rules.below_kw) {
    return InvalidInput(
        fmt::format("{}: tariff.contract_kw: {} kW is outside {}'s contract power, {} kW {} (art. 57 "
                    "②, 58 ①②, 59 ②)",
                    o.site, kw, ClassName(tariff->tariff_class), rules.min_kw,
                    rules.below_kw > kMaxContractKw ? std::string("or more")
                                                    : fmt::format("to below {} kW", rules.below_kw)));
  }
  return LoadedSite{o.site, std::move(book), std::move(calendar), std::move(site), *tariff};
}

}  // namespace meg
