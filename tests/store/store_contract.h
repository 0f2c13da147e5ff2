// The TelemetryStore contract (src/store/store.h) as one set of tests every store passes: points,
// round trips, validation, rollups by hand, resent batches, automatic flushes, retention, events,
// schedules and bills. Each store's test file includes this header once and instantiates the
// suite with its StoreUnderTest:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest, ::testing::Values(SqliteUnderTest()),
//                            StoreContractName);
// Expected values are hand arithmetic (each test's comment), never the store's own output.
#pragma once

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"

namespace meg::testing {

// How a store is made for the contract tests.
struct StoreUnderTest {
  std::string name;  // "sqlite", "postgres"
  // A new, empty store named after `test` (a file path, a database's conninfo): what `open` takes.
  std::function<std::string(const std::string& test)> fresh;
  // Opens (creating or reopening) the store at `where`.
  std::function<Result<std::unique_ptr<TelemetryStore>>(const std::string& where, const Clock& clock,
                                                        StoreOptions options)>
      open;
};

inline std::string StoreContractName(const ::testing::TestParamInfo<StoreUnderTest>& info) { return info.param.name; }

// 2024-08-12 14:00 KST (05:00 UTC): a minute and a quarter-hour boundary.
inline const Instant kContractT0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));

class StoreContractTest : public ::testing::TestWithParam<StoreUnderTest> {
 protected:
  static Instant At(int seconds) { return kContractT0 + std::chrono::seconds(seconds); }
  static StoreOptions Manual() {  // flush only when told
    StoreOptions o;
    o.flush_samples = 1'000'000;
    o.flush_interval = Millis(24 * 3600 * 1000);
    return o;
  }
  void OpenStore(StoreOptions options = Manual()) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = info->name();
    test = test.substr(0, test.find('/'));
    where_ = GetParam().fresh(test);
    auto s = GetParam().open(where_, clock_, options);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void Reopen() {
    store_.reset();
    auto s = GetParam().open(where_, clock_, Manual());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  PointId MustPoint(const std::string& name, const std::string& unit) {
    auto id = store_->Point("jeonju", name, unit);
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : PointId{};
  }
  std::size_t Stored(PointId point) { return store_->Samples(point, At(-3600), At(86400))->size(); }

  SimClock clock_{kContractT0};
  std::string where_;
  std::unique_ptr<TelemetryStore> store_;
};

TEST_P(StoreContractTest, PointsAreRegisteredOnceWithOneUnit) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("grid_kw", "kW");
  const PointId soc = MustPoint("soc_pct", "%");
  EXPECT_NE(grid, soc);
  EXPECT_EQ(MustPoint("grid_kw", "kW"), grid);
  auto wrong = store_->Point("jeonju", "grid_kw", "W");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("registered in 'kW', not 'W'"), std::string::npos) << wrong.error().message;
  EXPECT_FALSE(store_->Point("", "grid_kw", "kW"));
  auto other = store_->Point("gist", "grid_kw", "kW");
  ASSERT_TRUE(other);
  EXPECT_NE(*other, grid);

  auto points = store_->Points("jeonju");
  ASSERT_TRUE(points);
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[0].id, grid);
  EXPECT_EQ((*points)[0].site, "jeonju");
  EXPECT_EQ((*points)[0].name, "grid_kw");
  EXPECT_EQ((*points)[1].unit, "%");
  ASSERT_NO_FATAL_FAILURE(Reopen());  // ids survive a reopen
  EXPECT_EQ(MustPoint("soc_pct", "%"), soc);
}

