// The tariff tables (tariff/tariff_book): any rates.csv (first byte 'R'), bands.csv (first byte
// 'B') or residential.csv (first byte 'H') beside minimal valid other tables gives a book or an
// Error; a book answers every
// lookup, finds each of its tariffs by its official and ASCII names (Jeju's too), and bills a
// flat month under each one to a bill or an Error (the engine's overflow checks included).
#include <string>

#include "core/calendar.h"
#include "core/series.h"
#include "tariff/bill.h"
#include "tariff/tariff_book.h"

#include "fuzz_check.h"

namespace {

constexpr const char* kRates =
    "class,voltage,option,effective_from,season,basic_krw_per_kw,offpeak_krw_per_kwh,mid_krw_per_kwh,"
    "peak_krw_per_kwh,source\n"
    "일반용(을),고압A,선택I,2024-01-01,summer,7220,1,2,3,s\n"
    "일반용(을),고압A,선택I,2024-01-01,spring_fall,7220,1,2,3,s\n"
    "일반용(을),고압A,선택I,2024-01-01,winter,7220,1,2,3,s\n"
    "교육용(갑),저압,-,2024-01-01,summer,5230,4,4,4,s\n"
    "교육용(갑),저압,-,2024-01-01,spring_fall,5230,4,4,4,s\n"
    "교육용(갑),저압,-,2024-01-01,winter,5230,4,4,4,s\n";

constexpr const char* kResidential =
    "voltage,effective_from,season,block1_upto_kwh,block2_upto_kwh,basic1_krw,basic2_krw,basic3_krw,"
    "energy1_krw_per_kwh,energy2_krw_per_kwh,energy3_krw_per_kwh,super_user_above_kwh,super_user_krw_per_kwh,"
    "minimum_krw,source\n"
    "저압,2024-01-01,other,200,400,910,1600,7300,120.0,214.6,307.3,-,-,1000,s\n"
    "저압,2024-01-01,dec_feb,200,400,910,1600,7300,120.0,214.6,307.3,1000,736.2,1000,s\n"
    "저압,2024-01-01,jul_aug,300,450,910,1600,7300,120.0,214.6,307.3,1000,736.2,1000,s\n";

std::string Bands() {
  std::string b = "class,effective_from,season,band,from,to,source\n";
  for (const char* cls : {"일반용(을)", "제주"}) {
    for (const char* s : {"summer", "spring_fall", "winter"}) {
      b += std::string(cls) + ",2024-01-01," + s + ",off_peak,00:00,08:00,s\n";
      b += std::string(cls) + ",2024-01-01," + s + ",mid,08:00,24:00,s\n";
    }
  }
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  using namespace std::chrono;
  if (size == 0) return 0;
  const std::string_view text = fuzz::Text(data + 1, size - 1);
  TariffFiles files;
  files.rates = {"rates.csv", data[0] == 'R' ? std::string(text) : std::string(kRates)};
  files.bands = {"bands.csv", data[0] == 'B' ? std::string(text) : Bands()};
  files.charges = {"charges.csv",
                   "name,effective_from,value,source\nfuel_cap_krw_per_kwh,2024-01-01,5,s\n"
                   "climate_krw_per_kwh,2024-01-01,9,s\nfund_pct,2024-01-01,3.2,s\nvat_pct,2024-01-01,10,s\n"};
  files.fuel = {"fuel.csv", "quarter,krw_per_kwh,source\n2024-Q4,5.0,s\n"};
  files.discounts = {"discounts.csv", "class,effective_from,effective_to,season,days,from,to,discount_pct,source\n"};
  files.residential = {"residential.csv", data[0] == 'H' ? std::string(text) : std::string(kResidential)};
  auto book = TariffBook::Parse(files);
  fuzz::CheckValueOrError(book);
  if (!book) return 0;
  static const HolidayCalendar calendar =
      HolidayCalendar::Parse("date,name\n2024-01-01,신정\n2024-12-25,기독탄신일\n", "fuzz-calendar.csv").value();
  const Month month = year{2024} / October;
  const Timestamp start = StartOfKstMonth(month);
  const PowerSeries usage(start, kInterval,
                          std::vector<std::optional<Kilowatts>>(31 * kIntervalsPerDay, Kilowatts(120)));
  for (const TariffId id : book->Tariffs()) {
    for (TariffId named : {id, TariffId{id.tariff_class, id.voltage, id.option, Region::kJeju}}) {
      for (const std::string& name : {OfficialName(named), AsciiAlias(named)}) {
        auto found = book->FindTariff(name);
        fuzz::CheckValueOrError(found);
        if (!found || !(*found == named)) {
          std::fprintf(stderr, "fuzz: %s is not found as itself\n", name.c_str());
          std::abort();
        }
      }
      book->RatesOn(named, Date{year{2024} / October / 1});
      book->BandsOn(named.tariff_class, Date{year{2024} / October / 1}, named.region);
      BillRequest r;
      r.tariff = named;
      r.contract_power = Kilowatts(ContractKwRange(named).min_kw < 300 ? 200 : 1000);
      r.usage = &usage;
      for (const int reading_day : {1, 15}) {
        r.reading_day = reading_day;
        r.allow_partial = reading_day != 1;
        fuzz::CheckValueOrError(ComputeMonthlyBill(*book, calendar, r, month, DemandHistory{}));
      }
    }
  }
  return 0;
}
