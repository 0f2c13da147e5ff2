// Bill engine tests. Every expected figure is worked by hand from the supply terms and the rate
// tables (arithmetic in the comments), never taken from the code under test.
#include "tariff/bill.h"

#include <gtest/gtest.h>

#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::LoadSharedCalendar;
using testing::LoadShippedBook;
using testing::MonthOfUsage;
using testing::Ym;

class BillTest : public ::testing::Test {
 protected:
  BillTest() : book_(LoadShippedBook()), calendar_(LoadSharedCalendar()) {}

  TariffId Tariff(const char* name) { return book_.FindTariff(name).value(); }

  Result<MonthlyBill> Bill(const char* tariff, double contract_kw, Month m, const PowerSeries& usage,
                           const DemandHistory& history = {}) {
    BillRequest r;
    r.tariff = Tariff(tariff);
    r.contract_power = Kilowatts(contract_kw);
    r.usage = &usage;
    r.fuel_override = fuel_;
    return ComputeMonthlyBill(book_, calendar_, r, m, history);
  }

  std::int64_t KwhIn(const MonthlyBill& b, Band band, std::int32_t discount = 0) {
    std::int64_t sum = 0;
    for (const auto& e : b.energy_lines) {
      if (e.band == band && e.discount_milli_pct == discount) sum += e.kwh;
    }
    return sum;
  }

  TariffBook book_;
  HolidayCalendar calendar_;
  std::optional<WonPerKwh> fuel_;
};

