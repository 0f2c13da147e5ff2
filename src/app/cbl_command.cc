#include "app/cbl_command.h"

namespace meg {

void AddCblCommand(CLI::App& /*app*/, int* /*exit_code*/) {}

}  // namespace meg
