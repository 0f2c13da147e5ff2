#include "tariff/tariff_book.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "core/site.h"
#include "core/text.h"

namespace meg {
namespace {

using std::chrono::sys_days;

// A parsed CSV table: header names and rows of fields, each row with its line number.
struct Table {
  std::string name;
  std::vector<std::string> header;
  struct Row {
    int line = 0;
    std::vector<std::string> fields;
  };
  std::vector<Row> rows;

  std::string Where(const Row& r) const { return fmt::format("{}:{}", name, r.line); }
};

Result<Table> ParseTable(const TariffFiles::File& file, const std::vector<std::string>& expected) {
  auto lines = SplitLines(file.text, file.name);
  if (!lines) return lines.error();
  Table table{file.name, {}, {}};
  for (const auto& line : *lines) {
    const auto text = Trim(line.text);
    if (text.empty() || text.front() == '#') continue;  // comments document the sources
    auto fields = SplitCsv(text);
    if (!fields) return InvalidInput(fmt::format("{}:{}: {}", file.name, line.number, fields.error().message));
    for (auto& f : *fields) f = std::string(Trim(f));
    if (table.header.empty()) {
      if (*fields != expected) {
        std::string want;
        for (const auto& e : expected) want += (want.empty() ? "" : ",") + e;
        return InvalidInput(fmt::format("{}:{}: expected the header '{}'", file.name, line.number, want));
      }
      table.header = *fields;
      continue;
    }
    if (fields->size() != expected.size()) {
      return InvalidInput(
          fmt::format("{}:{}: expected {} fields, found {}", file.name, line.number, expected.size(), fields->size()));
    }
    table.rows.push_back(Table::Row{line.number, std::move(*fields)});
  }
  if (table.header.empty()) return InvalidInput(fmt::format("{}: the file has no header", file.name));
  return table;
}

// Each class's official name (별표1), the forms the terms also use, and its ASCII alias.
struct ClassNames {
  TariffClass tariff_class;
  std::string_view name;       // "일반용(갑)I"
  std::string_view long_name;  // "일반용전력(갑)Ⅰ"
  std::string_view alias;      // "general-gap-1"
};
constexpr ClassNames kClassNames[] = {
    {TariffClass::kGeneralEul, "일반용(을)", "일반용전력(을)", "general-eul"},
    {TariffClass::kIndustrialEul, "산업용(을)", "산업용전력(을)", "industrial-eul"},
    {TariffClass::kGeneralGap1, "일반용(갑)I", "일반용전력(갑)Ⅰ", "general-gap-1"},
    {TariffClass::kGeneralGap2, "일반용(갑)II", "일반용전력(갑)Ⅱ", "general-gap-2"},
    {TariffClass::kIndustrialGap1, "산업용(갑)I", "산업용전력(갑)Ⅰ", "industrial-gap-1"},
    {TariffClass::kIndustrialGap2, "산업용(갑)II", "산업용전력(갑)Ⅱ", "industrial-gap-2"},
    {TariffClass::kEducationGap, "교육용(갑)", "교육용전력(갑)", "education-gap"},
    {TariffClass::kEducationEul, "교육용(을)", "교육용전력(을)", "education-eul"},
    {TariffClass::kFarmGap, "농사용(갑)", "농사용전력(갑)", "farm-gap"},
    {TariffClass::kFarmEul, "농사용(을)", "농사용전력(을)", "farm-eul"},
    {TariffClass::kEvOwn, "전기차충전(자가소비용)", "전기자동차충전전력(자가소비용)", "ev-own"},
    {TariffClass::kEvService, "전기차충전(사업자용)", "전기자동차충전전력(충전서비스제공사업자용)", "ev-service"},
    {TariffClass::kResidential, "주택용", "주택용전력", "residential"},
};
static_assert(std::size(kClassNames) == kTariffClassCount);

const ClassNames& NamesOf(TariffClass c) {
  for (const auto& n : kClassNames) {
    if (n.tariff_class == c) return n;
  }
  return kClassNames[0];  // unreachable: every enumerator is listed (static_assert above)
}

// "일반용(갑)Ⅰ" and "일반용(갑)1" read as "일반용(갑)I".
std::string NormalizeRoman(std::string_view s) {
  std::string out(s);
  const std::pair<std::string_view, std::string_view> forms[] = {{"Ⅱ", "II"}, {"Ⅰ", "I"}, {"2", "II"}, {"1", "I"}};
  for (const auto& [from, to] : forms) {
    if (out.ends_with(from)) {
      out.replace(out.size() - from.size(), from.size(), to);
      break;
    }
  }
  return out;
}

Result<TariffClass> ParseClass(std::string_view s) {
  const std::string n = NormalizeRoman(s);
  for (const auto& c : kClassNames) {
    if (s == c.name || s == c.long_name || s == c.alias || n == c.name || n == NormalizeRoman(c.long_name)) {
      return c.tariff_class;
    }
  }
  std::string known;
  for (const auto& c : kClassNames) known += fmt::format("{}{} {}", known.empty() ? "" : ", ", c.name, c.alias);
  return InvalidInput(fmt::format("unknown contract class '{}' (known: {})", s, known));
}

Result<RateOption> ParseOption(std::string_view s) {
  const std::string_view given = s;
  if (s == "-" || s.empty()) return RateOption::kNone;
  if (s.starts_with("선택")) s.remove_prefix(std::string_view("선택").size());
  if (s.starts_with("option-")) s.remove_prefix(7);
  if (s == "I" || s == "Ⅰ" || s == "1" || s == "i") return RateOption::kI;
  if (s == "II" || s == "Ⅱ" || s == "2" || s == "ii") return RateOption::kII;
  if (s == "III" || s == "Ⅲ" || s == "3" || s == "iii") return RateOption::kIII;
  if (s == "IV" || s == "Ⅳ" || s == "4" || s == "iv") return RateOption::kIV;
  return InvalidInput(
      fmt::format("unknown option '{}' (known: 선택I/II/III/IV, I, II, III, IV; '-' for a table without)", given));
}

Result<Season> ParseSeason(std::string_view s) {
  if (s == "summer") return Season::kSummer;
  if (s == "spring_fall") return Season::kSpringFall;
  if (s == "winter") return Season::kWinter;
  return InvalidInput(fmt::format("unknown season '{}' (summer, spring_fall, winter)", s));
}

Result<Band> ParseBand(std::string_view s) {
  if (s == "off_peak") return Band::kOffPeak;
  if (s == "mid") return Band::kMid;
  if (s == "peak") return Band::kPeak;
  return InvalidInput(fmt::format("unknown band '{}' (off_peak, mid, peak)", s));
}

// "HH:MM" on a 15-minute boundary, 00:00..24:00, as minutes of the day.
Result<int> ParseClock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return InvalidInput(fmt::format("'{}' is not a time HH:MM", s));
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) || m % 15 != 0) {
    return InvalidInput(fmt::format("'{}' is not a 15-minute boundary 00:00..24:00", s));
  }
  return h * 60 + m;
}

