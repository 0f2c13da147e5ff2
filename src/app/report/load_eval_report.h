// The rolling-origin load forecast scores (forecast/load_evaluation.h) as `meg forecast eval`
// prints them: one row per retraining schedule, the model against the seasonal-naive baselines.
// Pure; thread-safe.
#pragma once

#include <string>

#include "forecast/load_evaluation.h"

namespace meg {

// `title` heads the rows (the building or site and the scored days); `markdown`: a Markdown table
// instead of aligned text.
std::string RenderLoadEvalRows(const std::string& title, const LoadEvalReport& r, bool markdown);

}  // namespace meg
