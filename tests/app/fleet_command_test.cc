// The distributed fleet end to end (issue 17), as scripts/fleet runs it: `meg fleet-config`
// (nats.conf with a user per site), a real nats-server with JetStream, a private PostgreSQL 15
// cluster, `meg center`, and two `meg run --center` edges on their site twins, each a process of
// its own. The center sees both sites live and serves their history from PostgreSQL, a command
// sent through the center is audited at the edge, and after the edges stop every sample each
// edge stored is in PostgreSQL once (per-site counts equal the edges' own).
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include <gtest/gtest.h>

#include "app/meg_runner.h"
#include "device/peer_process.h"
#include "store/sqlite/sqlite_store.h"
#include "support/pg_cluster.h"

namespace meg {
namespace {

using ::meg::testing::Accepts;
using ::meg::testing::FreePort;
using ::meg::testing::Meg;
using ::meg::testing::PeerProcess;
using ::meg::testing::Slurp;
using ::meg::testing::WaitFor;
using nlohmann::json;

const std::string kMeg = std::string(MEG_TEST_BINARY_DIR) + "/src/meg";

// The samples an edge's own store holds, all points.
std::int64_t EdgeSamples(const std::filesystem::path& store, const std::string& site) {
  auto reader = SqliteStore::OpenReader(store.string());
  EXPECT_TRUE(reader) << reader.error().message;
  if (!reader) return -1;
  auto points = (*reader)->Points(site);
  EXPECT_TRUE(points);
  std::int64_t n = 0;
  const Instant from = ToInstant(FromKst(std::chrono::year{2000} / 1 / 1));
  const Instant to = ToInstant(FromKst(std::chrono::year{2100} / 1 / 1));
  for (const PointInfo& p : *points) {
    const auto samples = (*reader)->Samples(p.id, from, to);
    EXPECT_TRUE(samples);
    if (samples) n += static_cast<std::int64_t>(samples->size());
  }
  return n;
}

// The fleet's servers and its center, as scripts/fleet starts them: `meg fleet-config` for the
// sites of `sites` (ids that are also the names of data/sites/<id>.toml), nats-server on its
// configuration, a private PostgreSQL with the database meg, and `meg center` on a free port;
// Start() returns false (with a message) when one of them does not come up.
class FleetPeers {
 public:
  explicit FleetPeers(std::vector<std::string> sites) : dir_("meg-fleet-"), sites_(std::move(sites)) {}