template <typename T>
Status Into(Result<T> r, T& out, const std::string& where) {
  if (!r) return InvalidInput(where + ": " + r.error().message);
  out = *r;
  return Ok{};
}

Result<std::vector<RateTable>> ParseRates(const TariffFiles::File& file) {
  auto table = ParseTable(file, {"class", "voltage", "option", "effective_from", "season", "basic_krw_per_kw",
                                 "offpeak_krw_per_kwh", "mid_krw_per_kwh", "peak_krw_per_kwh", "source"});
  if (!table) return table.error();
  // (id, effective_from) -> table being filled, with the seasons seen.
  std::map<std::pair<TariffId, int>, std::pair<RateTable, std::array<int, 3>>> versions;
  for (const auto& row : table->rows) {
    const auto where = table->Where(row);
    const auto& f = row.fields;
    TariffId id;
    Date from;
    Season season{};
    WonPerKw basic;
    std::array<WonPerKwh, 3> energy;
    MEG_TRY(Into(ParseClass(f[0]), id.tariff_class, where));
    MEG_TRY(Into(ParseVoltage(f[1]), id.voltage, where));
    MEG_TRY(Into(ParseOption(f[2]), id.option, where));
    MEG_TRY(Into(ParseDate(f[3]), from, where));
    MEG_TRY(Into(ParseSeason(f[4]), season, where));
    MEG_TRY(Into(WonPerKw::FromDecimal(f[5]), basic, where));
    for (int b = 0; b < 3; ++b) {
      MEG_TRY(Into(WonPerKwh::FromDecimal(f[6 + b]), energy[b], where));
      if (energy[b].milli_won() <= 0) return InvalidInput(where + ": energy rates must be positive");
    }
    if (basic.milli_won() <= 0) return InvalidInput(where + ": the basic rate must be positive");
    if (HasOptions(id.tariff_class, id.voltage) != (id.option != RateOption::kNone)) {
      return InvalidInput(
          fmt::format("{}: {} {} {}", where, ClassName(id.tariff_class), VoltageName(id.voltage),
                      HasOptions(id.tariff_class, id.voltage)
                          ? "tables come in options: name it (선택I, II, ...)"
                          : "has no option: give '-' (저압, 농사용 and EV 자가소비용 tables have none)"));
    }
    if (RulesOf(id.tariff_class).blocks) {
      return InvalidInput(fmt::format("{}: {} is priced by blocks per household: its tables are in residential.csv",
                                      where, ClassName(id.tariff_class)));
    }
    if (!RulesOf(id.tariff_class).time_of_use && (energy[0] != energy[1] || energy[1] != energy[2])) {
      return InvalidInput(
          fmt::format("{}: {} has one energy rate for all hours (art. 67 ⑧): give it in all three "
                      "band columns",
                      where, ClassName(id.tariff_class)));
    }
    if (f[9].empty()) return InvalidInput(where + ": every row needs its source");
    const int key_day = static_cast<int>(sys_days{from}.time_since_epoch().count());
    auto& [rt, seen] = versions[{id, key_day}];
    const auto s = static_cast<size_t>(season);
    if (seen[s] != 0) {
      return InvalidInput(fmt::format("{}: {} {} {} is listed twice for {} (first on line {})", where, OfficialName(id),
                                      f[3], f[4], f[4], seen[s]));
    }
    if (seen[0] + seen[1] + seen[2] > 0 && rt.basic != basic) {
      return InvalidInput(where + ": the basic rate differs between seasons of one table");
    }
    seen[s] = row.line;
    rt.id = id;
    rt.effective_from = from;
    rt.basic = basic;
    rt.energy[s] = energy;
    if (rt.source.find(f[9]) == std::string::npos) rt.source += (rt.source.empty() ? "" : "; ") + f[9];
  }
  std::vector<RateTable> out;
  for (auto& [key, value] : versions) {
    const auto& [rt, seen] = value;
    for (int s = 0; s < 3; ++s) {
      if (seen[s] == 0) {
        return InvalidInput(fmt::format("{}: {} from {} has no {} row", file.name, OfficialName(rt.id),
                                        FormatDate(rt.effective_from), SeasonName(static_cast<Season>(s))));
      }
    }
    out.push_back(rt);
  }
  return out;  // map order: (id, effective_from) ascending
}

