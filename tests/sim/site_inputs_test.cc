// A site's inputs over a span of years (meg simulate --history-from): the load laid on each year
// and the weather of each year's file, joined without a seam.
#include "sim/site_inputs.h"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "io/text_file.h"
#include "io/usage_csv.h"

#include "sim/shipped_hospital.h"

namespace meg {
namespace {

using SiteInputsTest = testing::ShippedHospitalTest;

// December 2024 then all of 2025: each part is what a single year gives (the 2024 inputs_, and
// the site with load.year = 2025, whose weather is the 2025 file through ${year}).
TEST_F(SiteInputsTest, ASpanJoinsEachYearAsItsOwnYearWouldBe) {
  auto span = PrepareSiteInputs(site_, calendar_, std::chrono::year{2024} / 12 / 1, 2025);
  ASSERT_TRUE(span) << span.error().message;
  const Timestamp dec = FromKst(Date{std::chrono::year{2024} / 12 / 1});
  const Timestamp y2025 = FromKst(Date{std::chrono::year{2025} / 1 / 1});
  ASSERT_EQ(span->load.start(), dec);
  ASSERT_EQ(span->load.size(), (31u + 365u) * 96u);
  ASSERT_EQ(span->pv.size(), span->load.size());
  ASSERT_EQ(span->temp_c.size(), span->load.size());

  Site site2025 = site_;
  site2025.load.year = 2025;
  auto only2025 = PrepareSiteInputs(site2025, calendar_);
  ASSERT_TRUE(only2025) << only2025.error().message;
  const SiteInputs tail = SliceInputs(*span, y2025, only2025->load.end());
  ASSERT_EQ(tail.load.size(), only2025->load.size());
  const SiteInputs head = SliceInputs(*span, dec, y2025);
  const SiteInputs dec2024 = SliceInputs(inputs_, dec, y2025);
  ASSERT_EQ(head.load.size(), dec2024.load.size());
  for (size_t i = 0; i < tail.load.size(); ++i) {
    ASSERT_EQ(tail.load.at(i)->value(), only2025->load.at(i)->value()) << i;
    ASSERT_EQ(tail.pv.at(i)->value(), only2025->pv.at(i)->value()) << i;
    ASSERT_EQ(tail.temp_c.at(i), only2025->temp_c.at(i)) << i;
  }
  for (size_t i = 0; i < head.load.size(); ++i) {
    ASSERT_EQ(head.load.at(i)->value(), dec2024.load.at(i)->value()) << i;
    ASSERT_EQ(head.pv.at(i)->value(), dec2024.pv.at(i)->value()) << i;
    // 2024 alone has no sample after 2024-12-31 23:00 to interpolate toward and holds it; the span
    // interpolates toward 2025's first, as it should.
    if (i + 4 < head.load.size()) {
      ASSERT_EQ(head.temp_c.at(i), dec2024.temp_c.at(i)) << i;
    }
  }
  EXPECT_NEAR(tail.load_energy.value(), only2025->load_energy.value(), 1e-6 * only2025->load_energy.value());
  // Two different years of weather: the 2025 file, not 2024's again.
  const SiteInputs jan2024 = SliceInputs(inputs_, inputs_.load.start(), dec);
  size_t differ = 0;
  for (size_t i = 0; i < 96 * 31; ++i) differ += *tail.temp_c.at(i) != *jan2024.temp_c.at(i) ? 1 : 0;
  EXPECT_GT(differ, 96u * 20);
}

TEST_F(SiteInputsTest, AYearWithoutItsWeatherFileIsNamed) {
  auto span = PrepareSiteInputs(site_, calendar_, std::chrono::year{2025} / 12 / 1, 2026);
  ASSERT_FALSE(span);
  EXPECT_NE(span.error().message.find("jeonbuk_35.75N_127.25E_2026.csv"), std::string::npos) << span.error().message;
  EXPECT_NE(span.error().message.find("2026"), std::string::npos);
}

// The Gwangju station's typical year (EPW, 76 km from the hospital) gives every year weather,
// 2026 included, for which no measured file exists. Its PV year is checked against the 2024
// Open-Meteo (ERA5) year of the site's own grid cell: a different place and other years, so only
// the order of magnitude must agree (within 15 %).
TEST_F(SiteInputsTest, ATypicalYearGivesAnyYearItsPvAndTheMountingCountsHeat) {
  Site epw = site_;
  epw.weather = {std::string(MEG_TEST_SHARED_DIR) + "/data/weather/KOR_KJ_Gwangju.471560_TMYx.2011-2025.epw", "epw"};
  epw.load.year = 2026;
  auto y2026 = PrepareSiteInputs(epw, calendar_);
  ASSERT_TRUE(y2026) << y2026.error().message;
  EXPECT_EQ(y2026->load.size(), 365u * 96u);
  EXPECT_EQ(y2026->load.start(), FromKst(Date{std::chrono::year{2026} / 1 / 1}));
  for (size_t i = 0; i < y2026->temp_c.size(); ++i) ASSERT_TRUE(y2026->temp_c.at(i).has_value()) << i;
  const double era5 = inputs_.pv_energy.value(), tmyx = y2026->pv_energy.value();
  EXPECT_NEAR(tmyx / era5, 1.0, 0.15) << "TMYx " << tmyx << " kWh, ERA5 2024 " << era5 << " kWh";

  // The same year on a roof: hotter cells, less energy, by about the temperature coefficient
  // times the extra heating (about 9 K at full sun, less on average): between 0.5 % and 4 %.
  Site roof = epw;
  for (auto& a : roof.pv) {
    a.heat_loss_u0_w_m2k = 20.0 / 0.81;
    a.heat_loss_u1_w_s_m3k = 0;
  }
  auto on_roof = PrepareSiteInputs(roof, calendar_);
  ASSERT_TRUE(on_roof) << on_roof.error().message;
  const double loss = 1 - on_roof->pv_energy.value() / tmyx;
  EXPECT_GT(loss, 0.005);
  EXPECT_LT(loss, 0.04);
}

// load.format = "meter-download": the hospital's 2024 load as KEPCO's download writes it (UTF-8
// with a byte-order mark, 검침일 labels at each interval's end, 24:00 for midnight, kWh) gives the
// same series as the same numbers in OpenMEG's usage CSV.
TEST_F(SiteInputsTest, AMeterDownloadLoadIsTheSameAsItsUsageCsv) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("meg_site_inputs_{}", getpid());
  std::filesystem::create_directories(dir);
  const auto iso_path = (dir / "load.csv").string();
  const auto kepco_path = (dir / "kepco.csv").string();
  const std::string iso = FormatUsageCsv(inputs_.load);
  ASSERT_TRUE(WriteTextFile(iso_path, iso));
  auto parsed = ParseUsageCsv(iso, iso_path);
  ASSERT_TRUE(parsed) << parsed.error().message;
  std::string kepco = "\xEF\xBB\xBF계기번호,고객번호,검침일,순방향 유효전력량(KWH)\n";
  for (size_t i = 0; i < parsed->kw.size(); ++i) {
    const auto end = ToKst(parsed->kw.TimeAt(i) + kInterval);
    const bool midnight = end.minute_of_day == 0;
    const int minute = midnight ? 1440 : end.minute_of_day;
    kepco += fmt::format("1,2,{} {:02d}:{:02d},{}\n", FormatDate(midnight ? AddDays(end.date, -1) : end.date),
                         minute / 60, minute % 60, parsed->kw.at(i)->value() * 0.25);
  }
  ASSERT_TRUE(WriteTextFile(kepco_path, kepco));

  Site a = site_, b = site_;
  a.load.file = iso_path;
  a.load.format = "usage-csv";
  a.load.scale = 1.0;
  b.load = a.load;
  b.load.file = kepco_path;
  b.load.format = "meter-download";
  auto sa = LoadSeriesForYear(a, calendar_);
  auto sb = LoadSeriesForYear(b, calendar_);
  ASSERT_TRUE(sa) << sa.error().message;
  ASSERT_TRUE(sb) << sb.error().message;
  ASSERT_EQ(sa->start(), sb->start());
  ASSERT_EQ(sa->size(), 366u * 96u);
  ASSERT_EQ(sb->size(), sa->size());
  for (size_t i = 0; i < sa->size(); ++i) ASSERT_EQ(sa->at(i)->value(), sb->at(i)->value()) << i;

  // The ISO file under format = "meter-download" is refused: the format is named wrong.
  b.load.file = iso_path;
  auto wrong = LoadSeriesForYear(b, calendar_);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("say load.format = \"usage-csv\""), std::string::npos);
}

}  // namespace
}  // namespace meg
