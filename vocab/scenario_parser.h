// Reads a scenario file (YAML; the language is described in docs/scenario.md) into a
// Scenario, and rejects bad input with "file:line:column: what was expected": syntax
// errors, unknown keys, nodes, tables or columns, and impossible steps (promote a
// primary, resume a node that is not paused, ...), found by walking the node states.
#pragma once

#include <string>

#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim {

// A scenario file is at most kMaxScenarioBytes and valid UTF-8; a larger or endless file (a
// device, a pipe) is refused after reading at most that much.
inline constexpr int64_t kMaxScenarioBytes = 1 << 20;
Result<Scenario> parse_scenario_file(const std::string& path);
// The step in one line, in the scenario's own words ("partition replica"); fills Step::text.
std::string describe_step(const Step& step);
Result<Scenario> parse_scenario_text(const std::string& text, const std::string& file_name);

// The longest duration a scenario may state (a `wait`, a latency, a timeout): a real run sleeps
// it, and no scenario needs more. The largest size (WAL retention settings, lag bounds).
inline constexpr int64_t kMaxDurationUs = 10LL * 60 * 1000 * 1000;  // 10 min.
inline constexpr int64_t kMaxSizeBytes = 1LL << 40;                 // 1 TB.

// Parses "250ms", "2s", "100us", "1min" (a bare number is milliseconds) into microseconds; more
// than kMaxDurationUs is an error (never an overflow).
Result<int64_t> parse_duration_us(const std::string& text);
// Parses "1MB", "16MB", "64kB", "1GB" (PostgreSQL's units) or a bare number of bytes; more
// than kMaxSizeBytes is an error (never an overflow).
Result<int64_t> parse_size_bytes(const std::string& text);

}  // namespace replsim
