// LiveSite: the running site as the HTTP server sees it (center/site_backend.h). The control
// thread feeds it after every cycle (OnCycle): the live values, the store's samples, the bills
// at each quarter-hour (center/month_bill.h), DR calls through the DR desk (market/dr_desk.h),
// the alarms (center/alarms.h), and it carries out operators' commands there.
// Threads: OnCycle, SeedHistory and RecordedPeaks run on the control thread, which alone uses
// the writer store. Server threads call the SiteBackend methods: they read copies under a mutex,
// hand commands to the control thread (and wait, bounded, for it to take them: one not taken in
// time is withdrawn, never carried out late), and read the store
// through the site's ReaderPool (center/reader_pool.h): explicit read connections, each used
// by one thread at a time, owned here.
// Every store write is checked: a refused write is an event (when the store still takes events)
// and raises the "store" alarm until that kind of write succeeds again.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "center/alarms.h"
#include "center/live_forecast.h"
#include "center/reader_pool.h"
#include "center/site_backend.h"
#include "center/site_uplink.h"
#include "center/weather_feed.h"
#include "control/control_loop.h"
#include "core/series.h"
#include "core/site.h"
#include "forecast/plan_forecast.h"
#include "market/dr_desk.h"
#include "market/dr_program.h"
#include "store/store.h"
#include "tariff/tariff_book.h"

namespace meg {

struct LiveSiteConfig {
  std::string id = "site";  // URL id of the site
  const Site* site = nullptr;
  const TariffBook* book = nullptr;
  const HolidayCalendar* calendar = nullptr;
  TariffId tariff;
  std::string store_path;  // the SQLite store (also holds the audit log)
  double speed = 1;        // site seconds per wall second
  // Site twin only: the site's own load and PV series, for the forecast (yesterday's values).
  const PowerSeries* history_load = nullptr;
  const PowerSeries* history_pv = nullptr;
  // When set (mpc), the forecast is the one the planner last planned on, described by
  // `planned_method`; until its first plan, the above.
  const RecordedPlanForecast* planned = nullptr;
  std::string planned_method;
  // Called (from the control thread) with each raised or cleared alarm; e.g. the webhook.
  std::function<void(const AlarmView&, bool raised)> on_alarm;
  std::vector<ThresholdAlarm> thresholds;
  // The site's DR registration (CBL method, prices) and the calls it answers from the start; more
  // arrive through the API (SubmitDrCall). At each call's issue time its CBL from the store's
  // metered grid import becomes the loop's commitments; after the event it is settled.
  DrProgram dr;
  // Read connections kept open for the server threads (ReaderPool).
  std::size_t idle_readers = 4;
  // How long a server thread waits for the control thread to take a command or DR call; one not
  // taken by then is withdrawn and never carried out. `meg run` sets max(3 s, 3 cycles).
  std::chrono::milliseconds command_wait{3000};
  // The live weather forecast ([weather_forecast]): its fetched forecasts are stored and its
  // notes logged after each cycle; the forecast view's PV comes from it where it has weather.
  // Null: none. Must outlive the site.
  WeatherFeed* weather = nullptr;
  // Where the stored samples, events and bills also go (e.g. the link to the fleet center); null:
  // nowhere. Must outlive the site.
  SiteUplink* uplink = nullptr;
};

// What the fleet shows of a site file: name, tariff, contract, PV AC rating, ESS.
SiteSummary SummaryOf(const std::string& id, const Site& site);

class LiveSite final : public SiteBackend {
 public:
  // `writer` is the control thread's store; it must outlive this object. Registers the site's
  // points; fails if the store refuses one.
  static Result<std::unique_ptr<LiveSite>> Open(LiveSiteConfig config, TelemetryStore& writer);

  // Control thread, after every cycle: publishes, stores, prices the month at each
  // quarter-hour, carries out pending operator commands on `loop` and takes DR calls from the API,
  // settles DR calls that are over, then raises and clears alarms.
  void OnCycle(const CycleRecord& record, ControlLoop& loop);
  // Sets where the stored records also go (LiveSiteConfig::uplink), before the loop starts.
  void SetUplink(SiteUplink* uplink) { config_.uplink = uplink; }
  // Control thread, at the start of every cycle (ControlLoop::SetBeforeCycle): issues the DR calls
  // whose issue time has come, so that the cycle's plan already holds them, as the backtest does.
  void BeforeCycle(Instant now, ControlLoop& loop);

  // Site twin only, before the loop starts: writes the twin's load and PV over [from, to) to the
  // store as metered quarter-hours with the battery idle (grid = load - PV), the meter history a
  // real site brings (the CBL of DR calls and the month-to-date bill need it). Quarter-hours the
  // store holds already are left as they are. Logged as an event.
  Status SeedHistory(const PowerSeries& load, const PowerSeries& pv, Timestamp from, Timestamp to);

  // Each month's peak over its counted quarter-hours (중간/최대부하 of working days) as the store
  // has metered them in the 12 months before `before`, replayed through the demand meter
  // (center/demand_history.h), for ControlLoop::RestoreDemand.
  Result<std::vector<std::pair<Month, double>>> RecordedPeaks(Timestamp before);

