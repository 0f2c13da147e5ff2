// End-to-end tests of `meg advise`: the real binary on a usage file, as a user runs it. The
// figures are those of tariff/contract_advice_test.cc (by hand there): 500 kW with one quarter-hour
// of 800 kW on 2024-08-06 14:00, whose 5 % hotter summer peaks at 840 kW.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "app/meg_runner.h"

#include "core/time.h"

namespace meg {
namespace {

using testing::Meg;

class AdviseCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        fmt::format("meg_advise_test_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `months` months of 2024 from January at 500 kW, 800 kW at 2024-08-06 14:00.
  std::string WriteUsage(int months) {
    const auto path = (dir_ / "usage.csv").string();
    std::ofstream out(path);
    out << "timestamp,kW\n";
    const Timestamp start = StartOfKstMonth(std::chrono::year{2024} / 1);
    const Timestamp end = StartOfKstMonth(std::chrono::year{2024} / 1 + std::chrono::months{months});
    const Timestamp spike = FromKst(std::chrono::year{2024} / 8 / 6, 14 * 60);
    for (Timestamp t = start; t < end; t += kInterval) out << FormatKst(t) << "," << (t == spike ? 800 : 500) << "\n";
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(AdviseCommandTest, RecommendsTheSmallestContractSafeInAHotterSummer) {
  const std::string usage = WriteUsage(12);
  const auto html = dir_ / "advice.html";
  const auto text =
      Meg(fmt::format("advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --html {}", usage,
                      html.string()));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("highest 15-minute demand 800 kW"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("at 840 kW"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("선택III"), std::string::npos) << text.out;  // every option is priced
  // The report: the options, the chart, the recommended bills month by month, the duration curve.
  const std::string page = testing::Slurp(html);
  EXPECT_NE(page.find("at 840 kW"), std::string::npos);
  EXPECT_NE(page.find("2024-12"), std::string::npos);
  EXPECT_NE(page.find("Load duration curve"), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);

  const auto json = Meg(fmt::format(
      "advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --contracts 700,840,3000 --json",
      usage));
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["max_demand_kw"], 800);
  EXPECT_EQ(j["hotter_max_demand_kw"], 840);
  EXPECT_EQ(j["in_force"]["basic_krw"], 69'312'000);  // 12 x 800 kW x 7,220 KRW/kW
  ASSERT_EQ(j["contracts"].size(), 3u);
  EXPECT_EQ(j["contracts"][0]["over_contract_months"], 1);
  EXPECT_EQ(j["contracts"][2]["floor_months"], 12);
  EXPECT_EQ(j["recommended"]["contract_kw"], 840);
  EXPECT_EQ(j["tariffs"].size(), 3u);
}

TEST_F(AdviseCommandTest, RefusesTooLittleDataAndUnknownVoltages) {
  const auto few =
      Meg(fmt::format("advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000", WriteUsage(3)));
  EXPECT_NE(few.exit_code, 0);
  EXPECT_NE(few.out.find("12 whole months"), std::string::npos) << few.out;
  const auto volt =
      Meg(fmt::format("advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --voltages A,D",
                      WriteUsage(12)));
  EXPECT_NE(volt.exit_code, 0);
  EXPECT_NE(volt.out.find("--voltages D"), std::string::npos) << volt.out;
  const auto missing = Meg("advise --tariff \"일반용(을) 고압A 선택I\"");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.out.find("--usage"), std::string::npos) << missing.out;
  const auto lp_alone = Meg(fmt::format("advise --site {}/sites/cnu-eng7.toml --size-lp", MEG_TEST_DATA_DIR));
  EXPECT_NE(lp_alone.exit_code, 0);
  EXPECT_NE(lp_alone.out.find("--size-lp needs --battery-kwh"), std::string::npos) << lp_alone.out;
}

// Battery sizes on the eng7 site (its [ess] of 200 kWh / 100 kW scaled, 2 h): the oracle's year
// for 100 and 300 kWh at the default costs. What the test checks by its own arithmetic: the capex
// from NREL's figures in USD (222,115 a project + 253 a kWh + 968 a kW, at 1,306.7637 KRW/USD,
// docs/advise.md), the life (15 years or 6,000 cycles, whichever ends first), the NPV and the
// payback of the flows those give at 4.5 % with O&M at 2.5 % of the capex a year (discounted here,
// year by year, with the last year's fraction), and that the larger battery saves at least as much
// after wear (it can do all the smaller one does: the oracle's objective cannot fall with size).
TEST_F(AdviseCommandTest, BatterySizesPricedByTheOracle) {
#if defined(__SANITIZE_ADDRESS__)
  // Two oracle years and a baseline take minutes under ASan: the release build runs this; the
  // oracle's backtest itself runs under ASan in the simulate tests.
  GTEST_SKIP() << "a year of the oracle per size: release build only";
#endif
  const auto run =
      Meg(fmt::format("advise --site {}/sites/cnu-eng7.toml --battery-kwh 100,300 --json", MEG_TEST_DATA_DIR));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto j = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  const auto& sizes = j["battery"]["sizes"];
  ASSERT_EQ(sizes.size(), 2u);
  double previous_after_wear = -1e18;
  for (const auto& b : sizes) {
    const double kwh = b["usable_kwh"], kw = b["power_kw"], cycles = b["cycles_per_year"];
    const double saving = b["bill_saving_krw_per_year"], wear = b["degradation_krw_per_year"];
    EXPECT_DOUBLE_EQ(kw, kwh / 2);
    const double capex = (222'115 + 253 * kwh + 968 * kw) * 1306.7637;
    EXPECT_NEAR(b["capex_krw"].get<double>(), capex, 1e-6);
    const double life = std::min(15.0, 6000.0 / cycles);
    EXPECT_NEAR(b["life_years"].get<double>(), life, 1e-9);
    const double yearly = saving - 0.025 * capex;
    double npv = -capex, factor = 1, cumulative = -capex;
    std::optional<double> payback;
    for (int y = 1; y <= static_cast<int>(std::ceil(life)); ++y) {
      const double share = std::min(1.0, life - (y - 1));
      factor *= 1.045;
      npv += yearly * share / factor;
      if (!payback && yearly > 0 && cumulative + yearly * share >= 0) {
        payback = (y - 1) + (-cumulative / (yearly * share));
      }
      cumulative += yearly * share;
    }
    EXPECT_NEAR(b["npv_krw"].get<double>(), npv, 1e-3 * std::abs(npv) + 1);
    if (payback) {
      EXPECT_NEAR(b["payback_years"].get<double>(), *payback, 1e-9);
    } else {
      EXPECT_TRUE(b["payback_years"].is_null());
    }
    EXPECT_GT(saving, 0);
    EXPECT_GE(saving - wear, previous_after_wear - 1000) << kwh << " kWh";  // the bills round to 10 KRW
    previous_after_wear = saving - wear;
  }
  // A negative cost is refused, naming the options.
  const auto bad_cost = Meg(
      fmt::format("advise --site {}/sites/cnu-eng7.toml --battery-kwh 100 --capex-krw-fixed -1", MEG_TEST_DATA_DIR));
  EXPECT_NE(bad_cost.exit_code, 0);
  EXPECT_NE(bad_cost.out.find("--capex-krw-fixed"), std::string::npos) << bad_cost.out;
}

// PV sizes on the eng7 site (its 80 kWp array and 70 kW inverter scaled): what the test checks by
// its own arithmetic and by another command: the capex (kWp x 1,300,000), the NPV of 20 years of
// the saving at 4.5 %, the production doubling with the size, and the saving of the site's own
// 80 kWp equal to what `meg simulate` bills for the site without PV less with it.
TEST_F(AdviseCommandTest, PvSizesPricedAgainstTheSiteWithoutPv) {
  const auto run =
      Meg(fmt::format("advise --site {}/sites/cnu-eng7.toml --pv-kwp 40,80 --pv-capex-krw-per-kwp 1300000 "
                      "--pv-om-pct 0 --json",
                      MEG_TEST_DATA_DIR));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto j = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  const auto& sizes = j["pv"]["sizes"];
  ASSERT_EQ(sizes.size(), 2u);
  for (const auto& s : sizes) {
    const double kwp = s["dc_kwp"], saving = s["bill_saving_krw_per_year"];
    EXPECT_DOUBLE_EQ(s["capex_krw"].get<double>(), kwp * 1'300'000);
    EXPECT_DOUBLE_EQ(s["ac_kw"].get<double>(), 70 * kwp / 80);
    double npv = -kwp * 1'300'000, factor = 1;
    for (int y = 1; y <= 20; ++y) npv += saving / (factor *= 1.045);
    EXPECT_NEAR(s["npv_krw"].get<double>(), npv, 1e-6 * std::abs(npv) + 1);
    EXPECT_GT(saving, 0);
  }
  EXPECT_NEAR(sizes[1]["available_kwh"].get<double>(), 2 * sizes[0]["available_kwh"].get<double>(), 1e-6);
  EXPECT_GE(sizes[1]["bill_saving_krw_per_year"].get<double>(), sizes[0]["bill_saving_krw_per_year"].get<double>());
  // meg simulate's year: the site without PV and ESS, and with its PV (`none`).
  const auto sim = Meg(fmt::format("simulate --site {}/sites/cnu-eng7.toml --controller none", MEG_TEST_DATA_DIR));
  ASSERT_EQ(sim.exit_code, 0) << sim.out;
  const size_t at = sim.out.find("\nyear ");
  ASSERT_NE(at, std::string::npos) << sim.out;
  std::istringstream year(sim.out.substr(at + 6, sim.out.find('\n', at + 1) - at - 6));
  std::string without_pv, with_pv;
  year >> without_pv >> with_pv;
  std::erase(without_pv, ',');
  std::erase(with_pv, ',');
  EXPECT_EQ(sizes[1]["bill_saving_krw_per_year"].get<std::int64_t>(), std::stoll(without_pv) - std::stoll(with_pv));
  // Without a quote: NREL's roof PV of 250-750 kW, 2,150 USD/kW at 1,306.7637 KRW/USD, O&M 24
  // USD/kW a year.
  const auto defaults = Meg(fmt::format("advise --site {}/sites/cnu-eng7.toml --pv-kwp 40 --json", MEG_TEST_DATA_DIR));
  ASSERT_EQ(defaults.exit_code, 0) << defaults.out;
  const auto d = nlohmann::json::parse(defaults.out.substr(defaults.out.find('{')))["pv"];
  EXPECT_NEAR(d["sizes"][0]["capex_krw"].get<double>(), 40 * 2150 * 1306.7637, 1e-6);
  EXPECT_NEAR(d["om_pct_per_year"].get<double>(), 24.0 / 2150 * 100, 1e-12);
}

// Cold-store sizes on the Jeonju hospital with its chillers (data/sites/jeonju-hospital-ice.toml).
// Ice has no sourced default cost: refused without one. Its store made a chilled-water tank (the
// battery removed, as the sweep does): NREL's tank at 1.50 USD a gallon between 56 and 44 F
// (3.785 kg x 4.186 kJ/kg/K x 6.67 K = 0.02934 kWh of cooling a gallon) at 1,306.7637 KRW/USD, the
// ratings scaled with the capacity (1,000 kW each way at 6,000 kWh), and the NPV of 20 years of
// the saving at 4.5 % by the test's own arithmetic.
TEST_F(AdviseCommandTest, ColdStoreSizesPricedAgainstTheSiteWithoutOne) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "a year of the oracle per size: release build only";
#endif
  const std::string ice = fmt::format("{}/sites/jeonju-hospital-ice.toml", MEG_TEST_DATA_DIR);
  const auto no_cost = Meg(fmt::format("advise --site {} --tes-kwh 3000", ice));
  EXPECT_NE(no_cost.exit_code, 0);
  EXPECT_NE(no_cost.out.find("--tes-capex-krw-per-kwh"), std::string::npos) << no_cost.out;
  EXPECT_NE(no_cost.out.find("chilled water only"), std::string::npos) << no_cost.out;

  std::ifstream in(ice);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("kind = \"ice\"", "kind = \"chilled-water\"");
  replace("charge_cop_pct = 70\n", "");
  const auto water = (dir_ / "water.toml").string();
  std::ofstream(water) << text;
  const auto html = (dir_ / "advice.html").string();
  const auto run = Meg(fmt::format("advise --site {} --tes-kwh 3000,6000 --json --html {}", water, html));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto j = nlohmann::json::parse(run.out.substr(run.out.find('{')))["thermal_storage"];
  const double per_kwh_th = 1.50 / (3.785411784 * 4.186 * (12 * 5.0 / 9) / 3600) * 1306.7637;
  EXPECT_NEAR(j["capex_krw_per_kwh_th"].get<double>(), per_kwh_th, 1e-3 * per_kwh_th);
  ASSERT_EQ(j["sizes"].size(), 2u);
  for (const auto& s : j["sizes"]) {
    const double kwh = s["capacity_kwh_th"], saving = s["bill_saving_krw_per_year"];
    EXPECT_DOUBLE_EQ(s["charge_kw_th"].get<double>(), 1000 * kwh / 6000);
    EXPECT_DOUBLE_EQ(s["discharge_kw_th"].get<double>(), 1000 * kwh / 6000);
    const double capex = s["capex_krw"];
    EXPECT_NEAR(capex, kwh * per_kwh_th, 1e-3 * kwh * per_kwh_th);
    double npv = -capex, factor = 1;
    for (int y = 1; y <= 20; ++y) npv += saving / (factor *= 1.045);
    EXPECT_NEAR(s["npv_krw"].get<double>(), npv, 1e-6 * std::abs(npv) + 1);
    EXPECT_GT(saving, 0);
    EXPECT_GT(s["discharged_kwh_th"].get<double>(), 0);
  }
  // The report has the sizes' NPV against size and their table.
  std::ifstream report(html);
  const std::string page((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("Cold store: net present value against size"), std::string::npos);
  EXPECT_NE(page.find("6,000 kWh_th"), std::string::npos);
}

// meg advise --xlsx, read back by openpyxl (tests/app/xlsx_dump.py): a row per tariff option and
// per contract power, with the totals of --json as numbers.
TEST_F(AdviseCommandTest, XlsxHoldsTheJsonsTariffsAndContracts) {
  const std::string usage = WriteUsage(12);
  const auto book = (dir_ / "advice.xlsx").string();
  const auto run =
      Meg(fmt::format("advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --json --xlsx {}",
                      usage, book));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto j = nlohmann::json::parse(run.out.substr(run.out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  const auto dumped =
      testing::RunCommand("/usr/bin/python3 " + std::string(MEG_TEST_SOURCE_DIR) + "/app/xlsx_dump.py " + book);
  ASSERT_EQ(dumped.exit_code, 0) << dumped.out.substr(0, 2000);
  const auto x = nlohmann::json::parse(dumped.out, nullptr, false);
  ASSERT_FALSE(x.is_discarded());
  for (const auto& [sheet, key] :
       {std::pair{"요금제 tariffs", "tariffs"}, std::pair{"계약전력 contract powers", "contracts"}}) {
    const auto& rows = x["sheets"][sheet]["values"];
    ASSERT_EQ(rows.size(), 1u + j[key].size()) << sheet;
    const auto& header = rows[0];
    EXPECT_EQ(header[0], "요금제 tariff");
    EXPECT_EQ(header[2], "계약전력 contract_kw (kW)");
    const auto total = std::find(header.begin(), header.end(), "연간 요금 total_krw (KRW)");
    ASSERT_NE(total, header.end()) << header.dump();
    for (size_t i = 0; i < j[key].size(); ++i) {
      EXPECT_EQ(rows[i + 1][0], j[key][i]["tariff"]) << sheet << " " << i;
      EXPECT_EQ(rows[i + 1][2], j[key][i]["contract_kw"]) << sheet << " " << i;
      EXPECT_EQ(rows[i + 1][static_cast<size_t>(total - header.begin())], j[key][i]["total_krw"]) << sheet << " " << i;
    }
  }
}

}  // namespace
}  // namespace meg