Result<std::vector<BandTable>> ParseBands(const TariffFiles::File& file) {
  auto table = ParseTable(file, {"class", "effective_from", "season", "band", "from", "to", "source"});
  if (!table) return table.error();
  struct Fill {
    BandTable table;
    std::array<std::array<int, kIntervalsPerDay>, 3> line{};  // line that set each slot
  };
  std::map<std::pair<int, int>, Fill> versions;
  for (const auto& row : table->rows) {
    const auto where = table->Where(row);
    const auto& f = row.fields;
    TariffClass cls{};
    Date from;
    Season season{};
    Band band{};
    int lo = 0, hi = 0;
    // "제주": the hours of every time-of-use class on Jeju (별표3 다만 4).
    const bool jeju = f[0] == "제주" || f[0] == "jeju";
    if (!jeju) MEG_TRY(Into(ParseClass(f[0]), cls, where));
    if (!RulesOf(cls).time_of_use) {
      return InvalidInput(fmt::format("{}: {} has no hour bands (art. 67 ⑧)", where, ClassName(cls)));
    }
    MEG_TRY(Into(ParseDate(f[1]), from, where));
    MEG_TRY(Into(ParseSeason(f[2]), season, where));
    MEG_TRY(Into(ParseBand(f[3]), band, where));
    MEG_TRY(Into(ParseClock(f[4]), lo, where));
    MEG_TRY(Into(ParseClock(f[5]), hi, where));
    if (hi <= lo) return InvalidInput(where + ": 'to' must be after 'from' (split ranges over midnight)");
    if (f[6].empty()) return InvalidInput(where + ": every row needs its source");
    const int key_day = static_cast<int>(sys_days{from}.time_since_epoch().count());
    auto& fill = versions[{jeju ? -1 : static_cast<int>(cls), key_day}];
    fill.table.tariff_class = cls;
    fill.table.region = jeju ? Region::kJeju : Region::kMainland;
    fill.table.effective_from = from;
    if (fill.table.source.find(f[6]) == std::string::npos) {
      fill.table.source += (fill.table.source.empty() ? "" : "; ") + f[6];
    }
    const auto s = static_cast<size_t>(season);
    for (int slot = lo / 15; slot < hi / 15; ++slot) {
      if (fill.line[s][slot] != 0) {
        return InvalidInput(fmt::format("{}: {:02d}:{:02d} is already in a band from line {}", where, slot / 4,
                                        slot % 4 * 15, fill.line[s][slot]));
      }
      fill.line[s][slot] = row.line;
      fill.table.slots[s][slot] = band;
    }
  }
  std::vector<BandTable> out;
  for (auto& [key, fill] : versions) {
    for (int s = 0; s < 3; ++s) {
      for (int slot = 0; slot < kIntervalsPerDay; ++slot) {
        if (fill.line[s][slot] == 0) {
          return InvalidInput(
              fmt::format("{}: {} from {}, {}: {:02d}:{:02d} is in no band", file.name,
                          fill.table.region == Region::kJeju ? std::string("제주") : ClassName(fill.table.tariff_class),
                          FormatDate(fill.table.effective_from), SeasonName(static_cast<Season>(s)), slot / 4,
                          slot % 4 * 15));
        }
      }
    }
    out.push_back(fill.table);
  }
  return out;
}

Result<ResidentialSeason> ParseResidentialSeason(std::string_view s) {
  if (s == "jul_aug") return ResidentialSeason::kJulAug;
  if (s == "dec_feb") return ResidentialSeason::kDecFeb;
  if (s == "other") return ResidentialSeason::kOther;
  return InvalidInput(fmt::format("unknown 주택용 season '{}' (jul_aug, dec_feb, other)", s));
}

// A whole number of won, or '-' for none (0) where `dash_ok`.
Result<Won> ParseWholeWon(std::string_view s, bool dash_ok) {
  if (dash_ok && s == "-") return Won(0);
  auto milli = ParseThousandths(s);
  if (!milli) return milli.error();
  if (*milli < 0 || *milli % 1000 != 0) return InvalidInput(fmt::format("'{}' is not a whole number of won", s));
  return Won(*milli / 1000);
}

