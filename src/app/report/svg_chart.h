// Small self-contained SVG charts for the offline HTML reports: stacked bars and line charts,
// with axes, units and a legend. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace meg {

struct ChartSeries {
  std::string name;
  std::string color;           // CSS colour
  std::vector<double> values;  // one per category / x point
};

// Groups of stacked bars: for each category (x label), one bar per group, each stacked from
// `stacks[group]` (all series of a group have one value per category).
struct StackedBarChart {
  std::string title;
  std::string unit;                                   // y-axis unit, e.g. "million KRW"
  std::vector<std::string> categories;                // x labels
  std::vector<std::string> groups;                    // bar names within a category
  std::vector<std::vector<ChartSeries>> stacks;       // [group][series]
  std::vector<std::pair<std::string, double>> lines;  // horizontal reference lines (label, y)
};

struct LineChart {
  std::string title;
  std::string unit;
  std::vector<std::string> x_labels;  // shown every `label_every` points
  int label_every = 1;
  std::vector<ChartSeries> series;
  std::vector<std::pair<std::string, double>> lines;
};

std::string RenderSvg(const StackedBarChart& chart, int width = 900, int height = 360);
std::string RenderSvg(const LineChart& chart, int width = 900, int height = 360);

// Escapes &, <, >, " for HTML text and attributes.
std::string HtmlEscape(const std::string& s);

}  // namespace meg
