// Bill engine throughput: price a site-year of 15-minute data (35,040 intervals, 2025) month by
// month with the 12-month demand history, and 1,000 site-years (each site its own load scale).
// Target (issue 2): under 1 ms per site-year. The load is the real DOE reference hospital
// mapped onto 2025 (io/doe_hospital.h). Run: build/release/bench/tariff_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "io/doe_hospital.h"
#include "io/text_file.h"
#include "tariff/bill.h"

namespace meg {
namespace {

struct Fixture {
  TariffBook book;
  HolidayCalendar calendar;
  PowerSeries year;  // 2025, 35,040 intervals
  std::vector<Month> months;
};

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "bill_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* fx = new Fixture;
    const std::string dir = std::string(MEG_BENCH_DATA_DIR) + "/tariff/kepco";
    fx->book = OrDie(TariffBook::Load(dir, [](const std::string& p) { return ReadTextFile(p); }),
                     "tariff book");
    const std::string shared = MEG_BENCH_SHARED_DIR;
    const std::string cal = shared + "/data/calendar/kr_public_holidays_2018-2027.csv";
    fx->calendar = OrDie(HolidayCalendar::Parse(OrDie(ReadTextFile(cal), "calendar"), cal), "calendar");
    const std::string doe = shared + "/data/load/doe_ref_hospital_4A_baltimore.csv";
    const auto load = OrDie(ParseDoeHospitalCsv(OrDie(ReadTextFile(doe), "DOE"), doe), "DOE");
    fx->year = OrDie(DoeHospitalOnYear(load, 2025, fx->calendar), "DOE on 2025");
    for (unsigned m = 1; m <= 12; ++m) fx->months.push_back(std::chrono::year{2025} / std::chrono::month{m});
    return fx;
  }();
  return *f;
}

BillRequest Request(const PowerSeries& usage) {
  BillRequest r;
  r.tariff = TariffId{TariffClass::kGeneralEul, Voltage::kHighA, RateOption::kIII};
  r.contract_power = Kilowatts(1800);
  r.usage = &usage;
  return r;
}

// One site-year: 12 monthly bills with the demand history carried across them.
void BM_BillSiteYear(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const BillRequest request = Request(f.year);
  std::int64_t total = 0;
  for (auto _ : state) {
    DemandHistory history;
    auto bills = BillMonths(f.book, f.calendar, request, f.months, history);
    if (!bills) state.SkipWithError(bills.error().message.c_str());
    total += bills->back().total.value();
    benchmark::DoNotOptimize(total);
  }
  state.counters["intervals"] = static_cast<double>(f.year.size());
  state.counters["target_ms_per_site_year"] = 1.0;
}
BENCHMARK(BM_BillSiteYear)->Unit(benchmark::kMillisecond);

// 1,000 site-years: the same engine over 1,000 sites whose loads are the hospital scaled 0.5x-1.5x.
void BM_Bill1000SiteYears(benchmark::State& state) {
  const Fixture& f = GetFixture();
  std::vector<PowerSeries> sites;
  sites.reserve(1000);
  for (int i = 0; i < 1000; ++i) {
    const double k = 0.5 + static_cast<double>(i) / 1000.0;
    std::vector<std::optional<Kilowatts>> v;
    v.reserve(f.year.size());
    for (const auto& x : f.year.values()) v.emplace_back(Kilowatts(x->value() * k));
    sites.emplace_back(f.year.start(), f.year.step(), std::move(v));
  }
  for (auto _ : state) {
    std::int64_t total = 0;
    for (const auto& site : sites) {
      DemandHistory history;
      auto bills = BillMonths(f.book, f.calendar, Request(site), f.months, history);
      if (!bills) state.SkipWithError(bills.error().message.c_str());
      total += bills->back().total.value();
    }
    benchmark::DoNotOptimize(total);
  }
  state.counters["site_years"] = 1000;
  state.counters["target_ms"] = 1000.0;
}
BENCHMARK(BM_Bill1000SiteYears)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
