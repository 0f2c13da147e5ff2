// Site files (io/site_config): any text gives a site or an Error. Every data file "exists" (no
// file system access), so the checks behind the file paths are reached.
#include "io/site_config.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  const SitePaths paths{.site_dir = "sites",
                        .data_dir = "data",
                        .shared_dir = "shared",
                        .file_exists = [](const std::string&) { return true; }};
  fuzz::CheckValueOrError(ParseSiteToml(fuzz::Text(data, size), "fuzz.toml", paths));
  return 0;
}
