// The shipped Jeonju hospital (data/sites/jeonju-hospital.toml) with its 2024 load and PV, for the
// sim tests that run controllers on it. Each test loads it afresh (PrepareSiteInputs runs the PV
// model over the year, ~30 ms).
#pragma once

#include <gtest/gtest.h>

#include "io/site_config.h"
#include "market/dr_program.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"
#include "tariff/tariff_fixture.h"

namespace meg::testing {

// The reliability DR call of data/dr/jeonju-2024-08-12.csv (issued 13:00, 14:00-16:00 KST on
// 2024-08-12, 200 kW asked), registered with Mid(6/10), SMP 125.40 KRW/kWh, shortfall weighed
// at 1,000 KRW/kWh.
inline DrProgram JeonjuAugustCall() {
  DrCall call;
  call.kind = DrCallKind::kReliability;
  call.resource_id = "site";
  call.issued = FromKst(std::chrono::year{2024} / 8 / 12, 13 * 60);
  call.start = FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60);
  call.end = FromKst(std::chrono::year{2024} / 8 / 12, 16 * 60);
  call.requested = Kilowatts(200);
  DrProgram program;
  program.calls = {call};
  program.cbl.method = CblMethod::kMid6of10;
  program.smp = WonPerKwh::FromMilliWon(125'400);
  program.shortfall_krw_per_kwh = 1000;
  return program;
}

class ShippedHospitalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    book_ = LoadShippedBook();
    calendar_ = LoadSharedCalendar();
    auto site = LoadSiteFile(std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital.toml", MEG_TEST_DATA_DIR,
                             MEG_TEST_SHARED_DIR);
    ASSERT_TRUE(site) << site.error().message;
    site_ = *site;
    auto inputs = PrepareSiteInputs(site_, calendar_);
    ASSERT_TRUE(inputs) << inputs.error().message;
    inputs_ = std::move(*inputs);
    tariff_ = book_.FindTariff(site_.tariff).value();
  }

  // A backtest of the hospital over `load` and `pv` (slices of inputs_ or the whole year).
  BacktestRequest Request(const PowerSeries& load, const PowerSeries& pv) {
    BacktestRequest r;
    r.book = &book_;
    r.calendar = &calendar_;
    r.tariff = tariff_;
    r.site = &site_;
    r.load = &load;
    r.pv = &pv;
    return r;
  }

  TariffBook book_;
  HolidayCalendar calendar_;
  Site site_;
  SiteInputs inputs_;
  TariffId tariff_;
};

}  // namespace meg::testing
