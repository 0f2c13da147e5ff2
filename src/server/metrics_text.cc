#include "server/metrics_text.h"

#include <fmt/format.h>

#include <array>
#include <functional>
#include <string_view>

namespace meg {
namespace {

// A label value with \, " and newline escaped as the format requires.
std::string Escaped(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// A number as the format writes it: shortest round-trip decimal.
std::string Number(double v) { return fmt::format("{}", v); }

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// `labels` without braces ("site=\"h1\"", or empty).
void HistogramSamples(std::string& out, std::string_view name, const std::string& labels, const Histogram& h) {
  const std::string sep = labels.empty() ? "" : labels + ",";
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", name, sep, Number(h.bounds()[i]), h.CumulativeCount(i));
  }
  out += fmt::format("{}_bucket{{{}le=\"+Inf\"}} {}\n", name, sep, h.count());
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n", name, braces, Number(h.sum()));
  out += fmt::format("{}_count{} {}\n", name, braces, h.count());
}

}  // namespace

std::string RenderMetricsText(const std::vector<SiteMetricsSample>& sites, const Histogram& http_seconds,
                              int sse_clients) {
  std::string out;
  const auto site_label = [](const SiteMetricsSample& s) { return fmt::format("site=\"{}\"", Escaped(s.id)); };
  const auto histogram = [&](std::string_view name, std::string_view help, const Histogram SiteMetrics::*member) {
    Header(out, name, "histogram", help);
    for (const auto& s : sites) HistogramSamples(out, name, site_label(s), s.metrics.*member);
  };
  const auto counter = [&](std::string_view name, std::string_view help, const std::uint64_t SiteMetrics::*member) {
    Header(out, name, "counter", help);
    for (const auto& s : sites) out += fmt::format("{}{{{}}} {}\n", name, site_label(s), s.metrics.*member);
  };
  histogram("meg_cycle_duration_seconds", "Wall time of the control cycle's work (read, decide, audit, send).",
            &SiteMetrics::cycle_seconds);
  histogram("meg_plan_duration_seconds", "Wall time of each 15-minute planner run (forecast and solve).",
            &SiteMetrics::plan_seconds);
  counter("meg_plan_runs_total", "Planner runs.", &SiteMetrics::plans);
  counter("meg_plan_failures_total", "Planner runs that failed; the loop went to its local rules.",
          &SiteMetrics::plan_failures);
  counter("meg_plan_fallbacks_total", "Planner runs whose interval the fallback rule decided.",
          &SiteMetrics::plan_fallbacks);
  counter("meg_store_write_failures_total", "Writes the store refused.", &SiteMetrics::store_write_failures);
  Header(out, "meg_weather_forecast_fetches_total", "counter",
         "Fetches of the live weather forecast ([weather_forecast]) by result.");
  for (const auto& s : sites) {
    out += fmt::format("meg_weather_forecast_fetches_total{{{},result=\"ok\"}} {}\n", site_label(s),
                       s.metrics.weather_fetches);
    out += fmt::format("meg_weather_forecast_fetches_total{{{},result=\"failed\"}} {}\n", site_label(s),
                       s.metrics.weather_fetch_failures);
  }

  Header(out, "meg_loop_mode", "gauge", "1 for the mode the control loop is in, else 0.");
  for (const auto& s : sites) {
    for (std::string_view mode : std::array<std::string_view, 3>{"normal", "local", "safe"}) {
      out += fmt::format("meg_loop_mode{{{},mode=\"{}\"}} {}\n", site_label(s), mode, s.live.mode == mode ? 1 : 0);
    }
  }
  Header(out, "meg_devices", "gauge", "Devices by the freshness of their last reading.");
  for (const auto& s : sites) {
    out += fmt::format("meg_devices{{{},state=\"fresh\"}} {}\n", site_label(s), s.live.devices_fresh);
    out += fmt::format("meg_devices{{{},state=\"stale\"}} {}\n", site_label(s), s.live.devices_stale);
  }

  Header(out, "meg_http_request_duration_seconds", "histogram", "API requests by the time their handler took.");
  HistogramSamples(out, "meg_http_request_duration_seconds", "", http_seconds);
  Header(out, "meg_sse_clients", "gauge", "Open event streams (GET /api/sites/<id>/stream).");
  out += fmt::format("meg_sse_clients {}\n", sse_clients);
  return out;
}

}  // namespace meg