TEST_P(StoreContractTest, SamplesRoundTripWithQualityAndOnlyFlushedDataIsRead) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("grid_kw", "kW");
  const std::vector<Sample> batch{
      {grid, At(0) + Millis(250), 412.125, SampleQuality::kGood},
      {grid, At(1), -37.5, SampleQuality::kGood},  // exporting
      {grid, At(2), std::nan(""), SampleQuality::kBad},
      {grid, At(3), 1e6, SampleQuality::kBad},         // a value the device did not vouch for
      {grid, At(4), 0.1 + 0.2, SampleQuality::kGood},  // 0.30000000000000004: every bit kept
  };
  ASSERT_TRUE(store_->Append(batch));
  auto none = store_->Samples(grid, At(0), At(10));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());  // not flushed yet
  ASSERT_TRUE(store_->Flush());

  auto samples = store_->Samples(grid, At(0), At(10));
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 5u);
  EXPECT_EQ((*samples)[0], batch[0]);
  EXPECT_EQ((*samples)[1], batch[1]);
  EXPECT_TRUE(std::isnan((*samples)[2].value));
  EXPECT_EQ((*samples)[2].quality, SampleQuality::kBad);
  EXPECT_EQ((*samples)[3], batch[3]);
  EXPECT_EQ((*samples)[4], batch[4]);

  // Raw buckets: the good samples only, one each.
  auto raw = store_->Query(grid, At(0), At(10), Resolution::kRaw);
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), 3u);
  EXPECT_EQ((*raw)[1].start, At(1));
  EXPECT_EQ((*raw)[1].min, -37.5);
  EXPECT_EQ((*raw)[1].last, -37.5);
  EXPECT_EQ((*raw)[1].count, 1);
  // [from, to) is half-open.
  EXPECT_EQ(store_->Query(grid, At(0), At(1), Resolution::kRaw)->size(), 1u);

  auto latest = store_->Latest(grid);
  ASSERT_TRUE(latest);
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ(**latest, batch[4]);
  EXPECT_FALSE(store_->Latest(PointId{999})->has_value());
}

TEST_P(StoreContractTest, AppendRejectsUnknownPointsAndNonFiniteGoodValuesWhole) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("grid_kw", "kW");
  const std::vector<Sample> unknown{{grid, At(0), 1, SampleQuality::kGood},
                                    {PointId{42}, At(0), 1, SampleQuality::kGood}};
  auto e = store_->Append(unknown);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("point 42"), std::string::npos) << e.error().message;
  const std::vector<Sample> infinite{{grid, At(0), INFINITY, SampleQuality::kGood}};
  EXPECT_FALSE(store_->Append(infinite));
  ASSERT_TRUE(store_->Flush());
  EXPECT_EQ(Stored(grid), 0u);  // nothing of a rejected call was kept
}

// Rollups, by hand. Point grid_kw, minute 14:00 (KST) gets four good samples 1, 2, 4, 8 kW at
// :00, :15, :30, :45 and one bad sample (left out). Minute 14:01 gets 3 kW at :00. Minute 14:15
// (the next quarter) gets -2.5 kW at :10 and -1.5 kW at :20.
//   1-min 14:00: min 1, max 8, mean (1 + 2 + 4 + 8) / 4 = 15 / 4 = 3.75, last 8, count 4
//   1-min 14:01: min = max = mean = last = 3, count 1
//   1-min 14:15: min -2.5, max -1.5, mean -4 / 2 = -2, last -1.5, count 2
//   15-min 14:00: min 1, max 8, mean (15 + 3) / 5 = 3.6, last 3 (at 14:01:00), count 5
//   15-min 14:15: min -2.5, max -1.5, mean -2, last -1.5, count 2
// The samples come in three batches, the 14:00 minute split across two of them and its first
// half arriving after its second half (a late batch), so rollups must merge and keep the later
// sample as `last`.
TEST_P(StoreContractTest, MinuteAndQuarterRollupsMatchHandArithmetic) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("grid_kw", "kW");
  const PointId other = MustPoint("pv_kw", "kW");  // must not leak into grid's buckets
  const std::vector<Sample> second_half{{grid, At(30), 4, SampleQuality::kGood},
                                        {grid, At(45), 8, SampleQuality::kGood},
                                        {grid, At(50), 100, SampleQuality::kBad},
                                        {other, At(40), 77, SampleQuality::kGood}};
  const std::vector<Sample> later{{grid, At(60), 3, SampleQuality::kGood},
                                  {grid, At(15 * 60 + 10), -2.5, SampleQuality::kGood},
                                  {grid, At(15 * 60 + 20), -1.5, SampleQuality::kGood}};
  const std::vector<Sample> first_half{{grid, At(15), 2, SampleQuality::kGood}, {grid, At(0), 1, SampleQuality::kGood}};
  ASSERT_TRUE(store_->Append(second_half));
  ASSERT_TRUE(store_->Flush());
  ASSERT_TRUE(store_->Append(later));
  ASSERT_TRUE(store_->Flush());
  ASSERT_TRUE(store_->Append(first_half));
  ASSERT_TRUE(store_->Flush());

  auto minutes = store_->Query(grid, At(0), At(3600), Resolution::kMinute);
  ASSERT_TRUE(minutes) << minutes.error().message;
  ASSERT_EQ(minutes->size(), 3u);
  const Bucket& m0 = (*minutes)[0];
  EXPECT_EQ(m0.start, At(0));
  EXPECT_EQ(m0.min, 1);
  EXPECT_EQ(m0.max, 8);
  EXPECT_EQ(m0.mean, 3.75);
  EXPECT_EQ(m0.last, 8);
  EXPECT_EQ(m0.count, 4);
  const Bucket& m1 = (*minutes)[1];
  EXPECT_EQ(m1.start, At(60));
  EXPECT_EQ(m1.min, 3);
  EXPECT_EQ(m1.mean, 3);
  EXPECT_EQ(m1.count, 1);
  const Bucket& m15 = (*minutes)[2];
  EXPECT_EQ(m15.start, At(15 * 60));
  EXPECT_EQ(m15.min, -2.5);
  EXPECT_EQ(m15.max, -1.5);
  EXPECT_EQ(m15.mean, -2);
  EXPECT_EQ(m15.last, -1.5);
  EXPECT_EQ(m15.count, 2);

  auto quarters = store_->Query(grid, At(0), At(3600), Resolution::kQuarter);
  ASSERT_TRUE(quarters);
  ASSERT_EQ(quarters->size(), 2u);
  const Bucket& q0 = (*quarters)[0];
  EXPECT_EQ(q0.start, At(0));
  EXPECT_EQ(q0.min, 1);
  EXPECT_EQ(q0.max, 8);
  EXPECT_DOUBLE_EQ(q0.mean, 3.6);
  EXPECT_EQ(q0.last, 3);
  EXPECT_EQ(q0.count, 5);
  const Bucket& q1 = (*quarters)[1];
  EXPECT_EQ(q1.start, At(15 * 60));
  EXPECT_EQ(q1.mean, -2);
  EXPECT_EQ(q1.last, -1.5);
  EXPECT_EQ(q1.count, 2);

  // A bucket is selected by its start: [14:01, 14:15) holds only the 14:01 minute.
  EXPECT_EQ(store_->Query(grid, At(60), At(15 * 60), Resolution::kMinute)->size(), 1u);
  auto pv = store_->Query(other, At(0), At(3600), Resolution::kQuarter);
  ASSERT_EQ(pv->size(), 1u);
  EXPECT_EQ((*pv)[0].mean, 77);
}

