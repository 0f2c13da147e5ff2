#include "app/usage_options.h"

#include <iostream>

#include <fmt/format.h>

namespace meg {

void AddUsageFormatOptions(CLI::App* cmd, UsageFormatOptions& o) {
  const char* group = "Meter download (detected unless set)";
  cmd->add_option("--encoding", o.encoding, "the usage file's text encoding: utf-8 | cp949 (= euc-kr)")->group(group);
  cmd->add_option("--header-row", o.header_row, "line of the header row; -1: no header")->group(group);
  cmd->add_option("--time-column", o.time_column, "the time column: its header name or 1-based number")->group(group);
  cmd->add_option("--value-column", o.value_column, "the usage column: its header name or 1-based number")
      ->group(group);
  cmd->add_option("--labels", o.labels, "a time label names the interval's end (KEPCO) or start: end | start")
      ->group(group);
  cmd->add_option("--unit", o.unit, "the usage column holds kWh per interval or mean kW: kwh | kw")->group(group);
  cmd->add_option("--interval", o.interval, "minutes between rows: 15 | 60")->group(group);
  cmd->add_option("--sheet", o.sheet, "the .xlsx workbook's sheet to read (default: the first)")->group(group);
}

Result<UsageImport> ReadUsageForCommand(std::string_view command, const std::string& path,
                                        const UsageFormatOptions& format, const UsageReadOptions& read) {
  MeterReadOptions meter;
  meter.encoding = format.encoding;
  meter.header_row = format.header_row;
  if (format.header_row < -1)
    return InvalidInput(fmt::format("--header-row {}: a line number, or -1", format.header_row));
  meter.time_column = format.time_column;
  meter.value_column = format.value_column;
  if (!format.labels.empty()) {
    auto labels = ParseLabelConvention(format.labels);
    if (!labels) return InvalidInput("--" + labels.error().message);
    meter.labels = *labels;
  }
  if (!format.unit.empty()) {
    auto unit = ParseMeterUnit(format.unit);
    if (!unit) return InvalidInput("--" + unit.error().message);
    meter.unit = *unit;
  }
  if (format.interval != 0 && format.interval != 15 && format.interval != 60) {
    return InvalidInput(
        fmt::format("--interval {}: a meter download has rows 15 or 60 minutes apart", format.interval));
  }
  meter.interval_minutes = format.interval;
  meter.sheet = format.sheet;
  auto usage = ReadUsageFile(path, meter, read);
  if (!usage) return usage.error();
  if (usage->meter_download) {
    std::cerr << fmt::format("{}: read {} as a meter download:\n", command, path);
    for (const auto& line : usage->detected) std::cerr << "  " << line << "\n";
  }
  for (const auto& w : usage->warnings) std::cerr << fmt::format("{}: warning: {}\n", command, w);
  return usage;
}

}  // namespace meg
