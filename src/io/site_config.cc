#include "io/site_config.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/check.h"
#include "core/site.h"
#include "core/text.h"
#include "io/field_parse.h"
#include "io/text_file.h"
#include "io/weather_file.h"

namespace meg {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kMaxShown = 20;
constexpr size_t kMaxSiteFileBytes = 1u << 20;

// The allowed values of a number: [lo, hi], either end open or unbounded.
struct Range {
  double lo = -kInf;
  double hi = kInf;
  bool lo_open = false;
  bool hi_open = false;

  bool Contains(double v) const {
    const bool above = lo_open ? v > lo : v >= lo;
    const bool below = hi_open ? v < hi : v <= hi;
    return above && below;
  }
  // The end of "soc_min_pct = 120 ...": "is outside 0..100", "must be > 0".
  std::string Violation() const {
    if (hi == kInf) return fmt::format("must be {} {}", lo_open ? ">" : ">=", lo);
    if (lo == -kInf) return fmt::format("must be {} {}", hi_open ? "<" : "<=", hi);
    if (!lo_open && !hi_open) return fmt::format("is outside {}..{}", lo, hi);
    return fmt::format("must be {} {} and {} {}", lo_open ? ">" : ">=", lo, hi_open ? "<" : "<=", hi);
  }
};

constexpr Range kAny{};
constexpr Range Closed(double lo, double hi) { return Range{lo, hi, false, false}; }
constexpr Range AboveZeroTo(double hi) { return Range{0, hi, true, false}; }

// Bounds of the site keys' ranges below. The power of any one piece of equipment is bounded by
// the largest contract power (core/site.h), its energy by ten hours of it: beyond is a typo (W for
// kW, an extra zero) that would overflow or mislead later, not a site.
constexpr double kMaxEquipmentKw = kMaxContractKw;
constexpr double kMaxEssKwh = 10 * kMaxContractKw;
// Battery wear cost per kWh of throughput: real cells cost 50-300 KRW/kWh (pack price / rated
// cycles); 10,000 is 30 x that, far inside what the milli-won arithmetic holds (issue 16: 9.3e15
// overflowed to a negative cost).
constexpr double kMaxWearKrwPerKwh = 10'000;

// A key of the schema. `unit` is the suffix of the name after its stem ("usable_kwh": stem
// "usable", unit "kwh"); empty for keys whose values carry no unit (names, files, flags, years).
// `range`: the values a numeric key may take, the ONE place each key's range is written; every
// command reads site files through ParseSiteToml, so every command sees the same range
// (docs/site-config.md lists them). `why` explains a range that is not self-evident.
struct KeyDef {
  std::string_view name;
  std::string_view unit;
  Range range = kAny;
  std::string_view why = "";

