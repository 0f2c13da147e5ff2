#include "tariff/bill.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/site.h"
#include "core/text.h"
#include "tariff/slot_price.h"

namespace meg {
namespace {

using std::chrono::sys_days;

constexpr std::int64_t kMicro = 1'000'000;  // energy is summed exactly in micro-kWh

// Rounds a non-negative micro-kWh sum half up to whole kWh (art. 7 ①).
std::int64_t MicroToKwh(std::int64_t micro) { return (micro + kMicro / 2) / kMicro; }

Month AddMonths(Month m, int n) { return m + std::chrono::months{n}; }

// 초과사용부가금 multiplier by excess ratio, art. 67-3 ③: below 20 % 150 %, then +50 %-points
// per 10 %-points of ratio, 400 % at 60 % and above.
int OverContractMultiplierPct(std::int64_t excess_kw, std::int64_t contract_kw) {
  const std::int64_t ratio_pct_x = excess_kw * 100;  // compare excess/contract with thresholds
  if (ratio_pct_x < 20 * contract_kw) return 150;
  if (ratio_pct_x < 30 * contract_kw) return 200;
  if (ratio_pct_x < 40 * contract_kw) return 250;
  if (ratio_pct_x < 50 * contract_kw) return 300;
  if (ratio_pct_x < 60 * contract_kw) return 350;
  return 400;
}

// One energy register (art. 7 ①): the kWh of one (rate table, band, discount) of the month.
struct Bucket {
  const RateTable* rates = nullptr;
  Band band = Band::kOffPeak;
  std::int32_t discount = 0;
  WonPerKwh rate;  // the band's 전력량요금 before the discount (SlotPrice::energy_rate)
  std::int64_t micro_kwh = 0;
};

std::string KwText(std::int64_t kw) { return fmt::format("{} kW", kw); }

// The bill's integer arithmetic, checked: a product or sum that leaves int64 sets `overflow`
// instead of wrapping to a negative bill. The inputs are bounded (contract power, demand per
// contract power, history peaks), so a real site never comes near; an absurd tariff table or a
// caller that skips the checks gets an error, not a wrong number.
struct CheckedArithmetic {
  bool overflow = false;
  std::int64_t Mul(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) overflow = true;
    return r;
  }
  std::int64_t Add(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) overflow = true;
    return r;
  }
  // a x b / d as int64 division rounds it (toward zero), for b >= 0 and d > 0, without forming
  // a x b when that would overflow.
  std::int64_t MulDiv(std::int64_t a, std::int64_t b, std::int64_t d) { return Add(Mul(a / d, b), Mul(a % d, b) / d); }
  MilliWon Times(const auto& price, std::int64_t units) { return MilliWon(Mul(price.milli_won(), units)); }
  MilliWon Of(Percent p, Won amount) { return MilliWon(Mul(amount.value(), p.milli_percent()) / 100); }
  Won Sum(std::initializer_list<Won> parts) {
    std::int64_t total = 0;
    for (const Won w : parts) total = Add(total, w.value());
    return Won(total);
  }
};

Result<std::int64_t> ChargeMilli(const TariffBook& book, Charge c, Date first, Date last, std::string_view name) {
  const auto a = book.ChargeOn(c, first);
  const auto b = book.ChargeOn(c, last);
  if (!a) {
    return NotFound(fmt::format("no {} is in force on {} (data/tariff/kepco/charges.csv)", name, FormatDate(first)));
  }
  if (!b || b->milli != a->milli) {
    return Error{ErrorCode::kUnsupported, fmt::format("{} changes within the month {}..{}; not supported", name,
                                                      FormatDate(first), FormatDate(last))};
  }
  return a->milli;
}

