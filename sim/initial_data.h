// InitialData: what Node::load_initial_data() leaves in a fresh primary (its WAL bytes, its
// rows, its positions and counters), computed once per (data set, WAL segment size) and shared,
// read-only, by every run and every timing profile in the process, on any thread: every run
// starts by loading the same seed rows, and a run that starts from the saved result predicts
// byte for byte what one that loads them does (tests/campaign/sim_shortcuts_test.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/wal/log_format.h"
#include "vocab/dataset.h"
#include "vocab/lsn.h"

namespace replsim::sim {

struct InitialData {
  struct Row {
    wal::TableId table = 0;
    uint64_t key = 0;
    std::string image;  // wal::encode_row of the seed values.
  };
  Lsn start;  // The WAL bytes [start, end), as the seed transaction and its checkpoint wrote them.
  Lsn end;
  std::string wal;
  Lsn last_record;                 // Start of the last record (the checkpoint): the next one's prev link.
  Lsn commit;                      // The seed transaction's commit record, and its prev link (none when it is
  std::optional<Lsn> commit_prev;  // the first record): a clone replays from there.
  Lsn checkpoint;                  // pg_control's checkpoint.
  Xid next_xid = 0;
  std::vector<Row> rows;  // In the order the seed transaction inserts them (its replay's order).
};

// The saved load of `dataset` for WAL segments of `segment_size`; built on first use (thread-safe:
// one function-local static per segment size) and never changed after. Null when the size is not
// a scenario's (a power of two from 1 MB to 1 GB) or the data set is not one of all_datasets():
// the caller then loads the rows itself.
const InitialData* saved_initial_data(const Dataset& dataset, uint64_t segment_size);

}  // namespace replsim::sim