Result<std::int64_t> ParseKwh(std::string_view s) {
  auto milli = ParseThousandths(s);
  if (!milli) return milli.error();
  if (*milli <= 0 || *milli % 1000 != 0 || *milli > 1'000'000'000) {
    return InvalidInput(fmt::format("'{}' is not a whole number of kWh, 1..1000000", s));
  }
  return *milli / 1000;
}

Result<std::vector<ResidentialTable>> ParseResidential(const TariffFiles::File& file) {
  if (Trim(file.text).empty()) return std::vector<ResidentialTable>{};
  auto table =
      ParseTable(file, {"voltage", "effective_from", "season", "block1_upto_kwh", "block2_upto_kwh", "basic1_krw",
                        "basic2_krw", "basic3_krw", "energy1_krw_per_kwh", "energy2_krw_per_kwh", "energy3_krw_per_kwh",
                        "super_user_above_kwh", "super_user_krw_per_kwh", "minimum_krw", "source"});
  if (!table) return table.error();
  std::vector<ResidentialTable> out;
  std::map<std::tuple<int, int, int>, int> line_of;  // (voltage, day, season) -> line
  for (const auto& row : table->rows) {
    const auto where = table->Where(row);
    const auto& f = row.fields;
    ResidentialTable t;
    MEG_TRY(Into(ParseVoltage(f[0]), t.voltage, where));
    MEG_TRY(Into(ParseDate(f[1]), t.effective_from, where));
    MEG_TRY(Into(ParseResidentialSeason(f[2]), t.season, where));
    MEG_TRY(Into(ParseKwh(f[3]), t.block_upto_kwh[0], where));
    MEG_TRY(Into(ParseKwh(f[4]), t.block_upto_kwh[1], where));
    if (t.block_upto_kwh[1] <= t.block_upto_kwh[0]) {
      return InvalidInput(where + ": block 2 must end above block 1 (block2_upto_kwh > block1_upto_kwh)");
    }
    for (int i = 0; i < 3; ++i) {
      MEG_TRY(Into(ParseWholeWon(f[5 + i], false), t.basic[i], where));
      MEG_TRY(Into(WonPerKwh::FromDecimal(f[8 + i]), t.energy[i], where));
      if (t.energy[i].milli_won() <= 0) return InvalidInput(where + ": energy rates must be positive");
    }
    if ((f[11] == "-") != (f[12] == "-")) {
      return InvalidInput(where + ": give both super_user_above_kwh and super_user_krw_per_kwh, or '-' for both");
    }
    if (f[11] != "-") {
      MEG_TRY(Into(ParseKwh(f[11]), t.super_user_above_kwh, where));
      MEG_TRY(Into(WonPerKwh::FromDecimal(f[12]), t.super_user_rate, where));
      if (t.super_user_above_kwh < t.block_upto_kwh[1] || t.super_user_rate.milli_won() <= 0) {
        return InvalidInput(where + ": the super-user rate starts beyond block 2, at a positive rate");
      }
    }
    MEG_TRY(Into(ParseWholeWon(f[13], true), t.minimum, where));
    t.source = f[14];
    if (t.source.empty()) return InvalidInput(where + ": every row needs its source");
    const int day = static_cast<int>(sys_days{t.effective_from}.time_since_epoch().count());
    auto [it, fresh] = line_of.try_emplace({static_cast<int>(t.voltage), day, static_cast<int>(t.season)}, row.line);
    if (!fresh) {
      return InvalidInput(fmt::format("{}: 주택용 {} {} {} is listed twice (first on line {})", where,
                                      VoltageName(t.voltage), f[1], f[2], it->second));
    }
    out.push_back(std::move(t));
  }
  // Every version has its three seasons.
  for (const auto& [key, line] : line_of) {
    for (int s = 0; s < 3; ++s) {
      if (!line_of.contains({std::get<0>(key), std::get<1>(key), s})) {
        return InvalidInput(fmt::format("{}:{}: 주택용 {} from this date has no {} row", file.name, line,
                                        VoltageName(static_cast<Voltage>(std::get<0>(key))),
                                        ResidentialSeasonName(static_cast<ResidentialSeason>(s))));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const ResidentialTable& a, const ResidentialTable& b) {
    return std::tuple(a.voltage, a.season, sys_days{a.effective_from}) <
           std::tuple(b.voltage, b.season, sys_days{b.effective_from});
  });
  return out;
}

Result<Charge> ParseChargeName(std::string_view s) {
  static const std::pair<std::string_view, Charge> kNames[] = {
      {"climate_krw_per_kwh", Charge::kClimateWonPerKwh},
      {"fuel_cap_krw_per_kwh", Charge::kFuelCapWonPerKwh},
      {"fund_pct", Charge::kFundPct},
      {"vat_pct", Charge::kVatPct},
      {"pf_lag_standard_pct", Charge::kPfLagStandardPct},
      {"pf_lag_cap_pct", Charge::kPfLagCapPct},
      {"pf_lead_standard_pct", Charge::kPfLeadStandardPct},
      {"pf_floor_pct", Charge::kPfFloorPct},
      {"pf_step_pct_of_basic", Charge::kPfStepPctOfBasic},
  };
  for (const auto& [name, c] : kNames) {
    if (s == name) return c;
  }
  return InvalidInput(fmt::format("unknown charge '{}'", s));
}

Status ParseCharges(const TariffFiles::File& file,
                    std::array<std::vector<DatedValue>, static_cast<size_t>(Charge::kCount)>& out) {
  auto table = ParseTable(file, {"name", "effective_from", "value", "source"});
  if (!table) return table.error();
  for (const auto& row : table->rows) {
    const auto where = table->Where(row);
    Charge c{};
    Date from;
    std::int64_t milli = 0;
    MEG_TRY(Into(ParseChargeName(row.fields[0]), c, where));
    MEG_TRY(Into(ParseDate(row.fields[1]), from, where));
    MEG_TRY(Into(ParseThousandths(row.fields[2]), milli, where));
    if (row.fields[3].empty()) return InvalidInput(where + ": every row needs its source");
    out[static_cast<size_t>(c)].push_back(DatedValue{from, milli, row.fields[3]});
  }
  for (auto& v : out) {
    std::sort(v.begin(), v.end(), [](const DatedValue& a, const DatedValue& b) {
      return sys_days{a.effective_from} < sys_days{b.effective_from};
    });
  }
  return Ok{};
}

Result<std::vector<FuelAdjustment>> ParseFuel(const TariffFiles::File& file) {
  auto table = ParseTable(file, {"quarter", "krw_per_kwh", "source"});
  if (!table) return table.error();
  std::vector<FuelAdjustment> out;
  for (const auto& row : table->rows) {
    const auto where = table->Where(row);
    const auto& q = row.fields[0];
    const bool digits =
        q.size() == 7 && std::all_of(q.begin(), q.begin() + 4, [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || q[4] != '-' || q[5] != 'Q' || q[6] < '1' || q[6] > '4') {
      return InvalidInput(where + ": quarter '" + q + "' is not YYYY-Qn");
    }
    FuelAdjustment fa;
    fa.year = std::stoi(q.substr(0, 4));
    fa.quarter = q[6] - '0';
    MEG_TRY(Into(WonPerKwh::FromDecimal(row.fields[1]), fa.rate, where));
    fa.source = row.fields[2];
    if (fa.source.empty()) return InvalidInput(where + ": every row needs its source");
    out.push_back(fa);
  }
  return out;
}

Result<std::vector<EnergyDiscount>> ParseDiscounts(const TariffFiles::File& file) {
  auto table = ParseTable(file, {"class", "effective_from", "effective_to", "season", "days", "from", "to",
                                 "discount_pct", "source"});
  if (!table) return table.error();
  std::vector<EnergyDiscount> out;
  for (const auto& row : table->rows) {
    const auto where = table->Where(row);
    const auto& f = row.fields;
    EnergyDiscount d;
    MEG_TRY(Into(ParseClass(f[0]), d.tariff_class, where));
    MEG_TRY(Into(ParseDate(f[1]), d.effective_from, where));
    MEG_TRY(Into(ParseDate(f[2]), d.effective_to, where));
    MEG_TRY(Into(ParseSeason(f[3]), d.season, where));
    d.saturday = f[4].find("saturday") != std::string::npos;
    d.sunday_holiday = f[4].find("sunday_holiday") != std::string::npos;
    if (!d.saturday && !d.sunday_holiday) {
      return InvalidInput(where + ": days must name saturday and/or sunday_holiday");
    }
    MEG_TRY(Into(ParseClock(f[5]), d.from_minute, where));
    MEG_TRY(Into(ParseClock(f[6]), d.to_minute, where));
    MEG_TRY(Into(Percent::FromDecimal(f[7]), d.discount, where));
    if (d.discount.milli_percent() <= 0 || d.discount.milli_percent() > 100'000) {
      return InvalidInput(where + ": discount_pct must be in (0, 100]");
    }
    d.source = f[8];
    if (d.source.empty()) return InvalidInput(where + ": every row needs its source");
    out.push_back(d);
  }
  return out;
}

std::vector<std::string> SplitName(std::string_view name) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : name) {
    if (c == ' ' || c == '/' || c == '\t') {
      if (!cur.empty()) parts.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) parts.push_back(std::move(cur));
  return parts;
}

}  // namespace

