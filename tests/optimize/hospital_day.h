// The shipped Jeonju hospital (data/sites/jeonju-hospital.toml, or another shipped site file) with
// its 2024 load and PV, loaded once per test binary, for the dispatch problem's tests: each takes
// a copy of the site to change (its battery removed, a generator added, ...).
#pragma once

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "io/site_config.h"
#include "sim/site_inputs.h"
#include "tariff/tariff_fixture.h"

namespace meg::testing {

struct ShippedSite {
  TariffBook book;
  HolidayCalendar calendar;
  Site site;
  TariffId tariff;
  SiteInputs inputs;
};

// data/sites/<file> with its inputs for its load year; loaded once (the PV model runs over the
// year). Not thread-safe (gtest runs a binary's tests on one thread).
inline const ShippedSite& LoadShippedSite(const std::string& file = "jeonju-hospital.toml") {
  // Never destroyed (as the sites it holds): reachable to the end, so no leak at exit.
  static auto* loaded = new std::map<std::string, const ShippedSite*>;
  if (const auto it = loaded->find(file); it != loaded->end()) return *it->second;
  auto* out = new ShippedSite;
  out->book = LoadShippedBook();
  out->calendar = LoadSharedCalendar();
  auto site = LoadSiteFile(std::string(MEG_TEST_DATA_DIR) + "/sites/" + file, MEG_TEST_DATA_DIR, MEG_TEST_SHARED_DIR);
  if (!site) ADD_FAILURE() << site.error().message;
  out->site = *site;
  out->tariff = out->book.FindTariff(out->site.tariff).value();
  auto inputs = PrepareSiteInputs(out->site, out->calendar);
  if (!inputs) ADD_FAILURE() << inputs.error().message;
  out->inputs = *inputs;
  loaded->emplace(file, out);
  return *out;
}

}  // namespace meg::testing
