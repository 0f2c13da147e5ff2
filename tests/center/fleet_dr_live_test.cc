// FleetDr (center/fleet_dr.h) over real LiveSites: two sites on site twins, each with its control
// loop and SQLite store (as tests/center/live_site_test.cc builds them), whose own DR desks take
// the shares the resource's split gives them, plan them (the loop's import cap is the CBL less the
// share), take the re-split of a member that went offline as a revision of their call
// (DrDesk::Revise), and settle. The sites cycle on the test thread in site time; FleetDr runs on
// a second thread (SubmitDrCall waits for the control thread), and the sites cycle only while a
// submission waits, so site time moves a few cycles per submission.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "center/fleet_dr.h"
#include "center/live_site.h"
#include "control/loop_test_site.h"
#include "device/sim/twin.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "store/fresh_store_path.h"
#include "store/sqlite/sqlite_store.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using std::chrono::minutes;
using testing::Ymd;

const Date kDay = Ymd(2024, 8, 12);  // a Monday
Instant At(int minute_of_day) { return ToInstant(FromKst(kDay, minute_of_day)); }

// Load 600 kW and PV 50 kW at every quarter-hour from 2024-06-20 to 08-14: grid 550 kW.
PowerSeries Flat(double kw) {
  const Timestamp start = FromKst(Ymd(2024, 6, 20)), end = FromKst(Ymd(2024, 8, 14));
  std::vector<std::optional<Kilowatts>> v;
  for (Timestamp t = start; t < end; t += kInterval) v.push_back(Kilowatts(kw));
  return PowerSeries(start, kInterval, std::move(v));
}

