#include "server/http_server.h"

#include <httplib.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/time.h"

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
              {"pv_limit_kw", Optional(v.pv_limit_kw)},
              {"override_battery_kw", Optional(v.override_battery_kw)},
              {"override_until", v.override_until ? json(Iso(*v.override_until)) : json(nullptr)},
              {"devices_fresh", v.devices_fresh},
              {"devices_stale", v.devices_stale},
              {"speed", v.speed}};
}

// A query time: ISO 8601 with offset. A '+' in a query string arrives as a space if the client
// did not encode it; it is read back as '+'.
Result<Instant> QueryTime(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return InvalidInput(fmt::format("'{}' is required (ISO 8601 with offset)", name));
  std::string text = req.get_param_value(name);
  std::replace(text.begin(), text.end(), ' ', '+');
  // Milliseconds, as the API itself writes them ("...T14:00:05.250+09:00"), are read too.
  auto t = ParseIso8601Millis(text);
  if (!t) return InvalidInput(fmt::format("'{}': {}", name, t.error().message));
  return *t;
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

int StatusFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidInput: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kUnsupported: return 501;
    case ErrorCode::kIo: return 503;
  }
  return 500;
}

}  // namespace

// Failed logins per user name: 5 within a minute locks that name for the rest of the minute.
struct ControlCenterServer::LoginThrottle {
  std::mutex mutex;
  std::map<std::string, std::vector<Instant>> failures;
  bool Locked(const std::string& user, Instant now) {
    std::lock_guard lock(mutex);
    auto& f = failures[user];
    std::erase_if(f, [&](Instant t) { return now - t > std::chrono::minutes(1); });
    return f.size() >= 5;
  }
  void Failed(const std::string& user, Instant now) {
    std::lock_guard lock(mutex);
    failures[user].push_back(now);
  }
};

ControlCenterServer::ControlCenterServer(SiteBackend& backend, UserDirectory& users, Sessions& sessions,
                                         const Clock& clock, ServerOptions options)
    : backend_(backend), users_(users), sessions_(sessions), clock_(clock), options_(std::move(options)),
      throttle_(std::make_unique<LoginThrottle>()) {}

ControlCenterServer::~ControlCenterServer() { Stop(); }

bool ControlCenterServer::tls() const { return !options_.tls_cert_file.empty() && !options_.tls_key_file.empty(); }

void ControlCenterServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

Status ControlCenterServer::Start() {
  if (tls()) {
    for (const auto& f : {options_.tls_cert_file, options_.tls_key_file}) {
      if (!std::filesystem::exists(f)) return NotFound(fmt::format("{}: no such TLS certificate or key file", f));
    }
    auto ssl = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(), options_.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return InvalidInput(fmt::format("{} / {}: not a usable certificate and private key (PEM)", options_.tls_cert_file,
                                      options_.tls_key_file));
    }
    http_ = std::move(ssl);
  } else if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    return InvalidInput("TLS needs both a certificate and a key file");
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  const size_t workers = static_cast<size_t>(std::max(2, options_.worker_threads));
  http_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http_->set_payload_max_length(options_.max_body_bytes);
  http_->set_read_timeout(10, 0);
  http_->set_keep_alive_max_count(1000);  // a dashboard or client reuses its connection
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
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return Ok{};
}

