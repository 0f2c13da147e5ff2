// The CBL of one DR event (market/cbl.h) for people (text: the reference days and why the other
// weekdays were not used, the SAA, per trading hour the CBL, the metered usage and the reduction)
// and for programs (JSON). Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "market/cbl.h"

namespace meg {

// What the CBL was computed for, as the report heads it.
struct CblHeading {
  std::string usage;  // the usage file, as given
  CblMethod method = CblMethod::kMid6of10;
  DrWindow event;
  bool saa = false;  // the same-day adjustment was asked for
  bool industrial = false;
};

std::string RenderCblText(const CblHeading& heading, const CblResult& r, const std::vector<std::string>& notes);
nlohmann::json CblJson(const CblHeading& heading, const CblResult& r, const std::vector<std::string>& notes);

// The trading hour of `h` in KST, e.g. "14:00-15:00".
std::string TradingHourLabel(const CblHour& h);

}  // namespace meg
