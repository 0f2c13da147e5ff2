// A real LiveSite (center/live_site.h) on the link: the site's control loop runs on the twin in
// its own thread and offers what it stores to the link (its SiteUplink), so its cycles reach the center; the
// edge's link hands it a command from the center, and the audit log has the operator's record
// while the JetStream message is still unacknowledged.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "center/live_site.h"
#include "center/nats/center_link.h"
#include "center/nats/edge_link.h"
#include "center/nats/nats_config.h"
#include "control/control_loop.h"
#include "control/loop_test_site.h"
#include "device/peer_process.h"
#include "device/sim/twin.h"
#include "store/sqlite/sqlite_store.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using meg::testing::Accepts;
using meg::testing::FreePort;
using meg::testing::PeerProcess;
using meg::testing::TempDir;
using meg::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;

class WallClock final : public Clock {
 public:
  Instant Now() const override { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); }
  void SleepUntil(Instant t) override { std::this_thread::sleep_until(t); }
};

// Keeps every record; calls `on_append` with each before keeping it (on the control thread).
class RecordingAudit final : public AuditLog {
 public:
  std::function<void(const AuditRecord&)> on_append;
  Status Append(std::span<const AuditRecord> records) override {
    for (const AuditRecord& r : records) {
      if (on_append) on_append(r);
      std::lock_guard lock(mutex_);
      records_.push_back(r);
    }
    appended_ += records.size();
    return Ok{};
  }
  std::uint64_t appended() const override { return appended_; }
  std::vector<AuditRecord> By(const std::string& actor) const {
    std::lock_guard lock(mutex_);
    std::vector<AuditRecord> out;
    for (const AuditRecord& r : records_) {
      if (r.actor == actor) out.push_back(r);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<AuditRecord> records_;
  std::atomic<std::uint64_t> appended_{0};
};

PowerSeries Flat(double kw) {
  const Timestamp start = FromKst(testing::Ymd(2024, 8, 1)), end = FromKst(testing::Ymd(2024, 8, 20));
  std::vector<std::optional<Kilowatts>> v;
  for (Timestamp t = start; t < end; t += kInterval) v.push_back(Kilowatts(kw));
  return PowerSeries(start, kInterval, std::move(v));
}

TEST(NatsLiveSiteTest, CommandReachesTheLiveSiteAuditedBeforeItsAck) {
  TempDir dir("meg-nats-live-");
  ASSERT_FALSE(dir.path().empty());
  const int port = FreePort();
  NatsServerSettings settings;
  settings.port = port;
  settings.store_dir = (dir.path() / "js").string();
  settings.center_password = "cpw";
  settings.sites = {{"h1", "hpw"}};
  auto conf = NatsServerConfig(settings);
  ASSERT_TRUE(conf) << conf.error().message;
  std::ofstream(dir.path() / "nats.conf") << *conf;
  PeerProcess server({"nats-server", "-c", (dir.path() / "nats.conf").string()}, dir.path() / "nats.log");
  ASSERT_TRUE(WaitFor([&] { return Accepts(port); }, seconds{15}));
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  WallClock wall;

  // The site: the control loop on the twin, 10 s cycles from 2024-08-12 10:00 KST, as fast as
  // the test's cycle thread turns.
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  const Site site = testing::LoopTestSite("nats live site");
  const TariffId tariff = book.FindTariff(site.tariff).value();
  const PowerSeries load = Flat(600), pv = Flat(50);
  Instant now = ToInstant(FromKst(testing::Ymd(2024, 8, 12), 10 * 60));
  SimClock clock(now);
  SiteTwin twin(load, pv, site.ess, 1, 1, now);
  const std::string path = (dir.path() / "h1.db").string();
  auto store = SqliteStore::Open(path, clock);
  ASSERT_TRUE(store) << store.error().message;
  auto devices = twin.MakeDevices();
  std::vector<Device*> ptrs;
  for (auto& d : devices) ptrs.push_back(d.get());
  RecordingAudit audit;
  LoopConfig lc;
  lc.cycle = seconds{10};
  ControlLoop loop(LoopSite{&site, &book, &calendar, tariff}, ptrs, audit, lc);
  LiveSiteConfig c;
  c.id = "h1";
  c.site = &site;
  c.book = &book;
  c.calendar = &calendar;
  c.tariff = tariff;
  c.store_path = path;
  c.history_load = &load;
  c.history_pv = &pv;
  auto live = LiveSite::Open(std::move(c), **store);
  ASSERT_TRUE(live) << live.error().message;
  loop.SetBeforeCycle([&](Instant t) { (*live)->BeforeCycle(t, loop); });

  CenterLinkOptions co;
  co.urls = {url};
  co.password = "cpw";
  co.sites = {"h1"};
  auto sink = SqliteStore::Open((dir.path() / "center.db").string(), wall);
  ASSERT_TRUE(sink);
  auto center = CenterLink::Start(co, std::move(*sink), wall);
  ASSERT_TRUE(center) << center.error().message;

  // While the operator's record is appended, the command's JetStream message is still pending.
  natsConnection* admin = nullptr;
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&admin, ("nats://center:cpw@127.0.0.1:" + std::to_string(port)).c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_JetStream(&js, admin, nullptr), NATS_OK);
  std::atomic<std::int64_t> pending_at_audit{-1};
  audit.on_append = [&](const AuditRecord& r) {
    if (r.actor != "kim") return;
    jsConsumerInfo* ci = nullptr;
    if (js_GetConsumerInfo(&ci, js, kDownStream, "edge-h1", nullptr, nullptr) == NATS_OK) {
      pending_at_audit = ci->NumAckPending;
      jsConsumerInfo_Destroy(ci);
    }
  };

  auto reader = SqliteStore::OpenReader(path);
  ASSERT_TRUE(reader);
  EdgeLinkOptions eo;
  eo.site = "h1";
  eo.urls = {url};
  eo.user = "h1";
  eo.password = "hpw";
  eo.cursor_path = path + ".link-cursor";
  auto edge = EdgeLink::Start(eo, std::move(*reader), wall, live->get());
  ASSERT_TRUE(edge) << edge.error().message;
  (*live)->SetUplink(edge->get());  // the live site offers its stored cycles to the link

  std::atomic<bool> run{true};
  std::thread control([&] {
    while (run) {
      clock.SleepUntil(now);
      const CycleRecord r = loop.RunCycle(now);
      (*live)->OnCycle(r, loop);
      now += lc.cycle;
      std::this_thread::sleep_for(milliseconds{5});
    }
  });
  OperatorCommand command;
  command.kind = OperatorCommand::Kind::kSetpoint;
  command.battery_kw = 50;
  command.minutes = 30;
  command.user = "kim";
  auto result = (*center)->SendCommand("h1", command, seconds{20});
  // The site's cycles reach the center too, through the live site's uplink.
  const bool heard = WaitFor(
      [&] {
        const auto v = (*center)->Site("h1");
        return v && v->latest.contains("grid_kw") && (*center)->Counts().samples > 0;
      },
      seconds{20});
  run = false;
  control.join();
  (*live)->SetUplink(nullptr);
  EXPECT_TRUE(heard);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->accepted) << result->reason;
  ASSERT_TRUE(loop.override_battery().has_value());
  EXPECT_DOUBLE_EQ(loop.override_battery()->value(), 50);
  EXPECT_FALSE(audit.By("kim").empty());
  EXPECT_EQ(pending_at_audit.load(), 1) << "acknowledged before the audit log had the command";
  jsConsumerInfo* ci = nullptr;
  ASSERT_EQ(js_GetConsumerInfo(&ci, js, kDownStream, "edge-h1", nullptr, nullptr), NATS_OK);
  EXPECT_EQ(ci->NumAckPending, 0);
  jsConsumerInfo_Destroy(ci);
  edge->reset();
  jsCtx_Destroy(js);
  natsConnection_Destroy(admin);
}

}  // namespace
}  // namespace meg
