#include "app/bill_command.h"

#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/paths.h"
#include "app/report/bill_report.h"
#include "app/usage_options.h"
#include "core/site.h"
#include "core/text.h"
#include "io/text_file.h"
#include "io/usage_csv.h"
#include "tariff/bill.h"
#include "tariff/tariff_compare.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg bill";

struct BillOptions {
  std::string usage;
  std::string tariff;
  double contract_kw = 0;
  std::string months;
  bool json = false;
  bool list_tariffs = false;
  bool compare = false;
  std::string history;
  std::string save_history;
  std::vector<std::string> repair;
  UsageFormatOptions format;
  std::string xlsx;
  std::optional<std::string> fuel;
  bool allow_partial = false;
  int reading_day = 1;
  int households = 1;
  std::string tariff_dir = DefaultTariffDir();
  std::string calendar = DefaultCalendarPath();
};

// "2024-01", "2024-01,2024-03", "2024-01..2024-06" (inclusive).
Result<std::vector<Month>> ParseMonths(std::string_view text) {
  std::vector<Month> out;
  auto parts = SplitCsv(text);
  if (!parts) return parts.error();
  for (auto part : *parts) {
    part = std::string(Trim(part));
    if (const auto dots = part.find(".."); dots != std::string::npos) {
      auto a = ParseMonth(part.substr(0, dots));
      auto b = ParseMonth(part.substr(dots + 2));
      if (!a) return a.error();
      if (!b) return b.error();
      if (*b < *a) return InvalidInput(fmt::format("--months {}: the range ends before it starts", part));
      for (Month m = *a; m <= *b; m = m + std::chrono::months{1}) out.push_back(m);
    } else {
      auto m = ParseMonth(part);
      if (!m) return m.error();
      out.push_back(*m);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int ListTariffs(const TariffBook& book) {
  fmt::print("{:<28} {:<26} {}\n", "tariff (official name)", "ASCII alias", "rate tables in force from");
  for (const TariffId id : book.Tariffs()) {
    std::string dates;
    for (const Date d : book.TableDates(id)) dates += (dates.empty() ? "" : ", ") + FormatDate(d);
    fmt::print("{} {:<26} {}\n", PadToWidth(OfficialName(id), 28), AsciiAlias(id), dates);
  }
  return 0;
}

std::string Krw(Won w) { return WithThousands(w.value()); }
std::string SignedKrw(std::int64_t v) { return (v < 0 ? "-" : "+") + WithThousands(v < 0 ? -v : v); }

// --compare: every tariff the customer may take for the same use, voltage and contract power.
int PrintComparison(const std::vector<TariffCost>& ranked, const std::vector<Month>& months, const BillOptions& o) {
  const TariffCost* own = nullptr;
  for (const auto& c : ranked) {
    if (c.in_force) own = &c;
  }
  if (own == nullptr) return ExitWith(kCommand, NotFound("--compare: the tariff in force was not priced"));
  // "2024-08", "2024-01..2024-12 (12 months)" or, with gaps, "2 months: 2024-01, 2024-03".
  const bool contiguous = months.back() == months.front() + std::chrono::months{static_cast<int>(months.size()) - 1};
  std::string span = months.size() == 1 ? FormatMonth(months.front())
                     : contiguous       ? fmt::format("{}..{} ({} months)", FormatMonth(months.front()),
                                                      FormatMonth(months.back()), months.size())
                                        : fmt::format("{} months:", months.size());
  if (!contiguous) {
    for (size_t i = 0; i < months.size(); ++i) span += (i == 0 ? " " : ", ") + FormatMonth(months[i]);
  }
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    int rank = 0;
    for (const auto& c : ranked) {
      list.push_back({{"rank", ++rank},
                      {"tariff", OfficialName(c.tariff)},
                      {"tariff_alias", AsciiAlias(c.tariff)},
                      {"in_force", c.in_force},
                      {"basic_krw", c.basic.value()},
                      {"energy_krw", c.energy.value()},
                      {"over_contract_krw", c.other.value()},
                      {"total_krw", c.total.value()},
                      {"vs_in_force_krw", own ? c.total.value() - own->total.value() : 0}});
    }
    nlohmann::json j = {{"usage", o.usage},
                        {"months", span},
                        {"contract_kw", o.contract_kw},
                        {"basic_krw_includes", "기본요금 and the power-factor adjustment"},
                        {"energy_krw_includes", "전력량요금, 기후환경요금 and 연료비조정요금"},
                        {"total_krw_includes", "VAT and the 전력산업기반기금, as billed"},
                        {"tariffs", list}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  const ClassRules rules = RulesOf(own->tariff.tariff_class);
  fmt::print("The same usage priced under every tariff a {} customer at {} and {} kW may take, {}:\n",
             UseName(rules.use), VoltageName(own->tariff.voltage),
             WithThousands(static_cast<std::int64_t>(o.contract_kw)), span);
  fmt::print("  {:>4}  {}{:>16}  {:>16}  {:>14}  {:>16}  {:>14}\n", "rank", PadToWidth("tariff", 28), "basic KRW",
             "energy KRW", "surcharge KRW", "total KRW", "vs in force");
  int rank = 0;
  for (const auto& c : ranked) {
    fmt::print("  {:>4}  {}{:>16}  {:>16}  {:>14}  {:>16}  {:>14}{}\n", ++rank, PadToWidth(OfficialName(c.tariff), 28),
               Krw(c.basic), Krw(c.energy), Krw(c.other), Krw(c.total),
               c.in_force ? std::string("in force") : SignedKrw(c.total.value() - own->total.value()),
               c.in_force ? "  *" : "");
  }
  fmt::print(
      "basic: 기본요금 with the power-factor adjustment; energy: 전력량요금 + 기후환경요금 + 연료비조정요금; total: as "
      "billed, VAT and the fund included.\n"
      "The class follows the use (art. 55-59); (갑)II needs a time-of-use meter (art. 38 ②), (을) a contract of "
      "300 kW or more (교육용 1,000 kW), and a chosen option stays a year (art. 67 ⑦).\n");
  if (o.history.empty()) {
    fmt::print(
        "No --history: the demand months before the data count as unknown (the 12-month ratchet of art. 68 ① "
        "starts with the data), the same for every tariff.\n");
  }
  if (ranked.front().in_force) {
    fmt::print("The tariff in force is the cheapest for this usage.\n");
  } else {
    const std::int64_t less = own->total.value() - ranked.front().total.value();
    fmt::print("{} would have cost {} KRW less than {}{}.\n", OfficialName(ranked.front().tariff), WithThousands(less),
               OfficialName(own->tariff),
               own->total.value() > 0 ? fmt::format(" ({:.1f} %)", 100.0 * static_cast<double>(less) /
                                                                       static_cast<double>(own->total.value()))
                                      : std::string());
  }
  return 0;
}

int RunBill(const BillOptions& o) {
  auto book = LoadTariffBook(o.tariff_dir);
  if (!book) return ExitWith(kCommand, book.error());
  if (o.list_tariffs) return ListTariffs(*book);
  if (o.usage.empty() || o.tariff.empty() || o.contract_kw == 0) {
    return ExitWith(kCommand, InvalidInput("--usage, --tariff and --contract-kw are required (or --list-tariffs)"));
  }
  auto tariff = book->FindTariff(o.tariff);
  if (!tariff) return ExitWith(kCommand, tariff.error());
  auto calendar = LoadCalendar(o.calendar);
  if (!calendar) return ExitWith(kCommand, calendar.error());

  UsageReadOptions read;
  for (const auto& r : o.repair) {
    if (r == "gaps") {
      read.repair.gaps = true;
    } else if (r == "spikes") {
      read.repair.spikes = true;
    } else if (r == "duplicates") {
      read.repair.duplicates = true;
    } else {
      return ExitWith(kCommand,
                      InvalidInput(fmt::format("--repair {}: known repairs are gaps, spikes, duplicates", r)));
    }
  }
  // Values beyond kMaxDemandPerContract x the contract power are refused with their line; a
  // contract power out of range is refused by the bill engine, with the range.
  if (o.contract_kw >= kMinAnyContractKw && o.contract_kw <= kMaxContractKw)
    read.contract_power = Kilowatts(o.contract_kw);
  auto imported = ReadUsageForCommand(kCommand, o.usage, o.format, read);
  if (!imported) return ExitWith(kCommand, imported.error());
  const UsageData* usage = &imported->usage;
  for (const auto& r : usage->repairs) std::cerr << "repaired: " << r << "\n";

  DemandHistory history;
  if (!o.history.empty()) {
    auto h = ReadTextFile(o.history);
    if (!h) return ExitWith(kCommand, h.error());
    auto parsed = DemandHistory::ParseCsv(*h, o.history);
    if (!parsed) return ExitWith(kCommand, parsed.error());
    history = std::move(*parsed);
  }

  BillRequest request;
  request.tariff = *tariff;
  request.contract_power = Kilowatts(o.contract_kw);
  request.usage = &usage->kw;
  request.kvar = usage->kvar ? &*usage->kvar : nullptr;
  request.allow_partial = o.allow_partial;
  if (o.reading_day < 1 || o.reading_day > kMaxReadingDay) {
    return ExitWith(kCommand, InvalidInput(fmt::format("--reading-day {}: 정기검침일 is a day of the month, 1..{} "
                                                       "(art. 69 ①)",
                                                       o.reading_day, kMaxReadingDay)));
  }
  request.reading_day = o.reading_day;
  request.households = o.households;
  if (o.fuel) {
    auto fuel = WonPerKwh::FromDecimal(*o.fuel);
    if (!fuel) return ExitWith(kCommand, InvalidInput("--fuel-krw-per-kwh: " + fuel.error().message));
    request.fuel_override = *fuel;
  }

  std::vector<Month> months;
  const auto covered = MonthsCovered(usage->kw, o.reading_day);
  if (!o.months.empty()) {
    auto parsed = ParseMonths(o.months);
    if (!parsed) return ExitWith(kCommand, InvalidInput("--months: " + parsed.error().message));
    months = *parsed;
    for (const Month m : months) {
      if (std::find(covered.begin(), covered.end(), m) == covered.end()) {
        return ExitWith(kCommand, InvalidInput(fmt::format("--months: {} has no data in {}", FormatMonth(m), o.usage)));
      }
    }
  } else {
    // Whole months only unless asked: a partial month at either end is skipped and said so.
    for (const Month m : covered) {
      if (CoversWholeMonth(usage->kw, m, o.reading_day) || o.allow_partial) {
        months.push_back(m);
      } else {
        std::cerr << "meg bill: skipping " << FormatMonth(m)
                  << ": the data covers it only in part (use --allow-partial to bill it prorated)\n";
      }
    }
    if (months.empty()) {
      return ExitWith(kCommand, InvalidInput(fmt::format("{}: no whole month of data; bill a partial month with "
                                                         "--allow-partial",
                                                         o.usage)));
    }
  }

  if (o.compare) {
    if (!o.save_history.empty() || !o.xlsx.empty()) {
      return ExitWith(kCommand, InvalidInput(fmt::format("{} is for one tariff's bills, not with --compare",
                                                         o.xlsx.empty() ? "--save-history" : "--xlsx")));
    }
    auto ranked = CompareTariffs(*book, *calendar, request, months, history);
    if (!ranked) return ExitWith(kCommand, ranked.error());
    return PrintComparison(*ranked, months, o);
  }
  auto bills = BillMonths(*book, *calendar, request, months, history);
  if (!bills) return ExitWith(kCommand, bills.error());
  if (!o.save_history.empty()) {
    auto st = WriteTextFile(o.save_history, history.FormatCsv());
    if (!st) return ExitWith(kCommand, st.error());
  }
  if (!o.xlsx.empty()) {
    auto st = WriteXlsx(o.xlsx, BillTables(*bills, &usage->kw));
    if (!st) return ExitWith(kCommand, st.error());
    std::cerr << fmt::format("meg bill: wrote {} ({} months)\n", o.xlsx, bills->size());
  }
  if (o.json) {
    auto j = BillsJson(*bills);
    j["usage"] = o.usage;
    j["repairs"] = usage->repairs;
    if (imported->meter_download) j["usage_read"] = imported->detected;
    j["warnings"] = imported->warnings;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& b : *bills) std::cout << RenderBillText(b) << "\n";
  if (bills->size() > 1) std::cout << RenderSummaryText(*bills);
  return 0;
}

}  // namespace

void AddBillCommand(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<BillOptions>();
  CLI::App* cmd = app.add_subcommand("bill", "Price 15-minute usage under a KEPCO tariff, month by month");
  cmd->add_option("--usage", opts->usage,
                  "usage file: OpenMEG's CSV (timestamp,kW[,kvar] per 15-minute interval) or a meter download "
                  "(KEPCO's 15-minute CSV in UTF-8 or CP949, or .xlsx)");
  cmd->add_option("--tariff", opts->tariff, "tariff, e.g. \"일반용(을) 고압A 선택III\" or \"general-eul high-a III\"");
  cmd->add_option("--contract-kw", opts->contract_kw, "contract power (계약전력), kW");
  cmd->add_option("--months", opts->months, "months to bill: 2024-08 | 2024-01,2024-02 | 2024-01..2024-12");
  cmd->add_flag("--json", opts->json, "print JSON instead of text");
  cmd->add_option("--xlsx", opts->xlsx,
                  "also write the bills to this Excel workbook: months, energy registers, the 15-minute usage");
  cmd->add_flag("--list-tariffs", opts->list_tariffs, "list the tariffs, their aliases and rate-table dates");
  cmd->add_flag("--compare", opts->compare,
                "price the usage under every tariff of the same use, voltage and contract power, cheapest first");
  cmd->add_option("--history", opts->history,
                  "demand history CSV (month,peak_kw) for months before the data (12-month ratchet)");
  cmd->add_option("--save-history", opts->save_history, "write the demand history after billing to FILE");
  cmd->add_option("--repair", opts->repair, "repair the usage data: gaps, spikes, duplicates")->delimiter(',');
  cmd->add_option("--fuel-krw-per-kwh", opts->fuel, "fuel-cost adjustment to use for every month, KRW/kWh (within ±5)");
  cmd->add_flag("--allow-partial", opts->allow_partial, "bill months the data covers in part (basic prorated)");
  cmd->add_option("--reading-day", opts->reading_day,
                  "정기검침일, 1..28: each bill covers this day of its month to the day before it in the next "
                  "(art. 69); a bill is named by the month it starts in")
      ->capture_default_str();
  cmd->add_option("--households", opts->households,
                  "주택용 only: households (호) or rooms (실) on one contract, billed as their average's bill times "
                  "their number (art. 67 ③, ⑤)")
      ->capture_default_str();
  cmd->add_option("--tariff-dir", opts->tariff_dir, "tariff tables directory")->capture_default_str();
  cmd->add_option("--calendar", opts->calendar, "holiday calendar CSV")->capture_default_str();
  AddUsageFormatOptions(cmd, opts->format);
  cmd->callback([opts, exit_code] { *exit_code = RunBill(*opts); });
}

}  // namespace meg
