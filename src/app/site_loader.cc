#include "app/site_loader.h"

#include <fmt/format.h>

namespace meg {

void AddReferenceDataOptions(CLI::App* cmd, SiteOptions& o) {
  cmd->add_option("--tariff-dir", o.tariff_dir, "KEPCO tariff tables directory")->capture_default_str();
  cmd->add_option("--calendar", o.calendar, "holiday calendar CSV")->capture_default_str();
}

Result<LoadedSite> LoadSiteContext(const SiteOptions& o) {
  MEG_TRY_ASSIGN(book, LoadTariffBook(o.tariff_dir));
  MEG_TRY_ASSIGN(calendar, LoadCalendar(o.calendar));
  MEG_TRY_ASSIGN(site, LoadSite(o.site));
  auto tariff = book.FindTariff(site.tariff);
  if (!tariff) return InvalidInput(fmt::format("{}: tariff.name: {}", o.site, tariff.error().message));
  return LoadedSite{o.site, std::move(book), std::move(calendar), std::move(site), *tariff};
}

}  // namespace meg
