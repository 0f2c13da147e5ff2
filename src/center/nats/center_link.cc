#include "center/nats/center_link.h"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "center/nats/nats_connection.h"

namespace meg {
namespace {

constexpr std::int64_t kNsPerMs = 1000000;

// Adds the stream, or updates it when it exists (a restarted center keeps the stored messages).
Status AddOrUpdateStream(jsCtx* js, jsStreamConfig* cfg) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(nullptr, js, cfg, nullptr, &jerr);
  if (s == NATS_OK) return Ok{};
  if (jerr == JSStreamNameExistErr) {
    s = js_UpdateStream(nullptr, js, cfg, nullptr, &jerr);
    if (s == NATS_OK) return Ok{};
  }
  return IoError(NatsErrorText(fmt::format("center link: stream {}", cfg->Name), s, jerr));
}

Status AddOrUpdateConsumer(jsCtx* js, const char* stream, jsConsumerConfig* cfg) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(nullptr, js, stream, cfg, nullptr, &jerr);
  if (s == NATS_OK) return Ok{};
  s = js_UpdateConsumer(nullptr, js, stream, cfg, nullptr, &jerr);
  if (s == NATS_OK) return Ok{};
  return IoError(NatsErrorText(fmt::format("center link: consumer {} of {}", cfg->Durable, stream), s, jerr));
}

}  // namespace

CenterLink::CenterLink(CenterLinkOptions options, std::unique_ptr<TelemetryStore> sink, const Clock& clock)
    : options_(std::move(options)), sink_(std::move(sink)), clock_(clock) {}

Result<std::unique_ptr<CenterLink>> CenterLink::Start(CenterLinkOptions options, std::unique_ptr<TelemetryStore> sink,
                                                      const Clock& clock) {
  if (sink == nullptr) return InvalidInput("center link: no sink store");
  for (const std::string& site : options.sites) {
    if (!ValidLinkToken(site))
      return InvalidInput(fmt::format("center link: site id '{}' is not 1-64 of [A-Za-z0-9_-]", site));
  }
  if (options.fetch_batch < 1) options.fetch_batch = 1;
  std::unique_ptr<CenterLink> link(new CenterLink(std::move(options), std::move(sink), clock));
  NatsEndpoint endpoint;
  endpoint.urls = link->options_.urls;
  endpoint.user = link->options_.user;
  endpoint.password = link->options_.password;
  endpoint.name = "meg-center";
  MEG_TRY_ASSIGN(nats, NatsConnection::Connect(endpoint));
  link->nats_ = std::move(nats);
  MEG_TRY(link->MakeStreams());
  for (const std::string& site : link->options_.sites) link->sites_[site].site = site;
  link->consumer_ = std::thread([l = link.get()] { l->Run(); });
  return link;
}

CenterLink::~CenterLink() {
  stop_ = true;
  if (consumer_.joinable()) consumer_.join();
}

Status MakeLinkStreams(NatsConnection& nats, const CenterLinkOptions& options) {
  const std::string tm = UpSubject("*", UpKind::kTelemetry);
  const std::string evt = UpSubject("*", UpKind::kEvents);
  const std::string bill = UpSubject("*", UpKind::kBill);
  const std::string sched = UpSubject("*", UpKind::kSchedule);
  const char* up_subjects[] = {tm.c_str(), evt.c_str(), bill.c_str(), sched.c_str()};
  jsStreamConfig up;
  jsStreamConfig_Init(&up);
  up.Name = kUpStream;
  up.Subjects = up_subjects;
  up.SubjectsLen = 4;
  up.Storage = js_FileStorage;
  up.Duplicates = options.duplicate_window.count() * kNsPerMs;
  up.MaxAge = options.up_max_age.count() * kNsPerMs;
  up.Replicas = options.replicas;
  // No MaxMsgSize on MEG_UP: the server's max_payload bounds every message, and the center
  // itself drops (and counts, with an event) one larger than kMaxLinkMessageBytes.
  MEG_TRY(AddOrUpdateStream(nats.js(), &up));

  const std::string cmd = CommandSubject("*");
  const char* down_subjects[] = {cmd.c_str()};
  jsStreamConfig down;
  jsStreamConfig_Init(&down);
  down.Name = kDownStream;
  down.Subjects = down_subjects;
  down.SubjectsLen = 1;
  down.Storage = js_FileStorage;
  down.Duplicates = std::min(options.duplicate_window, options.down_max_age).count() * kNsPerMs;
  down.MaxAge = options.down_max_age.count() * kNsPerMs;
  down.Replicas = options.replicas;
  down.MaxMsgSize = static_cast<int32_t>(kMaxLinkMessageBytes);
  MEG_TRY(AddOrUpdateStream(nats.js(), &down));

  return Ok{};
}

