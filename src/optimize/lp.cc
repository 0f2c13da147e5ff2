#include "optimize/lp.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "core/check.h"

namespace meg {

int LpModel::AddVariable(std::string name, double lower, double upper, double cost, bool integer) {
  variables_.push_back(LpVariable{std::move(name), lower, upper, cost, integer});
  return num_variables() - 1;
}

void LpModel::SetBounds(int var, double lower, double upper) {
  MEG_CHECK(var >= 0 && var < num_variables());
  variables_[static_cast<size_t>(var)].lower = lower;
  variables_[static_cast<size_t>(var)].upper = upper;
}

int LpModel::AddRow(std::string name, double lower, double upper, std::vector<LpTerm> terms) {
  for (const LpTerm& t : terms) MEG_CHECK(t.var >= 0 && t.var < num_variables());
  rows_.push_back(LpRow{std::move(name), lower, upper, std::move(terms)});
  return num_rows() - 1;
}

size_t LpModel::num_nonzeros() const {
  size_t n = 0;
  for (const LpRow& r : rows_) n += r.terms.size();
  return n;
}

bool LpModel::HasIntegers() const {
  for (const LpVariable& v : variables_) {
    if (v.integer) return true;
  }
  return false;
}

double LpModel::Objective(const std::vector<double>& x) const {
  MEG_CHECK(x.size() == variables_.size());
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += variables_[i].cost * x[i];
  return sum;
}

std::string_view SolveStatusName(SolveStatus s) {
  switch (s) {
    case SolveStatus::kOptimal: return "optimal";
    case SolveStatus::kInfeasible: return "infeasible";
    case SolveStatus::kUnbounded: return "unbounded";
    case SolveStatus::kTimeLimit: return "time limit";
    case SolveStatus::kError: return "error";
  }
  return "error";
}

Status ValidateModel(const LpModel& model) {
  for (int j = 0; j < model.num_variables(); ++j) {
    const LpVariable& v = model.variables()[static_cast<size_t>(j)];
    if (!std::isfinite(v.cost) || std::isnan(v.lower) || std::isnan(v.upper) || v.lower > v.upper ||
        v.lower == kLpInfinity || v.upper == -kLpInfinity) {
      return InvalidInput(fmt::format("LP variable {} ({}): cost {} or bounds [{}, {}] are not usable", j, v.name,
                                      v.cost, v.lower, v.upper));
    }
  }
  for (const LpRow& r : model.rows()) {
    if (std::isnan(r.lower) || std::isnan(r.upper)) {
      return InvalidInput(fmt::format("LP row {}: a bound is NaN", r.name));
    }
    for (const LpTerm& t : r.terms) {
      if (t.var < 0 || t.var >= model.num_variables() || !std::isfinite(t.coef)) {
        return InvalidInput(fmt::format("LP row {}: term ({}, {}) is not usable", r.name, t.var, t.coef));
      }
    }
  }
  return Ok{};
}

namespace {

// CPLEX LP names: letters, digits and a few symbols; not starting with a digit or '.', and not
// with 'e'/'E' (a reader may take "e1" for an exponent). We keep [A-Za-z0-9_] and prefix where
// needed, so the printed name is a deterministic function of the model's name.
std::string LpName(std::string_view name, char kind, size_t index) {
  if (name.empty()) return fmt::format("{}{}", kind, index);
  std::string out;
  out.reserve(name.size() + 2);
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  const char first = out.front();
  if ((first >= '0' && first <= '9') || first == 'e' || first == 'E') out.insert(0, 1, kind == 'x' ? 'v' : 'r');
  return out;
}

std::string Number(double v) { return fmt::format("{:.17g}", v); }

std::string Bound(double v) {
  if (v == kLpInfinity) return "+inf";
  if (v == -kLpInfinity) return "-inf";
  return Number(v);
}

// Appends " + 3 x - 2 y ..." with a line break every few terms (LP readers limit line length).
void AppendTerms(std::string& out, const std::vector<std::pair<double, const std::string*>>& terms) {
  int on_line = 0;
  for (const auto& [coef, name] : terms) {
    if (on_line == 6) {
      out += "\n   ";
      on_line = 0;
    }
    out += coef < 0 ? " - " : " + ";
    out += Number(std::fabs(coef));
    out += ' ';
    out += *name;
    ++on_line;
  }
}

}  // namespace

std::string WriteLpFormat(const LpModel& model) {
  std::vector<std::string> names;
  names.reserve(model.variables().size());
  for (size_t j = 0; j < model.variables().size(); ++j) names.push_back(LpName(model.variables()[j].name, 'x', j));

  std::string out = "\\ OpenMEG LP model: " + std::to_string(model.num_variables()) + " variables, " +
                    std::to_string(model.num_rows()) + " rows\nMinimize\n obj:";
  std::vector<std::pair<double, const std::string*>> terms;
  for (size_t j = 0; j < names.size(); ++j) {
    if (model.variables()[j].cost != 0) terms.emplace_back(model.variables()[j].cost, &names[j]);
  }
  if (terms.empty() && !names.empty()) terms.emplace_back(0.0, &names[0]);
  AppendTerms(out, terms);
  out += "\nSubject To\n";
  for (size_t i = 0; i < model.rows().size(); ++i) {
    const LpRow& row = model.rows()[i];
    const bool has_lo = row.lower != -kLpInfinity, has_hi = row.upper != kLpInfinity;
    if (!has_lo && !has_hi) continue;
    terms.clear();
    for (const LpTerm& t : row.terms) terms.emplace_back(t.coef, &names[static_cast<size_t>(t.var)]);
    if (terms.empty() && !names.empty()) terms.emplace_back(0.0, &names[0]);
    const std::string name = LpName(row.name, 'c', i);
    auto emit = [&](const std::string& label, const char* sense, double rhs) {
      out += ' ' + label + ':';
      AppendTerms(out, terms);
      out += fmt::format(" {} {}\n", sense, Number(rhs));
    };
    if (has_lo && has_hi && row.lower == row.upper) {
      emit(name, "=", row.lower);
    } else if (has_lo && has_hi) {
      emit(name + "_lo", ">=", row.lower);
      emit(name + "_hi", "<=", row.upper);
    } else if (has_lo) {
      emit(name, ">=", row.lower);
    } else {
      emit(name, "<=", row.upper);
    }
  }
  out += "Bounds\n";
  for (size_t j = 0; j < names.size(); ++j) {
    const LpVariable& v = model.variables()[j];
    if (v.lower == v.upper) {
      out += fmt::format(" {} = {}\n", names[j], Number(v.lower));
    } else if (v.lower == -kLpInfinity && v.upper == kLpInfinity) {
      out += fmt::format(" {} free\n", names[j]);
    } else {
      out += fmt::format(" {} <= {} <= {}\n", Bound(v.lower), names[j], Bound(v.upper));
    }
  }
  bool header = false;
  for (size_t j = 0; j < names.size(); ++j) {
    if (!model.variables()[j].integer) continue;
    if (!header) out += "Generals\n";
    header = true;
    out += ' ' + names[j] + '\n';
  }
  out += "End\n";
  return out;
}

namespace {

// One MPS row kept in the file: its printed name, type and rhs (and range, for a G range).
struct MpsRow {
  std::string name;
  char type = 'E';  // 'E', 'L' or 'G'
  double rhs = 0;
  double range = 0;  // > 0 only for a ranged row
};

// The rows written to the file: those with a finite bound, in model order.
struct MpsRows {
  std::vector<MpsRow> rows;
  std::vector<int> kept;  // kept[i]: model row i's index in `rows`, or -1 when left out
};

MpsRows KeptRows(const LpModel& model) {
  std::vector<MpsRow> rows;
  std::vector<int> kept(model.rows().size(), -1);
  for (size_t i = 0; i < model.rows().size(); ++i) {
    const LpRow& r = model.rows()[i];
    const bool has_lo = r.lower != -kLpInfinity, has_hi = r.upper != kLpInfinity;
    if (!has_lo && !has_hi) continue;
    std::string name = LpName(r.name, 'c', i);
    kept[i] = static_cast<int>(rows.size());
    if (has_lo && has_hi && r.lower == r.upper) {
      rows.push_back(MpsRow{std::move(name), 'E', r.lower, 0});
    } else if (has_lo && has_hi) {  // RANGES on a G row mean [rhs, rhs + |R|] (MPS, GLPK manual)
      rows.push_back(MpsRow{std::move(name), 'G', r.lower, r.upper - r.lower});
    } else if (has_lo) {
      rows.push_back(MpsRow{std::move(name), 'G', r.lower, 0});
    } else {
      rows.push_back(MpsRow{std::move(name), 'L', r.upper, 0});
    }
  }
  return MpsRows{std::move(rows), std::move(kept)};
}

// The matrix by column: for each variable its (kept row, coefficient) entries in row order. A
// variable repeated within a row gets the sum of its coefficients (the row is their sum).
using MpsColumn = std::vector<std::pair<int, double>>;  // (kept row, coefficient)
std::vector<MpsColumn> MpsColumns(const LpModel& model, const std::vector<int>& kept) {
  std::vector<MpsColumn> columns(model.variables().size());
  for (size_t i = 0; i < model.rows().size(); ++i) {
    if (kept[i] < 0) continue;
    for (const LpTerm& t : model.rows()[i].terms) {
      auto& column = columns[static_cast<size_t>(t.var)];
      if (!column.empty() && column.back().first == kept[i]) {
        column.back().second += t.coef;
      } else {
        column.emplace_back(kept[i], t.coef);
      }
    }
  }
  return columns;
}

constexpr const char* kIntegersBegin = " MARKER 'MARKER' 'INTORG'\n";
constexpr const char* kIntegersEnd = " MARKER 'MARKER' 'INTEND'\n";

// The BOUNDS lines of one column: always explicit, as the readers' defaults differ (an integer
// column without bounds is [0, 1] to some and [0, +inf) to others).
std::string MpsBounds(const LpVariable& v, const std::string& name) {
  const bool has_lo = v.lower != -kLpInfinity, has_hi = v.upper != kLpInfinity;
  if (v.lower == v.upper) return fmt::format(" FX BND {} {}\n", name, Number(v.lower));
  if (v.integer && v.lower == 0 && v.upper == 1) return fmt::format(" BV BND {}\n", name);
  if (!has_lo && !has_hi) return fmt::format(" FR BND {}\n", name);
  if (!has_lo) return fmt::format(" MI BND {0}\n UP BND {0} {1}\n", name, Number(v.upper));
  if (!has_hi) return fmt::format(" LO BND {0} {1}\n PL BND {0}\n", name, Number(v.lower));
  return fmt::format(" LO BND {0} {1}\n UP BND {0} {2}\n", name, Number(v.lower), Number(v.upper));
}

}  // namespace

std::string WriteMpsFormat(const LpModel& model) {
  const auto [rows, kept] = KeptRows(model);
  const std::vector<MpsColumn> columns = MpsColumns(model, kept);
  std::string out =
      fmt::format("* OpenMEG MPS model: {} variables, {} rows\n", model.num_variables(), model.num_rows());
  out += "NAME OpenMEG\nROWS\n N obj\n";
  for (const MpsRow& r : rows) out += fmt::format(" {} {}\n", r.type, r.name);
  out += "COLUMNS\n";
  std::vector<std::string> names;
  bool in_integers = false;
  for (size_t j = 0; j < model.variables().size(); ++j) {
    const LpVariable& v = model.variables()[j];
    names.push_back(LpName(v.name, 'x', j));
    if (v.integer != in_integers) out += v.integer ? kIntegersBegin : kIntegersEnd;
    in_integers = v.integer;
    // A column exists only through its entries: one in no kept row and free of cost gets `obj 0`.
    if (v.cost != 0 || columns[j].empty()) {
      out += fmt::format(" {} obj {}\n", names[j], Number(v.cost));
    }
    for (const auto& [row, coef] : columns[j]) {
      const std::string& row_name = rows[static_cast<size_t>(row)].name;
      out += fmt::format(" {} {} {}\n", names[j], row_name, Number(coef));
    }
  }
  if (in_integers) out += kIntegersEnd;
  std::string rhs, ranges;
  for (const MpsRow& r : rows) {
    if (r.rhs != 0) rhs += fmt::format(" RHS {} {}\n", r.name, Number(r.rhs));
    if (r.range != 0) ranges += fmt::format(" RNG {} {}\n", r.name, Number(r.range));
  }
  if (!rhs.empty()) out += "RHS\n" + rhs;
  if (!ranges.empty()) out += "RANGES\n" + ranges;
  out += "BOUNDS\n";
  for (size_t j = 0; j < names.size(); ++j) out += MpsBounds(model.variables()[j], names[j]);
  out += "ENDATA\n";
  return out;
}

}  // namespace meg
