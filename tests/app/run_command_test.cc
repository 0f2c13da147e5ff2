// `meg run` end to end: on the Jeonju hospital's site twin and on real Modbus devices listed in a
// site file, the loop reaches normal mode and writes its audit log; bad options are refused with
// the reason.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <thread>

#include "app/meg_runner.h"
#include "core/time.h"
#include "device/peer_process.h"
#include "io/open_meteo.h"
#include "io/text_file.h"
#include "store/sqlite/sqlite_store.h"
#include "support/forecast_json.h"

namespace meg {
namespace {

using testing::Meg;
using testing::Slurp;

std::string Site() { return std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital.toml"; }

std::filesystem::path TempDir() {
  const auto d = std::filesystem::temp_directory_path() / ("meg-run-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

// The line of `text` that holds `part` ("" if none).
std::string LineWith(const std::string& text, const std::string& part) {
  const auto at = text.find(part);
  if (at == std::string::npos) return "";
  const auto begin = text.rfind('\n', at);
  const auto from = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(from, text.find('\n', at) - from);
}

// 20 minutes of a summer afternoon at 2,000x, about a second of wall time. The twin's clock moves
// with the loop's cycles (PacedClock), so the run is the same however busy the machine: all 1,201
// one-second cycles, safe for the first 4, the status lines on the 5-minute marks. (On a clock
// that skips the site time a busy machine misses, this test once failed inside ctest -j2.)
TEST(RunCommandTest, TwinRunsAndAuditsEverySetpoint) {
  const auto audit = TempDir() / "audit.jsonl";
  std::filesystem::remove(audit);
  const auto run = Meg("run --site " + Site() + " --start 2024-08-12T14:00:00+09:00 --for 20m --speed 2000 --audit " +
                       audit.string() + " --status-every 300");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("site twin"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n2024-08-12T14:00:00+09:00 safe "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n2024-08-12T14:05:00+09:00 normal "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n2024-08-12T14:15:00+09:00 normal "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n2024-08-12T14:20:00+09:00 normal "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(": 1201 cycles (normal 1197, local 0, safe 4)"), std::string::npos) << run.out;
  const std::string log = Slurp(audit);
  EXPECT_NE(log.find(R"("action":"start")"), std::string::npos);
  EXPECT_NE(log.find(R"("action":"stop")"), std::string::npos);
  const std::string recovered = LineWith(log, R"("action":"mode","actor":"control-loop","detail":"safe -> normal)");
  EXPECT_NE(recovered.find(R"("time":"2024-08-12T14:00:04.000+09:00")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("subject":"twin-ess-1")"), std::string::npos);
}

// `mpc` on the twin: the learned load model is trained on the twin's load before the start, before
// the loop starts (and not while it runs: tests/forecast/plan_forecast_test.cc). With fewer than
// 15 days of load before the start there is no model, and the run says so.
TEST(RunCommandTest, TwinPlansOnTheLearnedLoadForecast) {
  const auto audit = TempDir() / "audit-mpc.jsonl";
  std::filesystem::remove(audit);
  const auto run = Meg("run --site " + Site() +
                       " --controller mpc --start 2024-08-12T14:00:00+09:00 --for 20m "
                       "--speed 2000 --audit " +
                       audit.string() + " --status-every 300");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("trained the load model on the twin's load before 2024-08-12T14:00:00+09:00"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("planner mpc,"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n2024-08-12T14:05:00+09:00 normal "), std::string::npos) << run.out;
  EXPECT_NE(Slurp(audit).find(R"("subject":"twin-ess-1")"), std::string::npos);

  const auto early = Meg("run --site " + Site() +
                         " --controller mpc --start 2024-01-05T14:00:00+09:00 --for 5m "
                         "--speed 2000 --audit " +
                         audit.string());
  ASSERT_EQ(early.exit_code, 0) << early.out;
  EXPECT_NE(early.out.find(
                "no load model (fewer than 15 days of load before the start): mpc plans on yesterday's load"),
            std::string::npos)
      << early.out;
}

TEST(RunCommandTest, BadOptionsAreRefusedWithTheReason) {
  struct Case {
    std::string args;
    const char* expect;
  };
  const Case cases[] = {
      {"--for soon", "--for soon"},
      {"--for 0m", "positive"},
      {"--start 2023-01-01T00:00:00+09:00 --for 1m", "the site twin's load runs from"},
      {"--start 2024-08-12 --for 1m", "--start 2024-08-12"},
      {"--controller magic --for 1m", "known planners"},
      {"--cycle-ms 5 --for 1m", "--cycle-ms 5"},
      {"--audit /proc/nope/audit.jsonl --for 1m --speed 5000", "/proc/nope/audit.jsonl"},
  };
  const std::string audit = (TempDir() / "refused.jsonl").string();
  for (const Case& c : cases) {
    const bool own_audit = c.args.find("--audit") != std::string::npos;
    const auto run = Meg("run --site " + Site() + " " + c.args + (own_audit ? "" : " --audit " + audit));
    EXPECT_NE(run.exit_code, 0) << c.args;
    EXPECT_NE(run.out.find(c.expect), std::string::npos) << c.args << "\n" << run.out;
  }
}

// The demo stores the twin's 35 days before the start as meter history, and the loop starts from
// the month peak that history holds (without it the first status line would read 0.0 kW). A
// restart on the same store adds no second copy and keeps the peak.
TEST(DemoCommandTest, StoresTheTwinHistoryAndKeepsTheMonthPeakOverARestart) {
  const auto dir = TempDir() / "demo-history";
  std::filesystem::remove_all(dir);
  const auto first_peak = [](const std::string& out) {
    const auto at = out.find("month peak ");
    return at == std::string::npos ? -1.0 : std::stod(out.substr(at + 11));
  };
  const std::string args = "demo --site " + std::string(MEG_TEST_DATA_DIR) +
                           "/sites/jeonju-hospital.toml --port 0 --web-dir '' --state-dir " + dir.string() +
                           " --for 2m --speed 2000 --start ";
  const auto run = Meg(args + "2024-08-12T14:00:00+09:00");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("stored the twin's meter history from 2024-07-08T14:00:00+09:00"), std::string::npos)
      << run.out;
  const double peak = first_peak(run.out);
  EXPECT_GT(peak, 1000.0) << run.out;  // the hospital's August afternoons, battery idle
  const auto again = Meg(args + "2024-08-12T14:05:00+09:00");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_GE(first_peak(again.out), peak) << again.out;
}

// The store's view of one run: the site's samples of a point, its quarter-hour rollups and the
// audit log, read with the store's own reader.
struct StoredRun {
  std::vector<Sample> grid, soc;
  std::vector<Bucket> quarters;
  std::vector<StoredAuditRecord> audit;
};

StoredRun ReadStore(const std::filesystem::path& dir) {
  StoredRun out;
  const std::string path = (dir / "openmeg.db").string();
  auto store = SqliteStore::OpenReader(path);
  EXPECT_TRUE(store) << store.error().message;
  if (!store) return out;
  auto points = (*store)->Points("jeonju-hospital");
  EXPECT_TRUE(points);
  const Instant from = ToInstant(FromKst(std::chrono::year{2024} / 12 / 31, 21 * 60));
  const Instant to = ToInstant(FromKst(std::chrono::year{2025} / 1 / 1));
  for (const PointInfo& p : *points) {
    if (p.name == "grid_kw") {
      out.grid = (*store)->Samples(p.id, from, to).value();
      out.quarters = (*store)->Query(p.id, from, to, Resolution::kQuarter).value();
    }
    if (p.name == "soc_pct") out.soc = (*store)->Samples(p.id, from, to).value();
  }
  auto audit = SqliteAuditLog::Open(path);
  EXPECT_TRUE(audit);
  out.audit = (*audit)->Read(0, 100'000).value();
  return out;
}

// Issue 16: a restart of the demo on the same state folder mixed two runs' data (rollups with
// doubled sample counts, audit time going backwards). Without --start the twin resumes one cycle
// after the stored run, the battery at its stored state of charge; a --start inside the stored
// run is refused and writes nothing. (The first run starts late in December so that the default
// start, today's date in 2024, lies before its end.)
TEST(DemoCommandTest, RestartOnTheSameStoreResumesAfterTheStoredRun) {
  const auto dir = TempDir() / "demo-restart";
  std::filesystem::remove_all(dir);
  const std::string args = "demo --site " + std::string(MEG_TEST_DATA_DIR) +
                           "/sites/jeonju-hospital.toml --port 0 --web-dir '' --controller peak-shave --state-dir " +
                           dir.string() + " --for 2m --speed 2000";
  const auto first = Meg(args + " --start 2024-12-31T22:00:00+09:00");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const StoredRun one = ReadStore(dir);
  ASSERT_FALSE(one.grid.empty());
  ASSERT_FALSE(one.soc.empty());
  const Instant first_end = one.grid.back().time;
  EXPECT_EQ(FormatKstMillis(first_end), "2024-12-31T22:02:00.000+09:00");  // 121 one-second cycles

  const auto second = Meg(args);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("holds this site's run up to 2024-12-31T22:02:00.000+09:00: the twin resumes at "
                            "2024-12-31T22:02:01.000+09:00, the battery at its stored"),
            std::string::npos)
      << second.out;
  const StoredRun two = ReadStore(dir);
  // The second run's samples all come after the first run's last.
  ASSERT_GT(two.grid.size(), one.grid.size());
  for (size_t i = 0; i < one.grid.size(); ++i) ASSERT_EQ(two.grid[i], one.grid[i]) << i;
  EXPECT_EQ(FormatKstMillis(two.grid[one.grid.size()].time), "2024-12-31T22:02:01.000+09:00");
  for (size_t i = 1; i < two.grid.size(); ++i) ASSERT_LT(two.grid[i - 1].time, two.grid[i].time) << i;
  // No quarter-hour holds more samples than it has one-second cycles (900), and 22:00 holds both
  // runs' 121 + 121 samples, once each.
  for (const Bucket& b : two.quarters) EXPECT_LE(b.count, 900) << FormatKst(ToTimestamp(b.start));
  ASSERT_FALSE(two.quarters.empty());
  EXPECT_EQ(two.quarters.back().count, 242);  // 22:00:00..22:02:00 and 22:02:01..22:04:01
  // The battery goes on from its stored state of charge: one second moves it by far less than 0.1 %.
  EXPECT_NEAR(two.soc[one.soc.size()].value, one.soc.back().value, 0.1);
  // Audit time never goes backwards, and the sequence goes on.
  ASSERT_GT(two.audit.size(), one.audit.size());
  for (size_t i = 1; i < two.audit.size(); ++i) {
    ASSERT_LE(two.audit[i - 1].record.time, two.audit[i].record.time) << i;
    ASSERT_EQ(two.audit[i].seq, two.audit[i - 1].seq + 1);
  }

  // A --start inside what the store holds is refused, naming the store's end, and stores nothing.
  const auto overlap = Meg(args + " --start 2024-12-31T22:01:00+09:00");
  EXPECT_NE(overlap.exit_code, 0) << overlap.out;
  EXPECT_NE(overlap.out.find("--start 2024-12-31T22:01:00+09:00: the store " + (dir / "openmeg.db").string() +
                             " already holds this site's run up to 2024-12-31T22:04:01.000+09:00"),
            std::string::npos)
      << overlap.out;
  EXPECT_EQ(ReadStore(dir).grid.size(), two.grid.size());
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// meg run on real devices from the site file: a SunSpec meter, PV inverter and battery, each
// served by Debian's pymodbus on loopback; 6 s in real time.
TEST(RunCommandTest, RealModbusDevicesFromTheSiteFile) {
  const auto dir = TempDir() / "devices";
  std::filesystem::create_directories(dir);
  const int meter = ::meg::testing::FreePort(), pv = ::meg::testing::FreePort(), ess = ::meg::testing::FreePort();
  auto p1 = ::meg::testing::StartSunSpecServer(dir, meter, "meter");
  auto p2 = ::meg::testing::StartSunSpecServer(dir, pv, "pv");
  auto p3 = ::meg::testing::StartSunSpecServer(dir, ess, "battery");
  ASSERT_TRUE(p1.running() && p2.running() && p3.running());
  std::string site = Slurp(Site());
  for (const auto& [id, kind, port] :
       {std::tuple{"meter", "meter", meter}, {"roof", "pv", pv}, {"ess", "battery", ess}}) {
    site += "\n[[device]]\nid = \"" + std::string(id) + "\"\nkind = \"" + kind +
            "\"\nprotocol = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) + "\n";
  }
  const auto site_file = dir / "plant.toml";
  std::ofstream(site_file) << site;
  const auto audit = dir / "audit.jsonl";
  std::filesystem::remove(audit);
  const auto run = Meg("run --site " + site_file.string() + " --for 6s --status-every 1 --audit " + audit.string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out.find("site twin"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("3 devices"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(" normal "), std::string::npos) << run.out;
  const std::string log = Slurp(audit);
  EXPECT_NE(log.find(R"("subject":"ess")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"(safe -> normal)"), std::string::npos) << log;
  // Real devices run in real time only.
  const auto fast = Meg("run --site " + site_file.string() + " --for 6s --speed 60 --audit " + audit.string());
  EXPECT_EQ(fast.exit_code, 2);
  EXPECT_NE(fast.out.find("real time"), std::string::npos) << fast.out;
}

// meg run serves the site's chargers by OCPP on real devices: an ocpp-rpc charge point (the tests'
// simulator, tests/device/ocpp_cp) connects to the port of the site file's [ocpp], starts a session,
// and the loop gives it a limit, audited as a setpoint of "ev:cp1/1", which reaches the charger as a
// TxProfile. Real time, about 10 s.
TEST(RunCommandTest, ChargersOfTheSiteFileAreServedByOcppAndLimitedByTheLoop) {
  const auto fixture = std::filesystem::path(MEG_TEST_SOURCE_DIR) / "device" / "ocpp_cp";
  ASSERT_TRUE(std::filesystem::exists(fixture / "node_modules" / "ocpp-rpc"))
      << "(cd " << fixture.string() << " && npm ci) first (scripts/test does it)";
  const auto dir = TempDir() / "chargers";
  std::filesystem::create_directories(dir);
  const int meter = ::meg::testing::FreePort(), ess = ::meg::testing::FreePort(), ocpp = ::meg::testing::FreePort();
  auto p1 = ::meg::testing::StartSunSpecServer(dir, meter, "meter");
  auto p3 = ::meg::testing::StartSunSpecServer(dir, ess, "battery");
  ASSERT_TRUE(p1.running() && p3.running());
  std::string site = Slurp(Site());
  for (const auto& [id, kind, port] : {std::tuple{"meter", "meter", meter}, {"ess", "battery", ess}}) {
    site += "\n[[device]]\nid = \"" + std::string(id) + "\"\nkind = \"" + kind +
            "\"\nprotocol = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) + "\n";
  }
  site += "\n[[charger]]\nid = \"cp1\"\n\n[ocpp]\nport = " + std::to_string(ocpp) + "\n";
  const auto site_file = dir / "car-park.toml";
  std::ofstream(site_file) << site;
  const auto audit = dir / "audit.jsonl";
  std::filesystem::remove(audit);
  const auto cp_log = dir / "charge-point.log";
  ::meg::testing::PeerProcess cp({"node", (fixture / "charge_points.mjs").string(), "--url",
                                  "ws://127.0.0.1:" + std::to_string(ocpp) + "/ocpp", "--scenario", "session"},
                                 cp_log);
  const auto run = Meg("run --site " + site_file.string() + " --for 12s --status-every 6 --audit " + audit.string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find(
                fmt::format("OCPP 1.6J central system on ws://127.0.0.1:{}/ocpp/<charger id> for 1 chargers", ocpp)),
            std::string::npos)
      << run.out;
  EXPECT_EQ(cp.Wait(std::chrono::seconds(20)), 0) << Slurp(cp_log);
  const std::string log = Slurp(audit);
  EXPECT_NE(log.find(R"("subject":"ev:cp1/1")"), std::string::npos) << log;
  const std::string charger = Slurp(cp_log);
  EXPECT_NE(charger.find(R"("purpose":"TxProfile")"), std::string::npos) << charger;
  EXPECT_EQ(charger.find("schema-failure"), std::string::npos) << charger;
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// meg demo end to end without a browser (the dashboard's own test is scripts/e2e): the fleet of
// data/fleets/demo.toml (five sites, each with its own store) behind one control center on a free
// port, which prints its URL and a demo login, raises an operator's threshold alarm of each site
// on the console, and refuses a malformed threshold.
TEST(DemoCommandTest, ServesAndRaisesThresholdAlarms) {
  const auto dir = TempDir() / "demo";
  std::filesystem::remove_all(dir);
  const auto run = Meg("demo --port 0 --web-dir '' --state-dir " + dir.string() +
                       " --start 2024-08-12T14:00:00+09:00 --for 5m --speed 2000 --alarm 'soc_pct<101'");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("OpenMEG control center: http://127.0.0.1:"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("login  operator: demo / "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("5 sites"), std::string::npos) << run.out;
  for (const char* id : {"jeonju-hospital", "cnu-agri3", "cnu-eng7", "cnu-truth", "cnu-headquarters"}) {
    bool raised = false;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
      raised = raised || (line.rfind(fmt::format("[{}] ", id), 0) == 0 &&
                          line.find("alarm raised: [warning] soc_pct = ") != std::string::npos);
    }
    EXPECT_TRUE(raised) << id << "\n" << run.out;
    EXPECT_TRUE(std::filesystem::exists(dir / id / "openmeg.db")) << id;
  }
  const auto bad = Meg("demo --port 0 --web-dir '' --for 1m --alarm 'soc<3'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--alarm 'soc<3': expected POINT<VALUE"), std::string::npos) << bad.out;
}

// Issue 21, item 2: the site file's [weather_forecast] is fetched from the provider it names (a
// local server replaying a response: the shared ERA5 hours written as Open-Meteo's forecast JSON),
// before the loop starts; the response is stored as it came and the fetch is an event.
TEST(DemoCommandTest, FetchesAndStoresTheSiteFilesWeatherForecast) {
  const std::string csv = MEG_TEST_SHARED_DIR "/data/weather/jeonbuk_35.75N_127.25E_2024.csv";
  auto archive = ParseOpenMeteoCsv(*ReadTextFile(csv), csv);
  ASSERT_TRUE(archive) << archive.error().message;
  const std::string body = testing::ForecastJson(*archive, FromKst(std::chrono::year{2024} / 8 / 12, 9 * 60), 72,
                                                 testing::kJeonbukLat, testing::kJeonbukLon);
  httplib::Server provider;
  std::atomic<int> requests{0};
  std::string query;
  provider.Get("/v1/forecast", [&](const httplib::Request& req, httplib::Response& res) {
    if (++requests == 1) query = req.get_param_value("models") + " " + req.get_param_value("latitude");
    res.set_content(body, "application/json");
  });
  const int port = provider.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { provider.listen_after_bind(); });

  const auto dir = TempDir() / "demo-weather";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sites");
  const auto site = dir / "sites" / "jeonju-hospital.toml";
  std::ofstream(site) << Slurp(Site()) << "\n[weather_forecast]\nurl = \"http://127.0.0.1:" << port
                      << "/v1/forecast\"\nmodel = \"kma_ldps\"\nevery_min = 60\n";
  const auto run = Meg("demo --site " + site.string() + " --port 0 --web-dir '' --state-dir " +
                       (dir / "state").string() + " --for 2m --speed 2000 --start 2024-08-12T14:00:00+09:00");
  provider.stop();
  serving.join();
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find(fmt::format("live weather forecast from http://127.0.0.1:{}/v1/forecast (model kma_ldps) "
                                     "every 60 min",
                                     port)),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("jeonju-hospital: weather forecast fetched (stored at the first cycle)"), std::string::npos)
      << run.out;
  EXPECT_EQ(requests.load(), 1);  // the next fetch is an hour of wall time away
  EXPECT_EQ(query, "kma_ldps 35.8200");

  auto store = SqliteStore::OpenReader((dir / "state" / "openmeg.db").string());
  ASSERT_TRUE(store) << store.error().message;
  const Instant far = ToInstant(FromKst(std::chrono::year{2100} / 1 / 1));
  auto forecasts = (*store)->WeatherForecasts("jeonju-hospital", Instant{}, far);
  ASSERT_TRUE(forecasts) << forecasts.error().message;
  ASSERT_EQ(forecasts->size(), 1u);
  EXPECT_EQ((*forecasts)[0].body, body);
  auto events = (*store)->Events("jeonju-hospital", Instant{}, far);
  ASSERT_TRUE(events);
  int fetched = 0;
  for (const Event& e : *events) fetched += e.kind == "weather-forecast";
  EXPECT_EQ(fetched, 1);
}

}  // namespace
}  // namespace meg
