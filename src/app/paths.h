// Where `meg` finds its data: the project's data/ (tariff tables, sites) and the shared reference
// data (holiday calendar). Compiled-in defaults, overridden by MEG_DATA_DIR / MEG_SHARED_DIR or
// by command-line flags. Only the app layer reads the environment.
#pragma once

#include <string>

#include "core/calendar.h"
#include "core/result.h"
#include "core/site.h"
#include "tariff/tariff_book.h"

namespace meg {

std::string DefaultDataDir();
std::string DefaultSharedDir();
std::string DefaultTariffDir();     // <data>/tariff/kepco
std::string DefaultCalendarPath();  // <shared>/data/calendar/kr_public_holidays_2018-2027.csv

// Loads rates.csv, bands.csv, charges.csv, fuel_adjustment.csv, discounts.csv and (optional)
// residential.csv from `dir`.
Result<TariffBook> LoadTariffBook(const std::string& dir);
Result<HolidayCalendar> LoadCalendar(const std::string& path);
// Reads and validates a site TOML file; ${data} and ${shared} in its paths are the defaults above.
Result<Site> LoadSite(const std::string& path);

}  // namespace meg
