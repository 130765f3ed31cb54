// REPLSIM_ASSERT: invariant checks that stay on in every build (independent of NDEBUG).
// A failure prints file, line, the condition and the simulation seed, then aborts.
#pragma once

#include <cstdint>

namespace replsim {
// The seed of the simulation run in progress, printed by failed assertions (0 = none).
void set_assert_seed(uint64_t seed);
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);
}  // namespace replsim

#define REPLSIM_ASSERT(cond, msg)                                          \
  do {                                                                     \
    if (!(cond)) ::replsim::assert_fail(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