  // SiteBackend (any thread).
  SiteSummary Summary() const override;
  LiveValues Live() const override;
  LiveValues WaitForNewer(std::uint64_t version, std::chrono::milliseconds timeout) const override;
  std::vector<std::string> Points() const override;
  Result<std::vector<Bucket>> Telemetry(const std::string& point, Instant from, Instant to,
                                        Resolution resolution) const override;
  ScheduleView Schedule() const override;
  Result<ForecastView> Forecast() const override;
  Result<BillView> Bill() const override;
  Result<std::vector<Event>> Events(int limit) const override;
  std::vector<AlarmView> Alarms() const override;
  std::optional<SiteMetrics> Metrics() const override;
  Result<std::vector<AuditView>> Audit(int limit) const override;
  Status Command(const OperatorCommand& command) override;
  std::vector<DrEventView> DrEvents() const override;
  Status SubmitDrCall(const DrCallRequest& call) override;
  // Queued for the control thread, which logs them as events after the cycle (at most 1,000
  // waiting; more are counted in one event).
  void NoteRefusal(const std::string& message) override;

 private:
  // Control thread: logs the refusals noted since the last cycle.
  void LogRefusals(Instant now);
  // Control thread: stores the weather forecasts fetched since the last cycle and logs the
  // feed's notes (a refused forecast stays queued for the next cycle).
  void TakeWeather(Instant now);
  LiveSite(LiveSiteConfig config, TelemetryStore& writer);
  // Work a server thread hands to the control thread: an operator's command or a DR call. Its
  // state changes under mutex_, once: pending -> taken (the control thread carries it out and
  // answers) or pending -> withdrawn (the server thread gave up waiting; never carried out).
  struct Pending {
    enum class State { kPending, kTaken, kWithdrawn };
    std::variant<OperatorCommand, DrCallRequest> work;
    std::promise<Status> done;
    State state = State::kPending;
  };
  void Publish(const CycleRecord& r, const ControlLoop& loop);
  void Store(const CycleRecord& r);
  void StoreSchedule(const ControlLoop& loop, Instant now);
  void UpdateAlarms(const CycleRecord& r);
  void ReportLateCars(const CycleRecord& r);
  void UpdateBill(Instant now);
  double ratchet_kw_ = 0;  // the loop's ratchet at the last closed quarter-hour (control thread)
  // Control thread: carries out the pending work in the order it came.
  void RunCommands(ControlLoop& loop, Instant now);
  Status RunCommand(ControlLoop& loop, const OperatorCommand& c, Instant now);
  // Checks a DR call from the API and adds it to the desk, or revises the call it names.
  Status TakeDrCall(const DrCallRequest& r, Instant now, ControlLoop& loop);
  Status ReviseDrCall(const DrCallRequest& r, Instant now, ControlLoop& loop);
  // Server threads: queue `work` for the control thread and wait for its verdict. Not taken
  // within config.command_wait: withdrawn, and the error says it will not be carried out; once
  // taken, the verdict is awaited (the control thread is carrying it out).
  Status HandToControlThread(std::variant<OperatorCommand, DrCallRequest> work, std::string_view what);
  // DR calls whose event is over (and its last quarter-hour stored): settled.
  void SettleDueDr(Instant now);
  void IssueDr(size_t k, ControlLoop& loop, Instant now);
  // Issues call `k` on the store's meter and hands its commitments to `loop`; the error says why
  // not (the desk then holds the call as not issued).
  Result<std::vector<DrCommitment>> PlanDrCall(size_t k, ControlLoop& loop, Instant now);
  void SettleDr(size_t k, Instant now);
  void AddDrView(const DrCall& call);
  // The store's quarter-hour mean grid import over [from, to), gaps where nothing was metered.
  Result<PowerSeries> MeteredGrid(Timestamp from, Timestamp to, Instant now);
  // Control thread: records the outcome of a write of `what` ("samples", "events", ...): a
  // first refusal is an event (if the store still takes events) and the store alarm; a success
  // after refusals is an event too. Returns whether the write succeeded.
  bool Wrote(std::string_view what, const Status& status, Instant now);
  // Control thread: appends `events`, recording the outcome.
  void Log(const std::vector<Event>& events, Instant now);

  LiveSiteConfig config_;
  TelemetryStore& writer_;
  std::map<std::string, PointId> points_;  // name -> id, fixed after construction
  mutable ReaderPool readers_;

  mutable std::mutex mutex_;
  mutable std::condition_variable published_;
  LiveValues live_;
  ScheduleView schedule_;
  std::optional<BillView> bill_;
  std::string bill_error_ = "no quarter-hour has closed yet";
  AlarmBoard alarms_;
  SiteMetrics metrics_;
  std::deque<std::shared_ptr<Pending>> pending_;
  std::vector<DrEventView> dr_views_;  // one per call of dr_, in its order
  std::vector<std::string> refusals_;  // NoteRefusal, for LogRefusals
  size_t refusals_dropped_ = 0;

  // Control thread only.
  DrDesk dr_;
  StoreWriteAlarm store_alarm_;
  Timestamp last_window_{};
  Instant last_schedule_made_{};
  Date retention_day_{};
  std::set<std::string> ev_late_;  // "charger/connector/transaction" of the cars reported late
};

}  // namespace meg
