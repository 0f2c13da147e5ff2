// The fleet overview (issue 17): GET /api/fleet with 1,000 sites, target p99 under 100 ms.
//   build/release/bench/fleet_bench
// The sites are in-process fakes with a LiveSite's shape of data (a summary, a cycle's values,
// a month-to-date bill of 14 lines, an alarm at every tenth site) behind a LocalFleet, so the
// figure is the fleet's bookkeeping, the JSON and the HTTP round trip on loopback, not a store's.
// BM_Overview: LocalFleet::Overview() alone. BM_FleetApi: the whole request with a logged-in
// session through cpp-httplib's client; counters p50_ms, p99_ms and max_ms over the requests, and
// body_kb. BM_FleetApiScoped: the same for a viewer limited to 10 of the sites.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "center/local_fleet.h"
#include "server/http_server.h"

namespace meg {
namespace {

constexpr int kSites = 1000;

class SystemClock final : public Clock {
 public:
  Instant Now() const override { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); }
  void SleepUntil(Instant) override {}
};

// A site with a LiveSite's shape of data; every call copies, as LiveSite's do under its lock.
class BenchSite final : public SiteBackend {
 public:
  explicit BenchSite(int k) {
    summary_ = {fmt::format("site-{:04d}", k),
                fmt::format("Building {:04d} of the fleet", k),
                "일반용(을) 고압A 선택II",
                1700,
                250,
                1000,
                500};
    live_.version = 1 + static_cast<std::uint64_t>(k);
    live_.time = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
    live_.mode = "normal";
    live_.grid_kw = 800 + k % 400;
    live_.pv_kw = 120;
    live_.battery_kw = -30;
    live_.load_kw = live_.grid_kw + 90;
    live_.soc_pct = 55;
    bill_.month = "2024-08";
    bill_.with_openmeg_krw = 40'000'000 + k;
    bill_.without_openmeg_krw = 42'000'000 + k;
    for (int i = 0; i < 14; ++i) bill_.lines.emplace_back(fmt::format("bill line {}", i), 1'000'000 + i);
    bill_.notes = {"the month to date covers 2024-08-01 to 2024-08-12 14:00"};
    if (k % 10 == 0) alarms_.push_back({"demand", "warning", "15-minute demand at 96 % of the target", live_.time});
  }
  SiteSummary Summary() const override { return summary_; }
  LiveValues Live() const override { return live_; }
  LiveValues WaitForNewer(std::uint64_t, std::chrono::milliseconds) const override { return live_; }
  std::vector<std::string> Points() const override { return {"grid_kw"}; }
  Result<std::vector<Bucket>> Telemetry(const std::string&, Instant, Instant, Resolution) const override {
    return std::vector<Bucket>{};
  }
  ScheduleView Schedule() const override { return {}; }
  Result<ForecastView> Forecast() const override { return NotFound("none"); }
  Result<BillView> Bill() const override { return bill_; }
  Result<std::vector<Event>> Events(int) const override { return std::vector<Event>{}; }
  std::vector<AlarmView> Alarms() const override { return alarms_; }
  Result<std::vector<AuditView>> Audit(int) const override { return std::vector<AuditView>{}; }
  std::vector<DrEventView> DrEvents() const override { return {}; }
  Status SubmitDrCall(const DrCallRequest&) override { return Ok{}; }
  Status Command(const OperatorCommand&) override { return Ok{}; }
  void NoteRefusal(const std::string&) override {}

 private:
  SiteSummary summary_;
  LiveValues live_;
  BillView bill_;
  std::vector<AlarmView> alarms_;
};

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "fleet_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

// 1,000 sites behind a LocalFleet and a server on a free loopback port, with two users: "ops"
// (every site) and "ten" (a viewer of 10 sites).
struct Center {
  Center() {
    std::vector<LocalFleetSite> entries;
    std::set<std::string, std::less<>> ten;
    for (int k = 0; k < kSites; ++k) {
      sites.push_back(std::make_unique<BenchSite>(k));
      entries.push_back({fmt::format("site-{:04d}", k), k % 3 == 0 ? "hospital" : "office", sites.back().get()});
      if (k % 100 == 0) ten.insert(entries.back().id);
    }
    fleet = OrDie(LocalFleet::Make(std::move(entries), clock), "fleet");
    if (!users.Add("ops", Role::kOperator, "bench-password") ||
        !users.Add("ten", Role::kViewer, "bench-password", SiteScope::Only(ten))) {
      std::fprintf(stderr, "fleet_bench: cannot add the users\n");
      std::exit(1);
    }
    ServerOptions options;
    options.port = 0;
    server = std::make_unique<ControlCenterServer>(*fleet, users, sessions, clock, options);
    if (auto st = server->Start(); !st) {
      std::fprintf(stderr, "fleet_bench: %s\n", st.error().message.c_str());
      std::exit(1);
    }
  }
  std::string Token(const std::string& user) {
    httplib::Client c("127.0.0.1", server->port());
    auto res =
        c.Post("/api/login", nlohmann::json{{"user", user}, {"password", "bench-password"}}.dump(), "application/json");
    if (!res || res->status != 200) {
      std::fprintf(stderr, "fleet_bench: cannot log in as %s\n", user.c_str());
      std::exit(1);
    }
    return nlohmann::json::parse(res->body)["token"].get<std::string>();
  }
  SystemClock clock;
  std::vector<std::unique_ptr<BenchSite>> sites;
  std::unique_ptr<LocalFleet> fleet;
  UserDirectory users;
  Sessions sessions{clock};
  std::unique_ptr<ControlCenterServer> server;
};

Center& TheCenter() {
  static Center* center = new Center();  // lives to the end of the process, as the server's threads need
  return *center;
}

void BM_Overview(benchmark::State& state) {
  Center& c = TheCenter();
  for (auto _ : state) benchmark::DoNotOptimize(c.fleet->Overview());
  state.counters["sites"] = kSites;
}
BENCHMARK(BM_Overview)->Unit(benchmark::kMillisecond);

void Requests(benchmark::State& state, const std::string& user) {
  Center& c = TheCenter();
  const std::string token = c.Token(user);
  httplib::Client client("127.0.0.1", c.server->port());
  client.set_keep_alive(true);
  const httplib::Headers headers{{"Authorization", "Bearer " + token}};
  std::vector<double> ms;
  size_t bytes = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto res = client.Get("/api/fleet", headers);
    const auto t1 = std::chrono::steady_clock::now();
    if (!res || res->status != 200) {
      state.SkipWithError("GET /api/fleet failed");
      return;
    }
    bytes = res->body.size();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  state.counters["p50_ms"] = at(0.50);
  state.counters["p99_ms"] = at(0.99);
  state.counters["max_ms"] = ms.back();
  state.counters["body_kb"] = static_cast<double>(bytes) / 1024;
}

void BM_FleetApi(benchmark::State& state) { Requests(state, "ops"); }
BENCHMARK(BM_FleetApi)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(300);

void BM_FleetApiScoped(benchmark::State& state) { Requests(state, "ten"); }
BENCHMARK(BM_FleetApiScoped)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(300);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
