// WeatherFeed: a site's live weather forecast (the site file's [weather_forecast]; issue 21,
// item 2). A worker thread fetches Open-Meteo's forecast (io/open_meteo_forecast.h) every
// `every_min` minutes of wall time through an injected HTTP GET (the app gives the server
// layer's client), checks it (JSON, units, hours, the place), and hands every good response,
// as it came, to the control thread for the store (StoredWeatherForecast), so that a later
// backtest can replay what was known when.
//
// The weather the live site's forecast view takes its PV from, hour by hour (Weather, Pv): the
// newest good forecast where it covers the hour; else the weather file (`file`, when the app
// could lay it on the hours asked); else nothing (the caller keeps its own PV, e.g. yesterday's
// metered). A fetch that fails keeps the last good forecast (also the one found in the store at
// a restart, Restore); each failure, and the first success and the first after failures, is a
// note for the control thread to log as an event. (The planner does not take it yet: `mpc` runs
// on the site twin, whose year no live forecast covers.)
//
// Threads: FetchOnce runs on the worker (or, before Start, the caller's thread); Weather, Pv,
// Health and the *ForStore/TakeNotes calls from any thread (under a mutex). Start/Stop from the
// owner's thread; Stop waits for a fetch in flight (at most its timeout).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "io/hourly_weather.h"
#include "io/open_meteo_forecast.h"
#include "store/store.h"

namespace meg {

// An HTTP GET of `url` that gives up after `timeout` (connect, then each read): the body of a
// 200 answer, else an error naming the URL and why (no answer in time, refused, HTTP 500, ...).
using HttpGetText = std::function<Result<std::string>(const std::string& url, std::chrono::seconds timeout)>;

// The hours of `weather` as the caller will use them, and what they are made of.
struct FeedWeather {
  HourlyWeather weather;   // 1-hour series over the hours asked (radiation from `from`, samples too)
  int forecast_hours = 0;  // hours taken from the forecast
  int file_hours = 0;      // hours taken from the weather file
  std::string basis;       // "the kma_seamless forecast fetched at 2026-12-07 10:00 KST (41 h); ..."
};

// The site's PV on that weather: the sum of its arrays (forecast/pv_model.h), mean kW per
// quarter-hour, a gap where an hour has no weather.
struct FeedPv {
  PowerSeries pv;
  std::string basis;
  int forecast_hours = 0;
  int file_hours = 0;
};

struct WeatherFeedStatus {
  int fetched = 0;                   // good forecasts this run
  int failed = 0;                    // fetches that failed this run
  std::optional<Instant> last_good;  // when the forecast in use was fetched (wall time)
  std::string last_error;            // of the last failed fetch; empty once one succeeds
};

// A message for the control thread to log as an event of the site ("weather-forecast").
struct FeedNote {
  Severity severity = Severity::kInfo;
  std::string message;
};

class WeatherFeed {
 public:
  // `file`: the weather file laid on the hours the live site may ask (may be empty: no fallback
  // but the caller's own); `wall`: the clock of fetch times (the wall clock live).
  WeatherFeed(std::string site_id, const Site& site, WeatherForecastSpec spec, HourlyWeather file, HttpGetText get,
              const Clock& wall);
  ~WeatherFeed();  // Stop()
  WeatherFeed(const WeatherFeed&) = delete;
  WeatherFeed& operator=(const WeatherFeed&) = delete;

  // Before Start: takes the newest forecast `store` holds for the site, fetched in the 7 days
  // before now, that still parses for this site, as the last good one. The error is the store's.
  Status Restore(TelemetryStore& store);
  // Starts the worker: a fetch at once (or, when one was made before, after spec.every_min),
  // then every spec.every_min minutes, until Stop.
  void Start();
  void Stop();

  // One fetch now: on success the forecast becomes the newest, is queued for the store and,
  // after failures, noted; on failure the error is noted with what is used instead. Returns the
  // fetch's outcome.
  Status FetchOnce();

  // The weather of the hours [from, to) (whole hours; radiation means over each hour, the samples
  // at each hour's start and at `to`), forecast first, then the file; hours neither covers are
  // gaps.
  FeedWeather Weather(Timestamp from, Timestamp to) const;
  // The PV of [from, to) (on the 15-minute grid) on Weather. Errors: the PV model's.
  Result<FeedPv> Pv(Timestamp from, Timestamp to) const;
  WeatherFeedStatus Health() const;
  // The request URL (with any key; stored and shown with the key's value replaced by "...").
  const std::string& url() const { return url_; }

  // Control thread: the forecasts to store, oldest first (at most 100 wait; older ones are
  // dropped and noted). Peek, store, then Pop, so a refused write is retried at the next cycle.
  std::optional<StoredWeatherForecast> PeekForStore() const;
  void PopForStore();
  std::vector<FeedNote> TakeNotes();

 private:
  struct Good {
    WeatherForecast forecast;
    Instant fetched;
    std::string source;  // the URL it came from
  };
  void Run();
  void Note(Severity severity, std::string message);  // REQUIRES: mutex_ held
  std::string Describe(const Good& good) const;

  const std::string site_id_;
  const Site& site_;
  const WeatherForecastSpec spec_;
  const HourlyWeather file_;
  const HttpGetText get_;
  const Clock& wall_;
  const std::string url_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::optional<Good> good_;
  bool failing_ = false;
  WeatherFeedStatus status_;
  std::deque<StoredWeatherForecast> outbox_;
  std::vector<FeedNote> notes_;
  std::thread thread_;
};

}  // namespace meg
