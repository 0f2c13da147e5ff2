// The OCPP loop's time from a meter value to the profile that answers it, with 50 charge points at
// once (issue 20): the central system (device/ocpp) on a loopback port, the ocpp-rpc simulators of
// the tests (tests/device/ocpp_cp, `npm ci` there first) each sending 20 meter values whose power
// changes, and a reacting thread that, on each change it sees, shares 300 kW among the sessions
// with the limit stage's own function (control/ev_share.h) and sets the changed limits. Timed at the
// charge point: from sending MeterValues to receiving the SetChargingProfile that answers it. In `meg run` the
// limit is decided at the loop's next cycle (1 s by default), which adds up to one cycle to this.
// Usage: build/release/bench/ocpp_bench [charge points, default 50]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/ev_share.h"
#include "device/ocpp/central_system.h"
#include "device/peer_process.h"

namespace {

class SystemClock final : public meg::Clock {
 public:
  meg::Instant Now() const override {
    return std::chrono::time_point_cast<meg::Millis>(std::chrono::system_clock::now());
  }
  void SleepUntil(meg::Instant) override {}
};

}  // namespace

int main(int argc, char** argv) {
  using namespace meg;
  const int n = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::filesystem::path fixture = std::filesystem::path(MEG_TEST_SOURCE_DIR) / "device" / "ocpp_cp";
  if (!std::filesystem::exists(fixture / "node_modules" / "ocpp-rpc")) {
    std::fprintf(stderr, "ocpp_bench: run (cd %s && npm ci) first\n", fixture.c_str());
    return 2;
  }
  std::vector<ChargerSpec> chargers;
  for (int i = 1; i <= n; ++i) {
    ChargerSpec c;
    c.id = "cp" + std::to_string(i);
    chargers.push_back(c);
  }
  SystemClock clock;
  OcppSpec spec;
  spec.port = 0;
  auto cs = CentralSystem::Start(spec, chargers, clock);
  if (!cs) {
    std::fprintf(stderr, "ocpp_bench: %s\n", cs.error().message.c_str());
    return 1;
  }
  testing::TempDir dir("meg-ocpp-bench-");
  const auto log = dir.path() / "charge-points.log";
  testing::PeerProcess cps({"node", (fixture / "charge_points.mjs").string(), "--url",
                            "ws://127.0.0.1:" + std::to_string((*cs)->port()) + "/ocpp", "--scenario", "latency",
                            "--count", std::to_string(n)},
                           log);
  // The reacting side: polls the sessions every millisecond; on a changed power, shares 300 kW.
  std::atomic<bool> stop{false};
  std::thread react([&] {
    std::map<std::string, double> seen;
    while (!stop) {
      const std::vector<EvSession> sessions = (*cs)->Sessions(clock.Now());
      std::vector<bool> changed(sessions.size(), false);
      bool any = false;
      for (size_t i = 0; i < sessions.size(); ++i) {
        const EvSession& s = sessions[i];
        auto [it, fresh] = seen.emplace(s.charger, s.power.value());
        changed[i] = !fresh && it->second != s.power.value();
        any = any || changed[i];
        it->second = s.power.value();
      }
      if (any) {
        std::vector<EvShareInput> in;
        for (const EvSession& s : sessions) in.push_back(ShareInputOf(s, clock.Now()));
        double drawn = 0;
        for (const EvSession& s : sessions) drawn += s.power.value();
        const EvShareResult share = ShareEvHeadroom(Kilowatts(150 + drawn), Kilowatts(1000), in);
        // Only the sessions whose meter value changed get their new limit: each profile answers
        // one meter value (the others' limits would move by less than the loop's deadband).
        for (size_t i = 0; i < sessions.size(); ++i) {
          if (changed[i] && share.sessions[i].limit) {
            (void)(*cs)->SetLimit(sessions[i].charger, sessions[i].connector, *share.sessions[i].limit, clock.Now());
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const int status = cps.Wait(std::chrono::minutes(5));
  stop = true;
  react.join();
  std::istringstream lines(testing::ReadFile(log));
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("event", "") != "latency") continue;
    std::printf("OCPP meter value -> profile, %d charge points, %d samples: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", n,
                j["samples"].get<int>(), j["p50_ms"].get<double>(), j["p99_ms"].get<double>(),
                j["max_ms"].get<double>());
    return status == 0 ? 0 : 1;
  }
  std::fprintf(stderr, "ocpp_bench: the simulators gave no figure (exit %d):\n%s\n", status,
               testing::ReadFile(log).c_str());
  return 1;
}
