#include "server/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "center/fleet_dr_service.h"
#include "center/fleet_report.h"
#include "core/text.h"
#include "core/time.h"
#include "server/guarded_server.h"
#include "server/metrics_text.h"
#include "server/request_body.h"

namespace meg {

namespace {

using nlohmann::json;

// ISO 8601 with the KST offset, and the milliseconds when there are any.
std::string Iso(Instant t) { return t == ToInstant(ToTimestamp(t)) ? FormatKst(ToTimestamp(t)) : FormatKstMillis(t); }

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
json Optional(const std::optional<double>& v) { return v ? Number(*v) : json(nullptr); }

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void Fail(httplib::Response& res, int status, const std::string& message) {
  Reply(res, status, json{{"error", message}});
}

// The car park's sessions: kW, kWh, the limit (null: not steerable) and why.
json EvJson(const std::vector<LiveValues::EvRow>& rows) {
  json out = json::array();
  for (const LiveValues::EvRow& r : rows) {
    out.push_back(json{{"charger", r.charger},
                       {"connector", r.connector},
                       {"transaction", r.transaction},
                       {"power_kw", Number(r.power_kw)},
                       {"limit_kw", Optional(r.limit_kw)},
                       {"need_kwh", Number(r.need_kwh)},
                       {"delivered_kwh", Number(r.delivered_kwh)},
                       {"departure", Iso(r.departure)},
                       {"connected", r.connected},
                       {"follows_limit", r.follows_limit},
                       {"late", r.late},
                       {"reason_code", r.reason_code},
                       {"reason", r.reason}});
  }
  return out;
}

// The site's chargers: online or not, each connector's last status.
json ChargersJson(const std::vector<LiveValues::ChargerRow>& rows) {
  json out = json::array();
  for (const LiveValues::ChargerRow& r : rows) {
    out.push_back(json{{"id", r.id}, {"connected", r.connected}, {"connector_status", r.connector_status}});
  }
  return out;
}

json ToJson(const LiveValues& v, const std::string& site) {
  return json{{"site", site},
              {"time", Iso(v.time)},
              {"mode", v.mode},
              {"reason", v.reason},
              {"grid_kw", Number(v.grid_kw)},
              {"pv_kw", Number(v.pv_kw)},
              {"battery_kw", Number(v.battery_kw)},
              {"load_kw", Number(v.load_kw)},
              {"soc_pct", Number(v.soc_pct)},
              {"demand_window_kw", Number(v.demand_window_kw)},
              {"demand_target_kw", Number(v.demand_target_kw)},
              {"month_peak_kw", Number(v.month_peak_kw)},
              {"contract_kw", Number(v.contract_kw)},
              {"battery_command_kw", Number(v.battery_command_kw)},
              {"generator_kw", Number(v.generator_kw)},
              {"generator_command_kw", Number(v.generator_command_kw)},
              {"pv_limit_kw", Optional(v.pv_limit_kw)},
              {"override_battery_kw", Optional(v.override_battery_kw)},
              {"override_until", v.override_until ? json(Iso(*v.override_until)) : json(nullptr)},
              {"devices_fresh", v.devices_fresh},
              {"devices_stale", v.devices_stale},
              {"speed", v.speed},
              {"ev_kw", Number(v.ev_kw)},
              {"ev_accepting", v.ev_accepting},
              {"battery_mode", v.battery_mode},
              {"backup_reserve_pct", v.backup_reserve_pct},
              {"ev", EvJson(v.ev)},
              {"chargers", ChargersJson(v.chargers)}};
}

// A query time: ISO 8601 with offset. A '+' in a query string arrives as a space if the client
// did not encode it; it is read back as '+'.
Result<Instant> QueryTime(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return InvalidInput(fmt::format("'{}' is required (ISO 8601 with offset)", name));
  std::string text = req.get_param_value(name);
  std::replace(text.begin(), text.end(), ' ', '+');
  return ParseApiTime(name, text);
}

Result<int> QueryLimit(const httplib::Request& req) {
  if (!req.has_param("limit")) return 100;
  const std::string text = req.get_param_value("limit");
  int v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9' || v > 100000) return InvalidInput("'limit' must be a whole number 1..1000");
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 1000) return InvalidInput("'limit' must be a whole number 1..1000");
  return v;
}

// How a route uses the caller's session: to read, to read as an event stream (the only use that
// may take the token from the query), or to change something (a command: CSRF checks).
enum class Access { kRead, kStream, kChange };

constexpr const char* kCookie = "meg_session";

std::string BearerToken(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  return auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : std::string();
}

// The value of cookie `name` in a Cookie header ("a=1; meg_session=...; b=2"), matched by its
// whole name; empty if absent.
std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return std::string(value);
    }
  }
  return {};
}

std::string CookieAttributes(bool tls) {
  return tls ? "HttpOnly; SameSite=Strict; Path=/; Secure" : "HttpOnly; SameSite=Strict; Path=/";
}

