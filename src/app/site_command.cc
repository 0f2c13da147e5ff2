#include "app/site_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/paths.h"
#include "app/site_loader.h"

namespace meg {
namespace {

int RunCheck(const std::string& path) {
  // The whole context a site command loads: the file, and its tariff found in the tables, its
  // contract power in the class's range, Jeju's hours where the site is on Jeju.
  auto loaded = LoadSiteContext(SiteOptions{path, DefaultTariffDir(), DefaultCalendarPath(), std::nullopt});
  if (!loaded) return ExitWith("meg site check", loaded.error());
  const Site& s = loaded->site;
  std::cout << fmt::format("{}: OK\n", path);
  std::cout << fmt::format("  site      {} at {:.4f} N {:.4f} E, {} m, UTC+{:.0f}\n", s.name, s.location.latitude_deg,
                           s.location.longitude_deg, s.location.elevation_m, s.location.utc_offset_minutes / 60.0);
  std::cout << fmt::format("  tariff    {} ({}), contract power {} kW{}\n", OfficialName(loaded->tariff),
                           AsciiAlias(loaded->tariff), s.contract_power.value(),
                           BillsContractPower(loaded->tariff.voltage) ? ", billed as 요금적용전력 (저압, art. 68 ②)"
                                                                      : "");
  std::cout << fmt::format("  load      {} ({}), laid on {}, scale {}\n", s.load.file, s.load.format, s.load.year,
                           s.load.scale);
  std::cout << fmt::format("  weather   {} ({})\n", s.weather.file, s.weather.format);
  if (s.weather_forecast) {
    const WeatherForecastSpec& f = *s.weather_forecast;
    std::cout << fmt::format(
        "  forecast  {} (model {}), every {} min, {} days, timeout {} s, grid point within {} km\n", f.url, f.model,
        f.every_min, f.days, f.timeout_s, f.max_distance_km);
  }
  for (const auto& a : s.pv) {
    std::cout << fmt::format(
        "  pv        {}: {} kWp, tilt {}°, azimuth {}°, losses {} %, inverter {} kW at {} %, "
        "{} %/°C\n",
        a.name, a.dc_kwp.value(), a.tilt_deg, a.azimuth_deg, a.losses_pct, a.inverter_kw.value(),
        a.inverter_efficiency_pct, a.temp_coeff_pct_per_c);
  }
  if (s.ess) {
    const EssSpec& e = *s.ess;
    std::cout << fmt::format(
        "  ess       {} kWh usable, charge {} kW at {} %, discharge {} kW at {} %, SoC {}..{} % "
        "(start {} %), ramp {} kW/min, wear {} KRW/kWh\n",
        e.usable_kwh.value(), e.charge_kw.value(), e.charge_efficiency_pct, e.discharge_kw.value(),
        e.discharge_efficiency_pct, e.soc_min_pct, e.soc_max_pct, e.soc_initial_pct, e.ramp_kw_per_min,
        e.degradation_cost.won());
  } else {
    std::cout << "  ess       none\n";
  }
  if (s.generator) {
    const GeneratorSpec& g = *s.generator;
    std::cout << fmt::format(
        "  generator {}: {} kW (minimum {} kW), ramp {} kW/min, {} % electric, {} % heat recovered; fuel {} KRW/kWh, "
        "heat {} KRW/kWh, start {} KRW: {:.1f} KRW per kWh made\n",
        g.kind, g.rating_kw.value(), g.min_load_kw.value(), g.ramp_kw_per_min, g.electric_efficiency_pct,
        g.heat_recovery_pct, g.fuel_krw_per_kwh, g.heat_krw_per_kwh, g.start_krw, GeneratorKrwPerKwh(g));
  }
  std::cout << fmt::format("  grid      export {}\n",
                           s.grid.export_allowed ? fmt::format("allowed up to {} kW", s.grid.export_limit_kw.value())
                                                 : std::string("not allowed"));
  return 0;
}

}  // namespace

void AddSiteCommand(CLI::App& app, int* exit_code) {
  CLI::App* site = app.add_subcommand("site", "Site files");
  site->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  CLI::App* check = site->add_subcommand("check", "Validate a site TOML file and print what it describes");
  check->add_option("file", *path, "site TOML file")->required();
  check->callback([path, exit_code] { *exit_code = RunCheck(*path); });
}

}  // namespace meg
