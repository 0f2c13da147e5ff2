// Issue 21, item 2: the live weather forecast over real HTTP. A local server replays responses
// (the shared ERA5 hours of Jeonbuk written in Open-Meteo's forecast JSON: there is no network
// in tests) and misbehaves as providers do: a 500, no answer in time, a connection dropped in
// the body, a body cut short, the provider's own error, a forecast for another place.
#include "center/weather_feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "forecast/pv_model.h"
#include "io/open_meteo.h"
#include "io/text_file.h"
#include "server/http_get.h"
#include "server/self_signed.h"
#include "store/sqlite/sqlite_store.h"
#include "support/forecast_json.h"

namespace meg {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using ::testing::HasSubstr;

Timestamp Utc(std::string_view iso) { return *ParseIso8601(iso); }

const HourlyWeather& Archive2024() {
  static const HourlyWeather w = [] {
    const std::string path = MEG_TEST_SHARED_DIR "/data/weather/jeonbuk_35.75N_127.25E_2024.csv";
    auto text = ReadTextFile(path);
    EXPECT_TRUE(text);
    auto parsed = ParseOpenMeteoCsv(*text, path);
    EXPECT_TRUE(parsed);
    return *parsed;
  }();
  return w;
}

// The forecast's first time: 72 hours from 2024-08-12T00:00Z, so radiation covers
// [2024-08-11T23:00Z, 2024-08-14T23:00Z).
const Timestamp kFirst = Utc("2024-08-12T00:00:00Z");

// A site in Jeonju (35.82 N 127.15 E, 11.9 km from the grid point) with 100 kWp facing south.
Site JeonjuSite() {
  Site s;
  s.name = "weather feed test";
  s.location.latitude_deg = 35.82;
  s.location.longitude_deg = 127.15;
  PvArraySpec pv;
  pv.name = "roof";
  pv.dc_kwp = Kilowatts(100);
  pv.tilt_deg = 30;
  pv.azimuth_deg = 180;
  pv.inverter_kw = Kilowatts(90);
  s.pv.push_back(pv);
  return s;
}

class RecordedProvider {
 public:
  enum class Mode { kGood, kServerError, kSlow, kDropped, kCutShort, kProviderError, kSeoul };

