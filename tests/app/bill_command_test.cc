// End-to-end tests of `meg bill`: the real binary on files, as a user runs it.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "app/meg_runner.h"

#include "core/time.h"

namespace meg {
namespace {

using testing::Meg;
using testing::MegRun;

class BillCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test and process: CTest runs tests in parallel.
    dir_ =
        std::filesystem::temp_directory_path() /
        fmt::format("meg_bill_test_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // October 2024 at a flat `kw`, as usage CSV.
  std::string WriteOctober(const std::string& name, double kw) {
    const auto path = (dir_ / name).string();
    std::ofstream out(path);
    out << "timestamp,kW\n";
    const Timestamp start = StartOfKstMonth(std::chrono::year{2024} / 10);
    for (int i = 0; i < 31 * 96; ++i) out << FormatKst(start + kInterval * i) << "," << kw << "\n";
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(BillCommandTest, ListsTariffsWithAliases) {
  const MegRun r = Meg("bill --list-tariffs");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("일반용(을) 고압A 선택III"), std::string::npos);
  EXPECT_NE(r.out.find("general-eul high-a III"), std::string::npos);
  EXPECT_NE(r.out.find("industrial-eul high-c I"), std::string::npos);
}

// The flat 500 kW October of the bill engine's hand calculation, through the CLI: total
// 55,707,070 KRW (see tests/tariff/bill_test.cc for the arithmetic).
TEST_F(BillCommandTest, PrintsTheBillLineByLineAndAsJson) {
  const auto usage = WriteOctober("oct.csv", 500);
  const MegRun text = Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000", usage));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  for (const char* line :
       {"기본요금 basic charge", "전력량요금 energy charge", "기후환경요금", "연료비조정요금", "부가가치세 VAT",
        "전력산업기반기금", "청구금액 total billed", "55,707,070 KRW", "요금적용전력 billing demand"}) {
    EXPECT_NE(text.out.find(line), std::string::npos) << line << "\n" << text.out;
  }
  const MegRun json =
      Meg(fmt::format("bill --usage {} --tariff \"general-eul high-a I\" --contract-kw 1000 --json", usage));
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out;
  EXPECT_EQ(j["total_krw"], 55'707'070);
  EXPECT_EQ(j["months"][0]["billing_demand_kw"], 500);
  EXPECT_EQ(j["months"][0]["energy_kwh"], 372'000);
}

TEST_F(BillCommandTest, BadInputGetsAClearErrorAndExitCode2) {
  const auto path = (dir_ / "bad.csv").string();
  std::ofstream(path) << "timestamp,kW\n2024-10-01T00:00:00+09:00,500\n2024-10-01T00:15:00+09:00,oops\n";
  const MegRun r = Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000", path));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(path + ":3: kW 'oops' is not a number"), std::string::npos) << r.out;
  const MegRun tariff = Meg(fmt::format("bill --usage {} --tariff \"가로등 저압\" --contract-kw 1000", path));
  EXPECT_EQ(tariff.exit_code, 2);
  EXPECT_NE(tariff.out.find("--list-tariffs"), std::string::npos) << tariff.out;
  const MegRun missing = Meg("bill --usage /nonexistent.csv --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("/nonexistent.csv: no such file"), std::string::npos) << missing.out;
}

TEST_F(BillCommandTest, HistorySeedsTheRatchetAndIsSaved) {
  const auto usage = WriteOctober("oct.csv", 500);
  const auto history = (dir_ / "history.csv").string();
  std::ofstream(history) << "month,peak_kw\n2024-08,900\n";
  const auto saved = (dir_ / "saved.csv").string();
  const MegRun r =
      Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 "
                      "--history {} --save-history {} --json",
                      usage, history, saved));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["months"][0]["billing_demand_kw"], 900);
  EXPECT_EQ(j["months"][0]["billing_demand_month"], "2024-08");
  std::ifstream in(saved);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "month,peak_kw,over_contract,pf_surcharge\n2024-08,900,0,0\n2024-10,500,0,0\n");
}

