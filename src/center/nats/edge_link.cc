#include "center/nats/edge_link.h"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "center/nats/nats_config.h"
#include "center/nats/nats_connection.h"

namespace meg {
namespace {

std::int64_t Ms(Instant t) { return t.time_since_epoch().count(); }

Result<std::optional<Instant>> ReadCursor(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<Instant>{};
  std::ifstream in(path);
  long long ms = 0;
  if (!(in >> ms))
    return InvalidInput(fmt::format("{}: not a link cursor (one integer of ms); delete it to resend from now", path));
  return std::optional<Instant>{Instant{Millis{ms}}};
}

}  // namespace

EdgeLink::EdgeLink(EdgeLinkOptions options, std::unique_ptr<TelemetryStore> history, const Clock& clock,
                   SiteBackend* backend)
    : options_(std::move(options)), history_(std::move(history)), clock_(clock), backend_(backend) {}

Result<std::unique_ptr<EdgeLink>> EdgeLink::Start(EdgeLinkOptions options, std::unique_ptr<TelemetryStore> history,
                                                  const Clock& clock, SiteBackend* backend) {
  if (!ValidLinkToken(options.site)) {
    return InvalidInput(fmt::format("edge link: site id '{}' is not 1-64 of [A-Za-z0-9_-]", options.site));
  }
  if (options.cursor_path.empty()) return InvalidInput("edge link: no cursor path (e.g. <store>.link-cursor)");
  if (history == nullptr) return InvalidInput("edge link: no store to read history from");
  if (options.queue_capacity == 0) options.queue_capacity = 1;
  MEG_TRY_ASSIGN(saved, ReadCursor(options.cursor_path));
  std::unique_ptr<EdgeLink> link(new EdgeLink(std::move(options), std::move(history), clock, backend));
  const Instant now = clock.Now();
  const Instant oldest = now - link->options_.max_backfill;
  if (saved) {
    // Whatever happened after the saved cursor is unknown: backfill from it.
    link->cursor_ = std::max(*saved, oldest);
    link->saved_cursor_ = *saved;
    link->gap_ = true;
  } else {
    link->cursor_ = now - link->options_.initial_backfill;
    link->gap_ = link->options_.initial_backfill > Millis{0};
    link->SaveCursor(link->cursor_);
    link->saved_cursor_ = link->cursor_;
  }
  NatsEndpoint endpoint;
  endpoint.urls = link->options_.urls;
  endpoint.user = link->options_.user;
  endpoint.password = link->options_.password;
  endpoint.name = "meg-edge-" + link->options_.site;
  endpoint.inbox_prefix = EdgeInboxPrefix(link->options_.site);
  endpoint.request_wait = link->options_.publish_wait;
  MEG_TRY_ASSIGN(nats, NatsConnection::Connect(endpoint));
  link->nats_ = std::move(nats);
  link->publisher_ = std::thread([l = link.get()] { l->RunPublisher(); });
  if (backend != nullptr) link->commands_ = std::thread([l = link.get()] { l->RunCommands(); });
  return link;
}

EdgeLink::~EdgeLink() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  if (commands_.joinable()) commands_.join();
}

void EdgeLink::OfferSamples(std::span<const Sample> samples) {
  if (samples.empty()) return;
  Outgoing item;
  item.kind = UpKind::kTelemetry;
  item.samples.assign(samples.begin(), samples.end());
  const auto [lo, hi] = std::minmax_element(samples.begin(), samples.end(),
                                            [](const Sample& a, const Sample& b) { return a.time < b.time; });
  item.first = lo->time;
  item.last = hi->time;
  Push(std::move(item));
}

void EdgeLink::OfferEvents(std::span<const Event> events) {
  if (events.empty()) return;
  Outgoing item;
  item.kind = UpKind::kEvents;
  item.events.assign(events.begin(), events.end());
  const auto [lo, hi] =
      std::minmax_element(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  item.first = lo->time;
  item.last = hi->time;
  Push(std::move(item));
}

void EdgeLink::OfferBill(const StoredBill& bill) {
  Outgoing item;
  item.kind = UpKind::kBill;
  item.bill = bill;
  item.first = item.last = clock_.Now();
  Push(std::move(item));
}

void EdgeLink::OfferSchedule(const StoredSchedule& schedule) {
  Outgoing item;
  item.kind = UpKind::kSchedule;
  item.schedule = schedule;
  item.first = item.last = clock_.Now();
  Push(std::move(item));
}

void EdgeLink::Push(Outgoing item) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.queue_capacity) {
      Drop(item);
      return;
    }
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
}