// Why the request may have come from another site's page (CSRF), or nullopt: an Origin (else a
// Referer) that is not this Host. `strict` (a cookie-only command): the Origin or Referer must
// be there, and the body JSON (a cross-site form cannot send application/json).
std::optional<std::string> CrossSite(const httplib::Request& req, bool strict) {
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) origin = req.get_header_value("Referer");
  const std::string host = Lower(req.get_header_value("Host"));
  static constexpr const char* kUseToken =
      "send the token as 'Authorization: Bearer <token>', or use the dashboard of this server";
  if (origin.empty()) {
    if (!strict) return std::nullopt;
    return fmt::format("a command with the session cookie needs an Origin or Referer of this server; {}", kUseToken);
  }
  std::string authority = Lower(origin);
  for (const char* scheme : {"https://", "http://"}) {
    if (authority.rfind(scheme, 0) == 0) {
      authority = authority.substr(std::strlen(scheme));
      break;
    }
  }
  authority = authority.substr(0, authority.find('/'));
  if (host.empty() || authority != host) {
    return fmt::format("a request from another site (Origin '{}') may not use this session; {}", Excerpt(origin, 80),
                       kUseToken);
  }
  if (strict && Lower(req.get_header_value("Content-Type")).rfind("application/json", 0) != 0) {
    return fmt::format("a command with the session cookie must send Content-Type: application/json, not '{}'",
                       Excerpt(req.get_header_value("Content-Type"), 60));
  }
  return std::nullopt;
}

int StatusFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidInput: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kUnsupported: return 501;
    case ErrorCode::kIo: return 503;
  }
  return 500;
}

// A telemetry query's parameters: point, from, to, resolution (raw, 1m, 15m; default 1m), each
// resolution with the longest span it may cover (raw: none when unset).
struct TelemetryQuery {
  std::string point;
  Instant from, to;
  Resolution resolution = Resolution::kMinute;
  std::string resolution_name;
};
struct TelemetrySpans {
  std::optional<std::chrono::hours> raw;
  std::chrono::hours minute, quarter;
  const char* what;  // "query", "fleet sum": what the message calls it
};
Result<TelemetryQuery> ParseTelemetryQuery(const httplib::Request& req, const TelemetrySpans& spans) {
  if (!req.has_param("point")) return InvalidInput("'point' is required, e.g. point=grid_kw (see /points)");
  MEG_TRY_ASSIGN(from, QueryTime(req, "from"));
  MEG_TRY_ASSIGN(to, QueryTime(req, "to"));
  if (to <= from) return InvalidInput("'to' must be after 'from'");
  TelemetryQuery q{req.get_param_value("point"), from, to, Resolution::kMinute,
                   req.has_param("resolution") ? req.get_param_value("resolution") : "1m"};
  std::chrono::hours max_span = spans.minute;
  if (q.resolution_name == "raw" && spans.raw) {
    q.resolution = Resolution::kRaw;
    max_span = *spans.raw;
  } else if (q.resolution_name == "15m") {
    q.resolution = Resolution::kQuarter;
    max_span = spans.quarter;
  } else if (q.resolution_name != "1m") {
    return InvalidInput(
        fmt::format("resolution '{}': use {}1m or 15m", Excerpt(q.resolution_name, 20), spans.raw ? "raw, " : ""));
  }
  if (q.to - q.from > max_span) {
    return InvalidInput(
        fmt::format("a {} {} may span at most {} days", q.resolution_name, spans.what, max_span.count() / 24));
  }
  return q;
}

// The site of a /api/sites/<id>/... path, or nullptr (another path, or no such site).
SiteBackend* SiteOfPath(const FleetBackend& fleet, std::string_view path) {
  static constexpr std::string_view kPrefix = "/api/sites/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return nullptr;
  path.remove_prefix(kPrefix.size());
  return fleet.Site(path.substr(0, path.find('/')));
}

// How an alarm severity ranks: critical above warning above anything else.
int SeverityRank(const std::string& severity) {
  if (severity == "critical") return 2;
  if (severity == "warning") return 1;
  return 0;
}

// One site's row of /api/fleet: its values are null before its first cycle.
json FleetRowJson(const FleetSiteView& r) {
  const AlarmView* top = nullptr;
  for (const AlarmView& a : r.alarms) {
    if (top == nullptr || SeverityRank(a.severity) > SeverityRank(top->severity)) top = &a;
  }
  const LiveValues& v = r.live;
  const auto value = [&v](double x) { return v.version == 0 ? json(nullptr) : Number(x); };
  return json{{"id", r.summary.id},
              {"name", r.summary.name},
              {"kind", r.kind},
              {"tariff", r.summary.tariff},
              {"state", r.state},
              {"state_since", r.state_since == Instant{} ? json(nullptr) : json(Iso(r.state_since))},
              {"time", v.version == 0 ? json(nullptr) : json(Iso(v.time))},
              {"grid_kw", value(v.grid_kw)},
              {"pv_kw", value(v.pv_kw)},
              {"battery_kw", value(v.battery_kw)},
              {"load_kw", value(v.load_kw)},
              {"soc_pct", value(v.soc_pct)},
              {"contract_kw", Number(r.summary.contract_kw)},
              {"alarms", json{{"count", r.alarms.size()},
                              {"severity", top ? json(top->severity) : json(nullptr)},
                              {"message", top ? json(top->message) : json(nullptr)}}},
              {"bill_month", r.bill_month.empty() ? json(nullptr) : json(r.bill_month)},
              {"bill_krw", r.bill_krw ? json(*r.bill_krw) : json(nullptr)},
              {"saving_krw", r.saving_krw ? json(*r.saving_krw) : json(nullptr)}};
}

