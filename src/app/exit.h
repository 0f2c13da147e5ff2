// How a command ends on an error: one line "<command>: <message>" on stderr and the exit code the
// error's kind maps to. Every `meg` command ends its failures here. Thread-compatible.
//
//   auto site = LoadSite(path);
//   if (!site) return ExitWith("meg site check", site.error());
#pragma once

#include <string_view>

#include "core/result.h"

namespace meg {

// Prints "<command>: <e.message>" to stderr, `command` as the user typed it ("meg bill",
// "meg forecast"). Returns the process exit code: 2 for kInvalidInput (an option or an input file
// the user can fix), 1 for every other kind (a file not found, an I/O failure, an unsupported
// case).
int ExitWith(std::string_view command, const Error& e);

}  // namespace meg
