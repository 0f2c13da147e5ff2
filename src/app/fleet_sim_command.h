// `meg fleet-sim`: the fleet load generator (center/nats/fleet_sim.h) against a NATS server:
// N light edges publishing synthetic telemetry; prints the samples per second the stream
// acknowledged and the publish-to-ack latency (docs/fleet.md).
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

// Adds the `fleet-sim` subcommand to `app`; running it sets *exit_code (0 done, 2 bad input,
// 1 other failures).
void AddFleetSimCommand(CLI::App& app, int* exit_code);

}  // namespace meg
