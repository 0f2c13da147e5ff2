// The HTTP API over real sockets (cpp-httplib's client against the server on a free loopback
// port), with an in-memory site behind it: logins and roles, JSON errors for every refusal,
// the body limit, login throttling, the event stream and HTTPS with a certificate made by the
// openssl command. The whole control center behind it is tested end to end in web/e2e.
#include "server/http_server.h"
#include "server/webhook.h"

#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace meg {
namespace {

using nlohmann::json;

class FakeSite final : public SiteBackend {
 public:
  SiteSummary Summary() const override { return {"h1", "Test hospital", "일반용(을) 고압A 선택II", 1700, 250, 1000, 500}; }
  LiveValues Live() const override {
    LiveValues v;
    v.version = version.load();
    v.time = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
    v.mode = "normal";
    v.grid_kw = 1200.5;
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
    return std::vector<Bucket>{{from, 1, 2, 3, 2, 60}};
  }
  ScheduleView Schedule() const override { return {}; }
  Result<ForecastView> Forecast() const override { return NotFound("no forecast yet"); }
  Result<BillView> Bill() const override { return NotFound("no bill yet"); }
  Result<std::vector<Event>> Events(int) const override { return std::vector<Event>{}; }
  std::vector<AlarmView> Alarms() const override { return {}; }
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
  mutable std::atomic<std::uint64_t> version{1};
  std::vector<OperatorCommand> commands;
  std::vector<DrEventView> dr;
  std::vector<DrCallRequest> dr_calls;
};

class WallClock final : public Clock {
 public:
  Instant Now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
  void SleepUntil(Instant) override {}
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(users_.Add("kim", Role::kOperator, "operator-pass"));
    ASSERT_TRUE(users_.Add("lee", Role::kViewer, "viewer-pass!"));
  }
  void Start(ServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<ControlCenterServer>(site_, users_, sessions_, clock_, options);
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
  UserDirectory users_;
  WallClock clock_;
  Sessions sessions_{clock_};
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

  client_->Post("/api/logout", Bearer(op), "", "application/json");
  EXPECT_EQ(client_->Get("/api/sites/h1/live", Bearer(op))->status, 401);
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

// POST a DR call: operators only, every field checked before the backend sees it, the backend's
// refusal (its dispatch-rule check) passed on as a 400 with its reason.
TEST_F(HttpServerTest, DrCallsArePostedByOperatorsAndChecked) {
  Start();
  const std::string viewer = Login("lee", "viewer-pass!");
  const std::string op = Login("kim", "operator-pass");
  const std::string good = R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":200})";
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
      {R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":5,"kind":3})", "'kind'"},
      {R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":5,"kind":"weekend"})", "평일"},
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
      {"/api/sites/h1/telemetry?point=grid_kw&from=2024-08-13T00:00:00%2B09:00&to=2024-08-12T00:00:00%2B09:00", "after"},
      {"/api/sites/h1/telemetry?point=grid_kw&from=2024-08-01T00:00:00%2B09:00&to=2024-08-12T00:00:00%2B09:00&resolution=raw",
       "at most 1 days"},
      {"/api/sites/h1/telemetry?point=grid_kw&from=2024-08-01T00:00:00%2B09:00&to=2024-08-02T00:00:00%2B09:00&resolution=5s",
       "raw, 1m or 15m"},
      {"/api/sites/h1/telemetry?point=power&from=2024-08-01T00:00:00%2B09:00&to=2024-08-02T00:00:00%2B09:00", "no point"},
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
  auto ok = client_->Get("/api/sites/h1/telemetry?point=grid_kw&from=2024-08-12T00:00:00+09:00&to=2024-08-12T01:00:00+09:00",
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
  const auto dir = std::filesystem::temp_directory_path() / ("meg-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " + key +
                          " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no openssl command to make a test certificate";
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
  auto plain = client_->Post("/api/login", R"({"user":"lee","password":"viewer-pass!"})", "application/json");
  EXPECT_FALSE(plain && plain->status == 200);  // plain HTTP to the TLS port gets nowhere
  // A missing certificate is a clear error at start.
  ServerOptions missing;
  missing.tls_cert_file = (dir / "none.pem").string();
  missing.tls_key_file = key;
  missing.port = 0;
  ControlCenterServer other(site_, users_, sessions_, clock_, missing);
  const Status st = other.Start();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("none.pem"), std::string::npos);
  std::filesystem::remove_all(dir);
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
