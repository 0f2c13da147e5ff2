// Site files: a good file round trip, the shipped Jeonju hospital, and a table of bad files each
// refused with the file, the line and the reason.
#include "io/site_config.h"

#include <gtest/gtest.h>

#include <set>

#include <fmt/format.h>

namespace meg {
namespace {

SitePaths Paths() {
  SitePaths p;
  p.site_dir = "/sites";
  p.data_dir = "/data";
  p.shared_dir = "/shared";
  p.file_exists = [](const std::string& path) { return path.find("missing") == std::string::npos; };
  return p;
}

const char* kGood = R"([site]
name = "Test hospital"
latitude_deg = 35.82
longitude_deg = 127.15
time_zone = "Asia/Seoul"

[tariff]
name = "일반용(을) 고압A 선택II"
contract_kw = 1700

[load]
file = "${shared}/data/load/hospital.csv"
format = "doe-hospital"
year = 2024

[weather]
file = "weather.csv"
format = "open-meteo"

[[pv]]
name = "rooftop"
dc_kwp = 300
tilt_deg = 25
azimuth_deg = 180
inverter_kw = 250

[ess]
usable_kwh = 1000
charge_kw = 500
discharge_kw = 400
charge_efficiency_pct = 96
discharge_efficiency_pct = 95
soc_min_pct = 10
soc_max_pct = 80
degradation_krw_per_kwh = 71

[grid]
export_allowed = false
)";

TEST(SiteConfigTest, ParsesAGoodFile) {
  auto site = ParseSiteToml(kGood, "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->name, "Test hospital");
  EXPECT_EQ(site->file, "good.toml");
  EXPECT_DOUBLE_EQ(site->location.latitude_deg, 35.82);
  EXPECT_EQ(site->tariff, "일반용(을) 고압A 선택II");
  EXPECT_DOUBLE_EQ(site->contract_power.value(), 1700);
  EXPECT_EQ(site->load.file, "/shared/data/load/hospital.csv");
  EXPECT_EQ(site->load.year, 2024);
  EXPECT_DOUBLE_EQ(site->load.scale, 1.0);              // default
  EXPECT_EQ(site->weather.file, "/sites/weather.csv");  // relative to the site file
  ASSERT_EQ(site->pv.size(), 1u);
  EXPECT_DOUBLE_EQ(site->pv[0].dc_kwp.value(), 300);
  EXPECT_DOUBLE_EQ(site->pv[0].losses_pct, 14);  // default
  ASSERT_TRUE(site->ess.has_value());
  EXPECT_DOUBLE_EQ(site->ess->discharge_kw.value(), 400);
  EXPECT_DOUBLE_EQ(site->ess->soc_initial_pct, 45);  // default: the window's midpoint
  EXPECT_EQ(site->ess->degradation_cost.milli_won(), 71'000);
  EXPECT_FALSE(site->grid.export_allowed);
}

TEST(SiteConfigTest, RefusesBadFilesWithLineAndReason) {
  struct Case {
    const char* what;
    std::string from, to;  // replace `from` in the good file by `to`
    const char* expect;
  };
  const Case cases[] = {
      {"unknown key", "year = 2024", "year = 2024\nbogus_kw = 3", "good.toml:15: unknown key load.bogus_kw"},
      {"missing unit", "usable_kwh = 1000", "usable = 1000", "ess.usable"},
      {"wrong unit", "usable_kwh = 1000", "usable_mwh = 1", "did you mean usable_kwh"},
      {"SoC window outside 0..100", "soc_min_pct = 10", "soc_min_pct = 120",
       "good.toml:33: ess.soc_min_pct = 120 is outside 0..100"},
      {"min above max", "soc_min_pct = 10", "soc_min_pct = 85", "soc_min_pct"},
      {"negative capacity", "dc_kwp = 300", "dc_kwp = -5", "good.toml:22: pv[0].dc_kwp = -5 must be > 0"},
      {"wrong type", "contract_kw = 1700", "contract_kw = \"1700\"", "tariff.contract_kw"},
      {"missing required key", "contract_kw = 1700\n", "", "tariff.contract_kw is missing"},
      {"bad placeholder", "${shared}", "${nowhere}", "${nowhere}"},
      {"missing data file", "weather.csv", "missing.csv", "/sites/missing.csv"},
      {"time zone", "Asia/Seoul", "Europe/Rome", "time_zone"},
      {"syntax", "[grid]", "[grid", "good.toml:"},
      {"duplicate key", "charge_kw = 500", "charge_kw = 500\ncharge_kw = 600", "good.toml:"},
  };
  for (const Case& c : cases) {
    std::string text = kGood;
    const auto at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.what;
    text.replace(at, c.from.size(), c.to);
    auto site = ParseSiteToml(text, "good.toml", Paths());
    ASSERT_FALSE(site) << c.what;
    EXPECT_EQ(site.error().code, ErrorCode::kInvalidInput) << c.what;
    EXPECT_NE(site.error().message.find(c.expect), std::string::npos) << c.what << ":\n" << site.error().message;
  }
}

// kGood with `from` replaced by `to`.
std::string GoodWith(const std::string& from, const std::string& to) {
  std::string text = kGood;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A meter download's reading options: taken for format = "meter-download", checked, and refused
// for any other format.
TEST(SiteConfigTest, MeterDownloadLoadOptions) {
  auto site = ParseSiteToml(GoodWith("format = \"doe-hospital\"",
                                     "format = \"meter-download\"\nlabels = \"start\"\nunit = \"kw\"\n"
                                     "encoding = \"cp949\"\ntime_column = \"검침일시\"\nvalue_column = \"4\"\n"
                                     "sheet = \"15분\""),
                            "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->load.format, "meter-download");
  EXPECT_EQ(site->load.labels, "start");
  EXPECT_EQ(site->load.unit, "kw");
  EXPECT_EQ(site->load.encoding, "cp949");
  EXPECT_EQ(site->load.time_column, "검침일시");
  EXPECT_EQ(site->load.value_column, "4");
  EXPECT_EQ(site->load.sheet, "15분");
  auto other = ParseSiteToml(GoodWith("year = 2024\n", "year = 2024\nlabels = \"end\"\n"), "good.toml", Paths());
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("load.labels = \"end\" applies to format = \"meter-download\" only"),
            std::string::npos)
      << other.error().message;
  auto bad = ParseSiteToml(GoodWith("format = \"doe-hospital\"", "format = \"meter-download\"\nlabels = \"middle\""),
                           "good.toml", Paths());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("load.labels = \"middle\" is not one of \"end\", \"start\""), std::string::npos)
      << bad.error().message;
}

// A PV array's mounting picks its cell temperature coefficients (core/site.h kPvMountings), which
// measured ones override; albedo and the weather formats other than Open-Meteo are taken.
TEST(SiteConfigTest, PvMountingAlbedoAndWeatherFormats) {
  auto site = ParseSiteToml(GoodWith("inverter_kw = 250", "inverter_kw = 250\nmounting = \"roof-mount\"\nalbedo = 0.3"),
                            "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->pv[0].mounting, "roof-mount");
  EXPECT_NEAR(site->pv[0].heat_loss_u0_w_m2k, 24.69, 0.01);  // PVsyst's Uc = 20 / (0.9 x 0.9)
  EXPECT_EQ(site->pv[0].heat_loss_u1_w_s_m3k, 0);
  EXPECT_EQ(site->pv[0].albedo, 0.3);
  auto measured = ParseSiteToml(GoodWith("inverter_kw = 250",
                                         "inverter_kw = 250\nmounting = \"insulated-back\"\nheat_loss_u0_w_m2k = 21.5"),
                                "good.toml", Paths());
  ASSERT_TRUE(measured) << measured.error().message;
  EXPECT_EQ(measured->pv[0].heat_loss_u0_w_m2k, 21.5);
  auto plain = ParseSiteToml(kGood, "good.toml", Paths());
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->pv[0].mounting, "open-rack");
  EXPECT_EQ(plain->pv[0].heat_loss_u0_w_m2k, 25.0);
  EXPECT_EQ(plain->pv[0].heat_loss_u1_w_s_m3k, 6.84);
  auto bad =
      ParseSiteToml(GoodWith("inverter_kw = 250", "inverter_kw = 250\nmounting = \"pole\""), "good.toml", Paths());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"open-rack\", \"roof-mount\", \"insulated-back\""), std::string::npos)
      << bad.error().message;
  auto dark = ParseSiteToml(GoodWith("inverter_kw = 250", "inverter_kw = 250\nalbedo = 1.5"), "good.toml", Paths());
  ASSERT_FALSE(dark);
  EXPECT_NE(dark.error().message.find("albedo = 1.5 is outside 0..1"), std::string::npos) << dark.error().message;
  for (const char* format : {"epw", "tmy3", "psm3"}) {
    auto w = ParseSiteToml(GoodWith("format = \"open-meteo\"", fmt::format("format = \"{}\"", format)), "good.toml",
                           Paths());
    ASSERT_TRUE(w) << format << ": " << w.error().message;
    EXPECT_EQ(w->weather.format, format);
  }
}

// Issue 21, item 2: [weather_forecast] is optional; its keys default to Open-Meteo's forecast API
// with KMA's seamless model, every hour; each is checked.
TEST(SiteConfigTest, ALiveWeatherForecastIsOptionalAndChecked) {
  auto plain = ParseSiteToml(kGood, "good.toml", Paths());
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->weather_forecast);
  const std::string weather = "format = \"open-meteo\"\n";
  auto defaults = ParseSiteToml(GoodWith(weather, weather + "\n[weather_forecast]\n"), "good.toml", Paths());
  ASSERT_TRUE(defaults) << defaults.error().message;
  ASSERT_TRUE(defaults->weather_forecast);
  EXPECT_EQ(defaults->weather_forecast->url, "https://api.open-meteo.com/v1/forecast");
  EXPECT_EQ(defaults->weather_forecast->model, "kma_seamless");
  EXPECT_EQ(defaults->weather_forecast->every_min, 60);
  EXPECT_EQ(defaults->weather_forecast->timeout_s, 20);
  EXPECT_EQ(defaults->weather_forecast->days, 3);
  EXPECT_EQ(defaults->weather_forecast->max_distance_km, 25);
  auto given = ParseSiteToml(
      GoodWith(weather, weather + "\n[weather_forecast]\nurl = \"http://127.0.0.1:8080/v1/kma\"\nmodel = "
                                  "\"kma_ldps\"\nevery_min = 30\ntimeout_s = 5\ndays = 2\nmax_distance_km = 10.5\n"),
      "good.toml", Paths());
  ASSERT_TRUE(given) << given.error().message;
  EXPECT_EQ(given->weather_forecast->url, "http://127.0.0.1:8080/v1/kma");
  EXPECT_EQ(given->weather_forecast->model, "kma_ldps");
  EXPECT_EQ(given->weather_forecast->every_min, 30);
  EXPECT_EQ(given->weather_forecast->timeout_s, 5);
  EXPECT_EQ(given->weather_forecast->days, 2);
  EXPECT_EQ(given->weather_forecast->max_distance_km, 10.5);
  auto bad =
      ParseSiteToml(GoodWith(weather, weather +
                                          "\n[weather_forecast]\nurl = \"ftp://x\"\nmodel = \"KMA,gfs\"\nevery_min = "
                                          "4\ndays = 17\ntimeout_min = 5\n"),
                    "good.toml", Paths());
  ASSERT_FALSE(bad);
  for (const char* s :
       {"weather_forecast.url = \"ftp://x\" is not a URL: expected http://host[:port]/path",
        "weather_forecast.model = \"KMA,gfs\" is not an Open-Meteo model name",
        "weather_forecast.every_min = 4 is outside 5..1440", "weather_forecast.days = 17 is outside 1..16",
        "unknown key weather_forecast.timeout_min = 5 (did you mean timeout_s? the unit of timeout is s)"}) {
    EXPECT_NE(bad.error().message.find(s), std::string::npos) << s << "\n" << bad.error().message;
  }
}

