// Slot price tests: single slots priced by hand from data/tariff/kepco/*.csv, VAT and the fund on
// and off, the refusals, and whole months priced slot by slot (Σ kWh x slot price) against the
// bill engine's 전력량요금, 기후환경요금 and 연료비조정요금 lines, to the won.
#include "tariff/slot_price.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <set>

#include "io/text_file.h"
#include "io/torino_campus.h"
#include "tariff/bill.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::Ym;
using testing::Ymd;

constexpr int Slot(int hour, int minute) { return (hour * 60 + minute) / 15; }

WonPerKwh Krw(const char* decimal) { return WonPerKwh::FromDecimal(decimal).value(); }

class SlotPriceTest : public ::testing::Test {
 protected:
  SlotPriceTest() : book_(testing::LoadShippedBook()), calendar_(testing::LoadSharedCalendar()) {}

  TariffId Tariff(const char* name) { return book_.FindTariff(name).value(); }

  TariffBook book_;
  HolidayCalendar calendar_;
};

// 산업용(을) 고압A 선택I on Sat 2026-10-10, under the 2026 reform (rates and hours from
// 2026-04-16): spring/fall 121.5 경부하 / 138.9 중간부하 / 156.4 최대부하 (rates.csv); hours 경부하
// 00-08 and 22-24, 중간부하 08-15 and 21-22, 최대부하 15-21 (bands.csv); on Saturdays and holidays
// 50 % off the energy rate 11-14 h (discounts.csv). Climate 9.0 (charges.csv); fuel 5.0 given
// (2026-Q4 is not published). A Saturday meters 최대부하 energy as 중간부하; its demand counts.
TEST_F(SlotPriceTest, SaturdaySlotsPricedByHandWithTheWeekendDiscount) {
  PriceOptions options;
  options.fuel_override = Krw("5.0");
  auto day = PriceDay(book_, calendar_, Tariff("산업용(을) 고압A 선택I"), Ymd(2026, 10, 10), options);
  ASSERT_TRUE(day) << day.error().message;
  EXPECT_EQ(day->kind, DayKind::kSaturday);
  EXPECT_EQ(day->season, Season::kSpringFall);
  EXPECT_EQ(day->basic, WonPerKw::FromDecimal("7220").value());
  const auto& s = day->slots;
  // 03:00 경부하: 121.5 + 9.0 + 5.0 = 135.5, no demand.
  EXPECT_EQ(s[Slot(3, 0)].band, Band::kOffPeak);
  EXPECT_EQ(s[Slot(3, 0)].BeforeTaxes(), Krw("135.5"));
  EXPECT_FALSE(s[Slot(3, 0)].demand_counts);
  // 10:45 중간부하: 138.9 + 14.0 = 152.9.
  EXPECT_EQ(s[Slot(10, 45)].BeforeTaxes(), Krw("152.9"));
  EXPECT_TRUE(s[Slot(10, 45)].demand_counts);
  // 11:00 and 13:45, in the discount: 138.9 x 50 % = 69.45; + 14.0 = 83.45.
  for (const int slot : {Slot(11, 0), Slot(13, 45)}) {
    EXPECT_EQ(s[slot].band, Band::kMid);
    EXPECT_EQ(s[slot].energy_rate, Krw("138.9"));
    EXPECT_EQ(s[slot].discount, Percent::FromDecimal("50").value());
    EXPECT_EQ(s[slot].energy, Krw("69.45"));
    EXPECT_EQ(s[slot].climate, Krw("9.0"));
    EXPECT_EQ(s[slot].fuel, Krw("5.0"));
    EXPECT_EQ(s[slot].BeforeTaxes(), Krw("83.45"));
  }
  // 14:00: the discount has ended ([11:00, 14:00)).
  EXPECT_EQ(s[Slot(14, 0)].BeforeTaxes(), Krw("152.9"));
  // 16:00 is 최대부하 on a weekday; on a Saturday its energy is 중간부하 (152.9); demand counts.
  EXPECT_EQ(s[Slot(16, 0)].band, Band::kMid);
  EXPECT_EQ(s[Slot(16, 0)].BeforeTaxes(), Krw("152.9"));
  EXPECT_TRUE(s[Slot(16, 0)].demand_counts);
  EXPECT_EQ(s[Slot(21, 45)].BeforeTaxes(), Krw("152.9"));
  EXPECT_EQ(s[Slot(22, 0)].BeforeTaxes(), Krw("135.5"));
}