// October 2024, 일반용(을) 고압A 선택I, contract 1,000 kW, a flat 500 kW.
// A spring/fall, non-demand month. Days: Sundays 6,13,20,27 and the holidays 3 (개천절) and
// 9 (한글날) are holidays (6); Oct 1 is a 임시공휴일, which 별표3 다만 3 excludes, so it is a weekday;
// Saturdays 5,12,19,26 (4); weekdays 31-6-4 = 21.
// Weekday hours (spring/fall): 경부하 22-08 = 10 h, 중간부하 08-11,12-13,18-22 = 8 h,
// 최대부하 11-12,13-18 = 6 h. Saturday: 최대부하 energy metered as 중간부하 (14 h). Holiday: 24 h 경부하.
TEST_F(BillTest, FlatLoadInANonDemandMonthMatchesHandCalculation) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 500.0; });
  auto bill = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  // 경부하: 21x10x500 + 4x10x500 + 6x24x500 = 105,000 + 20,000 + 72,000 = 197,000 kWh
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak), 197'000);
  // 중간부하: 21x8x500 + 4x14x500 = 84,000 + 28,000 = 112,000 kWh
  EXPECT_EQ(KwhIn(*bill, Band::kMid), 112'000);
  // 최대부하: 21x6x500 = 63,000 kWh
  EXPECT_EQ(KwhIn(*bill, Band::kPeak), 63'000);
  EXPECT_EQ(bill->energy_kwh, 372'000);  // 31 x 24 x 500
  // 197,000x92.8 + 112,000x115.3 + 63,000x146.0 = 18,281,600 + 12,913,600 + 9,198,000
  EXPECT_EQ(bill->energy, Won(40'393'200));
  EXPECT_EQ(bill->billing_demand_kw, 500);
  EXPECT_FALSE(bill->floor_applied);
  EXPECT_EQ(bill->basic, Won(3'610'000));    // 500 x 7,220
  EXPECT_EQ(bill->climate, Won(3'348'000));  // 372,000 x 9.0
  EXPECT_EQ(bill->fuel, Won(1'860'000));     // 372,000 x 5.0 (2024-Q4)
  EXPECT_EQ(bill->subtotal, Won(49'211'200));
  EXPECT_EQ(bill->vat, Won(4'921'120));     // 10 %
  EXPECT_EQ(bill->fund, Won(1'574'750));    // 3.2 % = 1,574,758.4, truncated below 10 won
  EXPECT_EQ(bill->total, Won(55'707'070));  // 49,211,200 + 4,921,120 + 1,574,750
}

// Holidays and Saturdays: a flat 100 kW with three 15-minute bursts in spring/fall 2024-10.
// Thu Oct 3 (개천절) 14:00 at 900 kW: a holiday, so 경부하 and no billing demand.
// Sat Oct 5 14:00 at 700 kW: a Saturday 최대부하 slot, so its demand counts and its energy is
// metered as 중간부하. Tue Oct 1 (임시공휴일, a weekday for KEPCO) 14:00 at 600 kW: 최대부하.
TEST_F(BillTest, HolidayDemandDoesNotCountSaturdayPeakEnergyIsMid) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime& t) {
    const unsigned day = static_cast<unsigned>(t.date.day());
    if (t.minute_of_day == 14 * 60 && day == 3) return 900.0;
    if (t.minute_of_day == 14 * 60 && day == 5) return 700.0;
    if (t.minute_of_day == 14 * 60 && day == 1) return 600.0;
    return 100.0;
  });
  auto bill = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->peak_kw, 700);        // the Saturday burst, not the holiday's 900
  EXPECT_EQ(bill->max_demand_kw, 900);  // the holiday burst still shows as the month's maximum
  // Base 100 kW: 경부하 39,400, 중간부하 22,400, 최대부하 12,600 kWh (the flat test / 5).
  // Holiday burst adds (900-100) x 0.25 = 200 kWh to 경부하; the Saturday burst 150 kWh to
  // 중간부하; the Oct 1 burst 125 kWh to 최대부하.
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak), 39'600);
  EXPECT_EQ(KwhIn(*bill, Band::kMid), 22'550);
  EXPECT_EQ(KwhIn(*bill, Band::kPeak), 12'725);
}

// Band boundaries: the interval starting 07:45 is 경부하, the one starting 08:00 is 중간부하; 21:45
// is 중간부하 and 22:00 경부하 (intervals are named by their start, [start, end)).
TEST_F(BillTest, IntervalOnABandBoundaryBelongsToTheBandItStartsIn) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime& t) {
    if (t.date != testing::Ymd(2024, 10, 2)) return 0.0;  // a Wednesday
    if (t.minute_of_day == 7 * 60 + 45) return 902.0;     // 225.5 kWh, 경부하, no demand
    if (t.minute_of_day == 8 * 60) return 702.0;          // 175.5 kWh, 중간부하
    if (t.minute_of_day == 21 * 60 + 45) return 2.0;      // 0.5 kWh, 중간부하
    if (t.minute_of_day == 22 * 60) return 4.0;           // 1 kWh, 경부하
    return 0.0;
  });
  auto bill = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->peak_kw, 702);
  ASSERT_TRUE(bill->peak_at.has_value());
  EXPECT_EQ(FormatKst(*bill->peak_at), "2024-10-02T08:00:00+09:00");
  // Registers rounded half up to 1 kWh (art. 7 ①): 225.5 + 1 = 226.5 -> 227; 175.5 + 0.5 = 176.
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak), 227);
  EXPECT_EQ(KwhIn(*bill, Band::kMid), 176);
  EXPECT_EQ(KwhIn(*bill, Band::kPeak), 0);
}

// The 30 % floor: contract 1,000 kW, a flat 100 kW: billing demand is 300 kW (art. 68 ①).
TEST_F(BillTest, BillingDemandIsFlooredAtThirtyPercentOfContract) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 100.0; });
  auto bill = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->peak_kw, 100);
  EXPECT_EQ(bill->billing_demand_kw, 300);
  EXPECT_TRUE(bill->floor_applied);
  EXPECT_FALSE(bill->billing_demand_month.has_value());
  EXPECT_EQ(bill->basic, Won(2'166'000));  // 300 x 7,220
  // 30 % of 1,001 kW is 300.3 kW, rounded to 300 kW (art. 7 ①: kW rounded at the first decimal).
  auto odd = Bill("일반용(을) 고압A 선택I", 1001, Ym(2024, 10), usage);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->billing_demand_kw, 300);
}

// Demand month vs non-demand month: with a 1,000 kW peak in October (not a demand month) and
// 800 kW in September (a demand month), November's billing demand is 800 kW set by September.
TEST_F(BillTest, OnlyDemandMonthsCarryIntoLaterBills) {
  DemandHistory history;
  history.Record(MonthDemand{Ym(2024, 9), 800, false, false});
  history.Record(MonthDemand{Ym(2024, 10), 1000, false, false});
  const auto usage = MonthOfUsage(Ym(2024, 11), [](const KstDateTime&) { return 500.0; });
  auto bill = Bill("일반용(을) 고압A 선택I", 1200, Ym(2024, 11), usage, history);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->billing_demand_kw, 800);
  ASSERT_TRUE(bill->billing_demand_month.has_value());
  EXPECT_EQ(*bill->billing_demand_month, Ym(2024, 9));
  EXPECT_EQ(bill->basic, Won(5'776'000));  // 800 x 7,220
}