Result<Voltage> ParseVoltage(std::string_view s) {
  if (s == "저압" || s == "low") return Voltage::kLow;
  if (s == "고압A" || s == "high-a") return Voltage::kHighA;
  if (s == "고압B" || s == "high-b") return Voltage::kHighB;
  if (s == "고압C" || s == "high-c") return Voltage::kHighC;
  return InvalidInput(
      fmt::format("unknown voltage '{}' (known: 저압 low, 고압A high-a, 고압B high-b, 고압C high-c)", s));
}

ClassRules RulesOf(TariffClass c) {
  switch (c) {
    case TariffClass::kGeneralEul: return {Use::kGeneral, true, 300, 1e300};
    case TariffClass::kIndustrialEul: return {Use::kIndustrial, true, 300, 1e300};
    // (갑): 4 kW or more and below 300 kW (art. 57 ② 1, 59 ② 1).
    case TariffClass::kGeneralGap1: return {Use::kGeneral, false, 4, 300};
    case TariffClass::kIndustrialGap1: return {Use::kIndustrial, false, 4, 300};
    case TariffClass::kGeneralGap2: return {Use::kGeneral, true, 4, 300};
    case TariffClass::kIndustrialGap2: return {Use::kIndustrial, true, 4, 300};
    // 교육용: contract power of 4 kW or more (art. 58 ①), (을) from 1,000 kW (art. 58 ② 2).
    case TariffClass::kEducationGap: return {Use::kEducation, false, 4, 1000};
    case TariffClass::kEducationEul: return {Use::kEducation, true, 1000, 1e300};
    // 농사용: by purpose (art. 60 ①), no contract-power class limit but (을)'s 1,000 kW, which art.
    // 60 ② lifts for producer groups (kept open here); one rate per season (art. 67 ⑧ names
    // (을) 고압A/B; (갑) and (을) 저압 have one rate all year), no options.
    case TariffClass::kFarmGap:
      return {Use::kFarmPumping, false, kMinAnyContractKw, 1e300, ClassRules::Options::kNever, false};
    case TariffClass::kFarmEul: return {Use::kFarm, false, kMinAnyContractKw, 1e300, ClassRules::Options::kNever, true};
    // EV charging: the sheet's time-of-use rates on its hours; no contract-power limit is stated,
    // and art. 67-3 ① does not list these tariffs.
    case TariffClass::kEvOwn: return {Use::kEvOwn, true, kMinAnyContractKw, 1e300, ClassRules::Options::kNever, false};
    case TariffClass::kEvService:
      return {Use::kEvService, true, kMinAnyContractKw, 1e300, ClassRules::Options::kAlways, false};
    // 주택용 (art. 56): residential customers of any contract power (and any customer of 3 kW or
    // less, art. 56 ① 2).
    case TariffClass::kResidential:
      return {Use::kResidential, false, kMinAnyContractKw, 1e300, ClassRules::Options::kNever, false, true};
  }
  return {};
}

