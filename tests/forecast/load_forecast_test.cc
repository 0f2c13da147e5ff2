// The load forecaster: which measured value the seasonal-naive baselines take (by hand), Korean
// day kinds and bridge days (from the shared holiday calendar), the no-look-ahead property
// (perturbing every load value measured at or after the issue time changes neither the trained
// model nor its forecasts), and the issue's day-ahead target on a measured CNU building: NMAE at
// least 25 % below the same interval last week; and that the temperature response extrapolates a
// heating slope to a day colder than any in the training history, which trees alone do not.
#include "forecast/load_forecast.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "forecast/load_evaluation.h"
#include "io/cnu_building.h"
#include "io/text_file.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using std::chrono::hours;

Date Ymd(int y, unsigned m, unsigned d) { return testing::Ymd(y, m, d); }

const HolidayCalendar& Calendar() {
  static const HolidayCalendar* c = new HolidayCalendar(testing::LoadSharedCalendar());
  return *c;
}

// CNU agri3 (a clean building): hourly kWh = mean kW, and the measured outdoor temperature.
const LoadData& Agri3() {
  static const LoadData* d = [] {
    const std::string path = std::string(MEG_TEST_SHARED_DIR) + "/data/load/cnu_gwangju/agri3_HV_02.csv";
    CnuReadOptions options;
    options.anomalies_to_gaps = true;
    auto data = ParseCnuBuildingCsv(ReadTextFile(path).value(), path, options);
    if (!data) ADD_FAILURE() << data.error().message;
    return new LoadData{ToDoubleSeries(data->energy_kwh), data->temp_c};  // kWh per hour = mean kW
  }();
  return *d;
}

LoadForecastOptions FastOptions() {
  LoadForecastOptions o;
  o.gbm.rounds = 120;
  o.max_rows = 30'000;
  return o;
}

// An hourly series whose value is its index, from 2021-03-01 00:00 KST.
IntervalSeries<double> Ramp() {
  std::vector<std::optional<double>> v;
  for (int i = 0; i < 24 * 30; ++i) v.emplace_back(i);
  return IntervalSeries<double>(FromKst(Ymd(2021, 3, 1)), hours{1}, std::move(v));
}

// Issued 2021-03-10 11:00: the hour 10:00-11:00 of 03-10 is measured, 11:00-12:00 is not.
TEST(SeasonalNaiveTest, TakesTheLatestMeasuredDayAndWeek) {
  const IntervalSeries<double> s = Ramp();
  const Timestamp issue = FromKst(Ymd(2021, 3, 10), 11 * 60);
  const Timestamp start = FromKst(Ymd(2021, 3, 11), 10 * 60);  // 03-11 10:00 and 11:00
  const QuantileForecast day = SeasonalNaiveForecast(s, issue, start, 2, hours{24});
  // 03-11 10:00 <- 03-10 10:00 = index 9 x 24 + 10 = 226; 03-11 11:00 <- 03-09 11:00 = 8 x 24 + 11 = 203.
  EXPECT_EQ(day.p50[0], 226);
  EXPECT_EQ(day.p50[1], 203);
  const QuantileForecast week = SeasonalNaiveForecast(s, issue, start, 2, hours{24 * 7});
  // 03-04 10:00 = 3 x 24 + 10 = 82; 03-04 11:00 = 83.
  EXPECT_EQ(week.p50[0], 82);
  EXPECT_EQ(week.p50[1], 83);
  EXPECT_EQ(week.p10[1], week.p90[1]);
}