// The ratchet carries an August peak into winter, for 11 months after it and no longer:
// the window is the current month and the 11 before it ("검침 당월을 포함한 직전 12개월").
TEST_F(BillTest, SummerPeakRatchetsIntoWinterForElevenMonths) {
  DemandHistory history;
  history.Record(MonthDemand{Ym(2024, 8), 900, false, false});
  const auto flat = [](Month m) { return MonthOfUsage(m, [](const KstDateTime&) { return 500.0; }); };
  const auto dec = flat(Ym(2024, 12));
  auto winter = Bill("일반용(을) 고압A 선택I", 1200, Ym(2024, 12), dec, history);
  ASSERT_TRUE(winter) << winter.error().message;
  EXPECT_EQ(winter->billing_demand_kw, 900);
  EXPECT_EQ(*winter->billing_demand_month, Ym(2024, 8));
  EXPECT_EQ(winter->basic, Won(6'498'000));  // 900 x 7,220
  const auto jul = flat(Ym(2025, 7));        // 2024-08 is 11 months before: still counts
  auto july = Bill("일반용(을) 고압A 선택I", 1200, Ym(2025, 7), jul, history);
  ASSERT_TRUE(july) << july.error().message;
  EXPECT_EQ(july->billing_demand_kw, 900);
  const auto aug = flat(Ym(2025, 8));  // 12 months before: out of the window
  auto august = Bill("일반용(을) 고압A 선택I", 1200, Ym(2025, 8), aug, history);
  ASSERT_TRUE(august) << august.error().message;
  EXPECT_EQ(august->billing_demand_kw, 500);
}

// BillMonths keeps the history itself: a July peak of 1,400 kW sets the billing demand of the
// following (lower) months.
TEST_F(BillTest, BillMonthsCarriesTheHistoryAcrossBills) {
  std::vector<std::optional<Kilowatts>> values;
  const Timestamp start = StartOfKstMonth(Ym(2024, 7));
  const Timestamp end = StartOfKstMonth(Ym(2024, 10));
  for (Timestamp t = start; t < end; t += kInterval) {
    const auto k = ToKst(t);
    const bool spike = k.date == testing::Ymd(2024, 7, 15) && k.minute_of_day == 15 * 60;
    values.emplace_back(Kilowatts(spike ? 1400.0 : 600.0));
  }
  const PowerSeries usage(start, kInterval, std::move(values));
  BillRequest r;
  r.tariff = Tariff("일반용(을) 고압A 선택II");
  r.contract_power = Kilowatts(1500);
  r.usage = &usage;
  DemandHistory history;
  auto bills = BillMonths(book_, calendar_, r, {Ym(2024, 7), Ym(2024, 8), Ym(2024, 9)}, history);
  ASSERT_TRUE(bills) << bills.error().message;
  ASSERT_EQ(bills->size(), 3u);
  for (const auto& b : *bills) {
    EXPECT_EQ(b.billing_demand_kw, 1400) << FormatMonth(b.month);
    EXPECT_EQ(b.basic, Won(11'648'000));  // 1,400 x 8,320
  }
  EXPECT_EQ((*bills)[2].peak_kw, 600);
  ASSERT_NE(history.Find(Ym(2024, 7)), nullptr);
  EXPECT_EQ(history.Find(Ym(2024, 7))->peak_kw, 1400);
}