namespace {
// 일반용(갑)I or 산업용(갑)I: the classes art. 57 ③④ and 59 ③⑤ speak of.
bool IsGapOne(TariffClass c) { return c == TariffClass::kGeneralGap1 || c == TariffClass::kIndustrialGap1; }
}  // namespace

KwRange ContractKwRange(TariffId id) {
  const ClassRules r = RulesOf(id.tariff_class);
  KwRange range{r.min_kw, std::min(r.below_kw, kMaxContractKw + 1)};
  if (IsGapOne(id.tariff_class) && id.voltage == Voltage::kLow) range.below_kw = 500;  // art. 57 ③, 59 ③
  // Art. 58 ④: a school under 초·중등교육법 of 1,000 kW or more may keep 교육용(갑)'s 고압 table.
  if (id.tariff_class == TariffClass::kEducationGap && id.voltage != Voltage::kLow) {
    range.below_kw = kMaxContractKw + 1;
  }
  return range;
}

std::string KwRange::Text() const {
  if (below_kw > kMaxContractKw) return fmt::format("from {} to {} kW", min_kw, kMaxContractKw);
  return fmt::format("from {} to below {} kW", min_kw, below_kw);
}

std::string TariffCaveat(TariffId id) {
  if (IsGapOne(id.tariff_class) && id.voltage != Voltage::kLow) {
    return fmt::format(
        "a {} customer supplied at 고압 takes {}; this (갑)I 고압 table is for one metered at 저압 (art. {}, 세칙)",
        ClassName(id.tariff_class),
        ClassName(id.tariff_class == TariffClass::kGeneralGap1 ? TariffClass::kGeneralGap2
                                                               : TariffClass::kIndustrialGap2),
        id.tariff_class == TariffClass::kGeneralGap1 ? "57 ④" : "59 ⑤");
  }
  return "";
}

std::string_view UseName(Use u) {
  switch (u) {
    case Use::kGeneral: return "일반용";
    case Use::kIndustrial: return "산업용";
    case Use::kEducation: return "교육용";
    case Use::kFarmPumping: return "농사용(갑)";
    case Use::kFarm: return "농사용(을)";
    case Use::kEvOwn: return "전기차충전(자가소비용)";
    case Use::kEvService: return "전기차충전(사업자용)";
    case Use::kResidential: return "주택용";
  }
  return "?";
}

Season SeasonOf(std::chrono::month m) {
  const unsigned mm = static_cast<unsigned>(m);
  if (mm >= 6 && mm <= 8) return Season::kSummer;
  if ((mm >= 3 && mm <= 5) || mm == 9 || mm == 10) return Season::kSpringFall;
  return Season::kWinter;
}

