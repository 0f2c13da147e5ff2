// TariffBook: the KEPCO tariff tables, loaded from data files (data/tariff/kepco/*.csv), each
// row with its effective date and source. Answers "which rates, hour bands and levies are in
// force on this date for this tariff". Immutable after parsing; safe to share between threads.
//
//   auto book = TariffBook::Parse(files);                       // files: TariffFiles
//   auto id = book->FindTariff("일반용(을) 고압A 선택III");      // or "general-eul high-a III"
//   const RateTable* rates = book->RatesOn(*id, date);            // nullptr if none in force
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

// 계약종별 (contract class), supply terms art. 57 (일반용), art. 58 (교육용), art. 59 (산업용):
// (을) = contract power of 300 kW or more (교육용: 1,000 kW), (갑) below; (갑)II is the (갑) class
// with time-of-use energy rates, for customers with a time-of-use meter (art. 38 ②). 농사용 (art.
// 60) is split by purpose, not size: (갑) pumps grain fields, (을) the other farm uses. The
// electric-vehicle charging tariffs (전기자동차 충전전력요금) are not in the terms' 별표1: their
// rates and hours are the 2024-07-01 tariff sheet's, one for chargers a customer uses itself
// (자가소비용), one for a charging-service provider (충전서비스 제공사업자용).
enum class TariffClass {
  kGeneralEul,
  kIndustrialEul,
  kGeneralGap1,     // 일반용(갑)Ⅰ
  kGeneralGap2,     // 일반용(갑)Ⅱ
  kIndustrialGap1,  // 산업용(갑)Ⅰ
  kIndustrialGap2,  // 산업용(갑)Ⅱ
  kEducationGap,    // 교육용(갑)
  kEducationEul,    // 교육용(을)
  kFarmGap,         // 농사용(갑)
  kFarmEul,         // 농사용(을)
  kEvOwn,           // 전기차충전(자가소비용)
  kEvService,       // 전기차충전(사업자용)
  kResidential,     // 주택용 (art. 56): block rates per household, ResidentialTable
};
inline constexpr int kTariffClassCount = 13;
// 공급전압: 저압 110-380 V, 고압A 3.3-66 kV, 고압B 154 kV, 고압C 345 kV and above (산업용(을)
// only).
enum class Voltage { kHighA, kHighB, kHighC, kLow };
// 선택요금 I/II/III, supply terms art. 67 ⑦ (IV: the charging-service EV tariff's one rate for all
// hours); kNone for the tables without options (저압 of the classes of art. 67 ⑦, 농사용, EV 자가소비용).
enum class RateOption { kI, kII, kIII, kIV, kNone };
// Where the power is used: 제주특별자치도 has its own hours (별표3 다만 4), the same rates.
enum class Region { kMainland, kJeju };

// 용도: what the electricity is used for decides the class family (art. 55-60); the customer
// chooses within it only by contract power, meter and option. 농사용(갑) and (을) are two uses
// (art. 60 ①): a farm does not choose between them.
enum class Use { kGeneral, kIndustrial, kEducation, kFarmPumping, kFarm, kEvOwn, kEvService, kResidential };
std::string_view UseName(Use u);  // "일반용"