  RecordedProvider()
      : good_(testing::ForecastJson(Archive2024(), kFirst, 72, testing::kJeonbukLat, testing::kJeonbukLon)),
        seoul_(testing::ForecastJson(Archive2024(), kFirst, 72, testing::kSeoulLat, testing::kSeoulLon)) {
    server_.Get("/v1/forecast", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests;
      {
        std::lock_guard lock(mutex_);
        last_query_ = req.params.count("latitude")
                          ? req.get_param_value("latitude") + "," + req.get_param_value("longitude") + "," +
                                req.get_param_value("models")
                          : "";
      }
      switch (mode.load()) {
        case Mode::kGood: return res.set_content(good_, "application/json");
        case Mode::kSeoul: return res.set_content(seoul_, "application/json");
        case Mode::kServerError: res.status = 500; return res.set_content("Internal Server Error\n", "text/plain");
        case Mode::kSlow: {
          std::unique_lock lock(mutex_);
          released_.wait_for(lock, seconds(10), [&] { return release_; });
          return res.set_content(good_, "application/json");
        }
        case Mode::kDropped:
          // The length of the whole body is announced, half is sent, then the connection drops.
          return res.set_content_provider(good_.size(), "application/json",
                                          [this](size_t offset, size_t, httplib::DataSink& sink) {
                                            if (offset > 0) return false;
                                            sink.write(good_.data(), good_.size() / 2);
                                            return true;
                                          });
        case Mode::kCutShort: return res.set_content(good_.substr(0, good_.size() / 2), "application/json");
        case Mode::kProviderError:
          res.status = 400;
          return res.set_content(R"({"error":true,"reason":"Invalid model 'kma_nope'"})", "application/json");
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~RecordedProvider() {
    {
      std::lock_guard lock(mutex_);
      release_ = true;
    }
    released_.notify_all();
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/forecast"; }
  const std::string& good() const { return good_; }
  std::string last_query() const {
    std::lock_guard lock(mutex_);
    return last_query_;
  }

  std::atomic<Mode> mode{Mode::kGood};
  std::atomic<int> requests{0};

 private:
  const std::string good_, seoul_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
  std::string last_query_;
};

struct FeedRig {
  explicit FeedRig(HourlyWeather file = {}) {
    spec.url = provider.Url();
    spec.timeout_s = 1;
    feed = std::make_unique<WeatherFeed>("h1", site, spec, std::move(file), HttpGet, wall);
  }
  std::vector<FeedNote> Notes() { return feed->TakeNotes(); }

  RecordedProvider provider;
  Site site = JeonjuSite();
  WeatherForecastSpec spec;
  SimClock wall{ToInstant(Utc("2024-08-12T01:00:00Z"))};  // 10:00 KST
  std::unique_ptr<WeatherFeed> feed;
};

// The site's PV on the archive's weather, by the PV model straight from the file reader: what the
// feed must give on the same hours.
PowerSeries ArchivePv(const Site& site, Timestamp from, Timestamp to) {
  const HourlyWeather& a = Archive2024();
  const PvWeather w{a.ghi_w_m2, a.dni_w_m2, a.dhi_w_m2, a.temp_air_c, a.wind_speed_m_s};
  return *SimulatePvYear(site.pv[0], site.location, w, from, to, PvModelOptionsOf(site.pv[0]));
}

TEST(WeatherFeedTest, AGoodForecastIsStoredAsItCameAndThePvIsThePvModelOnIt) {
  FeedRig rig;
  ASSERT_TRUE(rig.feed->FetchOnce());
  EXPECT_EQ(rig.provider.last_query(), "35.8200,127.1500,kma_seamless");
  const auto stored = rig.feed->PeekForStore();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->site, "h1");
  EXPECT_EQ(stored->body, rig.provider.good());
  EXPECT_EQ(stored->source, rig.feed->url());
  EXPECT_EQ(stored->fetched, rig.wall.Now());
  rig.feed->PopForStore();
  EXPECT_FALSE(rig.feed->PeekForStore());
  const auto notes = rig.Notes();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].severity, Severity::kInfo);
  EXPECT_EQ(notes[0].message, "weather forecast: the kma_seamless forecast from " + rig.provider.Url() +
                                  " fetched at 2024-08-12T10:00:00+09:00, 72 h up to 2024-08-15T08:00:00+09:00, "
                                  "for the grid point 11.9 km from the site");
  EXPECT_EQ(rig.feed->Health().fetched, 1);

  const Timestamp from = Utc("2024-08-12T00:00:00Z"), to = Utc("2024-08-13T00:00:00Z");
  auto pv = rig.feed->Pv(from, to);
  ASSERT_TRUE(pv) << pv.error().message;
  EXPECT_EQ(pv->forecast_hours, 24);
  EXPECT_EQ(pv->file_hours, 0);
  const PowerSeries expected = ArchivePv(rig.site, from, to);
  ASSERT_EQ(pv->pv.size(), 96u);
  double kwh = 0;
  for (size_t i = 0; i < 96; ++i) {
    ASSERT_TRUE(pv->pv.at(i) && expected.at(i)) << i;
    EXPECT_EQ(pv->pv.at(i)->value(), expected.at(i)->value()) << i;
    kwh += pv->pv.at(i)->value() * 0.25;
  }
  EXPECT_GT(kwh, 100);  // a summer day on 100 kWp: a few hundred kWh, not nothing
}

// A key in the URL (Open-Meteo's commercial API) is sent, but neither stored nor shown.
TEST(WeatherFeedTest, AnApiKeyIsNeitherStoredNorShown) {
  FeedRig rig;
  WeatherForecastSpec spec = rig.spec;
  spec.url += "?apikey=s3cret";
  WeatherFeed feed("h1", rig.site, spec, {}, HttpGet, rig.wall);
  ASSERT_TRUE(feed.FetchOnce());
  EXPECT_THAT(feed.url(), HasSubstr("apikey=s3cret&latitude="));
  EXPECT_THAT(feed.PeekForStore()->source, HasSubstr("/v1/forecast?apikey=...&latitude=35.8200"));
  rig.provider.mode = RecordedProvider::Mode::kServerError;
  EXPECT_FALSE(feed.FetchOnce());
  for (const FeedNote& n : feed.TakeNotes()) EXPECT_THAT(n.message, ::testing::Not(HasSubstr("s3cret")));
}

TEST(WeatherFeedTest, EachFailedFetchKeepsTheLastGoodForecastAndSaysWhy) {
  FeedRig rig;
  ASSERT_TRUE(rig.feed->FetchOnce());
  rig.feed->PopForStore();
  rig.Notes();
  const std::string keeps =
      "the site keeps the kma_seamless forecast from " + rig.provider.Url() + " fetched at 2024-08-12T10:00:00+09:00";
  struct Case {
    RecordedProvider::Mode mode;
    std::string error;
  };
  const std::vector<Case> cases = {
      {RecordedProvider::Mode::kServerError, "GET " + rig.provider.Url() + ": HTTP 500: Internal Server Error"},
      {RecordedProvider::Mode::kSlow, "no answer within 1 s"},
      {RecordedProvider::Mode::kDropped, "GET " + rig.provider.Url() + ": "},
      {RecordedProvider::Mode::kCutShort, "the response is not JSON or is cut short"},
      {RecordedProvider::Mode::kProviderError, "HTTP 400: {\"error\":true,\"reason\":\"Invalid model 'kma_nope'\"}"},
      {RecordedProvider::Mode::kSeoul, "the forecast is for 37.5665 N 126.9780 E, 195 km from the site"},
  };
  int failed = 0;
  for (const Case& c : cases) {
    rig.wall.Advance(hours(1));
    rig.provider.mode = c.mode;
    const Status st = rig.feed->FetchOnce();
    ASSERT_FALSE(st) << static_cast<int>(c.mode);
    EXPECT_THAT(st.error().message, HasSubstr(c.error));
    EXPECT_EQ(rig.feed->Health().failed, ++failed);
    EXPECT_EQ(rig.feed->Health().last_error, st.error().message);
    const auto notes = rig.Notes();
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0].severity, Severity::kWarning);
    EXPECT_THAT(notes[0].message, HasSubstr("weather forecast not fetched: " + st.error().message + "; " + keeps));
    EXPECT_FALSE(rig.feed->PeekForStore());  // nothing bad is stored
    EXPECT_EQ(rig.feed->Weather(kFirst, kFirst + hours(24)).forecast_hours, 24);
  }
  rig.provider.mode = RecordedProvider::Mode::kGood;
  rig.wall.Advance(hours(1));
  ASSERT_TRUE(rig.feed->FetchOnce());
  const auto notes = rig.Notes();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].message, HasSubstr("weather forecast fetched again: the kma_seamless forecast"));
  EXPECT_THAT(notes[0].message, HasSubstr("fetched at 2024-08-12T17:00:00+09:00"));
  EXPECT_TRUE(rig.feed->Health().last_error.empty());
  EXPECT_EQ(rig.feed->PeekForStore()->fetched, rig.wall.Now());
}

