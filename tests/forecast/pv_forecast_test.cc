#include "forecast/pv_forecast.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>
#include <string>

#include "core/time.h"
#include "forecast/gist_fixture.h"
#include "forecast/solar_position.h"

namespace meg {
namespace {

using std::chrono::hours;
using std::chrono::year;

using testing::Gist;
using testing::GistSite;
using testing::GistSystems;
using testing::kGwangju;
const PlaneOrientation kSensorPlane{25, 197};  // docs/pv-validation.md

size_t Index(PvForecaster f) { return static_cast<size_t>(f); }

TEST(HaurwitzTest, HandComputedZeniths) {
  // z = 60 deg: 1098 x 0.5 x exp(-0.057 / 0.5) = 549 x exp(-0.114) = 549 x 0.892258 = 489.850.
  EXPECT_NEAR(HaurwitzClearSkyGhiW_m2(60), 489.850, 1e-3);
  // z = 0: 1098 x exp(-0.057) = 1098 x 0.944594 = 1037.164.
  EXPECT_NEAR(HaurwitzClearSkyGhiW_m2(0), 1037.164, 1e-3);
  // The sun on or below the horizon: no clear-sky irradiance.
  EXPECT_EQ(HaurwitzClearSkyGhiW_m2(90), 0.0);
  EXPECT_EQ(HaurwitzClearSkyGhiW_m2(100), 0.0);
}

TEST(PvIssueTimeTest, DayBeforeAtElevenKst) {
  EXPECT_EQ(FormatKst(PvIssueTime(year{2022} / 8 / 1, 11)), "2022-07-31T11:00:00+09:00");
}

// Five synthetic July days: a bright sky (GHI = POA = 800 sin(elevation) with the sun up) and a
// power sample that names its day and hour: 100 x day of month + hour, e.g. 310 = 3 July 10:00.
struct SyntheticSite {
  PvSiteSamples samples;
  IntervalSeries<Kilowatts> ac;
};

SyntheticSite MakeSyntheticSite() {
  const Timestamp first = FromKst(year{2022} / 7 / 1);
  std::vector<std::optional<double>> ghi, temp;
  std::vector<std::optional<Kilowatts>> ac;
  for (int h = 0; h < 5 * 24; ++h) {
    const double e = SunPosition(first + hours{h}, kGwangju).apparent_elevation_deg;
    ghi.push_back(e > 0 ? 800 * std::sin(e * 3.14159265358979 / 180) : 0.0);
    temp.push_back(25.0);
    ac.push_back(Kilowatts(100.0 * (1 + h / 24) + h % 24));
  }
  const IntervalSeries<double> g(first, hours{1}, ghi), t(first, hours{1}, temp);
  return {{g, g, t, t}, IntervalSeries<Kilowatts>(first, hours{1}, ac)};
}

TEST(PvForecastTest, SeasonalNaivePicksTheLatestDayBeforeTheIssue) {
  SyntheticSite s = MakeSyntheticSite();
  s.ac.at(2 * 24 + 9) = std::nullopt;  // 3 July 09:00 is lost
  auto site = PreparePvForecastSite(s.samples, kGwangju, kSensorPlane, {});
  ASSERT_TRUE(site) << site.error().message;
  auto f = ForecastPvDayAhead(*site, s.ac);
  ASSERT_TRUE(f) << f.error().message;
  const auto& naive = f->by_forecaster[Index(PvForecaster::kSeasonalNaive)].p50_kw;
  auto at = [&](int day, int hour) { return naive.at(*naive.IndexOf(FromKst(year{2022} / 7 / day, hour * 60))); };
  // 4 July is issued on 3 July at 11:00: 10:00 of 3 July is before it; 11:00 (at the issue, not
  // before it) and 12:00 are not, so they come from 2 July; 09:00 of 3 July is lost -> 2 July.
  EXPECT_EQ(at(4, 10), 310.0);
  EXPECT_EQ(at(4, 11), 211.0);
  EXPECT_EQ(at(4, 12), 212.0);
  EXPECT_EQ(at(4, 9), 209.0);
  EXPECT_EQ(at(4, 8), 308.0);
  EXPECT_EQ(at(5, 23), 323.0);
  // The first forecast day is 3 July (issued 2 July 11:00, after the full day of 1 July).
  EXPECT_FALSE(at(2, 10).has_value());
  EXPECT_EQ(at(3, 10), 210.0);
}

// NO LOOK-AHEAD: the power samples at and after an issue time are tripled, erased or replaced by
// garbage; every forecast issued at or before that time (days up to D) must not change, for all
// four forecasters and all three quantiles. The forecasts of D + 1 must change (the test can see).
TEST(PvForecastTest, ForecastsDoNotSeePowerAtOrAfterTheirIssueTime) {
  const auto& data = Gist();
  ASSERT_TRUE(data);
  const GistPvSystem& system = data->systems.at(1);
  ASSERT_EQ(system.name, "학생회관");
  auto site = PreparePvForecastSite(GistSite(*data), kGwangju, kSensorPlane, {});
  ASSERT_TRUE(site) << site.error().message;
  auto original = ForecastPvDayAhead(*site, system.ac);
  ASSERT_TRUE(original) << original.error().message;
  for (const Date day :
       {Date{year{2022} / 7 / 10}, Date{year{2022} / 8 / 1}, Date{year{2022} / 8 / 15}, Date{year{2022} / 8 / 31}}) {
    const Timestamp issue = PvIssueTime(day, 11);
    IntervalSeries<Kilowatts> perturbed = system.ac;
    for (size_t i = 0; i < perturbed.size(); ++i) {
      if (perturbed.TimeAt(i) < issue) continue;
      auto& v = perturbed.at(i);
      if (i % 7 == 0) {
        v = std::nullopt;
      } else if (i % 11 == 0) {
        v = Kilowatts(1e6);
      } else if (v) {
        v = *v * 3.0;
      }
    }
    auto changed = ForecastPvDayAhead(*site, perturbed);
    ASSERT_TRUE(changed) << changed.error().message;
    const Timestamp day_after = FromKst(day) + hours{24};
    size_t compared = 0, differ_after = 0;
    for (size_t f = 0; f < kPvForecasterCount; ++f) {
      const auto& a = original->by_forecaster[f];
      const auto& b = changed->by_forecaster[f];
      for (size_t i = 0; i < site->size(); ++i) {
        if (site->TimeAt(i) < day_after) {
          ASSERT_EQ(a.p10_kw.at(i), b.p10_kw.at(i)) << FormatKst(site->TimeAt(i)) << " f" << f;
          ASSERT_EQ(a.p50_kw.at(i), b.p50_kw.at(i)) << FormatKst(site->TimeAt(i)) << " f" << f;
          ASSERT_EQ(a.p90_kw.at(i), b.p90_kw.at(i)) << FormatKst(site->TimeAt(i)) << " f" << f;
          compared += a.p50_kw.at(i).has_value();
        } else if (a.p50_kw.at(i) != b.p50_kw.at(i)) {
          ++differ_after;
        }
      }
    }
    EXPECT_GT(compared, 0u);
    if (day_after < site->TimeAt(site->size() - 1)) {
      EXPECT_GT(differ_after, 0u) << FormatDate(day);
    }
  }
}

PvForecastOptions GistOptions() {
  PvForecastOptions o;
  o.validation.calibration_start = FromKst(year{2022} / 7 / 1);
  o.validation.calibration_end = o.validation.holdout_start = FromKst(year{2022} / 8 / 1);
  o.validation.holdout_end = FromKst(year{2022} / 9 / 1);
  o.eval_first_day = year{2022} / 8 / 1;
  o.eval_end_day = year{2022} / 9 / 1;
  return o;
}

// Every day of August 2022, issued at D-1 11:00 KST, on the 12 healthy GIST systems and their sum.
TEST(PvForecastTest, PhysicsBeatsSeasonalNaiveOnTheGistAggregate) {
  const auto& data = Gist();
  ASSERT_TRUE(data);
  auto r = EvaluatePvForecasts(GistSite(*data), GistSystems(*data), kGwangju, GistOptions());
  ASSERT_TRUE(r) << r.error().message;
  // docs/pv-validation.md: 12 healthy systems, 3 excluded (축구장, 시설관리동, 학사과정).
  EXPECT_EQ(r->systems.size(), 12u);
  EXPECT_EQ(r->excluded.size(), 3u);
  const auto& agg = r->aggregate;
  for (const PvForecaster f : kPvForecasters) {
    const PvForecastScore& s = agg.by_forecaster[Index(f)];
    std::cout << fmt::format(
        "[ figures  ] GIST aggregate 2022-08 {:<27} NMAE {:5.1f} %  NRMSE {:5.1f} %  bias {:+5.1f} "
        "%  P10-P90 {:3.0f} %  KPX {} h, <=6 % {:3.0f} %, <=8 % {:3.0f} %, {:.0f} KRW\n",
        PvForecasterName(f), s.errors.nmae_pct, s.errors.nrmse_pct, s.errors.bias_pct, s.band_coverage_pct,
        s.kpx.qualifying_hours, s.kpx.share_within_6_pct(), s.kpx.share_within_8_pct(), s.kpx.incentive_krw);
  }
  // Median over the systems, per forecaster.
  std::string medians;
  for (const PvForecaster f : kPvForecasters) {
    std::vector<double> nmae, within8;
    for (const auto& s : r->systems) {
      nmae.push_back(s.by_forecaster[Index(f)].errors.nmae_pct);
      within8.push_back(s.by_forecaster[Index(f)].kpx.share_within_8_pct());
    }
    std::sort(nmae.begin(), nmae.end());
    std::sort(within8.begin(), within8.end());
    medians += fmt::format(" {:.1f}/{:.0f}", (nmae[5] + nmae[6]) / 2, (within8[5] + within8[6]) / 2);
  }
  std::cout << fmt::format(
      "[ figures  ] {} samples scored, capacity {:.1f} kWp; median system NMAE % / <=8 % share "
      "(a b c d):{}\n",
      agg.by_forecaster[0].errors.count, agg.capacity.value(), medians);
  // The hold-out of pv-validate has 394 daylight samples in August; the sum is present at all.
  EXPECT_EQ(agg.by_forecaster[0].errors.count, 394u);
  const double naive = agg.by_forecaster[Index(PvForecaster::kSeasonalNaive)].errors.nmae_pct;
  EXPECT_LT(agg.by_forecaster[Index(PvForecaster::kPhysics)].errors.nmae_pct, naive);
  EXPECT_LT(agg.by_forecaster[Index(PvForecaster::kPhysicsRidge)].errors.nmae_pct, naive);
}

}  // namespace
}  // namespace meg