  std::string_view Stem() const { return unit.empty() ? name : name.substr(0, name.size() - unit.size() - 1); }
};

constexpr std::array kSiteKeys = {KeyDef{"name", ""}, KeyDef{"latitude_deg", "deg", Closed(-90, 90)},
                                  KeyDef{"longitude_deg", "deg", Closed(-180, 180)},
                                  // From the Dead Sea shore to the top of Everest: anything else is a typo (feet? km?).
                                  KeyDef{"elevation_m", "m", Closed(-500, 9000)}, KeyDef{"time_zone", ""}};
constexpr std::array kTariffKeys = {KeyDef{"name", ""},
                                    KeyDef{"contract_kw", "kw", Closed(kMinAnyContractKw, kMaxContractKw),
                                           "a whole number of kW; each class's own range is checked with its tariff"},
                                    KeyDef{"reading_day", "", Closed(1, 28),
                                           "정기검침일, a day of the month (art. 69)"}};
constexpr std::array kLoadKeys = {KeyDef{"file", ""},
                                  KeyDef{"format", ""},
                                  KeyDef{"year", "", Closed(2018, 2027), "the years of the holiday calendar"},
                                  KeyDef{"scale", "", AboveZeroTo(1000)},
                                  KeyDef{"labels", ""},
                                  KeyDef{"unit", ""},
                                  KeyDef{"encoding", ""},
                                  KeyDef{"time_column", ""},
                                  KeyDef{"value_column", ""},
                                  KeyDef{"sheet", ""}};
constexpr std::array kWeatherKeys = {KeyDef{"file", ""}, KeyDef{"format", ""}};
constexpr std::array kWeatherForecastKeys = {KeyDef{"url", ""},
                                             KeyDef{"model", ""},
                                             KeyDef{"every_min", "min", Closed(5, 1440),
                                                    "Open-Meteo's models update every 1-6 hours"},
                                             KeyDef{"timeout_s", "s", Closed(1, 300)},
                                             KeyDef{"days", "", Closed(1, 16), "Open-Meteo serves up to 16 days"},
                                             KeyDef{"max_distance_km", "km", Closed(1, 200)}};
constexpr std::array kPvKeys = {KeyDef{"name", ""},
                                KeyDef{"dc_kwp", "kwp", AboveZeroTo(kMaxEquipmentKw)},
                                KeyDef{"tilt_deg", "deg", Closed(0, 90)},
                                KeyDef{"azimuth_deg", "deg", Closed(0, 360)},
                                KeyDef{"losses_pct", "pct", Closed(0, 50)},
                                KeyDef{"inverter_kw", "kw", AboveZeroTo(kMaxEquipmentKw)},
                                KeyDef{"inverter_efficiency_pct", "pct", Closed(50, 100)},
                                KeyDef{"temp_coeff_pct_per_c", "pct_per_c", Closed(-1, 0)},
                                KeyDef{"mounting", ""},
                                KeyDef{"heat_loss_u0_w_m2k", "w_m2k", Closed(5, 100)},
                                KeyDef{"heat_loss_u1_w_s_m3k", "w_s_m3k", Closed(0, 30)},
                                KeyDef{"albedo", "", Closed(0, 1)}};
constexpr std::array kEssKeys = {KeyDef{"usable_kwh", "kwh", AboveZeroTo(kMaxEssKwh)},
                                 KeyDef{"charge_kw", "kw", AboveZeroTo(kMaxEquipmentKw)},
                                 KeyDef{"discharge_kw", "kw", AboveZeroTo(kMaxEquipmentKw)},
                                 KeyDef{"charge_efficiency_pct", "pct", Closed(50, 100)},
                                 KeyDef{"discharge_efficiency_pct", "pct", Closed(50, 100)},
                                 KeyDef{"soc_min_pct", "pct", Closed(0, 100)},
                                 KeyDef{"soc_max_pct", "pct", Closed(0, 100)},
                                 KeyDef{"soc_initial_pct", "pct", Closed(0, 100)},
                                 KeyDef{"ramp_kw_per_min", "kw_per_min", Closed(0, kMaxEquipmentKw),
                                        "0 = no ramp limit"},
                                 KeyDef{"degradation_krw_per_kwh", "krw_per_kwh", Closed(0, kMaxWearKrwPerKwh),
                                        "KRW per kWh of throughput; real cells wear 50-300"}};
constexpr std::array kGeneratorKeys = {
    KeyDef{"kind", ""},
    KeyDef{"rating_kw", "kw", AboveZeroTo(kMaxEquipmentKw)},
    KeyDef{"min_load_kw", "kw", Closed(0, kMaxEquipmentKw), "0 = any output down to 0; at most rating_kw"},
    KeyDef{"ramp_kw_per_min", "kw_per_min", Closed(0, kMaxEquipmentKw), "0 = no ramp limit"},
    KeyDef{"electric_efficiency_pct", "pct", Closed(5, 70), "electric output / fuel energy (LHV)"},
    KeyDef{"heat_recovery_pct", "pct", Closed(0, 90), "recovered heat / fuel energy (LHV)"},
    KeyDef{"fuel_krw_per_kwh", "krw_per_kwh", Closed(0, 10'000), "KRW per kWh of fuel energy (LHV)"},
    KeyDef{"heat_krw_per_kwh", "krw_per_kwh", Closed(0, 10'000), "KRW per kWh of recovered heat"},
    KeyDef{"start_krw", "krw", Closed(0, 1e9)}};
constexpr std::array kCoolingKeys = {
    KeyDef{"load_column", ""},
    KeyDef{"chiller_kw_th", "kw_th", AboveZeroTo(kMaxEquipmentKw), "the chillers' capacity, kW of cooling"},
    KeyDef{"cop", "", Closed(1, 15), "kW of cooling per kW of electricity at rated_temp_c"},
    KeyDef{"rated_temp_c", "c", Closed(-20, 50)},
    KeyDef{"cop_change_pct_per_c", "pct_per_c", Closed(0, 10), "COP change per degree C cooler outdoors"},
    KeyDef{"chillers", "", Closed(1, 100), "identical machines sharing chiller_kw_th"},
    KeyDef{"part_load_curve", ""},
    KeyDef{"min_part_load_pct", "pct", Closed(0, 90), "below it a machine cycles on and off"}};
constexpr std::array kThermalStorageKeys = {
    KeyDef{"kind", ""},
    KeyDef{"capacity_kwh_th", "kwh_th", AboveZeroTo(kMaxEssKwh), "kWh of cooling"},
    KeyDef{"charge_kw_th", "kw_th", AboveZeroTo(kMaxEquipmentKw)},
    KeyDef{"discharge_kw_th", "kw_th", AboveZeroTo(kMaxEquipmentKw)},
    KeyDef{"loss_pct_per_h", "pct_per_h", Closed(0, 10), "standing loss, % of the stored energy an hour"},
    KeyDef{"charge_cop_pct", "pct", Closed(30, 100), "the chillers' COP while charging, % of their COP"},
    KeyDef{"soc_initial_pct", "pct", Closed(0, 100)}};
constexpr std::array kGridKeys = {KeyDef{"export_allowed", ""},
                                  KeyDef{"export_limit_kw", "kw", Closed(0, kMaxEquipmentKw)}};
constexpr std::array kDeviceKeys = {KeyDef{"id", ""},
                                    KeyDef{"kind", ""},
                                    KeyDef{"protocol", ""},
                                    KeyDef{"host", ""},
                                    KeyDef{"port", "", Closed(1, 65535)},
                                    KeyDef{"unit_id", "", Closed(0, 255)},
                                    KeyDef{"timeout_ms", "ms", Closed(10, 5000),
                                           "one exchange lasts at most (1 + retries) x timeout_ms"},
                                    KeyDef{"retries", "", Closed(0, 5)},
                                    KeyDef{"backoff_max_ms", "ms", Closed(10, 3600000)},
                                    KeyDef{"lost_after_ms", "ms", Closed(100, 3600000)},
                                    KeyDef{"sunspec", ""},
                                    KeyDef{"sunspec_base", "", Closed(0, 65535)},
                                    KeyDef{"power_sign_inverted", ""},
                                    KeyDef{"registers", ""},
                                    KeyDef{"topic_prefix", ""},
                                    KeyDef{"keepalive_s", "s", Closed(5, 3600)},
                                    KeyDef{"username", ""},
                                    KeyDef{"password_file", ""},
                                    KeyDef{"tls_ca_file", ""},
                                    KeyDef{"tls_cert_file", ""},
                                    KeyDef{"tls_key_file", ""}};
constexpr std::array kRegisterKeys = {KeyDef{"power_kw", "kw"},       KeyDef{"soc_pct", "pct"},
                                      KeyDef{"max_charge_kw", "kw"},  KeyDef{"max_discharge_kw", "kw"},
                                      KeyDef{"rated_kw", "kw"},       KeyDef{"setpoint_kw", "kw"},
                                      KeyDef{"pv_limit_kw", "kw"},    KeyDef{"cop", ""},
                                      KeyDef{"cooling_load_kw", "kw"}};
constexpr std::array kRegisterFieldKeys = {KeyDef{"address", "", Closed(0, 65535)}, KeyDef{"type", ""},
                                           KeyDef{"scale", ""}, KeyDef{"input", ""}};
constexpr std::array kChargerKeys = {
    KeyDef{"id", ""},
    KeyDef{"connectors", "", Closed(1, 8)},
    KeyDef{"max_current_a", "a", Closed(6, 500), "per phase, per connector"},
    KeyDef{"min_current_a", "a", Closed(1, 80), "IEC 61851-1 offers a car at least 6 A"},
    KeyDef{"phases", "", Closed(1, 3), "1 or 3"},
    KeyDef{"voltage_v", "v", Closed(100, 500), "phase to neutral"},
    KeyDef{"default_energy_kwh", "kwh", Closed(0.1, 1000), "a session's need when nobody gives one"},
    KeyDef{"default_dwell_h", "h", Closed(0.1, 168), "a session's stay when nobody gives its departure"},
    KeyDef{"priority", "", Closed(-100, 100)}};
constexpr std::array kOcppKeys = {KeyDef{"host", ""}, KeyDef{"port", "", Closed(1, 65535)},
                                  KeyDef{"heartbeat_s", "s", Closed(10, 86400)},
                                  KeyDef{"call_timeout_ms", "ms", Closed(1000, 300000)},
                                  KeyDef{"limit_grace_ms", "ms", Closed(1000, 600000)}};
constexpr std::array kEvKeys = {KeyDef{"sessions", ""}, KeyDef{"profile", ""}, KeyDef{"seed", "", Closed(0, 4e9)},
                                KeyDef{"weekday_use", "", Closed(0, 1)}, KeyDef{"weekend_use", "", Closed(0, 1)}};
constexpr std::array<std::string_view, 15> kTables = {
    "site",    "tariff", "load",      "weather", "weather_forecast", "pv",
    "ess",     "grid",   "generator", "cooling", "thermal_storage",  "device",
    "charger", "ocpp",   "ev"};

// Levenshtein distance, for "did you mean" on misspelt keys.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Join(std::span<const KeyDef> keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

// The known key an unknown one most likely means, and why: a unit-less number ("usable"), a
// wrong unit ("usable_mwh") or a typo ("usable_kwhh"). "" if none is close.
std::string Suggestion(std::string_view key, std::span<const KeyDef> keys) {
  const KeyDef* by_stem = nullptr;
  for (const auto& k : keys) {
    if (k.unit.empty()) continue;
    if (key == k.Stem()) {
      return fmt::format("it has no unit: write {} (every number's key names its unit)", k.name);
    }
    const bool stem_matches = key.size() > k.Stem().size() && key.starts_with(k.Stem()) && key[k.Stem().size()] == '_';
    if (stem_matches && (by_stem == nullptr || k.Stem().size() > by_stem->Stem().size())) {
      by_stem = &k;
    }
  }
  if (by_stem != nullptr) {
    return fmt::format("did you mean {}? the unit of {} is {}", by_stem->name, by_stem->Stem(), by_stem->unit);
  }
  for (const auto& k : keys) {
    if (EditDistance(key, k.name) <= 2) return fmt::format("did you mean {}?", k.name);
  }
  return fmt::format("known keys: {}", Join(keys));
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// The value as written, for messages: 120, 0.5, "text", true. Empty for tables, arrays, dates.
std::string ValueText(const toml::node& node) {
  if (const auto* s = node.as_string()) return fmt::format("\"{}\"", Excerpt(s->get()));
  if (const auto* i = node.as_integer()) return fmt::format("{}", i->get());
  if (const auto* f = node.as_floating_point()) return fmt::format("{}", f->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  return "";
}

// The problems of one file, each with its line (0 = the whole file), shown sorted by line.
class Problems {
 public:
  void Add(std::uint32_t line, std::string what) { items_.push_back({line, std::move(what)}); }
  bool empty() const { return items_.empty(); }
  Error ToError(std::string_view source) {
    std::stable_sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) { return a.line < b.line; });
    ParseProblems out(source, kMaxShown);
    for (const auto& item : items_) {
      if (item.line == 0) {
        out.AddFile(item.what);
      } else {
        out.Add(static_cast<int>(item.line), item.what);
      }
    }
    return out.ToError();
  }

 private:
  struct Item {
    std::uint32_t line;
    std::string what;
  };
  std::vector<Item> items_;
};

enum class Need { kRequired, kOptional };

// Reads the keys of one table ("ess", "pv[1]"), reporting into `problems`; a getter returns
// nullopt when the key is absent, of the wrong type or out of range (the last two reported).
// Constructing it reports every key the table does not know.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, std::span<const KeyDef> keys, Problems& problems)
      : table_(table), path_(std::move(path)), keys_(keys), problems_(problems) {
    for (const auto& [key, node] : table_) {
      const std::string_view name = key.str();
      const bool known = std::any_of(keys_.begin(), keys_.end(), [&](const KeyDef& k) { return k.name == name; });
      if (known) continue;
      const std::string what = node.is_table() ? fmt::format("unknown table [{}.{}]", path_, Excerpt(name))
                                               : fmt::format("unknown key {}", Shown(name, node));
      problems_.Add(Line(node), fmt::format("{} ({})", what, Suggestion(name, keys_)));
    }
  }

  const std::string& path() const { return path_; }
  std::uint32_t line() const { return Line(table_); }

  // "ess.soc_min_pct = 120", or "ess.soc_min_pct" for a table or array value.
  std::string Shown(std::string_view key, const toml::node& node) const {
    const std::string text = ValueText(node);
    return text.empty() ? fmt::format("{}.{}", path_, Excerpt(key))
                        : fmt::format("{}.{} = {}", path_, Excerpt(key), text);
  }
  std::string Shown(std::string_view key) const {
    const toml::node* node = table_.get(key);
    return node != nullptr ? Shown(key, *node) : fmt::format("{}.{}", path_, key);
  }
  // The line of `key`, or of the table when the key is absent.
  std::uint32_t LineOf(std::string_view key) const {
    const toml::node* node = table_.get(key);
    return node != nullptr ? Line(*node) : line();
  }
  bool Has(std::string_view key) const { return table_.contains(key); }

  // Reports "<key = value> <what>" at the key's line.
  void Report(std::string_view key, std::string_view what) {
    problems_.Add(LineOf(key), fmt::format("{} {}", Shown(key), what));
  }

  std::optional<std::string> String(std::string_view key, Need need) {
    const toml::node* node = Get(key, need);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) return WrongType(key, *node, "a string");
    std::string value = node->as_string()->get();
    if (value.empty()) {
      Report(key, "is empty");
      return std::nullopt;
    }
    return value;
  }

  // A number in the key table's range (KeyDef::range); an integer is accepted where a float is
  // expected.
  std::optional<double> Number(std::string_view key, Need need) {
    const KeyDef& def = Def(key);
    return Number(key, need, def.range, def.why);
  }
  // An integer in the key table's range.
  std::optional<std::int64_t> Integer(std::string_view key, Need need) {
    const KeyDef& def = Def(key);
    return Integer(key, need, def.range, def.why);
  }

  // A number in `range`: the readers above, with the key table's range.
  std::optional<double> Number(std::string_view key, Need need, const Range& range, std::string_view why_range = "") {
    const toml::node* node = Get(key, need);
    if (node == nullptr) return std::nullopt;
    double value = 0;
    if (const auto* i = node->as_integer()) {
      value = static_cast<double>(i->get());
    } else if (const auto* f = node->as_floating_point()) {
      value = f->get();
    } else {
      return WrongType(key, *node, "a number");
    }
    if (!std::isfinite(value)) {
      Report(key, "is not a finite number");
      return std::nullopt;
    }
    if (!range.Contains(value)) {
      Report(key, why_range.empty() ? range.Violation() : fmt::format("{} ({})", range.Violation(), why_range));
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::int64_t> Integer(std::string_view key, Need need, const Range& range,
                                      std::string_view why_range = "") {
    const toml::node* node = Get(key, need);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) return WrongType(key, *node, "an integer");
    const std::int64_t value = node->as_integer()->get();
    if (!range.Contains(static_cast<double>(value))) {
      Report(key, why_range.empty() ? range.Violation() : fmt::format("{} ({})", range.Violation(), why_range));
      return std::nullopt;
    }
    return value;
  }

  // An array of exactly `count` finite numbers.
  template <size_t N>
  std::optional<std::array<double, N>> Numbers(std::string_view key, Need need) {
    const toml::node* node = Get(key, need);
    if (node == nullptr) return std::nullopt;
    const toml::array* list = node->as_array();
    if (list == nullptr || list->size() != N) {
      return WrongType(key, *node, fmt::format("an array of {} numbers", N));
    }
    std::array<double, N> out{};
    for (size_t i = 0; i < N; ++i) {
      const toml::node& v = *list->get(i);
      if (const auto* n = v.as_integer()) {
        out[i] = static_cast<double>(n->get());
      } else if (const auto* f = v.as_floating_point()) {
        out[i] = f->get();
      } else {
        return WrongType(key, *node, fmt::format("an array of {} numbers", N));
      }
      if (!std::isfinite(out[i])) {
        Report(key, "holds a number that is not finite");
        return std::nullopt;
      }
    }
    return out;
  }

  std::optional<bool> Bool(std::string_view key, Need need) {
    const toml::node* node = Get(key, need);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) return WrongType(key, *node, "a boolean (true or false)");
    return node->as_boolean()->get();
  }

  // A string that must be one of `choices`.
  std::optional<std::string> Choice(std::string_view key, Need need, std::span<const std::string_view> choices) {
    auto value = String(key, need);
    if (!value) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *value) != choices.end()) return value;
    std::string list;
    for (const auto c : choices) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", c);
    Report(key, fmt::format("is not one of {}", list));
    return std::nullopt;
  }

 private:
  static std::uint32_t Line(const toml::node& node) { return node.source().begin.line; }

  // The schema entry of `key`. REQUIRES: `key` is in this table's key list (a bug otherwise).
  const KeyDef& Def(std::string_view key) const {
    const auto it = std::find_if(keys_.begin(), keys_.end(), [&](const KeyDef& k) { return k.name == key; });
    MEG_CHECK(it != keys_.end());
    return *it;
  }

  const toml::node* Get(std::string_view key, Need need) {
    const toml::node* node = table_.get(key);
    if (node == nullptr && need == Need::kRequired) {
      problems_.Add(line(), fmt::format("{}.{} is missing (required)", path_, key));
    }
    return node;
  }

  std::nullopt_t WrongType(std::string_view key, const toml::node& node, std::string_view expected) {
    problems_.Add(Line(node), fmt::format("{} is {}, expected {}", Shown(key, node), TypeName(node), expected));
    return std::nullopt;
  }

  const toml::table& table_;
  std::string path_;
  std::span<const KeyDef> keys_;
  Problems& problems_;
};

// Resolves a file key: ${data} / ${shared} at the start, else relative to the site file's
// directory; the file must exist.
std::optional<std::string> ResolveFile(TableReader& t, std::string_view key, const SitePaths& paths,
                                       std::optional<int> year = std::nullopt) {
  auto raw = t.String(key, Need::kRequired);
  if (!raw) return std::nullopt;
  // `${year}` (weather files only): the file of each year; checked here for `year`, kept as a
  // template in the result.
  const bool has_year = year && raw->find(kYearPlaceholder) != std::string::npos;
  std::string_view rest = *raw;
  std::string base;
  bool placeholder = false;
  struct Placeholder {
    std::string_view name;
    const std::string* dir;
  };
  for (const Placeholder& p : {Placeholder{"${data}", &paths.data_dir}, Placeholder{"${shared}", &paths.shared_dir}}) {
    if (!rest.starts_with(p.name)) continue;
    if (p.dir->empty()) {
      t.Report(key, fmt::format("uses {}, which has no value here", p.name));
      return std::nullopt;
    }
    rest.remove_prefix(p.name.size());
    if (!rest.empty() && rest.front() != '/') {
      t.Report(key, fmt::format("has no '/' after {}", p.name));
      return std::nullopt;
    }
    base = *p.dir;
    placeholder = true;
    break;
  }
  size_t from = 0;
  while (has_year) {  // step over each ${year}
    const size_t at = rest.find("${", from);
    if (at == std::string_view::npos || rest.substr(at, kYearPlaceholder.size()) != kYearPlaceholder) break;
    from = at + kYearPlaceholder.size();
  }
  if (const size_t at = rest.find("${", from); at != std::string_view::npos) {
    const size_t end = rest.find('}', at);
    const std::string_view what =
        rest.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at + 1);
    t.Report(key, (what == "${data}" || what == "${shared}")
                      ? fmt::format("has {} inside the path: it is allowed only at the start", what)
                      : fmt::format("has the unknown placeholder {} (known: ${{data}} and "
                                    "${{shared}}, at the start of the path, and ${{year}} in a weather file)",
                                    what));
    return std::nullopt;
  }
  std::filesystem::path path =
      placeholder ? std::filesystem::path(base + std::string(rest)) : std::filesystem::path(std::string(rest));
  if (!placeholder && path.is_relative() && !paths.site_dir.empty()) {
    path = std::filesystem::path(paths.site_dir) / path;
  }
  const std::string resolved_template = path.lexically_normal().string();
  const std::string resolved = has_year ? WithYear(resolved_template, *year) : resolved_template;
  bool exists = false;
  if (paths.file_exists) {
    exists = paths.file_exists(resolved);
  } else {
    std::error_code ec;
    exists = std::filesystem::is_regular_file(resolved, ec);
  }
  if (!exists) {
    t.Report(key, fmt::format("names {}, which is not an existing file", resolved));
    return std::nullopt;
  }
  return resolved_template;
}

