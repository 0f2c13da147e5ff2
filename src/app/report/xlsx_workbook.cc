#include "app/report/xlsx_workbook.h"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "core/text.h"

namespace meg {
namespace {

// The Korean name of a --json key, where a reader expects one.
std::string KoreanName(std::string_view key) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"tariff", "요금제"},
      {"tariff_alias", "별칭"},
      {"contract_kw", "계약전력"},
      {"total_krw", "연간 요금"},
      {"basic_krw", "기본요금"},
      {"energy_climate_fuel_krw", "전력량·기후·연료"},
      {"over_contract_krw", "초과사용부가금"},
      {"billing_demand_kw", "요금적용전력"},
      {"floor_months", "최저 적용 월수"},
      {"over_contract_months", "초과 월수"},
      {"hotter_total_krw", "더운 여름 연간 요금"},
      {"hotter_over_contract_krw", "더운 여름 초과사용부가금"},
      {"hotter_over_contract_months", "더운 여름 초과 월수"},
      {"usable_kwh", "가용 용량"},
      {"power_kw", "출력"},
      {"payback_years", "회수 기간"},
      {"irr_pct", "내부수익률"},
      {"npv_krw", "순현재가치"},
  };
  for (const auto& [k, ko] : kNames) {
    if (k == key) return std::string(ko) + " ";
  }
  return "";
}

std::string UnitOfKey(std::string_view key) {
  for (const auto& [suffix, unit] :
       {std::pair{"_krw", "KRW"}, std::pair{"_kwh", "kWh"}, std::pair{"_kw", "kW"}, std::pair{"_kwp", "kWp"},
        std::pair{"_pct", "%"}, std::pair{"_years", "years"}, std::pair{"_months", "months"}}) {
    if (key.ends_with(suffix)) return fmt::format(" ({})", unit);
  }
  return "";
}

}  // namespace

XlsxTable TableFromJsonRows(std::string sheet, const nlohmann::json& rows) {
  XlsxTable table;
  table.sheet = std::move(sheet);
  if (!rows.is_array() || rows.empty() || !rows[0].is_object()) return table;
  std::vector<std::string> keys;
  for (const auto& [key, value] : rows[0].items()) keys.push_back(key);
  // JSON objects keep their keys sorted; a reader wants what a row is about first.
  const std::vector<std::string> first = {"tariff", "tariff_alias", "contract_kw", "usable_kwh", "power_kw"};
  std::stable_sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    const auto rank = [&](const std::string& k) {
      return static_cast<size_t>(std::find(first.begin(), first.end(), k) - first.begin());
    };
    return rank(a) < rank(b);
  });
  for (const auto& key : keys) {
    XlsxColumn c{KoreanName(key) + key + UnitOfKey(key)};
    c.width = std::max(12.0, static_cast<double>(DisplayWidth(c.header)) * 0.6);
    if (key.ends_with("_krw")) c.number_format = "#,##0";
    table.columns.push_back(std::move(c));
  }
  for (const auto& row : rows) {
    std::vector<XlsxValue> cells;
    for (const auto& key : keys) {
      const auto it = row.find(key);
      if (it == row.end() || it->is_null()) {
        cells.emplace_back(std::monostate{});
      } else if (it->is_number()) {
        cells.emplace_back(it->get<double>());
      } else if (it->is_string()) {
        cells.emplace_back(it->get<std::string>());
      } else if (it->is_boolean()) {
        cells.emplace_back(std::string(it->get<bool>() ? "TRUE" : "FALSE"));
      } else {
        cells.emplace_back(it->dump());
      }
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace meg
