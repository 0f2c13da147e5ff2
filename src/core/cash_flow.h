// The worth of an investment from its yearly cash flows: flows[0] now (the outlay, negative),
// flows[t] at the end of year t (the net savings). Pure functions; thread-safe.
//
//   std::vector<double> flows{-100, 60, 60};
//   NetPresentValue(0.10, flows);      // 4.13
//   InternalRateOfReturn(flows);       // 0.1307
//   PaybackYears(flows);               // 1.667
#pragma once

#include <optional>
#include <span>

namespace meg {

// The value now of `flows` discounted at `rate` a year (0.045 = 4.5 %). REQUIRES: rate > -1.
double NetPresentValue(double rate, std::span<const double> flows);

// The rate at which NetPresentValue is 0, found by bisection in (-0.99, 10): nullopt when it has
// the same sign at both ends (e.g. no saving ever repays the outlay within the rates searched) or
// the flows are empty.
std::optional<double> InternalRateOfReturn(std::span<const double> flows);

// The capital recovery factor: the level payment a year, for `years` years at `rate`, whose
// present value is 1: rate / (1 - (1 + rate)^-years), or 1 / years at rate 0. An outlay x CRF is
// its annualised cost. REQUIRES: rate > -1, years > 0.
double CapitalRecoveryFactor(double rate, double years);

// Years until the undiscounted running sum of `flows` first reaches 0, linear within the year it
// does; 0 when flows[0] >= 0; nullopt if it never does.
std::optional<double> PaybackYears(std::span<const double> flows);

}  // namespace meg