TEST(DayKindTest, KoreanHolidaysAndBridgeDays) {
  const HolidayCalendar& c = Calendar();
  EXPECT_EQ(KindOfDay(Ymd(2024, 10, 3), c), LoadDayKind::kHoliday);  // 개천절, a Thursday
  EXPECT_EQ(KindOfDay(Ymd(2024, 10, 5), c), LoadDayKind::kSaturday);
  EXPECT_EQ(KindOfDay(Ymd(2024, 10, 6), c), LoadDayKind::kHoliday);  // Sunday
  EXPECT_EQ(KindOfDay(Ymd(2024, 5, 6), c), LoadDayKind::kHoliday);   // 대체공휴일 for 어린이날 (Sunday 05-05)
  EXPECT_EQ(KindOfDay(Ymd(2024, 10, 8), c), LoadDayKind::kWorkday);
  EXPECT_TRUE(IsBridgeDay(Ymd(2024, 10, 4), c));   // Friday between 개천절 and Saturday
  EXPECT_FALSE(IsBridgeDay(Ymd(2024, 10, 8), c));  // Tuesday before 한글날: Monday was a workday
  EXPECT_FALSE(IsBridgeDay(Ymd(2024, 10, 3), c));  // a holiday is not a bridge day
}

TEST(LoadForecasterTest, RefusesTooLittleHistory) {
  const LoadData& d = Agri3();
  auto m = LoadForecaster::Train(d, Calendar(), d.load_kw.start() + hours{24 * 10}, FastOptions());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(m.error().message.find("two weeks"), std::string::npos) << m.error().message;
}

// No look-ahead: every load value at or after the issue time is tripled (and some turned into
// gaps); the model trained up to the issue and the forecasts it issues do not change.
TEST(LoadForecasterTest, FutureLoadChangesNothing) {
  const LoadData& d = Agri3();
  const Timestamp issue = FromKst(Ymd(2021, 6, 15), 11 * 60);
  LoadData perturbed = d;
  for (size_t i = 0; i < perturbed.load_kw.size(); ++i) {
    auto& v = perturbed.load_kw.at(i);
    if (perturbed.load_kw.TimeAt(i) < issue || !v) continue;
    if (i % 7 == 0)
      v.reset();
    else
      *v *= 3;
  }
  auto a = LoadForecaster::Train(d, Calendar(), issue, FastOptions());
  auto b = LoadForecaster::Train(perturbed, Calendar(), issue, FastOptions());
  ASSERT_TRUE(a && b) << (a ? b.error().message : a.error().message);
  const Timestamp first = FromKst(Ymd(2021, 6, 16));
  auto fa = a->Forecast(d, issue, issue, 13 + 24);  // the rest of today and all of tomorrow
  auto fb = b->Forecast(perturbed, issue, issue, 13 + 24);
  auto fc = a->Forecast(perturbed, issue, issue, 13 + 24);
  ASSERT_TRUE(fa && fb && fc);
  for (size_t i = 0; i < fa->p50.size(); ++i) {
    EXPECT_EQ(fa->p50[i], fb->p50[i]) << i;
    EXPECT_EQ(fa->p50[i], fc->p50[i]) << i;
    EXPECT_EQ(fa->p90[i], fb->p90[i]) << i;
  }
  EXPECT_GE(fa->TimeAt(13), first);
  // Sanity: the perturbation is real, the data after the issue do differ.
  EXPECT_NE(*d.load_kw.at(*d.load_kw.IndexOf(first + hours{12})),
            *perturbed.load_kw.at(*perturbed.load_kw.IndexOf(first + hours{12})));
}