void ReadSite(TableReader t, Site& site) {
  if (auto v = t.String("name", Need::kRequired)) site.name = *v;
  if (auto v = t.Number("latitude_deg", Need::kRequired)) {
    site.location.latitude_deg = *v;
  }
  if (auto v = t.Number("longitude_deg", Need::kRequired)) {
    site.location.longitude_deg = *v;
  }
  if (auto v = t.Number("elevation_m", Need::kOptional)) {
    site.location.elevation_m = *v;
  }
  if (auto v = t.String("time_zone", Need::kRequired); v && *v != "Asia/Seoul") {
    t.Report("time_zone",
             "is not supported: only \"Asia/Seoul\" (KST, UTC+9, no daylight "
             "saving) for now, the zone of the KEPCO tariffs and the holiday calendar");
  }
  site.location.utc_offset_minutes = 9 * 60;
}

void ReadTariff(TableReader t, Site& site) {
  if (auto v = t.String("name", Need::kRequired)) site.tariff = *v;
  if (auto v = t.Number("contract_kw", Need::kRequired)) {
    if (*v != std::floor(*v)) {
      t.Report("contract_kw", "is not a whole number of kW (the contract is in whole kW, art. 7 ①)");
    } else {
      site.contract_power = Kilowatts(*v);
    }
  }
  if (auto v = t.Integer("reading_day", Need::kOptional)) site.reading_day = static_cast<int>(*v);
}

