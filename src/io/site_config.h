// Site files: a site described in TOML (data/sites/*.toml, docs/site-config.md), parsed and
// validated into the site model (core/site.h). TOML appears nowhere else: toml++ is a detail of
// site_config.cc. Pure apart from the file-existence check; thread-safe.
//
//   [ess]
//   usable_kwh = 1000          # every number's key names its unit
//   soc_min_pct = 10
//
//   auto site = LoadSiteFile("data/sites/jeonju-hospital.toml", DefaultDataDir(), DefaultSharedDir());
//   // or, with the text already read:
//   auto site = ParseSiteToml(text, "jeonju-hospital.toml", {.site_dir = "data/sites", ...});
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/site.h"

namespace meg {

// Where the file paths in a site file point. A path may start with `${data}` (the project's data
// directory) or `${shared}` (the team's shared data sets); otherwise a relative path resolves
// against the directory of the site file.
struct SitePaths {
  std::string site_dir;    // directory of the site file ("" = the working directory)
  std::string data_dir;    // value of ${data} ("" = the placeholder is refused)
  std::string shared_dir;  // value of ${shared} ("" = the placeholder is refused)
  // Whether a resolved path names an existing regular file. Empty: ask the file system.
  std::function<bool(const std::string& path)> file_exists;
};

// Parses and validates a site file. Every problem (syntax, unknown key or table, a number whose
// key has no or the wrong unit, a wrong type, a missing required key, a value out of range, a bad
// placeholder, a missing data file) is reported, up to 20, one per line as
// "source:line: key.path = value is ... (reason)", e.g.
// "jeonju-hospital.toml:31: ess.soc_min_pct = 120 is outside 0..100". Returns kInvalidInput then.
// Site::file is `source`; LoadSpec::file and WeatherSpec::file are the resolved paths.
Result<Site> ParseSiteToml(std::string_view text, std::string_view source, const SitePaths& paths);

// Reads the site file at `path` (kNotFound if it is missing) and parses it with site_dir = the
// file's directory and the given values of ${data} and ${shared}.
Result<Site> LoadSiteFile(const std::string& path, const std::string& data_dir, const std::string& shared_dir);

// A fleet file: the sites one center runs (`meg demo --fleet`, data/fleets/demo.toml):
//
//   [fleet]
//   name = "Jeonbuk demo fleet"
//   [[site]]
//   id = "jeonju-hospital"       # the site's id in URLs and subjects: 1-64 of [a-z0-9-]
//   kind = "hospital"            # shown in the fleet overview
//   file = "../sites/jeonju-hospital.toml"   # relative to the fleet file, or ${data}/...
//   controller = "mpc"           # optional: the site's planner (default: the command's)
struct FleetSiteSpec {
  std::string id;
  std::string kind;
  std::string file;        // resolved path of the site file
  std::string controller;  // empty: the command's default
};
struct FleetSpec {
  std::string name;
  std::vector<FleetSiteSpec> sites;  // in file order; ids distinct; 1..kMaxFleetFileSites
};
// A fleet file lists at most this many sites (the reference system ran about 16,000).
inline constexpr int kMaxFleetFileSites = 100'000;
// An embedded fleet (`meg demo`) runs every site in one process: beyond this many, use the
// distributed center.
inline constexpr int kMaxEmbeddedFleetSites = 64;
// A site id of URLs and NATS subjects: 1-64 of [a-z0-9-], not starting with '-'.
bool ValidSiteId(std::string_view id);

// Parses a fleet file, reporting every problem as ParseSiteToml does (unknown keys, missing
// ones, a bad or repeated id, a site file that does not exist, no [[site]]).
Result<FleetSpec> ParseFleetToml(std::string_view text, std::string_view source, const SitePaths& paths);
// Reads and parses the fleet file at `path` (paths resolve against its directory).
Result<FleetSpec> LoadFleetFile(const std::string& path, const std::string& data_dir, const std::string& shared_dir);

}  // namespace meg
