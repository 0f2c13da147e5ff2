// CenterLink: the fleet center's side of the link over NATS JetStream (docs/fleet.md, "The link:
// NATS JetStream"). It creates the streams MEG_UP and MEG_DOWN and each site's command
// consumer, consumes MEG_UP with a durable pull consumer on its own thread, checks every
// message, writes it to a TelemetryStore sink and acknowledges only after the sink's Flush; it
// keeps each site's latest values and when it was last heard, and sends commands down. All
// public methods are thread-safe; the sink is used on the consumer thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "center/nats/link_format.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace meg {

class NatsConnection;

struct CenterLinkOptions {
  std::vector<std::string> urls;
  std::string user = "center";
  std::string password;
  std::vector<std::string> sites;  // the fleet: each gets its command consumer edge-<site>
  std::string durable = "center";  // the durable pull consumer on MEG_UP
  int fetch_batch = 256;
  Millis fetch_wait{500};
  Millis ack_wait{30000};                     // an unacknowledged message is redelivered after this
  Millis duplicate_window{600000};            // MEG_UP drops a repeated Nats-Msg-Id within this
  Millis up_max_age{7LL * 24 * 3600 * 1000};  // MEG_UP keeps messages this long at most
  Millis down_max_age{3600000};               // MEG_DOWN keeps commands this long at most
  Millis offline_after{10000};                // a site not heard for this long is offline
  Millis max_clock_skew{300000};              // an edge whose clock is further off is flagged
  int replicas = 1;                           // copies of each stream (3 on a 3-node cluster)
};

// One site as the link sees it (the fleet overview's live part).
struct SiteLinkView {
  std::string site;
  bool heard = false;                    // any message since the center started
  Instant last_heard{};                  // when the stream took the site's latest message (server time)
  bool online = false;                   // heard within offline_after of the center's clock
  Instant latest_time{};                 // time of the newest sample
  std::map<std::string, double> latest;  // point -> newest value (NaN when bad)
  std::int64_t clock_offset_ms = 0;      // the edge's clock less the stream's, last message
  bool clock_flagged = false;            // |offset| > max_clock_skew
  std::uint64_t samples = 0;             // samples taken (replays included)
};

// Samples, events, bills and messages are counted once the sink has flushed them.
struct CenterLinkCounts {
  std::uint64_t messages = 0;  // taken and acknowledged (good ones)
  std::uint64_t samples = 0;
  std::uint64_t events = 0;
  std::uint64_t bills = 0;
  std::uint64_t schedules = 0;
  std::uint64_t malformed = 0;       // dropped (terminated) with an event
  std::uint64_t oversized = 0;       // dropped (terminated) with an event
  std::uint64_t flush_failures = 0;  // batches left unacknowledged (redelivered later)
  std::uint64_t clock_flags = 0;
  std::uint64_t duplicate_events = 0;  // redelivered events already in the sink
};

// Edge to database: from a live telemetry message's `sent` (the edge's clock) to the center's
// clock when the sink's Flush that stored it returned, over the last kLatencyWindow messages
// (messages from an edge whose clock is flagged are left out: their times say nothing).
struct LinkLatency {
  std::uint64_t messages = 0;  // in the window
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};
inline constexpr std::size_t kLatencyWindow = 100'000;

// Creates MEG_UP and MEG_DOWN, or updates them keeping their messages (what CenterLink::Start
// does first; for tools that publish without a center, e.g. `meg fleet-sim`). Needs a user that
// may use JetStream's API (the center user).
Status MakeLinkStreams(NatsConnection& nats, const CenterLinkOptions& options);

class CenterLink {
 public:
  // Connects, creates or updates MEG_UP (subjects meg.*.tm/evt/bill, file storage, duplicate
  // window) and MEG_DOWN (meg.*.cmd, file storage) and the consumers, and starts consuming.
  // `sink` is used on the consumer thread only; `clock` (thread-safe, outliving the link) judges
  // offline sites and stamps the center's own events. Errors: no server answered within its
  // request wait, a stream that cannot be made, bad site ids.
  static Result<std::unique_ptr<CenterLink>> Start(CenterLinkOptions options, std::unique_ptr<TelemetryStore> sink,
                                                   const Clock& clock);
  ~CenterLink();
  CenterLink(const CenterLink&) = delete;
  CenterLink& operator=(const CenterLink&) = delete;

  // Every site heard of or configured, by id.
  std::vector<SiteLinkView> Sites() const;
  std::optional<SiteLinkView> Site(std::string_view site) const;
  CenterLinkCounts Counts() const;
  LinkLatency Latency() const;

  // Sends `command` to `site` (stream MEG_DOWN, id and expiry = now + ttl), and waits up to
  // `timeout` for the edge's result: accepted, or refused with its reason. An error when no
  // result came in time (the command stays in the stream until it expires) or the publish failed.
  Result<CommandResult> SendCommand(const std::string& site, const LinkCommandBody& command, Millis timeout,
                                    Millis ttl = Millis{60000});

 private:
  CenterLink(CenterLinkOptions options, std::unique_ptr<TelemetryStore> sink, const Clock& clock);
  Status MakeStreams();
  void Run();
  // What became of one message: written to the sink, dropped (terminated) as bad, or not
  // written for a failure of the sink (to come again).
  enum class Taken { kGood, kDropped, kRetry };
  Taken Take(void* msg);  // natsMsg*
  void Reject(const std::string& site, const std::string& why, bool oversized);
  Result<PointId> SinkPoint(const std::string& site, const std::string& name, const std::string& unit);
  Status TakeTelemetry(const TelemetryMessage& m, Instant stored);
  Status TakeEvents(const EventsMessage& m);
  void CheckClock(const std::string& site, Instant sent, Instant stored);

  CenterLinkOptions options_;
  std::unique_ptr<TelemetryStore> sink_;  // consumer thread only
  const Clock& clock_;
  std::unique_ptr<NatsConnection> nats_;
  std::map<std::pair<std::string, std::string>, PointId> points_;  // consumer thread only
  std::atomic<std::uint64_t> next_command_{1};
  CenterLinkCounts batch_;           // consumer thread only: the batch's writes, counted once flushed
  std::vector<Instant> batch_sent_;  // consumer thread only: the batch's live messages' sent times
  std::vector<double> latency_ms_;   // under mutex_: a ring of the last kLatencyWindow latencies
  std::size_t latency_next_ = 0;     // under mutex_

  mutable std::mutex mutex_;
  std::map<std::string, SiteLinkView, std::less<>> sites_;
  CenterLinkCounts counts_;
  std::atomic<bool> stop_{false};
  std::thread consumer_;
};

}  // namespace meg
