// The fleet link against a real nats-server (JetStream on files) started by each test on a free
// loopback port with the configuration NatsServerConfig writes; SQLite stores on both sides.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "center/nats/center_link.h"
#include "center/nats/edge_link.h"
#include "center/nats/fleet_sim.h"
#include "center/nats/nats_config.h"
#include "center/setpoint_command.h"
#include "device/peer_process.h"
#include "store/sqlite/sqlite_store.h"

namespace meg {
namespace {

using ::meg::testing::SetpointCommand;

using meg::testing::Accepts;
using meg::testing::FreePort;
using meg::testing::PeerProcess;
using meg::testing::TempDir;
using meg::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The wall clock (thread-safe), shifted by `offset`: an edge whose clock is off.
class TestClock final : public Clock {
 public:
  explicit TestClock(Millis offset = Millis{0}) : offset_(offset) {}
  Instant Now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()) + offset_;
  }
  void SleepUntil(Instant t) override { std::this_thread::sleep_until(t - offset_); }

 private:
  Millis offset_;
};

constexpr int kPoints = 20;
const std::vector<std::string> kSites = {"a", "b"};
std::string Password(const std::string& user) { return "pw-" + user; }

// nats-server with JetStream on a file store in a temporary folder, with the fleet's users;
// killed (SIGKILL) when the fixture goes, even when a test fails.
class NatsServer {
 public:
  // Alone, or node `node` of a cluster whose nodes' route ports are `route_ports`.
  explicit NatsServer(int node = -1, const std::vector<int>& route_ports = {}) : dir_("meg-nats-"), port_(FreePort()) {
    NatsServerSettings s;
    s.port = port_;
    s.store_dir = (dir_.path() / "js").string();
    s.center_password = Password("center");
    for (const std::string& site : kSites) s.sites.push_back({site, Password(site)});
    if (node >= 0) {
      s.server_name = "n" + std::to_string(node);
      s.cluster_port = route_ports[static_cast<std::size_t>(node)];
      for (std::size_t i = 0; i < route_ports.size(); ++i) {
        if (static_cast<int>(i) != node) s.routes.push_back("nats-route://127.0.0.1:" + std::to_string(route_ports[i]));
      }
    }
    auto text = NatsServerConfig(s);
    if (text) std::ofstream(dir_.path() / "nats.conf") << *text;
  }
  bool Start() {
    // The configuration holds JetStream's store folder (nats-server refuses -sd beside it).
    process_ = PeerProcess({"nats-server", "-c", (dir_.path() / "nats.conf").string()}, dir_.path() / "nats.log");
    if (process_.running() && !WaitFor([&] { return Accepts(port_); }, seconds{15})) process_.Kill();
    return process_.running();
  }
  void Kill() { process_.Kill(); }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string Log() const { return meg::testing::ReadFile(dir_.path() / "nats.log"); }

 private:
  TempDir dir_;
  int port_;
  PeerProcess process_;
};

// An edge: its own SQLite store with kPoints points, a reader for its link, and the link.
struct Edge {
  std::string site;
  std::unique_ptr<SqliteStore> store;
  std::vector<PointId> points;
  std::unique_ptr<EdgeLink> link;
  std::int64_t cycles = 0;

  // One control cycle at `t`: kPoints samples into the store (flushed) and offered to the link.
  void Cycle(Instant t) {  // link may be null: the site runs on without it
    std::vector<Sample> samples;
    for (int i = 0; i < kPoints; ++i) {
      samples.push_back(Sample{points[static_cast<std::size_t>(i)], t, i + 0.001 * static_cast<double>(cycles)});
    }
    ASSERT_TRUE(store->Append(samples));
    ASSERT_TRUE(store->Flush());
    if (link) link->OfferSamples(samples);
    ++cycles;
  }
};

// The first cycle's time: the next whole second of the wall clock as the test starts (a new
// edge's link counts from its start: older samples are history, not sent).
Instant base_time;
Instant Base() { return base_time; }

class NatsLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_time = std::chrono::ceil<seconds>(clock_.Now() + seconds{1});
    ASSERT_TRUE(server_.Start()) << server_.Log();
    urls_ = {server_.url()};
  }

  std::unique_ptr<CenterLink> StartCenter(std::vector<std::string> sites = kSites) {
    auto sink = SqliteStore::Open(SinkPath(), clock_);
    EXPECT_TRUE(sink) << sink.error().message;
    CenterLinkOptions o;
    o.urls = urls_;
    o.password = Password("center");
    o.sites = std::move(sites);
    o.fetch_wait = Millis{200};
    o.replicas = replicas_;
    auto link = CenterLink::Start(o, std::move(*sink), clock_);
    EXPECT_TRUE(link) << link.error().message << "\n" << server_.Log();
    return link ? std::move(*link) : nullptr;
  }

  std::unique_ptr<Edge> MakeEdge(const std::string& site, bool link = true, SiteBackend* backend = nullptr,
                                 const Clock* clock = nullptr) {
    auto e = std::make_unique<Edge>();
    e->site = site;
    const std::string path = (server_.dir() / (site + ".db")).string();
    auto store = SqliteStore::Open(path, clock_);
    EXPECT_TRUE(store) << store.error().message;
    e->store = std::move(*store);
    for (int i = 0; i < kPoints; ++i) {
      auto id = e->store->Point(site, fmt::format("p{:02d}_kw", i), "kW");
      EXPECT_TRUE(id);
      e->points.push_back(*id);
    }
    if (link) StartLink(*e, backend, clock);
    return e;
  }

  void StartLink(Edge& e, SiteBackend* backend = nullptr, const Clock* clock = nullptr) {
    const std::string path = (server_.dir() / (e.site + ".db")).string();
    auto reader = SqliteStore::OpenReader(path);
    ASSERT_TRUE(reader) << reader.error().message;
    EdgeLinkOptions o;
    o.site = e.site;
    o.urls = urls_;
    o.user = e.site;
    o.password = Password(e.site);
    o.cursor_path = path + ".link-cursor";
    o.publish_wait = Millis{1000};
    auto link = EdgeLink::Start(o, std::move(*reader), clock ? *clock : clock_, backend);
    ASSERT_TRUE(link) << link.error().message;
    e.link = std::move(*link);
  }

  std::string SinkPath() const { return (server_.dir() / "center.db").string(); }

  // The samples of `site` in the center's sink, and whether any (point, time) is there twice.
  std::int64_t SinkSamples(const std::string& site) {
    auto reader = SqliteStore::OpenReader(SinkPath());
    if (!reader) return -1;
    auto points = (*reader)->Points(site);
    if (!points) return -1;
    std::int64_t n = 0;
    for (const PointInfo& p : *points) {
      auto s = (*reader)->Samples(p.id, Instant{}, Instant{Millis{4102444800000}});
      if (!s) return -1;
      for (std::size_t i = 1; i < s->size(); ++i) {
        if ((*s)[i].time == (*s)[i - 1].time) return -2;  // twice: never
      }
      n += static_cast<std::int64_t>(s->size());
    }
    return n;
  }

  std::vector<Event> SinkEvents(const std::string& site) {
    auto reader = SqliteStore::OpenReader(SinkPath());
    if (!reader) return {};
    auto events = (*reader)->Events(site, Instant{}, Instant{Millis{4102444800000}});
    return events ? *events : std::vector<Event>{};
  }

  TestClock clock_;
  NatsServer server_;  // alone; its folder also holds the stores
  std::vector<std::string> urls_;
  int replicas_ = 1;
};

// A plain NATS connection as `user` (for what the links do not do: probing permissions,
// publishing bad messages, watching the stream's order).
struct RawConnection {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  RawConnection(const std::string& url, const std::string& user, const std::string& inbox = "") {
    natsOptions* o = nullptr;
    natsOptions_Create(&o);
    natsOptions_SetURL(o, url.c_str());
    natsOptions_SetUserInfo(o, user.c_str(), Password(user).c_str());
    natsOptions_SetMaxReconnect(o, -1);
    natsOptions_SetReconnectWait(o, 100);
    if (!inbox.empty()) natsOptions_SetCustomInboxPrefix(o, inbox.c_str());
    if (natsConnection_Connect(&nc, o) != NATS_OK) nc = nullptr;
    natsOptions_Destroy(o);
    if (nc != nullptr) natsConnection_JetStream(&js, nc, nullptr);
  }
  ~RawConnection() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) natsConnection_Destroy(nc);
  }
  natsStatus Publish(const std::string& subject, const std::string& data, const std::string& id) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    po.MaxWait = 1000;
    return js_Publish(nullptr, js, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, nullptr);
  }
};

TEST_F(NatsLinkTest, TelemetryRoundTripIntoTheSink) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  auto a = MakeEdge("a");
  auto b = MakeEdge("b");
  for (int i = 0; i < 50; ++i) {
    a->Cycle(Base() + seconds{i});
    b->Cycle(Base() + seconds{i});
  }
  const Event ev{Base() + seconds{3}, "a", "fail-safe", Severity::kAlarm, "meter stale"};
  ASSERT_TRUE(a->store->AppendEvents({&ev, 1}));
  a->link->OfferEvents({&ev, 1});
  a->link->OfferBill(StoredBill{"a", Month{std::chrono::year{2024}, std::chrono::month{8}}, R"({"total_krw":1000})"});
  const StoredSchedule schedule{"a", Base() + seconds{30}, R"({"source":"planner:mpc","battery_kw":-40.000})"};
  a->link->OfferSchedule(schedule);
  // 50 cycles x 20 points per site.
  ASSERT_TRUE(WaitFor(
      [&] {
        return center->Counts().samples >= 2000 && center->Counts().bills == 1 && center->Counts().schedules == 1;
      },
      seconds{20}))
      << center->Counts().samples;
  {
    auto reader = SqliteStore::OpenReader(SinkPath());
    ASSERT_TRUE(reader);
    auto latest = (*reader)->LatestSchedule("a");
    ASSERT_TRUE(latest && *latest);
    EXPECT_EQ(**latest, schedule);  // the center's store has the edge's schedule as it was sent
  }
  EXPECT_EQ(SinkSamples("a"), 1000);
  EXPECT_EQ(SinkSamples("b"), 1000);
  EXPECT_EQ(SinkEvents("a"), std::vector<Event>{ev});
  const auto counts = a->link->Counts();
  EXPECT_EQ(counts.acknowledged, 1001u);
  EXPECT_EQ(counts.dropped, 0u);
  EXPECT_EQ(counts.bills, 1u);
  EXPECT_EQ(counts.schedules, 1u);
  EXPECT_EQ(a->link->AckedThrough(), Base() + seconds{49} + Millis{1});
  // The fleet overview's part: latest values and online.
  auto view = center->Site("a");
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->online);
  EXPECT_EQ(view->latest_time, Base() + seconds{49});
  EXPECT_DOUBLE_EQ(view->latest.at("p03_kw"), 3 + 0.049);
  EXPECT_FALSE(view->clock_flagged);
}