// 주택용 (별표1 1.가, 1.나): the period's kWh in blocks, the basic charge of the highest block
// reached, the 슈퍼유저요금 and the minimum charge. With several households (art. 67 ③ 1, ⑤) the
// bill is the bill of their average times their number; it is computed on the total with every
// limit times the households, which is that product exactly (**assumption**: the 세칙's rounding of
// the average is not in the reference, so none is applied).
Status PriceResidential(const TariffBook& book, const BillRequest& request, const BillingPeriod& period,
                        std::int64_t kwh, CheckedArithmetic& ar, MonthlyBill& bill) {
  const Date last{sys_days{period.end} - std::chrono::days{1}};
  const ResidentialSeason season = ResidentialSeasonOf(period.first.month());
  if (ResidentialSeasonOf(last.month()) != season) {
    return Error{ErrorCode::kUnsupported,
                 fmt::format("{}: the period {}..{} spans two 주택용 seasons ({} and {}); the split by days it takes "
                             "(별표1 1.가(5)(6), 세칙 62 ④⑤) is in the 시행세칙, which is not in the reference: bill "
                             "calendar months (reading day 1)",
                             FormatMonth(bill.month), FormatDate(period.first), FormatDate(last),
                             ResidentialSeasonName(season), ResidentialSeasonName(ResidentialSeasonOf(last.month())))};
  }
  const ResidentialTable* t = book.ResidentialOn(request.tariff.voltage, season, period.first);
  if (t == nullptr) {
    return NotFound(fmt::format("no rate table for {} is in force on {} (residential.csv of the tariff directory)",
                                OfficialName(request.tariff), FormatDate(period.first)));
  }
  if (book.ResidentialOn(request.tariff.voltage, season, last) != t) {
    return Error{ErrorCode::kUnsupported,
                 fmt::format("{}: the 주택용 table changes within the period; its split by days is in the 시행세칙 "
                             "(not in the reference)",
                             FormatMonth(bill.month))};
  }
  const std::int64_t n = request.households;
  bill.households = request.households;
  const std::int64_t b1 = t->block_upto_kwh[0], b2 = t->block_upto_kwh[1], su = t->super_user_above_kwh;
  constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();
  struct Part {
    int block;
    std::int64_t from, upto;  // per household; upto 0: no limit
    WonPerKwh rate;
  };
  std::vector<Part> parts = {{1, 0, b1, t->energy[0]}, {2, b1, b2, t->energy[1]}, {3, b2, su, t->energy[2]}};
  if (su > 0) parts.push_back({4, su, 0, t->super_user_rate});
  MilliWon energy;
  for (const Part& part : parts) {
    const std::int64_t lo = ar.Mul(part.from, n);
    const std::int64_t hi = part.upto == 0 ? kNoLimit : ar.Mul(part.upto, n);
    const std::int64_t in = std::clamp<std::int64_t>(kwh, lo, hi) - lo;
    if (in == 0 && part.block != 1) continue;
    EnergyLine line;
    line.band = Band::kMid;
    line.all_hours = true;
    line.rates_from = t->effective_from;
    line.rate = part.rate;
    line.kwh = in;
    line.amount = ar.Times(part.rate, in);
    line.block = part.block;
    line.block_from_kwh = part.from;
    line.block_upto_kwh = part.upto;
    energy = MilliWon(ar.Add(energy.value(), line.amount.value()));
    bill.energy_lines.push_back(line);
  }
  bill.energy_kwh = kwh;
  bill.energy = energy.TruncateToWon();
  bill.basic_per_household = kwh <= ar.Mul(b1, n) ? t->basic[0] : kwh <= ar.Mul(b2, n) ? t->basic[1] : t->basic[2];
  bill.basic = Won(ar.Mul(bill.basic_per_household.value(), n));
  // 월간 최저요금 (1.가(3)), per household: **assumption**: of the 기본요금 and 전력량요금 (별표1's
  // 요금), raised by the basic line.
  const std::int64_t minimum = ar.Mul(t->minimum.value(), n);
  if (bill.basic.value() + bill.energy.value() < minimum) {
    bill.notes.push_back(
        fmt::format("the minimum charge applies: {} KRW per household (별표1 1.가(3)); the basic "
                    "charge is raised by {} KRW",
                    t->minimum.value(), minimum - bill.basic.value() - bill.energy.value()));
    bill.basic = Won(minimum - bill.energy.value());
  }
  return Ok{};
}

}  // namespace

bool IsDemandMonth(Month m) {
  const unsigned mm = static_cast<unsigned>(m.month());
  return mm == 12 || mm == 1 || mm == 2 || mm == 7 || mm == 8 || mm == 9;
}

double RatchetPeakKw(Month m, std::span<const std::pair<Month, double>> month_peaks) {
  double ratchet = 0;
  for (const auto& [pm, peak] : month_peaks) {
    const int back = (static_cast<int>(m.year()) - static_cast<int>(pm.year())) * 12 +
                     static_cast<int>(static_cast<unsigned>(m.month())) -
                     static_cast<int>(static_cast<unsigned>(pm.month()));
    if (back >= 1 && back <= 11 && IsDemandMonth(pm)) ratchet = std::max(ratchet, peak);
  }
  return ratchet;
}

std::vector<std::pair<Month, double>> DemandHistory::Peaks() const {
  std::vector<std::pair<Month, double>> out;
  for (const auto& [key, d] : months_) out.emplace_back(d.month, static_cast<double>(d.peak_kw));
  return out;
}

const MonthDemand* DemandHistory::Find(Month m) const {
  const auto it = months_.find(Key(m));
  return it == months_.end() ? nullptr : &it->second;
}

bool DemandHistory::OverContractBefore(Month m) const {
  for (auto it = months_.begin(); it != months_.end() && it->first < Key(m); ++it) {
    if (it->second.over_contract) return true;
  }
  return false;
}

int DemandHistory::OverContractCountBefore(Month m) const {
  int n = 0;
  for (auto it = months_.begin(); it != months_.end() && it->first < Key(m); ++it) n += it->second.over_contract;
  return n;
}

bool DemandHistory::PfSurchargeBefore(Month m) const {
  for (auto it = months_.begin(); it != months_.end() && it->first < Key(m); ++it) {
    if (it->second.pf_surcharge) return true;
  }
  return false;
}