void ControlCenterServer::Routes() {
  httplib::Server& s = *http_;
  const std::string site_id = backend_.Summary().id;

  // Statuses httplib answers by itself (413, 404 of unknown paths, 400 of bad requests) get a
  // JSON body too.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = fmt::format("HTTP {}", res.status);
    if (res.status == 413) message = "the request body is over the limit (64 KiB)";
    if (res.status == 404) message = fmt::format("no such resource: {}", req.path);
    Fail(res, res.status, message);
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    Fail(res, 500, "internal error (logged); the request changed nothing");
  });

  // The caller's session, or an error reply. `min` is the role needed.
  const auto authorize = [this](const httplib::Request& req, httplib::Response& res, Role min) -> std::optional<Session> {
    std::string token;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) token = auth.substr(7);
    if (token.empty()) {
      const std::string cookie = req.get_header_value("Cookie");
      const auto at = cookie.find("meg_session=");
      if (at != std::string::npos) token = cookie.substr(at + 12, cookie.find(';', at) - at - 12);
    }
    if (token.empty() && req.has_param("token")) token = req.get_param_value("token");
    if (token.empty()) {
      Fail(res, 401, "log in first (POST /api/login) and send the token as 'Authorization: Bearer <token>'");
      return std::nullopt;
    }
    auto session = sessions_.Find(token);
    if (!session) {
      Fail(res, 401, "the session has ended; log in again");
      return std::nullopt;
    }
    if (session->role < min) {
      Fail(res, 403, fmt::format("{} is a {}; this needs the {} role", session->user, RoleName(session->role),
                                 RoleName(min)));
      return std::nullopt;
    }
    return session;
  };
  const auto site_ok = [site_id](const httplib::Request& req, httplib::Response& res) {
    const std::string site = req.matches.size() > 1 ? req.matches[1].str() : std::string();
    if (site == site_id) return true;
    Fail(res, 404, fmt::format("no site '{}' here (this center runs '{}')", site, site_id));
    return false;
  };

  s.Post("/api/login", [this](const httplib::Request& req, httplib::Response& res) {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("user") || !body["user"].is_string() || !body.contains("password") ||
        !body["password"].is_string()) {
      return Fail(res, 400, "expected JSON {\"user\": \"...\", \"password\": \"...\"}");
    }
    const std::string user = body["user"].get<std::string>();
    const Instant now = clock_.Now();
    if (throttle_->Locked(user, now)) return Fail(res, 429, "too many failed logins for this user; wait a minute");
    const auto role = users_.Verify(user, body["password"].get<std::string>());
    if (!role) {
      throttle_->Failed(user, now);
      return Fail(res, 401, "wrong user or password");
    }
    auto token = sessions_.Open(user, *role);
    if (!token) return Fail(res, 503, token.error().message);
    res.set_header("Set-Cookie", "meg_session=" + *token + "; HttpOnly; SameSite=Strict; Path=/");
    Reply(res, 200, json{{"token", *token}, {"user", user}, {"role", RoleName(*role)}});
  });
  s.Post("/api/logout", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) sessions_.Close(auth.substr(7));
    Reply(res, 200, json{{"ok", true}});
  });
  s.Get("/api/me", [authorize](const httplib::Request& req, httplib::Response& res) {
    const auto who = authorize(req, res, Role::kViewer);
    if (who) Reply(res, 200, json{{"user", who->user}, {"role", RoleName(who->role)}});
  });
  s.Get("/api/sites", [this, authorize](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer)) return;
    const SiteSummary si = backend_.Summary();
    Reply(res, 200, json::array({json{{"id", si.id}, {"name", si.name}, {"tariff", si.tariff}, {"contract_kw", si.contract_kw},
                                      {"pv_kw", si.pv_kw}, {"ess_kwh", si.ess_kwh}, {"ess_kw", si.ess_kw}}}));
  });
  s.Get(R"(/api/sites/([^/]+)/live)", [this, authorize, site_ok, site_id](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    Reply(res, 200, ToJson(backend_.Live(), site_id));
  });
  s.Get(R"(/api/sites/([^/]+)/stream)", [this, authorize, site_ok, site_id](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    auto version = std::make_shared<std::uint64_t>(0);
    auto last_sent = std::make_shared<Instant>();
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [this, version, last_sent, site_id](size_t,
                                                                                             httplib::DataSink& sink) {
      // At most 4 events a second (wall clock): the twin at 60x publishes 60 cycles a second,
      // more than a dashboard can draw; a client always gets the newest.
      const Millis since = clock_.Now() - *last_sent;
      if (since < Millis(250)) std::this_thread::sleep_for(Millis(250) - since);
      // Short waits: a stopping server is not held up long by an open stream.
      const LiveValues v = backend_.WaitForNewer(*version, std::chrono::seconds(2));
      std::string chunk;
      if (v.version > *version) {
        *version = v.version;
        *last_sent = clock_.Now();
        chunk = "event: live\ndata: " + ToJson(v, site_id).dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
      } else {
        chunk = ": keep-alive\n\n";
      }
      return sink.is_writable() && sink.write(chunk.data(), chunk.size());
    });
  });
  s.Get(R"(/api/sites/([^/]+)/points)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    json out = json::array();
    for (const auto& p : backend_.Points()) {
      const auto us = p.rfind('_');
      out.push_back(json{{"name", p}, {"unit", us == std::string::npos ? "" : p.substr(us + 1)}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/telemetry)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    if (!req.has_param("point")) return Fail(res, 400, "'point' is required, e.g. point=grid_kw (see /points)");
    auto from = QueryTime(req, "from");
    if (!from) return Fail(res, 400, from.error().message);
    auto to = QueryTime(req, "to");
    if (!to) return Fail(res, 400, to.error().message);
    if (*to <= *from) return Fail(res, 400, "'to' must be after 'from'");
    const std::string r = req.has_param("resolution") ? req.get_param_value("resolution") : "1m";
    Resolution resolution = Resolution::kMinute;
    std::chrono::hours max_span{24 * 31};
    if (r == "raw") {
      resolution = Resolution::kRaw;
      max_span = std::chrono::hours(24);
    } else if (r == "15m") {
      resolution = Resolution::kQuarter;
      max_span = std::chrono::hours(24 * 366);
    } else if (r != "1m") {
      return Fail(res, 400, fmt::format("resolution '{}': use raw, 1m or 15m", r));
    }
    if (*to - *from > max_span) {
      return Fail(res, 400, fmt::format("a {} query may span at most {} days", r, max_span.count() / 24));
    }
    auto buckets = backend_.Telemetry(req.get_param_value("point"), *from, *to, resolution);
    if (!buckets) return Fail(res, StatusFor(buckets.error()), buckets.error().message);
    json out = json::array();
    for (const auto& b : *buckets) {
      out.push_back(json{{"start", Iso(b.start)}, {"min", Number(b.min)}, {"mean", Number(b.mean)}, {"max", Number(b.max)},
                         {"last", Number(b.last)}, {"count", b.count}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/schedule)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    const ScheduleView v = backend_.Schedule();
    if (!v.present) return Reply(res, 200, json{{"present", false}});
    Reply(res, 200, json{{"present", true}, {"made", Iso(v.made)}, {"source", v.source}, {"battery_kw", Number(v.battery_kw)},
                         {"pv_limit_kw", Optional(v.pv_limit_kw)}, {"planned_grid_kw", Number(v.planned_grid_kw)}});
  });
  s.Get(R"(/api/sites/([^/]+)/forecast)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    auto f = backend_.Forecast();
    if (!f) return Fail(res, StatusFor(f.error()), f.error().message);
    json intervals = json::array();
    for (const auto& i : f->intervals) {
      intervals.push_back(json{{"start", Iso(i.start)}, {"load_kw", Number(i.load_kw)}, {"pv_kw", Number(i.pv_kw)}});
    }
    Reply(res, 200, json{{"issued", Iso(f->issued)}, {"method", f->method}, {"intervals", intervals}});
  });
  s.Get(R"(/api/sites/([^/]+)/bill)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    auto b = backend_.Bill();
    if (!b) return Fail(res, StatusFor(b.error()), b.error().message);
    json lines = json::array();
    for (const auto& [name, krw] : b->lines) lines.push_back(json{{"name", name}, {"amount_krw", krw}});
    Reply(res, 200, json{{"month", b->month}, {"from", Iso(b->from)}, {"through", Iso(b->through)},
                         {"with_openmeg_krw", b->with_openmeg_krw}, {"without_openmeg_krw", b->without_openmeg_krw},
                         {"savings_krw", b->without_openmeg_krw - b->with_openmeg_krw}, {"today_cost_krw", b->today_cost_krw},
                         {"energy_kwh", b->energy_kwh}, {"peak_kw", b->peak_kw}, {"lines", lines}, {"notes", b->notes}});
  });
  s.Get(R"(/api/sites/([^/]+)/events)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    auto limit = QueryLimit(req);
    if (!limit) return Fail(res, 400, limit.error().message);
    auto events = backend_.Events(*limit);
    if (!events) return Fail(res, StatusFor(events.error()), events.error().message);
    json out = json::array();
    for (const auto& e : *events) {
      const char* severity = e.severity == Severity::kAlarm ? "critical" : e.severity == Severity::kWarning ? "warning" : "info";
      out.push_back(json{{"time", Iso(e.time)}, {"kind", e.kind}, {"severity", severity}, {"message", e.message}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/alarms)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    json out = json::array();
    for (const auto& a : backend_.Alarms()) {
      out.push_back(json{{"kind", a.kind}, {"severity", a.severity}, {"message", a.message}, {"since", Iso(a.since)}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/dr-events)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    const auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    json out = json::array();
    for (const DrEventView& e : backend_.DrEvents()) {
      json hours = json::array();
      for (const auto& h : e.hours) {
        hours.push_back(json{{"start", Iso(h.start)}, {"minutes", h.minutes}, {"cbl_kwh", opt(h.cbl_kwh)},
                             {"import_cap_kw", opt(h.import_cap_kw)}, {"metered_kwh", opt(h.metered_kwh)},
                             {"reduction_kwh", opt(h.reduction_kwh)}, {"requested_kwh", h.requested_kwh},
                             {"payment_krw", opt(h.payment_krw)}});
      }
      out.push_back(json{{"kind", e.kind}, {"issued", Iso(e.issued)}, {"start", Iso(e.start)}, {"end", Iso(e.end)},
                         {"requested_kw", e.requested_kw}, {"status", e.status}, {"message", e.message},
                         {"hours", hours}, {"performance_pct", opt(e.performance_pct)},
                         {"energy_payment_krw", opt(e.energy_payment_krw)}});
    }
    Reply(res, 200, out);
  });
  s.Get(R"(/api/sites/([^/]+)/audit)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, Role::kViewer) || !site_ok(req, res)) return;
    auto limit = QueryLimit(req);
    if (!limit) return Fail(res, 400, limit.error().message);
    auto entries = backend_.Audit(*limit);
    if (!entries) return Fail(res, StatusFor(entries.error()), entries.error().message);
    json out = json::array();
    for (const auto& e : *entries) {
      out.push_back(json{{"seq", e.seq}, {"time", Iso(e.record.time)}, {"actor", e.record.actor}, {"action", e.record.action},
                         {"subject", e.record.subject}, {"detail", e.record.detail}});
    }
    Reply(res, 200, out);
  });

  // Commands: operator role, a JSON body, bounded numbers; carried out and audited on the
  // control thread before the reply.
  const auto command = [this, authorize, site_ok](OperatorCommand::Kind kind) {
    return [this, authorize, site_ok, kind](const httplib::Request& req, httplib::Response& res) {
      const auto who = authorize(req, res, Role::kOperator);
      if (!who || !site_ok(req, res)) return;
      const json body = json::parse(req.body, nullptr, false);
      if (!body.is_object()) return Fail(res, 400, "expected a JSON object");
      OperatorCommand c;
      c.kind = kind;
      c.user = who->user;
      if (kind == OperatorCommand::Kind::kAuto) {
        if (!body.contains("mode") || body["mode"] != "auto") return Fail(res, 400, "expected {\"mode\": \"auto\"}");
      } else {
        if (!body.contains("battery_kw") || !body["battery_kw"].is_number()) {
          return Fail(res, 400, "'battery_kw' (number, + discharge / - charge) is required");
        }
        c.battery_kw = body["battery_kw"].get<double>();
        if (!std::isfinite(c.battery_kw) || std::abs(c.battery_kw) > 1e6) {
          return Fail(res, 400, "'battery_kw' must be a finite number of kW within +/-1,000,000");
        }
        if (kind == OperatorCommand::Kind::kSetpoint) {
          if (!body.contains("minutes") || !body["minutes"].is_number()) return Fail(res, 400, "'minutes' (1..1440) is required");
          c.minutes = body["minutes"].get<double>();
          if (!(c.minutes >= 1 && c.minutes <= 1440)) return Fail(res, 400, "'minutes' must be within 1..1440");
        }
      }
      if (auto st = backend_.Command(c); !st) return Fail(res, StatusFor(st.error()), st.error().message);
      Reply(res, 200, json{{"ok", true}});
    };
  };
  // A DR call: {"start", "end", "requested_kw", optional "kind" and "issued"} (operator).
  s.Post(R"(/api/sites/([^/]+)/dr-events)", [this, authorize, site_ok](const httplib::Request& req, httplib::Response& res) {
    const auto who = authorize(req, res, Role::kOperator);
    if (!who || !site_ok(req, res)) return;
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return Fail(res, 400, "expected a JSON object");
    DrCallRequest call;
    call.user = who->user;
    const auto time_of = [&](const char* key) -> Result<Instant> {
      if (!body.contains(key) || !body[key].is_string()) {
        return InvalidInput(fmt::format("'{}' (ISO 8601 with offset) is required", key));
      }
      auto t = ParseIso8601Millis(body[key].get<std::string>());
      if (!t) return InvalidInput(fmt::format("'{}': {}", key, t.error().message));
      return *t;
    };
    auto start = time_of("start");
    if (!start) return Fail(res, 400, start.error().message);
    auto end = time_of("end");
    if (!end) return Fail(res, 400, end.error().message);
    call.start = *start;
    call.end = *end;
    if (body.contains("issued")) {
      auto issued = time_of("issued");
      if (!issued) return Fail(res, 400, issued.error().message);
      call.issued = *issued;
    }
    if (!body.contains("requested_kw") || !body["requested_kw"].is_number()) {
      return Fail(res, 400, "'requested_kw' (number, kW of reduction asked) is required");
    }
    call.requested_kw = body["requested_kw"].get<double>();
    if (!(call.requested_kw > 0 && call.requested_kw <= 1e6)) return Fail(res, 400, "'requested_kw' must be within (0, 1,000,000] kW");
    if (body.contains("kind")) {
      if (!body["kind"].is_string()) return Fail(res, 400, "'kind' must be reliability, economic or test");
      call.kind = body["kind"].get<std::string>();
    }
    if (auto st = backend_.SubmitDrCall(call); !st) return Fail(res, StatusFor(st.error()), st.error().message);
    Reply(res, 200, json{{"ok", true}});
  });
  s.Post(R"(/api/sites/([^/]+)/commands/setpoint)", command(OperatorCommand::Kind::kSetpoint));
  s.Post(R"(/api/sites/([^/]+)/commands/mode)", command(OperatorCommand::Kind::kAuto));
  s.Post(R"(/api/sites/([^/]+)/commands/schedule)", command(OperatorCommand::Kind::kSchedule));
}

}  // namespace meg
