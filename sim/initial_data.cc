#include "sim/initial_data.h"

#include <utility>

#include "sim/executor.h"
#include "sim/node.h"
#include "sim/timing.h"
#include "sim/wal/row_image.h"
#include "vocab/assert.h"

namespace replsim::sim {
namespace {

constexpr int kMinShift = 20;  // 1 MB: the scenario language's smallest wal_segment_size.
constexpr int kMaxShift = 30;  // 1 GB: its largest.

// Every data set's saved load for one segment size. Built once, by the first caller (C++
// guarantees one initialisation of a function-local static, whatever thread asks), then only read.
template <int kShift>
const std::vector<InitialData>& saved_for_size() {
  static const std::vector<InitialData> saved = [] {
    std::vector<InitialData> all;
    for (const Dataset& dataset : all_datasets())
      all.push_back(Node::make_initial_data(dataset, uint64_t{1} << kShift));
    return all;
  }();
  return saved;
}

template <int... kOffsets>
const std::vector<InitialData>* saved_for(uint64_t segment_size, std::integer_sequence<int, kOffsets...>) {
  const std::vector<InitialData>* found = nullptr;
  ((segment_size == uint64_t{1} << (kMinShift + kOffsets) ? (found = &saved_for_size<kMinShift + kOffsets>()) : found),
   ...);
  return found;
}

}  // namespace

const InitialData* saved_initial_data(const Dataset& dataset, uint64_t segment_size) {
  const std::vector<InitialData>* saved = saved_for(segment_size,
                                                    std::make_integer_sequence<int, kMaxShift - kMinShift + 1>{});
  if (saved == nullptr) return nullptr;
  const std::vector<Dataset>& datasets = all_datasets();
  for (size_t i = 0; i < datasets.size(); ++i)
    if (&datasets[i] == &dataset) return &(*saved)[i];
  return nullptr;
}

// The seed load as a fresh primary does it (load_initial_data), then what it left.
InitialData Node::make_initial_data(const Dataset& dataset, uint64_t segment_size) {
  Node node("initial", true, segment_size, dataset);
  node.load_initial_data(kEpochUs);
  InitialData d;
  d.start = node.wal_.oldest_lsn();
  d.end = node.insert_lsn();
  REPLSIM_ASSERT(node.flush_lsn_ == d.end, "the seed load is flushed");
  d.wal = node.wal_.read(d.start, d.end.value - d.start.value);
  d.last_record = node.writer_->last_lsn();
  d.checkpoint = node.last_checkpoint_;
  d.next_xid = node.next_xid_;
  // The commit record: the only one of the seed transaction a clone's engine needs to see.
  wal::WalReader reader(&node.wal_, d.start);
  wal::Record record;
  std::optional<Lsn> prev;
  while (reader.next(&record) == wal::ReadStatus::kRecord) {
    if (record.type == wal::RecordType::kCommit) {
      d.commit = record.lsn;
      d.commit_prev = prev;
    }
    prev = record.lsn;
  }
  REPLSIM_ASSERT(reader.position() == d.end && d.commit.value != 0, "the seed load is one committed transaction");
  // The seed transaction's inserts, in its WAL order (load_initial_data's loop).
  for (const auto& table_rows : dataset.rows) {
    const wal::TableId id = table_id(dataset, table_rows.table);
    uint64_t key = 1;
    for (const auto& row : table_rows.rows) d.rows.push_back({id, key++, wal::encode_row(row)});
  }
  return d;
}

// What load_initial_data leaves, without writing or replaying again. The one difference is
// the replay engine: fresh at the end of the WAL instead of having replayed it, as after crash
// recovery or a started copy; a primary's engine only ever makes its own later records visible.
void Node::load_initial_data(const InitialData& d) {
  REPLSIM_ASSERT(primary_ && wal_.empty() && writer_ && writer_->end_lsn() == d.start,
                 "the seed data goes into a fresh primary");
  wal_.write(d.start, d.wal);
  for (const InitialData::Row& row : d.rows) store_->put(row.table, row.key, row.image);
  writer_ = std::make_unique<wal::WalWriter>(&wal_, d.end, d.last_record);
  reader_ = std::make_unique<wal::WalReader>(&wal_, d.end, d.last_record);
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  flush_lsn_ = d.end;
  next_xid_ = d.next_xid;
  last_checkpoint_ = d.checkpoint;
  init_sequences();
}

// clone_from(primary) while the primary holds only the saved load: the same WAL bytes, and the
// rows put in the order its replay puts them; then the engine replays the seed transaction's
// commit record and the checkpoint, which is all of that replay an engine keeps besides the rows
// (replay and last record positions, last commit xid and time).
void Node::clone_from(const Node& primary, const InitialData& saved) {
  REPLSIM_ASSERT(!primary_ && wal_.empty(), "a clone starts as a fresh standby");
  REPLSIM_ASSERT(primary.wal().oldest_lsn() == saved.start && primary.flush_lsn() == saved.end &&
                     primary.wal().end_lsn() == saved.end,
                 "the primary holds only the saved load");
  wal_.write(saved.start, saved.wal);
  write_lsn_ = flush_lsn_ = saved.end;
  last_checkpoint_ = primary.last_checkpoint();
  for (const InitialData::Row& row : saved.rows) store_->put(row.table, row.key, row.image);
  reader_ = std::make_unique<wal::WalReader>(&wal_, saved.commit, saved.commit_prev);
  engine_ = std::make_unique<wal::ReplayEngine>(store_.get());
  replay_received();
  REPLSIM_ASSERT(engine_->replay_lsn() == saved.end && engine_->last_record_lsn() == saved.last_record,
                 "the clone replayed to the end of the saved load");
}

}  // namespace replsim::sim