// REQUIRES: mutex_ held.
void EdgeLink::Drop(const Outgoing& item) {
  counts_.dropped += item.count();
  if (item.kind == UpKind::kBill) return;
  // The gap reaches back to the dropped item; what the center acknowledged after it is resent
  // (harmless: the center's store keeps the first write of each (point, time)).
  gap_ = true;
  cursor_ = std::min(cursor_, item.first);
  dropped_end_ = std::max(dropped_end_, item.last + Millis{1});
  live_start_.reset();
}

// REQUIRES: mutex_ held.
void EdgeLink::OnLiveAcked(const Outgoing& item) {
  if (item.kind == UpKind::kBill) {
    ++counts_.bills;
    return;
  }
  if (item.kind == UpKind::kSchedule) {
    ++counts_.schedules;
    return;
  }
  counts_.acknowledged += item.count();
  const Instant end = item.last + Millis{1};
  if (!gap_) {
    cursor_ = std::max(cursor_, end);
    return;
  }
  // Only data newer than every drop can start the acknowledged run: a queued older item acked
  // after newer ones were dropped (a full queue while cut off) would otherwise close the gap
  // over the dropped ones.
  if (!live_start_ && item.first >= dropped_end_) live_start_ = item.first;
  live_end_ = std::max(live_end_, end);
}

void EdgeLink::SaveCursor(Instant cursor) {
  // Not fsynced: a cursor older than the truth only resends what the center already has.
  const std::string tmp = options_.cursor_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << Ms(cursor) << "\n";
    if (!out) return;
  }
  std::rename(tmp.c_str(), options_.cursor_path.c_str());
}

void EdgeLink::RunPublisher() {
  while (true) {
    std::optional<Outgoing> item;
    bool backfill = false;
    {
      std::unique_lock lock(mutex_);
      // Live first: the queue is served before each backfill step; a due step does not wait.
      const bool due = gap_ && live_start_.has_value() && std::chrono::steady_clock::now() >= next_backfill_;
      wake_.wait_for(lock, due ? Millis{0} : Millis{100}, [&] { return stop_ || !queue_.empty(); });
      if (stop_) break;
      if (!queue_.empty()) {
        item = std::move(queue_.front());
        queue_.pop_front();
        if (!nats_->connected()) {
          Drop(*item);
          continue;
        }
        if (item->kind != UpKind::kBill) counts_.published += item->count();
      } else {
        backfill = gap_ && live_start_.has_value() && std::chrono::steady_clock::now() >= next_backfill_;
      }
    }
    if (item) {
      const Status sent = PublishLive(*item);
      std::lock_guard lock(mutex_);
      if (sent) {
        OnLiveAcked(*item);
      } else {
        Drop(*item);
      }
    } else if (backfill && nats_->connected()) {
      BackfillStep();
    }
    // The file is written here, outside the lock that Offer* take: the control thread never
    // waits on the disk for the link.
    Instant cursor;
    {
      std::lock_guard lock(mutex_);
      cursor = cursor_;
    }
    if (cursor != saved_cursor_) {
      SaveCursor(cursor);
      saved_cursor_ = cursor;
    }
  }
  std::lock_guard lock(mutex_);
  if (cursor_ != saved_cursor_) SaveCursor(cursor_);  // the last word, as the link stops
}

Status EdgeLink::PublishLive(const Outgoing& item) {
  switch (item.kind) {
    case UpKind::kTelemetry: {
      MEG_TRY_ASSIGN(samples, ToLinkSamples(item.samples));
      return PublishSamples(std::move(samples), TelemetryOrigin::kLive);
    }
    case UpKind::kEvents: return PublishEvents(item.events);
    case UpKind::kBill: {
      const std::string payload = EncodeBill(BillMessage{options_.site, clock_.Now(), item.bill});
      // FNV-1a of the bill's text: a resend of the same bill has the same id (std::hash is not
      // stable across processes).
      std::uint64_t h = 14695981039346656037ull;
      for (const unsigned char c : item.bill.json) h = (h ^ c) * 1099511628211ull;
      const std::string id = fmt::format("{}.bill.{}.{:016x}", options_.site, FormatMonth(item.bill.month), h);
      return Publish(UpSubject(options_.site, UpKind::kBill), id, payload);
    }
    case UpKind::kSchedule: {
      // A schedule is named by when it was made: a resend is the same message.
      const std::string payload = EncodeSchedule(ScheduleMessage{options_.site, clock_.Now(), item.schedule});
      const std::string id = fmt::format("{}.sched.{}", options_.site, Ms(item.schedule.made));
      return Publish(UpSubject(options_.site, UpKind::kSchedule), id, payload);
    }
  }
  return Ok{};
}