Result<DemandHistory> DemandHistory::ParseCsv(std::string_view text, std::string_view source) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  DemandHistory h;
  bool header = false;
  size_t columns = 0;
  for (const auto& line : *lines) {
    if (Trim(line.text).empty()) continue;
    auto fields = SplitCsv(line.text);
    if (!fields) return InvalidInput(fmt::format("{}:{}: {}", source, line.number, fields.error().message));
    for (auto& f : *fields) f = std::string(Trim(f));
    if (!header) {
      const std::vector<std::string> two{"month", "peak_kw"};
      const std::vector<std::string> four{"month", "peak_kw", "over_contract", "pf_surcharge"};
      if (*fields != two && *fields != four) {
        return InvalidInput(
            fmt::format("{}:{}: expected the header 'month,peak_kw' or "
                        "'month,peak_kw,over_contract,pf_surcharge'",
                        source, line.number));
      }
      columns = fields->size();
      header = true;
      continue;
    }
    if (fields->size() != columns) {
      return InvalidInput(fmt::format("{}:{}: expected {} fields", source, line.number, columns));
    }
    auto month = ParseMonth((*fields)[0]);
    if (!month) return InvalidInput(fmt::format("{}:{}: {}", source, line.number, month.error().message));
    auto kw = ParseFiniteDouble((*fields)[1]);
    constexpr double kMaxPeakKw = kMaxContractKw * kMaxDemandPerContract;
    if (!kw || *kw < 0 || *kw > kMaxPeakKw || *kw != std::floor(*kw)) {
      return InvalidInput(fmt::format("{}:{}: peak_kw '{}' must be a whole number of kW in 0..{}", source, line.number,
                                      Excerpt((*fields)[1]), kMaxPeakKw));
    }
    MonthDemand d{*month, static_cast<std::int64_t>(*kw), false, false};
    if (columns == 4) {
      for (int k = 2; k < 4; ++k) {
        const auto& v = (*fields)[static_cast<size_t>(k)];
        if (v != "0" && v != "1") {
          return InvalidInput(fmt::format("{}:{}: '{}' must be 0 or 1", source, line.number, Excerpt(v)));
        }
      }
      d.over_contract = (*fields)[2] == "1";
      d.pf_surcharge = (*fields)[3] == "1";
    }
    if (h.Find(*month) != nullptr) {
      return InvalidInput(fmt::format("{}:{}: month {} is listed twice", source, line.number, Excerpt((*fields)[0])));
    }
    h.Record(d);
  }
  if (!header) return InvalidInput(fmt::format("{}: the file is empty", source));
  return h;
}

std::string DemandHistory::FormatCsv() const {
  std::string out = "month,peak_kw,over_contract,pf_surcharge\n";
  for (const auto& [key, d] : months_) {
    out +=
        fmt::format("{},{},{},{}\n", FormatMonth(d.month), d.peak_kw, d.over_contract ? 1 : 0, d.pf_surcharge ? 1 : 0);
  }
  return out;
}

BillingPeriod PeriodOf(Month m, int reading_day) {
  const auto n = std::chrono::day{static_cast<unsigned>(reading_day)};
  const Month next = AddMonths(m, 1);
  return BillingPeriod{m, m.year() / m.month() / n, next.year() / next.month() / n};
}

namespace {
// The name of the billing period holding date `d`.
Month PeriodHolding(Date d, int reading_day) {
  const Month m = d.year() / d.month();
  return static_cast<unsigned>(d.day()) >= static_cast<unsigned>(reading_day) ? m : AddMonths(m, -1);
}
}  // namespace

std::vector<Month> MonthsCovered(const PowerSeries& usage, int reading_day) {
  std::vector<Month> months;
  if (usage.empty()) return months;
  const Month first = PeriodHolding(ToKst(usage.start()).date, reading_day);
  const Month last = PeriodHolding(ToKst(usage.end() - std::chrono::seconds{1}).date, reading_day);
  for (Month m = first; m <= last; m = AddMonths(m, 1)) months.push_back(m);
  return months;
}

bool CoversWholeMonth(const PowerSeries& usage, Month m, int reading_day) {
  const BillingPeriod p = PeriodOf(m, reading_day);
  return usage.start() <= FromKst(p.first) && usage.end() >= FromKst(p.end);
}