TEST(WeatherFeedTest, WithoutAForecastTheWeatherFileIsUsedThenNothing) {
  FeedRig rig(Archive2024());
  rig.provider.mode = RecordedProvider::Mode::kServerError;
  EXPECT_FALSE(rig.feed->FetchOnce());
  auto notes = rig.Notes();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].message, HasSubstr("; no forecast yet: the site uses its weather file"));
  const Timestamp from = Utc("2024-08-14T12:00:00Z"), to = Utc("2024-08-15T12:00:00Z");
  FeedWeather file_only = rig.feed->Weather(from, to);
  EXPECT_EQ(file_only.forecast_hours, 0);
  EXPECT_EQ(file_only.file_hours, 24);
  EXPECT_EQ(file_only.basis, "the weather file (24 h)");

  // With a forecast: its hours up to 2024-08-14T23:00Z (11 of them), the file's after.
  rig.provider.mode = RecordedProvider::Mode::kGood;
  ASSERT_TRUE(rig.feed->FetchOnce());
  FeedWeather both = rig.feed->Weather(from, to);
  EXPECT_EQ(both.forecast_hours, 11);
  EXPECT_EQ(both.file_hours, 13);
  EXPECT_THAT(both.basis, HasSubstr("(11 h); the weather file (13 h)"));
  // The file and the forecast hold the same hours here, so the PV is the file's throughout.
  auto pv = rig.feed->Pv(from, to);
  ASSERT_TRUE(pv);
  const PowerSeries expected = ArchivePv(rig.site, from, to);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(pv->pv.at(i), expected.at(i)) << i;

  FeedRig bare;
  bare.provider.mode = RecordedProvider::Mode::kServerError;
  EXPECT_FALSE(bare.feed->FetchOnce());
  notes = bare.Notes();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].message, HasSubstr("no forecast yet and no weather file for these days: the PV forecast stays "
                                          "as without a forecast"));
  FeedWeather none = bare.feed->Weather(from, to);
  EXPECT_EQ(none.basis, "no weather (24 h)");
  auto no_pv = bare.feed->Pv(from, to);
  ASSERT_TRUE(no_pv);
  for (size_t i = 0; i < no_pv->pv.size(); ++i) EXPECT_FALSE(no_pv->pv.at(i)) << i;  // gaps, never zeros
}

