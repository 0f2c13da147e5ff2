// The HTTP API over real sockets (cpp-httplib's client against the server on a free loopback
// port), with an in-memory site behind it: logins and roles, JSON errors for every refusal,
// the body limit, login throttling, the event stream and HTTPS with a certificate made by the
// openssl command. The whole control center behind it is tested end to end in web/e2e.
#include "server/http_server.h"
#include "center/fleet_dr_service.h"
#include "center/local_fleet.h"
#include "io/xlsx.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "server/self_signed.h"
#include "server/webhook.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

namespace meg {
namespace {

using nlohmann::json;

class FakeSite final : public SiteBackend {
 public:
  explicit FakeSite(std::string id = "h1", std::string name = "Test hospital", double grid_kw = 1200.5)
      : id_(std::move(id)), name_(std::move(name)), grid_kw_(grid_kw) {}
  SiteSummary Summary() const override { return {id_, name_, "일반용(을) 고압A 선택II", 1700, 250, 1000, 500}; }
  LiveValues Live() const override {
    LiveValues v;
    v.version = version.load();
    v.time = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
    v.mode = "normal";
    v.grid_kw = grid_kw_;
    v.pv_kw = 100;
    v.battery_kw = -50;
    v.load_kw = grid_kw_ + 100 - 50;
    v.soc_pct = std::nan("");  // unknown: rendered as null
    return v;
  }
  LiveValues WaitForNewer(std::uint64_t v, std::chrono::milliseconds) const override {
    version = v + 1;
    return Live();
  }
  std::vector<std::string> Points() const override { return {"grid_kw", "soc_pct"}; }
  Result<std::vector<Bucket>> Telemetry(const std::string& point, Instant from, Instant, Resolution) const override {
    if (point != "grid_kw") return NotFound("no point '" + point + "'");
    if (!buckets.empty()) return buckets;
    return std::vector<Bucket>{{from, 1, 2, 3, 2, 60}};
  }
  ScheduleView Schedule() const override { return schedule; }
  Result<ForecastView> Forecast() const override { return NotFound("no forecast yet"); }
  Result<BillView> Bill() const override {
    if (!bill) return NotFound("no bill yet");
    return *bill;
  }
  Result<std::vector<Event>> Events(int) const override { return std::vector<Event>{}; }
  std::vector<AlarmView> Alarms() const override { return alarms; }
  std::optional<SiteMetrics> Metrics() const override {
    SiteMetrics m;
    m.cycle_seconds.Observe(0.004);
    m.store_write_failures = 1;
    return m;
  }
  std::vector<DrEventView> DrEvents() const override { return dr; }
  Status SubmitDrCall(const DrCallRequest& c) override {
    if (c.kind == "weekend") return InvalidInput("not a 평일");
    dr_calls.push_back(c);
    return Ok{};
  }
  Result<std::vector<AuditView>> Audit(int) const override { return std::vector<AuditView>{}; }
  Status Command(const OperatorCommand& c) override {
    commands.push_back(c);
    return Ok{};
  }
  void NoteRefusal(const std::string& message) override {
    std::lock_guard lock(refusal_mutex);
    refusals.push_back(message);
  }
  std::vector<std::string> Refusals() const {
    std::lock_guard lock(refusal_mutex);
    return refusals;
  }
  mutable std::atomic<std::uint64_t> version{1};
  std::vector<Bucket> buckets;  // Telemetry's answer for grid_kw when set
  std::optional<BillView> bill;
  std::vector<AlarmView> alarms;
  std::vector<OperatorCommand> commands;
  std::vector<DrEventView> dr;
  ScheduleView schedule;
  std::vector<DrCallRequest> dr_calls;
  mutable std::mutex refusal_mutex;
  std::vector<std::string> refusals;

