// A car park's charging sessions from a documented profile (docs/ev-charging.md, "The demo car
// park's profile"), for a site whose real session log is not at hand: the shared data hold no
// measured Korean charging sessions, so this is an assumption, written down, not a measurement.
//   Working days (not Saturday, Sunday or a holiday of the calendar): staff cars, one per
//   connector and day, each connector used with probability weekday_use; arrival normal around
//   08:30 KST (sd 45 min, held to 07:00..11:00), stay normal 9 h (sd 1 h, held to 4..12 h),
//   energy uniform 8..30 kWh, at most 90 % of what the connector gives over the stay.
//   Other days: visitors, each connector used with probability weekend_use, arrival uniform
//   09:00..15:00, stay uniform 2..5 h, energy uniform 5..20 kWh (same cap).
// Deterministic: the same seed gives the same file on any machine (its own generator, not the
// standard library's distributions, which differ between implementations). Pure function.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/calendar.h"
#include "core/ev.h"
#include "core/time.h"

namespace meg {

// The sessions of every day in [from, to) on every connector of `chargers`, by arrival.
std::vector<EvSessionPlan> CarParkSessions(std::span<const ChargerSpec> chargers, Date from, Date to,
                                           const HolidayCalendar& calendar, const CarParkProfile& profile);

}  // namespace meg
