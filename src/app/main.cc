// meg: the OpenMEG command-line entry point and composition root.
#include <CLI/CLI.hpp>

#include "app/advise_command.h"
#include "app/bill_command.h"
#include "app/cbl_command.h"
#include "app/center_command.h"
#include "app/convert_command.h"
#include "app/dr_bid_command.h"
#include "app/ev_sessions_command.h"
#include "app/fleet_sim_command.h"
#include "app/forecast_command.h"
#include "app/market_command.h"
#include "app/optimize_command.h"
#include "app/pv_validate_command.h"
#include "app/run_command.h"
#include "app/simulate_command.h"
#include "app/site_command.h"

int main(int argc, char** argv) {
  CLI::App app{"OpenMEG: micro energy grid control center"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "meg 0.1.0");
  int exit_code = 0;
  meg::AddAdviseCommand(app, &exit_code);
  meg::AddBillCommand(app, &exit_code);
  meg::AddCblCommand(app, &exit_code);
  meg::AddMarketCommand(app, &exit_code);
  meg::AddConvertCommand(app, &exit_code);
  meg::AddDrBidCommand(app, &exit_code);
  meg::AddEvSessionsCommand(app, &exit_code);
  meg::AddFleetSimCommand(app, &exit_code);
  meg::AddForecastCommand(app, &exit_code);
  meg::AddSimulateCommand(app, &exit_code);
  meg::AddOptimizeCommand(app, &exit_code);
  meg::AddPvValidateCommand(app, &exit_code);
  meg::AddRunCommand(app, &exit_code);
  meg::AddDemoCommand(app, &exit_code);
  meg::AddCenterCommand(app, &exit_code);
  meg::AddFleetConfigCommand(app, &exit_code);
  meg::AddSiteCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
