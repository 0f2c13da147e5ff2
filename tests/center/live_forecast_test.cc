// The live forecast (center/live_forecast.h): the planner's recorded plan when there is one,
// else yesterday's values from the twin's series or from the store.
#include "center/live_forecast.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

const Date kDay = std::chrono::year{2024} / 8 / 12;
Timestamp At(int day_offset, int minute_of_day) { return FromKst(AddDays(kDay, day_offset), minute_of_day); }

// Two days from 08-11 00:00: the load of quarter-hour i is 100 + i kW, PV 10 kW by day.
PowerSeries Load() {
  std::vector<std::optional<Kilowatts>> v;
  for (int i = 0; i < 2 * kIntervalsPerDay; ++i) v.push_back(Kilowatts(100.0 + i));
  return PowerSeries(At(-1, 0), kInterval, std::move(v));
}
PowerSeries Pv() {
  return PowerSeries(At(-1, 0), kInterval, std::vector<std::optional<Kilowatts>>(2 * kIntervalsPerDay, Kilowatts(10)));
}

QuarterHourReader NoStore(int* reads) {
  return [reads](std::string_view, Instant, Instant) -> Result<std::vector<Bucket>> {
    ++*reads;
    return IoError("no store in this test");
  };
}

// At 08-12 14:05 the first interval is 14:00 (quarter-hour 56 of the day), with the load of
// 08-11 14:00: 100 + 56 = 156 kW. The series ends at 08-12 24:00, so yesterday is known for all 96
// intervals; the last, 08-13 13:45, takes 08-12 13:45: 100 + 96 + 55 = 251 kW.
TEST(LiveForecastTest, YesterdayOfTheTwinsSeries) {
  const PowerSeries load = Load(), pv = Pv();
  const Instant now = ToInstant(At(0, 14 * 60 + 5));
  const ForecastView f = YesterdayForecast(load, &pv, now);
  EXPECT_EQ(f.issued, now);
  EXPECT_EQ(f.method, "persistence: the same quarter-hour yesterday");
  ASSERT_EQ(f.intervals.size(), 96u);
  EXPECT_EQ(f.intervals.front().start, ToInstant(At(0, 14 * 60)));
  EXPECT_DOUBLE_EQ(f.intervals.front().load_kw, 156);
  EXPECT_DOUBLE_EQ(f.intervals.front().pv_kw, 10);
  EXPECT_EQ(f.intervals.back().start, ToInstant(At(1, 13 * 60 + 45)));
  EXPECT_DOUBLE_EQ(f.intervals.back().load_kw, 251);
  // Without PV the PV is 0; where yesterday is not in the series, the interval is left out.
  const ForecastView no_pv = YesterdayForecast(load, nullptr, ToInstant(At(1, 12 * 60)));
  ASSERT_EQ(no_pv.intervals.size(), 48u);  // 08-13 12:00 .. 23:45 (yesterday ends at 08-12 24:00)
  EXPECT_DOUBLE_EQ(no_pv.intervals.front().pv_kw, 0);
}

// The store's yesterday, shifted a day; PV 0 where it has none. No load yesterday: NotFound.
TEST(LiveForecastTest, YesterdayAsMeteredFromTheStore) {
  const Instant now = ToInstant(At(0, 14 * 60 + 5));
  std::vector<std::pair<std::string, Instant>> asked;
  const QuarterHourReader read = [&](std::string_view point, Instant from, Instant to) -> Result<std::vector<Bucket>> {
    asked.emplace_back(std::string(point), from);
    EXPECT_EQ(to - from, std::chrono::hours(24));
    if (point == "load_kw") {
      return std::vector<Bucket>{{ToInstant(At(-1, 14 * 60)), 0, 500, 0, 0, 900},
                                 {ToInstant(At(-1, 14 * 60 + 15)), 0, 520, 0, 0, 900}};
    }
    return std::vector<Bucket>{{ToInstant(At(-1, 14 * 60)), 0, 30, 0, 0, 900}};
  };
  auto f = MeteredYesterdayForecast(read, now);
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0].second, ToInstant(At(-1, 14 * 60)));
  EXPECT_EQ(f->method, "persistence: the same quarter-hour yesterday, as metered");
  ASSERT_EQ(f->intervals.size(), 2u);
  EXPECT_EQ(f->intervals[0].start, ToInstant(At(0, 14 * 60)));
  EXPECT_DOUBLE_EQ(f->intervals[0].load_kw, 500);
  EXPECT_DOUBLE_EQ(f->intervals[0].pv_kw, 30);
  EXPECT_DOUBLE_EQ(f->intervals[1].load_kw, 520);
  EXPECT_DOUBLE_EQ(f->intervals[1].pv_kw, 0);

  const QuarterHourReader empty = [](std::string_view, Instant, Instant) -> Result<std::vector<Bucket>> {
    return std::vector<Bucket>{};
  };
  auto none = MeteredYesterdayForecast(empty, now);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

// With a planner: before its first plan the twin's yesterday; after it, the plan it planned on.
TEST(LiveForecastTest, ThePlannersLastPlanOnceThereIsOne) {
  const PowerSeries load = Load(), pv = Pv();
  SeriesForecast perfect(load, pv);
  RecordedPlanForecast planned(perfect);
  int reads = 0;
  const LiveForecastSource source{&planned, "mpc's plan", &load, &pv};
  const Instant now = ToInstant(At(0, 14 * 60 + 5));
  auto before = LiveForecast(source, NoStore(&reads), now);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->method, "persistence: the same quarter-hour yesterday");

  ASSERT_TRUE(planned.ForecastAt(At(0, 14 * 60), At(0, 15 * 60)));
  auto after = LiveForecast(source, NoStore(&reads), now);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->method, "mpc's plan");
  EXPECT_EQ(after->issued, ToInstant(At(0, 14 * 60)));
  ASSERT_EQ(after->intervals.size(),
            4u);  // 14:00 .. 14:45 of 08-12: quarter-hours 96 + 56.. of the series
  EXPECT_DOUBLE_EQ(after->intervals[0].load_kw, 100 + 96 + 56);
  EXPECT_DOUBLE_EQ(after->intervals[3].load_kw, 100 + 96 + 59);
  EXPECT_DOUBLE_EQ(after->intervals[3].pv_kw, 10);
  EXPECT_EQ(reads, 0);

  // Real devices (no series, no planner): the store.
  auto metered = LiveForecast(LiveForecastSource{}, NoStore(&reads), now);
  ASSERT_FALSE(metered);
  EXPECT_EQ(reads, 1);  // the load was asked for, and its error returned
  EXPECT_EQ(metered.error().message, "no store in this test");
}

}  // namespace
}  // namespace meg
