#include "io/open_meteo_forecast.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "io/open_meteo.h"
#include "io/text_file.h"
#include "support/forecast_json.h"

namespace meg {
namespace {

using std::chrono::hours;
using ::testing::HasSubstr;

// The Jeonju hospital of the shipped sites (35.82 N 127.15 E), 11.9 km from the Jeonbuk ERA5
// grid point.
Location Jeonju() {
  Location l;
  l.latitude_deg = 35.82;
  l.longitude_deg = 127.15;
  return l;
}

Timestamp Utc(std::string_view iso) { return *ParseIso8601(iso); }

TEST(OpenMeteoForecastTest, TheRequestAsksForTheFiveHourlyVariablesInUnixTimeAndMetresPerSecond) {
  WeatherForecastSpec spec;
  spec.days = 2;
  EXPECT_EQ(OpenMeteoForecastUrl(spec, Jeonju()),
            "https://api.open-meteo.com/v1/forecast?latitude=35.8200&longitude=127.1500&hourly=shortwave_radiation,"
            "direct_normal_irradiance,diffuse_radiation,temperature_2m,wind_speed_10m&models=kma_seamless&"
            "forecast_days=2&past_days=1&timezone=GMT&timeformat=unixtime&wind_speed_unit=ms");
  spec.url = "http://127.0.0.1:8080/v1/kma?apikey=k";
  spec.model = "kma_ldps";
  EXPECT_THAT(OpenMeteoForecastUrl(spec, Jeonju()),
              ::testing::StartsWith("http://127.0.0.1:8080/v1/kma?apikey=k&latitude=35.8200&"));
}

// Three hours written by hand: 1723431600 is 2024-08-12T03:00Z (12:00 KST). The radiation of
// the row at 03:00Z is the mean of 02:00-03:00Z, so the radiation series starts at 02:00Z; the
// samples at 03:00Z. A null is a gap.
constexpr const char* kThreeHours = R"({"latitude":35.75,"longitude":127.25,"generationtime_ms":0.3,
 "utc_offset_seconds":0,"timezone":"GMT","timezone_abbreviation":"GMT","elevation":42.0,
 "hourly_units":{"time":"unixtime","shortwave_radiation":"W/m²","direct_normal_irradiance":"W/m²",
   "diffuse_radiation":"W/m²","temperature_2m":"°C","wind_speed_10m":"m/s"},
 "hourly":{"time":[1723431600,1723435200,1723438800],
   "shortwave_radiation":[812.0,790.5,null],"direct_normal_irradiance":[640,601.25,null],
   "diffuse_radiation":[201,215,null],"temperature_2m":[33.1,33.6,33.2],"wind_speed_10m":[2.1,2.4,null]}})";

TEST(OpenMeteoForecastTest, ParsesTheHoursWithRadiationNamedByTheHourBefore) {
  auto f = ParseOpenMeteoForecast(kThreeHours, "om", Jeonju(), 25);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->weather.ghi_w_m2.start(), Utc("2024-08-12T02:00:00Z"));
  EXPECT_EQ(f->weather.temp_air_c.start(), Utc("2024-08-12T03:00:00Z"));
  ASSERT_EQ(f->weather.ghi_w_m2.size(), 3u);
  EXPECT_EQ(*f->weather.ghi_w_m2.at(0), 812.0);
  EXPECT_EQ(*f->weather.dni_w_m2.at(1), 601.25);
  EXPECT_EQ(*f->weather.dhi_w_m2.at(1), 215.0);
  EXPECT_FALSE(f->weather.ghi_w_m2.at(2));
  EXPECT_EQ(*f->weather.temp_air_c.at(2), 33.2);
  EXPECT_FALSE(f->weather.wind_speed_m_s.at(2));
  // Haversine on a 6,371 km sphere from 35.75 N 127.25 E to 35.82 N 127.15 E (by hand, with
  // Python's math module): 11.914 km.
  EXPECT_NEAR(f->distance_km, 11.914, 0.001);
}

