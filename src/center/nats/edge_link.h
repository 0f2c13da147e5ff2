// EdgeLink: a site's side of the link to the fleet center over NATS JetStream (docs/fleet.md,
// "The link: NATS JetStream"). The control thread offers each cycle's samples, events and bills;
// a publisher thread sends them to meg.<site>.tm/.evt/.bill on stream MEG_UP, and after a gap
// (link down, queue full, a restart) sends live data first and then backfills, in order and
// rate-bounded, what the center has not acknowledged, read back from the site's own store. A
// command thread takes the center's commands (stream MEG_DOWN, consumer edge-<site>) and hands
// them to the site's SiteBackend. Offer* never block; every method is thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "center/nats/link_format.h"
#include "center/site_backend.h"
#include "center/site_uplink.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace meg {

class NatsConnection;

struct EdgeLinkOptions {
  std::string site;               // a subject token (ValidLinkToken)
  std::vector<std::string> urls;  // "nats://host:4222", ...
  std::string user;               // the site's own NATS user (nats_config.h)
  std::string password;
  // Where the acknowledged-through time is kept (a small text file, rewritten by rename); e.g.
  // "<store>.link-cursor" beside the store.
  std::string cursor_path;
  std::size_t queue_capacity = 64;       // messages waiting in memory; more are dropped (and backfilled)
  Millis publish_wait{2000};             // how long a publish waits for the stream's ack
  Millis backfill_span{60000};           // store time read per backfill step
  double backfill_samples_per_s = 5000;  // the backfill's rate bound (samples and events)
  // How far back a backfill reaches: an older cursor is moved up to now - max_backfill (the
  // store's raw retention keeps 7 days; older data is not there to send).
  Millis max_backfill{7LL * 24 * 3600 * 1000};
  // On the first start (no cursor file): send history from now - initial_backfill (0: from now).
  Millis initial_backfill{0};
};

// Counts since Start; samples and events are counted one by one, bills as messages.
struct EdgeLinkCounts {
  std::uint64_t published = 0;       // live samples+events handed to JetStream
  std::uint64_t acknowledged = 0;    // live samples+events the stream acknowledged
  std::uint64_t backfilled = 0;      // samples+events resent from the store and acknowledged
  std::uint64_t dropped = 0;         // samples+events dropped from memory (to be backfilled)
  std::uint64_t bills = 0;           // bills acknowledged
  std::uint64_t schedules = 0;       // schedules acknowledged
  std::uint64_t unknown_points = 0;  // offered samples whose point the store did not know
  std::uint64_t commands_accepted = 0;
  std::uint64_t commands_refused = 0;  // refused by the site, expired, or malformed
};

class EdgeLink final : public SiteUplink {
 public:
  // Starts the link's threads. `history` is a store connection for the link's thread only (a
  // SqliteStore::OpenReader on the site's store file): it names the points of offered samples
  // and is read for the backfill. `clock` stamps messages and judges command expiry (must be
  // thread-safe and outlive the link). `backend`, when not null, receives the center's commands
  // and must outlive the link. Errors: a bad site id, no cursor path, a cursor file that cannot
  // be read, bad NATS options. A server that does not answer is not an error: the link retries.
  static Result<std::unique_ptr<EdgeLink>> Start(EdgeLinkOptions options, std::unique_ptr<TelemetryStore> history,
                                                 const Clock& clock, SiteBackend* backend);
  ~EdgeLink();  // stops the threads (a publish in flight finishes within publish_wait)
  EdgeLink(const EdgeLink&) = delete;
  EdgeLink& operator=(const EdgeLink&) = delete;

  // Queue a cycle's samples (already appended to the site's store), events, or a bill. Never
  // block: when the queue is full or the link is down they are dropped from memory and the gap
  // is backfilled from the store later (bills are not backfilled: the next one replaces them).
  void OfferSamples(std::span<const Sample> samples) override;
  void OfferEvents(std::span<const Event> events) override;
  void OfferBill(const StoredBill& bill) override;
  void OfferSchedule(const StoredSchedule& schedule) override;

  EdgeLinkCounts Counts() const;
  bool Connected() const;
  // Everything of the site's store with a time before this is in the center's stream.
  Instant AckedThrough() const;
  // True while a gap waits to be backfilled.
  bool Backfilling() const;

 private:
  struct Outgoing {
    UpKind kind = UpKind::kTelemetry;
    std::vector<Sample> samples;
    std::vector<Event> events;
    StoredBill bill;
    StoredSchedule schedule;
    Instant first, last;
    std::size_t count() const { return samples.size() + events.size(); }
  };

  EdgeLink(EdgeLinkOptions options, std::unique_ptr<TelemetryStore> history, const Clock& clock, SiteBackend* backend);
  void Push(Outgoing item);
  void RunPublisher();
  void RunCommands();
  void Drop(const Outgoing& item);
  void OnLiveAcked(const Outgoing& item);
  Status PublishLive(const Outgoing& item);
  // Publishes the samples (as several messages when many) with origin `origin`.
  Status PublishSamples(std::vector<LinkSample> samples, TelemetryOrigin origin);
  Status PublishEvents(const std::vector<Event>& events);
  Status Publish(const std::string& subject, const std::string& msg_id, const std::string& payload);
  // One backfill step: what the store holds in [cursor, min(cursor + span, live start)).
  void BackfillStep();
  Result<bool> FlushedBefore(Instant t);
  Result<std::vector<LinkSample>> ToLinkSamples(std::span<const Sample> samples);
  void SaveCursor(Instant cursor);  // publisher thread (or Start), never under mutex_
  void HandleCommand(void* msg);    // natsMsg*

  EdgeLinkOptions options_;
  std::unique_ptr<TelemetryStore> history_;  // publisher thread only
  const Clock& clock_;
  SiteBackend* backend_;
  std::unique_ptr<NatsConnection> nats_;
  std::map<std::int64_t, std::pair<std::string, std::string>> names_;  // publisher thread only
  Instant saved_cursor_{};  // publisher thread only: what the cursor file holds

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::deque<Outgoing> queue_;
  EdgeLinkCounts counts_;
  Instant cursor_{};  // everything before it is acknowledged (the durable part of the state)
  bool gap_ = false;  // something after cursor_ was not acknowledged
  // The first live item acknowledged since the gap whose data is newer than all data dropped:
  // everything from it on was acknowledged. An older item acknowledged later (it waited in the
  // queue while newer ones were dropped for want of room) does not start it.
  std::optional<Instant> live_start_;
  Instant dropped_end_{};                  // just after the newest data ever dropped
  Instant live_end_{};                     // just after the last live item acknowledged since then
  std::optional<Instant> flushed_before_;  // the store is known flushed before this
  std::chrono::steady_clock::time_point next_backfill_{};
  // Command thread only: the results of the last 1000 commands, so that a redelivered one is
  // answered again rather than carried out twice (not kept over a restart).
  std::map<std::string, CommandResult> done_commands_;
  std::deque<std::string> done_order_;

  std::thread publisher_;
  std::thread commands_;
};

}  // namespace meg