Result<MonthlyBill> ComputeMonthlyBill(const TariffBook& book, const HolidayCalendar& calendar,
                                       const BillRequest& request, Month month, const DemandHistory& history) {
  MEG_CHECK(request.usage != nullptr);
  const PowerSeries& usage = *request.usage;
  if (usage.step() != kInterval) {
    return InvalidInput(
        "the bill engine needs 15-minute data (the demand meter's interval, art. 6 "
        "no. 10)");
  }
  const double contract = request.contract_power.value();
  const ClassRules rules = RulesOf(request.tariff.tariff_class);
  const KwRange range = ContractKwRange(request.tariff);
  if (!range.Holds(contract) || contract != std::floor(contract)) {
    return InvalidInput(
        fmt::format("contract power {} kW: {} {} takes a whole number of kW {} (art. 57 ②③, 58 ①②, 59 ②③; meg bill "
                    "--compare lists the tariffs a contract power may take)",
                    contract, ClassName(request.tariff.tariff_class), VoltageName(request.tariff.voltage),
                    range.Text()));
  }
  if (!rules.blocks && request.households != 1) {
    return InvalidInput(
        fmt::format("households ({}): only a 주택용 bill counts households (art. 67 ③, ⑤)", request.households));
  }
  if (request.households < 1 || request.households > kMaxHouseholds) {
    return InvalidInput(fmt::format("households {}: a 주택용 contract has 1..{} households (호) or rooms (실)",
                                    request.households, kMaxHouseholds));
  }
  // 주택용: no power-factor adjustment (art. 43 ① lists the other classes); a kvar column is ignored.
  const IntervalSeries<double>* const kvar = rules.blocks ? nullptr : request.kvar;
  // A 15-minute mean beyond this is a meter or file fault (core/site.h), refused before any sum.
  const double max_kw = contract * kMaxDemandPerContract;
  CheckedArithmetic ar;
  MonthlyBill bill;
  bill.month = month;
  bill.tariff = request.tariff;
  bill.contract_kw = static_cast<std::int64_t>(contract);
  if (request.reading_day < 1 || request.reading_day > kMaxReadingDay) {
    return InvalidInput(fmt::format("reading day {}: 정기검침일 is a day of the month, 1..{} (art. 69 ①)",
                                    request.reading_day, kMaxReadingDay));
  }
  const BillingPeriod period = PeriodOf(month, request.reading_day);
  bill.period_first = period.first;
  bill.period_end = period.end;
  bill.days_in_month = static_cast<int>((sys_days{period.end} - sys_days{period.first}).count());
  if (const std::string caveat = TariffCaveat(request.tariff); !caveat.empty()) bill.notes.push_back(caveat);
  if (IsSchoolOnlyContract(request.tariff, contract)) {
    bill.notes.push_back(
        "교육용(갑) 고압 at 1,000 kW or more is for a school under 초·중등교육법 (art. 58 ④); any other 교육용 "
        "customer of this size takes 교육용(을)");
  }

  std::vector<Bucket> buckets;
  std::int64_t basic_rate_day_sum = 0;  // Σ over billed days of the basic rate (milli-won/kW)
  double peak = -1.0;
  double max_any = -1.0;
  // Power factor: sums of 30-minute power factors (art. 43 ② 1 나, 2 나).
  double pf_lag_sum = 0, pf_lead_sum = 0;
  int pf_lag_n = 0, pf_lead_n = 0;
  std::optional<Date> first_day, last_day;
  std::vector<std::string> missing_days;
  // 기후환경요금 and 연료비조정요금: the kWh of the days under each pair of rates (one pair but
  // where a period read on another day than the 1st holds a change, art. 80).
  struct LevyBucket {
    WonPerKwh climate, fuel;
    std::int64_t micro_kwh = 0;
  };
  std::vector<LevyBucket> levies;
  // 전력산업기반기금 rate of each billed day, summed (thousandths of a percent), and the first's.
  std::int64_t fund_day_sum = 0;
  std::int64_t fund_first = 0;
  bool fund_changes = false;

  const Date month_first = period.first;
  for (int d = 0; d < bill.days_in_month; ++d) {
    const Date date{sys_days{month_first} + std::chrono::days{d}};
    const Timestamp day_start = FromKst(date);
    const auto first_index = usage.IndexOf(day_start);
    const auto last_index = usage.IndexOf(day_start + kInterval * (kIntervalsPerDay - 1));
    size_t present = 0;
    if (first_index && last_index) {
      for (size_t i = *first_index; i <= *last_index; ++i) present += usage.at(i).has_value();
    }
    if (present == 0) {
      // Count intervals of this day that exist at all (a partial day at the series' ends).
      for (int s = 0; s < kIntervalsPerDay; ++s) {
        const auto idx = usage.IndexOf(day_start + kInterval * s);
        if (idx && usage.at(*idx)) ++present;
      }
      if (present == 0) {
        missing_days.push_back(FormatDate(date));
        continue;
      }
    }
    if (present != static_cast<size_t>(kIntervalsPerDay)) {
      return InvalidInput(
          fmt::format("{}: the usage data has {} of the day's 96 intervals; a bill "
                      "needs whole days (repair gaps or trim the file)",
                      FormatDate(date), present));
    }
    // The day's slot prices: band, discount and rates of each slot, as the optimizer sees them.
    DayPrice p;
    if (rules.blocks) {
      // 주택용: the blocks are the period's, so a slot has no rate; one register, the day's levies.
      auto levy = LevyRatesOn(book, date, request.fuel_override);
      if (!levy) return levy.error();
      for (SlotPrice& slot : p.slots) {
        slot.band = Band::kMid;
        slot.climate = levy->climate;
        slot.fuel = levy->fuel;
      }
    } else {
      auto prices =
          PriceDay(book, calendar, request.tariff, date, {.with_taxes = false, .fuel_override = request.fuel_override});
      if (!prices) return prices.error();
      p = *prices;
    }
    if (!first_day) first_day = date;
    last_day = date;
    if (levies.empty() || levies.back().climate != p.slots[0].climate || levies.back().fuel != p.slots[0].fuel) {
      levies.push_back(LevyBucket{p.slots[0].climate, p.slots[0].fuel, 0});
    }
    const auto fund_today = book.ChargeOn(Charge::kFundPct, date);
    if (!fund_today) {
      return NotFound(fmt::format("no fund_pct is in force on {} (data/tariff/kepco/charges.csv)", FormatDate(date)));
    }
    fund_day_sum = ar.Add(fund_day_sum, fund_today->milli);
    if (bill.days_billed == 0) fund_first = fund_today->milli;
    fund_changes = fund_changes || fund_today->milli != fund_first;
    ++bill.days_billed;
    basic_rate_day_sum += p.basic.milli_won();
    bill.basic_rate = p.basic;

    // The registers this day feeds, per band and discount.
    std::array<size_t, kIntervalsPerDay> bucket_of{};
    for (size_t s = 0; s < kIntervalsPerDay; ++s) {
      const SlotPrice& slot = p.slots[s];
      const Band b = slot.band;
      const auto disc = static_cast<std::int32_t>(slot.discount.milli_percent());
      size_t k = 0;
      while (k < buckets.size() &&
             !(buckets[k].rates == p.rates && buckets[k].band == b && buckets[k].discount == disc)) {
        ++k;
      }
      if (k == buckets.size()) buckets.push_back(Bucket{p.rates, b, disc, slot.energy_rate, 0});
      bucket_of[s] = k;
    }
    const size_t base = *first_index;
    for (int s = 0; s < kIntervalsPerDay; ++s) {
      const double kw = usage.at(base + static_cast<size_t>(s))->value();
      if (!(std::fabs(kw) <= max_kw)) {
        return InvalidInput(
            fmt::format("{}: {} kW is not a possible 15-minute demand: beyond {} x the contract power {} kW ({} kW); a "
                        "meter or file fault",
                        FormatKst(usage.TimeAt(base + static_cast<size_t>(s))), kw, kMaxDemandPerContract, contract,
                        max_kw));
      }
      // Only import is billed; an interval's energy is its mean kW x 0.25 h, kept in micro-kWh
      // (at most 1e8 kW x 250,000 x 2,976 intervals = 7.4e16, within int64).
      if (kw > 0) {
        Bucket& bucket = buckets[bucket_of[s]];
        const std::int64_t micro = std::llround(kw * 250'000.0);
        bucket.micro_kwh = ar.Add(bucket.micro_kwh, micro);
        levies.back().micro_kwh = ar.Add(levies.back().micro_kwh, micro);
      }
      if (p.slots[static_cast<size_t>(s)].demand_counts && kw > peak) {
        peak = kw;
        bill.peak_at = usage.TimeAt(base + static_cast<size_t>(s));
      }
      max_any = std::max(max_any, kw);
    }
    if (kvar != nullptr) {
      const auto kvar_base = kvar->IndexOf(day_start);
      if (!kvar_base || !kvar->IndexOf(day_start + kInterval * (kIntervalsPerDay - 1))) {
        return InvalidInput(fmt::format("{}: reactive power (kvar) is missing", FormatDate(date)));
      }
      for (int half = 0; half < kIntervalsPerDay / 2; ++half) {
        const size_t i = base + static_cast<size_t>(half * 2);
        const size_t j = *kvar_base + static_cast<size_t>(half * 2);
        const auto q1 = kvar->at(j), q2 = kvar->at(j + 1);
        if (!q1 || !q2) {
          return InvalidInput(fmt::format("{}: reactive power (kvar) has gaps", FormatDate(date)));
        }
        const double kwh = (std::max(0.0, usage.at(i)->value()) + std::max(0.0, usage.at(i + 1)->value())) * 0.25;
        const double kvarh = (*q1 + *q2) * 0.25;
        if (kwh <= 0 && kvarh == 0) continue;  // no flow: no power factor to average
        const double pf = 100.0 * kwh / std::hypot(kwh, kvarh);
        const int minute = half * 30;
        const bool day_hours = minute >= 8 * 60 && minute < 22 * 60;
        if (day_hours) {
          // 08-22 h: lagging PF, each 30-minute value held within [60, 97] (art. 43 ② 1 나);
          // a leading value is not penalised by day and counts as the cap.
          pf_lag_sum += kvarh >= 0 ? std::clamp(pf, 60.0, 97.0) : 97.0;
          ++pf_lag_n;
        } else {
          // 22-08 h: leading PF, below 60 counts as 60, a lagging value as 100 (art. 43 ② 2 나).
          pf_lead_sum += kvarh < 0 ? std::max(pf, 60.0) : 100.0;
          ++pf_lead_n;
        }
      }
    }
  }
  if (bill.days_billed == 0) {
    return InvalidInput(fmt::format("{}: the usage data has no interval in this month", FormatMonth(month)));
  }
  if (bill.days_billed < bill.days_in_month) {
    if (rules.blocks) {
      return Error{ErrorCode::kUnsupported,
                   fmt::format("{}: the usage data covers {} of {} days; the 주택용 blocks of a part period are "
                               "prorated by the 시행세칙 (62), which is not in the reference: bill whole periods",
                               FormatMonth(month), bill.days_billed, bill.days_in_month)};
    }
    if (!request.allow_partial) {
      return InvalidInput(
          fmt::format("{}: the usage data covers {} of {} days (first missing: {}); pass whole months, choose "
                      "months with --months, or bill it prorated with --allow-partial",
                      FormatMonth(month), bill.days_billed, bill.days_in_month, missing_days.front()));
    }
    bill.notes.push_back(
        fmt::format("partial month: {} of {} days billed, basic charge prorated "
                    "by days (art. 80)",
                    bill.days_billed, bill.days_in_month));
  }

  if (rules.blocks) {
    // 주택용: one register of the period (art. 7 ①: rounded to 1 kWh), priced in blocks.
    MEG_TRY(
        PriceResidential(book, request, period, buckets.empty() ? 0 : MicroToKwh(buckets.front().micro_kwh), ar, bill));
    if (request.kvar != nullptr) {
      bill.notes.push_back("the kvar column is not used: 주택용 has no power-factor adjustment (art. 43 ①)");
    }
  } else {
    // Energy registers, each rounded to 1 kWh (art. 7 ①), in band order.
    std::sort(buckets.begin(), buckets.end(), [](const Bucket& a, const Bucket& b) {
      if (a.rates != b.rates) return sys_days{a.rates->effective_from} < sys_days{b.rates->effective_from};
      if (a.band != b.band) return a.band < b.band;
      return a.discount < b.discount;
    });
    MilliWon energy_milli;
    for (const Bucket& b : buckets) {
      EnergyLine line;
      line.band = b.band;
      line.all_hours = !rules.time_of_use;
      line.rates_from = b.rates->effective_from;
      line.rate = b.rate;
      line.discount_milli_pct = b.discount;
      line.kwh = MicroToKwh(b.micro_kwh);
      const MilliWon gross = ar.Times(line.rate, line.kwh);
      line.amount = MilliWon(gross.value() - ar.MulDiv(gross.value(), b.discount, 100'000));
      energy_milli = MilliWon(ar.Add(energy_milli.value(), line.amount.value()));
      bill.energy_kwh = ar.Add(bill.energy_kwh, line.kwh);
      if (b.micro_kwh > 0 || b.discount == 0) bill.energy_lines.push_back(line);
    }
    bill.energy = energy_milli.TruncateToWon();
  }

  bill.peak_kw = peak < 0 ? 0 : RoundHalfUpToUnit(peak);
  bill.max_demand_kw = max_any < 0 ? 0 : RoundHalfUpToUnit(max_any);
  if (rules.blocks) {
    // 주택용 has no 요금적용전력: its basic charge is per household (PriceResidential).
  } else if (BillsContractPower(request.tariff.voltage)) {
    // 요금적용전력, art. 68 ②: a customer without a demand meter (저압, art. 38 ②) is billed on
    // contract power.
    bill.billing_demand_kw = bill.contract_kw;
    bill.contract_power_billed = true;
  } else {
    // 요금적용전력, art. 68 ①: the largest peak of the current month and of the demand months
    // among the 11 before it, floored at 30 % of contract power.
    bill.billing_demand_kw = bill.peak_kw;
    bill.billing_demand_month = month;
    std::vector<std::string> unknown;
    for (int back = 11; back >= 1; --back) {
      const Month m = AddMonths(month, -back);
      if (!IsDemandMonth(m)) continue;
      const MonthDemand* d = history.Find(m);
      if (d == nullptr) {
        unknown.push_back(FormatMonth(m));
        continue;
      }
      if (d->peak_kw > bill.billing_demand_kw) {
        bill.billing_demand_kw = d->peak_kw;
        bill.billing_demand_month = m;
      }
    }
    if (!unknown.empty()) {
      std::string list;
      for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
      bill.notes.push_back(
          fmt::format("demand months {} are not in the history: their peaks could "
                      "raise the billing demand (seed them with --history)",
                      list));
    }
    // 30 % of contract power, rounded to 1 kW (art. 7 ①): contract x 3 / 10, half up.
    const std::int64_t floor_kw = (bill.contract_kw * 3 + 5) / 10;
    if (bill.billing_demand_kw < floor_kw) {
      bill.billing_demand_kw = floor_kw;
      bill.billing_demand_month.reset();
      bill.floor_applied = true;
    }
  }

  // 기본요금: billing demand x basic rate, by days when the rate or the billed days change within
  // the month (art. 80).
  if (!rules.blocks) {
    const MilliWon basic_milli(ar.Mul(bill.billing_demand_kw, basic_rate_day_sum) / bill.days_in_month);
    bill.basic = basic_milli.TruncateToWon();
  }

  // Power-factor adjustment of the basic charge (art. 43). The tables (data/tariff/kepco/charges.csv)
  // hold the 30-minute method of the amended terms, in force from 2025-02-01; the earlier monthly
  // method is not modelled, and a bill without the adjustment it asks for would be wrong: refused.
  if (kvar != nullptr && !book.ChargeOn(Charge::kPfLagStandardPct, *first_day)) {
    return Error{ErrorCode::kUnsupported,
                 fmt::format("{}: reactive power (the kvar column) is used only for the power-factor adjustment "
                             "(art. 43), priced here by the 30-minute method in force from 2025-02-01; the earlier "
                             "rules are not modelled. Bill months before 2025-02 from a file without the kvar column",
                             FormatMonth(month))};
  }
  if (kvar != nullptr) {
    auto lag_std = ChargeMilli(book, Charge::kPfLagStandardPct, *first_day, *last_day, "pf_lag_standard_pct");
    auto lag_cap = ChargeMilli(book, Charge::kPfLagCapPct, *first_day, *last_day, "pf_lag_cap_pct");
    auto lead_std = ChargeMilli(book, Charge::kPfLeadStandardPct, *first_day, *last_day, "pf_lead_standard_pct");
    auto step = ChargeMilli(book, Charge::kPfStepPctOfBasic, *first_day, *last_day, "pf_step_pct_of_basic");
    for (const auto* r : {&lag_std, &lag_cap, &lead_std, &step}) {
      if (!*r) return r->error();
    }
    // Monthly means rounded to 1 % (art. 7 ①).
    const int lag = pf_lag_n > 0 ? static_cast<int>(RoundHalfUpToUnit(pf_lag_sum / pf_lag_n)) : 100;
    const int lead = pf_lead_n > 0 ? static_cast<int>(RoundHalfUpToUnit(pf_lead_sum / pf_lead_n)) : 100;
    bill.pf_lag_pct = lag;
    bill.pf_lead_pct = lead;
    const std::int64_t lag_std_pct = *lag_std / 1000, lag_cap_pct = *lag_cap / 1000;
    const std::int64_t lead_std_pct = *lead_std / 1000;
    std::int64_t adj_milli_pct = 0;  // + surcharge, - discount, in thousandths of a percent
    if (lag < lag_std_pct) adj_milli_pct += (lag_std_pct - lag) * *step;
    if (lag > lag_std_pct) adj_milli_pct -= (std::min<std::int64_t>(lag, lag_cap_pct) - lag_std_pct) * *step;
    if (lead < lead_std_pct) adj_milli_pct += (lead_std_pct - lead) * *step;
    std::int64_t surcharge_milli_pct = 0;
    if (lag < lag_std_pct) surcharge_milli_pct += (lag_std_pct - lag) * *step;
    if (lead < lead_std_pct) surcharge_milli_pct += (lead_std_pct - lead) * *step;
    bill.pf_surcharge_incurred = surcharge_milli_pct > 0;
    if (surcharge_milli_pct > 0 && !history.PfSurchargeBefore(month)) {
      // Art. 43 ③: the first month with a surcharge only announces it.
      adj_milli_pct -= surcharge_milli_pct;
      bill.notes.push_back(
          fmt::format("power-factor surcharge of {:.1f} % announced, not charged: "
                      "the first such month (art. 43 ③)",
                      static_cast<double>(surcharge_milli_pct) / 1000.0));
    }
    bill.pf_adjustment_pct = Percent::FromMilliPercent(adj_milli_pct);
    bill.pf_adjustment = ar.Of(bill.pf_adjustment_pct, bill.basic).TruncateToWon();
  }

  // 기후환경요금 and 연료비조정요금 on the metered kWh (art. 67 ② 2, 3), at the slots' rates (the
  // fuel override, if any, checked against the cap by PriceDay).
  // The rates of the last billed day (shown on the bill; the only ones but where a period holds a change).
  bill.climate_rate = levies.back().climate;
  bill.fuel_rate = levies.back().fuel;
  if (levies.size() <= 1) {
    bill.climate = ar.Times(bill.climate_rate, bill.energy_kwh).TruncateToWon();
    bill.fuel = ar.Times(bill.fuel_rate, bill.energy_kwh).TruncateToWon();
  } else {
    // A period read on another day than the 1st holds a change of rate: each day's kWh at its
    // day's rate, each part rounded to 1 kWh (art. 80; **assumption**: the 세칙's 일수계산 by
    // the metered days, not a pro-rata split of the period's kWh).
    MilliWon climate, fuel;
    std::string parts;
    for (const LevyBucket& l : levies) {
      const std::int64_t kwh = MicroToKwh(l.micro_kwh);
      climate = MilliWon(ar.Add(climate.value(), ar.Times(l.climate, kwh).value()));
      fuel = MilliWon(ar.Add(fuel.value(), ar.Times(l.fuel, kwh).value()));
      parts +=
          fmt::format("{}{} kWh at {:.1f} + {:.1f}", parts.empty() ? "" : ", ", kwh, l.climate.won(), l.fuel.won());
    }
    bill.climate = climate.TruncateToWon();
    bill.fuel = fuel.TruncateToWon();
    bill.notes.push_back(
        fmt::format("the climate or fuel-cost rate changes within the period: {} KRW/kWh (climate + fuel, art. 80)",
                    parts));
  }

  if (bill.contract_power_billed) {
    // 초과사용부가금, art. 67-3 ① 2 and ④: a contract-power customer without a demand meter that
    // uses more than 450 kWh a month per kW of contract power. The kWh from 451 to 720 per kW
    // pay 150 % (the 2nd-3rd time), 200 % (4th-5th) or 250 % (6th on) of the energy, climate and
    // fuel rates; beyond 720 per kW 300 %. The first time is only announced. The times are
    // counted over the months of the history. Art. 67-3 ② (an excess the customer cannot
    // avoid within contract power) is KEPCO's decision and not modelled. 농사용(갑) is not among
    // the classes art. 67-3 ① lists.
    const std::int64_t allowed = ar.Mul(bill.contract_kw, 450);
    if (rules.energy_surcharge && bill.energy_kwh > allowed) {
      const std::int64_t upper = ar.Mul(bill.contract_kw, 720);
      const std::int64_t tier1 = std::min(bill.energy_kwh, upper) - allowed;
      const std::int64_t tier2 = std::max<std::int64_t>(0, bill.energy_kwh - upper);
      bill.over_energy_kwh = bill.energy_kwh - allowed;
      bill.over_contract_incurred = true;
      const int times = 1 + history.OverContractCountBefore(month);
      if (times == 1) {
        bill.notes.push_back(fmt::format(
            "{} kWh is {} kWh beyond 450 kWh per kW of contract power {}: the first such month is a warning; "
            "from the next one a surcharge of 150-300 % of the energy rate applies (art. 67-3 ① 2, ④)",
            bill.energy_kwh, bill.over_energy_kwh, KwText(bill.contract_kw)));
      } else {
        const int mult = times <= 3 ? 150 : times <= 5 ? 200 : 250;
        // The energy rate of the month's last register: one rate for all hours (저압 tables are
        // flat, art. 67 ⑧).
        const WonPerKwh unit = bill.energy_lines.empty() ? WonPerKwh() : bill.energy_lines.back().rate;
        const std::int64_t per_kwh =
            ar.Add(ar.Add(unit.milli_won(), bill.climate_rate.milli_won()), bill.fuel_rate.milli_won());
        const std::int64_t milli =
            ar.Add(ar.Mul(ar.Mul(tier1, per_kwh), mult) / 100, ar.Mul(ar.Mul(tier2, per_kwh), 300) / 100);
        bill.over_contract_multiplier_pct = mult;
        bill.over_contract = MilliWon(milli).TruncateToWon();
        bill.notes.push_back(fmt::format(
            "{} kWh is {} kWh beyond 450 kWh per kW of contract power {} (time {}): {} kWh at {} % and {} kWh "
            "beyond 720 kWh/kW at 300 % of {:.1f} KRW/kWh (art. 67-3 ① 2)",
            bill.energy_kwh, bill.over_energy_kwh, KwText(bill.contract_kw), times, tier1, mult, tier2,
            static_cast<double>(per_kwh) / 1000.0));
      }
    }
  } else if (!rules.blocks && bill.max_demand_kw > bill.contract_kw) {
    // 초과사용부가금, art. 67-3 ③ ④: warned the first month, charged from the second.
    bill.over_contract_incurred = true;
    const std::int64_t excess = bill.max_demand_kw - bill.contract_kw;
    const int mult = OverContractMultiplierPct(excess, bill.contract_kw);
    if (history.OverContractBefore(month)) {
      bill.over_contract_multiplier_pct = mult;
      bill.over_contract = MilliWon(ar.Mul(ar.Mul(excess, bill.basic_rate.milli_won()), mult) / 100).TruncateToWon();
      bill.notes.push_back(
          fmt::format("demand {} exceeded contract power {} by {} kW: surcharge at "
                      "{} % of the basic rate (art. 67-3 ③)",
                      KwText(bill.max_demand_kw), KwText(bill.contract_kw), excess, mult));
    } else {
      bill.notes.push_back(
          fmt::format("demand {} exceeded contract power {} by {} kW: the first "
                      "such month is a warning; from the next one a {} % "
                      "surcharge applies (art. 67-3 ④)",
                      KwText(bill.max_demand_kw), KwText(bill.contract_kw), excess, mult));
    }
  }

  bill.subtotal = ar.Sum({bill.basic, bill.pf_adjustment, bill.energy, bill.climate, bill.fuel, bill.over_contract});
  auto vat = ChargeMilli(book, Charge::kVatPct, *first_day, *last_day, "vat_pct");
  if (!vat) return vat.error();
  bill.vat_pct = Percent::FromMilliPercent(*vat);
  // The fund at each day's rate (전기사업법 시행령 36조: by the usage date): one rate but where a
  // period read on another day than the 1st holds a change, then weighted by the billed days
  // (art. 80; **assumption**: by days, not by each day's share of the bill).
  bill.fund_pct = Percent::FromMilliPercent(fund_day_sum / bill.days_billed);
  // VAT rounded to the won; the fund truncated below 10 won; the bill (VAT included) truncated
  // below 10 won (art. 7 ②, 국고금관리법 47조).
  bill.vat = ar.Of(bill.vat_pct, bill.subtotal).RoundToWon();
  if (!fund_changes) {
    bill.fund = Won(ar.Of(bill.fund_pct, bill.subtotal).TruncateToWon().value() / 10 * 10);
  } else {
    bill.fund = Won(ar.MulDiv(bill.subtotal.value(), fund_day_sum, ar.Mul(bill.days_billed, 100'000)) / 10 * 10);
    bill.notes.push_back(
        fmt::format("the fund's rate changes within the period: {:.4f} % on average over its days "
                    "(art. 80)",
                    static_cast<double>(fund_day_sum) / bill.days_billed / 1000.0));
  }
  bill.total = Won(ar.Sum({bill.subtotal, bill.vat, bill.fund}).value() / 10 * 10);
  if (ar.overflow) {
    return InvalidInput(
        fmt::format("{}: the bill's amounts exceed what 64-bit milli-won hold (a tariff table or "
                    "demand far beyond any real site); nothing is billed",
                    FormatMonth(month)));
  }
  return bill;
}

Result<std::vector<MonthlyBill>> BillMonths(const TariffBook& book, const HolidayCalendar& calendar,
                                            const BillRequest& request, const std::vector<Month>& months,
                                            DemandHistory& history) {
  std::vector<MonthlyBill> bills;
  bills.reserve(months.size());
  for (const Month m : months) {
    auto bill = ComputeMonthlyBill(book, calendar, request, m, history);
    if (!bill) return bill.error();
    history.Record(MonthDemand{m, bill->peak_kw, bill->over_contract_incurred, bill->pf_surcharge_incurred});
    bills.push_back(std::move(*bill));
  }
  return bills;
}

}  // namespace meg