// An event whose text is longer than the center reads (4,000 bytes) is cut, not refused: it can
// neither be lost nor block the link.
TEST_F(NatsLinkTest, LongEventIsCutNotRefused) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  auto a = MakeEdge("a");
  const Event long_event{Base(), "a", "device-fault", Severity::kWarning, std::string(10000, 'x')};
  ASSERT_TRUE(a->store->AppendEvents({&long_event, 1}));
  a->link->OfferEvents({&long_event, 1});
  ASSERT_TRUE(WaitFor([&] { return center->Counts().events == 1; }, seconds{10}));
  const auto events = SinkEvents("a");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message, std::string(4000, 'x'));
  EXPECT_EQ(center->Counts().malformed, 0u);
}

// kill -9 of nats-server during ingest, restarted on its file store: every sample of each
// edge is in the sink once.
TEST_F(NatsLinkTest, ServerKilledAndRestartedDuringIngest) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  auto a = MakeEdge("a");
  auto b = MakeEdge("b");
  std::atomic<bool> run{true};
  std::thread producer([&] {
    for (int i = 0; run && i < 400; ++i) {
      a->Cycle(Base() + seconds{i});
      b->Cycle(Base() + seconds{i});
      std::this_thread::sleep_for(milliseconds{10});
    }
  });
  ASSERT_TRUE(WaitFor([&] { return center->Counts().samples >= 1000; }, seconds{20}));
  server_.Kill();
  std::this_thread::sleep_for(milliseconds{700});
  ASSERT_TRUE(server_.Start()) << server_.Log();
  producer.join();
  const auto done = [&](Edge& e) {
    return !e.link->Backfilling() && e.link->AckedThrough() == Base() + seconds{e.cycles - 1} + Millis{1};
  };
  // The producer may finish while the link is still down: the last cycles come by backfill,
  // which waits for one live cycle after the gap (live first).
  // Each round gives the links 100 ms to acknowledge its cycle before looking.
  for (int i = 0; i < 300 && !(done(*a) && done(*b)); ++i) {
    a->Cycle(Base() + seconds{a->cycles});
    b->Cycle(Base() + seconds{b->cycles});
    std::this_thread::sleep_for(milliseconds{100});
  }
  ASSERT_TRUE(done(*a) && done(*b));
  const std::int64_t want_a = a->cycles * kPoints, want_b = b->cycles * kPoints;
  ASSERT_TRUE(WaitFor([&] { return SinkSamples("a") == want_a && SinkSamples("b") == want_b; }, seconds{20}))
      << SinkSamples("a") << " of " << want_a << ", " << SinkSamples("b") << " of " << want_b;
  EXPECT_GT(a->link->Counts().dropped + b->link->Counts().dropped, 0u) << "the kill did not cut the link";
}

// The center stopped during ingest and started again on the same sink: its durable consumer
// resumes where the acknowledgements stopped; the edge never noticed; nothing lost or twice.
TEST_F(NatsLinkTest, CenterRestartedDuringIngest) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  auto a = MakeEdge("a");
  std::thread producer([&] {
    for (int i = 0; i < 300; ++i) {
      a->Cycle(Base() + seconds{i});
      std::this_thread::sleep_for(milliseconds{10});
    }
  });
  ASSERT_TRUE(WaitFor([&] { return center->Counts().samples >= 1000; }, seconds{20}));
  center.reset();
  std::this_thread::sleep_for(milliseconds{300});
  center = StartCenter();
  producer.join();
  ASSERT_NE(center, nullptr);
  ASSERT_TRUE(WaitFor([&] { return SinkSamples("a") == 300 * kPoints; }, seconds{20})) << SinkSamples("a");
  EXPECT_EQ(a->link->Counts().dropped, 0u);
  EXPECT_EQ(a->link->Counts().acknowledged, 300u * kPoints);
}

