// nearest_rank: a percentile of sorted samples by the nearest-rank method, the smallest sample
// with at least p% of the samples at or below it. One definition for every latency figure replsim
// reports: `compare`'s commit latencies (harness/latency_bench.cc) and `calibrate`'s timing
// profile (vocab/timing_profile.cc).
#pragma once

#include <cstddef>
#include <vector>

#include "vocab/assert.h"

namespace replsim {

// REQUIRES: `sorted` is ascending and not empty; 0 < p <= 100.
template <typename T>
const T& nearest_rank(const std::vector<T>& sorted, int p) {
  REPLSIM_ASSERT(!sorted.empty() && p > 0 && p <= 100, "nearest_rank of no samples, or p outside (0, 100]");
  const size_t rank = (static_cast<size_t>(p) * sorted.size() + 99) / 100;  // Integer ceil(p% of n).
  return sorted[rank - 1];
}

}  // namespace replsim