// The /api/fleet answer: each row and the totals. The kW totals are over the sites that are not
// offline (an offline site's last values are not live); the bill totals over the sites whose
// month-to-date bill is known.
// A 별표26 settlement: energies in kWh, amounts in KRW.
json SettlementJson(const std::optional<DrEventSettlement>& st) {
  if (!st) return nullptr;
  return json{{"requested_kwh", st->requested.value()},
              {"measured_kwh", st->measured.value()},
              {"recognised_kwh", st->recognised.value()},
              {"shortfall_kwh", st->shortfall.value()},
              {"performance_pct", 100 * st->performance},
              {"below_80_pct", st->below_restriction_threshold},
              {"energy_payment_krw", st->energy_payment.value()},
              {"performance_penalty_krw", st->performance_penalty.value()},
              {"notes", st->notes}};
}

// The aggregator's resource calls (center/fleet_dr.h FleetDrView).
json FleetDrJson(const std::vector<FleetDrView>& views) {
  json out = json::array();
  for (const FleetDrView& v : views) {
    json hours = json::array();
    for (const auto& h : v.hours) {
      hours.push_back(json{{"start", Iso(h.start)},
                           {"minutes", h.minutes},
                           {"requested_kwh", h.requested_kwh},
                           {"target_kw", h.target_kw},
                           {"committed_kw", h.committed_kw},
                           {"shortfall_kw", h.shortfall_kw},
                           {"cbl_kwh", h.cbl_kwh},
                           {"metered_kwh", h.metered_kwh},
                           {"reduction_kwh", h.reduction_kwh}});
    }
    json members = json::array();
    for (const auto& m : v.members) {
      json shares = json::array();
      for (const auto& sh : m.shares) shares.push_back(json{{"from", Iso(sh.from)}, {"to", Iso(sh.to)}, {"kw", sh.kw}});
      members.push_back(json{{"site", m.site_id},
                             {"status", m.status},
                             {"message", m.message},
                             {"shares", shares},
                             {"share_kw", m.share_kw},
                             {"delivered_kwh", m.delivered_kwh},
                             {"desk", m.desk},
                             {"settlement", SettlementJson(m.settlement)}});
    }
    out.push_back(json{{"kind", v.kind},
                       {"issued", Iso(v.issued)},
                       {"start", Iso(v.start)},
                       {"end", Iso(v.end)},
                       {"requested_kw", v.requested_kw},
                       {"status", v.status},
                       {"notes", v.notes},
                       {"hours", hours},
                       {"members", members},
                       {"cbl_kwh", v.cbl_kwh},
                       {"metered_kwh", v.metered_kwh},
                       {"reduction_kwh", v.reduction_kwh},
                       {"requested_kwh", v.requested_kwh},
                       {"settlement", SettlementJson(v.settlement)}});
  }
  return out;
}

json FleetJson(const std::vector<FleetSiteView>& rows) {
  json sites = json::array();
  double grid = 0, pv = 0, battery = 0, load = 0;
  std::int64_t bill = 0, saving = 0;
  int billed = 0;
  std::map<std::string, int> by_state{{"normal", 0}, {"local", 0}, {"safe", 0}, {"offline", 0}};
  const auto add = [](double& sum, double x) {
    if (std::isfinite(x)) sum += x;
  };
  for (const FleetSiteView& r : rows) {
    sites.push_back(FleetRowJson(r));
    ++by_state[r.state];
    if (r.state != "offline" && r.live.version > 0) {
      add(grid, r.live.grid_kw);
      add(pv, r.live.pv_kw);
      add(battery, r.live.battery_kw);
      add(load, r.live.load_kw);
    }
    if (r.bill_krw) {
      bill += *r.bill_krw;
      saving += r.saving_krw.value_or(0);
      ++billed;
    }
  }
  return json{{"sites", sites},
              {"totals", json{{"sites", rows.size()},
                              {"grid_kw", grid},
                              {"pv_kw", pv},
                              {"battery_kw", battery},
                              {"load_kw", load},
                              {"bill_krw", bill},
                              {"saving_krw", saving},
                              {"billed_sites", billed},
                              {"by_state", by_state}}}};
}

}  // namespace

ControlCenterServer::ControlCenterServer(FleetBackend& fleet, UserDirectory& users, Sessions& sessions,
                                         const Clock& clock, ServerOptions options)
    : fleet_(fleet),
      users_(users),
      sessions_(sessions),
      clock_(clock),
      options_(std::move(options)),
      gate_(options_.limits),
      streams_(options_.limits),
      throttle_(options_.limits),
      refusals_(options_.limits) {}

ControlCenterServer::~ControlCenterServer() { Stop(); }

bool ControlCenterServer::tls() const { return !options_.tls_cert_file.empty() && !options_.tls_key_file.empty(); }

void ControlCenterServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void ControlCenterServer::Record(const std::string& client, const std::string& what, SiteBackend* site) {
  for (const std::string& m : refusals_.Note(client, Excerpt(what, 300), clock_.Now())) {
    if (site != nullptr) {
      site->NoteRefusal(m);
    } else {
      fleet_.NoteRefusal(m);
    }
  }
}

Status ControlCenterServer::Start() {
  if (auto st = users_.CheckSites(fleet_.SiteIds()); !st) return st.error();
  auto made = MakeGuardedServer(
      options_.limits, gate_,
      [this](const std::string& client, int status, const std::string& why) {
        Record(client, fmt::format("refused ({}): {}", status, why));
      },
      options_.tls_cert_file, options_.tls_key_file);
  if (!made) return made.error();
  http_ = std::move(*made);
  http_->set_tcp_nodelay(true);  // small JSON replies: no 40 ms Nagle / delayed-ACK stall
  if (!options_.web_dir.empty()) {
    if (!std::filesystem::is_directory(options_.web_dir)) {
      return NotFound(fmt::format("{}: the dashboard is not built there (npm run build in web/)", options_.web_dir));
    }
    http_->set_mount_point("/", options_.web_dir);
  }
  Routes();
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
  } else {
    port_ = http_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ < 0) {
    return IoError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", options_.host,
                               options_.port));
  }
  if (!WidenBacklog(*http_, options_.limits.listen_backlog)) {
    return IoError(
        fmt::format("cannot listen on {}:{} with a queue of {}", options_.host, port_, options_.limits.listen_backlog));
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return Ok{};
}