// The shared ERA5 hours of Jeonbuk, written as a forecast response, read back to the same values
// as the archive reader gives for the same hours.
TEST(OpenMeteoForecastTest, TheSharedHoursReadBackAsTheArchiveReaderReadsThem) {
  const std::string path = MEG_TEST_SHARED_DIR "/data/weather/jeonbuk_35.75N_127.25E_2024.csv";
  auto text = ReadTextFile(path);
  ASSERT_TRUE(text) << text.error().message;
  auto archive = ParseOpenMeteoCsv(*text, path);
  ASSERT_TRUE(archive) << archive.error().message;
  const Timestamp first = Utc("2024-08-12T00:00:00Z");
  const std::string body = testing::ForecastJson(*archive, first, 72, testing::kJeonbukLat, testing::kJeonbukLon);
  auto f = ParseOpenMeteoForecast(body, "om", Jeonju(), 25);
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->weather.ghi_w_m2.size(), 72u);
  for (int k = 0; k < 72; ++k) {
    const Timestamp hour = first - hours(1) + hours(k);  // the radiation's hour
    const Timestamp sample = first + hours(k);
    const auto i = *archive->ghi_w_m2.IndexOf(hour);
    const auto j = *archive->temp_air_c.IndexOf(sample);
    EXPECT_EQ(f->weather.ghi_w_m2.at(k), archive->ghi_w_m2.at(i)) << k;
    EXPECT_EQ(f->weather.dni_w_m2.at(k), archive->dni_w_m2.at(i)) << k;
    EXPECT_EQ(f->weather.dhi_w_m2.at(k), archive->dhi_w_m2.at(i)) << k;
    EXPECT_EQ(f->weather.temp_air_c.at(k), archive->temp_air_c.at(j)) << k;
    EXPECT_EQ(f->weather.wind_speed_m_s.at(k), archive->wind_speed_m_s.at(j)) << k;
  }
  EXPECT_EQ(f->weather.ghi_w_m2.TimeAt(0), archive->ghi_w_m2.TimeAt(*archive->ghi_w_m2.IndexOf(first - hours(1))));
}

std::string ErrorOf(std::string_view text, double max_km = 25) {
  auto f = ParseOpenMeteoForecast(text, "http://127.0.0.1/v1/forecast", Jeonju(), max_km);
  return f ? "" : f.error().message;
}

std::string Replaced(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(OpenMeteoForecastTest, ABadResponseIsRefusedSayingWhy) {
  const std::string good = kThreeHours;
  EXPECT_EQ(ErrorOf(good), "");
  EXPECT_THAT(ErrorOf(good.substr(0, good.size() / 2)),
              HasSubstr("http://127.0.0.1/v1/forecast: the response is not JSON or is cut short"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("not JSON or is cut short (0 bytes)"));
  EXPECT_THAT(ErrorOf(R"({"error":true,"reason":"Cannot initialize WeatherVariable from invalid String value x"})"),
              HasSubstr("the provider refused the request: Cannot initialize WeatherVariable"));
  EXPECT_THAT(ErrorOf("[1,2]"), HasSubstr("not a JSON object"));
  // Seoul's grid point for a Jeonju site: 194.8 km away (haversine, by hand).
  EXPECT_THAT(ErrorOf(Replaced(Replaced(good, "35.75", "37.5665"), "127.25", "126.978")),
              HasSubstr("the forecast is for 37.5665 N 126.9780 E, 195 km from the site at 35.8200 N 127.1500 E"));
  EXPECT_THAT(ErrorOf(good, 10), HasSubstr("12 km from the site"));
  EXPECT_THAT(ErrorOf(Replaced(good, R"("latitude":35.75,)", "")), HasSubstr("no valid latitude and longitude"));
  EXPECT_THAT(ErrorOf(Replaced(good, R"("m/s")", R"("km/h")")),
              HasSubstr("wind_speed_10m is in 'km/h', expected 'm/s'"));
  EXPECT_THAT(ErrorOf(Replaced(good, R"("time":"unixtime")", R"("time":"iso8601")")),
              HasSubstr("hourly time is in 'iso8601', expected unixtime"));
  EXPECT_THAT(ErrorOf(Replaced(good, "1723435200", "1723436100")),
              HasSubstr("hourly time 1 (2024-08-12T13:15:00+09:00) is not on the hour"));
  EXPECT_THAT(ErrorOf(Replaced(good, "1723438800", "1723442400")),
              HasSubstr("hourly time 2 (2024-08-12T15:00:00+09:00) does not follow 2024-08-12T13:00:00+09:00"));
  EXPECT_THAT(ErrorOf(Replaced(good, "[33.1,33.6,33.2]", "[33.1,33.6]")),
              HasSubstr("hourly temperature_2m has 2 values for 3 times"));
  EXPECT_THAT(ErrorOf(Replaced(good, "812.0", "\"812\"")), HasSubstr("shortwave_radiation at 2024-08-12T12:00"));
  EXPECT_THAT(ErrorOf(Replaced(good, "812.0", "-3")),
              HasSubstr("shortwave_radiation at 2024-08-12T12:00:00+09:00 is -3, negative"));
  EXPECT_THAT(ErrorOf(Replaced(good, R"("time":[1723431600,1723435200,1723438800],)", "")),
              HasSubstr("no hourly times"));
  EXPECT_THAT(ErrorOf(Replaced(good, R"("hourly":{)", R"("daily":{)")), HasSubstr("no hourly data"));
}

}  // namespace
}  // namespace meg
