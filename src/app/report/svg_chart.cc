#include "app/report/svg_chart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace meg {
namespace {

constexpr int kLeft = 70, kRight = 20, kTop = 40, kBottom = 70;

// A "nice" axis maximum and step for values up to `max`.
std::pair<double, double> NiceAxis(double lo, double hi) {
  if (hi <= lo) hi = lo + 1;
  const double span = hi - lo;
  const double raw = span / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  }
  return {step, step};
}

struct Frame {
  int width, height;
  double y_lo, y_hi, step;
  double Y(double v) const { return kTop + (height - kTop - kBottom) * (1 - (v - y_lo) / (y_hi - y_lo)); }
  double plot_w() const { return width - kLeft - kRight; }
};

Frame MakeFrame(int width, int height, double lo, double hi) {
  lo = std::min(lo, 0.0);
  auto [step, unused] = NiceAxis(lo, hi);
  (void)unused;
  const double y_lo = std::floor(lo / step) * step;
  const double y_hi = std::ceil(hi / step) * step + (hi == std::ceil(hi / step) * step ? step : 0);
  return Frame{width, height, y_lo, y_hi, step};
}

std::string Axes(const Frame& f, const std::string& title, const std::string& unit) {
  std::string s;
  s += fmt::format("<text x='{}' y='20' font-size='15' font-weight='bold'>{}</text>", kLeft, HtmlEscape(title));
  s += fmt::format("<text x='10' y='{}' font-size='12' transform='rotate(-90 10 {})' text-anchor='middle'>{}</text>",
                   (kTop + f.height - kBottom) / 2, (kTop + f.height - kBottom) / 2, HtmlEscape(unit));
  for (double v = f.y_lo; v <= f.y_hi + f.step / 2; v += f.step) {
    const double y = f.Y(v);
    s += fmt::format("<line x1='{}' x2='{}' y1='{:.1f}' y2='{:.1f}' stroke='#ddd'/>", kLeft, f.width - kRight, y, y);
    s += fmt::format("<text x='{}' y='{:.1f}' font-size='11' text-anchor='end'>{}</text>", kLeft - 6, y + 4,
                     std::fabs(v) >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:g}", v));
  }
  s += fmt::format("<line x1='{}' x2='{}' y1='{:.1f}' y2='{:.1f}' stroke='#333'/>", kLeft, f.width - kRight, f.Y(0),
                   f.Y(0));
  return s;
}

std::string RefLines(const Frame& f, const std::vector<std::pair<std::string, double>>& lines) {
  std::string s;
  for (const auto& [label, v] : lines) {
    const double y = f.Y(v);
    s += fmt::format("<line x1='{}' x2='{}' y1='{:.1f}' y2='{:.1f}' stroke='#c00' stroke-dasharray='6 4'/>", kLeft,
                     f.width - kRight, y, y);
    s += fmt::format("<text x='{}' y='{:.1f}' font-size='11' fill='#c00' text-anchor='end'>{}</text>",
                     f.width - kRight - 4, y - 4, HtmlEscape(label));
  }
  return s;
}

std::string Legend(const std::vector<ChartSeries>& series, int y, int x0) {
  std::string s;
  int x = x0;
  for (const auto& c : series) {
    s += fmt::format("<rect x='{}' y='{}' width='12' height='12' fill='{}'/>", x, y - 10, c.color);
    s += fmt::format("<text x='{}' y='{}' font-size='12'>{}</text>", x + 16, y, HtmlEscape(c.name));
    x += 22 + static_cast<int>(c.name.size()) * 7;
  }
  return s;
}

}  // namespace

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string RenderSvg(const StackedBarChart& c, int width, int height) {
  double hi = 0;
  for (size_t k = 0; k < c.categories.size(); ++k) {
    for (const auto& group : c.stacks) {
      double sum = 0;
      for (const auto& s : group) sum += s.values.at(k);
      hi = std::max(hi, sum);
    }
  }
  for (const auto& l : c.lines) hi = std::max(hi, l.second);
  const Frame f = MakeFrame(width, height, 0, hi);
  std::string s = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' "
      "font-family='sans-serif'>",
      width, height);
  s += Axes(f, c.title, c.unit);
  const double slot = f.plot_w() / std::max<size_t>(1, c.categories.size());
  const double bar = slot * 0.8 / std::max<size_t>(1, c.groups.size());
  for (size_t k = 0; k < c.categories.size(); ++k) {
    const double x0 = kLeft + slot * k + slot * 0.1;
    for (size_t g = 0; g < c.stacks.size(); ++g) {
      double base = 0;
      for (const auto& series : c.stacks[g]) {
        const double v = series.values.at(k);
        s += fmt::format(
            "<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='{}'>"
            "<title>{} {} {}: {:.2f} {}</title></rect>",
            x0 + bar * g, f.Y(base + v), bar * 0.92, f.Y(base) - f.Y(base + v), series.color,
            HtmlEscape(c.categories[k]), HtmlEscape(c.groups[g]), HtmlEscape(series.name), v, HtmlEscape(c.unit));
        base += v;
      }
    }
    s += fmt::format("<text x='{:.1f}' y='{}' font-size='11' text-anchor='middle'>{}</text>", x0 + slot * 0.4,
                     height - kBottom + 16, HtmlEscape(c.categories[k]));
  }
  s += RefLines(f, c.lines);
  std::string groups;
  for (size_t g = 0; g < c.groups.size(); ++g)
    groups += (g ? ", " : "") + fmt::format("bar {}: {}", g + 1, c.groups[g]);
  s += fmt::format("<text x='{}' y='{}' font-size='12'>{}</text>", kLeft, height - kBottom + 36, HtmlEscape(groups));
  if (!c.stacks.empty()) s += Legend(c.stacks.front(), height - 12, kLeft);
  s += "</svg>";
  return s;
}

std::string RenderSvg(const LineChart& c, int width, int height) {
  double lo = 0, hi = 0;
  size_t n = 0;
  for (const auto& series : c.series) {
    for (double v : series.values) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    n = std::max(n, series.values.size());
  }
  for (const auto& l : c.lines) hi = std::max(hi, l.second);
  const Frame f = MakeFrame(width, height, lo, hi);
  std::string s = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' "
      "font-family='sans-serif'>",
      width, height);
  s += Axes(f, c.title, c.unit);
  const double dx = n > 1 ? f.plot_w() / static_cast<double>(n - 1) : 0;
  for (size_t i = 0; i < c.x_labels.size() && i < n; i += static_cast<size_t>(std::max(1, c.label_every))) {
    s += fmt::format("<text x='{:.1f}' y='{}' font-size='11' text-anchor='middle'>{}</text>", kLeft + dx * i,
                     height - kBottom + 16, HtmlEscape(c.x_labels[i]));
  }
  for (const auto& series : c.series) {
    std::string points;
    for (size_t i = 0; i < series.values.size(); ++i) {
      points += fmt::format("{:.1f},{:.1f} ", kLeft + dx * i, f.Y(series.values[i]));
    }
    s += fmt::format("<polyline fill='none' stroke='{}' stroke-width='2' points='{}'/>", series.color, points);
  }
  s += RefLines(f, c.lines);
  s += Legend(c.series, height - 12, kLeft);
  s += "</svg>";
  return s;
}

}  // namespace meg
