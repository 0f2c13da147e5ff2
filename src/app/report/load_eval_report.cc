#include "app/report/load_eval_report.h"

#include <fmt/format.h>

#include <cmath>

namespace meg {
namespace {

std::string Pct(double v) { return std::isfinite(v) ? fmt::format("{:.1f}", v) : "n/a"; }

}  // namespace

std::string RenderLoadEvalRows(const std::string& title, const LoadEvalReport& r, bool markdown) {
  std::string out;
  out += fmt::format("\n{}\n", title);
  if (markdown) {
    out +=
        "| schedule | pairs | mean load kW | model NMAE % | NRMSE % | bias % | P10-P90 cover % | "
        "naive week NMAE % | naive day NMAE % | vs naive week |\n";
    out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  } else {
    out += fmt::format("  {:<32}{:>8}{:>10}{:>10}{:>10}{:>9}{:>10}{:>12}{:>12}{:>10}\n", "schedule", "pairs", "mean kW",
                       "NMAE %", "NRMSE %", "bias %", "P10-P90", "week NMAE", "day NMAE", "vs week");
  }
  for (const LoadEvalRow& row : r.rows) {
    if (markdown) {
      out += fmt::format("| {} | {} | {:.1f} | {} | {} | {} | {} | {} | {} | {:+.0f} % |\n", row.schedule,
                         row.model.count, row.model.mean_actual, Pct(row.model.nmae_pct), Pct(row.model.nrmse_pct),
                         Pct(row.model.bias_pct), Pct(row.coverage_pct), Pct(row.naive_week.nmae_pct),
                         Pct(row.naive_day.nmae_pct), -row.improvement_vs_week_pct());
    } else {
      out += fmt::format("  {:<32}{:>8}{:>10.1f}{:>10}{:>10}{:>9}{:>10}{:>12}{:>12}{:>9.0f}%\n", row.schedule,
                         row.model.count, row.model.mean_actual, Pct(row.model.nmae_pct), Pct(row.model.nrmse_pct),
                         Pct(row.model.bias_pct), Pct(row.coverage_pct), Pct(row.naive_week.nmae_pct),
                         Pct(row.naive_day.nmae_pct), -row.improvement_vs_week_pct());
    }
  }
  out += fmt::format("  ({} trainings, {:.2f} s each on average, {} rows in the last)\n", r.trainings,
                     r.train_seconds_mean, r.training_rows_last);
  return out;
}

}  // namespace meg