Status CenterLink::MakeStreams() {
  MEG_TRY(MakeLinkStreams(*nats_, options_));
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = options_.durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckWait = options_.ack_wait.count() * kNsPerMs;
  cc.MaxAckPending = std::max<int64_t>(1000, 4LL * options_.fetch_batch);
  MEG_TRY(AddOrUpdateConsumer(nats_->js(), kUpStream, &cc));

  for (const std::string& site : options_.sites) {
    const std::string name = CommandConsumer(site);
    const std::string filter = CommandSubject(site);
    jsConsumerConfig sc;
    jsConsumerConfig_Init(&sc);
    sc.Durable = name.c_str();
    sc.FilterSubject = filter.c_str();
    sc.AckPolicy = js_AckExplicit;
    sc.DeliverPolicy = js_DeliverAll;
    sc.AckWait = 30000 * kNsPerMs;
    MEG_TRY(AddOrUpdateConsumer(nats_->js(), kDownStream, &sc));
  }
  return Ok{};
}

void CenterLink::Run() {
  natsSubscription* sub = nullptr;
  std::vector<natsMsg*> good;
  int failed_flushes = 0;
  while (!stop_) {
    if (sub == nullptr) {
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = kUpStream;
      so.Consumer = options_.durable.c_str();
      jsErrCode jerr = static_cast<jsErrCode>(0);
      if (js_PullSubscribe(&sub, nats_->js(), "", options_.durable.c_str(), nullptr, &so, &jerr) != NATS_OK) {
        sub = nullptr;
        std::this_thread::sleep_for(Millis{200});
        continue;
      }
    }
    natsMsgList list{};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = natsSubscription_Fetch(&list, sub, options_.fetch_batch, options_.fetch_wait.count(), &jerr);
    if (s != NATS_OK) {
      if (s != NATS_TIMEOUT) {
        // Bind again after a failure other than an empty wait (a lost connection, a consumer
        // made anew).
        natsSubscription_Destroy(sub);
        sub = nullptr;
        std::this_thread::sleep_for(Millis{100});
      }
      continue;
    }
    good.clear();
    batch_ = {};
    batch_sent_.clear();
    bool retry = false;
    for (int i = 0; i < list.Count; ++i) {
      const Taken t = Take(list.Msgs[i]);
      if (t != Taken::kDropped) good.push_back(list.Msgs[i]);
      retry = retry || t == Taken::kRetry;
    }
    // Acknowledge only what the sink has made durable: a batch whose flush (or a write) failed
    // is not acknowledged and comes again (the sink keeps the first write of each sample).
    Status flushed = sink_->Flush();
    if (flushed && retry) flushed = IoError("center link: a write to the sink failed");
    for (natsMsg* m : good) {
      if (flushed) {
        natsMsg_Ack(m, nullptr);
      } else {
        natsMsg_NakWithDelay(m, 1000, nullptr);
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (flushed) {
        const Instant stored = clock_.Now();
        for (const Instant sent : batch_sent_) {
          const double ms = static_cast<double>((stored - sent).count());
          if (latency_ms_.size() < kLatencyWindow) {
            latency_ms_.push_back(ms);
          } else {
            latency_ms_[latency_next_] = ms;
            latency_next_ = (latency_next_ + 1) % kLatencyWindow;
          }
        }
        // Counted once stored: a reader of the counts finds them in the sink.
        counts_.messages += good.size();
        counts_.samples += batch_.samples;
        counts_.events += batch_.events;
        counts_.bills += batch_.bills;
        counts_.schedules += batch_.schedules;
        counts_.duplicate_events += batch_.duplicate_events;
      } else {
        ++counts_.flush_failures;
      }
    }
    natsMsgList_Destroy(&list);
    // A sink that cannot write (its database down) is not hammered: wait 250 ms, doubling to 4 s,
    // before taking more (the stream keeps everything meanwhile).
    failed_flushes = flushed ? 0 : std::min(failed_flushes + 1, 5);
    if (failed_flushes > 0) {
      const auto until = std::chrono::steady_clock::now() + Millis{250LL << (failed_flushes - 1)};
      while (!stop_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(Millis{50});
    }
  }
  if (sub != nullptr) natsSubscription_Destroy(sub);
}

void CenterLink::Reject(const std::string& site, const std::string& why, bool oversized) {
  {
    std::lock_guard lock(mutex_);
    ++(oversized ? counts_.oversized : counts_.malformed);
  }
  const Event e{clock_.Now(), site, "link", Severity::kWarning, why.substr(0, 500)};
  (void)sink_->AppendEvents({&e, 1});  // best effort: the count above holds in any case
}

CenterLink::Taken CenterLink::Take(void* raw) {
  natsMsg* msg = static_cast<natsMsg*>(raw);
  const std::string subject = natsMsg_GetSubject(msg);
  const std::size_t size = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
  const std::string_view payload(natsMsg_GetData(msg), size);
  auto parsed = ParseUpSubject(subject);
  const std::string site = parsed ? parsed->first : std::string("center");
  const auto drop = [&](const std::string& why, bool oversized) {
    Reject(site, fmt::format("dropped a message on {}: {}", subject, why), oversized);
    natsMsg_Term(msg, nullptr);
    return Taken::kDropped;
  };
  if (!parsed) return drop(parsed.error().message, false);
  if (size > kMaxLinkMessageBytes) {
    return drop(fmt::format("{} bytes, more than {}", size, kMaxLinkMessageBytes), true);
  }
  Instant stored = clock_.Now();
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    stored = Instant{Millis{meta->Timestamp / kNsPerMs}};
    jsMsgMetaData_Destroy(meta);
  }
  Status taken = Ok{};
  Instant sent{};
  switch (parsed->second) {
    case UpKind::kTelemetry: {
      auto m = DecodeTelemetry(site, payload);
      if (!m) return drop(m.error().message, false);
      sent = m->sent;
      taken = TakeTelemetry(*m, stored);
      break;
    }
    case UpKind::kEvents: {
      auto m = DecodeEvents(site, payload);
      if (!m) return drop(m.error().message, false);
      sent = m->sent;
      taken = TakeEvents(*m);
      break;
    }
    case UpKind::kBill: {
      auto m = DecodeBill(site, payload);
      if (!m) return drop(m.error().message, false);
      sent = m->sent;
      taken = sink_->PutBill(m->bill);
      if (taken) ++batch_.bills;
      break;
    }
    case UpKind::kSchedule: {
      auto m = DecodeSchedule(site, payload);
      if (!m) return drop(m.error().message, false);
      sent = m->sent;
      taken = sink_->PutSchedule(m->schedule);
      if (taken) ++batch_.schedules;
      break;
    }
  }
  if (!taken && taken.error().code == ErrorCode::kInvalidInput) {
    return drop(taken.error().message, false);  // e.g. a point's unit changed: the sink refuses it
  }
  CheckClock(site, sent, stored);
  std::lock_guard lock(mutex_);
  SiteLinkView& view = sites_[site];
  view.site = site;
  view.heard = true;
  view.last_heard = std::max(view.last_heard, stored);
  return taken ? Taken::kGood : Taken::kRetry;
}

Result<PointId> CenterLink::SinkPoint(const std::string& site, const std::string& name, const std::string& unit) {
  const auto key = std::pair{site, name};
  if (const auto it = points_.find(key); it != points_.end()) return it->second;
  MEG_TRY_ASSIGN(id, sink_->Point(site, name, unit));
  points_.emplace(key, id);
  return id;
}

Status CenterLink::TakeTelemetry(const TelemetryMessage& m, Instant /*stored*/) {
  std::vector<Sample> samples;
  samples.reserve(m.samples.size());
  for (const LinkSample& s : m.samples) {
    MEG_TRY_ASSIGN(id, SinkPoint(m.site, s.point, s.unit));
    samples.push_back(Sample{id, s.time, s.value, s.quality});
  }
  MEG_TRY(sink_->Append(samples));
  batch_.samples += samples.size();
  std::lock_guard lock(mutex_);
  SiteLinkView& view = sites_[m.site];
  if (m.origin == TelemetryOrigin::kLive && !view.clock_flagged) batch_sent_.push_back(m.sent);
  view.samples += samples.size();
  for (const LinkSample& s : m.samples) {
    if (s.time >= view.latest_time) {
      view.latest_time = s.time;
      view.latest[s.point] = s.value;
    }
  }
  return Ok{};
}

Status CenterLink::TakeEvents(const EventsMessage& m) {
  std::vector<Event> fresh;
  std::uint64_t repeated = 0;
  for (const Event& e : m.events) {
    // A redelivered or backfilled event is already in the sink: events have no key of their
    // own, so look for the same one at the same time.
    MEG_TRY_ASSIGN(there, sink_->Events(m.site, e.time, e.time + Millis{1}));
    bool seen = false;
    for (const Event& t : there) seen = seen || t == e;
    for (const Event& t : fresh) seen = seen || t == e;
    if (seen) {
      ++repeated;
    } else {
      fresh.push_back(e);
    }
  }
  MEG_TRY(sink_->AppendEvents(fresh));
  batch_.events += fresh.size();
  batch_.duplicate_events += repeated;
  return Ok{};
}

void CenterLink::CheckClock(const std::string& site, Instant sent, Instant stored) {
  const std::int64_t offset = (sent - stored).count();
  const bool off = std::llabs(offset) > options_.max_clock_skew.count();
  bool flag = false;
  {
    std::lock_guard lock(mutex_);
    SiteLinkView& view = sites_[site];
    view.clock_offset_ms = offset;
    flag = off && !view.clock_flagged;
    view.clock_flagged = off;
    if (flag) ++counts_.clock_flags;
  }
  if (flag) {
    const Event e{clock_.Now(), site, "clock", Severity::kWarning,
                  fmt::format("the edge's clock is {:.1f} s off the center's (more than {} s): check its time sync",
                              static_cast<double>(offset) / 1000.0, options_.max_clock_skew.count() / 1000)};
    (void)sink_->AppendEvents({&e, 1});
  }
}

std::vector<SiteLinkView> CenterLink::Sites() const {
  const Instant now = clock_.Now();
  std::lock_guard lock(mutex_);
  std::vector<SiteLinkView> out;
  for (const auto& [id, view] : sites_) {
    out.push_back(view);
    out.back().online = view.heard && now - view.last_heard < options_.offline_after;
  }
  return out;
}

std::optional<SiteLinkView> CenterLink::Site(std::string_view site) const {
  const Instant now = clock_.Now();
  std::lock_guard lock(mutex_);
  const auto it = sites_.find(site);
  if (it == sites_.end()) return std::nullopt;
  SiteLinkView view = it->second;
  view.online = view.heard && now - view.last_heard < options_.offline_after;
  return view;
}

LinkLatency CenterLink::Latency() const {
  std::vector<double> v;
  {
    std::lock_guard lock(mutex_);
    v = latency_ms_;
  }
  LinkLatency out;
  out.messages = v.size();
  if (v.empty()) return out;
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]; };
  out.p50_ms = at(0.5);
  out.p99_ms = at(0.99);
  out.max_ms = v.back();
  return out;
}

