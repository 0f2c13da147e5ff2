// Where a site's earlier run on the same store ended, so that a restart of the site twin on that
// store continues after it instead of writing a second run over the first (issue 16: doubled
// rollup counts, audit time going backwards). Reads the store file with its own read-only
// connection; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace meg {

struct StoredRunEnd {
  Instant last;                   // the newest stored sample of the site or audit record
  std::optional<double> soc_pct;  // the site's last stored good state of charge, if any
};

// The end of the runs the store at `store_path` holds for `site`; nullopt when the file does not
// exist or holds no sample of the site and no audit record. Fails when the file cannot be read.
Result<std::optional<StoredRunEnd>> FindStoredRunEnd(const std::string& store_path, std::string_view site);

// The instant a twin run on a store that ends at `end` starts: `asked` (--start) when it is after
// the end, else refused naming both; without `asked`, one `cycle` after the end (the run resumes).
Result<Instant> ResumeAfter(const StoredRunEnd& end, std::optional<Instant> asked, Millis cycle,
                            std::string_view store_path);

}  // namespace meg
