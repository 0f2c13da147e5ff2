// The operations metrics of GET /metrics in the Prometheus text exposition format (version
// 0.0.4: "# HELP", "# TYPE", one sample a line, histograms as cumulative _bucket{le=...}, _sum and
// _count). Pure function; thread-safe.
//
// Metrics (every site sample carries site="<id>"):
//   meg_cycle_duration_seconds         histogram  the control cycle's work (read, decide, audit, send)
//   meg_plan_duration_seconds          histogram  each 15-minute planner run
//   meg_plan_runs_total                counter    planner runs
//   meg_plan_failures_total            counter    planner runs that failed (the loop went to local rules)
//   meg_plan_fallbacks_total           counter    planner runs whose interval the fallback rule decided
//   meg_store_write_failures_total     counter    writes the store refused
//   meg_loop_mode                      gauge      1 for the mode the loop is in (mode="normal|local|safe"), else 0
//   meg_devices                        gauge      devices by state="fresh|stale"
//   meg_http_request_duration_seconds  histogram  API requests, by the time their handler took
//   meg_sse_clients                    gauge      open event streams
#pragma once

#include <string>
#include <vector>

#include "center/site_backend.h"
#include "core/histogram.h"

namespace meg {

struct SiteMetricsSample {
  std::string id;
  LiveValues live;
  SiteMetrics metrics;
};

std::string RenderMetricsText(const std::vector<SiteMetricsSample>& sites, const Histogram& http_seconds,
                              int sse_clients);

}  // namespace meg
