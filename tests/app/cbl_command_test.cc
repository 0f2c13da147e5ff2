// End-to-end tests of `meg cbl`: the real binary on a usage CSV written here, as a user runs it,
// with the shipped holiday calendar (no holidays between 2024-07-01 and 2024-08-14).
//
// The usage: 100 kW all day on every day from 2024-07-01, except the 10 weekdays before Monday
// 2024-08-12 (the event day), flat all day at
//   Aug09 100  Aug08 130  Aug07 90  Aug06 120  Aug05 80  Aug02 110  Aug01 140  Jul31 95
//   Jul30 85   Jul29 78   and Jul26 90
// and the event day at 130 kW except 60 kW from 14:00 to 16:00. A trading hour at P kW holds
// P kWh (4 intervals x P x 0.25 h).
// Mid(6/10) (별표28 1.2) sorts the 10: 140 130 | 120 110 100 95 90 85 | 80 78 -> 600 / 6 = 100 kWh.
// 2.1 abnormal days: the 20-weekday mean is (1028 + 90 + 9 x 100) / 20 = 100.9, 75 % = 75.7: none.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/meg_runner.h"
#include "core/time.h"

namespace meg {
namespace {

using testing::Meg;
using testing::MegRun;

Date Day(unsigned m, unsigned d) { return std::chrono::year{2024} / std::chrono::month{m} / std::chrono::day{d}; }

// True if the line of `out` that starts with `head` holds exactly `fields` after the head,
// separated by spaces (the similar days after them are ignored).
bool LineHas(const std::string& out, const std::string& head, const std::vector<std::string>& fields) {
  const auto at = out.find("\n" + head + " ");
  if (at == std::string::npos) return false;
  std::istringstream line(out.substr(at + 1 + head.size(), out.find('\n', at + 1) - at - 1 - head.size()));
  for (const auto& f : fields) {
    std::string word;
    if (!(line >> word) || word != f) return false;
  }
  return true;
}

class CblCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("meg_cbl_test_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                       getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes the usage described above; rows at `skip` (KST) are left out.
  std::string WriteUsage(const std::vector<Timestamp>& skip = {}) {
    const std::map<Date, double> level = {{Day(8, 9), 100}, {Day(8, 8), 130}, {Day(8, 7), 90},
                                          {Day(8, 6), 120}, {Day(8, 5), 80},  {Day(8, 2), 110},
                                          {Day(8, 1), 140}, {Day(7, 31), 95}, {Day(7, 30), 85},
                                          {Day(7, 29), 78}, {Day(7, 26), 90}};
    const auto path = (dir_ / "usage.csv").string();
    std::ofstream out(path);
    out << "timestamp,kW\n";
    for (Timestamp t = FromKst(Day(7, 1)); t < FromKst(Day(8, 13)); t += kInterval) {
      if (std::find(skip.begin(), skip.end(), t) != skip.end()) continue;
      const KstDateTime k = ToKst(t);
      double kw = 100;
      if (k.date == Day(8, 12)) {
        kw = k.minute_of_day >= 14 * 60 && k.minute_of_day < 16 * 60 ? 60 : 130;
      } else if (const auto it = level.find(k.date); it != level.end()) {
        kw = it->second;
      }
      out << FormatKst(t) << "," << kw << "\n";
    }
    return path;
  }

  std::filesystem::path dir_;
};

// CBL 100 kWh per hour, actual 60, reduction 40; totals 200, 120, 80 kWh.
TEST_F(CblCommandTest, PrintsCblActualAndReductionPerTradingHour) {
  const auto usage = WriteUsage();
  const MegRun r = Meg(fmt::format("cbl --usage {} --method mid6/10 --event 2024-08-12T14:00/2h", usage));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* text : {"Mid(6/10)", "reference days (참고일, most recent first): 08-09 08-08 08-07 08-06 "
                                        "08-05 08-02 08-01 07-31 07-30 07-29",
                           "14:00-15:00", "15:00-16:00", "CBL kWh", "actual kWh", "reduction kWh",
                           "08-06 08-02 08-09 07-31 08-07 07-30",  // the middle six, highest first
                           "older than the reference days needed"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  // Each hour's line: CBL 100.00, SAA +0.00, actual 60.00, reduction 40.00 kWh; the total line:
  // 120 min, 200.00, 120.00, 80.00 kWh.
  EXPECT_TRUE(LineHas(r.out, "14:00-15:00", {"60", "100.00", "+0.00", "60.00", "40.00"})) << r.out;
  EXPECT_TRUE(LineHas(r.out, "15:00-16:00", {"60", "100.00", "+0.00", "60.00", "40.00"})) << r.out;
  EXPECT_TRUE(LineHas(r.out, "total", {"120", "200.00", "120.00", "80.00"})) << r.out;
}

// SAA (2.2): event day 10:00-13:00 at 130 kWh/h; the similar days are flat, their mean is the
// CBL's 100: SAA = +30 kWh/h. CBL 130, reduction 130 - 60 = 70 per hour.
TEST_F(CblCommandTest, JsonWithSaa) {
  const auto usage = WriteUsage();
  const MegRun r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:00/2h --saa --json", usage));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["method"], "Mid(6/10)");
  EXPECT_EQ(j["reference_days"].size(), 10u);
  EXPECT_DOUBLE_EQ(j["saa"]["adjustment_kwh_per_h"].get<double>(), 30);
  EXPECT_DOUBLE_EQ(j["saa"]["similar_days_kwh_per_h"].get<double>(), 100);
  ASSERT_EQ(j["hours"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["hours"][0]["cbl_kwh"].get<double>(), 130);
  EXPECT_DOUBLE_EQ(j["hours"][0]["actual_kwh"].get<double>(), 60);
  EXPECT_DOUBLE_EQ(j["hours"][1]["reduction_kwh"].get<double>(), 70);
  EXPECT_DOUBLE_EQ(j["total"]["reduction_kwh"].get<double>(), 140);
}

// 14:15/45m: one partial trading hour (3.2.4): CBL 100 x 3/4 = 75 kWh; SAA 30 x 45/60 = 22.5
// (window 10:15-13:15, still 130 kWh/h): 97.5 kWh; actual 60 x 3/4 = 45; reduction 52.5 kWh.
// The same event given in UTC with an offset.
TEST_F(CblCommandTest, PartialHourAndOffsetForms) {
  const auto usage = WriteUsage();
  for (const char* ev : {"2024-08-12T14:15/45m", "2024-08-12T05:15:00Z/45m", "2024-08-12T14:15:00+09:00/45m"}) {
    const MegRun r = Meg(fmt::format("cbl --usage {} --event {} --saa --json", usage, ev));
    ASSERT_EQ(r.exit_code, 0) << ev << "\n" << r.out;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_EQ(j["hours"].size(), 1u) << ev;
    EXPECT_EQ(j["hours"][0]["event_minutes"], 45);
    EXPECT_DOUBLE_EQ(j["hours"][0]["cbl_kwh"].get<double>(), 97.5);
    EXPECT_DOUBLE_EQ(j["hours"][0]["saa_kwh"].get<double>(), 22.5);
    EXPECT_DOUBLE_EQ(j["hours"][0]["reduction_kwh"].get<double>(), 52.5);
  }
}

// --exclude-days 2024-08-07 (the 90 kW day): Jul26 (also 90) takes its place, the same values,
// so the CBL stays 100 kWh; the text says why Aug07 was left out.
TEST_F(CblCommandTest, ExcludedDaysAndMissingData) {
  const auto usage = WriteUsage({FromKst(Day(8, 5), 14 * 60 + 30)});
  const MegRun r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:00/2h --exclude-days 2024-08-07", usage));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("2024-08-07  earlier event, test or bid day (별표28 3.2, 3.3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2024-08-05  usage missing in the event hours (별표28 3.4.2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 missing 15-minute interval(s) kept as gaps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("07-26"), std::string::npos) << r.out;
}

TEST_F(CblCommandTest, BadInputGetsAClearErrorAndExitCode2) {
  const auto usage = WriteUsage();
  MegRun r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:10/2h", usage));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("15-minute grid"), std::string::npos) << r.out;
  // A window over midnight: a CBL is per event day. (Longer than 4 h is fine for the CBL: economic
  // DR may be; the 4 h of a reliability call is checked with the call.)
  r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T22:00/5h", usage));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("spans two KST days"), std::string::npos) << r.out;
  r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:00", usage));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("START/DURATION"), std::string::npos) << r.out;
  r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:00/2x", usage));
  EXPECT_EQ(r.exit_code, 2);
  r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:00/2h --method avg10", usage));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("max4/5"), std::string::npos) << r.out;
  r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:00/2h --exclude-days 2024-13-01", usage));
  EXPECT_EQ(r.exit_code, 2);
  r = Meg("cbl --event 2024-08-12T14:00/2h");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--usage FILE"), std::string::npos) << r.out;

  const auto bad = (dir_ / "bad.csv").string();
  std::ofstream(bad) << "timestamp,kW\n2024-08-12T14:00:00+09:00,500\n2024-08-12T14:15:00+09:00,oops\n";
  r = Meg(fmt::format("cbl --usage {} --event 2024-08-12T14:00/2h", bad));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(bad + ":3: kW 'oops' is not a number"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// `meg cbl --usc-replay DIR` on a small set in the USC files' format. Building A has events on
// Mon 2024-07-01 (100 kWh), Tue 07-02 (110), Wed 07-03 (90) and Thu 07-04 (80), building B only
// on 07-04 (50). Max(4/5) (별표28 1.1) with 3.2 waived: A's CBL on 07-04 is the mean of its three
// earlier event days, (100 + 110 + 90) / 3 = 100 kWh, so A curtailed 100 - 80 = 20 kWh; B has no
// earlier day, so 07-04 has a CBL for 1 of 2 buildings and no date total. Under 3.2 no CBL is
// possible (every earlier day is an event day). 07-02: A's CBL is 100 (07-01 alone), curtailed
// 100 - 110 = -10 kWh, beside the recorded SCE -3 and FB NA.
TEST(UscReplayCommandTest, ComputesBaselinesFromEarlierEventDays) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("meg-usc-{}", getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "meteredConsumption.csv") << "\"\",\"buildings\",\"date\",\"strategy\",\"consumption\"\n"
                                                   "\"1\",\"A\",\"2024-07-01\",\"VFD\",100\n"
                                                   "\"2\",\"A\",\"2024-07-02\",\"VFD\",110\n"
                                                   "\"3\",\"A\",\"2024-07-03\",\"VFD\",90\n"
                                                   "\"4\",\"A\",\"2024-07-04\",\"VFD\",80\n"
                                                   "\"5\",\"B\",\"2024-07-04\",\"GTR\",50\n"
                                                   "\"6\",\"B\",\"2024-07-05\",\"GTR\",NA\n";
  std::ofstream(dir / "curtailment-SCE.csv") << "\"\",\"date\",\"curtailment\"\n\"1\",\"2024-07-02\",-3\n";
  std::ofstream(dir / "curtailment-FB.csv") << "\"\",\"date\",\"curtailment\"\n\"1\",\"2024-07-02\",NA\n";
  const MegRun r = Meg(fmt::format("cbl --usc-replay {} --method max4/5", dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("5 building-days with metered consumption, 4 event dates"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(earlier event days are not reference days, 별표28 3.2): 0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reference days): 3\n"), std::string::npos) << r.out;
  EXPECT_TRUE(LineHas(r.out, "2024-07-04", {"1/2", "130.0", "100.0", "-", "-", "-"})) << r.out;
  EXPECT_TRUE(LineHas(r.out, "2024-07-02", {"1/1", "110.0", "100.0", "-10.0", "-3.0", "-"})) << r.out;

  // A malformed number is refused with its file and line.
  std::ofstream(dir / "curtailment-FB.csv") << "\"\",\"date\",\"curtailment\"\n\"1\",\"2024-07-02\",abc\n";
  const MegRun bad = Meg(fmt::format("cbl --usc-replay {}", dir.string()));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("curtailment-FB.csv:2: 'abc' is neither a number nor NA"), std::string::npos) << bad.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace meg
