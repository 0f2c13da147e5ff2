#include "center/weather_feed.h"

#include <algorithm>

#include <fmt/format.h>

#include "forecast/pv_model.h"

namespace meg {
namespace {

constexpr std::chrono::hours kHour{1};
constexpr size_t kMaxOutbox = 100;

Timestamp FloorHour(Timestamp t) { return std::chrono::floor<std::chrono::hours>(t); }
Timestamp CeilHour(Timestamp t) { return std::chrono::ceil<std::chrono::hours>(t); }

std::optional<double> ValueAt(const IntervalSeries<double>& s, Timestamp t) {
  const auto i = s.IndexOf(t);
  return i ? s.at(*i) : std::nullopt;
}

// All three radiation values of the hour starting at `t`, if `w` has them.
bool HasRadiation(const HourlyWeather& w, Timestamp t) {
  return ValueAt(w.ghi_w_m2, t) && ValueAt(w.dni_w_m2, t) && ValueAt(w.dhi_w_m2, t);
}
bool HasSamples(const HourlyWeather& w, Timestamp t) {
  return ValueAt(w.temp_air_c, t) && ValueAt(w.wind_speed_m_s, t);
}

// "https://api.open-meteo.com/v1/forecast" of a URL: where, without the query.
std::string Where(const std::string& url) { return url.substr(0, url.find('?')); }

// `url` with the value of an apikey= parameter (Open-Meteo's commercial API) replaced by "...":
// what is stored and shown.
std::string Redacted(std::string url) {
  for (const std::string_view key : {"?apikey=", "&apikey="}) {
    const size_t at = url.find(key);
    if (at == std::string::npos) continue;
    const size_t from = at + key.size();
    url.replace(from, url.find('&', from) == std::string::npos ? std::string::npos : url.find('&', from) - from, "...");
  }
  return url;
}

// The model a request URL names (models=...), or `otherwise`.
std::string ModelOf(const std::string& url, const std::string& otherwise) {
  const size_t q = url.find('?');
  if (q == std::string::npos) return otherwise;
  size_t at = url.find("&models=", q);
  if (at == std::string::npos && url.compare(q, 8, "?models=") == 0) at = q;
  if (at == std::string::npos) return otherwise;
  at += 8;
  return url.substr(at, url.find('&', at) - at);
}

}  // namespace

WeatherFeed::WeatherFeed(std::string site_id, const Site& site, WeatherForecastSpec spec, HourlyWeather file,
                         HttpGetText get, const Clock& wall)
    : site_id_(std::move(site_id)),
      site_(site),
      spec_(std::move(spec)),
      file_(std::move(file)),
      get_(std::move(get)),
      wall_(wall),
      url_(OpenMeteoForecastUrl(spec_, site.location)) {}

WeatherFeed::~WeatherFeed() { Stop(); }

std::string WeatherFeed::Describe(const Good& good) const {
  const HourlyWeather& w = good.forecast.weather;
  return fmt::format("the {} forecast from {} fetched at {}, {} h up to {}, for the grid point {:.1f} km from the site",
                     ModelOf(good.source, spec_.model), Where(good.source), FormatKst(ToTimestamp(good.fetched)),
                     w.ghi_w_m2.size(), FormatKst(w.ghi_w_m2.end()), good.forecast.distance_km);
}

void WeatherFeed::Note(Severity severity, std::string message) {
  notes_.push_back(FeedNote{severity, std::move(message)});
}

Status WeatherFeed::Restore(TelemetryStore& store) {
  const Instant now = wall_.Now();
  auto stored = store.WeatherForecasts(site_id_, now - std::chrono::days(7), now + Millis(1));
  if (!stored) return stored.error();
  for (auto it = stored->rbegin(); it != stored->rend(); ++it) {
    auto parsed = ParseOpenMeteoForecast(it->body, Where(it->source), site_.location, spec_.max_distance_km);
    if (!parsed) continue;  // stored by another configuration (another place): not this site's
    std::lock_guard lock(mutex_);
    good_ = Good{std::move(*parsed), it->fetched, it->source};
    status_.last_good = it->fetched;
    Note(Severity::kInfo,
         "weather forecast: until the next fetch the site uses the last one the store holds, " + Describe(*good_));
    return Ok{};
  }
  return Ok{};
}

void WeatherFeed::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void WeatherFeed::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WeatherFeed::Run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    // A fetch made before Start (the app's first, at startup) counts as this period's.
    if (status_.fetched + status_.failed > 0) {
      wake_.wait_for(lock, std::chrono::minutes(spec_.every_min), [&] { return stop_; });
      if (stop_) return;
    }
    lock.unlock();
    (void)FetchOnce();  // its outcome is noted
    lock.lock();
  }
}

