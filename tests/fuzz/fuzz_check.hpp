#pragma once
// A property a harness checks: on violation, say which and abort, so libFuzzer
// saves the input and the corpus replay test fails.
#include <cstdio>
#include <cstdlib>

#define OTAGW_FUZZ_CHECK(condition)                                                              \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)