CenterLinkCounts CenterLink::Counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

Result<CommandResult> CenterLink::SendCommand(const std::string& site, const LinkCommandBody& command, Millis timeout,
                                              Millis ttl) {
  if (!ValidLinkToken(site)) return InvalidInput(fmt::format("center link: site id '{}' is not valid", site));
  const Instant now = clock_.Now();
  CommandMessage m;
  m.id = fmt::format("c{}-{}", now.time_since_epoch().count(), next_command_++);
  m.site = site;
  m.sent = now;
  m.expires = now + ttl;
  m.body = command;
  natsSubscription* sub = nullptr;
  const std::string reply = ResultSubject(site, m.id);
  natsStatus s = natsConnection_SubscribeSync(&sub, nats_->nc(), reply.c_str());
  if (s != NATS_OK) return IoError(NatsErrorText("center link: subscribe " + reply, s));
  const std::string payload = EncodeCommand(m);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = m.id.c_str();
  po.ExpectStream = kDownStream;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_Publish(nullptr, nats_->js(), CommandSubject(site).c_str(), payload.data(), static_cast<int>(payload.size()),
                 &po, &jerr);
  if (s != NATS_OK) {
    natsSubscription_Destroy(sub);
    return IoError(NatsErrorText("center link: send command to " + site, s, jerr));
  }
  natsMsg* answer = nullptr;
  s = natsSubscription_NextMsg(&answer, sub, timeout.count());
  natsSubscription_Destroy(sub);
  if (s != NATS_OK) {
    return IoError(
        fmt::format("center link: site {} did not answer command {} within {} ms (it stays queued until {} ms "
                    "after it was sent)",
                    site, m.id, timeout.count(), ttl.count()));
  }
  const std::string_view data(natsMsg_GetData(answer), static_cast<std::size_t>(natsMsg_GetDataLength(answer)));
  auto result = DecodeCommandResult(data);
  natsMsg_Destroy(answer);
  return result;
}

}  // namespace meg
