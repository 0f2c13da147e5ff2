// The fleet load generator behind `meg fleet-sim`: N light edges in one process, each publishing
// one telemetry message of `points` synthetic, twin-like values per `rate` to meg.<site>.tm on
// MEG_UP (asynchronous JetStream publishes over a few connections), measuring how many samples
// per second the stream acknowledges and each message's publish-to-ack latency. Not an edge: it
// has no store, no backfill and no commands (docs/fleet.md). RunFleetSim blocks; it is not
// meant to run beside other work in the process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace meg {

struct FleetSimOptions {
  int sites = 100;
  int points = 20;
  Millis rate{1000};       // each site publishes once per rate
  Millis duration{30000};  // how long to publish
  std::vector<std::string> urls = {"nats://127.0.0.1:4222"};
  // One user for every simulated site (the documented exception to per-site users: a load
  // generator of 1,000 sites is one process, and the center user may also create the streams).
  std::string user = "center";
  std::string password;
  int connections = 4;              // the sites share these, round robin
  bool make_streams = true;         // create MEG_UP/MEG_DOWN if absent (needs the center user)
  std::string site_prefix = "sim";  // sites "sim0001", "sim0002", ...
};

struct FleetSimReport {
  int sites = 0;
  double seconds = 0;  // from the first publish to the last ack
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_acked = 0;
  std::uint64_t samples_acked = 0;
  std::uint64_t errors = 0;      // publishes refused, or not acknowledged
  std::uint64_t late_ticks = 0;  // rounds that started after their time (the generator lagged)
  double samples_per_s = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;  // publish to ack
};

// Runs the load for options.duration on `clock` (a wall clock: rounds are due every rate).
// Errors: bad options, no server, streams that cannot be made.
Result<FleetSimReport> RunFleetSim(const FleetSimOptions& options, Clock& clock);

}  // namespace meg
