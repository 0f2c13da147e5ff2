// Test fixture: the measured GIST campus PV file (../shared/data/pv), parsed once per test
// program, and its conversion to the forecast layer's sample types. Shared by the PV validation
// and PV forecast tests.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/site.h"
#include "forecast/pv_validation.h"
#include "io/gist_pv.h"
#include "io/text_file.h"

namespace meg::testing {

// The campus location (Gwangju, KST).
inline const Location kGwangju{35.17, 126.89, 0, 540};

// The parsed file (nullopt, with a failure recorded, if it cannot be read or parsed).
inline const std::optional<GistPvData>& Gist() {
  static const std::optional<GistPvData> data = []() -> std::optional<GistPvData> {
    const std::string path = MEG_TEST_SHARED_DIR "/data/pv/gist_gwangju_pv_hourly_2022-07_08.csv";
    auto text = ReadTextFile(path);
    if (!text) {
      ADD_FAILURE() << text.error().message;
      return std::nullopt;
    }
    auto parsed = ParseGistPvCsv(*text, path);
    if (!parsed) {
      ADD_FAILURE() << parsed.error().message;
      return std::nullopt;
    }
    return std::move(*parsed);
  }();
  return data;
}

inline PvSiteSamples GistSite(const GistPvData& d) {
  return {d.ghi_w_m2, d.poa_w_m2, d.temp_air_c, d.temp_module_c};
}

inline std::vector<PvSystemSamples> GistSystems(const GistPvData& d) {
  std::vector<PvSystemSamples> systems;
  for (const auto& s : d.systems) systems.push_back({s.name, s.ac});
  return systems;
}

}  // namespace meg::testing