// What the terms say of one class, beyond its rate tables.
struct ClassRules {
  Use use = Use::kGeneral;
  // Energy priced by 별표3 hour bands (art. 67 ⑨); otherwise one rate per season for all hours
  // (art. 67 ⑧) and no hour-band table.
  bool time_of_use = false;
  // Contract power the class takes, [min_kw, below_kw) (art. 57 ②, 58 ①②, 59 ②); see
  // ContractKwRange for the 저압 exception.
  double min_kw = 0;
  double below_kw = 0;
  // Which tables come in options: the 고압 ones (선택 I/II(/III), art. 67 ⑦), none (농사용, EV
  // 자가소비용) or every voltage's (EV 사업자용, 선택 I-IV).
  enum class Options { kAtHighVoltage, kNever, kAlways };
  Options options = Options::kAtHighVoltage;
  // A 저압 customer pays art. 67-3 ① 2's surcharge beyond 450 kWh per kW (the classes it lists:
  // not 농사용(갑)).
  bool energy_surcharge = true;
  // 주택용: priced by blocks of the month's kWh per household (별표1 1.), not by rate tables; no
  // 요금적용전력, no power-factor adjustment (art. 43 ①) and no 초과사용부가금 (art. 67-3).
  bool blocks = false;
};
ClassRules RulesOf(TariffClass c);
// Whether the tariff of class `c` at voltage `v` is named with an option (선택I-IV).
inline bool HasOptions(TariffClass c, Voltage v) {
  const auto o = RulesOf(c).options;
  return o == ClassRules::Options::kAlways || (o == ClassRules::Options::kAtHighVoltage && v != Voltage::kLow);
}

// 요금적용전력 is the contract power (art. 68 ②) rather than the 12-month peak (art. 68 ①): a
// 저압 customer has no demand meter (art. 38 ②: KEPCO installs one for 고압 supply).
inline bool BillsContractPower(Voltage v) { return v == Voltage::kLow; }

// 계절 (season), supply terms art. 67 ⑧ and 별표3: summer 6/1-8/31, spring/fall 3/1-5/31 and
// 9/1-10/31, winter 11/1-end of Feb.
enum class Season { kSummer = 0, kSpringFall = 1, kWinter = 2 };
// 시간대 (load band): 경부하 off-peak, 중간부하 mid-peak, 최대부하 peak.
enum class Band { kOffPeak = 0, kMid = 1, kPeak = 2 };

Season SeasonOf(std::chrono::month m);
std::string_view SeasonName(Season s);  // "summer"
std::string_view BandName(Band b);      // "off-peak"
std::string_view BandNameKo(Band b);    // "경부하"

struct TariffId {
  TariffClass tariff_class = TariffClass::kGeneralEul;
  Voltage voltage = Voltage::kHighA;
  RateOption option = RateOption::kI;
  Region region = Region::kMainland;
  auto operator<=>(const TariffId&) const = default;
  // The same rate tables (별표1 has no region).
  bool SameRates(const TariffId& o) const {
    return tariff_class == o.tariff_class && voltage == o.voltage && option == o.option;
  }
};
// "저압" or "low", "고압A" or "high-a" (B, C alike). Errors: anything else, naming what is known.
Result<Voltage> ParseVoltage(std::string_view s);
// "일반용(을) 고압A 선택III", "일반용(갑)I 저압", "일반용(을) 고압A 선택I 제주"
std::string OfficialName(TariffId id);
// "general-eul high-a III", "general-gap-1 low", "general-eul high-a I jeju"
std::string AsciiAlias(TariffId id);
std::string ClassName(TariffClass c);   // "일반용(을)"
std::string ClassAlias(TariffClass c);  // "general-eul"
std::string VoltageName(Voltage v);     // "고압A"

// The contract power, kW, a tariff takes: [min_kw, below_kw), below_kw capped at kMaxContractKw
// + 1. The class's range, except that a 300-499 kW customer supplied at 저압 takes the 일반용(갑)
// or 산업용(갑) 저압 table (art. 57 ③, 59 ③), and a school (초·중등교육법) of 1,000 kW or more may
// take 교육용(갑) 고압 (art. 58 ④; IsSchoolOnlyContract).
struct KwRange {
  double min_kw = 0;
  double below_kw = 0;
  bool Holds(double kw) const { return kw >= min_kw && kw < below_kw; }
  std::string Text() const;  // "from 4 to below 300 kW", "from 300 to 10000000 kW"
};
KwRange ContractKwRange(TariffId id);

// 교육용(갑) 고압 at 1,000 kW or more: open only to a school under 초·중등교육법 (art. 58 ④).
inline bool IsSchoolOnlyContract(TariffId id, double contract_kw) {
  return id.tariff_class == TariffClass::kEducationGap && id.voltage != Voltage::kLow && contract_kw >= 1000;
}