// Resending a batch (a producer unsure whether its last flush landed) changes nothing: the
// first write of a (point, time) wins and rollups count it once.
TEST_P(StoreContractTest, ResentSamplesAreIgnoredAndNotCountedTwice) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("grid_kw", "kW");
  const std::vector<Sample> batch{{grid, At(0), 10, SampleQuality::kGood}, {grid, At(1), 20, SampleQuality::kGood}};
  ASSERT_TRUE(store_->Append(batch));
  ASSERT_TRUE(store_->Flush());
  const std::vector<Sample> again{{grid, At(0), 99, SampleQuality::kGood},
                                  {grid, At(1), 20, SampleQuality::kGood},
                                  {grid, At(2), 30, SampleQuality::kGood}};
  ASSERT_TRUE(store_->Append(again));
  ASSERT_TRUE(store_->Flush());
  auto m = store_->Query(grid, At(0), At(60), Resolution::kMinute);
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].count, 3);
  EXPECT_EQ((*m)[0].mean, 20);  // (10 + 20 + 30) / 3
  EXPECT_EQ((*m)[0].max, 30);
  EXPECT_EQ((*store_->Samples(grid, At(0), At(1)))[0].value, 10);

  // Twice in one batch: the first appended wins there too.
  const std::vector<Sample> twice{{grid, At(3), 40, SampleQuality::kGood}, {grid, At(3), 41, SampleQuality::kGood}};
  ASSERT_TRUE(store_->Append(twice));
  ASSERT_TRUE(store_->Flush());
  m = store_->Query(grid, At(0), At(60), Resolution::kMinute);
  EXPECT_EQ((*m)[0].count, 4);
  EXPECT_EQ((*m)[0].mean, 25);  // (10 + 20 + 30 + 40) / 4
  EXPECT_EQ((*m)[0].last, 40);
}

