// What a planner plans on: SeriesForecast slices its series; LearnedPlanForecast repeats
// yesterday (with a reserve from its own errors) until two weeks of load are measured, then trains
// the load model (retraining on schedule), and returns the P50 with a margin of share x (P90 -
// P50) that is never negative; with training when forecasting off, only TrainIfDue trains;
// RecordedPlanForecast keeps the last forecast.
#include "forecast/plan_forecast.h"

#include <cmath>

#include <gtest/gtest.h>

#include "io/cnu_building.h"
#include "io/text_file.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using std::chrono::hours;

// An hourly load of 100 kW + the hour of day, 10 degrees C, from 2021-03-01 KST, 40 days.
LoadData Synthetic() {
  std::vector<std::optional<double>> load, temp;
  for (int i = 0; i < 24 * 40; ++i) {
    load.emplace_back(100.0 + i % 24);
    temp.emplace_back(10.0);
  }
  const Timestamp start = FromKst(testing::Ymd(2021, 3, 1));
  return LoadData{IntervalSeries<double>(start, hours{1}, std::move(load)),
                  IntervalSeries<double>(start, hours{1}, std::move(temp))};
}

PowerSeries Zeros(const LoadData& d) {
  return PowerSeries(d.load_kw.start(), d.load_kw.step(),
                     std::vector<std::optional<Kilowatts>>(d.load_kw.size(), Kilowatts(0)));
}

TEST(SeriesForecastTest, SlicesBothSeries) {
  const LoadData d = Synthetic();
  PowerSeries load(d.load_kw.start(), hours{1}, {});
  std::vector<std::optional<Kilowatts>> v;
  for (const auto& x : d.load_kw.values()) v.emplace_back(Kilowatts(*x));
  load = PowerSeries(d.load_kw.start(), hours{1}, std::move(v));
  const PowerSeries pv = Zeros(d);
  SeriesForecast f(load, pv);
  const Timestamp from = d.load_kw.start() + hours{5};
  auto h = f.ForecastAt(from, from + hours{3});
  ASSERT_TRUE(h);
  ASSERT_EQ(h->load.size(), 3u);
  EXPECT_EQ(h->load.at(0)->value(), 105);  // 100 + hour 5
  EXPECT_TRUE(h->load_reserve_kw.empty());
}

TEST(LearnedPlanForecastTest, YesterdayUntilTwoWeeksThenTheModel) {
  const LoadData d = Synthetic();
  const PowerSeries pv = Zeros(d);
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  LearnedPlanOptions o;
  o.model.gbm.rounds = 150;  // (1 - eta)^150 = 0.05 % of the profile left unlearned
  o.retrain_every = hours{24 * 7};
  o.reserve_share = 2.0;
  LearnedPlanForecast f(d, pv, calendar, o);
  // At the first interval nothing is measured yet: no forecast (never the unmeasured value).
  auto none = f.ForecastAt(d.load_kw.start(), d.load_kw.start() + hours{24});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no load measured"), std::string::npos) << none.error().message;
  // Day 3, 10:00: no model yet; the load is yesterday's: 100 + 10 and 100 + 11.
  const Timestamp early = d.load_kw.start() + hours{24 * 3 + 10};
  auto a = f.ForecastAt(early, early + hours{2});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->load.at(0)->value(), 110);
  EXPECT_EQ(a->load.at(1)->value(), 111);
  // Its reserve: every day repeats the one before, so its errors are 0 and so is the reserve.
  EXPECT_EQ(a->load_reserve_kw, std::vector<double>(2, 0.0));
  EXPECT_EQ(f.naive_forecasts(), 2);
  EXPECT_EQ(f.trainings(), 0);
  // Day 20: a model, trained once, forecasting the (perfectly regular) profile within 1 kW.
  const Timestamp later = d.load_kw.start() + hours{24 * 20};
  auto b = f.ForecastAt(later, later + hours{24});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(f.trainings(), 1);
  ASSERT_EQ(b->load.size(), 24u);
  ASSERT_EQ(b->load_reserve_kw.size(), 24u);
  for (size_t i = 0; i < 24; ++i) {
    EXPECT_NEAR(b->load.at(i)->value(), 100.0 + static_cast<double>(i), 1.0) << i;
    EXPECT_GE(b->load_reserve_kw[i], 0.0);
  }
  // Within the retraining period no new training. A week later one starts on a worker thread
  // (background, the default): the forecasts go on with the first model until a day later
  // (adopt_after), when the new one is taken, waiting for the worker if need be. It reuses the
  // first training's calibration (recalibrate_every is 28 days): one full training in all.
  ASSERT_TRUE(f.ForecastAt(later + hours{24}, later + hours{48}));
  EXPECT_EQ(f.trainings(), 1);
  ASSERT_TRUE(f.ForecastAt(later + hours{24 * 7}, later + hours{24 * 8}));
  EXPECT_EQ(f.trainings(), 1);
  ASSERT_TRUE(f.ForecastAt(later + hours{24 * 8} - hours{1}, later + hours{24 * 9}));
  EXPECT_EQ(f.trainings(), 1);
  ASSERT_TRUE(f.ForecastAt(later + hours{24 * 8}, later + hours{24 * 9}));
  EXPECT_EQ(f.trainings(), 2);
  EXPECT_EQ(f.calibrations(), 1);
  EXPECT_EQ(f.failed_trainings(), 0);
  // The horizon is cut at the end of the data.
  auto c = f.ForecastAt(d.load_kw.end() - hours{2}, d.load_kw.end() + hours{10});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->load.size(), 2u);
}