// Leap day: February 2024 has 29 days; Feb 29 (a Thursday) is billed, and the basic charge is a
// whole month's. 일반용(을) 고압A 선택III, winter, flat 400 kW, contract 1,000 kW.
// Holidays: Sundays 4,11,18,25 and 설날 9 (Fri), 10 (Sat), 11 (Sun), 대체공휴일 12 (Mon) -> 7 days;
// Saturdays 3,17,24 (the 10th is a holiday) -> 3; weekdays 29-7-3 = 19.
// Winter weekday: 경부하 10 h, 중간부하 08-09,12-16,19-22 = 8 h, 최대부하 09-12,16-19 = 6 h.
TEST_F(BillTest, LeapDayIsBilled) {
  const auto usage = MonthOfUsage(Ym(2024, 2), [](const KstDateTime&) { return 400.0; });
  auto bill = Bill("일반용(을) 고압A 선택III", 1000, Ym(2024, 2), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->days_in_month, 29);
  EXPECT_EQ(bill->days_billed, 29);
  EXPECT_EQ(bill->energy_kwh, 278'400);  // 29 x 24 x 400
  // 경부하: 19x10x400 + 3x10x400 + 7x24x400 = 76,000 + 12,000 + 67,200 = 155,200
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak), 155'200);
  // 중간부하: 19x8x400 + 3x14x400 = 60,800 + 16,800 = 77,600; 최대부하: 19x6x400 = 45,600
  EXPECT_EQ(KwhIn(*bill, Band::kMid), 77'600);
  EXPECT_EQ(KwhIn(*bill, Band::kPeak), 45'600);
  // 155,200x93.7 + 77,600x139.8 + 45,600x186.7 = 14,542,240 + 10,848,480 + 8,513,520
  EXPECT_EQ(bill->energy, Won(33'904'240));
  EXPECT_EQ(bill->basic, Won(3'924'000));  // 400 x 9,810, not prorated
}

// A month across a rate change: 산업용(을) 고압A 선택I rose by 16.9 KRW/kWh on 2024-10-24
// (supply terms 2024-10-24). Flat 500 kW, contract 1,000 kW.
// Oct 1-23 (old table 99.5/122.0/152.7): holidays 3, 6, 9, 13, 20 (5); Saturdays 5, 12, 19 (3);
// weekdays 15. Oct 24-31 (new table 116.4/138.9/169.6): Sunday 27; Saturday 26; weekdays 6.
TEST_F(BillTest, MonthAcrossARateChangeUsesTheRatesInForceEachDay) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 500.0; });
  auto bill = Bill("산업용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  // Old: 경부하 15x10x500 + 3x10x500 + 5x24x500 = 150,000; 중간 15x8x500 + 3x14x500 = 81,000;
  //      최대 15x6x500 = 45,000.
  // New: 경부하 6x10x500 + 1x10x500 + 1x24x500 = 47,000; 중간 6x8x500 + 1x14x500 = 31,000;
  //      최대 6x6x500 = 18,000.
  ASSERT_EQ(bill->energy_lines.size(), 6u);
  std::map<std::pair<int, int>, std::int64_t> kwh;  // (table year, band) -> kWh
  for (const auto& e : bill->energy_lines) {
    kwh[{static_cast<int>(e.rates_from.year()), static_cast<int>(e.band)}] = e.kwh;
  }
  EXPECT_EQ((kwh[{2023, 0}]), 150'000);
  EXPECT_EQ((kwh[{2023, 1}]), 81'000);
  EXPECT_EQ((kwh[{2023, 2}]), 45'000);
  EXPECT_EQ((kwh[{2024, 0}]), 47'000);
  EXPECT_EQ((kwh[{2024, 1}]), 31'000);
  EXPECT_EQ((kwh[{2024, 2}]), 18'000);
  // Old: 150,000x99.5 + 81,000x122.0 + 45,000x152.7 = 14,925,000 + 9,882,000 + 6,871,500
  //    = 31,678,500. New: 47,000x116.4 + 31,000x138.9 + 18,000x169.6 = 5,470,800 + 4,305,900
  //    + 3,052,800 = 12,829,500. Sum 44,508,000.
  EXPECT_EQ(bill->energy, Won(44'508'000));
  EXPECT_EQ(bill->basic, Won(3'610'000));  // 500 x 7,220 both sides of the change
  // Subtotal 3,610,000 + 44,508,000 + 3,348,000 + 1,860,000 = 53,326,000; VAT 5,332,600;
  // fund 3.2 % = 1,706,432 -> 1,706,430; total 60,365,030.
  EXPECT_EQ(bill->subtotal, Won(53'326'000));
  EXPECT_EQ(bill->total, Won(60'365'030));
}

// The 2026 reform for 산업용(을): new hours (spring/fall 경부하 22-08, 중간부하 08-15 and 21-22,
// 최대부하 15-21), new rates (고압A 선택I 121.5/138.9/156.4) and the spring/fall weekend and
// holiday 11-14 h 50 % discount. October 2026, flat 400 kW, fuel-cost adjustment given as 5.0.
// Oct 2026: holidays Sundays 4,11,18,25, 개천절 3 (Sat), 대체공휴일 5 (Mon), 한글날 9 -> 7;
// Saturdays 10,17,24,31 -> 4; weekdays 20.
TEST_F(BillTest, Reform2026HoursRatesAndWeekendDiscount) {
  fuel_ = WonPerKwh::FromDecimal("5.0").value();
  const auto usage = MonthOfUsage(Ym(2026, 10), [](const KstDateTime&) { return 400.0; });
  auto bill = Bill("산업용(을) 고압A 선택I", 1000, Ym(2026, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  // 경부하: 20x10x400 + 4x10x400 + 7x21x400 = 80,000 + 16,000 + 58,800 = 154,800 full price,
  //         holidays 11-14: 7x3x400 = 8,400 at 50 %.
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak), 154'800);
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak, 50'000), 8'400);
  // 중간부하: 20x8x400 + 4x11x400 = 64,000 + 17,600 = 81,600; Saturdays 11-14: 4x3x400 = 4,800
  // at 50 %. 최대부하: 20x6x400 = 48,000.
  EXPECT_EQ(KwhIn(*bill, Band::kMid), 81'600);
  EXPECT_EQ(KwhIn(*bill, Band::kMid, 50'000), 4'800);
  EXPECT_EQ(KwhIn(*bill, Band::kPeak), 48'000);
  // 154,800x121.5 + 8,400x121.5/2 + 81,600x138.9 + 4,800x138.9/2 + 48,000x156.4
  // = 18,808,200 + 510,300 + 11,334,240 + 333,360 + 7,507,200 = 38,493,300
  EXPECT_EQ(bill->energy, Won(38'493'300));
  EXPECT_EQ(bill->basic, Won(2'888'000));  // 400 x 7,220
  // Subtotal 2,888,000 + 38,493,300 + 2,678,400 + 1,488,000 = 45,547,700; VAT 4,554,770;
  // fund 2.7 % = 1,229,787.9 -> 1,229,780; total 51,332,250.
  EXPECT_EQ(bill->fund, Won(1'229'780));
  EXPECT_EQ(bill->total, Won(51'332'250));
}

// The same month at 250,000 times the demand: 100,000,000 kW on the largest contract power,
// 10,000,000 kW (10 x, the plausibility bound). Every figure scales exactly: issue 16 saw the
// discounted register's gross x discount overflow int64 (2.1e9 kWh x 121,500 milli-won x 50,000).
TEST_F(BillTest, LargestPlausibleDemandBillsWithoutOverflow) {
  fuel_ = WonPerKwh::FromDecimal("5.0").value();
  const auto usage = MonthOfUsage(Ym(2026, 10), [](const KstDateTime&) { return 100'000'000.0; });
  auto bill = Bill("산업용(을) 고압A 선택I", 10'000'000, Ym(2026, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak, 50'000), 8'400LL * 250'000);
  EXPECT_EQ(bill->energy, Won(38'493'300LL * 250'000));  // 9,623,325,000,000
  EXPECT_EQ(bill->basic, Won(2'888'000LL * 250'000));    // 1e8 x 7,220
  // Subtotal 45,547,700 x 250,000 = 11,386,925,000,000; VAT 1,138,692,500,000; fund 2.7 %
  // 307,446,975,000; total 12,833,064,475,000 (the first month over contract is a warning).
  EXPECT_EQ(bill->total, Won(12'833'064'475'000));
}

// Issue 16: 1e12 kW in every interval billed -1.4e15 KRW; 1e300 billed 0 kWh. A 15-minute mean
// beyond 10 x the contract power (core/site.h kMaxDemandPerContract) is a fault: refused with its time.
TEST_F(BillTest, RefusesImpossibleDemand) {
  for (const double kw : {1e12, 1e300, -1e12, 10'000.5}) {
    const auto usage = MonthOfUsage(Ym(2024, 10), [kw](const KstDateTime&) { return kw; });
    auto bill = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
    ASSERT_FALSE(bill) << kw << " kW billed " << bill->total.value();
    EXPECT_NE(bill.error().message.find("2024-10-01T00:00:00+09:00"), std::string::npos) << bill.error().message;
    EXPECT_NE(bill.error().message.find("is not a possible 15-minute demand"), std::string::npos)
        << bill.error().message;
  }
  // 10 x 1,000 kW exactly is still billed.
  const auto edge = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 10'000.0; });
  auto ok = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), edge);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->energy_kwh, 10'000LL * 24 * 31);
}

// Each class takes its own contract power (art. 57 ②③, 58 ①②, 59 ②③): (을) from 300 kW to
// core/site.h's 10,000,000 kW, (갑) 4 to 299 kW (저압 to 499 kW), 교육용(갑) 4 to 999 kW (고압: a
// school may keep it beyond, art. 58 ④), 교육용(을) from 1,000 kW.
TEST_F(BillTest, ContractPowerRangeIsTheClasssRange) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 2.0; });
  for (const double kw : {0.001, 299.0, 10'000'001.0, 1e300}) {
    auto bill = Bill("일반용(을) 고압A 선택I", kw, Ym(2024, 10), usage);
    ASSERT_FALSE(bill) << kw;
    EXPECT_NE(bill.error().message.find("일반용(을) 고압A takes a whole number of kW from 300 to 10000000 kW"),
              std::string::npos)
        << bill.error().message;
  }
  EXPECT_TRUE(Bill("일반용(을) 고압A 선택I", 300, Ym(2024, 10), usage));
  EXPECT_TRUE(Bill("일반용(을) 고압A 선택I", 10'000'000, Ym(2024, 10), usage));
  const struct {
    const char* tariff;
    double ok_low, ok_high, bad_low, bad_high;
  } kClasses[] = {{"일반용(갑)I 저압", 4, 499, 3, 500},
                  {"산업용(갑)I 저압", 4, 499, 3, 500},
                  {"산업용(갑)II 고압A 선택I", 4, 299, 3, 300},
                  {"일반용(갑)I 고압A 선택I", 4, 299, 3, 300},
                  {"교육용(갑) 저압", 4, 999, 3, 1000},
                  {"교육용(을) 고압A 선택II", 1000, 10'000'000, 999, 10'000'001}};
  for (const auto& c : kClasses) {
    EXPECT_TRUE(Bill(c.tariff, c.ok_low, Ym(2024, 10), usage)) << c.tariff;
    EXPECT_TRUE(Bill(c.tariff, c.ok_high, Ym(2024, 10), usage)) << c.tariff;
    auto low = Bill(c.tariff, c.bad_low, Ym(2024, 10), usage);
    ASSERT_FALSE(low) << c.tariff;
    EXPECT_NE(low.error().message.find("takes a whole number of kW"), std::string::npos) << low.error().message;
    EXPECT_FALSE(Bill(c.tariff, c.bad_high, Ym(2024, 10), usage)) << c.tariff;
  }
  // Art. 58 ④: a school under 초·중등교육법 of 1,000 kW or more may take 교육용(갑) 고압; the bill says so.
  auto school = Bill("교육용(갑) 고압A 선택I", 1200, Ym(2024, 10), usage);
  ASSERT_TRUE(school) << school.error().message;
  ASSERT_FALSE(school->notes.empty());
  EXPECT_NE(school->notes.front().find("is for a school under 초·중등교육법 (art. 58 ④)"), std::string::npos)
      << school->notes.front();
  EXPECT_FALSE(Bill("교육용(갑) 저압", 1200, Ym(2024, 10), usage));
}

// 일반용 keeps the old hours until 2026-05-31 and takes the new ones from 2026-06-01: a 400 kW
// burst at 11:00 on Wed 2026-06-10 is 중간부하 under the new summer table (08-15), where it was
// 최대부하 under the old one.
TEST_F(BillTest, GeneralClassTakesNewHoursFromJune2026) {
  fuel_ = WonPerKwh::FromDecimal("5.0").value();
  const auto usage = MonthOfUsage(Ym(2026, 6), [](const KstDateTime& t) {
    return t.date == testing::Ymd(2026, 6, 10) && t.minute_of_day == 11 * 60 ? 400.0 : 0.0;
  });
  auto bill = Bill("일반용(을) 고압A 선택I", 1000, Ym(2026, 6), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(KwhIn(*bill, Band::kMid), 100);
  EXPECT_EQ(KwhIn(*bill, Band::kPeak), 0);
  const auto may = MonthOfUsage(Ym(2026, 5), [](const KstDateTime& t) {
    return t.date == testing::Ymd(2026, 5, 13) && t.minute_of_day == 11 * 60 ? 400.0 : 0.0;
  });
  auto old = Bill("일반용(을) 고압A 선택I", 1000, Ym(2026, 5), may);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(KwhIn(*old, Band::kPeak), 100);
}

// Over contract power (art. 67-3 ③ ④): 1,150 kW on a 1,000 kW contract is 15 % over: the first
// month is a warning, the next one pays 150 kW x 7,220 x 150 % = 1,624,500 KRW.
TEST_F(BillTest, OverContractIsWarnedFirstThenCharged) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime& t) {
    return t.date == testing::Ymd(2024, 10, 2) && t.minute_of_day == 15 * 60 ? 1150.0 : 500.0;
  });
  auto first = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->over_contract, Won(0));
  DemandHistory history;
  history.Record(MonthDemand{Ym(2024, 9), 1100, true, false});
  auto second = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage, history);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->over_contract_multiplier_pct, 150);
  EXPECT_EQ(second->over_contract, Won(1'624'500));
  // 1,650 kW is 65 % over: 650 x 7,220 x 400 % = 18,772,000.
  const auto big = MonthOfUsage(Ym(2024, 10), [](const KstDateTime& t) {
    return t.date == testing::Ymd(2024, 10, 2) && t.minute_of_day == 15 * 60 ? 1650.0 : 500.0;
  });
  auto third = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), big, history);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->over_contract, Won(18'772'000));
}

// Power factor (art. 43, in force from 2025-02-01): lagging 90 % by day is 2 points under 92 %:
// +0.4 % of the basic charge, announced the first month, charged the next; lagging 95 % is
// 3 points over: -0.6 %. Nights are lagging, which counts as 100 % for the leading check.
TEST_F(BillTest, PowerFactorAdjustsTheBasicCharge) {
  const Month m = Ym(2025, 3);
  const auto usage = MonthOfUsage(m, [](const KstDateTime&) { return 500.0; });
  auto kvar_series = [&](double pf) {
    const double tan_phi = std::sqrt(1.0 / (pf * pf) - 1.0);
    std::vector<std::optional<double>> q(usage.size(), 500.0 * tan_phi);
    return IntervalSeries<double>(usage.start(), kInterval, std::move(q));
  };
  const auto q90 = kvar_series(0.90);
  BillRequest r;
  r.tariff = Tariff("일반용(을) 고압A 선택I");
  r.contract_power = Kilowatts(1000);
  r.usage = &usage;
  r.kvar = &q90;
  auto first = ComputeMonthlyBill(book_, calendar_, r, m, {});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->pf_lag_pct, 90);
  EXPECT_EQ(first->pf_lead_pct, 100);
  EXPECT_EQ(first->basic, Won(3'610'000));  // 500 x 7,220
  EXPECT_EQ(first->pf_adjustment, Won(0));  // announced only
  DemandHistory warned;
  warned.Record(MonthDemand{Ym(2025, 2), 500, false, true});
  auto second = ComputeMonthlyBill(book_, calendar_, r, m, warned);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->pf_adjustment, Won(14'440));  // 3,610,000 x 0.4 %
  const auto q95 = kvar_series(0.95);
  r.kvar = &q95;
  auto good = ComputeMonthlyBill(book_, calendar_, r, m, {});
  ASSERT_TRUE(good);
  EXPECT_EQ(good->pf_lag_pct, 95);
  EXPECT_EQ(good->pf_adjustment, Won(-21'660));  // 3,610,000 x -0.6 %
}

TEST_F(BillTest, RefusesWhatItCannotPriceCorrectly) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 500.0; });
  // (을) needs 300 kW or more.
  auto small = Bill("일반용(을) 고압A 선택I", 250, Ym(2024, 10), usage);
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().message.find("300"), std::string::npos);
  // A month without a published fuel-cost adjustment (2026-Q4) needs it given.
  const auto later = MonthOfUsage(Ym(2026, 10), [](const KstDateTime&) { return 500.0; });
  auto no_fuel = Bill("일반용(을) 고압A 선택I", 1000, Ym(2026, 10), later);
  ASSERT_FALSE(no_fuel);
  EXPECT_NE(no_fuel.error().message.find("2026-Q4"), std::string::npos);
  // A fuel-cost adjustment beyond the ±5 KRW/kWh cap is refused, not clamped.
  fuel_ = WonPerKwh::FromDecimal("7.5").value();
  auto over_cap = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_FALSE(over_cap);
  EXPECT_NE(over_cap.error().message.find("cap"), std::string::npos);
  fuel_.reset();
  // A month the data covers in part is refused unless asked for.
  const auto part = usage.Slice(FromKst(testing::Ymd(2024, 10, 1)), FromKst(testing::Ymd(2024, 10, 20)));
  auto partial = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), part);
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.error().message.find("19 of 31 days"), std::string::npos);
  // Power-factor rules before 2025-02-01 are not in the shipped terms: refused.
  const auto old = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 500.0; });
  std::vector<std::optional<double>> q(old.size(), 100.0);
  const IntervalSeries<double> kvar(old.start(), kInterval, std::move(q));
  BillRequest r;
  r.tariff = Tariff("일반용(을) 고압A 선택I");
  r.contract_power = Kilowatts(1000);
  r.usage = &old;
  r.kvar = &kvar;
  auto pf_old = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 10), {});
  ASSERT_FALSE(pf_old);
  // Said in the user's terms (issue 16): what the kvar column is for and what to do, not a table name.
  EXPECT_NE(pf_old.error().message.find("2024-10: reactive power (the kvar column) is used only for the power-factor"),
            std::string::npos)
      << pf_old.error().message;
  EXPECT_NE(pf_old.error().message.find("in force from 2025-02-01"), std::string::npos);
  EXPECT_NE(pf_old.error().message.find("without the kvar column"), std::string::npos);
}