// Batches larger than one insert statement, resent in part. Two points, value = the second
// (0 .. 299) for grid_kw and 1000 + the second for pv_kw; then seconds 250 .. 399 again with other
// values: 250 .. 299 are stored already (ignored), 300 .. 399 are new.
//   grid 14:00 minute: seconds 0 .. 59, sum 59 x 60 / 2 = 1770, mean 29.5, last 59, count 60
//   grid 14:05 minute: 300 .. 359, mean 329.5, count 60 (from the second batch)
//   grid 14:06 minute: 360 .. 399, mean 379.5, last 399, count 40
//   pv 14:00 quarter: 1000 .. 1399, mean 1199.5, count 400
TEST_P(StoreContractTest, LargeBatchesPartlyResentRollUpEachSampleOnce) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("grid_kw", "kW");
  const PointId pv = MustPoint("pv_kw", "kW");
  std::vector<Sample> first;
  for (int s = 0; s < 300; ++s) {
    first.push_back({grid, At(s), 1.0 * s, SampleQuality::kGood});
    first.push_back({pv, At(s), 1000.0 + s, SampleQuality::kGood});
  }
  ASSERT_TRUE(store_->Append(first));
  ASSERT_TRUE(store_->Flush());
  std::vector<Sample> second;
  for (int s = 250; s < 400; ++s) {
    second.push_back({grid, At(s), s < 300 ? -1.0 : 1.0 * s, SampleQuality::kGood});
    second.push_back({pv, At(s), s < 300 ? -1.0 : 1000.0 + s, SampleQuality::kGood});
  }
  ASSERT_TRUE(store_->Append(second));
  ASSERT_TRUE(store_->Flush());

  EXPECT_EQ(store_->Samples(grid, At(0), At(400))->size(), 400u);
  auto m = store_->Query(grid, At(0), At(3600), Resolution::kMinute);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 7u);
  EXPECT_EQ((*m)[0].mean, 29.5);
  EXPECT_EQ((*m)[0].last, 59);
  EXPECT_EQ((*m)[0].count, 60);
  EXPECT_EQ((*m)[5].mean, 329.5);
  EXPECT_EQ((*m)[5].count, 60);
  EXPECT_EQ((*m)[6].mean, 379.5);
  EXPECT_EQ((*m)[6].last, 399);
  EXPECT_EQ((*m)[6].count, 40);
  auto q = store_->Query(pv, At(0), At(3600), Resolution::kQuarter);
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].count, 400);
  EXPECT_EQ((*q)[0].mean, 1199.5);
  EXPECT_EQ((*q)[0].min, 1000);
  EXPECT_EQ((*q)[0].max, 1399);
}

TEST_P(StoreContractTest, AppendFlushesByCountAndByClock) {
  StoreOptions o;
  o.flush_samples = 3;
  o.flush_interval = Millis(1000);
  ASSERT_NO_FATAL_FAILURE(OpenStore(o));
  const PointId grid = MustPoint("grid_kw", "kW");
  const Sample a{grid, At(0), 1, SampleQuality::kGood};
  const Sample b{grid, At(1), 2, SampleQuality::kGood};
  const Sample c{grid, At(2), 3, SampleQuality::kGood};
  ASSERT_TRUE(store_->Append({&a, 1}));
  ASSERT_TRUE(store_->Append({&b, 1}));
  EXPECT_EQ(Stored(grid), 0u);
  ASSERT_TRUE(store_->Append({&c, 1}));  // the third sample: count reached
  EXPECT_EQ(Stored(grid), 3u);

  const Sample d{grid, At(3), 4, SampleQuality::kGood};
  const Sample e{grid, At(4), 5, SampleQuality::kGood};
  ASSERT_TRUE(store_->Append({&d, 1}));
  clock_.Advance(Millis(999));
  EXPECT_EQ(Stored(grid), 3u);
  clock_.Advance(Millis(1));  // one second after d entered the empty buffer
  ASSERT_TRUE(store_->Append({&e, 1}));
  EXPECT_EQ(Stored(grid), 5u);
}

// Retention 1 / 2 / 3 days. Samples 0.5, 1.5, 2.5 and 3.5 days before `now`, each alone in its
// minute and quarter: raw keeps 0.5; 1-minute keeps 0.5 and 1.5; 15-minute keeps 0.5 to 2.5.
TEST_P(StoreContractTest, RetentionDropsEachResolutionAtItsOwnAge) {
  StoreOptions o = Manual();
  o.retention = Retention{1, 2, 3};
  ASSERT_NO_FATAL_FAILURE(OpenStore(o));
  const PointId grid = MustPoint("grid_kw", "kW");
  const Instant now = At(0) + std::chrono::days(10);
  std::vector<Sample> batch;
  for (const int half_days : {1, 3, 5, 7}) {
    batch.push_back({grid, now - std::chrono::hours(12 * half_days), 1.0 * half_days, SampleQuality::kGood});
  }
  ASSERT_TRUE(store_->Append(batch));
  ASSERT_TRUE(store_->Flush());
  ASSERT_TRUE(store_->ApplyRetention(now));
  const Instant from = now - std::chrono::days(30);
  auto raw = store_->Query(grid, from, now, Resolution::kRaw);
  auto minute = store_->Query(grid, from, now, Resolution::kMinute);
  auto quarter = store_->Query(grid, from, now, Resolution::kQuarter);
  ASSERT_TRUE(raw && minute && quarter);
  ASSERT_EQ(raw->size(), 1u);
  EXPECT_EQ((*raw)[0].last, 1);
  ASSERT_EQ(minute->size(), 2u);
  EXPECT_EQ((*minute)[0].last, 3);
  ASSERT_EQ(quarter->size(), 3u);
  EXPECT_EQ((*quarter)[0].last, 5);
}