// What the terms say of a tariff a bill should show: (갑)I at 고압 is the table of a 고압 customer
// metered at 저압; the others at 고압 take (갑)II (art. 57 ④, 59 ⑤). Empty if nothing.
std::string TariffCaveat(TariffId id);

// One rate table version (별표1 월간 전기요금표) for one tariff, in force from `effective_from`
// until the next version of the same tariff.
struct RateTable {
  TariffId id;
  Date effective_from;
  WonPerKw basic;                                    // 기본요금, per kW of billing demand
  std::array<std::array<WonPerKwh, 3>, 3> energy{};  // [Season][Band] 전력량요금
  std::string source;                                // where each number comes from
};

// 주택용's seasons (별표1 1.): 하계 7/1-8/31 has its own blocks (가(6), 나(5)); the 슈퍼유저요금 applies
// in 하계 and 12/1-2/end (가(5), 나(4)); the other months take the standard blocks.
enum class ResidentialSeason { kJulAug = 0, kDecFeb = 1, kOther = 2 };
ResidentialSeason ResidentialSeasonOf(std::chrono::month m);
std::string_view ResidentialSeasonName(ResidentialSeason s);  // "jul_aug"

// One 주택용 table (별표1 1.가 저압, 1.나 고압) for one season: per household (호), the month's kWh
// fall in three blocks; the basic charge is the one of the highest block reached.
struct ResidentialTable {
  Voltage voltage = Voltage::kLow;
  Date effective_from;
  ResidentialSeason season = ResidentialSeason::kOther;
  std::array<std::int64_t, 2> block_upto_kwh{};  // block 1 is [0, [0]] kWh, block 2 ([0], [1]], block 3 beyond
  std::array<Won, 3> basic;                      // 기본요금 per household, by the highest block reached
  std::array<WonPerKwh, 3> energy;               // 전력량요금 of each block's kWh
  std::int64_t super_user_above_kwh = 0;         // 슈퍼유저요금 for the kWh beyond; 0: none this season
  WonPerKwh super_user_rate;
  Won minimum;  // 월간 최저요금 per household (0: none)
  std::string source;
};

// One hour-band table version (별표3 계절별·시간대별 구분표) for one class: the band of each
// 15-minute slot of a weekday, per season.
struct BandTable {
  TariffClass tariff_class = TariffClass::kGeneralEul;  // unused for Jeju's table: one for every class
  Region region = Region::kMainland;
  Date effective_from;
  std::array<std::array<Band, kIntervalsPerDay>, 3> slots{};  // [Season][slot]
  std::string source;
};

// An energy-charge discount on some days and hours (2026 reform: 산업용(을) spring/fall weekend and
// holiday 11-14 h, 50 %).
struct EnergyDiscount {
  TariffClass tariff_class = TariffClass::kIndustrialEul;
  Date effective_from;
  Date effective_to;  // inclusive
  Season season = Season::kSpringFall;
  bool saturday = false;
  bool sunday_holiday = false;
  int from_minute = 0;  // [from, to) minutes of the KST day
  int to_minute = 0;
  Percent discount;
  std::string source;
};

// A dated scalar: a levy rate or rule parameter in force from a date (charges.csv).
struct DatedValue {
  Date effective_from;
  std::int64_t milli = 0;  // value in thousandths of its unit
  std::string source;
};

// Names of the dated parameters in charges.csv and their units.
enum class Charge {
  kClimateWonPerKwh,   // 기후환경요금 단가 (별표7)
  kFuelCapWonPerKwh,   // 연료비조정단가 상하한 (별표8)
  kFundPct,            // 전력산업기반기금 rate (전기사업법 시행령 36조)
  kVatPct,             // 부가가치세
  kPfLagStandardPct,   // 지상역률 기준 (art. 43 ② 1)
  kPfLagCapPct,        // 지상역률 감액 상한
  kPfLeadStandardPct,  // 진상역률 기준 (art. 43 ② 2)
  kPfFloorPct,         // 역률 하한 (60 %)
  kPfStepPctOfBasic,   // 기본요금 % per 1 %-point of PF (0.2)
  kCount
};

