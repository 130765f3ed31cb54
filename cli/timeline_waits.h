// How long commits waited, from a run's history events: a commit that waited for synchronous
// replication (TxRecord::waited_for_sync) or was still blocked at the end waited from its
// invocation to the event that ended the wait (ok, info, fail), or to the run's end when
// nothing did. The timeline page draws each wait as a band on the lane of the node it ran on
// (timeline_svg.cc) and the text report prints it (report_printer.cc). Both the simulator's
// prediction and the harness's history record these events with their times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vocab/run_result.h"

namespace replsim::cli {

struct CommitWait {
  std::string label;
  std::string node;
  int step = -1;         // The step that ran the commit.
  int end_step = -1;     // The step during which the wait ended; -1 when it never did.
  int64_t start_us = 0;  // Its invocation.
  int64_t end_us = 0;    // When it ended, or the run's end.
  bool open = false;     // Still waiting when the run ended.
  std::string ended;     // "acknowledged", "cancelled", "in doubt", "failed", "still waiting at the end".
  int64_t waited_us() const { return end_us - start_us; }
};

// A wait at least this long is drawn as a band: shorter ones are a synchronous standby's
// ordinary round trip (the harness only notices waits of block_after_ms).
inline constexpr int64_t kWaitBandMinUs = 100000;

// The run's end: the latest time of its timeline and its events.
int64_t run_end_us(const RunResult& run);
// Every commit that waited, in the order the run's transactions have them. A transaction
// without an invocation event (a result stored without events) is left out.
std::vector<CommitWait> commit_waits(const RunResult& run);
// "5.0 s", "850 ms", "12.4 ms", "300 µs".
std::string fmt_wait(int64_t us);
// One line for the text report: "charlie  waited 5.0 s  from step 3 to step 5: in doubt".
std::string wait_line(const CommitWait& w);

// Notes that differ only in transaction labels and LSNs, said once with a count: "20 of these
// (a_1 … a_20), the first: a_1 was acknowledged …". `labels` are the run's transaction labels.
// A note that occurs fewer than 3 times is kept as it is; the order is that of each group's first note.
std::vector<std::string> group_notes(const std::vector<std::string>& notes, const std::vector<std::string>& labels);

}  // namespace replsim::cli
