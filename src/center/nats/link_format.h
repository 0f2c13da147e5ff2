// The messages between a site's edge and the fleet center over NATS JetStream (docs/fleet.md,
// "The link: NATS JetStream"): subjects, message ids, and the JSON payloads, encoded and
// decoded as pure functions over bytes (no NATS here, so they are tested and fuzzed alone).
// Value types; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "center/site_backend.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace meg {

// Upstream (edge -> center): one stream, MEG_UP, subjects meg.<site>.tm / .evt / .bill / .sched.
// Downstream (center -> edge): one stream, MEG_DOWN, subjects meg.<site>.cmd, one durable pull
// consumer per site (edge-<site>); results come back on the core subject meg.<site>.res.<id>.
inline constexpr char kUpStream[] = "MEG_UP";
inline constexpr char kDownStream[] = "MEG_DOWN";
// The largest payload either side sends or accepts; a larger one is dropped as oversized.
inline constexpr std::size_t kMaxLinkMessageBytes = 256 * 1024;
// The most samples (or events) one message carries; a batch is split into several messages.
inline constexpr std::size_t kMaxSamplesPerMessage = 2000;

// A site id is one NATS subject token: 1-64 of [A-Za-z0-9_-].
bool ValidLinkToken(std::string_view site);

enum class UpKind { kTelemetry, kEvents, kBill, kSchedule };
std::string UpSubject(std::string_view site, UpKind kind);              // "meg.<site>.tm"
std::string CommandSubject(std::string_view site);                      // "meg.<site>.cmd"
std::string ResultSubject(std::string_view site, std::string_view id);  // "meg.<site>.res.<id>"
std::string CommandConsumer(std::string_view site);                     // "edge-<site>"
// The (site, kind) of an upstream subject, or an error naming the subject.
Result<std::pair<std::string, UpKind>> ParseUpSubject(std::string_view subject);

// The Nats-Msg-Id of an upstream message: "<site>.<tm|evt|bill|sched>.<first ms>-<last ms>-<count>".
// It names the content (a resend of the same batch has the same id and is dropped by the
// stream's duplicate window; a backfill chunk that overlaps a live batch has another id and is
// made harmless by the store's first-write-wins on (point, time)).
std::string UpMsgId(std::string_view site, UpKind kind, Instant first, Instant last, std::size_t count);

// One sample as it travels: the point by name (the stores on each side issue their own ids).
struct LinkSample {
  std::string point;  // "grid_kw"
  std::string unit;   // "kW"
  Instant time;
  double value = 0;  // NaN (null on the wire) for a bad sample without a value
  SampleQuality quality = SampleQuality::kGood;
  bool operator==(const LinkSample&) const = default;
};

// live: the edge's current cycles; backfill: read back from the edge's store after a gap.
enum class TelemetryOrigin { kLive, kBackfill };

struct TelemetryMessage {
  std::string site;
  Instant sent;  // the edge's clock when it published (the center checks it)
  TelemetryOrigin origin = TelemetryOrigin::kLive;
  std::vector<LinkSample> samples;  // by time
};

struct EventsMessage {
  std::string site;
  Instant sent;
  std::vector<Event> events;  // each event's site is the message's site
};

struct BillMessage {
  std::string site;
  Instant sent;
  StoredBill bill;
};

// The planner's latest schedule as the edge stored it (LiveSite::StoreSchedule), with its reason.
struct ScheduleMessage {
  std::string site;
  Instant sent;
  StoredSchedule schedule;
};

// Telemetry as compact JSON:
//   {"v":1,"site":"a","sent_ms":1723438805000,"origin":"live","units":{"grid_kw":"kW"},
//    "s":[["grid_kw",1723438805000,123.4,0],...]}   (a sample: point, time ms, value|null, quality)
std::string EncodeTelemetry(const TelemetryMessage& message);
// Decodes and checks a telemetry payload received on the subject of `subject_site`: size, the
// site in the payload equals the subject's, known version, at most kMaxSamplesPerMessage samples,
// every point named with a unit, finite values for good samples, times after 2000-01-01.
Result<TelemetryMessage> DecodeTelemetry(std::string_view subject_site, std::string_view payload);

//   {"v":1,"site":"a","sent_ms":...,"events":[{"t":ms,"kind":"fail-safe","sev":2,"msg":"..."}]}
std::string EncodeEvents(const EventsMessage& message);
Result<EventsMessage> DecodeEvents(std::string_view subject_site, std::string_view payload);

//   {"v":1,"site":"a","sent_ms":...,"month":"2024-08","bill":"<the bill's JSON text>"}
std::string EncodeBill(const BillMessage& message);
Result<BillMessage> DecodeBill(std::string_view subject_site, std::string_view payload);

//   {"v":1,"site":"a","sent_ms":...,"made_ms":...,"schedule":"<the schedule's JSON text>"}
std::string EncodeSchedule(const ScheduleMessage& message);
Result<ScheduleMessage> DecodeSchedule(std::string_view subject_site, std::string_view payload);

// A command for a site: an operator command or a DR call, with an id and an expiry (the
// center's clock); the edge refuses it once its own clock is past `expires`.
using LinkCommandBody = std::variant<OperatorCommand, DrCallRequest>;
struct CommandMessage {
  std::string id;  // [A-Za-z0-9_-]{1,64}, also its Nats-Msg-Id
  std::string site;
  Instant sent;
  Instant expires;
  LinkCommandBody body;
};

//   {"v":1,"id":"c1","site":"a","sent_ms":...,"expires_ms":...,"type":"operator",
//    "operator":{"kind":"setpoint","battery_kw":50,"minutes":15,"user":"kim"}}
//   {"v":1,...,"type":"dr","dr":{"kind":"reliability","issued_ms":null,"start_ms":...,
//    "end_ms":...,"requested_kw":100,"user":"kpx"}}
std::string EncodeCommand(const CommandMessage& message);
Result<CommandMessage> DecodeCommand(std::string_view subject_site, std::string_view payload);

// What the edge did with a command: accepted (audited and in force) or refused with the reason.
struct CommandResult {
  std::string id;
  bool accepted = false;
  std::string reason;  // empty when accepted
  bool operator==(const CommandResult&) const = default;
};
//   {"v":1,"id":"c1","accepted":false,"reason":"expired 3 s ago"}
std::string EncodeCommandResult(const CommandResult& result);
Result<CommandResult> DecodeCommandResult(std::string_view payload);

}  // namespace meg
