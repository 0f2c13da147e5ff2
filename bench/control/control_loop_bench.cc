// The control loop's cycle (issue 6): read every device, decide, limit, audit (a real file with
// fdatasync), send; on the Jeonju hospital's site twin split into 1,000 devices (1 meter, 499 PV
// inverters, 500 batteries), and on 20 Modbus TCP devices on loopback (Debian's pymodbus serving
// the SunSpec fixture of tests/device: 1 meter, 9 PV inverters, 10 batteries).
// Target: p99 cycle work under 50 ms for 1,000 devices.
//   build/release/bench/control_bench
// Figures are counters in ms: work_p50/p99/max (RunCycle alone, simulated time), and for the
// real-time run, jitter_p50/p99/max (how late each cycle started against its schedule).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "control/control_loop.h"
#include "control/rule_controllers.h"
#include "device/modbus/modbus_device.h"
#include "device/peer_process.h"
#include "device/sim/twin.h"
#include "site_fixture.h"
#include "store/audit_file.h"

namespace meg {
namespace {

using SteadyNs = std::chrono::nanoseconds;
SteadyNs SteadyNow() { return std::chrono::steady_clock::now().time_since_epoch(); }

// Real time from a start instant (the bench's own wall clock; the loop only sees Clock).
class RealClock final : public Clock {
 public:
  explicit RealClock(Instant start) : start_(start), wall_(std::chrono::steady_clock::now()) {}
  Instant Now() const override {
    return start_ + std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - wall_);
  }
  void SleepUntil(Instant t) override { std::this_thread::sleep_until(wall_ + (t - start_)); }
  // The steady-clock moment of instant t.
  SteadyNs WallOf(Instant t) const { return (wall_ + (t - start_)).time_since_epoch(); }

 private:
  Instant start_;
  std::chrono::steady_clock::time_point wall_;
};

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};
Percentiles Of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return {};
  return {v[v.size() / 2], v[static_cast<size_t>(0.99 * static_cast<double>(v.size() - 1))], v.back()};
}

struct TwinRig {
  explicit TwinRig(Instant start, Millis cycle) {
    const auto& f = bench::JeonjuHospital();
    twin = std::make_unique<SiteTwin>(f.inputs.load, f.inputs.pv, f.site.ess, 500, 499, start);
    devices = twin->MakeDevices();
    const auto dir = std::filesystem::temp_directory_path() / "meg-bench-audit";
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "audit.jsonl");
    audit = bench::OrDie(FileAuditLog::Open((dir / "audit.jsonl").string()), "audit log");
    std::vector<Device*> ptrs;
    for (auto& d : devices) ptrs.push_back(d.get());
    LoopConfig config;
    config.cycle = cycle;
    loop = std::make_unique<ControlLoop>(LoopSite{&f.site, &f.book, &f.calendar, f.tariff}, ptrs, *audit, config);
    loop->SetPlanner(&planner);
  }
  std::unique_ptr<SiteTwin> twin;
  std::vector<std::unique_ptr<Device>> devices;
  std::unique_ptr<FileAuditLog> audit;
  PeakShave planner{PeakShaveConfig{}};
  std::unique_ptr<ControlLoop> loop;
};

// A summer afternoon (2024-08-12 13:00 KST): counted 최대부하 windows, the peak guard busy.
Instant BenchStart() { return ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 13 * 60)); }

void BM_CycleWork_1000TwinDevices(benchmark::State& state) {
  Instant now = BenchStart();
  TwinRig rig(now, Millis(1000));
  std::vector<double> work_ms;
  long sent = 0;
  for (auto _ : state) {
    const SteadyNs t0 = SteadyNow();
    const CycleRecord r = rig.loop->RunCycle(now);
    work_ms.push_back(std::chrono::duration<double, std::milli>(SteadyNow() - t0).count());
    sent += r.commands_sent;
    benchmark::DoNotOptimize(r);
    now += Millis(1000);
  }
  const Percentiles p = Of(work_ms);
  state.counters["devices"] = static_cast<double>(rig.devices.size());
  state.counters["work_p50_ms"] = p.p50;
  state.counters["work_p99_ms"] = p.p99;
  state.counters["work_max_ms"] = p.max;
  state.counters["target_p99_ms"] = 50;
  state.counters["setpoints_per_cycle"] = static_cast<double>(sent) / static_cast<double>(work_ms.size());
  state.counters["audit_records"] = static_cast<double>(rig.audit->appended());
}
BENCHMARK(BM_CycleWork_1000TwinDevices)->Iterations(1800)->Unit(benchmark::kMillisecond);