TEST_F(BillTest, PartialMonthProratesTheBasicCharge) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 500.0; });
  const auto part = usage.Slice(FromKst(testing::Ymd(2024, 10, 1)), FromKst(testing::Ymd(2024, 10, 11)));
  BillRequest r;
  r.tariff = Tariff("일반용(을) 고압A 선택I");
  r.contract_power = Kilowatts(1000);
  r.usage = &part;
  r.allow_partial = true;
  auto bill = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 10), {});
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->days_billed, 10);
  EXPECT_EQ(bill->basic, Won(1'164'516));  // 500 x 7,220 x 10 / 31 = 1,164,516.1
  EXPECT_EQ(bill->energy_kwh, 120'000);    // 10 x 24 x 500
}

TEST(DemandHistoryTest, ParsesAndFormatsCsv) {
  auto h = DemandHistory::ParseCsv("month,peak_kw\n2023-08,1480\n2023-12,1210\n", "h.csv");
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_NE(h->Find(testing::Ym(2023, 8)), nullptr);
  EXPECT_EQ(h->Find(testing::Ym(2023, 8))->peak_kw, 1480);
  EXPECT_EQ(h->FormatCsv(), "month,peak_kw,over_contract,pf_surcharge\n2023-08,1480,0,0\n2023-12,1210,0,0\n");
  auto bad = DemandHistory::ParseCsv("month,peak_kw\n2023-13,1480\n", "h.csv");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("h.csv:2"), std::string::npos);
  auto dup = DemandHistory::ParseCsv("month,peak_kw\n2023-08,1\n2023-08,2\n", "h.csv");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("twice"), std::string::npos);
}

// A history peak feeds the basic charge (peak x rate): 1e30 kW would be a cast beyond int64.
TEST(DemandHistoryTest, RefusesAnImpossiblePeak) {
  auto huge = DemandHistory::ParseCsv("month,peak_kw\n2023-08,1e30\n", "h.csv");
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("h.csv:2: peak_kw '1e30' must be a whole number of kW in 0..100000000"),
            std::string::npos)
      << huge.error().message;
  EXPECT_TRUE(DemandHistory::ParseCsv("month,peak_kw\n2023-08,100000000\n", "h.csv"));
}

}  // namespace
}  // namespace meg