Status WeatherFeed::FetchOnce() {
  const Instant now = wall_.Now();
  auto body = get_(url_, std::chrono::seconds(spec_.timeout_s));
  Result<WeatherForecast> parsed =
      body ? ParseOpenMeteoForecast(*body, Where(url_), site_.location, spec_.max_distance_km)
           : Result<WeatherForecast>(body.error());
  std::lock_guard lock(mutex_);
  if (!parsed) {
    ++status_.failed;
    status_.last_error = parsed.error().message;
    failing_ = true;
    std::string instead;
    if (good_) {
      instead = "the site keeps " + Describe(*good_);
    } else if (!file_.ghi_w_m2.empty()) {
      instead = "no forecast yet: the site uses its weather file";
    } else {
      instead =
          "no forecast yet and no weather file for these days: the PV forecast stays as without a forecast (the "
          "weather file's on the site twin, yesterday's metered PV on real devices)";
    }
    Note(Severity::kWarning, fmt::format("weather forecast not fetched: {}; {}", parsed.error().message, instead));
    return parsed.error();
  }
  const bool again = failing_;
  good_ = Good{std::move(*parsed), now, Redacted(url_)};
  ++status_.fetched;
  status_.last_good = now;
  status_.last_error.clear();
  failing_ = false;
  outbox_.push_back(StoredWeatherForecast{site_id_, now, Redacted(url_), std::move(*body)});
  if (outbox_.size() > kMaxOutbox) {
    Note(Severity::kWarning,
         fmt::format("weather forecast fetched at {} dropped without being stored: the store refuses writes and {} "
                     "newer forecasts wait for it",
                     FormatKst(ToTimestamp(outbox_.front().fetched)), kMaxOutbox));
    outbox_.pop_front();
  }
  if (again || status_.fetched == 1) {
    Note(Severity::kInfo, (again ? "weather forecast fetched again: " : "weather forecast: ") + Describe(*good_));
  }
  return Ok{};
}

FeedWeather WeatherFeed::Weather(Timestamp from, Timestamp to) const {
  const Timestamp lo = FloorHour(from);
  const Timestamp hi = std::max(lo, CeilHour(to));
  const auto n = static_cast<size_t>((hi - lo) / kHour);
  HourlyColumns columns;
  for (size_t c = 0; c < 3; ++c) columns[c].resize(n);
  for (size_t c = 3; c < 5; ++c) columns[c].resize(n + 1);
  FeedWeather out;
  std::lock_guard lock(mutex_);
  const HourlyWeather* forecast = good_ ? &good_->forecast.weather : nullptr;
  const auto pick = [&](Timestamp t, bool radiation) -> const HourlyWeather* {
    const auto has = radiation ? HasRadiation : HasSamples;
    if (forecast != nullptr && has(*forecast, t)) return forecast;
    if (has(file_, t)) return &file_;
    return nullptr;
  };
  for (size_t k = 0; k < n; ++k) {
    const Timestamp t = lo + kHour * static_cast<long>(k);
    const HourlyWeather* w = pick(t, true);
    if (w == nullptr) continue;
    (w == forecast ? out.forecast_hours : out.file_hours)++;
    columns[0][k] = ValueAt(w->ghi_w_m2, t);
    columns[1][k] = ValueAt(w->dni_w_m2, t);
    columns[2][k] = ValueAt(w->dhi_w_m2, t);
  }
  for (size_t k = 0; k <= n; ++k) {
    const Timestamp t = lo + kHour * static_cast<long>(k);
    const HourlyWeather* w = pick(t, false);
    if (w == nullptr) continue;
    columns[3][k] = ValueAt(w->temp_air_c, t);
    columns[4][k] = ValueAt(w->wind_speed_m_s, t);
  }
  out.weather = MakeHourlyWeather(std::move(columns), lo, lo);
  std::vector<std::string> parts;
  if (out.forecast_hours > 0) parts.push_back(fmt::format("{} ({} h)", Describe(*good_), out.forecast_hours));
  if (out.file_hours > 0) parts.push_back(fmt::format("the weather file ({} h)", out.file_hours));
  const int none = static_cast<int>(n) - out.forecast_hours - out.file_hours;
  if (none > 0) parts.push_back(fmt::format("no weather ({} h)", none));
  for (size_t i = 0; i < parts.size(); ++i) out.basis += (i == 0 ? "" : "; ") + parts[i];
  return out;
}

Result<FeedPv> WeatherFeed::Pv(Timestamp from, Timestamp to) const {
  FeedWeather fw = Weather(from, to);
  const PvWeather w{fw.weather.ghi_w_m2, fw.weather.dni_w_m2, fw.weather.dhi_w_m2, fw.weather.temp_air_c,
                    fw.weather.wind_speed_m_s};
  std::vector<std::optional<Kilowatts>> sum;
  for (const PvArraySpec& array : site_.pv) {
    MEG_TRY_ASSIGN(ac, SimulatePvYear(array, site_.location, w, from, to, PvModelOptionsOf(array)));
    if (sum.empty()) sum.assign(ac.size(), Kilowatts(0));
    for (size_t i = 0; i < ac.size() && i < sum.size(); ++i) {
      if (!ac.at(i) || !sum[i]) {
        sum[i] = std::nullopt;
      } else {
        sum[i] = Kilowatts(sum[i]->value() + ac.at(i)->value());
      }
    }
  }
  return FeedPv{PowerSeries(from, kInterval, std::move(sum)), std::move(fw.basis), fw.forecast_hours, fw.file_hours};
}

WeatherFeedStatus WeatherFeed::Health() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::optional<StoredWeatherForecast> WeatherFeed::PeekForStore() const {
  std::lock_guard lock(mutex_);
  if (outbox_.empty()) return std::nullopt;
  return outbox_.front();
}

void WeatherFeed::PopForStore() {
  std::lock_guard lock(mutex_);
  if (!outbox_.empty()) outbox_.pop_front();
}

std::vector<FeedNote> WeatherFeed::TakeNotes() {
  std::lock_guard lock(mutex_);
  return std::exchange(notes_, {});
}

}  // namespace meg
