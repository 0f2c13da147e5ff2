// The operator's battery modes: what each asks of the battery, worked by hand, and the checks.
#include "core/battery_mode.h"

#include <gtest/gtest.h>

#include <chrono>

#include "core/jeonju_ess.h"

namespace meg {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// The hospital's battery: 1,000 kWh usable, 500 kW both ways, 96 % charge efficiency, SoC 10..80 %.
EssSpec Ess() { return testing::JeonjuHospitalEss(); }

const Instant kNow = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 9 * 60));

TEST(BatteryModeTest, EachModeAsksWhatItSays) {
  const EssSpec ess = Ess();
  const BatteryMode hold{BatteryModeKind::kHoldSoc, kNow, kNow + hours(2), 0, Kilowatts(0)};
  EXPECT_EQ(BatteryModeWish(hold, kNow + minutes(30), 50, ess)->value(), 0.0);
  EXPECT_FALSE(BatteryModeWish(hold, kNow + hours(2), 50, ess)) << "over at `until`";

  // 50 % -> 80 % by 2 h: 300 kWh stored is 300 / 0.96 = 312.5 kWh AC over 2 h = 156.25 kW.
  const BatteryMode charge{BatteryModeKind::kChargeTo, kNow, kNow + hours(2), 80, Kilowatts(0)};
  EXPECT_NEAR(BatteryModeWish(charge, kNow, 50, ess)->value(), -156.25, 1e-9);
  // 10 minutes before, the same 300 kWh would need 1,875 kW: the 500 kW rating.
  EXPECT_NEAR(BatteryModeWish(charge, kNow + minutes(110), 50, ess)->value(), -500, 1e-9);
  EXPECT_EQ(BatteryModeWish(charge, kNow + hours(1), 80.5, ess)->value(), 0.0) << "there: hold it";

  const BatteryMode window{BatteryModeKind::kDischargeWindow, kNow + hours(5), kNow + hours(7), 0, Kilowatts(300)};
  EXPECT_FALSE(BatteryModeWish(window, kNow, 50, ess)) << "not yet";
  EXPECT_EQ(BatteryModeWish(window, kNow + hours(6), 50, ess)->value(), 300.0);
  EXPECT_FALSE(BatteryModeWish(BatteryMode{}, kNow, 50, ess));
  EXPECT_EQ(DescribeBatteryMode(charge), "charge-to 80 % by 2024-08-12T11:00");
  EXPECT_EQ(DescribeBatteryMode(window), "discharge-window 300 kW from 2024-08-12T14:00 to 2024-08-12T16:00");
}

TEST(BatteryModeTest, ChecksSayWhatIsWrong) {
  const EssSpec ess = Ess();
  const auto error = [&](const BatteryMode& m) {
    const Status st = CheckBatteryMode(m, ess, kNow);
    return st ? std::string() : st.error().message;
  };
  EXPECT_EQ(error({BatteryModeKind::kHoldSoc, kNow, kNow + hours(1), 0, Kilowatts(0)}), "");
  EXPECT_NE(error({BatteryModeKind::kHoldSoc, kNow, kNow - hours(1), 0, Kilowatts(0)}).find("is not after now"),
            std::string::npos);
  EXPECT_NE(error({BatteryModeKind::kHoldSoc, kNow, kNow + hours(24 * 8), 0, Kilowatts(0)}).find("7 days"),
            std::string::npos);
  EXPECT_NE(error({BatteryModeKind::kChargeTo, kNow, kNow + hours(1), 95, Kilowatts(0)}).find("SoC window 10..80"),
            std::string::npos);
  EXPECT_NE(
      error({BatteryModeKind::kDischargeWindow, kNow, kNow + hours(1), 0, Kilowatts(600)}).find("discharge rating 500"),
      std::string::npos);
  EXPECT_NE(error({BatteryModeKind::kDischargeWindow, kNow + hours(2), kNow + hours(1), 0, Kilowatts(100)})
                .find("is not before"),
            std::string::npos);
  EXPECT_TRUE(CheckBackupReserve(0, ess));
  EXPECT_TRUE(CheckBackupReserve(30, ess));
  EXPECT_FALSE(CheckBackupReserve(5, ess));
  EXPECT_FALSE(ParseBatteryModeKind("turbo"));
  EXPECT_EQ(*ParseBatteryModeKind("charge-to"), BatteryModeKind::kChargeTo);
}

}  // namespace
}  // namespace meg
