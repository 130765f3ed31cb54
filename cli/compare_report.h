// The report of `replsim compare`: each configuration's measured row beside the simulator's
// prediction, as a terminal table, as JSON (schema in docs/compare.md) and as a self-contained
// HTML page with an SVG chart (commit latency against predicted loss window). Pure formatting:
// no PostgreSQL, no I/O.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/disk_info.h"
#include "harness/latency_bench.h"
#include "sim/loss_window.h"

namespace replsim::cli {

struct CompareRow {
  std::string setup;  // "async", "first1", "any1"
  std::string standby_names;
  std::string level;       // synchronous_commit
  int64_t latency_ms = 0;  // Added one-way latency.
  harness::BenchMeasure measured;
  sim::LossWindow predicted;
};

struct CompareReport {
  std::string command;  // As run, for the record.
  std::string machine;  // CPU model and core count, when known.
  harness::DiskInfo disk;  // Where the data directories were.
  std::string fsync;       // "on" or "off", as the primary ran with it (SHOW fsync).
  int clients = 0;
  int64_t duration_ms = 0;
  std::vector<CompareRow> rows;
};

// "disk: ext4 on /dev/vda1 (mounted at /); fsync = on": what a commit's latency includes.
std::string storage_sentence(const CompareReport& report);
std::string format_table(const CompareReport& report);
nlohmann::json to_json(const CompareReport& report);
// The chart alone: x = commit latency (p50 or p99, log scale), y = predicted loss window
// (log(1 + ms) scale), one labelled point per level x setup x latency.
std::string render_svg(const CompareReport& report, bool use_p99 = false);
// A whole page: the table, both charts and the rules; no script, no external URL.
std::string render_html(const CompareReport& report);

}  // namespace replsim::cli
