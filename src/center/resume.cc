#include "center/resume.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/time.h"
#include "store/sqlite/sqlite_store.h"

namespace meg {

Result<std::optional<StoredRunEnd>> FindStoredRunEnd(const std::string& store_path, std::string_view site) {
  std::error_code ec;
  if (!std::filesystem::exists(store_path, ec)) return std::optional<StoredRunEnd>();
  auto store = SqliteStore::OpenReader(store_path);
  if (!store) return store.error();
  auto points = (*store)->Points(site);
  if (!points) return points.error();
  std::optional<Instant> last;
  std::optional<double> soc;
  for (const PointInfo& p : *points) {
    auto latest = (*store)->Latest(p.id);
    if (!latest) return latest.error();
    if (!*latest) continue;
    last = std::max(last.value_or((*latest)->time), (*latest)->time);
    if (p.name == "soc_pct" && (*latest)->quality == SampleQuality::kGood && std::isfinite((*latest)->value)) {
      soc = (*latest)->value;
    }
  }
  auto audit = (*store)->NewestAudit(1);
  if (!audit) return audit.error();
  if (!audit->empty()) last = std::max(last.value_or(audit->front().record.time), audit->front().record.time);
  if (!last) return std::optional<StoredRunEnd>();
  return std::optional<StoredRunEnd>(StoredRunEnd{*last, soc});
}

Result<Instant> ResumeAfter(const StoredRunEnd& end, std::optional<Instant> asked, Millis cycle,
                            std::string_view store_path) {
  if (!asked) return end.last + cycle;
  if (*asked > end.last) return *asked;
  return InvalidInput(fmt::format(
      "--start {}: the store {} already holds this site's run up to {}; a second run over it would mix the two "
      "(doubled quarter-hours, audit time going backwards). Leave out --start to resume after it, start later, or "
      "use a new --state-dir",
      FormatKst(ToTimestamp(*asked)), store_path, FormatKstMillis(end.last)));
}

}  // namespace meg
