#include "app/market_command.h"

namespace meg {

void AddMarketCommand(CLI::App& /*app*/, int* /*exit_code*/) {}

}  // namespace meg