// A live loop trains before it starts and never on its control thread: with
// train_when_forecasting off, ForecastAt plans on yesterday's load even when a training is due,
// and only TrainIfDue trains.
TEST(LearnedPlanForecastTest, OnlyTrainIfDueTrainsWhenForecastingMayNot) {
  const LoadData d = Synthetic();
  const PowerSeries pv = Zeros(d);
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  LearnedPlanOptions o;
  o.model.gbm.rounds = 50;
  o.train_when_forecasting = false;
  LearnedPlanForecast f(d, pv, calendar, o);
  const Timestamp day20 = d.load_kw.start() + hours{24 * 20};
  auto a = f.ForecastAt(day20 + hours{10}, day20 + hours{12});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(f.trainings(), 0);
  EXPECT_EQ(a->load.at(0)->value(), 110);  // yesterday's 10:00
  EXPECT_EQ(a->load_reserve_kw, std::vector<double>(2, 0.0));
  f.TrainIfDue(day20);
  EXPECT_EQ(f.trainings(), 1);
  ASSERT_TRUE(f.ForecastAt(day20 + hours{24 * 8}, day20 + hours{24 * 9}));  // a retraining is due, not done
  EXPECT_EQ(f.trainings(), 1);
}

// Before the model, the reserve is share x the 90th percentile of yesterday's errors so far. A
// load that grows by 10 kW a day: each error is +10 kW, so the reserve is 2 x 10 = 20 kW; with
// less than a day of errors known (day 1, 05:00: 5 hours) there is none.
TEST(LearnedPlanForecastTest, YesterdaysReserveIsItsOwnErrorQuantile) {
  std::vector<std::optional<double>> load, temp;
  for (int i = 0; i < 24 * 20; ++i) {
    load.emplace_back(100.0 + 10.0 * (i / 24));
    temp.emplace_back(10.0);
  }
  const Timestamp start = FromKst(testing::Ymd(2021, 3, 1));
  const LoadData d{IntervalSeries<double>(start, hours{1}, std::move(load)),
                   IntervalSeries<double>(start, hours{1}, std::move(temp))};
  const PowerSeries pv = Zeros(d);
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  LearnedPlanOptions o;
  o.reserve_share = 2.0;
  LearnedPlanForecast f(d, pv, calendar, o);
  auto early = f.ForecastAt(start + hours{24 + 5}, start + hours{24 + 7});
  ASSERT_TRUE(early) << early.error().message;
  EXPECT_TRUE(early->load_reserve_kw.empty());
  auto day3 = f.ForecastAt(start + hours{24 * 3 + 10}, start + hours{24 * 3 + 12});
  ASSERT_TRUE(day3) << day3.error().message;
  EXPECT_EQ(day3->load.at(0)->value(), 120);  // yesterday (day 2): 100 + 2 x 10
  EXPECT_EQ(day3->load_reserve_kw, std::vector<double>(2, 20.0));
  EXPECT_EQ(f.trainings(), 0);
}

// Error feedback: on day 20 the load runs 60 kW above its (perfectly regular) history from
// 08:00. A forecast issued at 10:00 adds the model's error over the last hour (the load at 09:00
// less what the forecast issued at 09:00 said of it), decaying as exp(-t / 120 min): x 1 at
// 10:00, x e^-0.5 at 11:00, ... The same model without the feedback gives the raw forecast (the
// trainings are deterministic); its reserve (P90 - P50) is unchanged. Without a forecast issued
// an hour before, there is nothing to correct.
TEST(LearnedPlanForecastTest, ErrorFeedbackAddsTheLastHoursErrorDecaying) {
  LoadData d = Synthetic();
  std::vector<std::optional<double>> load = d.load_kw.values();
  for (int h = 8; h < 24; ++h) *load[24 * 19 + h] += 60.0;
  d.load_kw = IntervalSeries<double>(d.load_kw.start(), hours{1}, std::move(load));
  const PowerSeries pv = Zeros(d);
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  LearnedPlanOptions o;
  o.model.gbm.rounds = 50;
  LearnedPlanForecast raw(d, pv, calendar, o);
  o.error_feedback_tau = std::chrono::minutes{120};
  LearnedPlanForecast fed(d, pv, calendar, o);
  const Timestamp nine = d.load_kw.start() + hours{24 * 19 + 9}, ten = nine + hours{1};
  auto raw9 = raw.ForecastAt(nine, nine + hours{6});
  auto fed9 = fed.ForecastAt(nine, nine + hours{6});
  ASSERT_TRUE(raw9 && fed9);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(fed9->load.at(i)->value(), raw9->load.at(i)->value()) << i;
  auto raw10 = raw.ForecastAt(ten, ten + hours{6});
  auto fed10 = fed.ForecastAt(ten, ten + hours{6});
  ASSERT_TRUE(raw10 && fed10);
  const double bias = (100.0 + 9 + 60) - raw9->load.at(0)->value();
  EXPECT_GT(bias, 20.0);  // the model alone follows little of the step
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_NEAR(fed10->load.at(i)->value() - raw10->load.at(i)->value(), bias * std::exp(-0.5 * static_cast<double>(i)),
                1e-9)
        << i;
    EXPECT_NEAR(fed10->load_reserve_kw[i], raw10->load_reserve_kw[i], 1e-9) << i;
  }
}