// kill -9 of the center's process during ingest, then a new one on the same sink: what the old
// one acknowledged was flushed; what it had not is redelivered; per-site counts equal the edges'.
TEST_F(NatsLinkTest, CenterKilledDuringIngest) {
  const auto start_child = [&] {
    PeerProcess p({MEG_CENTER_LINK_CHILD, server_.url(), Password("center"), SinkPath(), "a", "b"},
                  server_.dir() / "center.log");
    const bool ready = WaitFor(
        [&] { return meg::testing::ReadFile(server_.dir() / "center.log").find("ready\n") != std::string::npos; },
        seconds{20});
    EXPECT_TRUE(ready) << meg::testing::ReadFile(server_.dir() / "center.log");
    return p;
  };
  PeerProcess center = start_child();
  auto a = MakeEdge("a");
  auto b = MakeEdge("b");
  std::thread producer([&] {
    for (int i = 0; i < 300; ++i) {
      a->Cycle(Base() + seconds{i});
      b->Cycle(Base() + seconds{i});
      std::this_thread::sleep_for(milliseconds{10});
    }
  });
  ASSERT_TRUE(WaitFor([&] { return SinkSamples("a") >= 1000; }, seconds{20}));
  center.Kill();  // SIGKILL
  std::filesystem::remove(server_.dir() / "center.log");
  std::this_thread::sleep_for(milliseconds{300});
  center = start_child();
  producer.join();
  ASSERT_TRUE(
      WaitFor([&] { return SinkSamples("a") == 300 * kPoints && SinkSamples("b") == 300 * kPoints; }, seconds{30}))
      << SinkSamples("a") << " " << SinkSamples("b");
  EXPECT_EQ(a->link->Counts().dropped + b->link->Counts().dropped, 0u);
}

// The edge's link stops (its process restarts) while the site keeps storing cycles; the new
// link reads the cursor file and backfills what the center has not acknowledged.
TEST_F(NatsLinkTest, EdgeRestartedBackfillsFromItsCursor) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  auto a = MakeEdge("a");
  for (int i = 0; i < 20; ++i) a->Cycle(Base() + seconds{i});
  ASSERT_TRUE(WaitFor([&] { return a->link->AckedThrough() == Base() + seconds{19} + Millis{1}; }, seconds{20}));
  a->link.reset();
  for (int i = 20; i < 60; ++i) a->Cycle(Base() + seconds{i});  // stored, not sent
  StartLink(*a);
  EXPECT_EQ(a->link->AckedThrough(), Base() + seconds{19} + Millis{1});
  EXPECT_TRUE(a->link->Backfilling());
  for (int i = 0; i < 300 && a->link->Backfilling(); ++i) {
    a->Cycle(Base() + seconds{a->cycles});
    std::this_thread::sleep_for(milliseconds{20});
  }
  ASSERT_FALSE(a->link->Backfilling());
  ASSERT_TRUE(WaitFor([&] { return SinkSamples("a") == a->cycles * kPoints; }, seconds{20})) << SinkSamples("a");
  EXPECT_EQ(a->link->Counts().backfilled, 40u * kPoints);
}

