#include "sim/ev_profile.h"

#include <algorithm>
#include <cmath>

namespace meg {
namespace {

// SplitMix64 (Steele, Lea and Flood 2014): a small generator whose output is fixed by its seed.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Normal by Box-Muller.
  double Normal(double mean, double sd) {
    const double u1 = std::max(Uniform(), 1e-300), u2 = Uniform();
    return mean + sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

 private:
  std::uint64_t state_;
};

bool Workday(Date d, const HolidayCalendar& calendar) {
  const std::chrono::weekday w{std::chrono::sys_days{d}};
  return w != std::chrono::Saturday && w != std::chrono::Sunday && calendar.Find(d) == nullptr;
}

}  // namespace

std::vector<EvSessionPlan> CarParkSessions(std::span<const ChargerSpec> chargers, Date from, Date to,
                                           const HolidayCalendar& calendar, const CarParkProfile& profile) {
  Random random(profile.seed);
  std::vector<EvSessionPlan> out;
  for (std::chrono::sys_days day{from}; day < std::chrono::sys_days{to}; day += std::chrono::days{1}) {
    const Date d{day};
    const bool workday = Workday(d, calendar);
    for (const ChargerSpec& c : chargers) {
      for (int k = 1; k <= c.connectors; ++k) {
        // Every draw is made whether the connector is used or not, so a day's sessions do not
        // depend on the days before.
        const double use = random.Uniform();
        double arrival_min, stay_h, energy;
        if (workday) {
          arrival_min = std::clamp(random.Normal(8.5 * 60, 45), 7.0 * 60, 11.0 * 60);
          stay_h = std::clamp(random.Normal(9, 1), 4.0, 12.0);
          energy = random.Uniform(8, 30);
        } else {
          arrival_min = random.Uniform(9 * 60, 15 * 60);
          stay_h = random.Uniform(2, 5);
          energy = random.Uniform(5, 20);
        }
        if (use >= (workday ? profile.weekday_use : profile.weekend_use)) continue;
        EvSessionPlan p;
        p.charger = c.id;
        p.connector = k;
        const int arrival = static_cast<int>(std::lround(arrival_min));
        p.arrival = FromKst(d, arrival);
        p.departure = p.arrival + std::chrono::minutes(std::lround(stay_h * 60));
        const double cap = 0.9 * ConnectorMaxKw(c).value() * stay_h;
        p.energy = KilowattHours(std::round(std::min(energy, cap) * 10) / 10);
        out.push_back(std::move(p));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const EvSessionPlan& a, const EvSessionPlan& b) { return a.arrival < b.arrival; });
  return out;
}

}  // namespace meg