// The same tariff on Sun 2026-10-11 (all 경부하, the discount at 11-14 h) and Wed 2026-10-14 (no
// discount; 최대부하 15-21 h).
TEST_F(SlotPriceTest, SundayAndWeekdaySlotsPricedByHand) {
  PriceOptions options;
  options.fuel_override = Krw("5.0");
  const TariffId id = Tariff("산업용(을) 고압A 선택I");
  auto sunday = PriceDay(book_, calendar_, id, Ymd(2026, 10, 11), options);
  ASSERT_TRUE(sunday) << sunday.error().message;
  EXPECT_EQ(sunday->kind, DayKind::kHoliday);
  EXPECT_EQ(sunday->slots[Slot(10, 45)].BeforeTaxes(), Krw("135.5"));  // 121.5 + 14.0
  EXPECT_EQ(sunday->slots[Slot(11, 0)].BeforeTaxes(), Krw("74.75"));   // 121.5 / 2 = 60.75, + 14.0
  EXPECT_EQ(sunday->slots[Slot(16, 0)].BeforeTaxes(), Krw("135.5"));
  for (const SlotPrice& p : sunday->slots) EXPECT_FALSE(p.demand_counts);
  auto wednesday = PriceDay(book_, calendar_, id, Ymd(2026, 10, 14), options);
  ASSERT_TRUE(wednesday) << wednesday.error().message;
  EXPECT_EQ(wednesday->slots[Slot(11, 0)].BeforeTaxes(), Krw("152.9"));  // 138.9 + 14.0
  EXPECT_EQ(wednesday->slots[Slot(11, 0)].discount, Percent());
  EXPECT_EQ(wednesday->slots[Slot(16, 0)].BeforeTaxes(), Krw("170.4"));  // 156.4 + 14.0
}

// VAT (10 %) and the fund (2.7 % from 2025-07-01; 3.2 % from 2024-07-01) only with with_taxes:
// the exact pre-tax parts do not change, the factor does.
TEST_F(SlotPriceTest, VatAndFundOnlyWhenAsked) {
  PriceOptions plain;
  plain.fuel_override = Krw("5.0");
  PriceOptions taxed = plain;
  taxed.with_taxes = true;
  const TariffId id = Tariff("산업용(을) 고압A 선택I");
  auto without = PriceDay(book_, calendar_, id, Ymd(2026, 10, 10), plain);
  auto with = PriceDay(book_, calendar_, id, Ymd(2026, 10, 10), taxed);
  ASSERT_TRUE(without) << without.error().message;
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ(without->vat, Percent());
  EXPECT_EQ(without->fund, Percent());
  EXPECT_EQ(without->TaxFactor(), 1.0);
  EXPECT_EQ(with->vat, Percent::FromDecimal("10").value());
  EXPECT_EQ(with->fund, Percent::FromDecimal("2.7").value());
  EXPECT_DOUBLE_EQ(with->TaxFactor(), 1.127);
  for (int s = 0; s < kIntervalsPerDay; ++s) {
    EXPECT_EQ(with->slots[static_cast<size_t>(s)].BeforeTaxes(), without->slots[static_cast<size_t>(s)].BeforeTaxes());
    EXPECT_DOUBLE_EQ(without->KrwPerKwh(s), without->slots[static_cast<size_t>(s)].BeforeTaxes().won());
  }
  EXPECT_NEAR(without->KrwPerKwh(Slot(11, 0)), 83.45, 1e-9);
  EXPECT_NEAR(with->KrwPerKwh(Slot(11, 0)), 94.04815, 1e-9);   // 83.45 x 1.127
  EXPECT_NEAR(with->KrwPerKwh(Slot(10, 45)), 172.3183, 1e-9);  // 152.9 x 1.127
  EXPECT_NEAR(without->BasicKrwPerKw(), 7220, 1e-9);
  EXPECT_NEAR(with->BasicKrwPerKw(), 8136.94, 1e-9);  // 7,220 x 1.127

  // 일반용(을) 고압A 선택II on Mon 2024-08-12 with the published fuel rate (2024-Q3: 5.0): summer
  // 최대부하 at 11:00 222.3 + 9.0 + 5.0 = 236.3; x (1 + 0.10 + 0.032) = 267.4916.
  PriceOptions taxed_2024;
  taxed_2024.with_taxes = true;
  auto august = PriceDay(book_, calendar_, Tariff("일반용(을) 고압A 선택II"), Ymd(2024, 8, 12), taxed_2024);
  ASSERT_TRUE(august) << august.error().message;
  EXPECT_EQ(august->slots[Slot(11, 0)].BeforeTaxes(), Krw("236.3"));
  EXPECT_NEAR(august->KrwPerKwh(Slot(11, 0)), 267.4916, 1e-9);
  EXPECT_NEAR(august->BasicKrwPerKw(), 9418.24, 1e-9);  // 8,320 x 1.132
}

