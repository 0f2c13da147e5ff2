#include "app/fleet_sim_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/wall_clock.h"
#include "center/nats/fleet_sim.h"

namespace meg {
namespace {

struct FleetSimCommandOptions {
  FleetSimOptions sim;
  std::string nats = "nats://127.0.0.1:4222";
  std::int64_t rate_ms = 1000;
  double seconds = 30;
};

int RunFleetSimCommand(FleetSimCommandOptions o) {
  o.sim.urls = {o.nats};
  o.sim.rate = Millis{o.rate_ms};
  o.sim.duration = Millis{static_cast<std::int64_t>(o.seconds * 1000)};
  AcceleratedClock clock(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()), 1.0);
  auto report = RunFleetSim(o.sim, clock);
  if (!report) return ExitWith("meg fleet-sim", report.error());
  const FleetSimReport& r = *report;
  std::cout << fmt::format(
      "fleet-sim: {} sites x {} points every {} ms for {:.1f} s\n"
      "  messages sent {}, acknowledged {}, errors {}, late rounds {}\n"
      "  samples acknowledged {} ({:.0f} samples/s)\n"
      "  publish-to-ack latency p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n",
      r.sites, o.sim.points, o.rate_ms, r.seconds, r.messages_sent, r.messages_acked, r.errors, r.late_ticks,
      r.samples_acked, r.samples_per_s, r.latency_p50_ms, r.latency_p99_ms, r.latency_max_ms);
  return r.errors == 0 ? 0 : 1;
}

}  // namespace

void AddFleetSimCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<FleetSimCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "fleet-sim", "Load generator: N light edges publishing synthetic telemetry to NATS JetStream (docs/fleet.md)");
  cmd->add_option("--sites", o->sim.sites, "Simulated sites")->capture_default_str();
  cmd->add_option("--points", o->sim.points, "Points per site")->capture_default_str();
  cmd->add_option("--rate-ms", o->rate_ms, "Each site publishes once per this many ms")->capture_default_str();
  cmd->add_option("--seconds", o->seconds, "How long to publish")->capture_default_str();
  cmd->add_option("--nats", o->nats, "NATS server URL")->capture_default_str();
  cmd->add_option("--user", o->sim.user, "NATS user for every simulated site (the center user)")->capture_default_str();
  cmd->add_option("--password", o->sim.password, "Its password (or env MEG_NATS_PASSWORD)")
      ->envname("MEG_NATS_PASSWORD");
  cmd->add_option("--connections", o->sim.connections, "NATS connections the sites share")->capture_default_str();
  cmd->add_option("--site-prefix", o->sim.site_prefix, "Site ids are <prefix>0001, ...")->capture_default_str();
  cmd->callback([o, exit_code] { *exit_code = RunFleetSimCommand(*o); });
}

}  // namespace meg
