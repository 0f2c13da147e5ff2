// `meg center`: the distributed fleet center (docs/fleet.md): the edges' samples, events and
// bills over NATS JetStream into PostgreSQL, the fleet dashboard and API, commands and DR calls
// down to the edges, the fleet as one DR resource.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddCenterCommand(CLI::App& app, int* exit_code);
// `meg fleet-config`: the nats-server configuration and users of a fleet file's sites.
void AddFleetConfigCommand(CLI::App& app, int* exit_code);

}  // namespace meg
