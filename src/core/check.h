// MEG_CHECK: aborts with file and line when an internal invariant (a bug) is violated.
// Never used on outside input: outside input gets a Result<T> with an Error.
#pragma once

#include <cstdio>
#include <cstdlib>

#define MEG_CHECK(cond)                                                            \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "%s:%d: MEG_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                \
    }                                                                              \
  } while (0)