// A sink whose Flush fails while `refuse` is set (PostgreSQL stopped): nothing is acknowledged
// meanwhile, and once it flushes again every sample arrives, once.
class GatedStore final : public TelemetryStore {
 public:
  explicit GatedStore(std::unique_ptr<SqliteStore> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> refuse{false};
  Result<PointId> Point(std::string_view site, std::string_view name, std::string_view unit) override {
    return inner_->Point(site, name, unit);
  }
  Result<std::vector<PointInfo>> Points(std::string_view site) override { return inner_->Points(site); }
  Status Append(std::span<const Sample> samples) override { return inner_->Append(samples); }
  Status Flush() override { return refuse ? Status(IoError("database down (test)")) : inner_->Flush(); }
  Result<std::vector<Bucket>> Query(PointId p, Instant from, Instant to, Resolution r) override {
    return inner_->Query(p, from, to, r);
  }
  Result<std::vector<Sample>> Samples(PointId p, Instant from, Instant to) override {
    return inner_->Samples(p, from, to);
  }
  Result<std::optional<Sample>> Latest(PointId p) override { return inner_->Latest(p); }
  Status AppendEvents(std::span<const Event> events) override { return inner_->AppendEvents(events); }
  Result<std::vector<Event>> Events(std::string_view site, Instant from, Instant to) override {
    return inner_->Events(site, from, to);
  }
  Status PutSchedule(const StoredSchedule& s) override { return inner_->PutSchedule(s); }
  Result<std::optional<StoredSchedule>> LatestSchedule(std::string_view site) override {
    return inner_->LatestSchedule(site);
  }
  Status PutWeatherForecast(const StoredWeatherForecast& f) override { return inner_->PutWeatherForecast(f); }
  Result<std::vector<StoredWeatherForecast>> WeatherForecasts(std::string_view site, Instant from,
                                                              Instant to) override {
    return inner_->WeatherForecasts(site, from, to);
  }
  Status PutBill(const StoredBill& b) override { return inner_->PutBill(b); }
  Result<std::optional<StoredBill>> Bill(std::string_view site, Month m) override { return inner_->Bill(site, m); }
  Status ApplyRetention(Instant now) override { return inner_->ApplyRetention(now); }

 private:
  std::unique_ptr<SqliteStore> inner_;
};

TEST_F(NatsLinkTest, NothingIsAcknowledgedUntilTheSinkFlushes) {
  StoreOptions so;
  so.flush_interval = Millis{3600000};  // only the center's Flush writes
  auto sqlite = SqliteStore::Open(SinkPath(), clock_, so);
  ASSERT_TRUE(sqlite);
  auto gated = std::make_unique<GatedStore>(std::move(*sqlite));
  GatedStore* gate = gated.get();
  gate->refuse = true;
  CenterLinkOptions o;
  o.urls = {server_.url()};
  o.password = Password("center");
  o.sites = kSites;
  o.fetch_wait = Millis{200};
  auto center = CenterLink::Start(o, std::move(gated), clock_);
  ASSERT_TRUE(center) << center.error().message;
  auto a = MakeEdge("a");
  for (int i = 0; i < 10; ++i) a->Cycle(Base() + seconds{i});
  ASSERT_TRUE(WaitFor([&] { return (*center)->Counts().flush_failures >= 2; }, seconds{20}));
  EXPECT_EQ(SinkSamples("a"), 0);
  EXPECT_EQ((*center)->Counts().messages, 0u);
  gate->refuse = false;
  // The sink's buffer kept the refused batches' samples, so the first flush that succeeds may
  // store them all; each message is acknowledged when it comes again (1 s after its nak).
  ASSERT_TRUE(WaitFor([&] { return (*center)->Counts().messages == 10; }, seconds{20})) << (*center)->Counts().messages;
  EXPECT_EQ(SinkSamples("a"), 10 * kPoints);
}

// An edge cut off for a while keeps going (offers never block), then sends live data first and
// backfills the gap in order from its store.
TEST_F(NatsLinkTest, CutOffEdgeBackfillsInOrderAfterLive) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  auto a = MakeEdge("a");
  for (int i = 0; i < 20; ++i) a->Cycle(Base() + seconds{i});
  ASSERT_TRUE(WaitFor([&] { return a->link->AckedThrough() == Base() + seconds{19} + Millis{1}; }, seconds{20}));
  server_.Kill();
  auto slowest = milliseconds{0};
  for (int i = 20; i < 120; ++i) {  // 100 cycles while cut off
    const auto t0 = std::chrono::steady_clock::now();
    a->Cycle(Base() + seconds{i});
    slowest = std::max(slowest, std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0));
    std::this_thread::sleep_for(milliseconds{5});
  }
  EXPECT_LT(slowest, milliseconds{500}) << "a cycle waited on the link";
  EXPECT_EQ(a->link->AckedThrough(), Base() + seconds{19} + Millis{1}) << "the cursor stays at the gap";
  ASSERT_TRUE(server_.Start()) << server_.Log();
  ASSERT_TRUE(WaitFor([&] { return a->link->Connected(); }, seconds{20}));
  // The edge keeps cycling, as a live edge does: a live message dropped after the gap closed (a
  // publish that timed out on a loaded machine) opens a new gap, which the link backfills once the
  // next live message is acknowledged; with no further cycle it would wait (kept in the cursor
  // file over a restart). So cycle until the gap is closed and the center has every sample.
  for (int i = 0; i < 300; ++i) {
    a->Cycle(Base() + seconds{a->cycles});
    if (!a->link->Backfilling() && WaitFor([&] { return SinkSamples("a") == a->cycles * kPoints; }, seconds{2})) break;
    std::this_thread::sleep_for(milliseconds{50});
  }
  const auto counts = a->link->Counts();
  ASSERT_FALSE(a->link->Backfilling()) << "published " << counts.published << " acknowledged " << counts.acknowledged
                                       << " dropped " << counts.dropped << " backfilled " << counts.backfilled
                                       << " cursor at +" << (a->link->AckedThrough() - Base()).count() << " ms";
  ASSERT_TRUE(WaitFor([&] { return SinkSamples("a") == a->cycles * kPoints; }, seconds{20})) << SinkSamples("a");
  EXPECT_GE(a->link->Counts().backfilled, 100u * kPoints);

  // What the stream stored after the cut, in its order: first live data, then the backfill
  // from 20 s on, each backfill message later than the one before.
  RawConnection admin(server_.url(), "center");
  ASSERT_NE(admin.nc, nullptr);
  std::vector<std::pair<std::string, std::int64_t>> after_cut;  // origin, first sample ms
  natsMsg* m = nullptr;
  for (std::uint64_t seq = 1; js_GetMsg(&m, admin.js, kUpStream, seq, nullptr, nullptr) == NATS_OK; ++seq) {
    auto t =
        DecodeTelemetry("a", std::string_view(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))));
    natsMsg_Destroy(m);
    ASSERT_TRUE(t);
    const std::int64_t first = t->samples.front().time.time_since_epoch().count();
    if (first >= (Base() + seconds{20}).time_since_epoch().count() || t->origin == TelemetryOrigin::kBackfill) {
      after_cut.emplace_back(t->origin == TelemetryOrigin::kLive ? "live" : "backfill", first);
    }
  }
  ASSERT_FALSE(after_cut.empty());
  EXPECT_EQ(after_cut.front().first, "live");
  std::int64_t previous = 0;
  int backfill_messages = 0;
  for (const auto& [origin, first] : after_cut) {
    if (origin != "backfill") continue;
    if (backfill_messages == 0) {
      EXPECT_EQ(first, (Base() + seconds{20}).time_since_epoch().count());
    }
    EXPECT_GT(first, previous);
    previous = first;
    ++backfill_messages;
  }
  EXPECT_GE(backfill_messages, 2);
}