TEST(WeatherFeedTest, ARestartTakesTheNewestForecastOfThisPlaceFromTheStore) {
  const std::string path = ::testing::TempDir() + "/weather_feed_restore.db";
  std::remove(path.c_str());
  FeedRig rig;
  auto store = SqliteStore::Open(path, rig.wall);
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(rig.feed->FetchOnce());
  ASSERT_TRUE((*store)->PutWeatherForecast(*rig.feed->PeekForStore()));
  // A later forecast for another place (the site file moved): skipped at the restart.
  ASSERT_TRUE((*store)->PutWeatherForecast(
      StoredWeatherForecast{"h1", rig.wall.Now() + hours(1), rig.feed->url(),
                            testing::ForecastJson(Archive2024(), kFirst, 72, testing::kSeoulLat, testing::kSeoulLon)}));
  rig.wall.Advance(hours(2));

  FeedRig restarted;
  restarted.wall.Advance(hours(2));
  restarted.provider.mode = RecordedProvider::Mode::kServerError;
  ASSERT_TRUE(restarted.feed->Restore(**store));
  auto notes = restarted.Notes();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].message, HasSubstr("until the next fetch the site uses the last one the store holds, the "
                                          "kma_seamless forecast from " +
                                          rig.provider.Url() + " fetched at 2024-08-12T10:00:00+09:00"));
  EXPECT_EQ(restarted.feed->Health().last_good, ToInstant(Utc("2024-08-12T01:00:00Z")));
  EXPECT_FALSE(restarted.feed->FetchOnce());
  notes = restarted.Notes();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].message, HasSubstr("the site keeps the kma_seamless forecast"));
  EXPECT_EQ(restarted.feed->Weather(kFirst, kFirst + hours(24)).forecast_hours, 24);
}

// The worker fetches at once when started and stops at once when told, a fetch in flight
// bounded by the timeout.
TEST(WeatherFeedTest, TheWorkerFetchesOnItsOwnThread) {
  FeedRig rig;
  rig.feed->Start();
  for (int i = 0; i < 1000 && rig.feed->Health().fetched < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(rig.feed->Health().fetched, 1);
  const auto t0 = std::chrono::steady_clock::now();
  rig.feed->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(5));
  EXPECT_EQ(rig.provider.requests.load(), 1);  // the next fetch is an hour away
  EXPECT_TRUE(rig.feed->PeekForStore());
}

TEST(HttpGetTest, UrlsAreSplitAndOthersRefused) {
  auto p = SplitHttpUrl("https://api.open-meteo.com/v1/forecast?latitude=1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->origin, "https://api.open-meteo.com");
  EXPECT_EQ(p->path, "/v1/forecast?latitude=1");
  p = SplitHttpUrl("http://127.0.0.1:8080?x=1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->origin, "http://127.0.0.1:8080");
  EXPECT_EQ(p->path, "/?x=1");
  EXPECT_EQ(SplitHttpUrl("http://h")->path, "/");
  EXPECT_FALSE(SplitHttpUrl("ftp://h/x"));
  EXPECT_FALSE(SplitHttpUrl("http:///x"));
  EXPECT_FALSE(SplitHttpUrl("http://"));
  auto refused = HttpGet("http://127.0.0.1:1/v1/forecast", seconds(2));  // nobody listens on port 1
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("GET http://127.0.0.1:1/v1/forecast: "));
}

// An https provider's certificate is checked: a self-signed one (made here) is refused, so a
// forecast cannot come from whoever sits on the path.
TEST(HttpGetTest, AnUntrustedCertificateIsRefused) {
  const auto made = testing::MakeSelfSigned("meg-get-tls", "127.0.0.1");
  ASSERT_TRUE(made) << "openssl (scripts/setup installs it)";
  httplib::SSLServer server(made->cert.c_str(), made->key.c_str());
  ASSERT_TRUE(server.is_valid());
  server.Get("/v1/forecast",
             [](const httplib::Request&, httplib::Response& res) { res.set_content("{}", "text/plain"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  auto got = HttpGet("https://127.0.0.1:" + std::to_string(port) + "/v1/forecast", seconds(5));
  server.stop();
  serving.join();
  std::filesystem::remove_all(made->dir);
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().message, HasSubstr("certificate is not trusted")) << got.error().message;
}

}  // namespace
}  // namespace meg