// Issue 16, items 4 and 5 through the CLI: the 80-byte file of two rows 8,000 years apart aborted
// after allocating 5.6 GB; rows at 1e12 kW billed a negative total with exit 0. Both are refused
// with the line and a non-zero exit.
TEST_F(BillCommandTest, RefusesMillenniaAndImpossibleDemandWithTheLine) {
  const auto millennia = (dir_ / "millennia.csv").string();
  std::ofstream(millennia) << "timestamp,kW\n0001-01-01T00:00:00+09:00,1\n9999-12-31T23:45:00+09:00,1\n";
  const MegRun m =
      Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000", millennia));
  EXPECT_NE(m.exit_code, 0);
  EXPECT_NE(m.out.find("millennia.csv:2: timestamp 0001-01-01T00:00:00+09:00 is outside the years 2000..2099"),
            std::string::npos)
      << m.out;
  const auto huge = WriteOctober("huge.csv", 1e12);
  const MegRun h = Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000", huge));
  EXPECT_NE(h.exit_code, 0) << h.out;
  EXPECT_NE(h.out.find("huge.csv:2: kW 1000000000000 is not a possible 15-minute mean: beyond 10000 (10 x the "
                       "contract power 1000 kW)"),
            std::string::npos)
      << h.out;
  EXPECT_EQ(h.out.find("청구금액"), std::string::npos) << "no bill is printed";
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// meg bill --compare through the CLI: the hand-priced ranking of tests/tariff/bill_classes_test.cc
// (a flat 200 kW October under 교육용(갑) 고압A at 500 kW: 선택II 17,629,390 KRW, 선택I 18,184,900).
TEST_F(BillCommandTest, CompareRanksTheTariffsTheCustomerMayTake) {
  const auto usage = WriteOctober("oct.csv", 200);
  const MegRun text =
      Meg(fmt::format("bill --usage {} --tariff \"교육용(갑) 고압A 선택I\" --contract-kw 500 --compare", usage));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  for (const char* s : {"17,629,390", "18,184,900", "-555,510", "in force", "교육용 customer at 고압A and 500 kW",
                        "교육용(갑) 고압A 선택II would have cost 555,510 KRW less"}) {
    EXPECT_NE(text.out.find(s), std::string::npos) << s << "\n" << text.out;
  }
  EXPECT_LT(text.out.find("선택II"), text.out.find("선택I "));  // cheapest first
  const MegRun json =
      Meg(fmt::format("bill --usage {} --tariff \"education-gap high-a I\" --contract-kw 500 --compare --json", usage));
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out;
  ASSERT_EQ(j["tariffs"].size(), 2u);
  EXPECT_EQ(j["tariffs"][0]["tariff_alias"], "education-gap high-a II");
  EXPECT_EQ(j["tariffs"][0]["total_krw"], 17'629'390);
  EXPECT_EQ(j["tariffs"][0]["vs_in_force_krw"], -555'510);
  EXPECT_EQ(j["tariffs"][1]["in_force"], true);
  // A contract power the class does not take is refused, naming the range.
  const MegRun bad =
      Meg(fmt::format("bill --usage {} --tariff \"교육용(갑) 저압\" --contract-kw 1200 --compare", usage));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("교육용(갑) 저압 takes a whole number of kW from 4 to below 1000 kW"), std::string::npos)
      << bad.out;
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// meg bill --reading-day: the period of tests/tariff/bill_classes_test.cc (2024-06-15 to 07-14,
// a flat 500 kW, 일반용(을) 고압A 선택I at 1,000 kW: 63,815,350 KRW), from a file of exactly those
// days; the July period it starts is skipped, the data covering it in part.
TEST_F(BillCommandTest, AReadingDayBillsFromThatDayToTheDayBeforeItNextMonth) {
  const auto path = (dir_ / "june15.csv").string();
  {
    std::ofstream out(path);
    out << "timestamp,kW\n";
    const Timestamp start = FromKst(std::chrono::year{2024} / 6 / 15);
    for (int i = 0; i < 30 * 96 + 1; ++i) out << FormatKst(start + kInterval * i) << ",500\n";
  }
  const MegRun r =
      Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --reading-day 15 --json",
                      path));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["months"].size(), 1u) << r.out;
  EXPECT_EQ(j["months"][0]["month"], "2024-06");
  EXPECT_EQ(j["months"][0]["period_first"], "2024-06-15");
  EXPECT_EQ(j["months"][0]["period_last"], "2024-07-14");
  EXPECT_EQ(j["total_krw"], 63'815'350);
  EXPECT_NE(r.out.find("skipping 2024-07"), std::string::npos) << r.out;
  const MegRun text =
      Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --reading-day 15", path));
  EXPECT_NE(text.out.find("2024-06 (2024-06-15..2024-07-14, read on the 15)"), std::string::npos) << text.out;
  const MegRun bad =
      Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --reading-day 31", path));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--reading-day 31: 정기검침일 is a day of the month, 1..28"), std::string::npos) << bad.out;
}