TEST_F(NatsLinkTest, SiteCannotPublishToAnotherSitesSubject) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  RawConnection a(server_.url(), "a", EdgeInboxPrefix("a"));
  ASSERT_NE(a.nc, nullptr);
  TelemetryMessage forged{"b",
                          clock_.Now(),
                          TelemetryOrigin::kLive,
                          {{"p00_kw", "kW", Base(), 1, SampleQuality::kGood}}};
  EXPECT_NE(a.Publish("meg.b.tm", EncodeTelemetry(forged), "forged-1"), NATS_OK);
  const char* last = nullptr;
  natsConnection_GetLastError(a.nc, &last);
  EXPECT_NE(std::string(last ? last : "").find("Permissions Violation"), std::string::npos) << (last ? last : "");
  // Its own subject is allowed, and reading another site's is not.
  TelemetryMessage own{"a", clock_.Now(), TelemetryOrigin::kLive, {{"p00_kw", "kW", Base(), 1, SampleQuality::kGood}}};
  RawConnection a2(server_.url(), "a", EdgeInboxPrefix("a"));
  EXPECT_EQ(a2.Publish("meg.a.tm", EncodeTelemetry(own), "own-1"), NATS_OK);
  natsSubscription* spy = nullptr;
  natsConnection_SubscribeSync(&spy, a2.nc, "meg.b.>");
  natsConnection_Flush(a2.nc);
  ASSERT_TRUE(WaitFor([&] { return center->Counts().samples == 1; }, seconds{10}));
  EXPECT_EQ(SinkSamples("a"), 1);
  EXPECT_EQ(SinkSamples("b"), 0);
  natsConnection_GetLastError(a2.nc, &last);
  EXPECT_NE(std::string(last ? last : "").find("Permissions Violation for Subscription"), std::string::npos);
  if (spy != nullptr) natsSubscription_Destroy(spy);
  // Nor may a site touch the streams.
  jsErrCode jerr = static_cast<jsErrCode>(0);
  RawConnection a3(server_.url(), "a", EdgeInboxPrefix("a"));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 1000;
  EXPECT_NE(js_DeleteStream(a3.js, kUpStream, &jo, &jerr), NATS_OK);
}

TEST_F(NatsLinkTest, MalformedAndOversizedMessagesAreCountedAndDropped) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  RawConnection a(server_.url(), "a", EdgeInboxPrefix("a"));
  ASSERT_NE(a.nc, nullptr);
  EXPECT_EQ(a.Publish("meg.a.tm", "{not json", "bad-1"), NATS_OK);
  TelemetryMessage other{"b",
                         clock_.Now(),
                         TelemetryOrigin::kLive,
                         {{"p00_kw", "kW", Base(), 1, SampleQuality::kGood}}};
  EXPECT_EQ(a.Publish("meg.a.tm", EncodeTelemetry(other), "bad-2"), NATS_OK);  // says site b
  EXPECT_EQ(a.Publish("meg.a.evt", std::string(kMaxLinkMessageBytes + 10, 'x'), "big-1"), NATS_OK);
  TelemetryMessage good{"a", clock_.Now(), TelemetryOrigin::kLive, {{"p00_kw", "kW", Base(), 1, SampleQuality::kGood}}};
  EXPECT_EQ(a.Publish("meg.a.tm", EncodeTelemetry(good), "good-1"), NATS_OK);
  ASSERT_TRUE(WaitFor([&] { return center->Counts().samples == 1; }, seconds{10}));
  const auto c = center->Counts();
  EXPECT_EQ(c.malformed, 2u);
  EXPECT_EQ(c.oversized, 1u);
  EXPECT_EQ(c.messages, 1u);
  const auto events = SinkEvents("a");
  ASSERT_EQ(events.size(), 3u);
  for (const Event& e : events) EXPECT_EQ(e.kind, "link");
  EXPECT_NE(events[1].message.find("names site 'b'"), std::string::npos) << events[1].message;
  // Dropped means terminated: nothing is redelivered, the consumer has nothing pending.
  RawConnection admin(server_.url(), "center");
  jsConsumerInfo* ci = nullptr;
  ASSERT_TRUE(WaitFor(
      [&] {
        if (ci != nullptr) jsConsumerInfo_Destroy(ci);
        ci = nullptr;
        return js_GetConsumerInfo(&ci, admin.js, kUpStream, "center", nullptr, nullptr) == NATS_OK &&
               ci->NumAckPending == 0 && ci->NumPending == 0;
      },
      seconds{10}));
  jsConsumerInfo_Destroy(ci);
}