void ReadLoad(TableReader t, const SitePaths& paths, Site& site) {
  static constexpr std::array<std::string_view, 4> kFormats = {"doe-hospital", "usage-csv", "meter-download",
                                                               "cnu-building"};
  static constexpr std::array<std::string_view, 2> kLabels = {"end", "start"};
  static constexpr std::array<std::string_view, 2> kUnits = {"kwh", "kw"};
  static constexpr std::array<std::string_view, 2> kEncodings = {"utf-8", "cp949"};
  if (auto v = ResolveFile(t, "file", paths)) site.load.file = *v;
  if (auto v = t.Choice("format", Need::kRequired, kFormats)) site.load.format = *v;
  if (auto v = t.Integer("year", Need::kRequired)) {
    site.load.year = static_cast<int>(*v);
  }
  if (auto v = t.Number("scale", Need::kOptional)) site.load.scale = *v;
  // How to read a meter download, where its detection should not decide (io/meter_download.h).
  if (auto v = t.Choice("labels", Need::kOptional, kLabels)) site.load.labels = *v;
  if (auto v = t.Choice("unit", Need::kOptional, kUnits)) site.load.unit = *v;
  if (auto v = t.Choice("encoding", Need::kOptional, kEncodings)) site.load.encoding = *v;
  if (auto v = t.String("time_column", Need::kOptional)) site.load.time_column = *v;
  if (auto v = t.String("value_column", Need::kOptional)) site.load.value_column = *v;
  if (auto v = t.String("sheet", Need::kOptional)) site.load.sheet = *v;
  for (const char* key : {"labels", "unit", "encoding", "time_column", "value_column", "sheet"}) {
    if (t.Has(key) && site.load.format != "meter-download") {
      t.Report(key, "applies to format = \"meter-download\" only");
    }
  }
}

void ReadWeather(TableReader t, const SitePaths& paths, Site& site) {
  // The load's year picks the file a ${year} names (load is read first).
  if (auto v = ResolveFile(t, "file", paths, site.load.year > 0 ? std::optional<int>(site.load.year) : std::nullopt)) {
    site.weather.file = *v;
  }
  if (auto v = t.Choice("format", Need::kRequired, kWeatherFormats)) site.weather.format = *v;
}

WeatherForecastSpec ReadWeatherForecast(TableReader t) {
  WeatherForecastSpec f;
  if (auto v = t.String("url", Need::kOptional)) {
    if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
      t.Report("url", "is not a URL: expected http://host[:port]/path or https://...");
    } else {
      f.url = *v;
    }
  }
  if (auto v = t.String("model", Need::kOptional)) {
    if (v->empty() || v->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      t.Report("model", "is not an Open-Meteo model name (a-z, 0-9, _; e.g. kma_seamless)");
    } else {
      f.model = *v;
    }
  }
  if (auto v = t.Integer("every_min", Need::kOptional)) f.every_min = static_cast<int>(*v);
  if (auto v = t.Integer("timeout_s", Need::kOptional)) f.timeout_s = static_cast<int>(*v);
  if (auto v = t.Integer("days", Need::kOptional)) f.days = static_cast<int>(*v);
  if (auto v = t.Number("max_distance_km", Need::kOptional)) f.max_distance_km = *v;
  return f;
}

PvArraySpec ReadPv(TableReader t) {
  PvArraySpec pv;
  if (auto v = t.String("name", Need::kRequired)) pv.name = *v;
  if (auto v = t.Number("dc_kwp", Need::kRequired)) pv.dc_kwp = Kilowatts(*v);
  if (auto v = t.Number("tilt_deg", Need::kRequired)) pv.tilt_deg = *v;
  if (auto v = t.Number("azimuth_deg", Need::kRequired)) pv.azimuth_deg = *v;
  if (auto v = t.Number("losses_pct", Need::kOptional)) pv.losses_pct = *v;
  if (auto v = t.Number("inverter_kw", Need::kRequired)) pv.inverter_kw = Kilowatts(*v);
  if (auto v = t.Number("inverter_efficiency_pct", Need::kOptional)) {
    pv.inverter_efficiency_pct = *v;
  }
  if (auto v = t.Number("temp_coeff_pct_per_c", Need::kOptional)) {
    pv.temp_coeff_pct_per_c = *v;
  }
  static constexpr auto kMountings = [] {
    std::array<std::string_view, kPvMountings.size()> names{};
    for (size_t i = 0; i < names.size(); ++i) names[i] = kPvMountings[i].name;
    return names;
  }();
  if (auto v = t.Choice("mounting", Need::kOptional, kMountings)) {
    for (const PvMounting& m : kPvMountings) {
      if (m.name != *v) continue;
      pv.mounting = *v;
      pv.heat_loss_u0_w_m2k = m.u0_w_m2k;
      pv.heat_loss_u1_w_s_m3k = m.u1_w_s_m3k;
    }
  }
  // Measured coefficients of the module, where the site has them, win over the mounting's.
  if (auto v = t.Number("heat_loss_u0_w_m2k", Need::kOptional)) pv.heat_loss_u0_w_m2k = *v;
  if (auto v = t.Number("heat_loss_u1_w_s_m3k", Need::kOptional)) pv.heat_loss_u1_w_s_m3k = *v;
  if (auto v = t.Number("albedo", Need::kOptional)) pv.albedo = *v;
  return pv;
}

EssSpec ReadEss(TableReader t) {
  EssSpec ess;
  if (auto v = t.Number("usable_kwh", Need::kRequired)) ess.usable_kwh = KilowattHours(*v);
  if (auto v = t.Number("charge_kw", Need::kRequired)) ess.charge_kw = Kilowatts(*v);
  if (auto v = t.Number("discharge_kw", Need::kRequired)) ess.discharge_kw = Kilowatts(*v);
  if (auto v = t.Number("charge_efficiency_pct", Need::kRequired)) {
    ess.charge_efficiency_pct = *v;
  }
  if (auto v = t.Number("discharge_efficiency_pct", Need::kRequired)) {
    ess.discharge_efficiency_pct = *v;
  }
  const auto soc_min = t.Number("soc_min_pct", Need::kRequired);
  const auto soc_max = t.Number("soc_max_pct", Need::kRequired);
  const auto initial = t.Number("soc_initial_pct", Need::kOptional);
  if (soc_min && soc_max) {
    ess.soc_min_pct = *soc_min;
    ess.soc_max_pct = *soc_max;
    ess.soc_initial_pct = (*soc_min + *soc_max) / 2;
    if (*soc_min >= *soc_max) {
      t.Report("soc_min_pct", fmt::format("is not below {} (the SoC window is empty)", t.Shown("soc_max_pct")));
    } else if (initial && (*initial < *soc_min || *initial > *soc_max)) {
      t.Report("soc_initial_pct", fmt::format("is outside the SoC window {}..{}", *soc_min, *soc_max));
    } else if (initial) {
      ess.soc_initial_pct = *initial;
    }
  }
  if (auto v = t.Number("ramp_kw_per_min", Need::kOptional)) ess.ramp_kw_per_min = *v;
  if (auto v = t.Number("degradation_krw_per_kwh", Need::kRequired)) {
    // WonPerKwh is exact to 1/1000 won; a finer fraction is rounded away.
    ess.degradation_cost = WonPerKwh::FromMilliWon(std::llround(*v * 1000.0));
  }
  return ess;
}

