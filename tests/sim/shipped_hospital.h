// The shipped Jeonju hospital (data/sites/jeonju-hospital.toml) with its 2024 load and PV, for the
// sim tests that run controllers on it. Each test loads it afresh (PrepareSiteInputs runs the PV
// model over the year, ~30 ms).
#pragma once

#include <gtest/gtest.h>

#include "io/site_config.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"
#include "tariff/tariff_fixture.h"

namespace meg::testing {

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