// The loop on a real clock: 100 cycles of 100 ms (10 s), 1,000 twin devices. Jitter: how late
// each cycle started (on the steady clock) after its scheduled instant, first + n x cycle.
void BM_CycleJitter_1000TwinDevices(benchmark::State& state) {
  for (auto _ : state) {
    TwinRig rig(BenchStart(), Millis(100));
    RealClock clock(BenchStart());
    std::vector<double> late, work_ms;
    std::optional<Instant> first;
    rig.loop->Run(clock, [&](const CycleRecord& r) {
      const SteadyNs began = SteadyNow() - r.work;
      if (!first) first = r.time;
      const SteadyNs scheduled = clock.WallOf(*first + Millis(100) * static_cast<long>(late.size()));
      late.push_back(std::chrono::duration<double, std::milli>(began - scheduled).count());
      work_ms.push_back(std::chrono::duration<double, std::milli>(r.work).count());
      return late.size() < 100;
    }, SteadyNow);
    const Percentiles j = Of(late), w = Of(work_ms);
    state.counters["jitter_p50_ms"] = j.p50;
    state.counters["jitter_p99_ms"] = j.p99;
    state.counters["jitter_max_ms"] = j.max;
    state.counters["work_p99_ms"] = w.p99;
    state.counters["cycle_ms"] = 100;
  }
}
BENCHMARK(BM_CycleJitter_1000TwinDevices)->Iterations(1)->Unit(benchmark::kSecond);

// 20 Modbus devices, each its own pymodbus server process on loopback; 300 cycles of simulated
// time back to back (the servers run their physics in real time).
void BM_CycleWork_20ModbusDevices(benchmark::State& state) {
  char tmpl[] = "/tmp/openmeg-bench-modbus-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    state.SkipWithError("no temp dir");
    return;
  }
  const std::filesystem::path dir = tmpl;
  std::vector<testing::PeerProcess> servers;
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < 20; ++i) {
    const DeviceKind kind = i == 0 ? DeviceKind::kMeter : i <= 9 ? DeviceKind::kPv : DeviceKind::kBattery;
    const int port = testing::FreePort();
    servers.push_back(testing::StartSunSpecServer(dir, port, std::string(DeviceKindName(kind))));
    if (!servers.back().running()) {
      state.SkipWithError("a pymodbus server did not start (scripts/setup installs python3-pymodbus)");
      return;
    }
    ModbusSpec spec;
    spec.port = port;
    devices.push_back(std::make_unique<ModbusDevice>(fmt::format("dev{}", i + 1), kind, spec));
  }
  const auto& f = bench::JeonjuHospital();
  Site site = f.site;
  site.pv = {f.site.pv.front()};
  site.pv.front().inverter_kw = Kilowatts(90);  // 9 x the fixture's 10 kW
  site.ess->usable_kwh = KilowattHours(500);    // 10 x its 50 kWh, 25 kW
  site.ess->charge_kw = site.ess->discharge_kw = Kilowatts(250);
  site.ess->soc_min_pct = 10;
  site.ess->soc_max_pct = 90;
  site.contract_power = Kilowatts(300);
  const auto path = dir / "audit.jsonl";
  auto audit = bench::OrDie(FileAuditLog::Open(path.string()), "audit log");
  std::vector<Device*> ptrs;
  for (auto& d : devices) ptrs.push_back(d.get());
  ControlLoop loop(LoopSite{&site, &f.book, &f.calendar, f.tariff}, ptrs, *audit, LoopConfig{});
  PeakShave planner{PeakShaveConfig{}};
  loop.SetPlanner(&planner);
  Instant now = BenchStart();
  std::vector<double> work_ms;
  long sent = 0;
  for (auto _ : state) {
    const SteadyNs t0 = SteadyNow();
    const CycleRecord r = loop.RunCycle(now);
    work_ms.push_back(std::chrono::duration<double, std::milli>(SteadyNow() - t0).count());
    sent += r.commands_sent;
    now += Millis(1000);
  }
  const Percentiles p = Of(work_ms);
  state.counters["devices"] = 20;
  state.counters["work_p50_ms"] = p.p50;
  state.counters["work_p99_ms"] = p.p99;
  state.counters["work_max_ms"] = p.max;
  state.counters["setpoints_per_cycle"] = static_cast<double>(sent) / static_cast<double>(work_ms.size());
  state.counters["normal_at_end"] = loop.mode() == LoopMode::kNormal ? 1 : 0;
  servers.clear();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_CycleWork_20ModbusDevices)->Iterations(300)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
