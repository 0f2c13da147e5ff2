// Politecnico di Torino campus substation load (BAEDA, 2019): 15-minute mean kW of the whole
// campus and its metered sub-loads, with the Italian day type, holiday flag and TOU band per
// row; parsed onto a UTC grid with the Italian daylight-saving changes handled explicitly.
// Pure functions and value types; thread-safe.
//
// Time convention, as found in polito_campus_15min_2019.csv (checked against the data):
//  - Labels ("2019-01-01 00:00:00") are Italian WALL-CLOCK time (CET, UTC+1, in winter; CEST,
//    UTC+2, from the last Sunday of March to the last Sunday of October), each naming the START
//    of its 15 minutes: the weekday F1 band begins at the row labelled 08:00 and ends after 18:45,
//    and the campus' morning rise and evening fall stay at the same labels across both clock
//    changes (in fixed CET they would move by an hour).
//  - The file nevertheless has 96 rows on every day: on 2019-03-31 the labels 02:00-02:45, which
//    do not exist on the wall clock, are present, and the rows labelled 02:15-03:00 are the
//    publisher's fill (Total_Power linear, sub-loads 0); on 2019-10-27 the hour 02:00-03:00 that
//    the clock runs twice appears once (4 rows, not 8).
//  - One row is missing: 2019-04-23 00:00:00 (35039 data rows, not 35040).
// The parser maps labels to UTC by the EU rule (changes at 01:00 UTC on the last Sundays of
// March and October): a label that does not exist is dropped; a label the clock shows twice goes
// to its first (CEST) occurrence, or to the second (CET) one if the file repeats the label; UTC
// intervals no row fills are gaps. For 2019 that gives 35040 intervals from 2018-12-31T23:00Z
// with 5 gaps (2019-10-27 01:00-02:00Z, 2019-04-22 22:00Z) and 4 rows dropped; `time_notes` says
// which, with line numbers.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/time.h"

namespace meg {

// Italian time-of-use band (fascia oraria, ARERA, formerly AEEG). F23 is the file's label for
// F2 and F3 together (an off-peak band in two-band contracts).
enum class FasciaAeeg { kF1, kF2, kF3, kF23 };

// The calendar columns of one row.
struct TorinoDayInfo {
  std::chrono::weekday day_type;  // Day_Type; checked against the label's date
  bool holiday = false;           // Holiday == "Yes" (Sundays included)
  FasciaAeeg band = FasciaAeeg::kF1;
};

// A metered column other than Total_Power, e.g. "Data_centre". "Allocated" is the sum of the
// metered sub-loads and "Not_allocated" is Total_Power - Allocated, as published.
struct TorinoSubLoad {
  std::string name;
  PowerSeries kw;  // the same grid as TorinoCampusLoad::total_kw
};

struct TorinoCampusLoad {
  // 15-minute mean power, consumption positive, on a UTC grid (interval named by its start).
  PowerSeries total_kw;
  std::vector<TorinoSubLoad> sub_loads;    // in file order
  IntervalSeries<TorinoDayInfo> day_info;  // the same grid
  // What the clock handling did, one line each with the file line: dropped rows, ambiguous
  // labels placed, UTC intervals left as gaps.
  std::vector<std::string> time_notes;
};

// Parses the CSV with the quoted header "Date_Time","Year","Month","Day_Type","Holiday",
// "FasciaAEEG","Total_Power",<sub-loads>... . Checks each row: the label on a quarter hour,
// Year and Month (Jan..Dec) agreeing with it, Day_Type its weekday, Holiday Yes/No, the band one
// of F1, F2, F3, F23, every power a finite number >= 0; and that the UTC instants increase. Errors
// name the line ("polito.csv:17: Total_Power 'abc' is not a number"); up to 20 together.
Result<TorinoCampusLoad> ParseTorinoCampusCsv(std::string_view text, std::string_view source);

// Italian civil time - UTC at `utc`: +1 h (CET) or +2 h (CEST), by the EU rule (Directive
// 2000/84/EC: summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
// Sunday of October).
std::chrono::seconds ItalyUtcOffset(Timestamp utc);

// The UTC instants at which the Italian wall clock shows `minute_of_day` on `date`, earliest
// first: one, none (skipped when clocks go forward) or two (shown twice when they go back).
std::vector<Timestamp> ItalyWallClockToUtc(Date date, int minute_of_day);

}  // namespace meg
