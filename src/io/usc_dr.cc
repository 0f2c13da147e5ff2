#include "io/usc_dr.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/text.h"

namespace meg {
namespace {

Result<std::vector<std::vector<std::string>>> Rows(std::string_view text, std::string_view source,
                                                   const std::vector<std::string>& header) {
  MEG_TRY_ASSIGN(lines, SplitLines(text, source));
  MEG_TRY_ASSIGN(first, FirstNonBlankLine(lines, source));
  MEG_TRY_ASSIGN(head, SplitCsv(lines[first].text));
  if (head != header) {
    return InvalidInput(
        fmt::format("{}:{}: expected the header \"{}\"", source, lines[first].number, fmt::join(header, "\",\"")));
  }
  std::vector<std::vector<std::string>> rows;
  for (size_t i = first + 1; i < lines.size(); ++i) {
    if (Trim(lines[i].text).empty()) continue;
    auto fields = SplitCsv(lines[i].text);
    if (!fields) return InvalidInput(fmt::format("{}:{}: {}", source, lines[i].number, fields.error().message));
    if (fields->size() != header.size()) {
      return InvalidInput(
          fmt::format("{}:{}: {} fields, expected {}", source, lines[i].number, fields->size(), header.size()));
    }
    fields->push_back(std::to_string(lines[i].number));
    rows.push_back(std::move(*fields));
  }
  return rows;
}

Result<std::optional<double>> NumberOrNa(const std::string& field, std::string_view source, const std::string& line) {
  if (Trim(field) == "NA") return std::optional<double>();
  auto v = ParseFiniteDouble(field);
  if (!v) return InvalidInput(fmt::format("{}:{}: '{}' is neither a number nor NA", source, line, Excerpt(field)));
  return std::optional<double>(*v);
}

}  // namespace

Result<std::vector<UscConsumption>> ParseUscConsumption(std::string_view text, std::string_view source) {
  MEG_TRY_ASSIGN(rows, Rows(text, source, {"", "buildings", "date", "strategy", "consumption"}));
  std::vector<UscConsumption> out;
  for (const auto& r : rows) {
    auto date = ParseDate(r[2]);
    if (!date)
      return InvalidInput(fmt::format("{}:{}: date '{}': {}", source, r[5], Excerpt(r[2]), date.error().message));
    MEG_TRY_ASSIGN(kwh, NumberOrNa(r[4], source, r[5]));
    out.push_back(UscConsumption{r[1], *date, r[3], kwh});
  }
  return out;
}

Result<std::vector<UscCurtailment>> ParseUscCurtailment(std::string_view text, std::string_view source) {
  MEG_TRY_ASSIGN(rows, Rows(text, source, {"", "date", "curtailment"}));
  std::vector<UscCurtailment> out;
  for (const auto& r : rows) {
    auto date = ParseDate(r[1]);
    if (!date)
      return InvalidInput(fmt::format("{}:{}: date '{}': {}", source, r[3], Excerpt(r[1]), date.error().message));
    MEG_TRY_ASSIGN(kwh, NumberOrNa(r[2], source, r[3]));
    out.push_back(UscCurtailment{*date, kwh});
  }
  return out;
}

}  // namespace meg
