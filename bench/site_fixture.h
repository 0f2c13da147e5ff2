// The shipped Jeonju hospital (data/sites/jeonju-hospital.toml) with its tariff tables, holiday
// calendar and prepared 2024 inputs, loaded once per benchmark program. Exits with a message if
// anything cannot be read: a benchmark without its data has nothing to measure.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/site_config.h"
#include "io/text_file.h"
#include "sim/site_inputs.h"
#include "tariff/tariff_book.h"

namespace meg::bench {

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "benchmark: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

struct SiteFixture {
  TariffBook book;
  HolidayCalendar calendar;
  Site site;
  SiteInputs inputs;
  TariffId tariff;
};

inline const SiteFixture& JeonjuHospital() {
  static const SiteFixture* f = [] {
    auto* fx = new SiteFixture;
    const std::string data = MEG_BENCH_DATA_DIR, shared = MEG_BENCH_SHARED_DIR;
    auto read = [](const std::string& p) { return ReadTextFile(p); };
    fx->book = OrDie(TariffBook::Load(data + "/tariff/kepco", read), "tariff book");
    const std::string cal = shared + "/data/calendar/kr_public_holidays_2018-2027.csv";
    fx->calendar = OrDie(HolidayCalendar::Parse(OrDie(ReadTextFile(cal), "calendar"), cal), "calendar");
    fx->site = OrDie(LoadSiteFile(data + "/sites/jeonju-hospital.toml", data, shared), "site");
    fx->inputs = OrDie(PrepareSiteInputs(fx->site, fx->calendar), "inputs");
    fx->tariff = OrDie(fx->book.FindTariff(fx->site.tariff), "tariff");
    return fx;
  }();
  return *f;
}

}  // namespace meg::bench