TEST(LoadForecasterTest, SavedModelForecastsTheSame) {
  const LoadData& d = Agri3();
  const Timestamp issue = FromKst(Ymd(2021, 5, 3), 11 * 60);
  auto m = LoadForecaster::Train(d, Calendar(), issue, FastOptions());
  ASSERT_TRUE(m) << m.error().message;
  const std::string path = std::string(MEG_TEST_BINARY_DIR) + "/load-model-" + std::to_string(::getpid()) + ".xgb";
  ASSERT_TRUE(m->Save(path));
  auto back = LoadForecaster::Load(path, Calendar(), hours{1});
  ASSERT_TRUE(back) << back.error().message;
  auto f1 = m->Forecast(d, issue, issue, 24);
  auto f2 = back->Forecast(d, issue, issue, 24);
  ASSERT_TRUE(f1 && f2);
  for (size_t i = 0; i < 24; ++i) {
    EXPECT_FLOAT_EQ(static_cast<float>(f1->p50[i]), static_cast<float>(f2->p50[i])) << i;
    EXPECT_EQ(f1->p10[i], f2->p10[i]);
    EXPECT_LE(f1->p10[i], f1->p50[i]);
    EXPECT_LE(f1->p50[i], f1->p90[i]);
  }
  EXPECT_FALSE(LoadForecaster::Load(path, Calendar(), std::chrono::minutes{15}));  // a 15-minute site
  // A corrupt temperature-response count (-1, or absurdly large) is refused with its reason, not
  // allocated. The .bands file: a comment line, step_s, 4 band lines (P10 and P90 offsets, weight),
  // the count, the values.
  std::vector<std::string> lines;
  {
    std::ifstream in(path + ".bands");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  ASSERT_GE(lines.size(), 7u);
  for (const char* count : {"-1", "99999999999"}) {
    {
      std::ofstream out(path + ".bands");
      for (size_t i = 0; i < 6; ++i) out << lines[i] << "\n";
      out << count << "\n";
    }
    auto corrupt = LoadForecaster::Load(path, Calendar(), hours{1});
    ASSERT_FALSE(corrupt) << count;
    EXPECT_NE(corrupt.error().message.find("is not a saved model's"), std::string::npos) << corrupt.error().message;
  }
  // A model of another feature version (24 columns: the day-of-year features it had before) is
  // refused with what to do about it.
  {
    std::vector<float> x(24 * 40), y(40);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7);
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i % 5);
    GbmParams p;
    p.rounds = 2;
    auto old = GradientBoostedTrees::Train(x, 24, y, p);
    ASSERT_TRUE(old) << old.error().message;
    const std::string old_path = path + ".old.xgb";
    ASSERT_TRUE(old->Save(old_path));
    auto refused = LoadForecaster::Load(old_path, Calendar(), hours{1});
    std::remove(old_path.c_str());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("this forecaster uses 22; train it again (meg forecast train)"),
              std::string::npos)
        << refused.error().message;
  }
  // A correction weight outside [0, 1] (the first band's third number) is refused too.
  {
    std::ofstream out(path + ".bands");
    for (size_t i = 0; i < lines.size(); ++i) out << (i == 2 ? "-1 1 1.5" : lines[i]) << "\n";
  }
  auto bad_weight = LoadForecaster::Load(path, Calendar(), hours{1});
  ASSERT_FALSE(bad_weight);
  EXPECT_NE(bad_weight.error().message.find("not in [0, 1]"), std::string::npos) << bad_weight.error().message;
  std::remove(path.c_str());
  std::remove((path + ".bands").c_str());
}

// A heating load the trees cannot extrapolate: load = profile + 4 kW/°C x max(0, 18 °C - T) on an
// autumn whose temperature never falls below 5 °C, then a day at -5 °C all day. By hand the load
// of that day is profile + 4 x 23 = profile + 92 kW. The temperature response (a line in the
// heating degree term) carries the slope to -5 °C; trees alone stay near the largest difference
// from the baseline days they were trained on. The response is not exact: in this autumn the
// differences of the instant and of the day-mean degree terms move together, so the ridge shares
// the slope between them, and on the -5 °C day (where they differ by the missing daily swing) the
// afternoon comes out about 5 % low and the night 2 % high.
struct ColdSnap {
  LoadData data;
  Timestamp issue, day;  // issued D-1 11:00 for the 24 hours of D
  std::vector<double> expected;
};