Result<std::vector<LinkSample>> EdgeLink::ToLinkSamples(std::span<const Sample> samples) {
  std::vector<LinkSample> out;
  out.reserve(samples.size());
  for (const Sample& s : samples) {
    auto it = names_.find(s.point.value);
    if (it == names_.end()) {
      MEG_TRY_ASSIGN(points, history_->Points(options_.site));
      for (const PointInfo& p : points) names_[p.id.value] = {p.name, p.unit};
      it = names_.find(s.point.value);
    }
    if (it == names_.end()) {
      std::lock_guard lock(mutex_);
      ++counts_.unknown_points;
      continue;
    }
    out.push_back(LinkSample{it->second.first, it->second.second, s.time, s.value, s.quality});
  }
  return out;
}

Status EdgeLink::PublishSamples(std::vector<LinkSample> samples, TelemetryOrigin origin) {
  std::stable_sort(samples.begin(), samples.end(),
                   [](const LinkSample& a, const LinkSample& b) { return a.time < b.time; });
  // ~23 KB of JSON with short point names; under kMaxLinkMessageBytes even with 128-byte names.
  constexpr std::size_t kPerMessage = 500;
  for (std::size_t i = 0; i < samples.size(); i += kPerMessage) {
    TelemetryMessage m{options_.site, clock_.Now(), origin, {}};
    const std::size_t end = std::min(samples.size(), i + kPerMessage);
    m.samples.assign(samples.begin() + static_cast<std::ptrdiff_t>(i),
                     samples.begin() + static_cast<std::ptrdiff_t>(end));
    const std::string id =
        UpMsgId(options_.site, UpKind::kTelemetry, m.samples.front().time, m.samples.back().time, m.samples.size());
    MEG_TRY(Publish(UpSubject(options_.site, UpKind::kTelemetry), id, EncodeTelemetry(m)));
  }
  return Ok{};
}

Status EdgeLink::PublishEvents(const std::vector<Event>& events) {
  // 50 events of at most 4 KB each stay under kMaxLinkMessageBytes; longer texts are cut to the
  // bounds the center reads (kind 64 bytes, message 4,000), so that no event can block the link.
  constexpr std::size_t kPerMessage = 50;
  for (std::size_t i = 0; i < events.size(); i += kPerMessage) {
    EventsMessage m{options_.site, clock_.Now(), {}};
    const std::size_t end = std::min(events.size(), i + kPerMessage);
    m.events.assign(events.begin() + static_cast<std::ptrdiff_t>(i), events.begin() + static_cast<std::ptrdiff_t>(end));
    for (Event& e : m.events) {
      if (e.kind.size() > 64) e.kind.resize(64);
      if (e.message.size() > 4000) e.message.resize(4000);
    }
    const std::string payload = EncodeEvents(m);
    if (payload.size() > kMaxLinkMessageBytes) return InvalidInput("edge link: events too large for one message");
    const std::string id =
        UpMsgId(options_.site, UpKind::kEvents, m.events.front().time, m.events.back().time, m.events.size());
    MEG_TRY(Publish(UpSubject(options_.site, UpKind::kEvents), id, payload));
  }
  return Ok{};
}

Status EdgeLink::Publish(const std::string& subject, const std::string& msg_id, const std::string& payload) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.c_str();
  po.ExpectStream = kUpStream;
  po.MaxWait = options_.publish_wait.count();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsPubAck* ack = nullptr;
  const natsStatus s =
      js_Publish(&ack, nats_->js(), subject.c_str(), payload.data(), static_cast<int>(payload.size()), &po, &jerr);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  if (s != NATS_OK) return IoError(NatsErrorText("edge link: publish " + subject, s, jerr));
  return Ok{};
}

Result<bool> EdgeLink::FlushedBefore(Instant t) {
  if (flushed_before_ && *flushed_before_ >= t) return true;
  // The store flushes whole batches in append order, and the control thread appends in time
  // order: once any point has a stored sample at or after t, everything before t is stored.
  MEG_TRY_ASSIGN(points, history_->Points(options_.site));
  for (const PointInfo& p : points) {
    MEG_TRY_ASSIGN(latest, history_->Latest(p.id));
    if (latest && latest->time >= t) {
      flushed_before_ = t;
      return true;
    }
  }
  return false;
}

