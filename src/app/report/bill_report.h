// Rendering of MonthlyBill values for people (text, the lines a KEPCO bill shows) and for
// programs (JSON). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/bill.h"

namespace meg {

std::string RenderBillText(const MonthlyBill& bill);
// A table of the months and their sum.
std::string RenderSummaryText(const std::vector<MonthlyBill>& bills);
nlohmann::json BillJson(const MonthlyBill& bill);
nlohmann::json BillsJson(const std::vector<MonthlyBill>& bills);

}  // namespace meg