 private:
  std::string id_, name_;
  double grid_kw_;
};

class WallClock final : public Clock {
 public:
  Instant Now() const override { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); }
  void SleepUntil(Instant) override {}
};

// A raw TCP connection to the server on loopback, from `from` (any 127.x.y.z address is this
// machine on Linux, so a test can be several clients). Closed by the destructor.
class RawClient {
 public:
  RawClient(int port, const char* from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  bool Send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // What arrives within `wait` until the end of the reply's headers (or the connection closes).
  std::string ReadHeaders(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (got.find("\r\n\r\n") == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  // Whether the server closed the connection within `wait`.
  bool ClosedWithin(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// The status code of a raw reply ("HTTP/1.1 411 Length Required..."), or 0.
int StatusOf(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return 0;
  return std::atoi(reply.substr(9, 3).c_str());
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(users_.Add("kim", Role::kOperator, "operator-pass"));
    ASSERT_TRUE(users_.Add("lee", Role::kViewer, "viewer-pass!"));
  }
  void Start(ServerOptions options = {}) {
    options.port = 0;
    // The fakes publish no new cycles: an hour's silence before "offline", longer than any test.
    auto fleet = LocalFleet::Make({{"h1", "hospital", &site_}, {"h2", "campus building", &site_b_}}, clock_,
                                  {.offline_after = std::chrono::hours(1)});
    ASSERT_TRUE(fleet) << fleet.error().message;
    fleet_ = std::move(*fleet);
    server_ = std::make_unique<ControlCenterServer>(*fleet_, users_, sessions_, clock_, options);
    const Status st = server_->Start();
    ASSERT_TRUE(st) << st.error().message;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  std::string Login(const std::string& user, const std::string& password) {
    auto res = client_->Post("/api/login", json{{"user", user}, {"password", password}}.dump(), "application/json");
    if (!res || res->status != 200) return "";
    return json::parse(res->body)["token"].get<std::string>();
  }
  static httplib::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
  // The error message of a JSON error reply (fails the test if it is not one).
  static std::string ErrorOf(const httplib::Result& res) {
    EXPECT_TRUE(res);
    if (!res) return "";
    const json j = json::parse(res->body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error")) << res->status << " " << res->body;
    return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "";
  }

  FakeSite site_;
  FakeSite site_b_{"h2", "Test campus", 300.25};
  UserDirectory users_;
  WallClock clock_;
  Sessions sessions_{clock_};
  std::unique_ptr<LocalFleet> fleet_;
  std::unique_ptr<ControlCenterServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, LoginRolesAndCommands) {
  Start();
  auto bad = client_->Post("/api/login", R"({"user":"kim","password":"nope"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_EQ(ErrorOf(bad), "wrong user or password");
  auto anon = client_->Get("/api/sites/h1/live");
  EXPECT_EQ(anon->status, 401);
  EXPECT_NE(ErrorOf(anon).find("log in first"), std::string::npos);

  const std::string viewer = Login("lee", "viewer-pass!");
  ASSERT_FALSE(viewer.empty());
  auto live = client_->Get("/api/sites/h1/live", Bearer(viewer));
  ASSERT_EQ(live->status, 200);
  const json v = json::parse(live->body);
  EXPECT_EQ(v["grid_kw"], 1200.5);
  EXPECT_TRUE(v["soc_pct"].is_null());
  EXPECT_EQ(v["time"], "2024-08-12T14:00:00+09:00");
  auto refused = client_->Post("/api/sites/h1/commands/setpoint", Bearer(viewer), R"({"battery_kw":-50,"minutes":5})",
                               "application/json");
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(ErrorOf(refused).find("operator role"), std::string::npos);
  EXPECT_TRUE(site_.commands.empty());

  const std::string op = Login("kim", "operator-pass");
  auto ok = client_->Post("/api/sites/h1/commands/setpoint", Bearer(op), R"({"battery_kw":-50,"minutes":5})",
                          "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  ASSERT_EQ(site_.commands.size(), 1u);
  EXPECT_EQ(site_.commands[0].user, "kim");
  EXPECT_EQ(site_.commands[0].battery_kw, -50);
  EXPECT_EQ(site_.commands[0].minutes, 5);
  // A battery mode and the backup reserve (issue 21 item 5): operators only, checked bodies.
  EXPECT_EQ(client_
                ->Post("/api/sites/h1/commands/battery-mode", Bearer(viewer),
                       R"({"mode":"hold-soc","until":"2024-08-12T17:00:00+09:00"})", "application/json")
                ->status,
            403);
  auto held = client_->Post("/api/sites/h1/commands/battery-mode", Bearer(op),
                            R"({"mode":"hold-soc","until":"2024-08-12T17:00:00+09:00"})", "application/json");
  ASSERT_EQ(held->status, 200) << held->body;
  ASSERT_EQ(site_.commands.size(), 2u);
  EXPECT_EQ(site_.commands[1].kind, OperatorCommand::Kind::kBatteryMode);
  EXPECT_EQ(site_.commands[1].mode, "hold-soc");
  EXPECT_EQ(client_
                ->Post("/api/sites/h1/commands/backup-reserve", Bearer(op), R"({"soc_pct":"lots"})", "application/json")
                ->status,
            400);
  ASSERT_EQ(client_->Post("/api/sites/h1/commands/backup-reserve", Bearer(op), R"({"soc_pct":30})", "application/json")
                ->status,
            200);
  EXPECT_EQ(site_.commands[2].kind, OperatorCommand::Kind::kBackupReserve);

  client_->Post("/api/logout", Bearer(op), "", "application/json");
  EXPECT_EQ(client_->Get("/api/sites/h1/live", Bearer(op))->status, 401);
}

// Issue 21 item 4: GET /metrics for a scraper with a viewer's token; without one, 401.
TEST_F(HttpServerTest, MetricsAreServedInPrometheusTextToAViewer) {
  Start();
  EXPECT_EQ(client_->Get("/metrics")->status, 401);
  const std::string viewer = Login("lee", "viewer-pass!");
  ASSERT_EQ(client_->Get("/api/sites", Bearer(viewer))->status, 200);
  auto r = client_->Get("/metrics", Bearer(viewer));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("meg_cycle_duration_seconds_bucket{site=\"h1\",le=\"0.005\"} 1\n"), std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("meg_store_write_failures_total{site=\"h1\"} 1\n"), std::string::npos);
  // The requests before this one were timed (the login, /api/sites and the refused scrape).
  const auto at = r->body.find("meg_http_request_duration_seconds_count ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stoi(r->body.substr(at + 40)), 3) << r->body.substr(at);
}

// A DR call's view: times in KST ISO 8601, unknowns as null, units in the key names.
TEST_F(HttpServerTest, DrEventsAreListedWithTheirHours) {
  DrEventView e;
  e.kind = "reliability";
  e.issued = ToInstant(FromKst(Date{std::chrono::year{2024}, std::chrono::month{8}, std::chrono::day{12}}, 13 * 60));
  e.start = e.issued + std::chrono::hours(1);
  e.end = e.start + std::chrono::hours(2);
  e.requested_kw = 200;
  e.status = "planned";
  e.hours.push_back({e.start, 60, 1263.8, 1063.8, std::nullopt, std::nullopt, 200, std::nullopt});
  site_.dr.push_back(e);
  Start();
  EXPECT_EQ(client_->Get("/api/sites/h1/dr-events")->status, 401);
  const std::string viewer = Login("lee", "viewer-pass!");
  auto res = client_->Get("/api/sites/h1/dr-events", Bearer(viewer));
  ASSERT_EQ(res->status, 200) << res->body;
  const json j = json::parse(res->body);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["start"], "2024-08-12T14:00:00+09:00");
  EXPECT_EQ(j[0]["status"], "planned");
  EXPECT_EQ(j[0]["requested_kw"], 200);
  EXPECT_EQ(j[0]["hours"][0]["cbl_kwh"], 1263.8);
  EXPECT_EQ(j[0]["hours"][0]["import_cap_kw"], 1063.8);
  EXPECT_TRUE(j[0]["hours"][0]["metered_kwh"].is_null());
  EXPECT_TRUE(j[0]["energy_payment_krw"].is_null());
}

// The schedule comes with the planner's reason: code, the limit that clipped, and the sentence.
TEST_F(HttpServerTest, ScheduleCarriesTheReason) {
  site_.schedule.present = true;
  site_.schedule.made =
      ToInstant(FromKst(Date{std::chrono::year{2024}, std::chrono::month{8}, std::chrono::day{12}}, 14 * 60));
  site_.schedule.source = "planner:mpc";
  site_.schedule.battery_kw = 185;
  site_.schedule.reason_code = "discharge_peak";
  site_.schedule.reason = "discharging 185 kW: holding the month peak 1,379 kW";
  Start();
  const std::string viewer = Login("lee", "viewer-pass!");
  auto res = client_->Get("/api/sites/h1/schedule", Bearer(viewer));
  ASSERT_EQ(res->status, 200) << res->body;
  const json j = json::parse(res->body);
  EXPECT_EQ(j["made"], "2024-08-12T14:00:00+09:00");
  EXPECT_EQ(j["reason_code"], "discharge_peak");
  EXPECT_EQ(j["limit"], "");
  EXPECT_EQ(j["reason"], "discharging 185 kW: holding the month peak 1,379 kW");
}

// POST a DR call: operators only, every field checked before the backend sees it, the backend's
// refusal (its dispatch-rule check) passed on as a 400 with its reason.
TEST_F(HttpServerTest, DrCallsArePostedByOperatorsAndChecked) {
  Start();
  const std::string viewer = Login("lee", "viewer-pass!");
  const std::string op = Login("kim", "operator-pass");
  const std::string good =
      R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":200})";
  EXPECT_EQ(client_->Post("/api/sites/h1/dr-events", Bearer(viewer), good, "application/json")->status, 403);
  auto ok = client_->Post("/api/sites/h1/dr-events", Bearer(op), good, "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  ASSERT_EQ(site_.dr_calls.size(), 1u);
  EXPECT_EQ(site_.dr_calls[0].user, "kim");
  EXPECT_EQ(site_.dr_calls[0].kind, "reliability");
  EXPECT_FALSE(site_.dr_calls[0].issued.has_value());
  EXPECT_EQ(site_.dr_calls[0].requested_kw, 200);
  EXPECT_EQ(FormatKst(ToTimestamp(site_.dr_calls[0].start)), "2024-08-12T14:00:00+09:00");
  const std::pair<const char*, const char*> bad[] = {
      {R"({"end":"2024-08-12T16:00:00+09:00","requested_kw":200})", "'start'"},
      {R"({"start":"2024-08-12 14:00","end":"2024-08-12T16:00:00+09:00","requested_kw":200})", "'start':"},
      {R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00"})", "'requested_kw'"},
      {R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":-5})", "within (0"},
      {R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":5,"kind":3})",
       "'kind'"},
      {R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":5,"kind":"weekend"})",
       "평일"},
      {"[1,2]", "JSON object"},
  };
  for (const auto& [body, why] : bad) {
    auto r = client_->Post("/api/sites/h1/dr-events", Bearer(op), body, "application/json");
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_NE(ErrorOf(r).find(why), std::string::npos) << body << " -> " << r->body;
  }
  EXPECT_EQ(site_.dr_calls.size(), 1u);
}

TEST_F(HttpServerTest, BadRequestsAreRefusedWithJsonAndChangeNothing) {
  Start();
  const std::string op = Login("kim", "operator-pass");
  struct Case {
    const char* path;
    const char* body;
    int status;
    const char* expect;
  };
  const Case cases[] = {
      {"/api/sites/h1/commands/setpoint", "{not json", 400, "JSON object"},
      {"/api/sites/h1/commands/setpoint", R"({"battery_kw":"lots","minutes":5})", 400, "battery_kw"},
      {"/api/sites/h1/commands/setpoint", R"({"battery_kw":1e300,"minutes":5})", 400, "finite"},
      {"/api/sites/h1/commands/setpoint", R"({"battery_kw":10,"minutes":0})", 400, "1..1440"},
      {"/api/sites/h1/commands/mode", R"({"mode":"manual"})", 400, "auto"},
      {"/api/sites/h9/commands/mode", R"({"mode":"auto"})", 404, "no site 'h9'"},
  };
  for (const Case& c : cases) {
    auto res = client_->Post(c.path, Bearer(op), c.body, "application/json");
    ASSERT_TRUE(res) << c.body;
    EXPECT_EQ(res->status, c.status) << c.body;
    EXPECT_NE(ErrorOf(res).find(c.expect), std::string::npos) << c.body << " -> " << res->body;
  }
  EXPECT_TRUE(site_.commands.empty());
  const char* gets[][2] = {
      {"/api/sites/h1/telemetry?point=grid_kw&from=2024-08-12&to=2024-08-13", "offset"},
      {"/api/sites/h1/telemetry?point=grid_kw&from=2024-08-13T00:00:00%2B09:00&to=2024-08-12T00:00:00%2B09:00",
       "after"},
      {"/api/sites/h1/"
       "telemetry?point=grid_kw&from=2024-08-01T00:00:00%2B09:00&to=2024-08-12T00:00:00%2B09:00&resolution=raw",
       "at most 1 days"},
      {"/api/sites/h1/"
       "telemetry?point=grid_kw&from=2024-08-01T00:00:00%2B09:00&to=2024-08-02T00:00:00%2B09:00&resolution=5s",
       "raw, 1m or 15m"},
      {"/api/sites/h1/telemetry?point=power&from=2024-08-01T00:00:00%2B09:00&to=2024-08-02T00:00:00%2B09:00",
       "no point"},
      {"/api/sites/h1/audit?limit=5000", "1..1000"},
      {"/api/nothing-here", "no such resource"},
  };
  for (const auto& [path, expect] : gets) {
    auto res = client_->Get(path, Bearer(op));
    ASSERT_TRUE(res) << path;
    EXPECT_GE(res->status, 400) << path;
    EXPECT_NE(ErrorOf(res).find(expect), std::string::npos) << path << " -> " << res->body;
  }
  // Times with milliseconds, as /live writes them, are read.
  auto ms = client_->Get(
      "/api/sites/h1/telemetry?point=grid_kw&from=2024-08-12T14:00:05.250%2B09:00&to=2024-08-12T15:00:00%2B09:00",
      Bearer(op));
  ASSERT_EQ(ms->status, 200) << ms->body;
  EXPECT_EQ(json::parse(ms->body)[0]["start"], "2024-08-12T14:00:05.250+09:00");
  // A query time whose '+' arrived unencoded (as a space) still reads.
  auto ok =
      client_->Get("/api/sites/h1/telemetry?point=grid_kw&from=2024-08-12T00:00:00+09:00&to=2024-08-12T01:00:00+09:00",
                   Bearer(op));
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(HttpServerTest, OversizedBodyIsRefused) {
  Start();
  const std::string op = Login("kim", "operator-pass");
  const std::string huge = R"({"battery_kw":1,"minutes":5,"pad":")" + std::string(100 * 1024, 'x') + "\"}";
  auto res = client_->Post("/api/sites/h1/commands/setpoint", Bearer(op), huge, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(ErrorOf(res).find("over the limit"), std::string::npos);
  EXPECT_TRUE(site_.commands.empty());
}

TEST_F(HttpServerTest, RepeatedWrongPasswordsAreThrottled) {
  Start();
  for (int i = 0; i < 5; ++i) client_->Post("/api/login", R"({"user":"kim","password":"guess"})", "application/json");
  auto res = client_->Post("/api/login", R"({"user":"kim","password":"operator-pass"})", "application/json");
  EXPECT_EQ(res->status, 429);
  EXPECT_FALSE(ErrorOf(res).empty());
  // Another user is not locked out.
  EXPECT_FALSE(Login("lee", "viewer-pass!").empty());
}

TEST_F(HttpServerTest, EventStreamSendsLiveEvents) {
  Start();
  const std::string token = Login("lee", "viewer-pass!");
  std::string received;
  httplib::Client sse("127.0.0.1", server_->port());
  sse.set_read_timeout(5, 0);
  auto res = sse.Get("/api/sites/h1/stream?token=" + token, [&](const char* data, size_t n) {
    received.append(data, n);
    return received.find("event: live") == std::string::npos || received.find("\n\n") == std::string::npos;
  });
  EXPECT_NE(received.find("event: live\ndata: {"), std::string::npos) << received;
  EXPECT_NE(received.find("\"grid_kw\":1200.5"), std::string::npos) << received;
}

TEST_F(HttpServerTest, ServesHttpsWithAConfiguredCertificate) {
  const auto made = testing::MakeSelfSigned("meg-tls", "localhost");
  if (!made) GTEST_SKIP() << "no openssl command to make a test certificate";
  const auto& dir = made->dir;
  const std::string &cert = made->cert, &key = made->key;
  ServerOptions o;
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  Start(o);
  EXPECT_TRUE(server_->tls());
  httplib::SSLClient tls("127.0.0.1", server_->port());
  tls.enable_server_certificate_verification(false);  // self-signed, made above
  auto res = tls.Post("/api/login", R"({"user":"lee","password":"viewer-pass!"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);  // HTTPS: a Secure cookie
  auto plain = client_->Post("/api/login", R"({"user":"lee","password":"viewer-pass!"})", "application/json");
  EXPECT_FALSE(plain && plain->status == 200);  // plain HTTP to the TLS port gets nowhere
  // A missing certificate is a clear error at start.
  ServerOptions missing;
  missing.tls_cert_file = (dir / "none.pem").string();
  missing.tls_key_file = key;
  missing.port = 0;
  ControlCenterServer other(*fleet_, users_, sessions_, clock_, missing);
  const Status st = other.Start();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("none.pem"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Issue 16, item 1: a chunked body is refused (411) when its headers arrive, before any of it is
// read: a client sending 32 MB gets the refusal and is cut off long before it has sent it all.
TEST_F(HttpServerTest, ChunkedBodyIsRefusedBeforeItIsRead) {
  Start();
  RawClient c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.Send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"));
  std::atomic<size_t> sent{0};
  std::thread writer([&] {
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";  // 64 KiB chunks
    while (sent < (32u << 20)) {
      const ssize_t n = ::send(c.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;  // the server has closed the connection
      sent += static_cast<size_t>(n);
    }
  });
  const std::string reply = c.ReadHeaders();
  writer.join();
  EXPECT_EQ(StatusOf(reply), 411) << reply.substr(0, 200);
  EXPECT_NE(reply.find("Content-Length"), std::string::npos);
  EXPECT_LT(sent.load(), 16u << 20) << "the server read the whole chunked body";
}

// A body over the limit with a Content-Length is refused at once (413), unread.
TEST_F(HttpServerTest, DeclaredOversizedBodyIsRefusedUnread) {
  Start();
  RawClient c(server_->port());
  ASSERT_TRUE(
      c.Send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: 300000000\r\n\r\n{\"user\":"));
  const std::string reply = c.ReadHeaders(std::chrono::seconds(5));
  EXPECT_EQ(StatusOf(reply), 413) << reply;
}

// A GET with a body is refused: httplib would read the body as the next request.
TEST_F(HttpServerTest, GetWithABodyIsRefused) {
  Start();
  RawClient c(server_->port());
  ASSERT_TRUE(
      c.Send("GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 42\r\n\r\n"
             "GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const std::string reply = c.ReadHeaders(std::chrono::seconds(5));
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  EXPECT_TRUE(c.ClosedWithin(std::chrono::seconds(5)));
}

// A POST without a Content-Length has no body (RFC 9112 6.3): answered at once, not after the
// server waited for the client to close.
TEST_F(HttpServerTest, PostWithoutContentLengthIsAnsweredAtOnce) {
  Start();
  RawClient c(server_->port());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.Send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const std::string reply = c.ReadHeaders(std::chrono::seconds(8));
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  EXPECT_LT(SecondsSince(t0), 2.0);
}

// A connection that sends half a request is closed at the header timeout.
TEST_F(HttpServerTest, SlowHeadersAreCutOff) {
  ServerOptions o;
  o.limits.header_timeout = std::chrono::milliseconds(500);
  Start(o);
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send("GET /api/me HTTP/1.1\r\nHost: 127.0"));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ClosedWithin(std::chrono::seconds(5)));
  EXPECT_LT(SecondsSince(t0), 4.0);
}

// Issue 16, item 3: 80 half-open connections (a request begun, never finished) do not stall a
// login and a command.
TEST_F(HttpServerTest, IdleConnectionsDoNotStallLoginsAndCommands) {
  Start();
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 80; ++i) {
    idle.push_back(std::make_unique<RawClient>(server_->port()));
    idle.back()->Send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // and then nothing more
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // all accepted and waiting
  const auto t0 = std::chrono::steady_clock::now();
  const std::string op = Login("kim", "operator-pass");
  ASSERT_FALSE(op.empty());
  auto ok = client_->Post("/api/sites/h1/commands/mode", Bearer(op), R"({"mode":"auto"})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_LT(SecondsSince(t0), 2.0);
}

// A client over its connection limit is refused at once (503); another client gets in.
TEST_F(HttpServerTest, ConnectionsPerClientAreBounded) {
  ServerOptions o;
  o.limits.max_connections_per_client = 8;
  Start(o);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<RawClient>(server_->port(), "127.0.0.2"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient extra(server_->port(), "127.0.0.2");
  const std::string reply = extra.ReadHeaders(std::chrono::seconds(3));
  EXPECT_EQ(StatusOf(reply), 503) << reply;
  EXPECT_NE(reply.find("127.0.0.2 holds 8 connections"), std::string::npos) << reply;
  EXPECT_FALSE(Login("lee", "viewer-pass!").empty());  // from 127.0.0.1
}

// 66 event streams of one session: 4 are served, the rest refused with 429, and a request
// still answers at once.
TEST_F(HttpServerTest, EventStreamsPerSessionAreBounded) {
  Start();
  const std::string token = Login("lee", "viewer-pass!");
  std::vector<std::unique_ptr<RawClient>> streams;
  int open = 0, refused = 0;
  for (int i = 0; i < 66; ++i) {
    streams.push_back(std::make_unique<RawClient>(server_->port()));
    streams.back()->Send("GET /api/sites/h1/stream?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const int st = StatusOf(streams.back()->ReadHeaders(std::chrono::seconds(5)));
    open += st == 200;
    refused += st == 429;
  }
  EXPECT_EQ(open, 4);
  EXPECT_EQ(refused, 62);
  const auto t0 = std::chrono::steady_clock::now();
  auto live = client_->Get("/api/sites/h1/live", Bearer(token));
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_LT(SecondsSince(t0), 2.0);
}

// Issue 16, item 8: the session cookie.
TEST_F(HttpServerTest, CookieSessionsAreParsedLoggedOutAndGuardedAgainstCsrf) {
  Start();
  auto login = client_->Post("/api/login", R"({"user":"kim","password":"operator-pass"})", "application/json");
  ASSERT_EQ(login->status, 200);
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain HTTP: a Secure cookie would not come back
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("Max-Age=43200"), std::string::npos) << set_cookie;
  const std::string token = json::parse(login->body)["token"].get<std::string>();
  const std::string cookie = "meg_session=" + token;
  // Matched by its whole name: another cookie ending in meg_session is not the session.
  EXPECT_EQ(client_->Get("/api/me", {{"Cookie", "x" + cookie}})->status, 401);
  EXPECT_EQ(client_->Get("/api/me", {{"Cookie", "theme=dark; " + cookie}})->status, 200);
  const std::string path = "/api/sites/h1/commands/setpoint";
  const std::string body = R"({"battery_kw":-50,"minutes":5})";
  // A cookie-only command from another site's page (text/plain, foreign Origin) is refused.
  auto foreign = client_->Post(path, {{"Cookie", cookie}, {"Origin", "http://evil.example"}}, body, "text/plain");
  EXPECT_EQ(foreign->status, 403);
  EXPECT_NE(ErrorOf(foreign).find("another site"), std::string::npos);
  auto plain = client_->Post(path, {{"Cookie", cookie}, {"Origin", "http://evil.example"}}, body, "application/json");
  EXPECT_EQ(plain->status, 403);
  auto no_origin = client_->Post(path, {{"Cookie", cookie}}, body, "application/json");
  EXPECT_EQ(no_origin->status, 403);
  const std::string self = "http://127.0.0.1:" + std::to_string(server_->port());
  auto text = client_->Post(path, {{"Cookie", cookie}, {"Origin", self}}, body, "text/plain");
  EXPECT_EQ(text->status, 403);
  EXPECT_TRUE(site_.commands.empty());
  // From this server's own page, with JSON: carried out. With a header token: no Origin needed.
  auto same = client_->Post(path, {{"Cookie", cookie}, {"Origin", self}}, body, "application/json");
  EXPECT_EQ(same->status, 200) << same->body;
  auto bearer = client_->Post(path, Bearer(token), body, "text/plain");
  EXPECT_EQ(bearer->status, 200) << bearer->body;
  EXPECT_EQ(site_.commands.size(), 2u);
  // ?token= is for the event stream only.
  EXPECT_EQ(client_->Post(path + "?token=" + token, body, "application/json")->status, 401);
  EXPECT_EQ(client_->Get("/api/sites/h1/live?token=" + token)->status, 401);
  // A cookie-only logout ends the session and clears the cookie.
  auto out = client_->Post("/api/logout", {{"Cookie", cookie}, {"Origin", self}}, "", "application/json");
  ASSERT_EQ(out->status, 200);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(client_->Get("/api/me", {{"Cookie", cookie}})->status, 401);
  EXPECT_EQ(client_->Get("/api/me", Bearer(token))->status, 401);
}

// Issue 16, item 7: user names a directory cannot hold are refused before anything is kept.
TEST_F(HttpServerTest, LongUserNamesAreRefused) {
  Start();
  const std::string name(60000, 'u');
  auto res = client_->Post("/api/login", json{{"user", name}, {"password", "x"}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(ErrorOf(res).find("1-64"), std::string::npos);
  EXPECT_LT(res->body.size(), 300u);
}

// Issue 16, item 9: a lockout from one client does not stop the user logging in from another.
TEST_F(HttpServerTest, LockoutIsPerClient) {
  Start();
  for (int i = 0; i < 5; ++i) {
    RawClient attacker(server_->port(), "127.0.0.2");
    const std::string body = R"({"user":"kim","password":"guess"})";
    attacker.Send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(StatusOf(attacker.ReadHeaders()), 401);
  }
  RawClient attacker(server_->port(), "127.0.0.2");
  const std::string body = R"({"user":"kim","password":"operator-pass"})";
  attacker.Send("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(StatusOf(attacker.ReadHeaders()), 429);
  EXPECT_FALSE(Login("kim", "operator-pass").empty());  // from 127.0.0.1
}

// An unknown user name takes the same argon2id work as a wrong password for a real user.
TEST_F(HttpServerTest, UnknownUsersTakeAsLongAsKnownOnes) {
  Start();
  // The known and the unknown name take turns, so a burst of load from a test running beside this
  // one (CTest runs two at a time) slows both alike; each side's fastest try is its own work, which
  // load can only lengthen. The first unknown try also makes the dummy hash, so it is left out.
  const auto try_ms = [&](const std::string& user, int i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client_->Post("/api/login", json{{"user", user}, {"password", "wrong-" + std::to_string(i)}}.dump(),
                           "application/json");
    EXPECT_EQ(r->status, 401);
    return SecondsSince(t0) * 1000;
  };
  try_ms("nobody", 0);
  double known = 1e9;
  double unknown = 1e9;
  for (int i = 1; i <= 4; ++i) {
    known = std::min(known, try_ms("lee", i));
    unknown = std::min(unknown, try_ms("nobody", i));
  }
  EXPECT_GT(unknown, 0.5 * known) << "unknown " << unknown << " ms, known " << known << " ms";
}

// Issue 16, item 12: refusals are recorded (rate-limited per client), without long fields.
TEST_F(HttpServerTest, RefusalsAreRecorded) {
  Start();
  client_->Post("/api/login", R"({"user":"kim","password":"nope"})", "application/json");
  client_->Get("/api/sites/h1/live");
  const auto first = site_.Refusals();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0], "127.0.0.1: failed login for 'kim'");
  EXPECT_NE(first[1].find("refused GET /api/sites/h1/live (401)"), std::string::npos) << first[1];
  for (int i = 0; i < 30; ++i) client_->Get("/api/sites/h1/live");
  EXPECT_EQ(site_.Refusals().size(), 10u);  // 10 per client per minute
}

// Issue 17: /api/fleet rows and totals. Expected values by hand from the fakes: h1 imports
// 1200.5 kW, h2 300.25 kW, each with PV 100 kW and the battery charging 50 kW (load = grid + PV +
// battery); h1's bill 1,000,000 KRW with OpenMEG, 1,250,000 without.
TEST_F(HttpServerTest, FleetOverviewHasEveryRowAndTheTotals) {
  BillView bill;
  bill.month = "2024-08";
  bill.with_openmeg_krw = 1'000'000;
  bill.without_openmeg_krw = 1'250'000;
  site_.bill = bill;
  const Instant t = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 13 * 60));
  site_.alarms = {{"demand", "warning", "15-minute demand at 96 % of the target", t},
                  {"fail-safe", "critical", "safe mode: the meter is lost", t},
                  {"stale", "warning", "pv1 stale", t}};
  Start();
  EXPECT_EQ(client_->Get("/api/fleet")->status, 401);
  const std::string viewer = Login("lee", "viewer-pass!");
  auto res = client_->Get("/api/fleet", Bearer(viewer));
  ASSERT_EQ(res->status, 200) << res->body;
  const json f = json::parse(res->body);
  ASSERT_EQ(f["sites"].size(), 2u);
  const json& h1 = f["sites"][0];
  EXPECT_EQ(h1["id"], "h1");
  EXPECT_EQ(h1["name"], "Test hospital");
  EXPECT_EQ(h1["kind"], "hospital");
  EXPECT_EQ(h1["state"], "normal");
  EXPECT_EQ(h1["state_since"], "2024-08-12T14:00:00+09:00");
  EXPECT_EQ(h1["time"], "2024-08-12T14:00:00+09:00");
  EXPECT_EQ(h1["grid_kw"], 1200.5);
  EXPECT_EQ(h1["load_kw"], 1250.5);
  EXPECT_TRUE(h1["soc_pct"].is_null());
  EXPECT_EQ(h1["contract_kw"], 1700);
  EXPECT_EQ(h1["alarms"]["count"], 3);
  EXPECT_EQ(h1["alarms"]["severity"], "critical");
  EXPECT_EQ(h1["alarms"]["message"], "safe mode: the meter is lost");
  EXPECT_EQ(h1["bill_month"], "2024-08");
  EXPECT_EQ(h1["bill_krw"], 1'000'000);
  EXPECT_EQ(h1["saving_krw"], 250'000);
  const json& h2 = f["sites"][1];
  EXPECT_EQ(h2["id"], "h2");
  EXPECT_EQ(h2["kind"], "campus building");
  EXPECT_EQ(h2["alarms"]["count"], 0);
  EXPECT_TRUE(h2["alarms"]["message"].is_null());
  EXPECT_TRUE(h2["bill_krw"].is_null());
  const json& totals = f["totals"];
  EXPECT_EQ(totals["sites"], 2);
  EXPECT_DOUBLE_EQ(totals["grid_kw"].get<double>(), 1500.75);
  EXPECT_DOUBLE_EQ(totals["pv_kw"].get<double>(), 200);
  EXPECT_DOUBLE_EQ(totals["battery_kw"].get<double>(), -100);
  EXPECT_DOUBLE_EQ(totals["load_kw"].get<double>(), 1600.75);
  EXPECT_EQ(totals["bill_krw"], 1'000'000);
  EXPECT_EQ(totals["saving_krw"], 250'000);
  EXPECT_EQ(totals["billed_sites"], 1);
  EXPECT_EQ(totals["by_state"]["normal"], 2);
  EXPECT_EQ(totals["by_state"]["offline"], 0);
}

// The fleet sum of a point: each bucket sums the sites that have it (a bucket missing at a site,
// or with no mean, is left out of that bucket, and `sites` says how many were summed).
TEST_F(HttpServerTest, FleetTelemetrySumsTheSitesBuckets) {
  const Instant t0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
  const Instant t1 = t0 + std::chrono::minutes(1), t2 = t0 + std::chrono::minutes(2);
  site_.buckets = {{t0, 0, 100, 0, 0, 60}, {t1, 0, 110, 0, 0, 60}, {t2, 0, 120, 0, 0, 60}};
  site_b_.buckets = {{t0, 0, 50.5, 0, 0, 60}, {t2, 0, std::nan(""), 0, 0, 0}};
  Start();
  const std::string viewer = Login("lee", "viewer-pass!");
  const std::string range = "&from=2024-08-12T14:00:00%2B09:00&to=2024-08-12T14:03:00%2B09:00";
  auto res = client_->Get("/api/fleet/telemetry?point=grid_kw&resolution=1m" + range, Bearer(viewer));
  ASSERT_EQ(res->status, 200) << res->body;
  const json j = json::parse(res->body);
  EXPECT_EQ(j["point"], "grid_kw");
  EXPECT_EQ(j["sites"], 2);
  ASSERT_EQ(j["buckets"].size(), 3u);
  EXPECT_EQ(j["buckets"][0]["start"], "2024-08-12T14:00:00+09:00");
  EXPECT_DOUBLE_EQ(j["buckets"][0]["sum"].get<double>(), 150.5);
  EXPECT_EQ(j["buckets"][0]["sites"], 2);
  EXPECT_DOUBLE_EQ(j["buckets"][1]["sum"].get<double>(), 110);
  EXPECT_EQ(j["buckets"][1]["sites"], 1);
  EXPECT_DOUBLE_EQ(j["buckets"][2]["sum"].get<double>(), 120);
  EXPECT_EQ(j["buckets"][2]["sites"], 1);

  auto none = client_->Get("/api/fleet/telemetry?point=power_kw" + range, Bearer(viewer));
  EXPECT_EQ(none->status, 404);
  EXPECT_NE(ErrorOf(none).find("power_kw"), std::string::npos);
  auto raw = client_->Get("/api/fleet/telemetry?point=grid_kw&resolution=raw" + range, Bearer(viewer));
  EXPECT_EQ(raw->status, 400);
  EXPECT_NE(ErrorOf(raw).find("1m or 15m"), std::string::npos);
  auto long_span =
      client_->Get("/api/fleet/telemetry?point=grid_kw&from=2024-08-01T00:00:00%2B09:00&to=2024-08-12T00:00:00%2B09:00",
                   Bearer(viewer));
  EXPECT_EQ(long_span->status, 400);
  EXPECT_NE(ErrorOf(long_span).find("at most 2 days"), std::string::npos);
}

// Issue 17: a user limited to some sites reads and commands only those. A site outside the scope
// answers exactly as a site that does not exist (404, the same message), so a scope reveals no
// other site's id; the attempt is recorded in that site's log.
TEST_F(HttpServerTest, SiteScopesLimitWhatUsersSeeAndCommand) {
  const Instant t0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
  site_.buckets = {{t0, 0, 100, 0, 0, 60}};
  site_b_.buckets = {{t0, 0, 50, 0, 0, 60}};
  BillView bill;
  bill.month = "2024-08";
  site_.bill = bill;
  site_b_.bill = bill;
  ASSERT_TRUE(users_.Add("ann", Role::kViewer, "viewer-of-a", SiteScope::Only({"h1"})));
  ASSERT_TRUE(users_.Add("bob", Role::kOperator, "operator-of-a", SiteScope::Only({"h1"})));
  Start();
  const std::string ann = Login("ann", "viewer-of-a");
  const std::string bob = Login("bob", "operator-of-a");
  const std::string lee = Login("lee", "viewer-pass!");
  ASSERT_FALSE(ann.empty());
  ASSERT_FALSE(bob.empty());

  // Every read route of site h2: 404 for ann, as for a site that does not exist; h1 answers.
  const auto absent = [&](const std::string& site) {
    return "no site '" + site + "' here; GET /api/sites lists the sites you may see";
  };
  const std::string range = "from=2024-08-12T14:00:00%2B09:00&to=2024-08-12T15:00:00%2B09:00";
  for (const std::string& route :
       std::vector<std::string>{"live", "points", "telemetry?point=grid_kw&" + range, "schedule", "bill", "events",
                                "alarms", "dr-events", "audit"}) {
    auto b = client_->Get("/api/sites/h2/" + route, Bearer(ann));
    EXPECT_EQ(b->status, 404) << route;
    EXPECT_EQ(ErrorOf(b), absent("h2")) << route;
    auto nowhere = client_->Get("/api/sites/h9/" + route, Bearer(ann));
    EXPECT_EQ(ErrorOf(nowhere), absent("h9")) << route;
    EXPECT_EQ(client_->Get("/api/sites/h1/" + route, Bearer(ann))->status, 200) << route;
    EXPECT_EQ(client_->Get("/api/sites/h2/" + route, Bearer(lee))->status, 200) << route;
  }
  auto stream = client_->Get("/api/sites/h2/stream?token=" + ann);
  EXPECT_EQ(stream->status, 404);
  EXPECT_EQ(ErrorOf(stream), absent("h2"));

  // The lists: ann sees h1 only, lee (no scope) both.
  const auto ids = [](const json& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r["id"].get<std::string>());
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids(json::parse(client_->Get("/api/sites", Bearer(ann))->body)), Ids{"h1"});
  EXPECT_EQ(ids(json::parse(client_->Get("/api/sites", Bearer(lee))->body)), (Ids{"h1", "h2"}));
  const json fleet_ann = json::parse(client_->Get("/api/fleet", Bearer(ann))->body);
  EXPECT_EQ(ids(fleet_ann["sites"]), Ids{"h1"});
  EXPECT_EQ(fleet_ann["totals"]["sites"], 1);
  EXPECT_DOUBLE_EQ(fleet_ann["totals"]["grid_kw"].get<double>(), 1200.5);  // h2's 300.25 not in it
  EXPECT_EQ(ids(json::parse(client_->Get("/api/fleet", Bearer(lee))->body)["sites"]), (Ids{"h1", "h2"}));
  const json sum_ann = json::parse(client_->Get("/api/fleet/telemetry?point=grid_kw&" + range, Bearer(ann))->body);
  EXPECT_EQ(sum_ann["sites"], 1);
  EXPECT_DOUBLE_EQ(sum_ann["buckets"][0]["sum"].get<double>(), 100);
  const json sum_lee = json::parse(client_->Get("/api/fleet/telemetry?point=grid_kw&" + range, Bearer(lee))->body);
  EXPECT_DOUBLE_EQ(sum_lee["buckets"][0]["sum"].get<double>(), 150);
  EXPECT_EQ(json::parse(client_->Get("/api/me", Bearer(ann))->body)["sites"], json::array({"h1"}));
  EXPECT_TRUE(json::parse(client_->Get("/api/me", Bearer(lee))->body)["sites"].is_null());

  // bob operates h1, and cannot command h2 or send it a DR call.
  const std::string setpoint = R"({"battery_kw":-50,"minutes":5})";
  const std::string dr =
      R"({"start":"2024-08-12T16:00:00+09:00","end":"2024-08-12T17:00:00+09:00","requested_kw":100})";
  for (const std::string route : {"commands/setpoint", "commands/mode", "commands/schedule", "dr-events"}) {
    const std::string body = route == "dr-events"           ? dr
                             : route == "commands/mode"     ? std::string(R"({"mode":"auto"})")
                             : route == "commands/schedule" ? std::string(R"({"battery_kw":10})")
                                                            : setpoint;
    auto b = client_->Post("/api/sites/h2/" + route, Bearer(bob), body, "application/json");
    EXPECT_EQ(b->status, 404) << route;
    EXPECT_EQ(ErrorOf(b), absent("h2")) << route;
    EXPECT_EQ(client_->Post("/api/sites/h1/" + route, Bearer(bob), body, "application/json")->status, 200) << route;
  }
  EXPECT_TRUE(site_b_.commands.empty());
  EXPECT_TRUE(site_b_.dr_calls.empty());
  EXPECT_EQ(site_.commands.size(), 3u);
  EXPECT_EQ(site_.dr_calls.size(), 1u);
  // An unscoped operator commands both.
  const std::string kim = Login("kim", "operator-pass");
  EXPECT_EQ(client_->Post("/api/sites/h2/commands/setpoint", Bearer(kim), setpoint, "application/json")->status, 200);
  EXPECT_EQ(site_b_.commands.size(), 1u);

  // The attempts on h2 are in h2's log (rate-limited: the first 10 from this client).
  const auto refusals = site_b_.Refusals();
  ASSERT_FALSE(refusals.empty());
  EXPECT_NE(refusals[0].find("ann may not see site 'h2'"), std::string::npos) << refusals[0];
}

// A users file's sites= field, and a scope naming a site the center does not run.
// The fleet report (issue 17) covers the sites the caller may see, as CSV and HTML.
TEST_F(HttpServerTest, FleetReportCoversTheVisibleSites) {
  BillView bill;
  bill.month = "2024-08";
  bill.with_openmeg_krw = 1'000'000;
  bill.without_openmeg_krw = 1'250'000;
  site_.bill = bill;
  bill.with_openmeg_krw = 400'000;
  bill.without_openmeg_krw = 410'000;
  site_b_.bill = bill;
  ASSERT_TRUE(users_.Add("ann", Role::kViewer, "viewer-of-a", SiteScope::Only({"h1"})));
  Start();
  EXPECT_EQ(client_->Get("/api/fleet/report.csv")->status, 401);
  const std::string lee = Login("lee", "viewer-pass!");
  auto all = client_->Get("/api/fleet/report.csv", Bearer(lee));
  ASSERT_EQ(all->status, 200) << all->body;
  EXPECT_EQ(all->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  // 1,000,000 + 400,000 with; 1,250,000 + 410,000 without; saving 260,000.
  EXPECT_NE(all->body.find("\ntotal,2 sites billed,,,,,,1400000,1660000,260000,"), std::string::npos) << all->body;
  const std::string ann = Login("ann", "viewer-of-a");
  auto mine = client_->Get("/api/fleet/report.csv", Bearer(ann));
  ASSERT_EQ(mine->status, 200);
  EXPECT_EQ(mine->body.find("\nh2,"), std::string::npos) << mine->body;
  EXPECT_NE(mine->body.find("\ntotal,1 sites billed,,,,,,1000000,1250000,250000,"), std::string::npos) << mine->body;
  auto html = client_->Get("/api/fleet/report.html", Bearer(ann));
  ASSERT_EQ(html->status, 200);
  EXPECT_EQ(html->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(html->body.find("<td class=n>250,000</td>"), std::string::npos);
  EXPECT_EQ(html->body.find("Test campus"), std::string::npos);
  // The same report as an Excel workbook (libxlsxwriter), read back with the .xlsx reader.
  auto xlsx = client_->Get("/api/fleet/report.xlsx", Bearer(ann));
  ASSERT_EQ(xlsx->status, 200) << xlsx->body;
  EXPECT_EQ(xlsx->get_header_value("Content-Type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_NE(xlsx->get_header_value("Content-Disposition").find("openmeg-fleet-report.xlsx"), std::string::npos);
  auto sheet = ReadXlsxSheet(xlsx->body, "report.xlsx");
  ASSERT_TRUE(sheet) << sheet.error().message;
  EXPECT_EQ(sheet->name, "현장별 sites");
  ASSERT_EQ(sheet->rows.size(), 3u);  // header, h1, total
  EXPECT_EQ(sheet->rows[0].cells[9], "절감 saving (KRW)");
  EXPECT_EQ(sheet->rows[1].cells[0], "h1");
  EXPECT_EQ(sheet->rows[1].cells[7], "1000000");
  EXPECT_EQ(sheet->rows[2].cells[0], "합계 total");
  EXPECT_EQ(sheet->rows[2].cells[9], "250000");  // =SUM(J2:J2), its value stored
  EXPECT_EQ(client_->Get("/api/fleet/report.xlsx")->status, 401);
}

// The fleet's DR resource: absent without an aggregator; with one, only users who may see every
// site read it, only operators call it, and a call reaches the aggregator's split. The fakes have
// no meter history, so the members can commit nothing: the call is split with its whole request
// short, and said so.
TEST_F(HttpServerTest, FleetDrEventsNeedTheAggregatorAndTheWholeFleet) {
  ASSERT_TRUE(users_.Add("ann", Role::kOperator, "operator-of-a", SiteScope::Only({"h1"})));
  Start();
  const std::string kim = Login("kim", "operator-pass");
  auto none = client_->Get("/api/fleet/dr-events", Bearer(kim));
  EXPECT_EQ(none->status, 404);
  EXPECT_NE(ErrorOf(none).find("runs no DR aggregator"), std::string::npos);
  server_->Stop();

  HolidayCalendar calendar({}, std::chrono::year{2024} / 1 / 1, std::chrono::year{2024} / 12 / 31);
  ClpCbcSolver solver;
  FleetDrConfig config;
  config.calendar = &calendar;
  config.smp = WonPerKwh::FromMilliWon(125'400);
  FleetDrMember h1, h2;
  h1.site_id = "h1";
  h2.site_id = "h2";
  config.members = {h1, h2};
  const Instant now = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 13 * 60));
  FleetDrService aggregator(*fleet_, solver, config, [now] { return now; });
  aggregator.Start();
  ServerOptions options;
  options.port = 0;
  server_ = std::make_unique<ControlCenterServer>(*fleet_, users_, sessions_, clock_, options);
  server_->SetAggregator(&aggregator);
  ASSERT_TRUE(server_->Start());
  client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  const std::string op = Login("kim", "operator-pass");
  const std::string viewer = Login("lee", "viewer-pass!");
  const std::string ann = Login("ann", "operator-of-a");
  const std::string body =
      R"({"kind":"reliability","start":"2024-08-12T15:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":300})";
  auto scoped = client_->Get("/api/fleet/dr-events", Bearer(ann));
  EXPECT_EQ(scoped->status, 403);
  EXPECT_NE(ErrorOf(scoped).find("spans every member site"), std::string::npos);
  EXPECT_EQ(client_->Post("/api/fleet/dr-events", Bearer(ann), body, "application/json")->status, 403);
  EXPECT_EQ(client_->Post("/api/fleet/dr-events", Bearer(viewer), body, "application/json")->status, 403);
  EXPECT_EQ(client_->Post("/api/fleet/dr-events", Bearer(op), "{\"kind\":1}", "application/json")->status, 400);
  auto called = client_->Post("/api/fleet/dr-events", Bearer(op), body, "application/json");
  ASSERT_EQ(called->status, 200) << called->body;
  auto listed = client_->Get("/api/fleet/dr-events", Bearer(viewer));
  ASSERT_EQ(listed->status, 200);
  const json events = json::parse(listed->body);
  ASSERT_EQ(events.size(), 1u) << listed->body;
  EXPECT_EQ(events[0]["requested_kw"], 300);
  EXPECT_EQ(events[0]["start"], "2024-08-12T15:00:00+09:00");
  ASSERT_EQ(events[0]["hours"].size(), 1u);
  EXPECT_DOUBLE_EQ(events[0]["hours"][0]["shortfall_kw"].get<double>(), 300);
  ASSERT_EQ(events[0]["members"].size(), 2u);
  server_->Stop();
  aggregator.Stop();
}

TEST_F(HttpServerTest, UsersFileSiteScopesAreCheckedAtLoadAndStart) {
  auto hash = HashPassword("correct horse");
  ASSERT_TRUE(hash);
  auto users = UserDirectory::Load("ann viewer " + *hash + " sites=h1,h2\nkim operator " + *hash + "\n", "users.txt");
  ASSERT_TRUE(users) << users.error().message;
  const auto ann = users->Authenticate("ann", "correct horse");
  ASSERT_TRUE(ann);
  EXPECT_TRUE(ann->sites.Allows("h1"));
  EXPECT_TRUE(ann->sites.Allows("h2"));
  EXPECT_FALSE(ann->sites.Allows("h3"));
  EXPECT_TRUE(users->Authenticate("kim", "correct horse")->sites.all);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"sites=", "users.txt:1: sites= lists no site"},
      {"sites=h1,,h2", "users.txt:1: sites=: '' is not a site id"},
      {"sites=h1,", "users.txt:1: sites=: '' is not a site id"},
      {"sites=h1;h2", "users.txt:1: sites=: 'h1;h2' is not a site id"},
      {"site=h1", "users.txt:1: the 4th field 'site=h1' is not 'sites=a,b'"},
      {"sites=h1 h2", "users.txt:1: expected 'name role $argon2id$... [sites=a,b]'"},
  };
  for (const auto& [field, message] : bad) {
    auto loaded = UserDirectory::Load("ann viewer " + *hash + " " + field + "\n", "users.txt");
    ASSERT_FALSE(loaded) << field;
    EXPECT_EQ(loaded.error().message.substr(0, message.size()), message) << loaded.error().message;
  }
  // A scope naming a site this center does not run: the server does not start.
  ASSERT_TRUE(users_.Add("ann", Role::kViewer, "viewer-of-a", SiteScope::Only({"h1", "h7"})));
  auto fleet = LocalFleet::Make({{"h1", "hospital", &site_}}, clock_);
  ASSERT_TRUE(fleet);
  ServerOptions options;
  options.port = 0;
  ControlCenterServer server(**fleet, users_, sessions_, clock_, options);
  const Status st = server.Start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "user ann may see site 'h7', which this center does not run (its sites: h1)");
}

// Alarms reach a webhook: a real HTTP receiver on a free port gets the JSON; a dead receiver is
// counted as a failure with a reason, and never blocks the caller.
TEST(WebhookTest, PostsJsonAndCountsFailures) {
  httplib::Server receiver;
  std::mutex m;
  std::vector<std::string> bodies;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(m);
    bodies.push_back(req.body);
    res.status = 204;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { receiver.listen_after_bind(); });
  {
    auto hook = Webhook::Open("http://127.0.0.1:" + std::to_string(port) + "/hook");
    ASSERT_TRUE(hook);
    (*hook)->Post(R"({"kind":"fail-safe","state":"raised"})");
    for (int i = 0; i < 500 && (*hook)->sent() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ((*hook)->sent(), 1);
  }
  receiver.stop();
  serving.join();
  {
    std::lock_guard lock(m);
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_EQ(bodies[0], R"({"kind":"fail-safe","state":"raised"})");
  }
  auto dead = Webhook::Open("http://127.0.0.1:" + std::to_string(port) + "/hook");  // nobody listens now
  ASSERT_TRUE(dead);
  (*dead)->Post("{}");
  for (int i = 0; i < 700 && (*dead)->failed() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ((*dead)->failed(), 1);
  EXPECT_NE((*dead)->last_error().find("127.0.0.1"), std::string::npos);
  EXPECT_FALSE(Webhook::Open("ftp://example/hook"));
}

TEST(AuthTest, PasswordsAreArgon2idAndUsersFilesAreChecked) {
  auto hash = HashPassword("correct horse");
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse "));
  EXPECT_NE(*HashPassword("correct horse"), *hash);  // a fresh salt each time
  auto users = UserDirectory::Load("# operators\nkim operator " + *hash + "\n", "users.txt");
  ASSERT_TRUE(users) << users.error().message;
  EXPECT_EQ(users->Verify("kim", "correct horse"), Role::kOperator);
  EXPECT_FALSE(users->Verify("kim", "wrong"));
  auto bad_role = UserDirectory::Load("kim boss " + *hash + "\n", "users.txt");
  ASSERT_FALSE(bad_role);
  EXPECT_NE(bad_role.error().message.find("users.txt:1: role 'boss'"), std::string::npos);
  auto plain = UserDirectory::Load("kim operator hunter2\n", "users.txt");
  ASSERT_FALSE(plain);
  EXPECT_NE(plain.error().message.find("argon2id"), std::string::npos);
  auto fresh = NewPassword();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->size(), 12u);
  EXPECT_EQ(fresh->find_first_not_of("abcdefghijkmnpqrstuvwxyz23456789"), std::string::npos);
  EXPECT_NE(*fresh, *NewPassword());
  UserDirectory d;
  EXPECT_FALSE(d.Add("kim", Role::kViewer, "short"));
  EXPECT_FALSE(d.Add("k i m", Role::kViewer, "long enough"));
}

}  // namespace
}  // namespace meg