GeneratorSpec ReadGenerator(TableReader t) {
  GeneratorSpec g;
  static constexpr std::array<std::string_view, 2> kKinds = {"fuel-cell", "chp"};
  if (auto v = t.Choice("kind", Need::kOptional, kKinds)) g.kind = *v;
  if (auto v = t.Number("rating_kw", Need::kRequired)) g.rating_kw = Kilowatts(*v);
  if (auto v = t.Number("min_load_kw", Need::kOptional)) {
    g.min_load_kw = Kilowatts(*v);
    if (g.rating_kw.value() > 0 && *v > g.rating_kw.value()) {
      t.Report("min_load_kw", fmt::format("is above {} (it could never run)", t.Shown("rating_kw")));
    }
  }
  if (auto v = t.Number("ramp_kw_per_min", Need::kOptional)) g.ramp_kw_per_min = *v;
  if (auto v = t.Number("electric_efficiency_pct", Need::kRequired)) g.electric_efficiency_pct = *v;
  if (auto v = t.Number("heat_recovery_pct", Need::kOptional)) g.heat_recovery_pct = *v;
  if (g.electric_efficiency_pct + g.heat_recovery_pct > 100) {
    t.Report("heat_recovery_pct", fmt::format("plus electric_efficiency_pct = {} is above 100 % of the fuel",
                                              g.electric_efficiency_pct + g.heat_recovery_pct));
  }
  // The fuel's price has no default: it is the site's gas contract (docs/site-config.md).
  if (auto v = t.Number("fuel_krw_per_kwh", Need::kRequired)) g.fuel_krw_per_kwh = *v;
  if (auto v = t.Number("heat_krw_per_kwh", Need::kOptional)) g.heat_krw_per_kwh = *v;
  if (g.heat_krw_per_kwh > 0 && g.heat_recovery_pct == 0) {
    t.Report("heat_krw_per_kwh", "has no effect while heat_recovery_pct is 0 (no heat is recovered)");
  }
  if (auto v = t.Number("start_krw", Need::kOptional)) g.start_krw = *v;
  return g;
}

CoolingSpec ReadCooling(TableReader t) {
  CoolingSpec c;
  if (auto v = t.String("load_column", Need::kOptional)) c.load_column = *v;
  if (auto v = t.Number("chiller_kw_th", Need::kRequired)) c.chiller_kw_th = Kilowatts(*v);
  if (auto v = t.Number("cop", Need::kRequired)) c.cop = *v;
  if (auto v = t.Number("rated_temp_c", Need::kOptional)) c.rated_temp_c = *v;
  if (auto v = t.Number("cop_change_pct_per_c", Need::kOptional)) c.cop_change_pct_per_c = *v;
  if (auto v = t.Integer("chillers", Need::kOptional)) c.chillers = static_cast<int>(*v);
  if (auto v = t.Number("min_part_load_pct", Need::kOptional)) c.min_part_load_pct = *v;
  if (auto v = t.Numbers<3>("part_load_curve", Need::kOptional)) {
    // f(p) = a + b p + c p^2 must be positive and rising over the machine's running range, so that
    // more cooling always takes more electricity; with a standing part (a > 0) a machine must cycle
    // below some load, or it would draw a x its full-load electricity to make nothing.
    const auto [a, b, k] = *v;
    const double m = c.min_part_load_pct / 100.0;
    const double f_min = a + b * m + k * m * m;
    if (!(a >= 0 && f_min > 0 && b + 2 * k * m > 0 && b + 2 * k > 0)) {
      t.Report("part_load_curve",
               "is not a part-load curve: f(p) = a + b p + c p^2 must be >= 0 at p = 0 and positive and rising "
               "from the minimum part load to full load");
    } else if (a > 0 && m == 0) {
      t.Report("part_load_curve",
               "has a standing part (a > 0): give min_part_load_pct, the load below which a machine cycles");
    } else {
      c.part_load_curve = *v;
    }
  }
  return c;
}

ThermalStorageSpec ReadThermalStorage(TableReader t) {
  ThermalStorageSpec s;
  static constexpr std::array<std::string_view, 2> kKinds = {"chilled-water", "ice"};
  if (auto v = t.Choice("kind", Need::kRequired, kKinds)) s.kind = *v;
  if (auto v = t.Number("capacity_kwh_th", Need::kRequired)) s.capacity_kwh_th = KilowattHours(*v);
  if (auto v = t.Number("charge_kw_th", Need::kRequired)) s.charge_kw_th = Kilowatts(*v);
  if (auto v = t.Number("discharge_kw_th", Need::kRequired)) s.discharge_kw_th = Kilowatts(*v);
  if (auto v = t.Number("loss_pct_per_h", Need::kOptional)) s.loss_pct_per_h = *v;
  // Ice is made at a colder evaporator: its COP has no sensible default.
  if (auto v = t.Number("charge_cop_pct", s.kind == "ice" ? Need::kRequired : Need::kOptional)) s.charge_cop_pct = *v;
  if (auto v = t.Number("soc_initial_pct", Need::kOptional)) s.soc_initial_pct = *v;
  return s;
}

GridSpec ReadGrid(TableReader t) {
  GridSpec grid;
  if (auto v = t.Bool("export_allowed", Need::kOptional)) grid.export_allowed = *v;
  const auto limit = t.Number("export_limit_kw", Need::kOptional);
  if (limit) grid.export_limit_kw = Kilowatts(*limit);
  if (grid.export_allowed && !t.Has("export_limit_kw")) {
    t.Report("export_allowed", "needs grid.export_limit_kw > 0 (how much may be exported)");
  } else if (grid.export_allowed && limit && *limit == 0) {
    t.Report("export_limit_kw", "must be > 0 when export_allowed = true");
  } else if (!grid.export_allowed && limit && *limit > 0) {
    t.Report("export_limit_kw",
             "has no effect while export_allowed is false (allow export or "
             "remove the limit)");
  }
  if (!grid.export_allowed) grid.export_limit_kw = Kilowatts(0);
  return grid;
}

// The table `name` of the root, or nullptr (reported when required or of the wrong kind).
const toml::table* Table(const toml::table& root, std::string_view name, Need need, Problems& problems) {
  const toml::node* node = root.get(name);
  if (node == nullptr) {
    if (need == Need::kRequired) problems.Add(0, fmt::format("[{}] is missing (required)", name));
    return nullptr;
  }
  if (!node->is_table()) {
    problems.Add(node->source().begin.line,
                 fmt::format("{} must be a table ([{}]), found {}", name, name, TypeName(*node)));
    return nullptr;
  }
  return node->as_table();
}

void ReportUnknownTopLevel(const toml::table& root, Problems& problems) {
  for (const auto& [key, node] : root) {
    const std::string_view name = key.str();
    if (std::find(kTables.begin(), kTables.end(), name) != kTables.end()) continue;
    std::string hint =
        "known tables: site, tariff, load, weather, weather_forecast, pv, ess, grid, generator, cooling, "
        "thermal_storage, device, "
        "charger, ocpp, ev";
    for (const auto table : kTables) {
      if (EditDistance(name, table) <= 2) hint = fmt::format("did you mean [{}]?", table);
    }
    const std::string what = node.is_table() ? fmt::format("unknown table [{}]", Excerpt(name))
                             : node.is_array_of_tables()
                                 ? fmt::format("unknown table [[{}]]", Excerpt(name))
                                 : fmt::format("{} = {} is outside any table", Excerpt(name), ValueText(node));
    problems.Add(node.source().begin.line, fmt::format("{} ({})", what, hint));
  }
}

