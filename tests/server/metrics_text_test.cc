// GET /metrics' text: a small case written out by hand, and the whole output linted by
// Debian's promtool (Prometheus's own checker of the exposition format).
#include "server/metrics_text.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace meg {
namespace {

SiteMetricsSample Sample() {
  SiteMetricsSample s;
  s.id = "h1";
  s.live.mode = "local";
  s.live.devices_fresh = 3;
  s.live.devices_stale = 1;
  // Cycles of 1/1024, 1/256 and 1/32 s (exact in binary): 0.98 ms <= 0.001, 3.9 ms <= 0.005 and
  // 31 ms <= 0.05, so the cumulative buckets read 1, 2, 3; the sum is 37/1024 = 0.0361328125.
  for (double v : {1.0 / 1024, 1.0 / 256, 1.0 / 32}) s.metrics.cycle_seconds.Observe(v);
  s.metrics.plan_seconds.Observe(1.5);  // le 2.5
  s.metrics.plans = 1;
  s.metrics.plan_fallbacks = 1;
  s.metrics.store_write_failures = 2;
  s.metrics.weather_fetches = 5;
  s.metrics.weather_fetch_failures = 1;
  return s;
}

TEST(MetricsTextTest, HistogramsAreCumulativeAndEverySampleNamesItsSite) {
  Histogram http;
  http.Observe(0.002);
  const std::string text = RenderMetricsText({Sample()}, http, 2);
  for (const char* line : {
           "# TYPE meg_cycle_duration_seconds histogram\n",
           "meg_cycle_duration_seconds_bucket{site=\"h1\",le=\"0.001\"} 1\n",
           "meg_cycle_duration_seconds_bucket{site=\"h1\",le=\"0.0025\"} 1\n",
           "meg_cycle_duration_seconds_bucket{site=\"h1\",le=\"0.005\"} 2\n",
           "meg_cycle_duration_seconds_bucket{site=\"h1\",le=\"0.05\"} 3\n",
           "meg_cycle_duration_seconds_bucket{site=\"h1\",le=\"+Inf\"} 3\n",
           "meg_cycle_duration_seconds_sum{site=\"h1\"} 0.0361328125\n",
           "meg_cycle_duration_seconds_count{site=\"h1\"} 3\n",
           "meg_plan_duration_seconds_bucket{site=\"h1\",le=\"1\"} 0\n",
           "meg_plan_duration_seconds_bucket{site=\"h1\",le=\"2.5\"} 1\n",
           "meg_plan_fallbacks_total{site=\"h1\"} 1\n",
           "meg_plan_failures_total{site=\"h1\"} 0\n",
           "meg_store_write_failures_total{site=\"h1\"} 2\n",
           "meg_weather_forecast_fetches_total{site=\"h1\",result=\"ok\"} 5\n",
           "meg_weather_forecast_fetches_total{site=\"h1\",result=\"failed\"} 1\n",
           "meg_loop_mode{site=\"h1\",mode=\"normal\"} 0\n",
           "meg_loop_mode{site=\"h1\",mode=\"local\"} 1\n",
           "meg_devices{site=\"h1\",state=\"stale\"} 1\n",
           "meg_http_request_duration_seconds_bucket{le=\"0.0025\"} 1\n",
           "meg_http_request_duration_seconds_count 1\n",
           "meg_sse_clients 2\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

TEST(MetricsTextTest, PromtoolFindsNoProblem) {
  SiteMetricsSample odd = Sample();
  odd.id = "a \"quoted\"\\site";  // escaped in the label
  const std::string text = RenderMetricsText({Sample(), odd}, Histogram(), 0);
  EXPECT_NE(text.find("site=\"a \\\"quoted\\\"\\\\site\""), std::string::npos);
  const auto path = std::filesystem::temp_directory_path() / ("meg_metrics_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << text;
  const std::string cmd = "promtool check metrics < " + path.string() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int status = ::pclose(p);
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "") << out;
}

}  // namespace
}  // namespace meg
