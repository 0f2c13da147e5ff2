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
  // 제주특별자치도 (Jeju, Udo, Marado: 33.1-33.6 N, 126.1-127.0 E) has its own hours (별표3 다만 4).
  const double lat = site.location.latitude_deg, lon = site.location.longitude_deg;
  const bool on_jeju = lat >= 33.0 && lat <= 33.7 && lon >= 126.0 && lon <= 127.1;
  if (on_jeju != (tariff->region == Region::kJeju)) {
    return InvalidInput(fmt::format(
        "{}: tariff.name: the site at {:.2f} N {:.2f} E is {}on Jeju, but the tariff is {}Jeju's: {} (the hours of "
        "제주특별자치도 differ, 별표3 다만 4)",
        o.site, lat, lon, on_jeju ? "" : "not ", tariff->region == Region::kJeju ? "" : "not ",
        on_jeju ? "add 제주 to the tariff name, e.g. \"일반용(을) 고압A 선택II 제주\"" : "remove 제주 from its name"));
  }
  if (RulesOf(tariff->tariff_class).blocks) {
    return Error{ErrorCode::kUnsupported,
                 fmt::format("{}: tariff.name: {} is priced by blocks of the month's kWh per household: the planner "
                             "and the live loop need a price per 15 minutes, which it has not. Price 주택용 usage with "
                             "meg bill",
                             o.site, OfficialName(*tariff))};
  }
  const KwRange range = ContractKwRange(*tariff);
  if (!range.Holds(site.contract_power.value())) {
    return InvalidInput(fmt::format(
        "{}: tariff.contract_kw: {} kW is outside the contract power of {} {}, {} (art. 57 ②③, 58 ①②, 59 ②③)", o.site,
        site.contract_power.value(), ClassName(tariff->tariff_class), VoltageName(tariff->voltage), range.Text()));
  }
  return LoadedSite{o.site, std::move(book), std::move(calendar), std::move(site), *tariff};
}

}  // namespace meg