void EdgeLink::BackfillStep() {
  Instant from, upper;
  {
    std::lock_guard lock(mutex_);
    from = cursor_;
    upper = *live_start_;
    if (from >= upper) {
      // The gap is closed: live data since live_start_ was acknowledged already.
      cursor_ = std::max(cursor_, live_end_);
      gap_ = false;
      live_start_.reset();
      return;
    }
  }
  const auto retry_later = [&] { next_backfill_ = std::chrono::steady_clock::now() + Millis{500}; };
  const auto flushed = FlushedBefore(upper);
  if (!flushed || !*flushed) return retry_later();
  const Instant to = std::min(from + options_.backfill_span, upper);
  const auto points = history_->Points(options_.site);
  if (!points) return retry_later();
  std::vector<Sample> raw;
  for (const PointInfo& p : *points) {
    auto got = history_->Samples(p.id, from, to);
    if (!got) return retry_later();
    raw.insert(raw.end(), got->begin(), got->end());
  }
  auto events = history_->Events(options_.site, from, to);
  if (!events) return retry_later();
  auto samples = ToLinkSamples(raw);
  if (!samples) return retry_later();
  const std::size_t n = samples->size() + events->size();
  if (!samples->empty() && !PublishSamples(std::move(*samples), TelemetryOrigin::kBackfill)) return retry_later();
  if (!events->empty() && !PublishEvents(*events)) return retry_later();
  {
    std::lock_guard lock(mutex_);
    counts_.backfilled += n;
    // A drop meanwhile may have moved the cursor back before `from`: keep that.
    if (cursor_ == from) cursor_ = to;
  }
  const double seconds = static_cast<double>(n) / std::max(1.0, options_.backfill_samples_per_s);
  next_backfill_ = std::chrono::steady_clock::now() + Millis{static_cast<std::int64_t>(seconds * 1000)};
}

void EdgeLink::RunCommands() {
  natsSubscription* sub = nullptr;
  const std::string subject = CommandSubject(options_.site);
  const std::string consumer = CommandConsumer(options_.site);
  const auto stopped = [&](Millis wait) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, wait, [&] { return stop_; });
  };
  while (!stopped(Millis{0})) {
    if (sub == nullptr) {
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = kDownStream;
      so.Consumer = consumer.c_str();  // made by the center; the edge may only bind to it
      jsErrCode jerr = static_cast<jsErrCode>(0);
      if (!nats_->connected() ||
          js_PullSubscribe(&sub, nats_->js(), subject.c_str(), consumer.c_str(), nullptr, &so, &jerr) != NATS_OK) {
        sub = nullptr;
        if (stopped(Millis{500})) break;
        continue;
      }
    }
    natsMsgList list{};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = natsSubscription_Fetch(&list, sub, 8, 500, &jerr);
    if (s == NATS_OK) {
      for (int i = 0; i < list.Count; ++i) HandleCommand(list.Msgs[i]);
      natsMsgList_Destroy(&list);
    } else if (s != NATS_TIMEOUT) {
      // Bind again (the consumer may have been made anew, the connection re-established).
      natsSubscription_Destroy(sub);
      sub = nullptr;
      if (stopped(Millis{200})) break;
    }
  }
  if (sub != nullptr) natsSubscription_Destroy(sub);
}

void EdgeLink::HandleCommand(void* raw) {
  natsMsg* msg = static_cast<natsMsg*>(raw);
  const std::string_view payload(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  auto decoded = DecodeCommand(options_.site, payload);
  if (!decoded) {
    natsMsg_Term(msg, nullptr);
    std::lock_guard lock(mutex_);
    ++counts_.commands_refused;
    return;
  }
  const CommandMessage& command = *decoded;
  CommandResult result{command.id, false, ""};
  if (const auto done = done_commands_.find(command.id); done != done_commands_.end()) {
    result = done->second;  // a redelivery: answer again, do not run it twice
  } else {
    const Instant now = clock_.Now();
    if (now >= command.expires) {
      result.reason = fmt::format("expired {} ms ago", (now - command.expires).count());
    } else {
      const Status st = std::holds_alternative<OperatorCommand>(command.body)
                            ? backend_->Command(std::get<OperatorCommand>(command.body))
                            : backend_->SubmitDrCall(std::get<DrCallRequest>(command.body));
      result.accepted = st.has_value();
      if (!st) result.reason = st.error().message;
    }
    if (done_order_.size() >= 1000) {
      done_commands_.erase(done_order_.front());
      done_order_.pop_front();
    }
    done_commands_[command.id] = result;
    done_order_.push_back(command.id);
    std::lock_guard lock(mutex_);
    ++(result.accepted ? counts_.commands_accepted : counts_.commands_refused);
  }
  // The site has audited the command (SiteBackend::Command returns after that): only now the
  // stream forgets it; then the center hears the result.
  natsMsg_AckSync(msg, nullptr, nullptr);
  const std::string reply = EncodeCommandResult(result);
  natsConnection_Publish(nats_->nc(), ResultSubject(options_.site, command.id).c_str(), reply.data(),
                         static_cast<int>(reply.size()));
  natsConnection_Flush(nats_->nc());
}

EdgeLinkCounts EdgeLink::Counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

bool EdgeLink::Connected() const { return nats_->connected(); }

Instant EdgeLink::AckedThrough() const {
  std::lock_guard lock(mutex_);
  return cursor_;
}

bool EdgeLink::Backfilling() const {
  std::lock_guard lock(mutex_);
  return gap_;
}

}  // namespace meg