// The array of tables [[name]] of the root, or nullptr: absent, or not an array of tables
// (reported: "name must be an array of tables ([[name]], one per `one_per`), found ...").
const toml::array* ArrayOfTables(const toml::table& root, std::string_view name, std::string_view one_per,
                                 Problems& problems) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  const toml::array* list = node->as_array();
  if (list == nullptr || !list->is_array_of_tables()) {
    problems.Add(node->source().begin.line, fmt::format("{} must be an array of tables ([[{}]], one per {}), found {}",
                                                        name, name, one_per, TypeName(*node)));
    return nullptr;
  }
  return list;
}

void ReadPvArrays(const toml::table& root, Problems& problems, Site& site) {
  const toml::array* arrays = ArrayOfTables(root, "pv", "array", problems);
  if (arrays == nullptr) return;
  for (size_t i = 0; i < arrays->size(); ++i) {
    const toml::table& table = *arrays->get(i)->as_table();
    TableReader reader(table, fmt::format("pv[{}]", i), kPvKeys, problems);
    PvArraySpec pv = ReadPv(reader);
    for (const auto& other : site.pv) {
      if (!pv.name.empty() && other.name == pv.name) {
        reader.Report("name", "repeats the name of an earlier [[pv]] array (names must differ)");
      }
    }
    site.pv.push_back(std::move(pv));
  }
}

// One field of a vendor register map: { address = 100, type = "int16", scale = 0.1, input = true }.
RegisterField ReadRegisterField(TableReader t) {
  RegisterField f;
  if (auto v = t.Integer("address", Need::kRequired)) f.address = static_cast<int>(*v);
  static constexpr std::array<std::string_view, 5> kTypes = {"int16", "uint16", "int32", "uint32", "float32"};
  if (auto v = t.Choice("type", Need::kOptional, kTypes)) {
    const auto i = std::find(kTypes.begin(), kTypes.end(), *v) - kTypes.begin();
    f.type = static_cast<RegisterField::Type>(i);
  }
  if (auto v = t.Number("scale", Need::kOptional)) {
    if (*v == 0) {
      t.Report("scale", "must not be 0");
    } else {
      f.scale = *v;
    }
  }
  if (auto v = t.Bool("input", Need::kOptional)) f.input_register = *v;
  return f;
}

void ReadRegisters(const toml::table& table, const std::string& path, Problems& problems, VendorModbusMap& map) {
  TableReader t(table, path, kRegisterKeys, problems);
  RegisterField* fields[] = {&map.power_kw,         &map.soc_pct,  &map.max_charge_kw,
                             &map.max_discharge_kw, &map.rated_kw, &map.setpoint_kw,
                             &map.pv_limit_kw,      &map.cop,      &map.cooling_load_kw};
  static_assert(std::size(fields) == kRegisterKeys.size());
  for (size_t i = 0; i < kRegisterKeys.size(); ++i) {
    const std::string_view name = kRegisterKeys[i].name;
    const toml::node* node = table.get(name);
    if (node == nullptr) continue;
    if (!node->is_table()) {
      t.Report(name, "must be a table like { address = 100, type = \"int16\", scale = 0.1 }");
      continue;
    }
    *fields[i] = ReadRegisterField(
        TableReader(*node->as_table(), fmt::format("{}.{}", path, name), kRegisterFieldKeys, problems));
  }
  for (const RegisterField* w : {&map.setpoint_kw, &map.pv_limit_kw}) {
    if (w->address >= 0 && w->input_register)
      problems.Add(t.line(), fmt::format("{}: a setpoint register cannot be an input register (read-only)", path));
  }
}

// username / password_file and the TLS files of an MQTT device; files resolved like any other.
void ReadMqttSecurity(TableReader& t, const SitePaths& paths, MqttSpec& m) {
  const auto file = [&](const char* key, std::string& out) {
    if (!t.Has(key)) return;
    if (auto v = ResolveFile(t, key, paths)) out = *v;
  };
  if (auto v = t.String("username", Need::kOptional)) {
    if (v->empty()) {
      t.Report("username", "is empty: leave it out for anonymous access");
    } else {
      m.username = *v;
    }
  }
  file("password_file", m.password_file);
  if (t.Has("password_file") && !t.Has("username")) t.Report("password_file", "needs a username");
  file("tls_ca_file", m.tls_ca_file);
  file("tls_cert_file", m.tls_cert_file);
  file("tls_key_file", m.tls_key_file);
  if (t.Has("tls_cert_file") != t.Has("tls_key_file")) {
    t.Report(t.Has("tls_cert_file") ? "tls_cert_file" : "tls_key_file",
             "needs its pair: a client certificate takes tls_cert_file and tls_key_file together");
  }
  if ((t.Has("tls_cert_file") || t.Has("tls_key_file")) && !t.Has("tls_ca_file")) {
    t.Report("tls_cert_file", "needs tls_ca_file (TLS is on only with the broker's CA)");
  }
}

DeviceSpec ReadDevice(const toml::table& table, const std::string& path, const SitePaths& paths, Problems& problems) {
  TableReader t(table, path, kDeviceKeys, problems);
  DeviceSpec d;
  if (auto v = t.String("id", Need::kRequired)) d.id = *v;
  static constexpr std::array<std::string_view, 5> kKinds = {"meter", "pv", "battery", "generator", "thermal-storage"};
  if (auto v = t.Choice("kind", Need::kRequired, kKinds)) {
    d.kind = *v == "meter"       ? DeviceKind::kMeter
             : *v == "pv"        ? DeviceKind::kPv
             : *v == "battery"   ? DeviceKind::kBattery
             : *v == "generator" ? DeviceKind::kGenerator
                                 : DeviceKind::kThermalStorage;
  }
  static constexpr std::array<std::string_view, 2> kProtocols = {"modbus-tcp", "mqtt"};
  if (auto v = t.Choice("protocol", Need::kRequired, kProtocols)) {
    d.protocol = *v == "mqtt" ? DeviceProtocol::kMqtt : DeviceProtocol::kModbusTcp;
  }
  const bool mqtt = d.protocol == DeviceProtocol::kMqtt;
  std::string host = "127.0.0.1";
  if (auto v = t.String("host", Need::kRequired)) host = *v;
  int port = mqtt ? 1883 : 502;
  if (auto v = t.Integer("port", Need::kOptional)) port = static_cast<int>(*v);
  const auto lost = t.Integer("lost_after_ms", Need::kOptional);
  const char* modbus_only[] = {"unit_id",      "timeout_ms",          "retries",  "backoff_max_ms", "sunspec",
                               "sunspec_base", "power_sign_inverted", "registers"};
  const char* mqtt_only[] = {"topic_prefix", "keepalive_s",   "username",    "password_file",
                             "tls_ca_file",  "tls_cert_file", "tls_key_file"};
  for (const char* k : mqtt ? std::span<const char* const>(modbus_only) : std::span<const char* const>(mqtt_only)) {
    if (t.Has(k)) t.Report(k, fmt::format("does not apply to protocol \"{}\"", mqtt ? "mqtt" : "modbus-tcp"));
  }
  if (mqtt) {
    d.mqtt.host = host;
    d.mqtt.port = port;
    if (auto v = t.String("topic_prefix", Need::kOptional)) {
      if (v->find_first_of("+#") != std::string::npos || v->front() == '/' || v->back() == '/') {
        t.Report("topic_prefix", "must be a plain topic: no MQTT wildcards (+, #) and no leading or trailing /");
      } else {
        d.mqtt.topic_prefix = *v;
      }
    }
    if (auto v = t.Integer("keepalive_s", Need::kOptional)) d.mqtt.keepalive_s = static_cast<int>(*v);
    if (lost) d.mqtt.lost_after_ms = static_cast<int>(*lost);
    ReadMqttSecurity(t, paths, d.mqtt);
    return d;
  }
  ModbusSpec& m = d.modbus;
  m.host = host;
  m.port = port;
  if (auto v = t.Integer("unit_id", Need::kOptional)) m.unit_id = static_cast<int>(*v);
  // One exchange lasts at most (1 + retries) x timeout_ms (device/modbus/modbus_device.h); it runs
  // off the control thread (device/async_device.h), and must end well within lost_after_ms, so
  // that a device that stops answering is seen failing, not just silent, before it is lost.
  if (auto v = t.Integer("timeout_ms", Need::kOptional)) m.timeout_ms = static_cast<int>(*v);
  if (auto v = t.Integer("retries", Need::kOptional)) m.retries = static_cast<int>(*v);
  if (auto v = t.Integer("backoff_max_ms", Need::kOptional)) m.backoff_max_ms = static_cast<int>(*v);
  if (lost) m.lost_after_ms = static_cast<int>(*lost);
  if (const long exchange_ms = static_cast<long>(1 + m.retries) * m.timeout_ms; 2 * exchange_ms > m.lost_after_ms) {
    problems.Add(t.line(), fmt::format("{}: (1 + retries) x timeout_ms = (1 + {}) x {} = {} ms must be at most half of "
                                       "lost_after_ms = {} ms: lower them, or raise lost_after_ms",
                                       path, m.retries, m.timeout_ms, exchange_ms, m.lost_after_ms));
  }
  if (auto v = t.Bool("sunspec", Need::kOptional)) m.sunspec = *v;
  if (auto v = t.Integer("sunspec_base", Need::kOptional)) m.sunspec_base = static_cast<int>(*v);
  if (auto v = t.Bool("power_sign_inverted", Need::kOptional)) m.map.power_sign_inverted = *v;
  const toml::node* regs = table.get("registers");
  if (regs != nullptr && regs->is_table()) {
    ReadRegisters(*regs->as_table(), path + ".registers", problems, m.map);
  } else if (regs != nullptr) {
    t.Report("registers", "must be a table ([device.registers])");
  }
  if (m.sunspec && regs != nullptr) t.Report("registers", "is a vendor map: set sunspec = false to use it");
  if (!m.sunspec) {
    if (m.map.power_kw.address < 0)
      problems.Add(t.line(), fmt::format("{}: sunspec = false needs registers.power_kw", path));
    if (d.kind == DeviceKind::kBattery && m.map.soc_pct.address < 0) {
      problems.Add(t.line(), fmt::format("{}: a battery needs registers.soc_pct", path));
    }
    if (d.kind == DeviceKind::kBattery && m.map.setpoint_kw.address < 0) {
      problems.Add(t.line(), fmt::format("{}: a battery needs registers.setpoint_kw to be controlled", path));
    }
    if (d.kind == DeviceKind::kGenerator && m.map.setpoint_kw.address < 0) {
      problems.Add(t.line(), fmt::format("{}: a generator needs registers.setpoint_kw to be controlled", path));
    }
    if (d.kind == DeviceKind::kThermalStorage && (m.map.soc_pct.address < 0 || m.map.setpoint_kw.address < 0)) {
      problems.Add(t.line(),
                   fmt::format("{}: a thermal storage needs registers.soc_pct and registers.setpoint_kw", path));
    }
  } else if (d.kind == DeviceKind::kGenerator || d.kind == DeviceKind::kThermalStorage) {
    // SunSpec has no model the loop could command either with: they speak a vendor map.
    problems.Add(t.line(), fmt::format("{}: a {} needs sunspec = false and a vendor map ([device.registers] "
                                       "with power_kw and setpoint_kw)",
                                       path, d.kind == DeviceKind::kGenerator ? "generator" : "thermal storage"));
  }
  return d;
}

