#include "app/paths.h"

#include <cstdlib>

#include "io/site_config.h"
#include "io/text_file.h"

namespace meg {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

}  // namespace

std::string DefaultDataDir() { return EnvOr("MEG_DATA_DIR", MEG_DATA_DIR); }
std::string DefaultSharedDir() { return EnvOr("MEG_SHARED_DIR", MEG_SHARED_DIR); }
std::string DefaultTariffDir() { return DefaultDataDir() + "/tariff/kepco"; }
std::string DefaultCalendarPath() {
  return DefaultSharedDir() + "/data/calendar/kr_public_holidays_2018-2027.csv";
}

Result<TariffBook> LoadTariffBook(const std::string& dir) {
  return TariffBook::Load(dir, [](const std::string& path) { return ReadTextFile(path); });
}

Result<HolidayCalendar> LoadCalendar(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  return HolidayCalendar::Parse(*text, path);
}

Result<Site> LoadSite(const std::string& path) {
  return LoadSiteFile(path, DefaultDataDir(), DefaultSharedDir());
}

}  // namespace meg