// A weather file named with ${year} is the file of each year (meg simulate --year, --history-from):
// checked for the load's year, kept as a template; ${year} anywhere else is refused.
TEST(SiteConfigTest, AWeatherFileNamesEachYear) {
  auto site = ParseSiteToml(GoodWith("file = \"weather.csv\"", "file = \"${shared}/w/jeonbuk_${year}.csv\""),
                            "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->weather.file, "/shared/w/jeonbuk_${year}.csv");
  EXPECT_EQ(WeatherFileFor(site->weather, 2025), "/shared/w/jeonbuk_2025.csv");
  EXPECT_EQ(WithYear("a_${year}/b_${year}.csv", 2023), "a_2023/b_2023.csv");
  // The load's year must have its file (the fixture's file_exists refuses paths with "missing").
  auto missing =
      ParseSiteToml(GoodWith("file = \"weather.csv\"", "file = \"missing_${year}.csv\""), "good.toml", Paths());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/sites/missing_2024.csv"), std::string::npos) << missing.error().message;
  // Only weather files take it.
  auto load = ParseSiteToml(GoodWith("${shared}/data/load/hospital.csv", "${shared}/data/load/h_${year}.csv"),
                            "good.toml", Paths());
  ASSERT_FALSE(load);
  EXPECT_NE(load.error().message.find("${year}"), std::string::npos) << load.error().message;
}

// Issue 16: a wear cost of 9.3e15 KRW/kWh overflowed to a negative cost; a contract power of
// 0.001 or 1e300 kW passed `meg site check` while the bill engine refuses anything outside
// 300..10,000,000 kW (core/site.h, one constant for both).
TEST(SiteConfigTest, RefusesTheValuesThatBrokeLater) {
  auto wear =
      ParseSiteToml(GoodWith("degradation_krw_per_kwh = 71", "degradation_krw_per_kwh = 9.3e15"), "good.toml", Paths());
  ASSERT_FALSE(wear);
  EXPECT_NE(wear.error().message.find(
                "good.toml:35: ess.degradation_krw_per_kwh = 9300000000000000 is outside 0..10000"),
            std::string::npos)
      << wear.error().message;
  // The file's range is every class's; the class's own (299 kW is no (을) contract) is checked
  // with the tariff by the site loader (AppSiteLoaderTest).
  for (const char* kw : {"0.001", "1e300", "0.5", "10000001"}) {
    auto contract =
        ParseSiteToml(GoodWith("contract_kw = 1700", std::string("contract_kw = ") + kw), "good.toml", Paths());
    ASSERT_FALSE(contract) << kw;
    EXPECT_NE(contract.error().message.find("is outside 1..10000000 (a whole number of kW; each class's own range"),
              std::string::npos)
        << contract.error().message;
  }
  auto fraction = ParseSiteToml(GoodWith("contract_kw = 1700", "contract_kw = 1700.5"), "good.toml", Paths());
  ASSERT_FALSE(fraction);
  EXPECT_NE(fraction.error().message.find("good.toml:9: tariff.contract_kw = 1700.5 is not a whole number of kW"),
            std::string::npos)
      << fraction.error().message;
}

// Issue 16: a bad value or key is echoed cut to 60 bytes and its length, not whole.
TEST(SiteConfigTest, EchoesAtMostSixtyBytesOfABadValueOrKey) {
  const std::string huge(100'000, 'z');
  auto value =
      ParseSiteToml(GoodWith("time_zone = \"Asia/Seoul\"", "time_zone = \"" + huge + "\""), "good.toml", Paths());
  ASSERT_FALSE(value);
  EXPECT_LT(value.error().message.size(), 400u);
  EXPECT_NE(value.error().message.find("site.time_zone = \"" + std::string(60, 'z') + "... (100000 bytes)\""),
            std::string::npos)
      << value.error().message.substr(0, 400);
  auto key = ParseSiteToml(GoodWith("year = 2024", "year = 2024\n" + huge + "_kw = 1"), "good.toml", Paths());
  ASSERT_FALSE(key);
  EXPECT_LT(key.error().message.size(), 600u) << key.error().message.substr(0, 600);
}

// Each numeric key at both ends of its range is accepted and just beyond is refused, naming the
// range: the key table of site_config.cc is the one place the ranges live (docs/site-config.md).
TEST(SiteConfigTest, EveryKeyAcceptsItsBoundsAndRefusesBeyond) {
  struct Case {
    std::string from;  // the line of kGood to replace ("" = append to `anchor`)
    std::string key;   // its key
    std::vector<std::string> good, bad;
    std::string range;  // as the message writes it
  };
  const Case cases[] = {
      {"contract_kw = 1700", "contract_kw", {"1", "10000000"}, {"0.5", "10000001"}, "is outside 1..10000000"},
      {"contract_kw = 1700", "reading_day", {"1", "28"}, {"0", "29"}, "is outside 1..28"},
      {"latitude_deg = 35.82", "latitude_deg", {"-90", "90"}, {"-90.01", "90.01"}, "is outside -90..90"},
      {"longitude_deg = 127.15", "longitude_deg", {"-180", "180"}, {"-180.5", "181"}, "is outside -180..180"},
      {"year = 2024", "year", {"2018", "2027"}, {"2017", "2028"}, "is outside 2018..2027"},
      {"year = 2024", "scale", {"0.001", "1000"}, {"0", "1000.1"}, "must be > 0 and <= 1000"},
      {"dc_kwp = 300", "dc_kwp", {"0.1", "10000000"}, {"0", "10000001"}, "must be > 0 and <= 10000000"},
      {"tilt_deg = 25", "tilt_deg", {"0", "90"}, {"-1", "91"}, "is outside 0..90"},
      {"inverter_kw = 250", "inverter_kw", {"1", "10000000"}, {"-1", "1e9"}, "must be > 0 and <= 10000000"},
      {"usable_kwh = 1000", "usable_kwh", {"1", "100000000"}, {"0", "100000001"}, "must be > 0 and <= 100000000"},
      {"charge_kw = 500", "charge_kw", {"1", "10000000"}, {"0", "2e7"}, "must be > 0 and <= 10000000"},
      {"charge_efficiency_pct = 96", "charge_efficiency_pct", {"50", "100"}, {"49.9", "101"}, "is outside 50..100"},
      {"degradation_krw_per_kwh = 71",
       "degradation_krw_per_kwh",
       {"0", "10000"},
       {"-1", "10000.5"},
       "is outside 0..10000"},
      {"export_allowed = false", "export_limit_kw", {"1", "10000000"}, {"-1", "10000001"}, "is outside 0..10000000"},
  };
  for (const Case& c : cases) {
    const auto text = [&](const std::string& v) {
      if (c.key == "scale") return GoodWith(c.from, c.from + "\nscale = " + v);
      if (c.key == "reading_day") return GoodWith(c.from, c.from + "\nreading_day = " + v);
      if (c.key == "export_limit_kw") return GoodWith(c.from, "export_allowed = true\nexport_limit_kw = " + v);
      return GoodWith(c.from, c.key + " = " + v);
    };
    for (const auto& v : c.good) {
      auto site = ParseSiteToml(text(v), "good.toml", Paths());
      EXPECT_TRUE(site) << c.key << " = " << v << ": " << (site ? "" : site.error().message);
    }
    for (const auto& v : c.bad) {
      auto site = ParseSiteToml(text(v), "good.toml", Paths());
      ASSERT_FALSE(site) << c.key << " = " << v;
      EXPECT_NE(site.error().message.find(c.key + " = "), std::string::npos) << site.error().message;
      EXPECT_NE(site.error().message.find(c.range), std::string::npos)
          << c.key << " = " << v << ": " << site.error().message;
    }
  }
}

TEST(SiteConfigTest, ShippedJeonjuHospitalLoads) {
  auto site = LoadSiteFile(std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital.toml", MEG_TEST_DATA_DIR,
                           std::string(MEG_TEST_SHARED_DIR));
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->tariff, "일반용(을) 고압A 선택II");
  EXPECT_DOUBLE_EQ(site->contract_power.value(), 1700);
  EXPECT_EQ(site->load.format, "doe-hospital");
  EXPECT_EQ(site->load.year, 2024);
  ASSERT_EQ(site->pv.size(), 1u);
  ASSERT_TRUE(site->ess.has_value());
  EXPECT_DOUBLE_EQ(site->ess->soc_max_pct, 80);  // indoor ESS: the 80 % safety cap
  EXPECT_FALSE(site->grid.export_allowed);
  auto missing = LoadSiteFile("/nonexistent/site.toml", MEG_TEST_DATA_DIR, MEG_TEST_SHARED_DIR);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

const char* kDevices = R"(
[[device]]
id = "meter"
kind = "meter"
protocol = "modbus-tcp"
host = "10.0.0.5"
unit_id = 3

[[device]]
id = "ess1"
kind = "battery"
protocol = "modbus-tcp"
host = "10.0.0.6"
port = 1502
sunspec = false
power_sign_inverted = true
[device.registers]
power_kw = { address = 100, type = "int32", scale = 0.1, input = true }
soc_pct = { address = 102, type = "uint16", scale = 0.1 }
setpoint_kw = { address = 200, type = "int16" }

[[device]]
id = "pv-east"
kind = "pv"
protocol = "mqtt"
host = "broker.local"
topic_prefix = "site7/pv-east"
lost_after_ms = 5000
)";

TEST(SiteConfigTest, DevicesParseWithDefaultsAndVendorMaps) {
  auto site = ParseSiteToml(std::string(kGood) + kDevices, "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  ASSERT_EQ(site->devices.size(), 3u);
  const DeviceSpec& meter = site->devices[0];
  EXPECT_EQ(meter.kind, DeviceKind::kMeter);
  EXPECT_EQ(meter.modbus.port, 502);  // the Modbus TCP port by default
  EXPECT_EQ(meter.modbus.unit_id, 3);
  EXPECT_TRUE(meter.modbus.sunspec);
  EXPECT_EQ(meter.modbus.sunspec_base, 40000);
  const DeviceSpec& ess = site->devices[1];
  EXPECT_EQ(ess.modbus.port, 1502);
  EXPECT_FALSE(ess.modbus.sunspec);
  EXPECT_TRUE(ess.modbus.map.power_sign_inverted);
  EXPECT_EQ(ess.modbus.map.power_kw.address, 100);
  EXPECT_EQ(ess.modbus.map.power_kw.type, RegisterField::Type::kInt32);
  EXPECT_DOUBLE_EQ(ess.modbus.map.power_kw.scale, 0.1);
  EXPECT_TRUE(ess.modbus.map.power_kw.input_register);
  EXPECT_EQ(ess.modbus.map.setpoint_kw.address, 200);
  EXPECT_EQ(ess.modbus.map.rated_kw.address, -1);  // not mapped
  const DeviceSpec& pv = site->devices[2];
  EXPECT_EQ(pv.protocol, DeviceProtocol::kMqtt);
  EXPECT_EQ(pv.mqtt.port, 1883);
  EXPECT_EQ(pv.mqtt.topic_prefix, "site7/pv-east");
  EXPECT_EQ(pv.mqtt.lost_after_ms, 5000);
}

// MQTT credentials and TLS: files resolved from the site file's folder (/sites here).
TEST(SiteConfigTest, MqttCredentialsAndTlsFilesAreResolved) {
  std::string text = std::string(kGood) + kDevices;
  const std::string from = "lost_after_ms = 5000";
  text.replace(text.find(from), from.size(),
               "username = \"meg\"\npassword_file = \"secrets/broker.pw\"\ntls_ca_file = \"${shared}/ca.crt\"\n"
               "tls_cert_file = \"meg.crt\"\ntls_key_file = \"meg.key\"");
  auto site = ParseSiteToml(text, "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  const MqttSpec& m = site->devices[2].mqtt;
  EXPECT_EQ(m.username, "meg");
  EXPECT_EQ(m.password_file, "/sites/secrets/broker.pw");
  EXPECT_EQ(m.tls_ca_file, "/shared/ca.crt");
  EXPECT_EQ(m.tls_cert_file, "/sites/meg.crt");
  EXPECT_EQ(m.tls_key_file, "/sites/meg.key");
}

TEST(SiteConfigTest, BadDevicesAreRefusedWithTheReason) {
  struct Case {
    const char* what;
    std::string from, to;
    const char* expect;
  };
  const Case cases[] = {
      {"unknown kind", "kind = \"meter\"", "kind = \"chiller\"", "device[0].kind = \"chiller\" is not one of"},
      {"unknown protocol", "protocol = \"mqtt\"", "protocol = \"bacnet\"", "device[2].protocol"},
      {"port range", "port = 1502", "port = 70000", "device[1].port = 70000 is outside 1..65535"},
      {"repeated id", "id = \"pv-east\"", "id = \"ess1\"", "repeats an earlier [[device]] id"},
      {"battery without setpoint", "setpoint_kw = { address = 200, type = \"int16\" }", "",
       "a battery needs registers.setpoint_kw"},
      {"bad register type", "type = \"int32\"", "type = \"int64\"", "device[1].registers.power_kw.type"},
      {"zero scale", "scale = 0.1, input", "scale = 0, input", "must not be 0"},
      {"modbus key on mqtt", "lost_after_ms = 5000", "unit_id = 4", "does not apply to protocol \"mqtt\""},
      {"no meter", "kind = \"meter\"", "kind = \"pv\"", "needs a kind = \"meter\""},
      {"wildcard topic", "topic_prefix = \"site7/pv-east\"", "topic_prefix = \"site7/#\"", "no MQTT wildcards"},
      {"writable input register", "setpoint_kw = { address = 200, type = \"int16\" }",
       "setpoint_kw = { address = 200, input = true }", "cannot be an input register"},
      // Issue 16: no exchange may last long; one must end within half the loss time.
      {"timeout beyond its range", "unit_id = 3", "unit_id = 3\ntimeout_ms = 30000",
       "device[0].timeout_ms = 30000 is outside 10..5000"},
      {"retries beyond their range", "unit_id = 3", "unit_id = 3\nretries = 10",
       "device[0].retries = 10 is outside 0..5"},
      {"exchange longer than half the loss time", "unit_id = 3",
       "unit_id = 3\ntimeout_ms = 5000\nretries = 1\nlost_after_ms = 15000",
       "device[0]: (1 + retries) x timeout_ms = (1 + 1) x 5000 = 10000 ms must be at most half of lost_after_ms = "
       "15000 "
       "ms"},
      {"password without user", "lost_after_ms = 5000", "password_file = \"pw.txt\"",
       "device[2].password_file = \"pw.txt\" needs a username"},
      {"missing password file", "lost_after_ms = 5000", "username = \"meg\"\npassword_file = \"missing.txt\"",
       "device[2].password_file = \"missing.txt\" names /sites/missing.txt, which is not an existing file"},
      {"client cert without key", "lost_after_ms = 5000", "tls_ca_file = \"ca.crt\"\ntls_cert_file = \"c.crt\"",
       "device[2].tls_cert_file = \"c.crt\" needs its pair"},
      {"tls key on modbus", "unit_id = 3", "tls_ca_file = \"ca.crt\"", "does not apply to protocol \"modbus-tcp\""},
  };
  for (const Case& c : cases) {
    std::string text = std::string(kGood) + kDevices;
    const auto at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.what;
    text.replace(at, c.from.size(), c.to);
    auto site = ParseSiteToml(text, "good.toml", Paths());
    ASSERT_FALSE(site) << c.what;
    EXPECT_NE(site.error().message.find(c.expect), std::string::npos) << c.what << ":\n" << site.error().message;
  }
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// A CHP unit: every [generator] key (docs/site-config.md).
const char* kChp = R"(
[generator]
kind = "chp"
rating_kw = 200
min_load_kw = 100
ramp_kw_per_min = 50
electric_efficiency_pct = 35
heat_recovery_pct = 50
fuel_krw_per_kwh = 95.5
heat_krw_per_kwh = 70
start_krw = 20000
)";

// A fuel cell on a vendor Modbus map, after kDevices.
const char* kFuelCellDevice = R"(
[[device]]
id = "fc1"
kind = "generator"
protocol = "modbus-tcp"
host = "10.0.0.7"
sunspec = false
[device.registers]
power_kw = { address = 0, type = "int32", scale = 0.001 }
rated_kw = { address = 2, type = "uint16", scale = 0.1 }
setpoint_kw = { address = 10, type = "uint16", scale = 0.1 }
)";

// `text` with `from` replaced by `to` (the first one).
std::string With(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(SiteConfigTest, GeneratorParsesWithUnits) {
  auto site = ParseSiteToml(std::string(kGood) + kChp + kDevices + kFuelCellDevice, "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  ASSERT_TRUE(site->generator);
  const GeneratorSpec& g = *site->generator;
  EXPECT_EQ(g.kind, "chp");
  EXPECT_DOUBLE_EQ(g.rating_kw.value(), 200);
  EXPECT_DOUBLE_EQ(g.min_load_kw.value(), 100);
  EXPECT_DOUBLE_EQ(g.ramp_kw_per_min, 50);
  EXPECT_DOUBLE_EQ(g.electric_efficiency_pct, 35);
  EXPECT_DOUBLE_EQ(g.heat_recovery_pct, 50);
  EXPECT_DOUBLE_EQ(g.fuel_krw_per_kwh, 95.5);
  EXPECT_DOUBLE_EQ(g.heat_krw_per_kwh, 70);
  EXPECT_DOUBLE_EQ(g.start_krw, 20000);
  ASSERT_EQ(site->devices.size(), 4u);
  const DeviceSpec& fc = site->devices[3];
  EXPECT_EQ(fc.id, "fc1");
  EXPECT_EQ(fc.kind, DeviceKind::kGenerator);
  EXPECT_FALSE(fc.modbus.sunspec);
  EXPECT_EQ(fc.modbus.map.power_kw.address, 0);
  EXPECT_EQ(fc.modbus.map.power_kw.type, RegisterField::Type::kInt32);
  EXPECT_DOUBLE_EQ(fc.modbus.map.power_kw.scale, 0.001);
  EXPECT_EQ(fc.modbus.map.rated_kw.address, 2);
  EXPECT_EQ(fc.modbus.map.setpoint_kw.address, 10);
  EXPECT_DOUBLE_EQ(fc.modbus.map.setpoint_kw.scale, 0.1);

  // The required keys alone: a fuel cell by default, no minimum load, ramp limit, heat or start
  // cost.
  auto minimal = ParseSiteToml(std::string(kGood) +
                                   "[generator]\nrating_kw = 100\nelectric_efficiency_pct = 50\n"
                                   "fuel_krw_per_kwh = 80\n",
                               "good.toml", Paths());
  ASSERT_TRUE(minimal) << minimal.error().message;
  ASSERT_TRUE(minimal->generator);
  EXPECT_EQ(minimal->generator->kind, "fuel-cell");
  EXPECT_DOUBLE_EQ(minimal->generator->rating_kw.value(), 100);
  EXPECT_DOUBLE_EQ(minimal->generator->min_load_kw.value(), 0);
  EXPECT_DOUBLE_EQ(minimal->generator->ramp_kw_per_min, 0);
  EXPECT_DOUBLE_EQ(minimal->generator->electric_efficiency_pct, 50);
  EXPECT_DOUBLE_EQ(minimal->generator->heat_recovery_pct, 0);
  EXPECT_DOUBLE_EQ(minimal->generator->fuel_krw_per_kwh, 80);
  EXPECT_DOUBLE_EQ(minimal->generator->heat_krw_per_kwh, 0);
  EXPECT_DOUBLE_EQ(minimal->generator->start_krw, 0);
  // No [generator]: none.
  auto none = ParseSiteToml(kGood, "good.toml", Paths());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->generator);

  // A generator on MQTT needs no register map.
  auto mqtt = ParseSiteToml(std::string(kGood) + kChp + kDevices +
                                "[[device]]\nid = \"fc2\"\nkind = \"generator\"\nprotocol = \"mqtt\"\n"
                                "host = \"broker.local\"\n",
                            "good.toml", Paths());
  ASSERT_TRUE(mqtt) << mqtt.error().message;
  EXPECT_EQ(mqtt->devices[3].kind, DeviceKind::kGenerator);
  EXPECT_EQ(mqtt->devices[3].protocol, DeviceProtocol::kMqtt);
}

TEST(SiteConfigTest, BadGeneratorsAreRefusedWithTheReason) {
  struct Case {
    const char* what;
    std::string text;
    const char* expect;
  };
  const std::string site = std::string(kGood) + kChp + kDevices + kFuelCellDevice;
  // kGood has 38 lines and kChp opens with an empty one: [generator] is on line 40.
  const Case cases[] = {
      {"min load above the rating", With(site, "min_load_kw = 100", "min_load_kw = 250"),
       "good.toml:43: generator.min_load_kw = 250 is above generator.rating_kw = 200 (it could never run)"},
      {"electric and heat above 100 % of the fuel", With(site, "heat_recovery_pct = 50", "heat_recovery_pct = 70"),
       "good.toml:46: generator.heat_recovery_pct = 70 plus electric_efficiency_pct = 105 is above 100 % of the fuel"},
      {"no fuel price (no default: the gas contract)", With(site, "fuel_krw_per_kwh = 95.5\n", ""),
       "generator.fuel_krw_per_kwh is missing (required)"},
      {"no rating", With(site, "rating_kw = 200\n", ""), "generator.rating_kw is missing (required)"},
      {"no efficiency", With(site, "electric_efficiency_pct = 35\n", ""),
       "generator.electric_efficiency_pct is missing (required)"},
      {"efficiency beyond a real unit", With(site, "electric_efficiency_pct = 35", "electric_efficiency_pct = 80"),
       "generator.electric_efficiency_pct = 80 is outside 5..70"},
      {"heat priced but none recovered", With(site, "heat_recovery_pct = 50", "heat_recovery_pct = 0"),
       "generator.heat_krw_per_kwh = 70 has no effect while heat_recovery_pct is 0"},
      {"unknown kind", With(site, "kind = \"chp\"", "kind = \"turbine\""),
       "generator.kind = \"turbine\" is not one of"},
      {"misspelt unit", With(site, "start_krw = 20000", "start_won = 20000"), "generator.start_won"},
      {"generator device on SunSpec", With(site, "host = \"10.0.0.7\"\nsunspec = false", "host = \"10.0.0.7\""),
       "device[3]: a generator needs sunspec = false and a vendor map"},
      {"generator device without a setpoint register",
       With(site, "setpoint_kw = { address = 10, type = \"uint16\", scale = 0.1 }", ""),
       "device[3]: a generator needs registers.setpoint_kw to be controlled"},
      {"generator device without [generator]", With(site, kChp, ""),
       "a [[device]] of kind = \"generator\" needs the site's [generator]"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseSiteToml(c.text, "good.toml", Paths());
    ASSERT_FALSE(parsed) << c.what;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidInput) << c.what;
    EXPECT_NE(parsed.error().message.find(c.expect), std::string::npos) << c.what << ":\n" << parsed.error().message;
  }
}

// Each [generator] key at both ends of its range is accepted and just beyond is refused.
TEST(SiteConfigTest, GeneratorKeysAcceptTheirBoundsAndRefuseBeyond) {
  const std::string base =
      std::string(kGood) + "[generator]\nrating_kw = 200\nelectric_efficiency_pct = 40\nfuel_krw_per_kwh = 100\n";
  struct Bad {
    std::string value, expect;
  };
  struct Case {
    std::string key;
    std::string extra;  // another line the key needs
    std::vector<std::string> good;
    std::vector<Bad> bad;
  };
  const Case cases[] = {
      {"rating_kw", "", {"0.1", "10000000"}, {{"0", "must be > 0 and <= 10000000"}, {"10000001", "must be > 0"}}},
      {"min_load_kw",
       "",
       {"0", "200"},
       {{"-1", "is outside 0..10000000"}, {"200.5", "is above generator.rating_kw = 200"}}},
      {"ramp_kw_per_min", "", {"0", "10000000"}, {{"-1", "is outside 0..10000000"}, {"10000001", "is outside"}}},
      {"electric_efficiency_pct", "", {"5", "70"}, {{"4.9", "is outside 5..70"}, {"70.1", "is outside 5..70"}}},
      // With 40 % electric, at most 60 % of the fuel can be recovered as heat.
      {"heat_recovery_pct",
       "",
       {"0", "60"},
       {{"-1", "is outside 0..90"}, {"60.5", "above 100 % of the fuel"}, {"91", "is outside 0..90"}}},
      {"fuel_krw_per_kwh", "", {"0", "10000"}, {{"-1", "is outside 0..10000"}, {"10000.5", "is outside 0..10000"}}},
      {"heat_krw_per_kwh",
       "heat_recovery_pct = 30",
       {"0", "10000"},
       {{"-1", "is outside 0..10000"}, {"10001", "is outside 0..10000"}}},
      {"start_krw",
       "",
       {"0", "1000000000"},
       {{"-1", "is outside 0..1000000000"}, {"1000000001", "is outside 0..1000000000"}}},
  };
  for (const Case& c : cases) {
    const auto text = [&](const std::string& v) {
      // A key of the base is replaced; another is added.
      const std::string line = c.key + " = " + v + "\n" + (c.extra.empty() ? "" : c.extra + "\n");
      const auto at = base.find(c.key + " = ");
      if (at == std::string::npos) return base + line;
      return base.substr(0, at) + line + base.substr(base.find('\n', at) + 1);
    };
    for (const auto& v : c.good) {
      auto site = ParseSiteToml(text(v), "good.toml", Paths());
      EXPECT_TRUE(site) << c.key << " = " << v << ": " << (site ? "" : site.error().message);
    }
    for (const Bad& b : c.bad) {
      auto site = ParseSiteToml(text(b.value), "good.toml", Paths());
      ASSERT_FALSE(site) << c.key << " = " << b.value;
      EXPECT_NE(site.error().message.find("generator." + c.key + " = " + b.value), std::string::npos)
          << site.error().message;
      EXPECT_NE(site.error().message.find(b.expect), std::string::npos)
          << c.key << " = " << b.value << ": " << site.error().message;
    }
  }
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// Fleet files (issue 17): the demo's parses; every problem is reported with its line.
TEST(FleetFileTest, ParsesSitesInOrderAndResolvesTheirFiles) {
  const char* text = R"(
[fleet]
name = "two sites"
[[site]]
id = "jeonju-hospital"
kind = "hospital"
file = "h.toml"
controller = "peak-shave"
[[site]]
id = "cnu-eng7"
kind = "campus building"
file = "${data}/sites/e.toml"
)";
  auto fleet = ParseFleetToml(text, "f.toml", Paths());
  ASSERT_TRUE(fleet) << fleet.error().message;
  EXPECT_EQ(fleet->name, "two sites");
  ASSERT_EQ(fleet->sites.size(), 2u);
  EXPECT_EQ(fleet->sites[0].id, "jeonju-hospital");
  EXPECT_EQ(fleet->sites[0].controller, "peak-shave");
  EXPECT_EQ(fleet->sites[1].kind, "campus building");
  EXPECT_EQ(fleet->sites[1].controller, "");
  EXPECT_EQ(fleet->sites[1].file, "/data/sites/e.toml");
  EXPECT_EQ(fleet->sites[0].file, "/sites/h.toml");
}

TEST(FleetFileTest, ReportsEveryProblemWithItsLine) {
  const char* text = R"([[site]]
id = "Hospital_1"
kind = "hospital"
file = "missing.toml"
[[site]]
id = "a"
kind = "office"
file = "a.toml"
controller = "fast"
[[site]]
id = "a"
kind = "office"
file = "a.toml"
colour = "red"
[extra]
)";
  auto fleet = ParseFleetToml(text, "f.toml", Paths());
  ASSERT_FALSE(fleet);
  const std::string& m = fleet.error().message;
  EXPECT_NE(m.find("f.toml:2: site[0].id = \"Hospital_1\" is not a site id"), std::string::npos) << m;
  EXPECT_NE(m.find("f.toml:4:"), std::string::npos) << m;  // the missing site file
  EXPECT_NE(m.find("f.toml:9: site[1].controller = \"fast\" is not one of"), std::string::npos) << m;
  EXPECT_NE(m.find("f.toml:11: site[2].id = \"a\" repeats the id"), std::string::npos) << m;
  EXPECT_NE(m.find("f.toml:14: unknown key site[2].colour"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown top-level key or table 'extra'"), std::string::npos) << m;
  auto empty = ParseFleetToml("[fleet]\nname = \"x\"\n", "f.toml", Paths());
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("no [[site]]"), std::string::npos) << empty.error().message;
}

TEST(FleetFileTest, TheShippedDemoFleetHasFiveSitesOfThreeKinds) {
  auto fleet =
      LoadFleetFile(std::string(MEG_TEST_DATA_DIR) + "/fleets/demo.toml", MEG_TEST_DATA_DIR, MEG_TEST_SHARED_DIR);
  ASSERT_TRUE(fleet) << fleet.error().message;
  ASSERT_EQ(fleet->sites.size(), 5u);
  std::set<std::string> kinds;
  for (const auto& s : fleet->sites) {
    kinds.insert(s.kind);
    auto site = LoadSiteFile(s.file, MEG_TEST_DATA_DIR, MEG_TEST_SHARED_DIR);
    EXPECT_TRUE(site) << s.file << ": " << site.error().message;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"hospital", "campus building", "office"}));
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// Ice storage beside the chillers: every [cooling] and [thermal_storage] key (docs/site-config.md).
const char* kIce = R"(
[cooling]
load_column = "Cooling:Electricity"
chiller_kw_th = 5000
cop = 5.0
rated_temp_c = 35
cop_change_pct_per_c = 2
chillers = 5
part_load_curve = [0.222903, 0.313387, 0.463710]
min_part_load_pct = 20

[thermal_storage]
kind = "ice"
capacity_kwh_th = 6000
charge_kw_th = 1000
discharge_kw_th = 900
loss_pct_per_h = 0.5
charge_cop_pct = 70
soc_initial_pct = 40
)";

TEST(SiteConfigTest, CoolingPlantAndColdStoreParseWithUnits) {
  auto site = ParseSiteToml(std::string(kGood) + kIce, "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  ASSERT_TRUE(site->cooling && site->thermal_storage);
  EXPECT_EQ(site->cooling->load_column, "Cooling:Electricity");
  EXPECT_DOUBLE_EQ(site->cooling->chiller_kw_th.value(), 5000);
  EXPECT_DOUBLE_EQ(site->cooling->cop, 5);
  EXPECT_DOUBLE_EQ(site->cooling->rated_temp_c, 35);
  EXPECT_DOUBLE_EQ(site->cooling->cop_change_pct_per_c, 2);
  EXPECT_EQ(site->cooling->chillers, 5);
  EXPECT_DOUBLE_EQ(site->cooling->part_load_curve[2], 0.463710);
  EXPECT_DOUBLE_EQ(site->cooling->min_part_load_pct, 20);
  const ThermalStorageSpec& s = *site->thermal_storage;
  EXPECT_EQ(s.kind, "ice");
  EXPECT_DOUBLE_EQ(s.capacity_kwh_th.value(), 6000);
  EXPECT_DOUBLE_EQ(s.charge_kw_th.value(), 1000);
  EXPECT_DOUBLE_EQ(s.discharge_kw_th.value(), 900);
  EXPECT_DOUBLE_EQ(s.loss_pct_per_h, 0.5);
  EXPECT_DOUBLE_EQ(s.charge_cop_pct, 70);
  EXPECT_DOUBLE_EQ(s.soc_initial_pct, 40);
  // Chilled water makes its cold at the chillers' own COP by default.
  auto water = ParseSiteToml(With(With(std::string(kGood) + kIce, "kind = \"ice\"", "kind = \"chilled-water\""),
                                  "charge_cop_pct = 70\n", ""),
                             "good.toml", Paths());
  ASSERT_TRUE(water) << water.error().message;
  EXPECT_DOUBLE_EQ(water->thermal_storage->charge_cop_pct, 100);
}

TEST(SiteConfigTest, CoolingPlantAndColdStoreErrorsNameTheKeyAndLine) {
  const auto error = [](const std::string& text) {
    auto site = ParseSiteToml(text, "bad.toml", Paths());
    EXPECT_FALSE(site);
    return site ? std::string() : site.error().message;
  };
  const std::string good = std::string(kGood) + kIce;
  // Ice has no default COP while charging.
  EXPECT_NE(error(With(good, "charge_cop_pct = 70\n", "")).find("thermal_storage.charge_cop_pct"), std::string::npos);
  EXPECT_NE(error(With(good, "cop = 5.0", "cop = 0.5")).find("cooling.cop"), std::string::npos);
  // A part-load curve that falls (less electricity for more cooling), or is not three numbers, or
  // has a standing part with no load below which a machine cycles.
  const std::string curve = "part_load_curve = [0.222903, 0.313387, 0.463710]";
  EXPECT_NE(error(With(good, curve, "part_load_curve = [0.5, -1.0, 0.1]")).find("cooling.part_load_curve"),
            std::string::npos);
  EXPECT_NE(error(With(good, curve, "part_load_curve = [0.2, 0.3]")).find("an array of 3 numbers"), std::string::npos);
  EXPECT_NE(error(With(good, "min_part_load_pct = 20\n", "")).find("give min_part_load_pct"), std::string::npos);
  EXPECT_NE(error(With(good, "chillers = 5", "chillers = 0")).find("cooling.chillers"), std::string::npos);
  EXPECT_NE(error(With(good, "kind = \"ice\"", "kind = \"snow\"")).find("thermal_storage.kind"), std::string::npos);
  // A store without the chillers that charge it.
  const std::string alone = std::string(kGood) + std::string(kIce).substr(std::string(kIce).find("[thermal_storage]"));
  EXPECT_NE(error(alone).find("[thermal_storage] needs [cooling]"), std::string::npos) << error(alone);
  // The chillers' electricity comes from a doe-hospital load's end use.
  EXPECT_NE(
      error(With(good, "format = \"doe-hospital\"", "format = \"usage-csv\"")).find("[cooling] needs load.format"),
      std::string::npos);
  // A store device needs the site's store and a vendor map with its SoC and setpoint.
  const std::string device = R"(
[[device]]
id = "ice1"
kind = "thermal-storage"
protocol = "modbus-tcp"
host = "10.0.0.8"
sunspec = false
[device.registers]
power_kw = { address = 0, type = "int16", scale = 0.1 }
setpoint_kw = { address = 10, type = "int16", scale = 0.1 }
)";
  EXPECT_NE(error(good + kDevices + device).find("needs registers.soc_pct and registers.setpoint_kw"),
            std::string::npos);
  EXPECT_NE(error(
                std::string(kGood) + kDevices +
                With(device, "setpoint_kw", "soc_pct = { address = 1, type = \"uint16\", scale = 0.01 }\nsetpoint_kw"))
                .find("needs the site's [thermal_storage]"),
            std::string::npos);
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

const char* kCarPark = R"(
[[charger]]
id = "p1-01"
connectors = 2
phases = 1
voltage_v = 220

[[charger]]
id = "p1-02"
max_current_a = 16

[ocpp]
host = "0.0.0.0"
port = 9100

[ev]
profile = "car-park"
seed = 7
weekday_use = 0.5
)";

TEST(SiteConfigTest, ReadsChargersTheCentralSystemAndTheCars) {
  auto site = ParseSiteToml(std::string(kGood) + kCarPark, "good.toml", Paths());
  ASSERT_TRUE(site) << site.error().message;
  ASSERT_EQ(site->chargers.size(), 2u);
  EXPECT_EQ(site->chargers[0].id, "p1-01");
  EXPECT_EQ(site->chargers[0].connectors, 2);
  EXPECT_EQ(site->chargers[0].phases, 1);
  // 1 x 220 V x 32 A (the default) = 7.04 kW; 3 x 230 V x 16 A = 11.04 kW; 6 A minimum.
  EXPECT_NEAR(ConnectorMaxKw(site->chargers[0]).value(), 7.04, 1e-12);
  EXPECT_NEAR(ConnectorMinKw(site->chargers[0]).value(), 1.32, 1e-12);
  EXPECT_NEAR(ConnectorMaxKw(site->chargers[1]).value(), 11.04, 1e-12);
  EXPECT_EQ(site->ocpp.host, "0.0.0.0");
  EXPECT_EQ(site->ocpp.port, 9100);
  EXPECT_EQ(site->ocpp.heartbeat_s, 60);
  ASSERT_TRUE(site->ev.profile.has_value());
  EXPECT_EQ(site->ev.profile->seed, 7u);
  EXPECT_DOUBLE_EQ(site->ev.profile->weekday_use, 0.5);
  EXPECT_DOUBLE_EQ(site->ev.profile->weekend_use, 0.3);
  EXPECT_TRUE(site->ev.sessions_file.empty());
}

TEST(SiteConfigTest, RefusesACarParkItCannotServe) {
  struct Case {
    const char* what;
    std::string from, to;
    const char* expect;
  };
  const Case cases[] = {
      {"two phases", "phases = 1", "phases = 2", "charger[0].phases"},
      {"duplicate id", "id = \"p1-02\"", "id = \"p1-01\"", "repeats an earlier [[charger]] id"},
      {"id with a slash", "id = \"p1-02\"", "id = \"p1/02\"", "may not hold '/'"},
      {"minimum above maximum", "max_current_a = 16", "max_current_a = 16\nmin_current_a = 20", "min_current_a"},
      {"a current for a fuse", "max_current_a = 16", "max_current_a = 5000", "charger[1].max_current_a"},
      {"port", "port = 9100", "port = 0", "ocpp.port"},
      {"both sources of cars", "profile = \"car-park\"", "profile = \"car-park\"\nsessions = \"cars.csv\"",
       "either sessions"},
      {"no source of cars", "profile = \"car-park\"\nseed = 7\nweekday_use = 0.5", "", "ev.sessions is missing"},
      {"profile parameter alone", "profile = \"car-park\"\n", "", "give the profile too"},
      {"an unknown profile", "\"car-park\"", "\"fleet-depot\"", "ev.profile"},
  };
  for (const Case& c : cases) {
    std::string text = std::string(kGood) + kCarPark;
    const auto at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.what;
    text.replace(at, c.from.size(), c.to);
    auto site = ParseSiteToml(text, "good.toml", Paths());
    ASSERT_FALSE(site) << c.what;
    EXPECT_NE(site.error().message.find(c.expect), std::string::npos) << c.what << ":\n" << site.error().message;
  }
  // Cars or a central system without a charger.
  auto lonely = ParseSiteToml(std::string(kGood) + "[ocpp]\nport = 9000\n", "good.toml", Paths());
  ASSERT_FALSE(lonely);
  EXPECT_NE(lonely.error().message.find("[ocpp] has no [[charger]]"), std::string::npos);
}

}  // namespace
}  // namespace meg
