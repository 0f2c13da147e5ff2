// FleetDr (center/fleet_dr.h), the fleet as one DR resource, over light member sites written for
// the test (a SiteBackend that holds its shares like a DR desk and meters load less its share;
// the DR desk and LiveSite are tested on their own): a 20-member call where one member goes
// offline mid-event and its share is re-split over the others, and the 별표26 settlement of the
// resource and of each member on a 2-member case worked by hand. Expected figures are worked in
// the comments.
#include "center/fleet_dr.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "optimize/coin/clp_cbc_solver.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::Ymd;

const Date kDay = Ymd(2024, 8, 12);  // a Monday
Instant At(int minute_of_day) { return ToInstant(FromKst(kDay, minute_of_day)); }

// A member site: a flat load of `base_kw` at every quarter-hour (no PV), a battery, and a DR
// desk reduced to what FleetDr sees: each accepted request holds its share from its start (a
// revision cuts the call it revises), and the meter reads base - share (or base - delivers_kw
// when it delivers less). Offline from `offline_since`: no cycle and no meter after it.
class MemberSite final : public SiteBackend {
 public:
  MemberSite(std::string id, double base_kw, double ess_kw, const Instant& now)
      : id_(std::move(id)), base_kw_(base_kw), ess_kw_(ess_kw), now_(now) {}
  std::optional<Instant> offline_since;
  std::optional<double> delivers_kw;
  std::string mode = "normal";
  bool refuse = false;                  // its desk refuses every call
  std::vector<DrCallRequest> requests;  // accepted, in order

  SiteSummary Summary() const override {
    SiteSummary s;
    s.id = id_;
    s.name = id_;
    s.ess_kw = ess_kw_;
    s.ess_kwh = 4 * ess_kw_;
    return s;
  }
  LiveValues Live() const override {
    LiveValues v;
    v.time = offline_since.value_or(now_);
    v.mode = mode;
    v.load_kw = base_kw_;
    v.soc_pct = 80;
    return v;
  }
  LiveValues WaitForNewer(std::uint64_t, std::chrono::milliseconds) const override { return Live(); }
  std::vector<std::string> Points() const override { return {"grid_kw"}; }
  Result<std::vector<Bucket>> Telemetry(const std::string& point, Instant from, Instant to, Resolution) const override {
    if (point != "grid_kw") return NotFound(point);
    std::vector<Bucket> out;
    const Instant metered_until = offline_since.value_or(now_);
    for (Instant q = from; q < to && q + minutes(15) <= metered_until; q += minutes(15)) {
      Bucket b;
      b.start = q;
      b.mean = base_kw_ - Delivered(q);
      b.count = 60;
      out.push_back(b);
    }
    return out;
  }
  ScheduleView Schedule() const override { return {}; }
  Result<ForecastView> Forecast() const override {
    ForecastView f;
    f.issued = now_;
    for (Instant t = ToInstant(IntervalStart(ToTimestamp(now_))); t < now_ + std::chrono::hours(24); t += minutes(15)) {
      f.intervals.push_back({t, base_kw_, 0});
    }
    return f;
  }
  Result<BillView> Bill() const override { return NotFound("no bill"); }
  Result<std::vector<Event>> Events(int) const override { return std::vector<Event>{}; }
  std::vector<AlarmView> Alarms() const override { return {}; }
  Result<std::vector<AuditView>> Audit(int) const override { return std::vector<AuditView>{}; }
  // One event per held call, as the desk shows them: planned, CBL = base over its minutes.
  std::vector<DrEventView> DrEvents() const override {
    std::vector<DrEventView> out;
    for (const auto& [start, end, kw] : Calls()) {
      DrEventView v;
      v.kind = "reliability";
      v.start = start;
      v.end = end;
      v.requested_kw = kw;
      v.status = "planned";
      for (Instant h = ToInstant(FromKst(kDay, ToKst(ToTimestamp(start)).minute_of_day / 60 * 60)); h < end;
           h += std::chrono::hours(1)) {
        DrEventView::Hour hour;
        hour.start = h;
        const Instant a = std::max(h, start), b = std::min(h + std::chrono::hours(1), end);
        hour.minutes = static_cast<int>((b - a) / minutes(1));
        hour.cbl_kwh = base_kw_ * hour.minutes / 60.0;
        v.hours.push_back(hour);
      }
      out.push_back(v);
    }
    return out;
  }
  Status SubmitDrCall(const DrCallRequest& r) override {
    if (refuse) return InvalidInput("notice of 30 min is below the minimum 60 min (test)");
    if (r.revision) {
      bool held = false;
      for (const auto& [start, end, kw] : Calls()) held |= start < r.start && r.start < end && end == r.end;
      if (!held) return InvalidInput("no open call to revise");
    }
    requests.push_back(r);
    return Ok{};
  }
  Status Command(const OperatorCommand&) override { return Ok{}; }
  void NoteRefusal(const std::string&) override {}

