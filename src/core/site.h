// The site model: what a site is made of (location, tariff, load, PV arrays, battery, grid
// connection), as read from a site TOML file (io/site_config.h) and used unchanged by the
// simulator and, later, the live control center. Value types; thread-safe to copy.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ev.h"
#include "core/units.h"

namespace meg {

// 계약전력 (contract power) a site may have, kW, a whole number: from 1 kW, and no customer
// contracts more than 10,000,000 kW (10 GW). Each class narrows it (tariff/tariff_book.h
// RulesOf: the (을) classes from 300 kW, art. 57 ② 2, art. 59 ② 2; the (갑) classes below).
inline constexpr double kMinAnyContractKw = 1;
inline constexpr double kMaxContractKw = 10'000'000;
// The smallest contract power of the (을) classes, the classes `meg advise` sizes contracts for.
inline constexpr double kMinContractKw = 300;

// A 15-minute mean demand beyond this multiple of contract power is a meter or file fault, not a
// demand: the connection and its protection are sized for the contract power, and the
// over-contract surcharge (art. 67-3 ③) tops out at 60 % excess. Used by the usage reader and
// the bill engine (docs/billing.md).
inline constexpr double kMaxDemandPerContract = 10;
// The largest |kW| a 15-minute mean may have when the contract power is not known.
inline constexpr double kMaxPlausibleKw = kMaxContractKw;

struct Location {
  double latitude_deg = 0;   // + north
  double longitude_deg = 0;  // + east
  double elevation_m = 0;
  int utc_offset_minutes = 540;  // KST; the site's civil time (Korea: no daylight saving)
};

// Where the site's load comes from.
struct LoadSpec {
  std::string file;    // resolved path
  std::string format;  // "doe-hospital" (hourly typical year, laid on `year`), "usage-csv",
                       // "meter-download" (io/meter_download.h) or "cnu-building"
  int year = 0;        // calendar year the load is laid on / must cover
  double scale = 1.0;  // multiplies every kW
  // A meter download's reading where detection should not decide ("" detects): "end"/"start",
  // "kwh"/"kw", "utf-8"/"cp949", a column's header name or 1-based number, an .xlsx sheet.
  std::string labels, unit, encoding, time_column, value_column, sheet;
};

struct WeatherSpec {
  // Resolved path; may hold ${year}, the file of each year (WeatherFileFor).
  std::string file;
  std::string format;  // "open-meteo" (hourly GHI/DNI/DHI, temperature, wind)
};

// The live weather forecast the site fetches (center/weather_feed.h): Open-Meteo's forecast API,
// which serves the Korea Meteorological Administration's models (GDPS 12 km with LDPS 1.5 km
// over Korea: "kma_seamless").
struct WeatherForecastSpec {
  std::string url = "https://api.open-meteo.com/v1/forecast";  // http(s)://host[:port]/path
  std::string model = "kma_seamless";                          // Open-Meteo's `models`
  int every_min = 60;                                          // fetch period
  int timeout_s = 20;                                          // connect and read timeout
  int days = 3;                                                // forecast days asked for (1..16)
  double max_distance_km = 25;  // a forecast whose grid point is farther from the site is refused
};

inline constexpr std::string_view kYearPlaceholder = "${year}";
// `path` with every ${year} replaced by `year`.
std::string WithYear(std::string_view path, int year);
// The weather file of `year` (the file itself when it names no ${year}).
inline std::string WeatherFileFor(const WeatherSpec& w, int year) { return WithYear(w.file, year); }

// One PV array and its inverter. Azimuth: 180 = south, 90 = east (degrees clockwise from north).
struct PvArraySpec {
  std::string name;
  Kilowatts dc_kwp;     // nameplate DC power at STC
  double tilt_deg = 0;  // 0 = horizontal
  double azimuth_deg = 180;
  double losses_pct = 14;               // DC system losses (soiling, wiring, mismatch, ...)
  Kilowatts inverter_kw;                // AC rating: output is clipped here
  double inverter_efficiency_pct = 96;  // nominal
  double temp_coeff_pct_per_c = -0.37;  // power temperature coefficient
  // How the modules are mounted: the heat loss coefficients of the cell temperature model (Faiman
  // 2008, forecast/pv_model.h), from kPvMountings unless the site file gives them.
  std::string mounting = "open-rack";
  double heat_loss_u0_w_m2k = 25.0;
  double heat_loss_u1_w_s_m3k = 6.84;
  double albedo = 0.2;  // ground reflectance seen by the plane (0..1)
};

// The mountings a PV array may name, with their Faiman heat loss coefficients (docs/site-config.md):
//  * open-rack: U0 = 25, U1 = 6.84, Faiman's fit for c-Si modules on an open rack (Faiman 2008,
//    Prog. Photovolt. 16:307; the IEC 61853-2 model and pvlib's faiman defaults).
//  * roof-mount: a roof or facade with an air gap behind (PVsyst's "semi-integrated, with air
//    duct", Uc = 20 W/m2K, Uv = 0), in Faiman's form U0 = Uc / (alpha (1 - eta)) with PVsyst's
//    alpha = 0.9 and eta = 0.1: U0 = 24.7, U1 = 0.
//  * insulated-back: building-integrated, no air behind (PVsyst's "integrated, fully insulated
//    back", Uc = 15): U0 = 18.5, U1 = 0.
struct PvMounting {
  std::string_view name;
  double u0_w_m2k;
  double u1_w_s_m3k;
};
inline constexpr std::array<PvMounting, 3> kPvMountings = {PvMounting{"open-rack", 25.0, 6.84},
                                                           PvMounting{"roof-mount", 20.0 / 0.81, 0.0},
                                                           PvMounting{"insulated-back", 15.0 / 0.81, 0.0}};

// A battery energy storage system. Power sign where used: + discharge / - charge.
struct EssSpec {
  KilowattHours usable_kwh;              // usable energy between 0 % and 100 % SoC
  Kilowatts charge_kw;                   // maximum charging power (AC)
  Kilowatts discharge_kw;                // maximum discharging power (AC)
  double charge_efficiency_pct = 95;     // AC -> stored
  double discharge_efficiency_pct = 95;  // stored -> AC; round trip = product
  double soc_min_pct = 10;
  double soc_max_pct = 90;
  double soc_initial_pct = 50;
  double ramp_kw_per_min = 0;  // 0 = no ramp limit
  // Cost of wear per kWh of throughput, throughput = (energy charged + energy discharged) / 2.
  WonPerKwh degradation_cost;
};

// A dispatchable generator: a fuel cell or a CHP engine burning gas (docs/site-config.md,
// [generator]). Power sign where used: + production. Fuel is priced per kWh of fuel energy (the
// lower heating value, as the efficiency is stated); the heat recovered is worth what it saves
// elsewhere (the boiler's fuel), per kWh of heat. A PV plant, which only follows the sun, is not
// one.
struct GeneratorSpec {
  std::string kind = "fuel-cell";       // "fuel-cell" or "chp": documentation only, the model is the same
  Kilowatts rating_kw;                  // maximum electric output (AC)
  Kilowatts min_load_kw;                // the least output while running (0: any output down to 0)
  double ramp_kw_per_min = 0;           // 0 = no ramp limit; starting to min_load and stopping are not held
  double electric_efficiency_pct = 40;  // electric output / fuel energy (LHV)
  double heat_recovery_pct = 0;         // recovered heat / fuel energy (LHV)
  double fuel_krw_per_kwh = 0;          // KRW per kWh of fuel energy (LHV)
  double heat_krw_per_kwh = 0;          // KRW per kWh of recovered heat used on site
  double start_krw = 0;                 // cost of one start (wear, purge fuel), KRW
};

// What one kWh of the generator's electricity costs, KRW: the fuel it burns less the heat it
// gives, fuel / eta_e - heat value x eta_h / eta_e. May be negative (heat worth more than fuel).
inline double GeneratorKrwPerKwh(const GeneratorSpec& g) {
  const double eta_e = g.electric_efficiency_pct / 100.0;
  return (g.fuel_krw_per_kwh - g.heat_krw_per_kwh * g.heat_recovery_pct / 100.0) / eta_e;
}

// The cooling plant (docs/site-config.md, [cooling]): electric chillers whose electricity is part
// of the site's load. The cooling demand (kW of cooling) is the chillers' electricity in the load
// data (the DOE hospital's `Cooling:Electricity`) times their COP at the hour's outdoor
// temperature; the full-load COP rises as it gets cooler: cop x (1 + cop_change_pct_per_c / 100 x
// (rated_temp_c - temperature)), held within 0.3x..3x cop. Part load (core/thermal.h
// ChillerPlantElectric): the capacity is `chillers` identical machines, as few or as many running
// as serve the load at the least electricity; one machine at part-load ratio p (its cooling / its
// capacity) draws its full-load electricity x f(p) / f(1), f(p) = a + b p + c p^2 (EnergyPlus's
// EIR-fPLR curve; {0, 1, 0}: a COP that does not change with load), and below min_part_load_pct
// it cycles on and off: electricity in proportion to the cooling at the minimum's rate.
struct CoolingSpec {
  std::string load_column = "Cooling:Electricity";  // the DOE end use that holds the chillers' electricity
  Kilowatts chiller_kw_th;                          // the chillers' capacity, kW of cooling
  double cop = 5;                                   // kW of cooling per kW of electricity at rated_temp_c, full load
  double rated_temp_c = 35;
  double cop_change_pct_per_c = 2;                 // COP change per degree C below rated_temp_c (+) or above (-)
  int chillers = 1;                                // identical machines sharing chiller_kw_th
  std::array<double, 3> part_load_curve{0, 1, 0};  // a, b, c of f(p)
  double min_part_load_pct = 0;                    // % of one machine's capacity
};

// The chillers' COP at `temp_c` (see CoolingSpec).
inline double ChillerCop(const CoolingSpec& c, double temp_c) {
  const double v = c.cop * (1 + c.cop_change_pct_per_c / 100.0 * (c.rated_temp_c - temp_c));
  return v < 0.3 * c.cop ? 0.3 * c.cop : v > 3 * c.cop ? 3 * c.cop : v;
}

// Cold storage beside the chillers ([thermal_storage]): chilled water or ice, in kWh of cooling.
// Charging runs the chillers harder (at COP x charge_cop_pct / 100: making ice needs a colder
// evaporator); discharging serves cooling demand the chillers then need not make. Sign where
// used: + discharge / - charge, kW of cooling.
struct ThermalStorageSpec {
  std::string kind = "chilled-water";  // or "ice"
  KilowattHours capacity_kwh_th;
  Kilowatts charge_kw_th, discharge_kw_th;
  double loss_pct_per_h = 0.5;  // standing loss, % of the stored energy an hour
  double charge_cop_pct = 100;  // the chillers' COP while charging, % of their COP (ice: about 70)
  double soc_initial_pct = 50;
};

struct GridSpec {
  bool export_allowed = false;
  Kilowatts export_limit_kw;  // when export is allowed; 0 = no export
};

// What kind of equipment a device is (device/device.h gives each kind's sign).
enum class DeviceKind {
  kMeter,           // the revenue meter (or a meter in parallel) at the grid connection point
  kPv,              // a PV inverter
  kBattery,         // a battery: PCS and BMS seen as one device
  kGenerator,       // a dispatchable generator (fuel cell, CHP): + production
  kThermalStorage,  // cold storage with its chillers: + the electricity its discharge saves
};

// One field of a plain vendor Modbus map. 32-bit types take two registers, high word first.
struct RegisterField {
  enum class Type { kInt16, kUint16, kInt32, kUint32, kFloat32 };
  int address = -1;  // 0-based PDU address; -1 = not mapped
  Type type = Type::kInt16;
  double scale = 1.0;           // engineering value (kW, %) = raw * scale
  bool input_register = false;  // read with function 04 instead of 03 (read-only)
};

// A vendor register map, for devices that do not speak SunSpec. Reads are optional except
// power_kw; writes: setpoint_kw (battery: + discharge; generator: + production; thermal storage:
// kW of cooling, + discharge) and pv_limit_kw (PV).
struct VendorModbusMap {
  RegisterField power_kw;
  RegisterField soc_pct;
  RegisterField max_charge_kw;
  RegisterField max_discharge_kw;
  RegisterField rated_kw;
  RegisterField setpoint_kw;
  RegisterField pv_limit_kw;
  RegisterField cop;                 // thermal storage: the chillers' COP now
  RegisterField cooling_load_kw;     // thermal storage: the cooling the plant serves now, kW of cooling
  bool power_sign_inverted = false;  // the device reports the opposite of OpenMEG's sign
};

struct ModbusSpec {
  std::string host = "127.0.0.1";
  int port = 502;
  int unit_id = 1;
  int timeout_ms = 200;        // response timeout of one request
  int retries = 2;             // extra attempts of a failed request within one exchange
  int backoff_max_ms = 30000;  // reconnect backoff doubles from timeout_ms up to this
  int lost_after_ms = 10000;   // no good exchange for this long: the device is lost
  bool sunspec = true;         // discover SunSpec models; false: use `map`
  int sunspec_base = 40000;    // 0-based address of the "SunS" marker
  VendorModbusMap map;
};

struct MqttSpec {
  std::string host = "127.0.0.1";  // broker
  int port = 1883;
  std::string topic_prefix;  // default "openmeg/<device id>" (docs/mqtt.md)
  int keepalive_s = 10;
  int lost_after_ms = 10000;  // no telemetry for this long: the device is lost
  // Broker authentication (docs/mqtt.md). The password lives in its own file (first line), not
  // in the site file, so that the site file can be shared and kept in version control.
  std::string username;       // empty: anonymous
  std::string password_file;  // resolved path; only with username
  // TLS: on when tls_ca_file is set (the CA that signed the broker's certificate); the client
  // certificate and key, both or neither, when the broker asks for one. Resolved paths.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
};

enum class DeviceProtocol { kModbusTcp, kMqtt };

// A device of the site, as [[device]] in the site file (docs/site-config.md).
struct DeviceSpec {
  std::string id;  // unique within the site, e.g. "ess1"
  DeviceKind kind = DeviceKind::kMeter;
  DeviceProtocol protocol = DeviceProtocol::kModbusTcp;
  ModbusSpec modbus;
  MqttSpec mqtt;
};

struct Site {
  std::string name;
  std::string file;  // the TOML file it came from
  Location location;
  std::string tariff;        // e.g. "일반용(을) 고압A 선택III" (resolved by the tariff book)
  Kilowatts contract_power;  // 계약전력
  int reading_day = 1;       // 정기검침일 (art. 69): the bills' periods (tariff/bill.h PeriodOf)
  LoadSpec load;
  WeatherSpec weather;
  std::optional<WeatherForecastSpec> weather_forecast;  // none: the site plans on its weather file
  std::vector<PvArraySpec> pv;
  std::optional<EssSpec> ess;
  std::optional<GeneratorSpec> generator;
  std::optional<CoolingSpec> cooling;
  std::optional<ThermalStorageSpec> thermal_storage;  // REQUIRES: cooling
  GridSpec grid;
  std::vector<DeviceSpec> devices;    // real equipment; empty: `meg run` drives the site twin
  std::vector<ChargerSpec> chargers;  // EV chargers ([[charger]]); `meg run` serves them by OCPP
  OcppSpec ocpp;                      // [ocpp]: where the chargers connect
  EvSpec ev;                          // [ev]: the cars the twin and `meg simulate` replay
};

// The site's PV AC rating: the sum of its arrays' inverter_kw (0 kW without PV).
inline Kilowatts PvAcRating(const Site& site) {
  Kilowatts sum;
  for (const PvArraySpec& a : site.pv) sum = sum + a.inverter_kw;
  return sum;
}

}  // namespace meg