ResidentialSeason ResidentialSeasonOf(std::chrono::month m) {
  const unsigned mm = static_cast<unsigned>(m);
  if (mm == 7 || mm == 8) return ResidentialSeason::kJulAug;
  if (mm == 12 || mm == 1 || mm == 2) return ResidentialSeason::kDecFeb;
  return ResidentialSeason::kOther;
}

std::string_view ResidentialSeasonName(ResidentialSeason s) {
  switch (s) {
    case ResidentialSeason::kJulAug: return "jul_aug";
    case ResidentialSeason::kDecFeb: return "dec_feb";
    case ResidentialSeason::kOther: return "other";
  }
  return "?";
}

std::string_view SeasonName(Season s) {
  switch (s) {
    case Season::kSummer: return "summer";
    case Season::kSpringFall: return "spring_fall";
    case Season::kWinter: return "winter";
  }
  return "?";
}

std::string_view BandName(Band b) {
  switch (b) {
    case Band::kOffPeak: return "off-peak";
    case Band::kMid: return "mid-peak";
    case Band::kPeak: return "peak";
  }
  return "?";
}

std::string_view BandNameKo(Band b) {
  switch (b) {
    case Band::kOffPeak: return "경부하";
    case Band::kMid: return "중간부하";
    case Band::kPeak: return "최대부하";
  }
  return "?";
}

std::string ClassName(TariffClass c) { return std::string(NamesOf(c).name); }
std::string ClassAlias(TariffClass c) { return std::string(NamesOf(c).alias); }

std::string VoltageName(Voltage v) {
  static const char* kVoltage[] = {"고압A", "고압B", "고압C", "저압"};
  return kVoltage[static_cast<int>(v)];
}

std::string OfficialName(TariffId id) {
  static const char* kOption[] = {" 선택I", " 선택II", " 선택III", " 선택IV", ""};
  return fmt::format("{} {}{}{}", ClassName(id.tariff_class), VoltageName(id.voltage),
                     kOption[static_cast<int>(id.option)], id.region == Region::kJeju ? " 제주" : "");
}

std::string AsciiAlias(TariffId id) {
  static const char* kVoltage[] = {"high-a", "high-b", "high-c", "low"};
  static const char* kOption[] = {" I", " II", " III", " IV", ""};
  return fmt::format("{} {}{}{}", ClassAlias(id.tariff_class), kVoltage[static_cast<int>(id.voltage)],
                     kOption[static_cast<int>(id.option)], id.region == Region::kJeju ? " jeju" : "");
}

Result<TariffBook> TariffBook::Parse(const TariffFiles& files) {
  TariffBook book;
  auto rates = ParseRates(files.rates);
  if (!rates) return rates.error();
  book.rates_ = std::move(*rates);
  auto bands = ParseBands(files.bands);
  if (!bands) return bands.error();
  book.bands_ = std::move(*bands);
  MEG_TRY(ParseCharges(files.charges, book.charges_));
  auto fuel = ParseFuel(files.fuel);
  if (!fuel) return fuel.error();
  book.fuel_ = std::move(*fuel);
  auto discounts = ParseDiscounts(files.discounts);
  if (!discounts) return discounts.error();
  book.discounts_ = std::move(*discounts);
  auto residential = ParseResidential(files.residential);
  if (!residential) return residential.error();
  book.residential_ = std::move(*residential);
  for (const auto& fa : book.fuel_) {
    const Date d = std::chrono::year{fa.year} / std::chrono::month{static_cast<unsigned>(fa.quarter * 3 - 2)} / 1;
    const auto cap = book.ChargeOn(Charge::kFuelCapWonPerKwh, d);
    if (!cap) {
      return InvalidInput(
          fmt::format("{}: no fuel_cap_krw_per_kwh in force for {}-Q{}", files.fuel.name, fa.year, fa.quarter));
    }
    if (fa.rate.milli_won() > cap->milli || fa.rate.milli_won() < -cap->milli) {
      return InvalidInput(fmt::format("{}: {}-Q{} rate {} is outside the ±{} KRW/kWh cap (별표8)", files.fuel.name,
                                      fa.year, fa.quarter, fa.rate.won(), static_cast<double>(cap->milli) / 1000.0));
    }
  }
  return book;
}

Result<TariffBook> TariffBook::Load(const std::string& dir, const ReadFileFn& read) {
  TariffFiles files;
  const std::pair<TariffFiles::File*, const char*> parts[] = {{&files.rates, "rates.csv"},
                                                              {&files.bands, "bands.csv"},
                                                              {&files.charges, "charges.csv"},
                                                              {&files.fuel, "fuel_adjustment.csv"},
                                                              {&files.discounts, "discounts.csv"},
                                                              {&files.residential, "residential.csv"}};
  for (const auto& [file, name] : parts) {
    file->name = dir + "/" + name;
    auto text = read(file->name);
    // residential.csv is optional: a directory without it has no 주택용 tables.
    if (!text && file == &files.residential && text.error().code == ErrorCode::kNotFound) continue;
    if (!text) return text.error();
    file->text = std::move(*text);
  }
  return Parse(files);
}

