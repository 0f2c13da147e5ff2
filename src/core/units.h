// Strong unit types: power, energy, money, prices, durations as types, not comments.
// No raw double crosses a module boundary as a physical quantity. Value types; thread-safe.
//
//   Kilowatts p{250.0};
//   KilowattHours e = p * Hours(0.25);   // 62.5 kWh
//   Won w = WonPerKwh::FromDecimal("92.8")->Times(KilowattHours{1000});   // 92,800 won
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace meg {

// A double-valued quantity tagged with its unit.
template <typename Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(double value) : value_(value) {}
  constexpr double value() const { return value_; }

  constexpr Quantity operator+(Quantity o) const { return Quantity(value_ + o.value_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(value_ - o.value_); }
  constexpr Quantity operator-() const { return Quantity(-value_); }
  constexpr Quantity operator*(double k) const { return Quantity(value_ * k); }
  constexpr Quantity operator/(double k) const { return Quantity(value_ / k); }
  constexpr double operator/(Quantity o) const { return value_ / o.value_; }
  constexpr Quantity& operator+=(Quantity o) {
    value_ += o.value_;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity o) {
    value_ -= o.value_;
    return *this;
  }
  constexpr auto operator<=>(const Quantity&) const = default;

 private:
  double value_ = 0.0;
};

struct KilowattsTag {};
struct KilowattHoursTag {};
struct HoursTag {};
using Kilowatts = Quantity<KilowattsTag>;          // power; sign stated where used
using KilowattHours = Quantity<KilowattHoursTag>;  // energy
using Hours = Quantity<HoursTag>;                  // a duration in hours, for energy arithmetic

constexpr KilowattHours operator*(Kilowatts p, Hours h) { return KilowattHours(p.value() * h.value()); }
constexpr Kilowatts operator/(KilowattHours e, Hours h) { return Kilowatts(e.value() / h.value()); }

// Won: an exact amount of Korean won (integer). Bills are exact to the won, so money is never a
// double.
class Won {
 public:
  constexpr Won() = default;
  constexpr explicit Won(std::int64_t won) : won_(won) {}
  constexpr std::int64_t value() const { return won_; }
  constexpr Won operator+(Won o) const { return Won(won_ + o.won_); }
  constexpr Won operator-(Won o) const { return Won(won_ - o.won_); }
  constexpr Won operator-() const { return Won(-won_); }
  constexpr Won& operator+=(Won o) {
    won_ += o.won_;
    return *this;
  }
  constexpr auto operator<=>(const Won&) const = default;

 private:
  std::int64_t won_ = 0;
};

// MilliWon: an exact intermediate amount in 1/1000 won, before a rounding rule makes it Won.
class MilliWon {
 public:
  constexpr MilliWon() = default;
  constexpr explicit MilliWon(std::int64_t milli) : milli_(milli) {}
  constexpr std::int64_t value() const { return milli_; }
  constexpr MilliWon operator+(MilliWon o) const { return MilliWon(milli_ + o.milli_); }
  constexpr MilliWon& operator+=(MilliWon o) {
    milli_ += o.milli_;
    return *this;
  }
  constexpr auto operator<=>(const MilliWon&) const = default;
  // Drops the fraction of a won toward zero (원 미만 절사).
  constexpr Won TruncateToWon() const { return Won(milli_ / 1000); }
  // Rounds half away from zero to the won (원 미만 반올림).
  constexpr Won RoundToWon() const {
    return Won(milli_ >= 0 ? (milli_ + 500) / 1000 : -((-milli_ + 500) / 1000));
  }

 private:
  std::int64_t milli_ = 0;
};

// A price per unit, exact in 1/1000 won (tariff tables give at most one decimal).
// Tag picks the unit: per kWh (energy, climate, fuel charges) or per kW (basic charge).
template <typename Tag>
class Price {
 public:
  constexpr Price() = default;
  static constexpr Price FromMilliWon(std::int64_t milli) { return Price(milli); }
  // Parses "92.8", "7,220", "-5.0": at most three decimals, optional thousands separators.
  static Result<Price> FromDecimal(std::string_view text);
  constexpr std::int64_t milli_won() const { return milli_; }
  constexpr double won() const { return static_cast<double>(milli_) / 1000.0; }
  // Exact amount for a whole number of units.
  constexpr MilliWon Times(std::int64_t units) const { return MilliWon(milli_ * units); }
  constexpr auto operator<=>(const Price&) const = default;
  constexpr Price operator+(Price o) const { return Price(milli_ + o.milli_); }
  constexpr Price operator-(Price o) const { return Price(milli_ - o.milli_); }

 private:
  constexpr explicit Price(std::int64_t milli) : milli_(milli) {}
  std::int64_t milli_ = 0;
};

struct PerKwhTag {};
struct PerKwTag {};
using WonPerKwh = Price<PerKwhTag>;  // e.g. 전력량요금 단가
using WonPerKw = Price<PerKwTag>;    // e.g. 기본요금 단가 (per kW of billing demand per month)

// Parses a decimal with at most three fractional digits into thousandths, exactly.
// Accepts an optional sign and thousands separators ("7,220"). Rejects anything else.
Result<std::int64_t> ParseThousandths(std::string_view text);

template <typename Tag>
Result<Price<Tag>> Price<Tag>::FromDecimal(std::string_view text) {
  auto milli = ParseThousandths(text);
  if (!milli) return milli.error();
  return Price(*milli);
}

// Percent, exact in 1/1000 of a percent (e.g. 기반기금 3.2 % = 3200).
class Percent {
 public:
  constexpr Percent() = default;
  static constexpr Percent FromMilliPercent(std::int64_t m) { return Percent(m); }
  static Result<Percent> FromDecimal(std::string_view text) {
    auto milli = ParseThousandths(text);
    if (!milli) return milli.error();
    return Percent(*milli);
  }
  constexpr std::int64_t milli_percent() const { return milli_; }
  constexpr double value() const { return static_cast<double>(milli_) / 1000.0; }
  // Exact share of an amount in won, as milli-won: amount * pct / 100.
  constexpr MilliWon Of(Won amount) const { return MilliWon(amount.value() * milli_ / 100); }
  constexpr auto operator<=>(const Percent&) const = default;

 private:
  constexpr explicit Percent(std::int64_t m) : milli_(m) {}
  std::int64_t milli_ = 0;
};

// Rounds half up at the first decimal below the unit, as the supply terms art. 7 ① require for
// kW and kWh ("계산단위 이하 첫째자리에서 반올림"). A tolerance of 1e-6 absorbs the binary error of
// sums of decimal meter values, so that 1234.5 summed from quarters is a true half.
inline std::int64_t RoundHalfUpToUnit(double x) {
  return static_cast<std::int64_t>(std::floor(x + 0.5 + 1e-6));
}

}  // namespace meg