  // The share in force at `t`, kW.
  double ShareAt(Instant t) const {
    for (const auto& [start, end, kw] : Calls()) {
      if (start <= t && t < end) return kw;
    }
    return 0;
  }

 private:
  // The held calls: each request from its start to the end, cut where a later revision starts.
  std::vector<std::tuple<Instant, Instant, double>> Calls() const {
    std::vector<std::tuple<Instant, Instant, double>> calls;
    for (const DrCallRequest& r : requests) {
      if (r.revision) {
        for (auto& [start, end, kw] : calls) {
          if (start < r.start && r.start < end && end == r.end) end = r.start;
        }
      }
      calls.emplace_back(r.start, r.end, r.requested_kw);
    }
    return calls;
  }
  double Delivered(Instant q) const {
    const double share = ShareAt(q);
    return delivers_kw ? std::min(share, *delivers_kw) : share;
  }
  std::string id_;
  double base_kw_, ess_kw_;
  const Instant& now_;
};

class MemberFleet final : public FleetBackend {
 public:
  std::vector<std::unique_ptr<MemberSite>> sites;
  std::vector<std::string> SiteIds() const override {
    std::vector<std::string> ids;
    for (const auto& s : sites) ids.push_back(s->Summary().id);
    return ids;
  }
  SiteBackend* Site(std::string_view id) const override {
    for (const auto& s : sites) {
      if (s->Summary().id == id) return s.get();
    }
    return nullptr;
  }
  std::vector<FleetSiteView> Overview() const override { return {}; }
};

DrCall ReliabilityCall(int start_min, int end_min, double kw) {
  return DrCall{DrCallKind::kReliability, "fleet",      FromKst(kDay, 13 * 60), FromKst(kDay, start_min),
                FromKst(kDay, end_min),   Kilowatts(kw)};
}