TEST_F(SlotPriceTest, RefusesWhatItCannotPrice) {
  const TariffId id = Tariff("산업용(을) 고압A 선택I");
  // 2026-Q4's fuel-cost adjustment is not published: it must be given.
  auto no_fuel = PriceDay(book_, calendar_, id, Ymd(2026, 10, 10));
  ASSERT_FALSE(no_fuel);
  EXPECT_EQ(no_fuel.error().code, ErrorCode::kNotFound);
  EXPECT_NE(no_fuel.error().message.find("2026-Q4"), std::string::npos) << no_fuel.error().message;
  // A given rate beyond the ±5 KRW/kWh cap is refused, not clamped (별표8 3)).
  PriceOptions over;
  over.fuel_override = Krw("-7.5");
  auto over_cap = PriceDay(book_, calendar_, id, Ymd(2024, 8, 12), over);
  ASSERT_FALSE(over_cap);
  EXPECT_EQ(over_cap.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(over_cap.error().message.find("cap"), std::string::npos) << over_cap.error().message;
  // Outside the holiday calendar (2018-2027) and before any rate table.
  EXPECT_FALSE(PriceDay(book_, calendar_, id, Ymd(2028, 1, 3)));
  EXPECT_FALSE(PriceDay(book_, calendar_, id, Ymd(2022, 1, 3)));
}

// ---------------------------------------------------------------------------------------------
// A month priced slot by slot.

// Σ over the month's slots of kWh x each part of the slot price, exact (micro-kWh x milli-won =
// nano-won), each part truncated to the won as the bill truncates its line.
struct SlotPricedMonth {
  std::int64_t micro_kwh = 0;
  Won energy, climate, fuel;
};

Result<SlotPricedMonth> PriceMonthBySlot(const TariffBook& book, const HolidayCalendar& calendar, TariffId tariff,
                                         Month month, const PowerSeries& usage, const PriceOptions& options) {
  std::int64_t energy = 0, climate = 0, fuel = 0;  // nano-won
  SlotPricedMonth out;
  for (int d = 0; d < DaysInMonth(month); ++d) {
    const Date date = AddDays(month / std::chrono::day{1}, d);
    auto day = PriceDay(book, calendar, tariff, date, options);
    if (!day) return day.error();
    for (int s = 0; s < kIntervalsPerDay; ++s) {
      const auto i = usage.IndexOf(FromKst(date, s * 15));
      if (!i || !usage.at(*i)) return InvalidInput(fmt::format("{} slot {}: no usage", FormatDate(date), s));
      // Import only, kW x 0.25 h in micro-kWh, as the bill meters it.
      const std::int64_t micro = std::llround(std::max(0.0, usage.at(*i)->value()) * 250'000.0);
      const SlotPrice& p = day->slots[static_cast<size_t>(s)];
      out.micro_kwh += micro;
      energy += micro * p.energy.milli_won();
      climate += micro * p.climate.milli_won();
      fuel += micro * p.fuel.milli_won();
    }
  }
  constexpr std::int64_t kNanoPerWon = 1'000'000'000;
  out.energy = Won(energy / kNanoPerWon);
  out.climate = Won(climate / kNanoPerWon);
  out.fuel = Won(fuel / kNanoPerWon);
  return out;
}

// A flat 400 kW through October 2026 under 산업용(을) 고압A 선택I, fuel 5.0: the hand arithmetic of
// BillTest.Reform2026HoursRatesAndWeekendDiscount, reached here slot by slot without the bill.
// Holidays 3, 4, 5, 9, 11, 18, 25 (7); Saturdays 10, 17, 24, 31 (4); weekdays 20. 100 kWh a slot.
// 경부하 154,800 kWh x 121.5 + 8,400 x 60.75 (holidays 11-14 h) = 18,808,200 + 510,300;
// 중간부하 81,600 x 138.9 + 4,800 x 69.45 (Saturdays 11-14 h) = 11,334,240 + 333,360;
// 최대부하 48,000 x 156.4 = 7,507,200. Energy 38,493,300; kWh 31 x 24 x 400 = 297,600;
// climate 297,600 x 9.0 = 2,678,400; fuel 297,600 x 5.0 = 1,488,000.
TEST_F(SlotPriceTest, FlatMonthPricedBySlotMatchesHandCalculation) {
  PriceOptions options;
  options.fuel_override = Krw("5.0");
  const auto usage = testing::MonthOfUsage(Ym(2026, 10), [](const KstDateTime&) { return 400.0; });
  auto month = PriceMonthBySlot(book_, calendar_, Tariff("산업용(을) 고압A 선택I"), Ym(2026, 10), usage, options);
  ASSERT_TRUE(month) << month.error().message;
  EXPECT_EQ(month->micro_kwh, 297'600'000'000);
  EXPECT_EQ(month->energy, Won(38'493'300));
  EXPECT_EQ(month->climate, Won(2'678'400));
  EXPECT_EQ(month->fuel, Won(1'488'000));
}

// The Politecnico di Torino campus' measured 15-minute load (2019, 44-802 kW), laid on a KST month
// day by day from a source month that starts on the same weekday, by the Italian wall-clock label
// of each quarter hour.
struct RealMonthCase {
  const char* name;
  const char* tariff;
  Month month;
  Month source;  // the 2019 month whose days are laid on `month`
  std::optional<const char*> fuel;
};

void PrintTo(const RealMonthCase& c, std::ostream* os) { *os << c.name; }

const TorinoCampusLoad& Torino() {
  static const TorinoCampusLoad* load = [] {
    const std::string path = std::string(MEG_TEST_SHARED_DIR) + "/data/load/polito_campus_15min_2019.csv";
    auto text = ReadTextFile(path);
    if (!text) ADD_FAILURE() << text.error().message;
    auto parsed = ParseTorinoCampusCsv(text ? *text : std::string(), path);
    if (!parsed) ADD_FAILURE() << parsed.error().message;
    return new TorinoCampusLoad(std::move(parsed).value());
  }();
  return *load;
}

// The campus load of `c.source` on the days of `c.month`; with `step_kw`, each value rounded to a
// multiple of it.
PowerSeries CampusMonth(const RealMonthCase& c, double step_kw) {
  const PowerSeries& campus = Torino().total_kw;
  return testing::MonthOfUsage(c.month, [&](const KstDateTime& t) {
    const int day = static_cast<int>(static_cast<unsigned>(t.date.day()));
    const Date source = AddDays(c.source / std::chrono::day{1}, day - 1);
    const auto i = campus.IndexOf(ItalyWallClockToUtc(source, t.minute_of_day).front());
    const double kw = campus.at(i.value())->value();
    return step_kw > 0 ? std::round(kw / step_kw) * step_kw : kw;
  });
}

class SlotPricedMonthTest : public ::testing::TestWithParam<RealMonthCase> {
 protected:
  SlotPricedMonthTest() : book_(testing::LoadShippedBook()), calendar_(testing::LoadSharedCalendar()) {}

  // The bill of `usage` and the slot-priced month, both with the case's fuel rate.
  void PriceBoth(const PowerSeries& usage, MonthlyBill* bill, SlotPricedMonth* slots) {
    const RealMonthCase& c = GetParam();
    BillRequest r;
    r.tariff = book_.FindTariff(c.tariff).value();
    r.contract_power = Kilowatts(1000);
    r.usage = &usage;
    PriceOptions options;
    if (c.fuel) {
      r.fuel_override = WonPerKwh::FromDecimal(*c.fuel).value();
      options.fuel_override = r.fuel_override;
    }
    auto b = ComputeMonthlyBill(book_, calendar_, r, c.month, {});
    ASSERT_TRUE(b) << b.error().message;
    auto s = PriceMonthBySlot(book_, calendar_, r.tariff, c.month, usage, options);
    ASSERT_TRUE(s) << s.error().message;
    *bill = std::move(*b);
    *slots = *s;
  }

  TariffBook book_;
  HolidayCalendar calendar_;
};

// The campus load in 4-kW steps, so that every slot is a whole kWh and the bill's registers need
// no rounding (art. 7 ①): Σ kWh x slot price equals each line of the bill to the won.
TEST_P(SlotPricedMonthTest, EqualsTheBillsEnergyClimateAndFuelLinesToTheWon) {
  const PowerSeries usage = CampusMonth(GetParam(), 4.0);
  MonthlyBill bill;
  SlotPricedMonth slots;
  ASSERT_NO_FATAL_FAILURE(PriceBoth(usage, &bill, &slots));
  EXPECT_EQ(slots.micro_kwh % 1'000'000, 0);
  EXPECT_EQ(slots.micro_kwh / 1'000'000, bill.energy_kwh);
  EXPECT_EQ(slots.energy, bill.energy);
  EXPECT_EQ(slots.climate, bill.climate);
  EXPECT_EQ(slots.fuel, bill.fuel);
  EXPECT_EQ(slots.energy + slots.climate + slots.fuel, bill.energy + bill.climate + bill.fuel);
  RecordProperty("energy_climate_fuel_krw", std::to_string((bill.energy + bill.climate + bill.fuel).value()));
}

// The measured load as it is (0.1-kWh slots): the only difference left is the rounding of each
// register to 1 kWh, at most half a kWh at the register's rate plus the climate and fuel rates.
TEST_P(SlotPricedMonthTest, UnroundedLoadDiffersOnlyByTheRegisterRounding) {
  const PowerSeries usage = CampusMonth(GetParam(), 0.0);
  MonthlyBill bill;
  SlotPricedMonth slots;
  ASSERT_NO_FATAL_FAILURE(PriceBoth(usage, &bill, &slots));
  double bound = 3;  // the three truncations to the won
  for (const EnergyLine& e : bill.energy_lines) {
    bound += 0.5 * (e.rate.won() + bill.climate_rate.won() + bill.fuel_rate.won());
  }
  const Won from_slots = slots.energy + slots.climate + slots.fuel;
  const Won from_bill = bill.energy + bill.climate + bill.fuel;
  EXPECT_LE(std::abs((from_slots - from_bill).value()), bound);
  EXPECT_LE(std::llabs(slots.micro_kwh - bill.energy_kwh * 1'000'000),
            static_cast<std::int64_t>(bill.energy_lines.size()) * 500'000);
}

INSTANTIATE_TEST_SUITE_P(
    TorinoCampus, SlotPricedMonthTest,
    ::testing::Values(
        // A rate and hour-table change on 2026-04-16 and the weekend discount from Sat 04-18.
        RealMonthCase{"Industrial_2026_04", "산업용(을) 고압A 선택I", Ym(2026, 4), Ym(2019, 5), "5.0"},
        // Summer, the hospital's tariff, the published fuel rate of 2024-Q3.
        RealMonthCase{"General_2024_08", "일반용(을) 고압A 선택II", Ym(2024, 8), Ym(2019, 8), std::nullopt},
        // Winter, with Christmas.
        RealMonthCase{"General_2024_12", "일반용(을) 고압A 선택III", Ym(2024, 12), Ym(2019, 12), std::nullopt}),
    [](const auto& info) { return std::string(info.param.name); });

// The April 2026 case does bill discounted energy (so the discount is on the compared path).
TEST(SlotPricedMonthCoverage, April2026HasDiscountedRegistersAndTwoRateTables) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  const RealMonthCase c{"", "산업용(을) 고압A 선택I", Ym(2026, 4), Ym(2019, 5), "5.0"};
  const PowerSeries usage = CampusMonth(c, 4.0);
  BillRequest r;
  r.tariff = book.FindTariff(c.tariff).value();
  r.contract_power = Kilowatts(1000);
  r.usage = &usage;
  r.fuel_override = Krw("5.0");
  auto bill = ComputeMonthlyBill(book, calendar, r, c.month, {});
  ASSERT_TRUE(bill) << bill.error().message;
  std::int64_t discounted = 0;
  std::set<int> tables;
  for (const EnergyLine& e : bill->energy_lines) {
    if (e.discount_milli_pct > 0) discounted += e.kwh;
    tables.insert(static_cast<int>(e.rates_from.year()));
  }
  EXPECT_GT(discounted, 0);
  EXPECT_EQ(tables, (std::set<int>{2024, 2026}));
}

}  // namespace
}  // namespace meg
