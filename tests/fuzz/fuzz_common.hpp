#pragma once
// What every fuzz target shares: the input as text after a selector byte,
// and the rule that a parser may throw fv::Error and nothing else (any other
// exception escapes and libFuzzer reports it, as it reports a crash).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

struct FuzzInput {
  unsigned selector;
  std::string_view text;
};

inline FuzzInput fuzz_input(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {0, {}};
  return {data[0], std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

// A property that must hold: a failure aborts, so the input is kept as a crash.
#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
