// The one loader of what a site command works on: the KEPCO tariff book, the holiday calendar,
// the site file and the site's tariff resolved in the book. Reads files; thread-compatible.
//
//   auto loaded = LoadSiteContext(o);  // o: SiteOptions, or options deriving from it
//   if (!loaded) return ExitWith("meg optimize", loaded.error());
//   auto inputs = PrepareSiteInputs(loaded->site, loaded->calendar);
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "app/paths.h"
#include "core/calendar.h"
#include "core/result.h"
#include "core/site.h"
#include "tariff/tariff_book.h"

namespace meg {

// Where a site command reads its site and reference data from.
struct SiteOptions {
  std::string site;  // site TOML file (docs/site-config.md)
  std::string tariff_dir = DefaultTariffDir();
  std::string calendar = DefaultCalendarPath();
  // --fuel-krw-per-kwh: the fuel-cost adjustment to price every month with, KRW/kWh.
  std::optional<std::string> fuel;
};

// Adds --fuel-krw-per-kwh (SiteOptions::fuel).
void AddFuelOption(CLI::App* cmd, std::optional<std::string>& fuel);
// Adds --tariff-dir, --calendar and --fuel-krw-per-kwh (each command adds --site with its own
// help).
void AddReferenceDataOptions(CLI::App* cmd, SiteOptions& o);

struct LoadedSite {
  std::string path;  // the site file, for messages
  TariffBook book;
  HolidayCalendar calendar;
  Site site;
  TariffId tariff;  // site.tariff found in `book`
};

// Loads the book (with the fuel-cost adjustment of `o.fuel`, if given), the calendar and the
// site, in that order, and finds the site's tariff in the book. Errors: the first failure, as the loader reported it; a
// tariff name the book does not know is kInvalidInput "<site file>: tariff.name: <why>".
Result<LoadedSite> LoadSiteContext(const SiteOptions& o);

}  // namespace meg