void ReadDevices(const toml::table& root, const SitePaths& paths, Problems& problems, Site& site) {
  const toml::array* list = ArrayOfTables(root, "device", "device", problems);
  if (list == nullptr) return;
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table& table = *list->get(i)->as_table();
    DeviceSpec d = ReadDevice(table, fmt::format("device[{}]", i), paths, problems);
    for (const auto& other : site.devices) {
      if (!d.id.empty() && other.id == d.id) {
        problems.Add(table.source().begin.line,
                     fmt::format("device[{}].id = \"{}\" repeats an earlier [[device]] id (ids must differ)", i, d.id));
      }
    }
    site.devices.push_back(std::move(d));
  }
  const bool has_meter = std::any_of(site.devices.begin(), site.devices.end(),
                                     [](const DeviceSpec& d) { return d.kind == DeviceKind::kMeter; });
  if (!site.devices.empty() && !has_meter) {
    problems.Add(list->source().begin.line,
                 "[[device]]: a site with devices needs a kind = \"meter\" at the grid connection");
  }
}

ChargerSpec ReadCharger(TableReader t) {
  ChargerSpec c;
  if (auto v = t.String("id", Need::kRequired)) c.id = *v;
  if (auto v = t.Integer("connectors", Need::kOptional)) c.connectors = static_cast<int>(*v);
  if (auto v = t.Number("max_current_a", Need::kOptional)) c.max_current_a = *v;
  if (auto v = t.Number("min_current_a", Need::kOptional)) c.min_current_a = *v;
  if (auto v = t.Integer("phases", Need::kOptional)) c.phases = static_cast<int>(*v);
  if (auto v = t.Number("voltage_v", Need::kOptional)) c.voltage_v = *v;
  if (auto v = t.Number("default_energy_kwh", Need::kOptional)) c.default_energy_kwh = *v;
  if (auto v = t.Number("default_dwell_h", Need::kOptional)) c.default_dwell_h = *v;
  if (auto v = t.Integer("priority", Need::kOptional)) c.priority = static_cast<int>(*v);
  if (c.phases == 2) t.Report("phases", "must be 1 or 3");
  if (c.min_current_a > c.max_current_a) t.Report("min_current_a", "is above max_current_a");
  // The id is the last segment of the charger's WebSocket URL: no '/', '?', '#', space or '%'.
  if (!c.id.empty() && c.id.find_first_of("/?# %") != std::string::npos) {
    t.Report("id", "is the charger's OCPP identity in its URL: it may not hold '/', '?', '#', '%' or a space");
  }
  return c;
}

void ReadChargers(const toml::table& root, Problems& problems, Site& site) {
  const toml::array* list = ArrayOfTables(root, "charger", "charger", problems);
  if (list == nullptr) return;
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table& table = *list->get(i)->as_table();
    TableReader reader(table, fmt::format("charger[{}]", i), kChargerKeys, problems);
    ChargerSpec c = ReadCharger(reader);
    for (const auto& other : site.chargers) {
      if (!c.id.empty() && other.id == c.id) reader.Report("id", "repeats an earlier [[charger]] id (ids must differ)");
    }
    site.chargers.push_back(std::move(c));
  }
}

EvSpec ReadEv(TableReader t, const SitePaths& paths) {
  EvSpec e;
  const bool file = t.Has("sessions");
  if (file) {
    if (auto v = ResolveFile(t, "sessions", paths)) e.sessions_file = *v;
  }
  static constexpr std::array<std::string_view, 1> kProfiles = {"car-park"};
  if (auto v = t.Choice("profile", Need::kOptional, kProfiles)) {
    CarParkProfile p;
    if (auto n = t.Integer("seed", Need::kOptional)) p.seed = static_cast<std::uint64_t>(*n);
    if (auto n = t.Number("weekday_use", Need::kOptional)) p.weekday_use = *n;
    if (auto n = t.Number("weekend_use", Need::kOptional)) p.weekend_use = *n;
    e.profile = p;
  } else {
    for (const char* key : {"seed", "weekday_use", "weekend_use"}) {
      if (t.Has(key)) t.Report(key, "is a parameter of profile = \"car-park\"; give the profile too");
    }
  }
  if (file && t.Has("profile")) t.Report("profile", "give either sessions (a file) or profile, not both");
  if (!file && !t.Has("profile")) t.Report("sessions", "is missing: give a session file or profile = \"car-park\"");
  return e;
}

OcppSpec ReadOcpp(TableReader t) {
  OcppSpec o;
  if (auto v = t.String("host", Need::kOptional)) o.host = *v;
  if (auto v = t.Integer("port", Need::kOptional)) o.port = static_cast<int>(*v);
  if (auto v = t.Integer("heartbeat_s", Need::kOptional)) o.heartbeat_s = static_cast<int>(*v);
  if (auto v = t.Integer("call_timeout_ms", Need::kOptional)) o.call_timeout_ms = static_cast<int>(*v);
  if (auto v = t.Integer("limit_grace_ms", Need::kOptional)) o.limit_grace_ms = static_cast<int>(*v);
  return o;
}

// The TOML document of a site or fleet file, or its syntax error with the line.
Result<toml::table> ParseToml(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return InvalidInput(fmt::format("{}:{}: TOML syntax: {}", source, e.source().begin.line, e.description()));
  } catch (const std::exception& e) {
    return InvalidInput(fmt::format("{}: cannot read as TOML: {}", source, e.what()));
  }
}