TEST_P(StoreContractTest, EventsSchedulesAndBillsRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const std::vector<Event> events{{At(5), "jeonju", "fail-safe", Severity::kAlarm,
                                   "meter silent 10 s: holding battery at 0"},
                                  {At(1), "jeonju", "peak-guard", Severity::kWarning, "grid_kw 1510 > target 1500"},
                                  {At(2), "gist", "peak-guard", Severity::kInfo, "other site"},
                                  {At(5), "jeonju", "mode", Severity::kInfo, "back to normal: 한국어 'quoted'"}};
  ASSERT_TRUE(store_->AppendEvents(events));
  auto got = store_->Events("jeonju", At(0), At(10));
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0], events[1]);
  EXPECT_EQ((*got)[1], events[0]);  // same time: insertion order
  EXPECT_EQ((*got)[2], events[3]);
  EXPECT_EQ(store_->Events("jeonju", At(2), At(5))->size(), 0u);

  EXPECT_FALSE(store_->LatestSchedule("jeonju")->has_value());
  const StoredSchedule s1{"jeonju", At(0), R"({"intervals":[{"battery_kw":-250}]})"};
  const StoredSchedule s2{"jeonju", At(900), R"({"intervals":[{"battery_kw":300}]})"};
  ASSERT_TRUE(store_->PutSchedule(s2));
  ASSERT_TRUE(store_->PutSchedule(s1));  // an older one stored later does not win
  auto latest = store_->LatestSchedule("jeonju");
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ(**latest, s2);

  const Month aug = std::chrono::year{2024} / std::chrono::August;
  const StoredBill bill{"jeonju", aug, R"({"total_krw":123456789})"};
  ASSERT_TRUE(store_->PutBill(bill));
  StoredBill revised = bill;
  revised.json = R"({"total_krw":123000000})";
  ASSERT_TRUE(store_->PutBill(revised));
  auto b = store_->Bill("jeonju", aug);
  ASSERT_TRUE(b && b->has_value());
  EXPECT_EQ(**b, revised);
  EXPECT_FALSE(store_->Bill("jeonju", std::chrono::year{2024} / std::chrono::July)->has_value());
}

// Issue 21, item 2: every fetched weather forecast is kept whole, by site and fetch time.
TEST_P(StoreContractTest, WeatherForecastsAreKeptAsTheyCame) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const std::string body(200'000, 'x');  // a 16-day response is ~60 kB; nothing is cut
  const StoredWeatherForecast late{"jeonju", At(7200), "https://api.open-meteo.com/v1/forecast?latitude=35.8", body};
  const StoredWeatherForecast early{"jeonju", At(3600), "http://127.0.0.1:8080/v1/forecast", R"({"한국어":"'q'"})"};
  const StoredWeatherForecast other{"gist", At(3600), "http://x/", "{}"};
  ASSERT_TRUE(store_->PutWeatherForecast(late));
  ASSERT_TRUE(store_->PutWeatherForecast(early));
  ASSERT_TRUE(store_->PutWeatherForecast(other));
  EXPECT_EQ(*store_->WeatherForecasts("jeonju", At(0), At(86400)), (std::vector<StoredWeatherForecast>{early, late}));
  EXPECT_EQ(*store_->WeatherForecasts("jeonju", At(3601), At(7200)), std::vector<StoredWeatherForecast>{});
  EXPECT_EQ(*store_->WeatherForecasts("jeonju", At(3600), At(3601)), std::vector<StoredWeatherForecast>{early});
  StoredWeatherForecast again = early;
  again.body = "{}";
  ASSERT_TRUE(store_->PutWeatherForecast(again));  // the same fetch time replaces
  EXPECT_EQ(*store_->WeatherForecasts("jeonju", At(0), At(3601)), std::vector<StoredWeatherForecast>{again});
}

}  // namespace meg::testing
