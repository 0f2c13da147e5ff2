#include "app/study/cnu_buildings.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "io/cnu_building.h"
#include "io/text_file.h"

namespace meg {
namespace {

std::string BuildingPath(const std::string& shared_dir, const std::string& building) {
  return shared_dir + "/data/load/cnu_gwangju/" + building + ".csv";
}

}  // namespace

Result<CnuBuildingLoad> LoadCnuBuildingLoad(const std::string& shared_dir, const std::string& building) {
  const std::string path = BuildingPath(shared_dir, building);
  MEG_TRY_ASSIGN(text, ReadTextFile(path));
  CnuReadOptions options;
  options.anomalies_to_gaps = true;
  MEG_TRY_ASSIGN(data, ParseCnuBuildingCsv(text, path, options));
  // kWh per hour is the hour's mean kW.
  return CnuBuildingLoad{LoadData{ToDoubleSeries(data.energy_kwh), data.temp_c}, data.anomalies.size()};
}

Result<CnuBuildingDay> CnuBuildingDayLike(const std::string& shared_dir, const std::string& building, Date date) {
  const std::string path = BuildingPath(shared_dir, building);
  MEG_TRY_ASSIGN(text, ReadTextFile(path));
  MEG_TRY_ASSIGN(data, ParseCnuBuildingCsv(text, path));
  const unsigned day = std::min(static_cast<unsigned>(date.day()), 28u);
  Date d = std::chrono::year{2021} / date.month() / std::chrono::day{day};
  const int want = static_cast<int>(std::chrono::weekday{std::chrono::sys_days{date}}.c_encoding());
  const int have = static_cast<int>(std::chrono::weekday{std::chrono::sys_days{d}}.c_encoding());
  int shift = ((want - have) % 7 + 7) % 7;
  if (shift > 3) shift -= 7;
  d = AddDays(d, shift);
  CnuBuildingDay out{d, {}};
  for (int h = 0; h < 24; ++h) {
    const auto i = data.energy_kwh.IndexOf(FromKst(d, h * 60));
    if (!i || !data.energy_kwh.at(*i)) {
      return NotFound(fmt::format("{}: no kWh for {} hour {}", path, FormatDate(d), h));
    }
    for (int q = 0; q < 4; ++q) out.kw.push_back(data.energy_kwh.at(*i)->value());  // kWh/h = kW
  }
  return out;
}

}  // namespace meg