TEST_F(NatsLinkTest, EdgeClockFarOffIsFlagged) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  TestClock ahead(Millis{10 * 60 * 1000});  // 10 min ahead
  auto a = MakeEdge("a", true, nullptr, &ahead);
  a->Cycle(Base());
  ASSERT_TRUE(WaitFor([&] { return center->Counts().samples == kPoints; }, seconds{10}));
  auto view = center->Site("a");
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->clock_flagged);
  EXPECT_NEAR(static_cast<double>(view->clock_offset_ms), 600000, 5000);
  const auto events = SinkEvents("a");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "clock");
  EXPECT_EQ(center->Counts().clock_flags, 1u);
}

// A minimal site: records each command as its audit log would, refuses battery power above
// 100 kW, and reports what the JetStream consumer had pending when the command arrived.
class RecordingSite final : public SiteBackend {
 public:
  std::function<void()> on_command;
  std::vector<std::string> audit() const {
    std::lock_guard lock(mutex_);
    return audit_;
  }

  SiteSummary Summary() const override { return {}; }
  LiveValues Live() const override { return {}; }
  LiveValues WaitForNewer(std::uint64_t, std::chrono::milliseconds) const override { return {}; }
  std::vector<std::string> Points() const override { return {}; }
  Result<std::vector<Bucket>> Telemetry(const std::string&, Instant, Instant, Resolution) const override {
    return std::vector<Bucket>{};
  }
  ScheduleView Schedule() const override { return {}; }
  Result<ForecastView> Forecast() const override { return ForecastView{}; }
  Result<BillView> Bill() const override { return BillView{}; }
  Result<std::vector<Event>> Events(int) const override { return std::vector<Event>{}; }
  std::vector<AlarmView> Alarms() const override { return {}; }
  Result<std::vector<AuditView>> Audit(int) const override { return std::vector<AuditView>{}; }
  std::vector<DrEventView> DrEvents() const override { return {}; }
  Status SubmitDrCall(const DrCallRequest& call) override {
    if (on_command) on_command();
    std::lock_guard lock(mutex_);
    audit_.push_back(fmt::format("dr {} kW by {}", call.requested_kw, call.user));
    return Ok{};
  }
  Status Command(const OperatorCommand& command) override {
    if (on_command) on_command();
    std::lock_guard lock(mutex_);
    audit_.push_back(fmt::format("setpoint {} kW by {}", command.battery_kw, command.user));
    if (std::abs(command.battery_kw) > 100) return InvalidInput("battery_kw is beyond the site's 100 kW");
    return Ok{};
  }
  void NoteRefusal(const std::string&) override {}

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> audit_;
};

TEST_F(NatsLinkTest, CommandRoundTripIsAuditedBeforeItsAck) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  RecordingSite site;
  RawConnection admin(server_.url(), "center");
  std::atomic<std::int64_t> pending_at_command{-1};
  site.on_command = [&] {
    jsConsumerInfo* ci = nullptr;
    if (js_GetConsumerInfo(&ci, admin.js, kDownStream, "edge-a", nullptr, nullptr) == NATS_OK) {
      pending_at_command = ci->NumAckPending;
      jsConsumerInfo_Destroy(ci);
    }
  };
  auto a = MakeEdge("a", true, &site);
  auto r = center->SendCommand("a", SetpointCommand(50, 15, "kim"), seconds{10});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->accepted) << r->reason;
  EXPECT_EQ(site.audit(), std::vector<std::string>{"setpoint 50 kW by kim"});
  EXPECT_EQ(pending_at_command.load(), 1) << "the command was acknowledged before the site had it";
  jsConsumerInfo* ci = nullptr;
  ASSERT_EQ(js_GetConsumerInfo(&ci, admin.js, kDownStream, "edge-a", nullptr, nullptr), NATS_OK);
  EXPECT_EQ(ci->NumAckPending, 0);
  jsConsumerInfo_Destroy(ci);

  // Refused by the site, with its reason; and a DR call.
  r = center->SendCommand("a", SetpointCommand(500, 15, "kim"), seconds{10});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->accepted);
  EXPECT_NE(r->reason.find("100 kW"), std::string::npos) << r->reason;
  DrCallRequest dr;
  dr.start = clock_.Now() + seconds{3600};
  dr.end = dr.start + seconds{3600};
  dr.requested_kw = 80;
  dr.user = "kpx";
  r = center->SendCommand("a", dr, seconds{10});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->accepted);
  EXPECT_EQ(site.audit().back(), "dr 80 kW by kpx");
}

TEST_F(NatsLinkTest, CommandWhileEdgeAwayArrivesUnlessExpired) {
  auto center = StartCenter();
  ASSERT_NE(center, nullptr);
  RecordingSite site;
  auto a = MakeEdge("a", false);
  // The edge is away: both time out at the center, and wait in MEG_DOWN.
  auto r1 = center->SendCommand("a", SetpointCommand(10, 5, "short"), milliseconds{100}, milliseconds{300});
  EXPECT_FALSE(r1);
  auto r2 = center->SendCommand("a", SetpointCommand(20, 5, "long"), milliseconds{100}, seconds{60});
  EXPECT_FALSE(r2);
  std::this_thread::sleep_for(milliseconds{500});  // the first one expires
  StartLink(*a, &site);
  ASSERT_TRUE(WaitFor([&] { return a->link->Counts().commands_accepted + a->link->Counts().commands_refused == 2; },
                      seconds{20}));
  EXPECT_EQ(a->link->Counts().commands_refused, 1u);
  EXPECT_EQ(site.audit(), std::vector<std::string>{"setpoint 20 kW by long"});
}

