// `meg forecast`: the forecasters on real data.
//   meg forecast eval --dataset cnu        rolling-origin scores of the load model against the
//                                          seasonal-naive baselines on the measured CNU buildings
//   meg forecast eval --dataset hospital   the same on a site file's load (default: the Jeonju
//                                          hospital twin), the load `mpc` plans on
//   meg forecast eval --dataset gist-pv    day-ahead PV forecasters on the measured GIST systems,
//                                          with the KPX forecast incentive (ch. 14)
//   meg forecast train --site FILE --until DATE --out MODEL
//                                          trains a site's load model on its history (nightly)
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddForecastCommand(CLI::App& app, int* exit_code);

}  // namespace meg