ColdSnap MakeColdSnap() {
  constexpr int kDays = 70;  // of history, from Friday 2021-10-01; D is day 70, 2021-12-10
  const Timestamp start = FromKst(Ymd(2021, 10, 1));
  const auto profile = [&](int day, int hour) {
    const bool workday = KindOfDay(AddDays(Ymd(2021, 10, 1), day), Calendar()) == LoadDayKind::kWorkday;
    return 30.0 + (workday && hour >= 9 && hour < 18 ? 20.0 : 0.0);
  };
  const auto heating = [](double t) { return 4.0 * std::max(0.0, 18.0 - t); };
  std::vector<std::optional<double>> load, temp;
  double lowest = 100;
  for (int d = 0; d < kDays; ++d) {
    // From 20 °C down to 10 °C, +/- 1.5 °C from day to day, +/- 2.5 °C over the day.
    const double day_temp = 20.0 - 10.0 * d / (kDays - 1) + 1.5 * std::sin(2.3 * d);
    for (int h = 0; h < 24; ++h) {
      const double t = day_temp + 2.5 * std::sin(2 * std::numbers::pi * (h - 9) / 24.0);
      lowest = std::min(lowest, t);
      temp.emplace_back(t);
      load.emplace_back(profile(d, h) + heating(t));
    }
  }
  EXPECT_GE(lowest, 5.0);
  ColdSnap c;
  c.day = start + hours{24 * kDays};
  c.issue = c.day - hours{13};
  for (int h = 0; h < 24; ++h) {
    temp.emplace_back(-5.0);
    c.expected.push_back(profile(kDays, h) + 92.0);
  }
  c.data = LoadData{IntervalSeries<double>(start, hours{1}, std::move(load)),
                    IntervalSeries<double>(start, hours{1}, std::move(temp))};
  return c;
}

// Mean |p50 - expected| / mean expected over the cold day, %, of the model trained with `o`
// and saved and read back (the response is saved beside the trees).
double ColdDayErrorPct(const ColdSnap& c, const LoadForecastOptions& o) {
  auto trained = LoadForecaster::Train(c.data, Calendar(), c.issue, o);
  EXPECT_TRUE(trained) << trained.error().message;
  if (!trained) return 100;
  EXPECT_EQ(trained->uses_temperature_response(), o.temperature_response);
  const std::string path = std::string(MEG_TEST_BINARY_DIR) + "/cold-model-" + std::to_string(::getpid()) + ".xgb";
  EXPECT_TRUE(trained->Save(path));
  auto m = LoadForecaster::Load(path, Calendar(), hours{1});
  std::remove(path.c_str());
  std::remove((path + ".bands").c_str());
  EXPECT_TRUE(m) << m.error().message;
  if (!m) return 100;
  EXPECT_EQ(m->uses_temperature_response(), o.temperature_response);
  auto f = m->Forecast(c.data, c.issue, c.day, 24);
  EXPECT_TRUE(f) << f.error().message;
  if (!f) return 100;
  double err = 0, sum = 0;
  for (size_t i = 0; i < 24; ++i) {
    err += std::abs(f->p50[i] - c.expected[i]);
    sum += c.expected[i];
    EXPECT_LE(f->p10[i], f->p50[i]);
    EXPECT_LE(f->p50[i], f->p90[i]);
  }
  return 100 * err / sum;
}

TEST(LoadForecasterTest, TemperatureResponseExtrapolatesToAColderDay) {
  const ColdSnap c = MakeColdSnap();
  LoadForecastOptions with = FastOptions();
  LoadForecastOptions trees_only = FastOptions();
  trees_only.temperature_response = false;
  const double with_pct = ColdDayErrorPct(c, with);
  const double trees_pct = ColdDayErrorPct(c, trees_only);
  std::cout << fmt::format(
      "[ figures  ] a -5 °C day after an autumn >= 5 °C: error {:.1f} % with the temperature "
      "response, {:.1f} % with trees only\n",
      with_pct, trees_pct);
  EXPECT_LT(with_pct, 5.0);
  EXPECT_GT(trees_pct, 15.0);
}