// The load generator: 5 sites x 3 points every 200 ms for 1 s are 5 rounds: 25 messages and 75
// samples, all acknowledged by the stream and all taken by a center.
TEST_F(NatsLinkTest, FleetSimPublishesEveryRound) {
  auto center = StartCenter({});
  ASSERT_NE(center, nullptr);
  FleetSimOptions o;
  o.sites = 5;
  o.points = 3;
  o.rate = Millis{200};
  o.duration = Millis{1000};
  o.urls = {server_.url()};
  o.password = Password("center");
  o.connections = 2;
  auto report = RunFleetSim(o, clock_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->messages_sent, 25u);
  EXPECT_EQ(report->messages_acked, 25u);
  EXPECT_EQ(report->samples_acked, 75u);
  EXPECT_EQ(report->errors, 0u);
  EXPECT_GT(report->latency_max_ms, 0);
  ASSERT_TRUE(WaitFor([&] { return center->Counts().samples == 75; }, seconds{10})) << center->Counts().samples;
  EXPECT_EQ(SinkSamples("sim0003"), 15);
  EXPECT_EQ(center->Counts().malformed, 0u);
}

// A 3-node cluster on loopback, the streams replicated 3 times; one node killed (SIGKILL)
// during ingest: the clients move to the others, and per-site counts in the sink equal the
// edges' own.
class NatsClusterTest : public NatsLinkTest {
 protected:
  void SetUp() override {
    base_time = std::chrono::ceil<seconds>(clock_.Now() + seconds{1});
    const std::vector<int> routes = {FreePort(), FreePort(), FreePort()};
    for (int i = 0; i < 3; ++i) nodes_.push_back(std::make_unique<NatsServer>(i, routes));
    for (auto& n : nodes_) ASSERT_TRUE(n->Start()) << n->Log();
    for (auto& n : nodes_) urls_.push_back(n->url());
    replicas_ = 3;
  }
  std::vector<std::unique_ptr<NatsServer>> nodes_;
};

TEST_F(NatsClusterTest, NodeKilledDuringIngest) {
  // The cluster elects its JetStream leader after the routes connect: retry until the streams
  // can be made.
  std::unique_ptr<CenterLink> center;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto sink = SqliteStore::Open(SinkPath(), clock_);
        if (!sink) return false;
        CenterLinkOptions o;
        o.urls = urls_;
        o.password = Password("center");
        o.sites = kSites;
        o.fetch_wait = Millis{200};
        o.replicas = 3;
        auto link = CenterLink::Start(o, std::move(*sink), clock_);
        if (link) center = std::move(*link);
        return center != nullptr;
      },
      seconds{30}))
      << nodes_[0]->Log();
  auto a = MakeEdge("a");
  auto b = MakeEdge("b");
  std::thread producer([&] {
    for (int i = 0; i < 300; ++i) {
      a->Cycle(Base() + seconds{i});
      b->Cycle(Base() + seconds{i});
      std::this_thread::sleep_for(milliseconds{10});
    }
  });
  ASSERT_TRUE(WaitFor([&] { return center->Counts().samples >= 1000; }, seconds{30}));
  nodes_[0]->Kill();  // the node every client connected to first
  producer.join();
  const auto done = [&](Edge& e) {
    return !e.link->Backfilling() && e.link->AckedThrough() == Base() + seconds{e.cycles - 1} + Millis{1};
  };
  // Each round gives the links 100 ms to acknowledge its cycle before looking.
  for (int i = 0; i < 300 && !(done(*a) && done(*b)); ++i) {
    a->Cycle(Base() + seconds{a->cycles});
    b->Cycle(Base() + seconds{b->cycles});
    std::this_thread::sleep_for(milliseconds{100});
  }
  const auto state = [&](Edge& e) {
    const auto c = e.link->Counts();
    return fmt::format("{}: connected {} backfilling {} cursor +{} ms of +{} ms, acked {} dropped {} backfilled {}",
                       e.site, e.link->Connected(), e.link->Backfilling(), (e.link->AckedThrough() - Base()).count(),
                       (seconds{e.cycles - 1} + Millis{1}).count(), c.acknowledged, c.dropped, c.backfilled);
  };
  ASSERT_TRUE(done(*a) && done(*b)) << state(*a) << "\n" << state(*b);
  const std::int64_t want_a = a->cycles * kPoints, want_b = b->cycles * kPoints;
  ASSERT_TRUE(WaitFor([&] { return SinkSamples("a") == want_a && SinkSamples("b") == want_b; }, seconds{30}))
      << SinkSamples("a") << " of " << want_a << ", " << SinkSamples("b") << " of " << want_b;
}

}  // namespace
}  // namespace meg
