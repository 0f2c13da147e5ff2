#include "center/nats/fleet_sim.h"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <numbers>

#include "center/nats/center_link.h"
#include "center/nats/link_format.h"
#include "center/nats/nats_connection.h"

namespace meg {
namespace {

constexpr char kSentHeader[] = "Meg-Sent-Us";  // steady clock at publish, for the latency

std::int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What the ack handlers (libnats' threads) record.
struct Tally {
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::uint64_t acked = 0;
  std::uint64_t samples = 0;
  std::uint64_t errors = 0;
  std::int64_t last_ack_us = 0;
  int points = 20;
};

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* tally = static_cast<Tally*>(closure);
  const std::int64_t now = SteadyMicros();
  const char* sent = nullptr;
  double ms = -1;
  if (natsMsgHeader_Get(msg, kSentHeader, &sent) == NATS_OK && sent != nullptr) {
    ms = static_cast<double>(now - std::atoll(sent)) / 1000.0;
  }
  {
    std::lock_guard lock(tally->mutex);
    if (pa != nullptr && pae == nullptr) {
      ++tally->acked;
      tally->samples += static_cast<std::uint64_t>(tally->points);
      if (ms >= 0) tally->latencies_ms.push_back(ms);
      tally->last_ack_us = now;
    } else {
      ++tally->errors;
    }
  }
  natsMsg_Destroy(msg);
}

// Twin-like values of site `i` at `t`: a daily load and PV shape, a battery following the
// difference, the grid closing the balance (grid + PV + battery = load), and the rest of the
// points as auxiliary meters.
TelemetryMessage SiteCycle(const std::string& site, int i, int points, Instant t, Instant sent) {
  const double day = static_cast<double>(t.time_since_epoch().count() % 86400000) / 86400000.0;
  const double phase = 0.01 * i;
  const double load = 400 + 100 * i % 300 + 150 * std::sin(2 * std::numbers::pi * (day - 0.25 + phase));
  const double pv = std::max(0.0, 200 * std::sin(2 * std::numbers::pi * (day - 0.25)));
  const double battery = std::clamp(0.2 * (load - pv - 300), -100.0, 100.0);
  const double grid = load - pv - battery;
  const double soc = 50 + 30 * std::sin(2 * std::numbers::pi * (day + phase));
  TelemetryMessage m{site, sent, TelemetryOrigin::kLive, {}};
  const std::pair<const char*, double> main[] = {
      {"grid_kw", grid}, {"pv_kw", pv}, {"load_kw", load}, {"battery_kw", battery}, {"soc_pct", soc}};
  for (int p = 0; p < points; ++p) {
    if (p < 5) {
      m.samples.push_back({main[p].first, p == 4 ? "%" : "kW", t, main[p].second, SampleQuality::kGood});
    } else {
      m.samples.push_back({fmt::format("aux{:02d}_kw", p), "kW", t, load * 0.01 * p, SampleQuality::kGood});
    }
  }
  return m;
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto k =
      static_cast<std::size_t>(std::min<double>(static_cast<double>(v.size() - 1), q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

Result<FleetSimReport> RunFleetSim(const FleetSimOptions& options, Clock& clock) {
  if (options.sites < 1 || options.sites > 100000 || options.points < 1 || options.points > 1000 ||
      options.rate < Millis{10} || options.connections < 1 || options.connections > 64 ||
      options.duration <= Millis{0}) {
    return InvalidInput(
        "fleet-sim: --sites 1..100000, --points 1..1000, --rate-ms >= 10, --connections 1..64 and a "
        "positive --seconds");
  }
  Tally tally;
  tally.points = options.points;
  std::vector<std::unique_ptr<NatsConnection>> conns;
  for (int c = 0; c < options.connections; ++c) {
    NatsEndpoint e;
    e.urls = options.urls;
    e.user = options.user;
    e.password = options.password;
    e.name = fmt::format("meg-fleet-sim-{}", c);
    e.async_ack_handler = reinterpret_cast<void*>(&OnAck);
    e.async_ack_closure = &tally;
    e.request_wait = Millis{5000};
    MEG_TRY_ASSIGN(conn, NatsConnection::Connect(e));
    conns.push_back(std::move(conn));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (!conns.front()->connected()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return IoError(fmt::format("fleet-sim: no NATS server answered at {} within 10 s", options.urls.front()));
    }
    std::this_thread::sleep_for(Millis{50});
  }
  if (options.make_streams) MEG_TRY(MakeLinkStreams(*conns.front(), CenterLinkOptions{}));

  std::vector<std::string> sites;
  for (int i = 1; i <= options.sites; ++i) sites.push_back(fmt::format("{}{:04d}", options.site_prefix, i));
  FleetSimReport report;
  report.sites = options.sites;
  const std::int64_t start_us = SteadyMicros();
  const Instant start = clock.Now();
  std::uint64_t sent = 0;
  for (Instant round = start; round < start + options.duration; round += options.rate) {
    clock.SleepUntil(round);
    if (clock.Now() - round > options.rate) ++report.late_ticks;
    for (int i = 0; i < options.sites; ++i) {
      const std::string& site = sites[static_cast<std::size_t>(i)];
      const TelemetryMessage m = SiteCycle(site, i, options.points, round, clock.Now());
      const std::string payload = EncodeTelemetry(m);
      const std::string subject = UpSubject(site, UpKind::kTelemetry);
      const std::string id = UpMsgId(site, UpKind::kTelemetry, round, round, m.samples.size());
      natsMsg* msg = nullptr;
      if (natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size())) != NATS_OK) {
        ++report.errors;
        continue;
      }
      natsMsgHeader_Set(msg, kSentHeader, std::to_string(SteadyMicros()).c_str());
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = id.c_str();
      jsCtx* js = conns[static_cast<std::size_t>(i % options.connections)]->js();
      if (js_PublishMsgAsync(js, &msg, &po) == NATS_OK) {
        ++sent;
      } else {
        ++report.errors;
      }
      natsMsg_Destroy(msg);  // no effect when the library took it
    }
  }
  for (auto& c : conns) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 10000;
    js_PublishAsyncComplete(c->js(), &po);
  }
  std::lock_guard lock(tally.mutex);
  report.messages_sent = sent;
  report.messages_acked = tally.acked;
  report.samples_acked = tally.samples;
  report.errors += tally.errors + (sent - std::min<std::uint64_t>(sent, tally.acked + tally.errors));
  report.seconds = static_cast<double>(std::max(tally.last_ack_us, start_us + 1) - start_us) / 1e6;
  report.samples_per_s = static_cast<double>(tally.samples) / report.seconds;
  report.latency_p50_ms = Percentile(tally.latencies_ms, 0.50);
  report.latency_p99_ms = Percentile(tally.latencies_ms, 0.99);
  report.latency_max_ms =
      tally.latencies_ms.empty() ? 0 : *std::max_element(tally.latencies_ms.begin(), tally.latencies_ms.end());
  return report;
}

}  // namespace meg
