// Usage files as customers have them: OpenMEG's usage CSV (io/usage_csv.h) or a meter-data
// download such as KEPCO's 15-minute export from 한전ON / 파워플래너 (계기번호, 고객번호, 검침일,
// 순방향 유효전력량(KWH)): CSV in UTF-8, UTF-8 with a byte-order mark or CP949 (EUC-KR), or an .xlsx
// workbook (io/xlsx.h). For a download
// the encoding, the header row, the time and energy columns, the label convention, the unit and
// the interval are detected; each can be set instead, and what was used is reported line by line.
// Conventions (docs/billing.md, Meter downloads): a row is the energy of the interval that ENDS at its label
// (a day runs 00:15 .. 24:00; 24:00 is the next day's 00:00). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "io/table.h"
#include "io/usage_csv.h"

namespace meg {

enum class LabelConvention { kDetect, kIntervalEnd, kIntervalStart };
enum class MeterUnit { kDetect, kKwh, kKw };

// What the reader should not guess. Every field's default means "detect".
struct MeterReadOptions {
  std::string encoding;      // "utf-8" or "cp949" (also "euc-kr"); "" detects
  int header_row = 0;        // 1-based line of the header; -1: the file has none; 0 detects
  std::string time_column;   // header name or 1-based column number
  std::string value_column;  // header name or 1-based column number
  LabelConvention labels = LabelConvention::kDetect;
  MeterUnit unit = MeterUnit::kDetect;  // kWh per interval or mean kW over it
  int interval_minutes = 0;             // 15 or 60
  std::string sheet;                    // an .xlsx workbook's sheet; "" is the first

  // Whether any field is set (they apply to a meter download, not to OpenMEG's usage CSV).
  bool any() const;
};

// Parses the option texts of the CLI and site files: "end"/"start", "kwh"/"kw".
Result<LabelConvention> ParseLabelConvention(std::string_view text);
Result<MeterUnit> ParseMeterUnit(std::string_view text);

struct UsageImport {
  UsageData usage;
  bool meter_download = false;        // false: OpenMEG's usage CSV
  std::vector<std::string> detected;  // what was read and how, one line each ("encoding: CP949 ...")
  std::vector<std::string> warnings;  // e.g. hourly data cannot show the billing demand
};

// The text of `bytes` in UTF-8 and the name of the encoding it was in. `encoding` "" detects:
// UTF-8 (a leading byte-order mark is dropped and named), else CP949 decoded with iconv; bytes
// that are neither fail with their line and offset. UTF-16 and UTF-32 pass through unchanged for
// SplitLines to name.
struct DecodedText {
  std::string text;
  std::string encoding;  // "UTF-8", "UTF-8 with a byte-order mark", "CP949 (EUC-KR)"
};
Result<DecodedText> DecodeText(std::string_view bytes, std::string_view encoding, std::string_view source);

// Reads the rows of a meter download already split into cells (a CSV's lines or a sheet's rows);
// `line_word` names a TableRow::number in the report ("line" or "row").
Result<UsageImport> ReadMeterTable(const std::vector<TableRow>& table, std::string_view source,
                                   const MeterReadOptions& meter, const UsageReadOptions& read,
                                   std::string_view line_word = "line");

// Reads a usage file of either kind from its bytes: an .xlsx workbook (a zip) is a meter download;
// a text file is OpenMEG's usage CSV when its first line is the header timestamp,kW[,kvar] (meter
// options are then refused), else a meter download.
Result<UsageImport> ReadUsageBytes(std::string_view bytes, std::string_view source, const MeterReadOptions& meter,
                                   const UsageReadOptions& read);

// ReadTextFile(path), then ReadUsageBytes.
Result<UsageImport> ReadUsageFile(const std::string& path, const MeterReadOptions& meter, const UsageReadOptions& read);

}  // namespace meg