Result<TariffId> TariffBook::FindTariff(std::string_view name) const {
  auto parts = SplitName(name);
  Region region = Region::kMainland;
  if (!parts.empty() && (parts.back() == "제주" || parts.back() == "jeju" || parts.back() == "제주특별자치도")) {
    region = Region::kJeju;
    parts.pop_back();
  }
  if (parts.size() != 3 && parts.size() != 2) {
    return InvalidInput(
        fmt::format("tariff '{}' must name class, voltage and option, e.g. "
                    "\"일반용(을) 고압A 선택III\" or \"general-eul high-a III\", or for 저압 class and voltage, "
                    "e.g. \"일반용(갑)I 저압\" (see meg bill --list-tariffs)",
                    name));
  }
  TariffId id;
  auto cls = ParseClass(parts[0]);
  if (!cls) return InvalidInput(cls.error().message + "; see meg bill --list-tariffs");
  auto voltage = ParseVoltage(parts[1]);
  if (!voltage) return voltage.error();
  if (HasOptions(*cls, *voltage) == (parts.size() == 2)) {
    return InvalidInput(fmt::format("tariff '{}': {}", name,
                                    HasOptions(*cls, *voltage) ? "name the option (선택I, 선택II, ...)"
                                                               : "this tariff has no option (선택I/II/...)"));
  }
  auto option = parts.size() == 2 ? Result<RateOption>(RateOption::kNone) : ParseOption(parts[2]);
  if (!option) return option.error();
  id = TariffId{*cls, *voltage, *option, region};
  const bool known =
      id.tariff_class == TariffClass::kResidential
          ? std::any_of(residential_.begin(), residential_.end(),
                        [&](const ResidentialTable& r) { return r.voltage == id.voltage; })
          : std::any_of(rates_.begin(), rates_.end(), [&](const RateTable& r) { return r.id.SameRates(id); });
  if (!known) {
    return NotFound(fmt::format("no rate table for {} (see meg bill --list-tariffs)", OfficialName(id)));
  }
  return id;
}

std::vector<TariffId> TariffBook::Tariffs() const {
  std::vector<TariffId> ids;
  for (const auto& r : rates_) {
    if (ids.empty() || !(ids.back() == r.id)) ids.push_back(r.id);
  }
  for (const auto& r : residential_) {  // sorted by voltage first
    const TariffId id{TariffClass::kResidential, r.voltage, RateOption::kNone, Region::kMainland};
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

std::vector<Date> TariffBook::TableDates(TariffId id) const {
  std::vector<Date> dates;
  for (const auto& r : rates_) {
    if (r.id.SameRates(id)) dates.push_back(r.effective_from);
  }
  for (const auto& r : residential_) {
    if (id.tariff_class == TariffClass::kResidential && r.voltage == id.voltage) dates.push_back(r.effective_from);
  }
  std::sort(dates.begin(), dates.end(), [](Date a, Date b) { return sys_days{a} < sys_days{b}; });
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
  return dates;
}

const RateTable* TariffBook::RatesOn(TariffId id, Date d) const {
  const RateTable* found = nullptr;
  for (const auto& r : rates_) {
    if (r.id.SameRates(id) && sys_days{r.effective_from} <= sys_days{d}) found = &r;
  }
  return found;
}

const ResidentialTable* TariffBook::ResidentialOn(Voltage v, ResidentialSeason s, Date d) const {
  const ResidentialTable* found = nullptr;
  for (const auto& r : residential_) {
    if (r.voltage == v && r.season == s && sys_days{r.effective_from} <= sys_days{d}) found = &r;
  }
  return found;
}

const BandTable* TariffBook::BandsOn(TariffClass c, Date d, Region region) const {
  const BandTable* found = nullptr;
  for (const auto& b : bands_) {
    const bool match =
        region == Region::kJeju ? b.region == Region::kJeju : (b.region == Region::kMainland && b.tariff_class == c);
    if (match && sys_days{b.effective_from} <= sys_days{d}) found = &b;
  }
  return found;
}

std::vector<const EnergyDiscount*> TariffBook::DiscountsOn(TariffClass c, Date d) const {
  std::vector<const EnergyDiscount*> out;
  for (const auto& x : discounts_) {
    if (x.tariff_class == c && sys_days{x.effective_from} <= sys_days{d} && sys_days{d} <= sys_days{x.effective_to} &&
        x.season == SeasonOf(d.month())) {
      out.push_back(&x);
    }
  }
  return out;
}

std::optional<DatedValue> TariffBook::ChargeOn(Charge c, Date d) const {
  std::optional<DatedValue> found;
  for (const auto& v : charges_[static_cast<size_t>(c)]) {
    if (sys_days{v.effective_from} <= sys_days{d}) found = v;
  }
  return found;
}

const FuelAdjustment* TariffBook::FuelOn(Date d) const {
  const int year = static_cast<int>(d.year());
  const int quarter = (static_cast<int>(static_cast<unsigned>(d.month())) - 1) / 3 + 1;
  for (const auto& f : fuel_) {
    if (f.year == year && f.quarter == quarter) return &f;
  }
  return nullptr;
}

}  // namespace meg