// Fuel-cost adjustment (연료비조정단가) for one calendar quarter.
struct FuelAdjustment {
  int year = 0;
  int quarter = 0;  // 1..4
  WonPerKwh rate;
  std::string source;
};

// The text of each data file and the name to cite in errors.
struct TariffFiles {
  struct File {
    std::string name;
    std::string text;
  };
  File rates, bands, charges, fuel, discounts;
  File residential;  // optional: an empty text has no 주택용 tables
};

// Reads a whole file by path: the file-system seam (io::ReadTextFile in production, a map of
// strings in tests).
using ReadFileFn = std::function<Result<std::string>(const std::string& path)>;

class TariffBook {
 public:
  static Result<TariffBook> Parse(const TariffFiles& files);
  // Reads rates.csv, bands.csv, charges.csv, fuel_adjustment.csv, discounts.csv and residential.csv
  // (optional: without it, no 주택용) from `dir` with `read` and parses them.
  static Result<TariffBook> Load(const std::string& dir, const ReadFileFn& read);

  // Resolves a tariff name: the official Korean name ("일반용(을) 고압A 선택III", also 선택Ⅲ,
  // 선택3) or the ASCII alias ("general-eul high-a III"); parts separated by spaces or '/'. A
  // tariff without options (HasOptions) is named without one: "일반용(갑)I 저압", "general-gap-1 low",
  // "농사용(을) 고압A", "주택용 저압". A last part 제주 (jeju) names the tariff of a customer on Jeju
  // (별표3 다만 4).
  Result<TariffId> FindTariff(std::string_view name) const;
  // Every tariff with at least one rate table (주택용: a residential.csv table), in a stable order
  // (mainland).
  std::vector<TariffId> Tariffs() const;

  // The dates its rate tables (주택용: residential.csv tables) take effect, ascending, each once.
  std::vector<Date> TableDates(TariffId id) const;
  const RateTable* RatesOn(TariffId id, Date d) const;  // any region: the rates are the same
  // The 주택용 table of voltage `v` for season `s` in force on `d`; nullptr if none.
  const ResidentialTable* ResidentialOn(Voltage v, ResidentialSeason s, Date d) const;
  // The hour table of class `c` (mainland) or Jeju's (every time-of-use class) in force on `d`.
  const BandTable* BandsOn(TariffClass c, Date d, Region region = Region::kMainland) const;
  // The discount in force for (class, date, season), if any; at most one per slot.
  std::vector<const EnergyDiscount*> DiscountsOn(TariffClass c, Date d) const;
  std::optional<DatedValue> ChargeOn(Charge c, Date d) const;
  const FuelAdjustment* FuelOn(Date d) const;

  // A fuel-cost adjustment the user gives (--fuel-krw-per-kwh on every command that prices a
  // bill): every date is priced with it instead of fuel_adjustment.csv, e.g. for the quarters of
  // the current year KEPCO has not announced. Its cap is checked where it is used (별표8).
  void SetFuelOverride(std::optional<WonPerKwh> rate) { fuel_override_ = rate; }
  const std::optional<WonPerKwh>& fuel_override() const { return fuel_override_; }

  const std::vector<RateTable>& rate_tables() const { return rates_; }
  const std::vector<BandTable>& band_tables() const { return bands_; }

 private:
  std::vector<RateTable> rates_;               // sorted by (id, effective_from)
  std::vector<BandTable> bands_;               // sorted by (class, effective_from)
  std::vector<ResidentialTable> residential_;  // sorted by (voltage, season, effective_from)
  std::vector<EnergyDiscount> discounts_;
  std::array<std::vector<DatedValue>, static_cast<size_t>(Charge::kCount)> charges_;
  std::vector<FuelAdjustment> fuel_;
  std::optional<WonPerKwh> fuel_override_;
};

}  // namespace meg