// meg bill --households: the apartment complex of tests/tariff/residential_bill_test.cc (주택용
// 고압A, 100 households, a flat 40 kW October 2024: 4,913,860 KRW), and the refusals.
TEST_F(BillCommandTest, HouseholdsBillAnApartmentComplexOnOneContract) {
  const auto usage = WriteOctober("apt.csv", 40);
  const MegRun r =
      Meg(fmt::format("bill --usage {} --tariff \"주택용 고압A\" --contract-kw 300 --households 100 --json", usage));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["total_krw"], 4'913'860);
  EXPECT_EQ(j["months"][0]["households"], 100);
  EXPECT_EQ(j["months"][0]["basic_krw_per_household"], 1'260);
  EXPECT_EQ(j["months"][0]["energy_registers"][1]["block_upto_kwh_per_household"], 400);
  const MegRun text =
      Meg(fmt::format("bill --usage {} --tariff \"residential high-a\" --contract-kw 300 --households 100", usage));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  for (const char* line :
       {"100 × 1,260 KRW per household", "처음 first 200 kWh/호", "201-400 kWh/호", "4,913,860 KRW"}) {
    EXPECT_NE(text.out.find(line), std::string::npos) << line << "\n" << text.out;
  }
  const MegRun other =
      Meg(fmt::format("bill --usage {} --tariff \"일반용(갑)I 저압\" --contract-kw 100 --households 2", usage));
  EXPECT_EQ(other.exit_code, 2) << other.out;
  EXPECT_NE(other.out.find("only a 주택용 bill counts households"), std::string::npos) << other.out;
}

// KEPCO's 15-minute download as it comes (한전ON: CP949, a title line, 계기번호, 고객번호, 검침일,
// 순방향 유효전력량(KWH); each row the kWh of the 15 minutes ending at its label, a day running
// 00:15 .. 24:00), converted here from the shipped hospital load: it bills to the won as the
// OpenMEG CSV it came from, month by month and line by line.
TEST_F(BillCommandTest, AKepcoDownloadInCp949BillsToTheWonAsTheIsoCsv) {
  const auto iso = (dir_ / "hospital.csv").string();
  const MegRun converted = Meg(fmt::format("convert doe-hospital --year 2024 --out {}", iso));
  ASSERT_EQ(converted.exit_code, 0) << converted.out;

  // The header and title in CP949, as Python's cp949 codec encodes them.
  const std::string title = "15\xBA\xD0 \xC0\xFC\xB7\xC2\xBB\xE7\xBF\xEB\xB7\xAE";  // 15분 전력사용량
  const std::string header =
      "\xB0\xE8\xB1\xE2\xB9\xF8\xC8\xA3,"                                        // 계기번호
      "\xB0\xED\xB0\xB4\xB9\xF8\xC8\xA3,"                                        // 고객번호
      "\xB0\xCB\xC4\xA7\xC0\xCF,"                                                // 검침일
      "\xBC\xF8\xB9\xE6\xC7\xE2 \xC0\xAF\xC8\xBF\xC0\xFC\xB7\xC2\xB7\xAE(KWH)";  // 순방향 유효전력량(KWH)
  const auto kepco = (dir_ / "kepco.csv").string();
  {
    std::ifstream in(iso);
    std::ofstream out(kepco, std::ios::binary);
    out << title << "\r\n" << header << "\r\n";
    std::string line;
    std::getline(in, line);  // timestamp,kW
    int rows = 0;
    while (std::getline(in, line)) {
      const auto comma = line.find(',');
      // "2024-01-01T00:00:00+09:00" names the start; KEPCO labels the end, midnight as 24:00.
      const auto start = ParseIso8601(line.substr(0, comma));
      ASSERT_TRUE(start.has_value()) << line;
      const auto end = ToKst(*start + kInterval);
      const int minute = end.minute_of_day == 0 ? 1440 : end.minute_of_day;
      const Date day = end.minute_of_day == 0 ? AddDays(end.date, -1) : end.date;
      const double kw = std::stod(line.substr(comma + 1));
      out << fmt::format("55-282007100,196705100,{} {:02d}:{:02d},{}\r\n", FormatDate(day), minute / 60, minute % 60,
                         kw * 0.25);
      ++rows;
    }
    ASSERT_EQ(rows, 366 * 96);
  }
  const std::string bill = "bill --tariff \"일반용(을) 고압A 선택II\" --contract-kw 2000 --json --usage ";
  const MegRun a = Meg(bill + iso);
  const MegRun b = Meg(bill + kepco);
  ASSERT_EQ(a.exit_code, 0) << a.out;
  ASSERT_EQ(b.exit_code, 0) << b.out;
  for (const char* said : {"read " /* the path */, "encoding: CP949 (EUC-KR) (detected: the bytes are not UTF-8)",
                           "header: line 2", "line 1 is a title '15분 전력사용량'", "time: column 3 '검침일'",
                           "usage: column 4 '순방향 유효전력량(KWH)' (detected by name)",
                           "column 2 '고객번호' (a meter or customer number)", "unit: kWh per interval",
                           "interval: 15 minutes", "labels: the end of each interval", "is labelled 24:00"}) {
    EXPECT_NE(b.out.find(said), std::string::npos) << said << "\n" << b.out.substr(0, 2000);
  }
  const auto ja = nlohmann::json::parse(a.out.substr(a.out.find('{')), nullptr, false);
  const auto jb = nlohmann::json::parse(b.out.substr(b.out.find('{')), nullptr, false);
  ASSERT_FALSE(ja.is_discarded() || jb.is_discarded());
  ASSERT_EQ(ja["months"].size(), 12u);
  EXPECT_GT(ja["total_krw"].get<long long>(), 0);
  EXPECT_EQ(ja["total_krw"], jb["total_krw"]);
  EXPECT_EQ(ja["months"], jb["months"]);
  EXPECT_EQ(jb["usage_read"].size(), 9u) << jb["usage_read"].dump(1);
}

