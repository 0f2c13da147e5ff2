// Rendering of MonthlyBill values for people (text, the lines a KEPCO bill shows) and for
// programs (JSON). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/series.h"
#include "io/xlsx_writer.h"
#include "tariff/bill.h"

namespace meg {

std::string RenderBillText(const MonthlyBill& bill);
// A table of the months and their sum.
std::string RenderSummaryText(const std::vector<MonthlyBill>& bills);
nlohmann::json BillJson(const MonthlyBill& bill);
nlohmann::json BillsJson(const std::vector<MonthlyBill>& bills);
// The sheets of `meg bill --xlsx`, from the same values as BillsJson: "월별 요금 bills" (a row a
// month: demand, kWh and each bill line in KRW, with SUM totals), "전력량 energy registers" and,
// when `usage` is given, "15분 사용량 usage" (the 15-minute mean kW billed).
std::vector<XlsxTable> BillTables(const std::vector<MonthlyBill>& bills, const PowerSeries* usage);

}  // namespace meg
