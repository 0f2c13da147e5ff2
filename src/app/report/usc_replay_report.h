// The USC campus DR replay (app/study/usc_replay.h) as text: per event date the buildings with a
// CBL, metered and baseline kWh, our curtailment beside the two the program recorded, and the
// comparison over the dates where all three exist. Pure; thread-safe.
#pragma once

#include <string>

#include "app/study/usc_replay.h"

namespace meg {

std::string RenderUscReplayText(const UscReplay& replay);

}  // namespace meg