// The day-peak reserve's quantile, by hand. Ten flat hourly days from 2021-03-01 measured at
// 100, 110, 100, 130, 100, 100, 150, 100, 100, 120 kW, each forecast at the day before's level
// (day 1 at 100): errors 0, 10, -10, 30, -30, 0, 50, -50, 0, 20. From day 11: all ten, sorted
// -50 -30 -10 0 0 0 10 20 30 50; the quantile q takes element floor(q x 9): q 1 -> 50, q 0.8 ->
// 20 (element 7), q 0.5 -> 0 (element 4). Six days back (from day 11, days 5-10: -30 0 50 -50 0
// 20) are fewer than 7: 0. Day 7 with two hours missing (22 h measured) still counts; with five
// missing it is skipped, leaving nine: element floor(0.75 x 8) = 6 of -50 -30 -10 0 0 0 10 20 30 -> 10.
TEST(DayPeakErrorQuantileTest, TheDaysErrorsOrderStatistic) {
  const double level[] = {100, 110, 100, 130, 100, 100, 150, 100, 100, 120};
  std::vector<std::optional<double>> load;
  std::map<Date, double> forecast_max;
  for (int day = 0; day < 10; ++day) {
    for (int h = 0; h < 24; ++h) load.emplace_back(level[day]);
    forecast_max[AddDays(testing::Ymd(2021, 3, 1), day)] = day == 0 ? 100 : level[day - 1];
  }
  const Timestamp start = FromKst(testing::Ymd(2021, 3, 1));
  const Timestamp day11 = start + hours{24 * 10};
  {
    const IntervalSeries<double> series(start, hours{1}, load);
    EXPECT_EQ(DayPeakErrorQuantile(forecast_max, series, day11, 28, 1.0), 50.0);
    EXPECT_EQ(DayPeakErrorQuantile(forecast_max, series, day11, 28, 0.8), 20.0);
    EXPECT_EQ(DayPeakErrorQuantile(forecast_max, series, day11, 28, 0.5), 0.0);
    EXPECT_EQ(DayPeakErrorQuantile(forecast_max, series, day11, 6, 1.0), 0.0);  // 6 days: too few
    // Only the days before `from`'s day count: from day 10 at noon, days 1-9, sorted -50 -30 -10
    // 0 0 0 10 30 50: element floor(0.75 x 8) = 6 -> 10.
    EXPECT_EQ(DayPeakErrorQuantile(forecast_max, series, day11 - hours{12}, 28, 0.75), 10.0);
  }
  // Day 7 (the +50 day) with 2 hours missing counts; with 5 missing it is skipped.
  for (int h = 0; h < 2; ++h) load[24 * 6 + h].reset();
  EXPECT_EQ(DayPeakErrorQuantile(forecast_max, IntervalSeries<double>(start, hours{1}, load), day11, 28, 1.0), 50.0);
  for (int h = 0; h < 5; ++h) load[24 * 6 + 10 + h].reset();
  EXPECT_EQ(DayPeakErrorQuantile(forecast_max, IntervalSeries<double>(start, hours{1}, load), day11, 28, 0.75), 10.0);
  EXPECT_EQ(DayPeakErrorQuantile(forecast_max, IntervalSeries<double>(start, hours{1}, load), day11, 28, 1.0), 30.0);
}

// RecordedPlanForecast passes each forecast on and keeps the last successful one with its issue
// time; a failed one (nothing measured yet) leaves it as it was.
TEST(RecordedPlanForecastTest, KeepsTheLastForecast) {
  const LoadData d = Synthetic();
  const PowerSeries pv = Zeros(d);
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  LearnedPlanForecast inner(d, pv, calendar, LearnedPlanOptions{});
  RecordedPlanForecast f(inner);
  EXPECT_FALSE(f.Last());
  EXPECT_FALSE(f.ForecastAt(d.load_kw.start(), d.load_kw.start() + hours{2}));
  EXPECT_FALSE(f.Last());
  const Timestamp at = d.load_kw.start() + hours{24 * 3 + 10};
  ASSERT_TRUE(f.ForecastAt(at, at + hours{2}));
  const auto last = f.Last();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->first, at);
  ASSERT_EQ(last->second.load.size(), 2u);
  EXPECT_EQ(last->second.load.at(1)->value(), 111);  // yesterday's 11:00
}

}  // namespace
}  // namespace meg
