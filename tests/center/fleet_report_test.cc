// The fleet report (issue 17): each site's month-to-date bill with and without OpenMEG, its
// saving, peak, billing demand, ratchet and DR payments, and the fleet's totals, as CSV and HTML.
// The sites here are stand-ins that return fixed bills: the bills themselves are tested in
// month_bill_test.cc and live_site_test.cc; this tests the sums and the rendering.
#include "center/fleet_report.h"

#include <gtest/gtest.h>

#include "core/time.h"

namespace meg {
namespace {

class BilledSite final : public SiteBackend {
 public:
  BilledSite(std::string id, std::string name, Result<BillView> bill, std::vector<DrEventView> dr = {})
      : id_(std::move(id)), name_(std::move(name)), bill_(std::move(bill)), dr_(std::move(dr)) {}
  SiteSummary Summary() const override { return {id_, name_, "일반용(을) 고압A 선택II", 450, 100, 300, 150}; }
  LiveValues Live() const override { return {}; }
  LiveValues WaitForNewer(std::uint64_t, std::chrono::milliseconds) const override { return {}; }
  std::vector<std::string> Points() const override { return {}; }
  Result<std::vector<Bucket>> Telemetry(const std::string&, Instant, Instant, Resolution) const override {
    return std::vector<Bucket>{};
  }
  ScheduleView Schedule() const override { return {}; }
  Result<ForecastView> Forecast() const override { return NotFound("none"); }
  Result<BillView> Bill() const override { return bill_; }
  Result<std::vector<Event>> Events(int) const override { return std::vector<Event>{}; }
  std::vector<AlarmView> Alarms() const override { return {}; }
  Result<std::vector<AuditView>> Audit(int) const override { return std::vector<AuditView>{}; }
  std::vector<DrEventView> DrEvents() const override { return dr_; }
  Status SubmitDrCall(const DrCallRequest&) override { return Ok{}; }
  Status Command(const OperatorCommand&) override { return Ok{}; }
  void NoteRefusal(const std::string&) override {}

 private:
  std::string id_, name_;
  Result<BillView> bill_;
  std::vector<DrEventView> dr_;
};

class TwoSites final : public FleetBackend {
 public:
  std::vector<std::string> SiteIds() const override { return {"a", "b", "c"}; }
  SiteBackend* Site(std::string_view id) const override {
    if (id == "a") return a.get();
    if (id == "b") return b.get();
    if (id == "c") return c.get();
    return nullptr;
  }
  std::vector<FleetSiteView> Overview() const override {
    std::vector<FleetSiteView> out(3);
    out[0].summary.id = "a";
    out[0].kind = "hospital";
    out[1].summary.id = "b";
    out[1].kind = "office";
    out[2].summary.id = "c";
    out[2].kind = "campus building";
    return out;
  }
  std::unique_ptr<BilledSite> a, b, c;
};

BillView Bill(std::int64_t with, std::int64_t without, double peak) {
  BillView v;
  v.month = "2024-08";
  v.through = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
  v.with_openmeg_krw = with;
  v.without_openmeg_krw = without;
  v.peak_kw = peak;
  v.billing_demand_kw = 401;
  v.ratchet_kw = 380;
  return v;
}

DrEventView Call(int month, int day, std::optional<double> payment) {
  DrEventView e;
  e.start = ToInstant(FromKst(std::chrono::year{2024} / month / day, 14 * 60));
  e.energy_payment_krw = payment;
  return e;
}

TEST(FleetReportTest, SumsTheBilledSitesAndSaysWhyOneHasNoBill) {
  TwoSites fleet;
  // Site a: two August calls (one settled at 12,345.4 KRW, one not yet) and a July one (left out).
  fleet.a = std::make_unique<BilledSite>("a", "Hospital, Jeonju", Bill(12'000'000, 12'500'000, 400.25),
                                         std::vector<DrEventView>{Call(8, 5, 12'345.4), Call(8, 9, std::nullopt),
                                                                  Call(7, 30, 99'999)});
  BillView office = Bill(3'000'000, 3'100'000, 200);
  office.cheaper_tariff = "일반용(을) 고압A 선택II";
  office.cheaper_by_krw = 12'340;
  fleet.b = std::make_unique<BilledSite>("b", "Office \"HQ\"", office);
  fleet.c = std::make_unique<BilledSite>("c", "New <site>", NotFound("no bill yet: no quarter-hour metered"));
  const FleetReport r = BuildFleetReport(fleet, {"a", "b", "c", "nope"}, "Demo fleet, 2024-08");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.sites_billed, 2);
  EXPECT_EQ(r.with_krw, 15'000'000);     // 12,000,000 + 3,000,000
  EXPECT_EQ(r.without_krw, 15'600'000);  // 12,500,000 + 3,100,000
  EXPECT_EQ(r.rows[0].dr_calls, 2);
  EXPECT_DOUBLE_EQ(r.rows[0].dr_payment_krw, 12'345.4);
  EXPECT_EQ(r.rows[0].kind, "hospital");
  EXPECT_EQ(r.rows[2].note, "no bill yet: no quarter-hour metered");

  const std::string csv = FleetReportCsv(r);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "site,name,kind,tariff,contract_kw,month,through,bill_with_openmeg_krw,bill_without_openmeg_krw,"
            "saving_krw,peak_kw,billing_demand_kw,ratchet_kw,dr_calls,dr_payment_krw,cheaper_tariff,cheaper_by_krw,"
            "note");
  EXPECT_NE(csv.find("a,\"Hospital, Jeonju\",hospital,일반용(을) 고압A 선택II,450,2024-08,2024-08-12T14:00:00+09:00,"
                     "12000000,12500000,500000,400.2,401,380,2,12345,,,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("b,\"Office \"\"HQ\"\"\",office,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("c,New <site>,campus building,일반용(을) 고압A 선택II,450,,,,,,0.0,0,0,0,0,,,no bill yet: no "
                     "quarter-hour metered\n"),
            std::string::npos)
      << csv;
  EXPECT_EQ(r.sites_on_a_costlier_tariff, 1);
  EXPECT_NE(csv.find("total,2 sites billed,,,,,,15000000,15600000,600000,,,,,12345,1 on a costlier tariff,,\n"),
            std::string::npos)
      << csv;

  const std::string html = FleetReportHtml(r);
  EXPECT_NE(html.find("<td class=n>600,000</td>"), std::string::npos);  // the fleet's saving
  EXPECT_NE(html.find("<td class=n>3.8 %</td>"), std::string::npos);    // 600,000 / 15,600,000
  EXPECT_NE(html.find("New &lt;site&gt;"), std::string::npos);          // escaped
  EXPECT_EQ(html.find("New <site>"), std::string::npos);
  EXPECT_NE(html.find("Office &quot;HQ&quot;"), std::string::npos);
  EXPECT_NE(html.find("일반용(을) 고압A 선택II would cost 12,340 KRW less this month so far"), std::string::npos)
      << html;
}

}  // namespace
}  // namespace meg