struct Fleet {
  Fleet() : calendar(testing::LoadSharedCalendar()) {
    config.calendar = &calendar;
    config.smp = WonPerKwh::FromMilliWon(120'000);
    config.mgp = WonPerKwh::FromMilliWon(150'000);
  }
  void Add(const std::string& id, double base_kw, double ess_kw, double cost) {
    fleet.sites.push_back(std::make_unique<MemberSite>(id, base_kw, ess_kw, now));
    FleetDrMember m;
    m.site_id = id;
    m.cost_krw_per_kwh = cost;
    config.members.push_back(m);
  }
  MemberSite& site(size_t i) { return *fleet.sites[i]; }
  HolidayCalendar calendar;
  Instant now = At(13 * 60);
  MemberFleet fleet;
  FleetDrConfig config;
  ClpCbcSolver solver;
};

// 20 members: site i has a flat load of 300 + 20 i kW (its CBL: Mid(6/10) of identical days) and
// a battery of 50, 60, 70, 80, 90 kW (i mod 5), 4 h of it, at 80 % SoC with 20 % reserve; its
// forecast is its CBL, so what it can deliver is its battery's power. Its cost is 40 + 5 i
// KRW/kWh, so the cheapest fill first. A call of 980 kW over 14:00-16:00 with a 5 % margin asks
// 1,029 kW: sites 0-13 give their full battery (5+6+7+8+9 = 35 (x10) a round of five: 350, 350,
// and 50+60+70+80 = 260: 960 kW) and site 14 the last 69 kW of its 90.
// Site 3 (80 kW) goes offline at 14:40. At 14:43 its last cycle is over 2 min old: offline. Its
// share is re-split from 14:45: 80 kW more, from the cheapest room left: site 14 (21 kW left at
// 110 KRW/kWh) and site 15 (50 kW at 115), then site 16 (9 of 60 kW at 120). Site 14 revises its
// call; sites 15 and 16 get new calls over 14:45-16:00 (issued at the KPX call's issue time).
// From 15:00 the members still online commit 1,029 kW again. Hour 14 has no meter from site 3
// after 14:30 (offline): it reduces 0 there (제12.5.2.3조 ③ 1호); the others reduce their shares:
// 1,029 - 80 = 949 kWh, plus 80 kW x 15 min = 20 kWh from the re-split: 969 kWh of 980 (98.9 %).
// Hour 15: 1,029 kWh. Paid at MGP 150: 969 x 150 + min(1,029, 1.2 x 980) x 150 = 145,350 +
// 154,350 = 299,700 KRW; no shortfall below 97 % (950.6 kWh).
TEST(FleetDrTest, TwentyMembersOneOfflineMidEventIsReSplitAndSettled) {
  Fleet f;
  const double ess[] = {50, 60, 70, 80, 90};
  for (int i = 0; i < 20; ++i) f.Add(fmt::format("s{:02}", i), 300 + 20 * i, ess[i % 5], 40 + 5 * i);
  FleetDr dr(f.fleet, f.solver, f.config);
  ASSERT_TRUE(dr.Call(ReliabilityCall(14 * 60, 16 * 60, 980), f.now));
  for (int i = 0; i < 14; ++i) EXPECT_NEAR(f.site(i).ShareAt(At(14 * 60)), ess[i % 5], 0.1) << i;
  EXPECT_NEAR(f.site(14).ShareAt(At(14 * 60)), 69, 0.1);
  for (int i = 15; i < 20; ++i) EXPECT_TRUE(f.site(i).requests.empty()) << i;
  EXPECT_EQ(f.site(0).requests.front().issued, At(13 * 60));

  f.site(3).offline_since = At(14 * 60 + 40);
  for (f.now = At(13 * 60); f.now <= At(16 * 60 + 15); f.now += minutes(1)) dr.Poll(f.now);

  // The re-split: site 3 given up from 14:45; sites 14-16 carry its 80 kW.
  EXPECT_EQ(f.site(3).requests.size(), 1u);
  EXPECT_NEAR(f.site(14).ShareAt(At(14 * 60 + 45)), 90, 0.1);
  ASSERT_EQ(f.site(14).requests.size(), 2u);
  EXPECT_TRUE(f.site(14).requests[1].revision);
  EXPECT_EQ(f.site(14).requests[1].start, At(14 * 60 + 45));
  EXPECT_NEAR(f.site(15).ShareAt(At(14 * 60 + 45)), 50, 0.1);
  ASSERT_EQ(f.site(15).requests.size(), 1u);
  EXPECT_FALSE(f.site(15).requests[0].revision);
  EXPECT_EQ(f.site(15).requests[0].issued, At(13 * 60));
  EXPECT_NEAR(f.site(16).ShareAt(At(14 * 60 + 45)), 9, 0.2);
  double online = 0;
  for (int i = 0; i < 20; ++i) {
    if (i != 3) online += f.site(i).ShareAt(At(15 * 60 + 30));
  }
  EXPECT_NEAR(online, 1029, 0.5);

  const std::vector<FleetDrView> views = dr.Views();
  ASSERT_EQ(views.size(), 1u);
  const FleetDrView& v = views[0];
  EXPECT_EQ(v.status, "settled");
  ASSERT_EQ(v.members.size(), 20u);
  EXPECT_EQ(v.members[3].status, "offline");
  ASSERT_EQ(v.members[3].shares.size(), 1u);
  EXPECT_EQ(v.members[3].shares[0].to, At(14 * 60 + 45));
  bool noted = false;
  for (const std::string& n : v.notes) noted |= n.find("s03 offline; its 80.0 kW re-split") != std::string::npos;
  EXPECT_TRUE(noted);
  ASSERT_EQ(v.hours.size(), 2u);
  EXPECT_NEAR(v.hours[0].cbl_kwh, 9800, 1e-6);  // sum of 300 + 20 i over 20 sites
  EXPECT_NEAR(v.hours[0].reduction_kwh, 969, 0.5);
  EXPECT_NEAR(v.hours[1].reduction_kwh, 1029, 0.5);
  EXPECT_GE(v.hours[1].reduction_kwh, 980);  // the re-split covers the lost share
  ASSERT_TRUE(v.settlement.has_value());
  EXPECT_EQ(v.settlement->energy_payment.value(), 299'700);
  EXPECT_NEAR(v.settlement->shortfall.value(), 0, 1e-9);
  // Site 3's own settlement: 80 kW asked over 14:00-14:45 (60 kWh), nothing metered after 14:30.
  ASSERT_TRUE(v.members[3].settlement.has_value());
  EXPECT_NEAR(v.members[3].settlement->requested.value(), 60, 1e-6);
  EXPECT_NEAR(v.members[3].settlement->measured.value(), 0, 1e-6);
}

// Two members, one hour, 200 kW asked with a 10 % margin: 220 kW. A (300 kW load, 150 kW battery,
// 10 KRW/kWh) takes 150 kW, B (200 kW, 150 kW, 20 KRW/kWh) the other 70 kW; B delivers only 30.
// Followed at 14:30: two quarter-hours metered, A 2 x 37.5 = 75 kWh and B 2 x 7.5 = 15 kWh.
// 별표26 for the resource: CBL 300 + 200 = 500 kWh, metered 150 + 170 = 320, DR = 180 kWh;
// DLR = Min[Max(180, 0), 200 x 1.2] = 180; DRP = 180 x MGP 150 = 27,000 KRW; DRD = Max(200 x
// 0.97 - 180, 0) = 14 kWh; performance 180 / 200 = 90 %. Per member on its share: A 150 of 150
// kWh, 22,500 KRW, no shortfall; B 30 of 70 kWh, 4,500 KRW, DRD = 0.97 x 70 - 30 = 37.9 kWh.
TEST(FleetDrTest, TheResourceAndEachMemberAreSettledByAnnex26) {
  Fleet f;
  f.Add("A", 300, 150, 10);
  f.Add("B", 200, 150, 20);
  f.config.margin = 0.10;
  f.site(1).delivers_kw = 30;
  FleetDr dr(f.fleet, f.solver, f.config);
  ASSERT_TRUE(dr.Call(ReliabilityCall(14 * 60, 15 * 60, 200), f.now));
  EXPECT_NEAR(f.site(0).requests.at(0).requested_kw, 150, 1e-9);
  EXPECT_NEAR(f.site(1).requests.at(0).requested_kw, 70, 1e-9);

  f.now = At(14 * 60 + 30);
  dr.Poll(f.now);
  FleetDrView v = dr.Views().at(0);
  EXPECT_EQ(v.status, "split");
  EXPECT_NEAR(v.hours.at(0).committed_kw, 220, 1e-9);
  EXPECT_NEAR(v.cbl_kwh, 500, 1e-9);
  EXPECT_NEAR(v.members[0].delivered_kwh[0], 75, 1e-9);
  EXPECT_NEAR(v.members[1].delivered_kwh[0], 15, 1e-9);
  EXPECT_NEAR(v.reduction_kwh, 90, 1e-9);
  EXPECT_EQ(v.members[0].desk, std::vector<std::string>{"planned"});

  f.now = At(15 * 60 + 14);
  dr.Poll(f.now);
  EXPECT_FALSE(dr.Views().at(0).settlement.has_value());  // the last quarter-hour not yet settled
  f.now = At(15 * 60 + 15);
  dr.Poll(f.now);
  v = dr.Views().at(0);
  EXPECT_EQ(v.status, "settled");
  ASSERT_TRUE(v.settlement.has_value());
  const DrEventSettlement& r = *v.settlement;
  EXPECT_NEAR(v.cbl_kwh, 500, 1e-9);
  EXPECT_NEAR(v.metered_kwh, 320, 1e-9);
  EXPECT_NEAR(r.measured.value(), 180, 1e-9);
  EXPECT_NEAR(r.recognised.value(), 180, 1e-9);
  EXPECT_EQ(r.energy_payment.value(), 27'000);
  EXPECT_NEAR(r.shortfall.value(), 14, 1e-9);
  EXPECT_NEAR(r.performance, 0.9, 1e-12);
  ASSERT_TRUE(v.members[0].settlement && v.members[1].settlement);
  EXPECT_EQ(v.members[0].settlement->energy_payment.value(), 22'500);
  EXPECT_NEAR(v.members[0].settlement->shortfall.value(), 0, 1e-9);
  EXPECT_EQ(v.members[1].settlement->energy_payment.value(), 4'500);
  EXPECT_NEAR(v.members[1].settlement->shortfall.value(), 37.9, 1e-9);
}

// Three members of 100 kW batteries at 10, 20, 30 KRW/kWh; 150 kW asked over 14:00-15:00, no
// margin: A 100, B 50. A's desk refuses: at 13:00 its 100 kW is re-split from 14:15 (a member's
// call can be revised a quarter-hour into it at the earliest): B's room of 50 kW (a revision to
// 100) and C's 50 kW (a call of its own, 14:15-15:00); 14:00-14:15 lacks A's 100 kW. B goes to
// safe mode: at 14:20 its 100 kW from 14:30 goes to C, which has 50 kW of room: 50 kW short, noted.
TEST(FleetDrTest, ARefusedShareAndAMemberInSafeModeAreReSplit) {
  Fleet f;
  f.config.margin = 0;
  f.Add("A", 300, 100, 10);
  f.Add("B", 300, 100, 20);
  f.Add("C", 300, 100, 30);
  f.site(0).refuse = true;
  FleetDr dr(f.fleet, f.solver, f.config);
  ASSERT_TRUE(dr.Call(ReliabilityCall(14 * 60, 15 * 60, 150), f.now));
  EXPECT_TRUE(f.site(0).requests.empty());
  EXPECT_NEAR(f.site(1).ShareAt(At(14 * 60)), 50, 1e-9);
  EXPECT_NEAR(f.site(1).ShareAt(At(14 * 60 + 15)), 100, 1e-9);
  ASSERT_EQ(f.site(2).requests.size(), 1u);
  EXPECT_EQ(f.site(2).requests[0].start, At(14 * 60 + 15));
  EXPECT_NEAR(f.site(2).ShareAt(At(14 * 60 + 15)), 50, 1e-9);
  FleetDrView v = dr.Views().at(0);
  EXPECT_EQ(v.members[0].status, "refused");
  EXPECT_TRUE(v.members[0].shares.empty());
  // B 50 kW x 15 min + 100 kW x 45 min, C 50 kW x 45 min: 12.5 + 75 + 37.5 = 125 kWh in the hour;
  // 25 kW short of 150 as a mean (A's 100 kW of 14:00-14:15 found no taker).
  EXPECT_NEAR(v.hours[0].committed_kw, 125, 1e-9);
  EXPECT_NEAR(v.hours[0].shortfall_kw, 25, 1e-9);
  f.site(1).mode = "safe";
  f.now = At(14 * 60 + 20);
  dr.Poll(f.now);
  v = dr.Views().at(0);
  EXPECT_EQ(v.members[1].status, "safe");
  EXPECT_NEAR(f.site(2).ShareAt(At(14 * 60 + 30)), 100, 1e-9);
  bool short_noted = false;
  for (const std::string& n : v.notes)
    short_noted |= n.find("cannot commit the target from 14:30") != std::string::npos;
  EXPECT_TRUE(short_noted);
}

// A call that is over is refused.
TEST(FleetDrTest, ACallThatIsOverIsRefused) {
  Fleet f;
  f.Add("A", 300, 150, 10);
  FleetDr dr(f.fleet, f.solver, f.config);
  EXPECT_FALSE(dr.Call(ReliabilityCall(14 * 60, 15 * 60, 100), At(15 * 60)));
}

// The resource's call is checked against the KPX dispatch rules as a whole before any share is
// sent (a member's desk would refuse its share anyway, and the call would be split for nothing):
// a reliability call needs 60 minutes' notice (제12.4.3.1조 ②), and a resource's calls of a day
// may not overlap.
TEST(FleetDrTest, ACallTheDispatchRulesRefuseIsRefusedWhole) {
  Fleet f;
  f.Add("A", 300, 150, 10);
  FleetDr dr(f.fleet, f.solver, f.config);
  DrCall late = ReliabilityCall(14 * 60, 15 * 60, 100);
  late.issued = FromKst(kDay, 13 * 60 + 30);  // 30 minutes' notice
  const Status refused = dr.Call(late, At(13 * 60 + 30));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("제12.4.3.1조"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(dr.Views().empty());
  ASSERT_TRUE(dr.Call(ReliabilityCall(14 * 60, 15 * 60, 100), At(13 * 60)));
  const Status overlap = dr.Call(ReliabilityCall(14 * 60 + 30, 15 * 60 + 30, 100), At(13 * 60));
  ASSERT_FALSE(overlap);
  EXPECT_EQ(dr.Views().size(), 1u);
  EXPECT_EQ(f.fleet.sites[0]->requests.size(), 1u);  // the first call's share only
}

}  // namespace
}  // namespace meg
