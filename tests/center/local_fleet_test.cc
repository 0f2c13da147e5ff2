// LocalFleet: the sites' states (the loop's mode, or offline after a silence of wall time) and
// since when, the month-to-date bill asked at most every bill_refresh, the fleet's site lookup,
// and the ids it refuses. Time is a SimClock; the sites are small fakes whose cycles the test
// publishes by hand.
#include "center/local_fleet.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

using std::chrono::seconds;

Instant Kst(int hour, int minute, int second = 0) {
  return ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, hour * 60 + minute)) + seconds(second);
}

// A site whose cycles, alarms and bill the test sets.
class ScriptedSite final : public SiteBackend {
 public:
  explicit ScriptedSite(std::string id) : id_(std::move(id)) {}
  // Publishes a cycle at site time `t` in `mode`.
  void Cycle(Instant t, std::string mode = "normal") {
    ++live_.version;
    live_.time = t;
    live_.mode = std::move(mode);
  }
  SiteSummary Summary() const override { return {id_, "Site " + id_, "산업용(을) 고압A 선택II", 900, 0, 0, 0}; }
  LiveValues Live() const override { return live_; }
  LiveValues WaitForNewer(std::uint64_t, std::chrono::milliseconds) const override { return live_; }
  std::vector<std::string> Points() const override { return {}; }
  Result<std::vector<Bucket>> Telemetry(const std::string&, Instant, Instant, Resolution) const override {
    return NotFound("no store");
  }
  ScheduleView Schedule() const override { return {}; }
  Result<ForecastView> Forecast() const override { return NotFound("none"); }
  Result<BillView> Bill() const override {
    ++bills_asked;
    if (!bill) return NotFound("no quarter-hour has closed yet");
    return *bill;
  }
  Result<std::vector<Event>> Events(int) const override { return std::vector<Event>{}; }
  std::vector<AlarmView> Alarms() const override { return alarms; }
  Result<std::vector<AuditView>> Audit(int) const override { return std::vector<AuditView>{}; }
  std::vector<DrEventView> DrEvents() const override { return {}; }
  Status SubmitDrCall(const DrCallRequest&) override { return Ok{}; }
  Status Command(const OperatorCommand&) override { return Ok{}; }
  void NoteRefusal(const std::string& m) override { refusals.push_back(m); }

  std::optional<BillView> bill;
  std::vector<AlarmView> alarms;
  mutable int bills_asked = 0;
  std::vector<std::string> refusals;

 private:
  std::string id_;
  LiveValues live_;
};