  ::testing::AssertionResult Start() {
    if (dir_.path().empty()) return ::testing::AssertionFailure() << "no temporary folder";
    const auto fleet_file = dir_.path() / "fleet.toml";
    {
      std::ofstream out(fleet_file);
      for (const std::string& id : sites_) {
        out << "[[site]]\nid = \"" << id << "\"\nkind = \""
            << (id == "jeonju-hospital" ? "hospital" : "campus building") << "\"\nfile = \"" MEG_TEST_DATA_DIR "/sites/"
            << id << ".toml\"\n";
      }
    }
    const int nats_port = FreePort(), http_port = FreePort();
    const auto config = Meg("fleet-config --fleet " + fleet_file.string() + " --dir " +
                            (dir_.path() / "nats").string() + " --nats-port " + std::to_string(nats_port));
    if (config.exit_code != 0) return ::testing::AssertionFailure() << config.out;
    nats_ = PeerProcess({"nats-server", "-c", (dir_.path() / "nats" / "nats.conf").string()}, dir_.path() / "nats.log");
    if (!WaitFor([&] { return Accepts(nats_port); }, std::chrono::seconds(10))) {
      return ::testing::AssertionFailure() << Slurp(dir_.path() / "nats.log");
    }
    if (!pg_.running()) return ::testing::AssertionFailure() << pg_.error();
    if (!pg_.CreateDatabase("meg")) return ::testing::AssertionFailure() << "cannot create the database";
    url_ = "nats://127.0.0.1:" + std::to_string(nats_port);
    http_port_ = http_port;
    const auto log = dir_.path() / "center.log";
    center_ = PeerProcess({kMeg, "center", "--fleet", fleet_file.string(), "--nats", url_, "--nats-password-file",
                           (dir_.path() / "nats" / "passwords" / "center.pw").string(), "--pg", pg_.conninfo("meg"),
                           "--port", std::to_string(http_port), "--web-dir", "", "--max-clock-skew-s", "1000000000"},
                          log);
    const bool up = WaitFor(
        [&] {
          const std::string text = Slurp(log);
          const std::string key = "login  operator: demo / ";
          const auto at = text.find(key);
          if (at == std::string::npos) return false;
          const auto from = at + key.size();
          password_ = text.substr(from, text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789", from) - from);
          return !password_.empty();
        },
        std::chrono::seconds(30));
    if (!up) return ::testing::AssertionFailure() << Slurp(log);
    return ::testing::AssertionSuccess();
  }

  // `meg run` of site `id` on its twin from a summer afternoon for `minutes` of site time at
  // `speed`, as an edge of the center.
  PeerProcess Edge(const std::string& id, int minutes, int speed) {
    return PeerProcess({kMeg,
                        "run",
                        "--site",
                        MEG_TEST_DATA_DIR "/sites/" + id + ".toml",
                        "--site-id",
                        id,
                        "--controller",
                        "peak-shave",
                        "--speed",
                        std::to_string(speed),
                        "--start",
                        "2024-08-12T14:00:00+09:00",
                        "--for",
                        std::to_string(minutes) + "m",
                        "--status-every",
                        "3600",
                        "--state-dir",
                        EdgeDir(id).string(),
                        "--center",
                        url_,
                        "--nats-password-file",
                        (dir_.path() / "nats" / "passwords" / (id + ".pw")).string()},
                       dir_.path() / (id + ".log"));
  }
  std::filesystem::path EdgeDir(const std::string& id) const { return dir_.path() / "edges" / id; }
  std::string CenterLog() const { return Slurp(dir_.path() / "center.log"); }
  std::string EdgeLog(const std::string& id) const { return Slurp(dir_.path() / (id + ".log")); }
  // The samples of `site` in PostgreSQL.
  std::int64_t Stored(const std::string& site) {
    return std::atoll(
        pg_.Psql("SELECT count(*) FROM samples s JOIN points p ON p.id = s.point WHERE p.site = '" + site + "'", "meg")
            .c_str());
  }
  ::meg::testing::PgCluster& pg() { return pg_; }
  int http_port() const { return http_port_; }
  const std::string& password() const { return password_; }

 private:
  ::meg::testing::TempDir dir_;
  std::vector<std::string> sites_;
  ::meg::testing::PgCluster pg_;
  PeerProcess nats_, center_;
  std::string url_, password_;
  int http_port_ = 0;
};

TEST(DistributedFleetTest, EdgesReachTheCenterCommandsReachTheEdgesAndNothingIsLost) {
  FleetPeers peers({"jeonju-hospital", "cnu-eng7"});
  ASSERT_TRUE(peers.Start());
  // Two edges, 10 minutes of site time at 40x each, from a summer afternoon.
  std::vector<PeerProcess> edges;
  for (const std::string id : {"jeonju-hospital", "cnu-eng7"}) edges.push_back(peers.Edge(id, 10, 40));

  httplib::Client client("127.0.0.1", peers.http_port());
  client.set_read_timeout(std::chrono::seconds(20));
  auto login =
      client.Post("/api/login", json{{"user", "demo"}, {"password", peers.password()}}.dump(), "application/json");
  ASSERT_TRUE(login && login->status == 200);
  const httplib::Headers auth{{"Authorization", "Bearer " + json::parse(login->body)["token"].get<std::string>()}};
  // Both sites live at the center.
  json fleet;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = client.Get("/api/fleet", auth);
        if (!r || r->status != 200) return false;
        fleet = json::parse(r->body);
        return fleet["totals"]["by_state"]["normal"] == 2;
      },
      std::chrono::seconds(60)))
      << fleet.dump() << "\n"
      << peers.CenterLog() << peers.EdgeLog("cnu-eng7");
  EXPECT_EQ(fleet["sites"][0]["kind"], "hospital");
  EXPECT_GT(fleet["sites"][0]["grid_kw"].get<double>(), 500);  // the hospital's August afternoon