// meg bill --xlsx: the workbook read back by openpyxl (tests/app/xlsx_dump.py) holds the numbers
// of --json, as numbers: a row a month with each bill line in KRW, the totals as SUM formulas
// whose cached values are the JSON's totals, the energy registers, and the 15-minute usage.
TEST_F(BillCommandTest, XlsxHoldsTheJsonsNumbersWithSumFormulas) {
  const auto usage = (dir_ / "hospital.csv").string();
  ASSERT_EQ(Meg(fmt::format("convert doe-hospital --year 2024 --out {}", usage)).exit_code, 0);
  const auto book = (dir_ / "bills.xlsx").string();
  const MegRun r =
      Meg(fmt::format("bill --usage {} --tariff \"일반용(을) 고압A 선택II\" --contract-kw 2000 --json --xlsx {} "
                      "--months 2024-07..2024-09",
                      usage, book));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("wrote " + book + " (3 months)"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const MegRun dumped =
      testing::RunCommand("/usr/bin/python3 " + std::string(MEG_TEST_SOURCE_DIR) + "/app/xlsx_dump.py " + book);
  ASSERT_EQ(dumped.exit_code, 0) << dumped.out;
  const auto x = nlohmann::json::parse(dumped.out, nullptr, false);
  ASSERT_FALSE(x.is_discarded()) << dumped.out.substr(0, 500);
  const auto& bills = x["sheets"]["월별 요금 bills"];
  const auto& rows = bills["values"];
  ASSERT_EQ(rows.size(), 1u + 3u + 1u);  // header, 3 months, total
  const auto& header = rows[0];
  EXPECT_EQ(header[6], "사용량 energy (kWh)");
  for (size_t m = 0; m < 3; ++m) {
    const auto& month = j["months"][m];
    const auto& row = rows[m + 1];
    EXPECT_EQ(row[0], month["month"]);
    EXPECT_EQ(row[4], month["billing_demand_kw"]);
    EXPECT_EQ(row[6], month["energy_kwh"]);
    for (const auto& line : month["lines"]) {
      const std::string name =
          line["label_ko"].get<std::string>() + " " + line["label_en"].get<std::string>() + " (KRW)";
      const auto col = std::find(header.begin(), header.end(), name);
      ASSERT_NE(col, header.end()) << name;
      EXPECT_EQ(row[static_cast<size_t>(col - header.begin())], line["amount_krw"]) << name;
    }
  }
  const auto total_col = std::find(header.begin(), header.end(), "청구금액 total billed (KRW)");
  ASSERT_NE(total_col, header.end());
  const auto c = static_cast<size_t>(total_col - header.begin());
  EXPECT_EQ(rows[4][0], "합계 total");
  EXPECT_EQ(rows[4][c], j["total_krw"]);
  EXPECT_EQ(rows[4][6], j["energy_kwh"]);
  EXPECT_EQ(bills["formulas"]["O5"], "=SUM(O2:O4)") << bills["formulas"].dump();
  const auto& registers = x["sheets"]["전력량 energy registers"]["values"];
  size_t count = 0;
  for (const auto& month : j["months"]) count += month["energy_registers"].size();
  EXPECT_EQ(registers.size(), 1u + count + 1u);
  EXPECT_EQ(registers[1][3], j["months"][0]["energy_registers"][0]["energy_kwh"]);
  // The usage sheet: every interval of the file, its start in KST and its kW.
  const auto& series = x["sheets"]["15분 사용량 usage"]["values"];
  ASSERT_EQ(series.size(), 1u + 366u * 96u);
  EXPECT_EQ(series[1][0], "2024-01-01 00:00");
  EXPECT_EQ(series[96 * 31 + 1][0], "2024-02-01 00:00");
}

}  // namespace
}  // namespace meg
