#include <algorithm>

#include "vocab/timing_profile.h"

namespace replsim {
namespace {

LatencySummary merge_summary(const LatencySummary& a, const LatencySummary& b) {
  LatencySummary m;
  m.count = a.count + b.count;
  m.min_us = std::min(a.min_us, b.min_us);
  m.p50_us = std::max(a.p50_us, b.p50_us);
  m.p90_us = std::max(a.p90_us, b.p90_us);
  m.p99_us = std::max(a.p99_us, b.p99_us);
  m.max_us = std::max(a.max_us, b.max_us);
  return m;
}

void merge_map(std::map<std::string, LatencySummary>& into, const std::map<std::string, LatencySummary>& other) {
  for (auto& [name, summary] : into) {
    auto it = other.find(name);
    if (it != other.end()) summary = merge_summary(summary, it->second);
  }
}

}  // namespace

MeasuredTiming merge_timing_profiles(const MeasuredTiming& newer, const MeasuredTiming& older) {
  MeasuredTiming m = newer;
  merge_map(m.steps, older.steps);
  merge_map(m.commit, older.commit);
  m.wal_shipping = merge_summary(newer.wal_shipping, older.wal_shipping);
  return m;
}

}  // namespace replsim