TEST(LocalFleetTest, StateIsTheModeOrOfflineAfterASilence) {
  SimClock wall(Instant{} + std::chrono::hours(24 * 20000));
  ScriptedSite a("a"), b("b");
  auto made = LocalFleet::Make({{"a", "hospital", &a}, {"b", "factory", &b}}, wall, {.offline_after = seconds(10)});
  ASSERT_TRUE(made) << made.error().message;
  LocalFleet& fleet = **made;
  EXPECT_EQ(fleet.SiteIds(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(fleet.Site("b"), &b);
  EXPECT_EQ(fleet.Site("c"), nullptr);

  // Before any cycle: offline, since unknown (the epoch).
  auto rows = fleet.Overview();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, "offline");
  EXPECT_EQ(rows[0].state_since, Instant{});
  EXPECT_EQ(rows[0].summary.id, "a");
  EXPECT_EQ(rows[0].kind, "hospital");
  EXPECT_EQ(rows[1].kind, "factory");

  a.Cycle(Kst(14, 0));
  b.Cycle(Kst(14, 0), "local");
  rows = fleet.Overview();
  EXPECT_EQ(rows[0].state, "normal");
  EXPECT_EQ(rows[0].state_since, Kst(14, 0));
  EXPECT_EQ(rows[1].state, "local");

  // a keeps cycling; its state and since stay. b goes safe at 14:00:05.
  wall.Advance(seconds(5));
  a.Cycle(Kst(14, 0, 5));
  b.Cycle(Kst(14, 0, 5), "safe");
  rows = fleet.Overview();
  EXPECT_EQ(rows[0].state_since, Kst(14, 0));
  EXPECT_EQ(rows[1].state, "safe");
  EXPECT_EQ(rows[1].state_since, Kst(14, 0, 5));

  // b falls silent: still safe at exactly 10 s of wall time, offline after, since its last cycle.
  wall.Advance(seconds(5));
  a.Cycle(Kst(14, 0, 10));
  wall.Advance(seconds(5));
  a.Cycle(Kst(14, 0, 15));
  EXPECT_EQ(fleet.Overview()[1].state, "safe");
  wall.Advance(seconds(1));
  a.Cycle(Kst(14, 0, 16));
  rows = fleet.Overview();
  EXPECT_EQ(rows[0].state, "normal");
  EXPECT_EQ(rows[1].state, "offline");
  EXPECT_EQ(rows[1].state_since, Kst(14, 0, 5));

  // b comes back in normal mode: normal since its first cycle seen.
  wall.Advance(seconds(30));
  a.Cycle(Kst(14, 0, 46));
  b.Cycle(Kst(14, 1, 0));
  rows = fleet.Overview();
  EXPECT_EQ(rows[1].state, "normal");
  EXPECT_EQ(rows[1].state_since, Kst(14, 1, 0));
}

TEST(LocalFleetTest, BillIsAskedAtMostEveryRefreshAndAlarmsEveryTime) {
  SimClock wall(Instant{} + std::chrono::hours(24 * 20000));
  ScriptedSite a("a");
  auto made = LocalFleet::Make({{"a", "office", &a}}, wall, {.bill_refresh = seconds(2)});
  ASSERT_TRUE(made);
  a.Cycle(Kst(14, 0));
  auto row = (*made)->Overview()[0];
  EXPECT_FALSE(row.bill_krw);  // no bill yet
  EXPECT_EQ(a.bills_asked, 1);
  BillView bill;
  bill.month = "2024-08";
  bill.with_openmeg_krw = 8'000'000;
  bill.without_openmeg_krw = 8'600'000;
  a.bill = bill;
  a.alarms = {{"demand", "warning", "near the target", Kst(14, 0)}};
  wall.Advance(seconds(1));
  row = (*made)->Overview()[0];
  EXPECT_EQ(a.bills_asked, 1);  // within the refresh: the cached answer
  EXPECT_FALSE(row.bill_krw);
  EXPECT_EQ(row.alarms.size(), 1u);  // alarms are asked every time
  wall.Advance(seconds(1));
  row = (*made)->Overview()[0];
  EXPECT_EQ(a.bills_asked, 2);
  ASSERT_TRUE(row.bill_krw);
  EXPECT_EQ(*row.bill_krw, 8'000'000);
  EXPECT_EQ(*row.saving_krw, 600'000);
  EXPECT_EQ(row.bill_month, "2024-08");
}

TEST(LocalFleetTest, RefusesBadFleetsAndRoutesFleetRefusalsToTheFirstSite) {
  SimClock wall(Instant{});
  ScriptedSite a("a"), b("b");
  EXPECT_FALSE(LocalFleet::Make({}, wall));
  const auto twice = LocalFleet::Make({{"a", "", &a}, {"a", "", &b}}, wall);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, "site id 'a' is given twice");
  const auto slash = LocalFleet::Make({{"a/b", "", &a}}, wall);
  ASSERT_FALSE(slash);
  EXPECT_NE(slash.error().message.find("site id 'a/b'"), std::string::npos);
  EXPECT_FALSE(LocalFleet::Make({{"a", "", nullptr}}, wall));
  auto fleet = LocalFleet::Make({{"a", "", &a}, {"b", "", &b}}, wall);
  ASSERT_TRUE(fleet);
  (*fleet)->NoteRefusal("failed login for 'x'");
  EXPECT_EQ(a.refusals, std::vector<std::string>{"failed login for 'x'"});
  EXPECT_TRUE(b.refusals.empty());
  // No site has telemetry: the fleet sum says so.
  const auto sum = (*fleet)->SumTelemetry({"a", "b"}, "grid_kw", Kst(14, 0), Kst(15, 0), Resolution::kMinute);
  ASSERT_FALSE(sum);
  EXPECT_EQ(sum.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace meg