// A one-off event just before training (a Sunday from 00:00 to 09:00 at +100 kW, the training
// cut at 11:00) is neither repeated over the next week nor put into the next Sunday's baseline.
// The building: 30 kW, +40 kW on workdays 09-18 h, 25 kW on Sundays and holidays, +/- 3 kW of
// deterministic noise; the temperature swings over the day and from day to day around 15 °C with
// no trend. By hand, every day of the next week is its profile. The event is in the training
// labels: its hours are the newest rows, and a feature that only grows with time (a day of the
// year) sends every later day to their leaf. It is also in the mean of the last three Sundays
// (+33 kW at 00-09 h), but not in their median. (A temperature that trends with time does the
// same as a day of the year: that limit is in docs/forecasting.md.)
TEST(LoadForecasterTest, AOneOffEventBeforeTrainingIsNotRepeated) {
  const Timestamp start = FromKst(Ymd(2021, 3, 1));  // a Monday; 3-1 is 삼일절 (a holiday)
  constexpr int kDays = 7 * 9 + 6;                   // to Sunday 2021-05-09
  const auto profile = [&](Date day, int hour) {
    const LoadDayKind kind = KindOfDay(day, Calendar());
    if (kind == LoadDayKind::kHoliday) return 25.0;
    return 30.0 + (kind == LoadDayKind::kWorkday && hour >= 9 && hour < 18 ? 40.0 : 0.0);
  };
  std::vector<std::optional<double>> load, temp;
  for (int d = 0; d < kDays + 8; ++d) {
    const Date day = AddDays(Ymd(2021, 3, 1), d);
    for (int h = 0; h < 24; ++h) {
      const int i = d * 24 + h;
      double v = profile(day, h) + 3.0 * std::sin(12.9898 * i);
      if (d == kDays && h < 9) v += 100;  // the event, Sunday 2021-05-09 00:00-09:00
      load.emplace_back(v);
      temp.emplace_back(15.0 + 2.0 * std::sin(2.3 * d) + 4.0 * std::sin(2 * std::numbers::pi * (h - 9) / 24.0));
    }
  }
  const LoadData data{IntervalSeries<double>(start, hours{1}, std::move(load)),
                      IntervalSeries<double>(start, hours{1}, std::move(temp))};
  const Timestamp cut = FromKst(Ymd(2021, 5, 9), 11 * 60);
  auto m = LoadForecaster::Train(data, Calendar(), cut, FastOptions());
  ASSERT_TRUE(m) << m.error().message;
  double worst = 0;
  for (int d = 1; d <= 7; ++d) {  // Monday 05-10 to Sunday 05-16, each issued D-1 11:00
    const Date day = AddDays(Ymd(2021, 5, 9), d);
    auto f = m->Forecast(data, FromKst(AddDays(day, -1), 11 * 60), FromKst(day), 24);
    ASSERT_TRUE(f) << f.error().message;
    double err = 0, sum = 0;
    for (int h = 0; h < 24; ++h) {
      err += std::abs(f->p50[static_cast<size_t>(h)] - profile(day, h));
      sum += profile(day, h);
    }
    worst = std::max(worst, 100 * err / sum);
    EXPECT_LT(100 * err / sum, 10.0) << FormatDate(day);
  }
  std::cout << fmt::format("[ figures  ] the week after a one-off +100 kW Sunday: worst day's error {:.1f} %\n", worst);
}

// The issue's target on measured data nobody tuned on: day-ahead NMAE at least 25 % below the
// weekly seasonal naive, here on CNU agri3 over the autumn 2021 semester (Sep-Nov, incl. 추석).
TEST(LoadEvaluationTest, DayAheadBeatsWeeklyNaiveByAQuarterOnCnuAgri3) {
  LoadEvalOptions o;
  o.start = FromKst(Ymd(2021, 9, 1));
  o.end = FromKst(Ymd(2021, 12, 1));
  o.retrain_every = hours{24 * 14};
  o.intraday_every = hours{6};
  o.model = FastOptions();
  auto r = EvaluateLoadForecasts(Agri3(), Calendar(), o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 3u);
  const LoadEvalRow& da = r->rows[0];
  std::cout << fmt::format(
      "[ figures  ] agri3 2021-09..11 day-ahead: model NMAE {:.1f} %, naive week {:.1f} %, "
      "naive day {:.1f} %, P10-P90 coverage {:.0f} %\n",
      da.model.nmae_pct, da.naive_week.nmae_pct, da.naive_day.nmae_pct, da.coverage_pct);
  EXPECT_EQ(da.model.count, 91u * 24);  // every hour of Sep-Nov: agri3 has no gaps there
  EXPECT_LE(da.model.nmae_pct, 0.75 * da.naive_week.nmae_pct);
  EXPECT_GT(da.coverage_pct, 50);
  EXPECT_LT(da.coverage_pct, 95);
}

}  // namespace
}  // namespace meg