// Paths in the file at `path` resolve against its folder.
SitePaths PathsBeside(const std::string& path, const std::string& data_dir, const std::string& shared_dir) {
  SitePaths paths;
  paths.site_dir = std::filesystem::path(path).parent_path().string();
  paths.data_dir = data_dir;
  paths.shared_dir = shared_dir;
  return paths;
}

constexpr std::array kFleetKeys = {KeyDef{"name", ""}};
constexpr std::array kFleetSiteKeys = {KeyDef{"id", ""}, KeyDef{"kind", ""}, KeyDef{"file", ""},
                                       KeyDef{"controller", ""}};

}  // namespace

bool ValidSiteId(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '-') return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

Result<FleetSpec> ParseFleetToml(std::string_view text, std::string_view source, const SitePaths& paths) {
  MEG_TRY_ASSIGN(root, ParseToml(text, source));
  Problems problems;
  FleetSpec fleet;
  for (const auto& [key, node] : root) {
    if (key.str() == "fleet" || key.str() == "site") continue;
    problems.Add(node.source().begin.line,
                 fmt::format("unknown top-level key or table '{}' (a fleet file has [fleet] and [[site]])",
                             Excerpt(key.str())));
  }
  if (const auto* t = Table(root, "fleet", Need::kOptional, problems)) {
    TableReader r(*t, "fleet", kFleetKeys, problems);
    if (auto v = r.String("name", Need::kOptional)) fleet.name = *v;
  }
  static constexpr std::array<std::string_view, 4> kControllers = {"mpc", "mpc-persistence", "peak-shave", "none"};
  const toml::node* node = root.get("site");
  const toml::array* sites = node != nullptr ? node->as_array() : nullptr;
  if (node == nullptr) {
    problems.Add(0, "no [[site]]: a fleet file lists its sites as [[site]] tables");
  } else if (sites == nullptr || !sites->is_array_of_tables()) {
    problems.Add(node->source().begin.line,
                 fmt::format("site must be an array of tables ([[site]], one per site), found {}", TypeName(*node)));
  } else if (sites->size() > static_cast<size_t>(kMaxFleetFileSites)) {
    problems.Add(node->source().begin.line,
                 fmt::format("{} sites: a fleet file lists at most {}", sites->size(), kMaxFleetFileSites));
  } else {
    for (size_t i = 0; i < sites->size(); ++i) {
      TableReader r(*sites->get(i)->as_table(), fmt::format("site[{}]", i), kFleetSiteKeys, problems);
      FleetSiteSpec spec;
      if (auto v = r.String("id", Need::kRequired)) {
        if (!ValidSiteId(*v)) {
          r.Report("id", "is not a site id (1-64 of a-z, 0-9 and '-', not starting with '-')");
        } else if (std::any_of(fleet.sites.begin(), fleet.sites.end(),
                               [&](const FleetSiteSpec& o) { return o.id == *v; })) {
          r.Report("id", "repeats the id of an earlier [[site]] (ids must differ)");
        } else {
          spec.id = *v;
        }
      }
      if (auto v = r.String("kind", Need::kRequired)) spec.kind = *v;
      if (auto v = ResolveFile(r, "file", paths)) spec.file = *v;
      if (auto v = r.Choice("controller", Need::kOptional, kControllers)) spec.controller = *v;
      fleet.sites.push_back(std::move(spec));
    }
  }
  if (!problems.empty()) return problems.ToError(source);
  return fleet;
}

Result<FleetSpec> LoadFleetFile(const std::string& path, const std::string& data_dir, const std::string& shared_dir) {
  auto text = ReadTextFile(path, kMaxSiteFileBytes);
  if (!text) return text.error();
  const SitePaths paths = PathsBeside(path, data_dir, shared_dir);
  return ParseFleetToml(*text, path, paths);
}

Result<Site> ParseSiteToml(std::string_view text, std::string_view source, const SitePaths& paths) {
  MEG_TRY_ASSIGN(root, ParseToml(text, source));

  Problems problems;
  Site site;
  site.file = std::string(source);
  ReportUnknownTopLevel(root, problems);
  if (const auto* t = Table(root, "site", Need::kRequired, problems)) {
    ReadSite(TableReader(*t, "site", kSiteKeys, problems), site);
  }
  if (const auto* t = Table(root, "tariff", Need::kRequired, problems)) {
    ReadTariff(TableReader(*t, "tariff", kTariffKeys, problems), site);
  }
  if (const auto* t = Table(root, "load", Need::kRequired, problems)) {
    ReadLoad(TableReader(*t, "load", kLoadKeys, problems), paths, site);
  }
  if (const auto* t = Table(root, "weather", Need::kRequired, problems)) {
    ReadWeather(TableReader(*t, "weather", kWeatherKeys, problems), paths, site);
  }
  if (const auto* t = Table(root, "weather_forecast", Need::kOptional, problems)) {
    site.weather_forecast = ReadWeatherForecast(TableReader(*t, "weather_forecast", kWeatherForecastKeys, problems));
  }
  ReadPvArrays(root, problems, site);
  if (const auto* t = Table(root, "ess", Need::kOptional, problems)) {
    site.ess = ReadEss(TableReader(*t, "ess", kEssKeys, problems));
  }
  if (const auto* t = Table(root, "grid", Need::kOptional, problems)) {
    site.grid = ReadGrid(TableReader(*t, "grid", kGridKeys, problems));
  }
  if (const auto* t = Table(root, "generator", Need::kOptional, problems)) {
    site.generator = ReadGenerator(TableReader(*t, "generator", kGeneratorKeys, problems));
  }
  if (const auto* t = Table(root, "cooling", Need::kOptional, problems)) {
    site.cooling = ReadCooling(TableReader(*t, "cooling", kCoolingKeys, problems));
    if (site.load.format != "doe-hospital") {
      problems.Add(t->source().begin.line,
                   "[cooling] needs load.format = \"doe-hospital\": the chillers' electricity is one of its end uses "
                   "(load_column)");
    }
    if (site.weather.file.empty()) {
      problems.Add(t->source().begin.line, "[cooling] needs a [weather] file: the COP follows the outdoor temperature");
    }
  }
  if (const auto* t = Table(root, "thermal_storage", Need::kOptional, problems)) {
    site.thermal_storage = ReadThermalStorage(TableReader(*t, "thermal_storage", kThermalStorageKeys, problems));
    if (!root.get("cooling")) {
      problems.Add(t->source().begin.line, "[thermal_storage] needs [cooling]: the chillers that charge it");
    }
  }
  ReadDevices(root, paths, problems, site);
  ReadChargers(root, problems, site);
  if (const auto* t = Table(root, "ocpp", Need::kOptional, problems)) {
    site.ocpp = ReadOcpp(TableReader(*t, "ocpp", kOcppKeys, problems));
    if (site.chargers.empty()) problems.Add(t->source().begin.line, "[ocpp] has no [[charger]] to serve");
  }
  if (const auto* t = Table(root, "ev", Need::kOptional, problems)) {
    site.ev = ReadEv(TableReader(*t, "ev", kEvKeys, problems), paths);
    if (site.chargers.empty()) problems.Add(t->source().begin.line, "[ev] has no [[charger]] for its cars");
  }
  const bool generator_device = std::any_of(site.devices.begin(), site.devices.end(),
                                            [](const DeviceSpec& d) { return d.kind == DeviceKind::kGenerator; });
  const bool storage_device = std::any_of(site.devices.begin(), site.devices.end(),
                                          [](const DeviceSpec& d) { return d.kind == DeviceKind::kThermalStorage; });
  if (storage_device && !site.thermal_storage) {
    problems.Add(0, "a [[device]] of kind = \"thermal-storage\" needs the site's [thermal_storage] and [cooling]");
  }
  if (generator_device && !site.generator) {
    problems.Add(0,
                 "a [[device]] of kind = \"generator\" needs the site's [generator] (its rating, efficiency and fuel)");
  }
  if (!problems.empty()) return problems.ToError(source);
  return site;
}

Result<Site> LoadSiteFile(const std::string& path, const std::string& data_dir, const std::string& shared_dir) {
  auto text = ReadTextFile(path, kMaxSiteFileBytes);
  if (!text) return text.error();
  const SitePaths paths = PathsBeside(path, data_dir, shared_dir);
  return ParseSiteToml(*text, path, paths);
}

}  // namespace meg
