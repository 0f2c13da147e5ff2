// The usage-file options shared by `meg bill`, `meg advise` and `meg cbl`: how to read a meter
// download (io/meter_download.h) where detection should not decide, and the report of what was
// read.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "core/result.h"
#include "io/meter_download.h"

namespace meg {

struct UsageFormatOptions {
  std::string encoding;
  int header_row = 0;
  std::string time_column;
  std::string value_column;
  std::string labels;
  std::string unit;
  int interval = 0;
  std::string sheet;
};

// Adds --encoding, --header-row, --time-column, --value-column, --labels, --unit, --interval,
// --sheet.
void AddUsageFormatOptions(CLI::App* cmd, UsageFormatOptions& o);

// Reads the usage file at `path` (OpenMEG's CSV or a meter download) and, for a download, prints
// what was detected to stderr, each line prefixed with `command`; warnings likewise. Errors name
// the option at fault.
Result<UsageImport> ReadUsageForCommand(std::string_view command, const std::string& path,
                                        const UsageFormatOptions& format, const UsageReadOptions& read);

}  // namespace meg