void ControlCenterServer::Routes() {
  httplib::Server& s = *http_;

  // Statuses httplib answers by itself (413, 404 of unknown paths, 400 of bad requests) get a
  // JSON body too.
  const size_t body_limit = options_.limits.max_body_bytes;
  s.set_error_handler([body_limit](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = fmt::format("HTTP {}", res.status);
    if (res.status == 413) message = fmt::format("the request body is over the limit ({} bytes)", body_limit);
    if (res.status == 404) message = fmt::format("no such resource: {}", Excerpt(req.path, 100));
    Fail(res, res.status, message);
  });
  // Refusals leave a trace: 400, 401, 403, 411, 413, 429 and failed logins become events
  // (rate-limited per client by Record), noted before the reply is written. Refused connections
  // are recorded where they are refused (guarded_server.cc).
  // Every request's handler time, for /metrics: the guarded server's pre-routing handler notes
  // when this thread took the request (RequestStart), the post-routing handler observes the time since.
  s.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - RequestStart()).count();
      std::lock_guard lock(http_seconds_mutex_);
      http_seconds_.Observe(seconds);
    }
    const int st = res.status;
    if (st != 400 && st != 401 && st != 403 && st != 411 && st != 413 && st != 429) return;
    std::string why = res.body;
    const json body = json::parse(res.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) why = body["error"].get<std::string>();
    std::string what = fmt::format("refused {} {} ({}): {}", req.method, Excerpt(req.path, 100), st, Excerpt(why, 200));
    if (req.path == "/api/login" && st == 401) {
      const auto login = ParseLoginBody(req.body);
      what = fmt::format("failed login for '{}'", login ? login->user : std::string("?"));
    }
    Record(ClientOf(req.remote_addr), what, SiteOfPath(fleet_, req.path));
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    Fail(res, 500, "internal error (logged); the request changed nothing");
  });

  // The caller's session, or an error reply. `min` is the role needed. The token comes from
  // 'Authorization: Bearer', else the meg_session cookie, else (`query_token`: the event stream,
  // which a browser's EventSource opens without headers) '?token='. A request that changes
  // something (`changes`) on the cookie alone must come from this server's own page: an Origin
  // (or Referer) of this Host, and a JSON body; a header token cannot be sent by another site.
  struct Caller {
    Session session;
    std::string token;
  };
  const auto authorize = [this](const httplib::Request& req, httplib::Response& res, Role min,
                                Access access = Access::kRead) -> std::optional<Caller> {
    std::string token = BearerToken(req);
    const bool by_cookie = token.empty() && !(token = CookieValue(req.get_header_value("Cookie"), kCookie)).empty();
    if (token.empty() && access == Access::kStream && req.has_param("token")) token = req.get_param_value("token");
    if (token.empty()) {
      Fail(res, 401, "log in first (POST /api/login) and send the token as 'Authorization: Bearer <token>'");
      return std::nullopt;
    }
    if (by_cookie && access == Access::kChange) {
      if (auto why = CrossSite(req, /*need_json=*/true)) {
        Fail(res, 403, *why);
        return std::nullopt;
      }
    }
    auto session = sessions_.Find(token);
    if (!session) {
      Fail(res, 401, "the session has ended; log in again");
      return std::nullopt;
    }
    if (session->role < min) {
      Fail(res, 403,
           fmt::format("{} is a {}; this needs the {} role", session->user, RoleName(session->role), RoleName(min)));
      return std::nullopt;
    }
    return Caller{*session, token};
  };
  // The caller's session and the site of a /api/sites/<id>/... route, or an error reply. A site
  // outside the caller's scope answers 404 exactly as a site the fleet does not have, so that a
  // scope does not reveal other sites' ids; the attempt is recorded in that site's log.
  struct SiteCall {
    Caller caller;
    SiteBackend* site;
    std::string id;
  };
  const auto site_call = [this, authorize](const httplib::Request& req, httplib::Response& res, Role min,
                                           Access access = Access::kRead) -> std::optional<SiteCall> {
    auto who = authorize(req, res, min, access);
    if (!who) return std::nullopt;
    const std::string id = req.matches.size() > 1 ? req.matches[1].str() : std::string();
    SiteBackend* site = fleet_.Site(id);
    if (site != nullptr && !who->session.sites.Allows(id)) {
      Record(ClientOf(req.remote_addr),
             fmt::format("refused {} {}: {} may not see site '{}'", req.method, Excerpt(req.path, 100),
                         who->session.user, id),
             site);
      site = nullptr;
    }
    if (site == nullptr) {
      Fail(res, 404, fmt::format("no site '{}' here; GET /api/sites lists the sites you may see", Excerpt(id, 64)));
      return std::nullopt;
    }
    return SiteCall{std::move(*who), site, id};
  };

  s.Post("/api/login", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto why = CrossSite(req, /*need_json=*/false)) return Fail(res, 403, *why);
    auto login = ParseLoginBody(req.body);
    if (!login) return Fail(res, 400, login.error().message);
    const std::string client = ClientOf(req.remote_addr);
    if (auto why = throttle_.Locked(client, login->user, clock_.Now())) return Fail(res, 429, *why);
    const auto grant = users_.Authenticate(login->user, login->password);
    if (!grant) {
      throttle_.Failed(client, login->user, clock_.Now());
      return Fail(res, 401, "wrong user or password");
    }
    throttle_.Succeeded(client, login->user);
    auto token = sessions_.Open(login->user, grant->role, grant->sites);
    if (!token) return Fail(res, 503, token.error().message);
    res.set_header("Set-Cookie", fmt::format("{}={}; {}; Max-Age={}", kCookie, *token, CookieAttributes(tls()),
                                             std::chrono::seconds(sessions_.lifetime()).count()));
    Reply(res, 200, json{{"token", *token}, {"user", login->user}, {"role", RoleName(grant->role)}});
  });
  // Ends the session of the header token and of the cookie, and clears the cookie.
  s.Post("/api/logout", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string bearer = BearerToken(req);
    const std::string cookie = CookieValue(req.get_header_value("Cookie"), kCookie);
    if (!cookie.empty() && bearer.empty()) {
      if (auto why = CrossSite(req, /*need_json=*/false)) return Fail(res, 403, *why);
    }
    if (!bearer.empty()) sessions_.Close(bearer);
    if (!cookie.empty()) sessions_.Close(cookie);
    res.set_header("Set-Cookie", fmt::format("{}=; {}; Max-Age=0", kCookie, CookieAttributes(tls())));
    Reply(res, 200, json{{"ok", true}});
  });
  s.Get("/api/me", [authorize](const httplib::Request& req, httplib::Response& res) {
    const auto who = authorize(req, res, Role::kViewer);
    if (!who) return;
    const SiteScope& scope = who->session.sites;
    Reply(res, 200,
          json{{"user", who->session.user},
               {"role", RoleName(who->session.role)},
               {"sites", scope.all ? json(nullptr) : json(scope.ids)}});
  });
  s.Get("/api/sites", [this, authorize](const httplib::Request& req, httplib::Response& res) {
    const auto who = authorize(req, res, Role::kViewer);
    if (!who) return;
    json out = json::array();
    for (const std::string& id : fleet_.SiteIds()) {
      if (!who->session.sites.Allows(id)) continue;
      const SiteBackend* site = fleet_.Site(id);
      if (site == nullptr) continue;
      const SiteSummary si = site->Summary();
      out.push_back(json{{"id", id},
                         {"name", si.name},
                         {"tariff", si.tariff},
                         {"contract_kw", si.contract_kw},
                         {"pv_kw", si.pv_kw},
                         {"ess_kwh", si.ess_kwh},
                         {"ess_kw", si.ess_kw}});
    }
    Reply(res, 200, out);
  });
  // The operations metrics in Prometheus's text format (server/metrics_text.h), for a scraper that
  // sends a viewer's token ('Authorization: Bearer'), of the sites the caller may see.
  s.Get("/metrics", [this, authorize](const httplib::Request& req, httplib::Response& res) {
    const auto who = authorize(req, res, Role::kViewer);
    if (!who) return;
    std::vector<SiteMetricsSample> sites;
    for (const std::string& id : fleet_.SiteIds()) {
      if (!who->session.sites.Allows(id)) continue;
      const SiteBackend* site = fleet_.Site(id);
      if (site == nullptr) continue;
      auto m = site->Metrics();
      if (!m) continue;
      sites.push_back({id, site->Live(), std::move(*m)});
    }
    Histogram http;
    {
      std::lock_guard lock(http_seconds_mutex_);
      http = http_seconds_;
    }
    res.status = 200;
    res.set_content(RenderMetricsText(sites, http, streams_.open()), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/api/fleet", [this, authorize](const httplib::Request& req, httplib::Response& res) {
    const auto who = authorize(req, res, Role::kViewer);
    if (!who) return;
    std::vector<FleetSiteView> rows = fleet_.Overview();
    std::erase_if(rows, [&](const FleetSiteView& r) { return !who->session.sites.Allows(r.summary.id); });
    Reply(res, 200, FleetJson(rows));
  });
  s.Get("/api/fleet/telemetry", [this, authorize](const httplib::Request& req, httplib::Response& res) {
    const auto who = authorize(req, res, Role::kViewer);
    if (!who) return;
    auto q = ParseTelemetryQuery(req, {.raw = std::nullopt,
                                       .minute = std::chrono::hours(24 * 2),
                                       .quarter = std::chrono::hours(24 * 31),
                                       .what = "fleet sum"});
    if (!q) return Fail(res, 400, q.error().message);
    const auto& [point, from, to, resolution, r] = *q;
    std::vector<std::string> ids = fleet_.SiteIds();
    std::erase_if(ids, [&](const std::string& id) { return !who->session.sites.Allows(id); });
    auto sums = fleet_.SumTelemetry(ids, point, from, to, resolution);
    if (!sums) return Fail(res, StatusFor(sums.error()), sums.error().message);
    json buckets = json::array();
    for (const FleetBucket& b : *sums) {
      buckets.push_back(json{{"start", Iso(b.start)}, {"sum", Number(b.sum)}, {"sites", b.sites}});
    }
    Reply(res, 200,
          json{{"point", point}, {"resolution", r}, {"sites", static_cast<int>(ids.size())}, {"buckets", buckets}});
  });
  // The fleet report of the month to date, of the sites the caller may see (center/fleet_report.h).
  enum class ReportFormat { kCsv, kHtml, kXlsx };
  const auto report = [this, authorize](const httplib::Request& req, httplib::Response& res, ReportFormat format) {
    const auto who = authorize(req, res, Role::kViewer);
    if (!who) return;
    std::vector<std::string> ids = fleet_.SiteIds();
    std::erase_if(ids, [&](const std::string& id) { return !who->session.sites.Allows(id); });
    const FleetReport r = BuildFleetReport(fleet_, ids, "OpenMEG fleet report: the month to date");
    if (format == ReportFormat::kHtml) {
      res.set_content(FleetReportHtml(r), "text/html; charset=utf-8");
    } else if (format == ReportFormat::kXlsx) {
      auto bytes = XlsxBytes(FleetReportTables(r));
      if (!bytes) return Fail(res, 500, bytes.error().message);
      res.set_header("Content-Disposition", "attachment; filename=\"openmeg-fleet-report.xlsx\"");
      res.set_content(*bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    } else {
      res.set_header("Content-Disposition", "attachment; filename=\"openmeg-fleet-report.csv\"");
      res.set_content(FleetReportCsv(r), "text/csv; charset=utf-8");
    }
  };
  s.Get("/api/fleet/report.csv",
        [report](const httplib::Request& req, httplib::Response& res) { report(req, res, ReportFormat::kCsv); });
  s.Get("/api/fleet/report.html",
        [report](const httplib::Request& req, httplib::Response& res) { report(req, res, ReportFormat::kHtml); });
  s.Get("/api/fleet/report.xlsx",
        [report](const httplib::Request& req, httplib::Response& res) { report(req, res, ReportFormat::kXlsx); });
  // The fleet as one DR resource (center/fleet_dr_service.h). The resource spans every member, so
  // only users who may see every site may read or call it.
  const auto aggregator_call = [this, authorize](const httplib::Request& req, httplib::Response& res, Role min,
                                                 Access access) -> std::optional<Caller> {
    auto who = authorize(req, res, min, access);
    if (!who) return std::nullopt;
    if (aggregator_ == nullptr) {
      Fail(res, 404, "this center runs no DR aggregator (the fleet is not registered as a DR resource)");
      return std::nullopt;
    }
    if (!who->session.sites.all) {
      Fail(res, 403,
           fmt::format("{} may see only some sites; the DR resource spans every member site", who->session.user));
      return std::nullopt;
    }
    return who;
  };
  s.Get("/api/fleet/dr-events", [this, aggregator_call](const httplib::Request& req, httplib::Response& res) {
    if (!aggregator_call(req, res, Role::kViewer, Access::kRead)) return;
    Reply(res, 200, FleetDrJson(aggregator_->Views()));
  });
  s.Post("/api/fleet/dr-events", [this, aggregator_call](const httplib::Request& req, httplib::Response& res) {
    const auto who = aggregator_call(req, res, Role::kOperator, Access::kChange);
    if (!who) return;
    auto call = ParseDrCallBody(req.body, who->session.user);
    if (!call) return Fail(res, 400, call.error().message);
    if (auto st = aggregator_->Submit(*call); !st) return Fail(res, StatusFor(st.error()), st.error().message);
    Reply(res, 200, json{{"ok", true}});
  });
  s.Get(R"(/api/sites/([^/]+)/live)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    Reply(res, 200, ToJson(c->site->Live(), c->id));
  });
  s.Get(R"(/api/sites/([^/]+)/stream)", [this, site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer, Access::kStream);
    if (!c) return;
    if (auto why = streams_.Admit(c->caller.token)) return Fail(res, 429, *why);
    // Held by the provider: the stream's place is given back when httplib drops the provider.
    const auto place =
        std::shared_ptr<void>(nullptr, [this, token = c->caller.token](void*) { streams_.Release(token); });
    auto version = std::make_shared<std::uint64_t>(0);
    auto last_sent = std::make_shared<Instant>();
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [this, version, last_sent, site = c->site, site_id = c->id,
                                                           place,
                                                           token = c->caller.token](size_t, httplib::DataSink& sink) {
      if (!sessions_.IsOpen(token)) return false;  // logged out or expired: the stream ends
      // At most 4 events a second (wall clock): the twin at 60x publishes 60 cycles a second,
      // more than a dashboard can draw; a client always gets the newest.
      const Millis since = clock_.Now() - *last_sent;
      if (since < Millis(250)) std::this_thread::sleep_for(Millis(250) - since);
      // Short waits: a stopping server is not held up long by an open stream.
      const LiveValues v = site->WaitForNewer(*version, std::chrono::seconds(2));
      std::string chunk;
      if (v.version > *version) {
        *version = v.version;
        *last_sent = clock_.Now();
        chunk =
            "event: live\ndata: " + ToJson(v, site_id).dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
      } else {
        chunk = ": keep-alive\n\n";
      }
      return sink.is_writable() && sink.write(chunk.data(), chunk.size());
    });
  });
  s.Get(R"(/api/sites/([^/]+)/points)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    json out = json::array();
    for (const auto& p : c->site->Points()) {
      const auto us = p.rfind('_');
      out.push_back(json{{"name", p}, {"unit", us == std::string::npos ? "" : p.substr(us + 1)}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/telemetry)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    auto q = ParseTelemetryQuery(req, {.raw = std::chrono::hours(24),
                                       .minute = std::chrono::hours(24 * 31),
                                       .quarter = std::chrono::hours(24 * 366),
                                       .what = "query"});
    if (!q) return Fail(res, 400, q.error().message);
    auto buckets = c->site->Telemetry(q->point, q->from, q->to, q->resolution);
    if (!buckets) return Fail(res, StatusFor(buckets.error()), buckets.error().message);
    json out = json::array();
    for (const auto& b : *buckets) {
      out.push_back(json{{"start", Iso(b.start)},
                         {"min", Number(b.min)},
                         {"mean", Number(b.mean)},
                         {"max", Number(b.max)},
                         {"last", Number(b.last)},
                         {"count", b.count}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/schedule)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    const ScheduleView v = c->site->Schedule();
    if (!v.present) return Reply(res, 200, json{{"present", false}});
    Reply(res, 200,
          json{{"present", true},
               {"made", Iso(v.made)},
               {"source", v.source},
               {"battery_kw", Number(v.battery_kw)},
               {"pv_limit_kw", Optional(v.pv_limit_kw)},
               {"planned_grid_kw", Number(v.planned_grid_kw)},
               {"reason_code", v.reason_code},
               {"limit", v.limit},
               {"reason", v.reason}});
  });
  s.Get(R"(/api/sites/([^/]+)/forecast)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    auto f = c->site->Forecast();
    if (!f) return Fail(res, StatusFor(f.error()), f.error().message);
    json intervals = json::array();
    for (const auto& i : f->intervals) {
      intervals.push_back(json{{"start", Iso(i.start)}, {"load_kw", Number(i.load_kw)}, {"pv_kw", Number(i.pv_kw)}});
    }
    Reply(res, 200, json{{"issued", Iso(f->issued)}, {"method", f->method}, {"intervals", intervals}});
  });
  s.Get(R"(/api/sites/([^/]+)/bill)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    auto b = c->site->Bill();
    if (!b) return Fail(res, StatusFor(b.error()), b.error().message);
    json lines = json::array();
    for (const auto& [name, krw] : b->lines) lines.push_back(json{{"name", name}, {"amount_krw", krw}});
    Reply(res, 200,
          json{{"month", b->month},
               {"from", Iso(b->from)},
               {"through", Iso(b->through)},
               {"with_openmeg_krw", b->with_openmeg_krw},
               {"without_openmeg_krw", b->without_openmeg_krw},
               {"generator_krw", b->generator_krw},
               {"savings_krw", SavingOf(*b)},
               {"today_cost_krw", b->today_cost_krw},
               {"energy_kwh", b->energy_kwh},
               {"peak_kw", b->peak_kw},
               {"billing_demand_kw", b->billing_demand_kw},
               {"ratchet_kw", b->ratchet_kw},
               {"lines", lines},
               {"notes", b->notes},
               {"cheaper_tariff", b->cheaper_tariff.empty() ? json(nullptr) : json(b->cheaper_tariff)},
               {"cheaper_by_krw", b->cheaper_by_krw}});
  });
  s.Get(R"(/api/sites/([^/]+)/events)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    auto limit = QueryLimit(req);
    if (!limit) return Fail(res, 400, limit.error().message);
    auto events = c->site->Events(*limit);
    if (!events) return Fail(res, StatusFor(events.error()), events.error().message);
    json out = json::array();
    for (const auto& e : *events) {
      const char* severity = e.severity == Severity::kAlarm     ? "critical"
                             : e.severity == Severity::kWarning ? "warning"
                                                                : "info";
      out.push_back(json{{"time", Iso(e.time)}, {"kind", e.kind}, {"severity", severity}, {"message", e.message}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/alarms)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    json out = json::array();
    for (const auto& a : c->site->Alarms()) {
      out.push_back(json{{"kind", a.kind}, {"severity", a.severity}, {"message", a.message}, {"since", Iso(a.since)}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/dr-events)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    const auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    json out = json::array();
    for (const DrEventView& e : c->site->DrEvents()) {
      json hours = json::array();
      for (const auto& h : e.hours) {
        hours.push_back(json{{"start", Iso(h.start)},
                             {"minutes", h.minutes},
                             {"cbl_kwh", opt(h.cbl_kwh)},
                             {"import_cap_kw", opt(h.import_cap_kw)},
                             {"metered_kwh", opt(h.metered_kwh)},
                             {"reduction_kwh", opt(h.reduction_kwh)},
                             {"requested_kwh", h.requested_kwh},
                             {"payment_krw", opt(h.payment_krw)}});
      }
      out.push_back(json{{"kind", e.kind},
                         {"issued", Iso(e.issued)},
                         {"start", Iso(e.start)},
                         {"end", Iso(e.end)},
                         {"requested_kw", e.requested_kw},
                         {"status", e.status},
                         {"message", e.message},
                         {"hours", hours},
                         {"performance_pct", opt(e.performance_pct)},
                         {"energy_payment_krw", opt(e.energy_payment_krw)}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/audit)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto c = site_call(req, res, Role::kViewer);
    if (!c) return;
    auto limit = QueryLimit(req);
    if (!limit) return Fail(res, 400, limit.error().message);
    auto entries = c->site->Audit(*limit);
    if (!entries) return Fail(res, StatusFor(entries.error()), entries.error().message);
    json out = json::array();
    for (const auto& e : *entries) {
      out.push_back(json{{"seq", e.seq},
                         {"time", Iso(e.record.time)},
                         {"actor", e.record.actor},
                         {"action", e.record.action},
                         {"subject", e.record.subject},
                         {"detail", e.record.detail}});
    }
    Reply(res, 200, out);
  });

  // Commands: operator role, a JSON body, bounded numbers; carried out and audited on the
  // control thread before the reply.
  const auto command = [site_call](OperatorCommand::Kind kind) {
    return [site_call, kind](const httplib::Request& req, httplib::Response& res) {
      const auto who = site_call(req, res, Role::kOperator, Access::kChange);
      if (!who) return;
      auto c = ParseCommandBody(kind, req.body, who->caller.session.user);
      if (!c) return Fail(res, 400, c.error().message);
      if (auto st = who->site->Command(*c); !st) return Fail(res, StatusFor(st.error()), st.error().message);
      Reply(res, 200, json{{"ok", true}});
    };
  };
  // A DR call: {"start", "end", "requested_kw", optional "kind" and "issued"} (operator).
  s.Post(R"(/api/sites/([^/]+)/dr-events)", [site_call](const httplib::Request& req, httplib::Response& res) {
    const auto who = site_call(req, res, Role::kOperator, Access::kChange);
    if (!who) return;
    auto call = ParseDrCallBody(req.body, who->caller.session.user);
    if (!call) return Fail(res, 400, call.error().message);
    if (auto st = who->site->SubmitDrCall(*call); !st) {
      return Fail(res, StatusFor(st.error()), st.error().message);
    }
    Reply(res, 200, json{{"ok", true}});
  });
  s.Post(R"(/api/sites/([^/]+)/commands/setpoint)", command(OperatorCommand::Kind::kSetpoint));
  s.Post(R"(/api/sites/([^/]+)/commands/mode)", command(OperatorCommand::Kind::kAuto));
  s.Post(R"(/api/sites/([^/]+)/commands/schedule)", command(OperatorCommand::Kind::kSchedule));
  // A charging session's need and departure: {"charger", "connector", "energy_kwh", "departure"}.
  s.Post(R"(/api/sites/([^/]+)/commands/ev-session)", command(OperatorCommand::Kind::kEvSession));
  // An operator's call to a charger: {"charger", "connector", "action", "id_tag" for remote-start}.
  s.Post(R"(/api/sites/([^/]+)/commands/ev-charger)", command(OperatorCommand::Kind::kEvCharger));
  // An operator's battery mode: {"mode": "hold-soc" | "charge-to" | "discharge-window" | "auto",
  // "until", "from", "soc_pct", "power_kw"} (core/battery_mode.h), and the backup reserve {"soc_pct"}.
  s.Post(R"(/api/sites/([^/]+)/commands/battery-mode)", command(OperatorCommand::Kind::kBatteryMode));
  s.Post(R"(/api/sites/([^/]+)/commands/backup-reserve)", command(OperatorCommand::Kind::kBackupReserve));
}

}  // namespace meg
