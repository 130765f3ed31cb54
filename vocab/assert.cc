#include "vocab/assert.h"

#include <cstdio>
#include <cstdlib>

namespace replsim {
namespace {
// Per thread: `replsim check --jobs` runs one simulation per thread. Only read once an
// invariant has already failed.
thread_local uint64_t g_seed = 0;
}  // namespace

void set_assert_seed(uint64_t seed) { g_seed = seed; }

void assert_fail(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "replsim: invariant violated at %s:%d: %s (%s); seed=%llu\n", file, line, msg, expr,
               static_cast<unsigned long long>(g_seed));
  std::abort();
}
}  // namespace replsim
