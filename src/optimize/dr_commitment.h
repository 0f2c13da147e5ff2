// DrCommitment lives in core/dr_commitment.h (the market layer makes it, optimize and control
// read it, and market may not include optimize). This header keeps optimize's and control's
// includes working; new code includes core/dr_commitment.h.
#pragma once

#include "core/dr_commitment.h"