// One site: the twin, its loop, its store and its LiveSite, cycling every minute of site time.
struct LiveMember {
  LiveMember(const std::string& id, const TariffBook& book, const HolidayCalendar& calendar, Instant start)
      : site(testing::LoopTestSite(id)),
        path(testing::FreshStorePath("meg-fleet-dr", id + ".db")),
        clock(start),
        now(start),
        load(Flat(600)),
        pv(Flat(50)),
        twin(load, pv, site.ess, 1, 1, start) {
    tariff = book.FindTariff(site.tariff).value();
    auto opened = SqliteStore::Open(path, clock);
    EXPECT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
    devices = twin.MakeDevices();
    std::vector<Device*> ptrs;
    for (auto& d : devices) ptrs.push_back(d.get());
    LoopConfig lc;
    lc.cycle = minutes(1);
    loop = std::make_unique<ControlLoop>(LoopSite{&site, &book, &calendar, tariff}, ptrs, audit, lc);
    LiveSiteConfig c;
    c.id = id;
    c.site = &site;
    c.book = &book;
    c.calendar = &calendar;
    c.tariff = tariff;
    c.store_path = path;
    c.history_load = &load;
    c.history_pv = &pv;
    c.dr.smp = WonPerKwh::FromMilliWon(120'000);
    c.dr.mgp = WonPerKwh::FromMilliWon(150'000);
    auto opened_site = LiveSite::Open(std::move(c), *store);
    EXPECT_TRUE(opened_site) << opened_site.error().message;
    live = std::move(*opened_site);
    loop->SetBeforeCycle([this](Instant t) { live->BeforeCycle(t, *loop); });
    EXPECT_TRUE(live->SeedHistory(load, pv, FromKst(Ymd(2024, 6, 25)), ToTimestamp(start)));
  }
  void Cycle() {
    clock.SleepUntil(now);
    live->OnCycle(loop->RunCycle(now), *loop);
    now += minutes(1);
  }

  Site site;
  TariffId tariff;
  std::string path;
  SimClock clock;
  Instant now;
  PowerSeries load, pv;
  SiteTwin twin;
  std::unique_ptr<SqliteStore> store;
  DiscardAuditLog audit;
  std::vector<std::unique_ptr<Device>> devices;
  std::unique_ptr<ControlLoop> loop;
  std::unique_ptr<LiveSite> live;
};

// The fleet: the LiveSites, each behind a pass-through that counts the DR submissions waiting for
// its control thread (so that the test thread cycles the sites exactly while one waits).
class CountingSite final : public SiteBackend {
 public:
  CountingSite(LiveSite& site, std::atomic<int>& waiting) : site_(site), waiting_(waiting) {}
  SiteSummary Summary() const override { return site_.Summary(); }
  LiveValues Live() const override { return site_.Live(); }
  LiveValues WaitForNewer(std::uint64_t v, std::chrono::milliseconds t) const override {
    return site_.WaitForNewer(v, t);
  }
  std::vector<std::string> Points() const override { return site_.Points(); }
  Result<std::vector<Bucket>> Telemetry(const std::string& p, Instant f, Instant t, Resolution r) const override {
    return site_.Telemetry(p, f, t, r);
  }
  ScheduleView Schedule() const override { return site_.Schedule(); }
  Result<ForecastView> Forecast() const override { return site_.Forecast(); }
  Result<BillView> Bill() const override { return site_.Bill(); }
  Result<std::vector<Event>> Events(int limit) const override { return site_.Events(limit); }
  std::vector<AlarmView> Alarms() const override { return site_.Alarms(); }
  Result<std::vector<AuditView>> Audit(int limit) const override { return site_.Audit(limit); }
  std::vector<DrEventView> DrEvents() const override { return site_.DrEvents(); }
  Status SubmitDrCall(const DrCallRequest& call) override {
    ++waiting_;
    Status s = site_.SubmitDrCall(call);
    --waiting_;
    return s;
  }
  Status Command(const OperatorCommand& c) override { return site_.Command(c); }
  void NoteRefusal(const std::string& m) override { site_.NoteRefusal(m); }

 private:
  LiveSite& site_;
  std::atomic<int>& waiting_;
};

class LiveFleet final : public FleetBackend {
 public:
  std::vector<std::pair<std::string, std::unique_ptr<CountingSite>>> sites;
  std::vector<std::string> SiteIds() const override {
    std::vector<std::string> ids;
    for (const auto& [id, s] : sites) ids.push_back(id);
    return ids;
  }
  SiteBackend* Site(std::string_view id) const override {
    for (const auto& [sid, s] : sites) {
      if (sid == id) return s.get();
    }
    return nullptr;
  }
  std::vector<FleetSiteView> Overview() const override { return {}; }
};

// Runs `work` on a second thread; while it runs, cycles `members` whenever a DR submission waits.
void RunWhileCycling(const std::function<void()>& work, const std::vector<LiveMember*>& members,
                     const std::atomic<int>& waiting) {
  std::atomic<bool> done{false};
  std::thread t([&] {
    work();
    done = true;
  });
  while (!done) {
    if (waiting > 0) {
      // A cycle every 2 ms of wall time while a submission waits: the control threads take it in
      // their next cycle; the pause keeps site time from running far ahead of the submitting thread.
      for (LiveMember* m : members) m->Cycle();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    } else {
      std::this_thread::yield();
    }
  }
  t.join();
}

// A call of 200 kW over 14:00-15:00, issued at 13:00. Each site's CBL is 550 kWh an hour (its
// seeded history), its forecast net load 550 kW: what it can deliver is its battery, 200 kW but
// only the energy above the 10 % reserve: (SoC - 10) % of 400 kWh for the hour. h1 costs 10
// KRW/kWh and takes all it can; h2 (20 KRW/kWh) the rest. Each desk plans its share: the import
// capped at 550 - share. h1 goes offline at 14:12 (its cycles stop); the poll at 14:15 finds its
// last cycle 4 min old and re-splits its share from 14:30 over h2, within h2's 200 kW: h2's call
// is cut at 14:30 and continued at its old share + h1's (a revision on its desk), planned at an
// import cap of 550 - that. After 15:15 both desks have settled h2's parts and FleetDr the
// resource: h1 has no meter after 14:12 (its cycles stopped), so it reduces 0 in the hour (제12.5.2.3조 ③ 1호) and the
// resource's reduction is h2's.
TEST(FleetDrLiveTest, TheMembersDesksTakeTheSharesAndTheReSplit) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  LiveMember h1("h1", book, calendar, At(12 * 60 + 50)), h2("h2", book, calendar, At(12 * 60 + 50));
  std::atomic<int> waiting{0};
  LiveFleet fleet;
  fleet.sites.emplace_back("h1", std::make_unique<CountingSite>(*h1.live, waiting));
  fleet.sites.emplace_back("h2", std::make_unique<CountingSite>(*h2.live, waiting));
  FleetDrConfig config;
  config.calendar = &calendar;
  config.smp = WonPerKwh::FromMilliWon(120'000);
  config.mgp = WonPerKwh::FromMilliWon(150'000);
  config.margin = 0;
  config.members = {{"h1", {}, 10, 10, 0}, {"h2", {}, 20, 10, 0}};
  ClpCbcSolver solver;
  FleetDr dr(fleet, solver, config);
  while (h1.now < At(13 * 60)) {
    h1.Cycle();
    h2.Cycle();
  }
  const double soc1 = h1.live->Live().soc_pct, soc2 = h2.live->Live().soc_pct;
  ASSERT_NE(h1.live->Live().mode, "safe") << h1.live->Live().reason;
  const double share1 = std::min(200.0, (soc1 - 10) * 4), share2 = 200 - share1;
  ASSERT_GT(share2, 10) << "h1 could take the whole call: SoC " << soc1;
  ASSERT_GT(200 - share2, 60) << "h2 has no room for the re-split: SoC " << soc2;

  Status called = Ok{};
  const DrCall call{DrCallKind::kReliability, "fleet",       FromKst(kDay, 13 * 60), FromKst(kDay, 14 * 60),
                    FromKst(kDay, 15 * 60),   Kilowatts(200)};
  RunWhileCycling([&] { called = dr.Call(call, At(13 * 60)); }, {&h1, &h2}, waiting);
  ASSERT_TRUE(called) << called.error().message;
  EXPECT_LT(h1.now, At(13 * 60 + 10));
  while (h1.now < At(13 * 60 + 30)) {
    h1.Cycle();
    h2.Cycle();
  }
  for (auto [m, share] : {std::pair{&h1, share1}, std::pair{&h2, share2}}) {
    const auto events = m->live->DrEvents();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].status, "planned") << events[0].message;
    EXPECT_NEAR(events[0].requested_kw, std::ceil(share * 10 - 1e-6) / 10, 0.11);
    ASSERT_EQ(m->loop->dr_commitments().size(), 1u);
    EXPECT_NEAR(m->loop->dr_commitments()[0].import_cap.value(), 550 - events[0].requested_kw, 1e-6);
  }
  const double held1 = h1.live->DrEvents()[0].requested_kw, held2 = h2.live->DrEvents()[0].requested_kw;

  while (h1.now < At(14 * 60 + 12)) {
    h1.Cycle();
    h2.Cycle();
  }
  while (h2.now < At(14 * 60 + 15)) h2.Cycle();  // h1 is offline
  RunWhileCycling([&] { dr.Poll(At(14 * 60 + 15)); }, {&h2}, waiting);
  h2.Cycle();  // the continuation is issued
  const auto events = h2.live->DrEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].end, At(14 * 60 + 30));
  EXPECT_EQ(events[1].start, At(14 * 60 + 30));
  EXPECT_EQ(events[1].status, "planned") << events[1].message;
  EXPECT_NEAR(events[1].requested_kw, held2 + held1, 0.2);
  // The loop holds the first part's cap until 14:30 and the continuation's from there.
  bool cut = false, continued = false;
  for (const DrCommitment& c : h2.loop->dr_commitments()) {
    if (c.start < FromKst(kDay, 14 * 60 + 30)) cut |= c.end == FromKst(kDay, 14 * 60 + 30);
    if (c.start == FromKst(kDay, 14 * 60 + 30)) {
      continued = true;
      EXPECT_NEAR(c.import_cap.value(), 550 - events[1].requested_kw, 1e-6);
    }
  }
  EXPECT_TRUE(continued);
  if (h2.now <= At(14 * 60 + 30)) {
    EXPECT_TRUE(cut);
  }
  dr.Poll(h2.now);  // the follow-up sees the continuation planned (nothing to submit)
  FleetDrView v = dr.Views().at(0);
  EXPECT_EQ(v.members[0].status, "offline");
  EXPECT_EQ(v.members[1].desk, (std::vector<std::string>{"planned", "planned"}));

  while (h2.now <= At(15 * 60 + 15)) h2.Cycle();
  RunWhileCycling([&] { dr.Poll(At(15 * 60 + 15)); }, {&h2}, waiting);
  v = dr.Views().at(0);
  EXPECT_EQ(v.status, "settled");
  ASSERT_TRUE(v.settlement.has_value());
  double h2_reduction = 0;
  for (const DrEventView& e : h2.live->DrEvents()) {
    EXPECT_EQ(e.status, "settled") << e.message;
    for (const auto& h : e.hours) h2_reduction += h.reduction_kwh.value_or(0);
  }
  EXPECT_GT(h2_reduction, 0);
  ASSERT_EQ(v.hours.size(), 1u);
  EXPECT_NEAR(v.hours[0].cbl_kwh, 1100, 1e-6);
  // h2's parts settle on their own minutes (a CBL per part); FleetDr's on the whole hour: the
  // same flat history gives the same CBL, so the reductions agree.
  EXPECT_NEAR(v.settlement->measured.value(), h2_reduction, 1e-6);
  ASSERT_TRUE(v.members[1].settlement.has_value());
  EXPECT_NEAR(v.members[1].settlement->measured.value(), h2_reduction, 1e-6);
}

}  // namespace
}  // namespace meg