  // A command through the center: carried to the edge, audited there under the center's user.
  auto command = client.Post("/api/sites/cnu-eng7/commands/setpoint", auth,
                             json{{"battery_kw", 30}, {"minutes", 5}}.dump(), "application/json");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->status, 200) << command->body;

  for (auto& e : edges) EXPECT_EQ(e.Wait(std::chrono::seconds(120)), 0);
  // Every sample each edge stored is in PostgreSQL once.
  for (const std::string id : {"jeonju-hospital", "cnu-eng7"}) {
    const std::int64_t own = EdgeSamples(peers.EdgeDir(id) / "openmeg.db", id);
    ASSERT_GT(own, 600 * 7);  // 601 cycles x 8 points, less what a first cycle may lack
    std::int64_t stored = 0;
    const bool equal = WaitFor(
        [&] {
          stored = peers.Stored(id);
          return stored == own;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(equal) << id << ": the edge holds " << own << " samples, PostgreSQL " << stored;
  }
  // History from PostgreSQL, read once everything is stored (a minute still filling would differ
  // between two reads): 1-minute buckets of the hospital's grid.
  auto history = client.Get(
      "/api/sites/jeonju-hospital/telemetry?point=grid_kw&resolution=1m&from=2024-08-12T14:00:00%2B09:00&to=2024-08-"
      "12T15:00:00%2B09:00",
      auth);
  ASSERT_TRUE(history && history->status == 200) << (history ? history->body : "");
  const json hospital = json::parse(history->body);
  ASSERT_GE(hospital.size(), 1u);
  // The fleet sum (PostgreSQL's FleetSum): the first minute both sites have is the sum of their
  // two 1-minute means.
  auto eng7 = client.Get(
      "/api/sites/cnu-eng7/telemetry?point=grid_kw&resolution=1m&from=2024-08-12T14:00:00%2B09:00&to=2024-08-12T14:"
      "01:00%2B09:00",
      auth);
  ASSERT_TRUE(eng7 && eng7->status == 200);
  auto sum = client.Get(
      "/api/fleet/telemetry?point=grid_kw&resolution=1m&from=2024-08-12T14:00:00%2B09:00&to=2024-08-12T14:01:00%2B09:"
      "00",
      auth);
  ASSERT_TRUE(sum && sum->status == 200) << (sum ? sum->body : "");
  const json eng7_buckets = json::parse(eng7->body);
  const json sums = json::parse(sum->body)["buckets"];
  ASSERT_EQ(eng7_buckets.size(), 1u) << eng7->body;
  ASSERT_EQ(sums.size(), 1u) << sum->body;
  EXPECT_EQ(sums[0]["sites"], 2);
  EXPECT_NEAR(sums[0]["sum"].get<double>(), hospital[0]["mean"].get<double>() + eng7_buckets[0]["mean"].get<double>(),
              1e-6);

  // The planner's schedule, made at the edge, read at the center (the fleet store keeps the latest
  // the edge sent): the same as the edge's own latest (its reason too, empty here: the fleet's
  // peak-shave rule gives none).
  auto schedule = client.Get("/api/sites/jeonju-hospital/schedule", auth);
  ASSERT_TRUE(schedule && schedule->status == 200) << (schedule ? schedule->body : "");
  const json at_center = json::parse(schedule->body);
  ASSERT_EQ(at_center["present"], true) << schedule->body;
  EXPECT_TRUE(at_center["source"].get<std::string>().starts_with("planner:")) << schedule->body;
  {
    auto edge_store = SqliteStore::OpenReader((peers.EdgeDir("jeonju-hospital") / "openmeg.db").string());
    ASSERT_TRUE(edge_store);
    auto latest = (*edge_store)->LatestSchedule("jeonju-hospital");
    ASSERT_TRUE(latest && *latest);
    const json at_edge = json::parse((*latest)->json);
    EXPECT_EQ(at_center["reason"], at_edge["reason"]);
    EXPECT_NEAR(at_center["planned_grid_kw"].get<double>(), at_edge["planned_grid_kw"].get<double>(), 1e-9);
    const Instant made = (*latest)->made;  // as the API writes a time (whole seconds without millis)
    EXPECT_EQ(at_center["made"],
              made == ToInstant(ToTimestamp(made)) ? FormatKst(ToTimestamp(made)) : FormatKstMillis(made))
        << schedule->body;
  }

  auto audit = SqliteAuditLog::Open((peers.EdgeDir("cnu-eng7") / "openmeg.db").string());
  ASSERT_TRUE(audit);
  const auto records = (*audit)->Read(0, 100'000);
  ASSERT_TRUE(records);
  bool audited = false;
  for (const StoredAuditRecord& r : *records) audited = audited || r.record.actor == "demo";
  EXPECT_TRUE(audited) << "the center's command is not in the edge's audit log";
}

// PostgreSQL stopped for 60 s while an edge publishes (issue 17's fault list): the center cannot
// flush, so it acknowledges nothing; JetStream keeps the messages and redelivers them, and once
// the database is back every sample the edge stored is there once. The edge never notices.
// (About 2 minutes of wall time: run once, not in the `timing` repeats.)
TEST(DistributedFleetOutageTest, ADatabaseStoppedFor60sLosesNothing) {
  FleetPeers peers({"cnu-eng7"});
  ASSERT_TRUE(peers.Start());
  // 100 minutes of site time at 60x: about 100 s of wall time.
  PeerProcess edge = peers.Edge("cnu-eng7", 100, 60);
  ASSERT_TRUE(WaitFor([&] { return peers.Stored("cnu-eng7") > 100; }, std::chrono::seconds(60))) << peers.CenterLog();
  ASSERT_TRUE(peers.pg().Stop("fast"));
  std::this_thread::sleep_for(std::chrono::seconds(60));
  ASSERT_TRUE(peers.pg().Start());
  ASSERT_EQ(edge.Wait(std::chrono::seconds(180)), 0) << peers.EdgeLog("cnu-eng7");
  const std::int64_t own = EdgeSamples(peers.EdgeDir("cnu-eng7") / "openmeg.db", "cnu-eng7");
  ASSERT_GT(own, 6000 * 7);  // 100 minutes of 1 s cycles, 8 points
  std::int64_t stored = 0;
  EXPECT_TRUE(WaitFor(
      [&] {
        stored = peers.Stored("cnu-eng7");
        return stored == own;
      },
      std::chrono::seconds(90)))
      << "the edge holds " << own << " samples, PostgreSQL " << stored << "\n"
      << peers.CenterLog();
}

}  // namespace
}  // namespace meg
