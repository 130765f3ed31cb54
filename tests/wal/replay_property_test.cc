// Round-trip properties of the replay core against a naive reference: any generated record
// sequence encodes, decodes back to itself and replays to the state of a plain std::map replay;
// any recovery target yields exactly the committed prefix it names.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/wal/memory_store.h"
#include "sim/wal/replay_engine.h"
#include "sim/wal/wal_reader.h"
#include "sim/wal/wal_writer.h"

namespace replsim::wal {
namespace {

// One step of a generated workload. `slot` picks one of four concurrently open transactions.
struct Step {
  enum Kind { kInsert, kUpdate, kDelete, kTruncate, kCommit, kAbort, kRestorePoint, kCheckpoint, kSwitch };
  Kind kind;
  int slot;
  TableId table;
  uint64_t key;
  std::string row;
  int time_step;  // Added to the clock; 0 gives equal commit times.
};

void showValue(const Step& s, std::ostream& os) {  // NOLINT: rapidcheck's customisation point.
  os << "{kind " << s.kind << " slot " << s.slot << " table " << s.table << " key " << s.key << " row '" << s.row
     << "' dt " << s.time_step << "}";
}

rc::Gen<Step> gen_step() {
  return rc::gen::build<Step>(rc::gen::set(&Step::kind, rc::gen::weightedElement<Step::Kind>({{10, Step::kInsert},
                                                                                              {6, Step::kUpdate},
                                                                                              {4, Step::kDelete},
                                                                                              {1, Step::kTruncate},
                                                                                              {5, Step::kCommit},
                                                                                              {2, Step::kAbort},
                                                                                              {1, Step::kRestorePoint},
                                                                                              {1, Step::kCheckpoint},
                                                                                              {1, Step::kSwitch}})),
                              rc::gen::set(&Step::slot, rc::gen::inRange(0, 4)),
                              rc::gen::set(&Step::table, rc::gen::inRange<TableId>(1, 4)),
                              rc::gen::set(&Step::key, rc::gen::inRange<uint64_t>(0, 16)),
                              rc::gen::set(&Step::row, rc::gen::container<std::string>(rc::gen::inRange<char>(0, 127))),
                              rc::gen::set(&Step::time_step, rc::gen::inRange(0, 3)));
}

// What the writer wrote, in a form the reference replay understands.
struct Written {
  Record rec;  // Views point into the strings below.
  std::string row;
  std::string name;
  std::vector<TableId> tables;
};

using State = std::map<std::pair<TableId, uint64_t>, std::string>;

// Writes the steps; returns every record written in order. Never leaves a slot's xid at 0.
std::vector<Written> write_steps(const std::vector<Step>& steps, WalWriter* w) {
  std::vector<Written> out;
  Xid xids[4] = {0, 0, 0, 0};
  Xid next_xid = 500;
  int64_t now = 1000000;
  int rp = 0;
  for (const Step& s : steps) {
    now += s.time_step;
    Xid& xid = xids[s.slot];
    const bool data = s.kind <= Step::kTruncate;
    const bool end = s.kind == Step::kCommit || s.kind == Step::kAbort;
    if ((data || end) && xid == 0) xid = next_xid++;
    Written wr;
    Appended a{};
    switch (s.kind) {
      case Step::kInsert: a = w->insert(xid, s.table, s.key, s.row); break;
      case Step::kUpdate: a = w->update(xid, s.table, s.key, s.row); break;
      case Step::kDelete: a = w->erase(xid, s.table, s.key); break;
      case Step::kTruncate: {
        wr.tables = {s.table, static_cast<TableId>(s.table % 3 + 1)};
        a = w->truncate(xid, wr.tables);
        break;
      }
      case Step::kCommit: a = w->commit(xid, now); break;
      case Step::kAbort: a = w->abort(xid, now); break;
      case Step::kRestorePoint:
        wr.name = "rp" + std::to_string(rp++ % 3);  // Names repeat: the first one wins.
        a = w->restore_point(wr.name, now);
        break;
      case Step::kCheckpoint: a = w->checkpoint(w->end_lsn(), now); break;
      case Step::kSwitch:
        a = w->switch_segment();
        if (a.lsn == a.end_lsn) continue;  // At a boundary: nothing written.
        break;
    }
    wr.rec.lsn = a.lsn;
    wr.rec.end_lsn = a.end_lsn;
    wr.rec.xid = (data || end) ? xid : 0;
    wr.rec.type = s.kind == Step::kInsert         ? RecordType::kInsert
                  : s.kind == Step::kUpdate       ? RecordType::kUpdate
                  : s.kind == Step::kDelete       ? RecordType::kDelete
                  : s.kind == Step::kTruncate     ? RecordType::kTruncate
                  : s.kind == Step::kCommit       ? RecordType::kCommit
                  : s.kind == Step::kAbort        ? RecordType::kAbort
                  : s.kind == Step::kRestorePoint ? RecordType::kRestorePoint
                  : s.kind == Step::kCheckpoint   ? RecordType::kCheckpoint
                                                  : RecordType::kSwitch;
    wr.rec.table_id = s.table;
    wr.rec.key = s.key;
    wr.row = s.row;
    wr.rec.commit_time_us = now;
    out.push_back(std::move(wr));
    if (end) xid = 0;
  }
  return out;
}

// The naive reference: per-transaction lists of records, applied to a std::map at commit.
State reference_replay(const std::vector<Written>& records, size_t count) {
  State state;
  std::map<Xid, std::vector<const Written*>> open;
  for (size_t i = 0; i < count; ++i) {
    const Written& w = records[i];
    switch (w.rec.type) {
      case RecordType::kInsert:
      case RecordType::kUpdate:
      case RecordType::kDelete:
      case RecordType::kTruncate: open[w.rec.xid].push_back(&w); break;
      case RecordType::kAbort: open.erase(w.rec.xid); break;
      case RecordType::kCommit:
        for (const Written* c : open[w.rec.xid]) {
          if (c->rec.type == RecordType::kDelete) {
            state.erase({c->rec.table_id, c->rec.key});
          } else if (c->rec.type == RecordType::kTruncate) {
            for (TableId t : c->tables) std::erase_if(state, [t](const auto& kv) { return kv.first.first == t; });
          } else {
            state[{c->rec.table_id, c->rec.key}] = c->row;
          }
        }
        open.erase(w.rec.xid);
        break;
      default: break;
    }
  }
  return state;
}

State store_state(const MemoryStore& store) {
  State s;
  for (TableId t = 1; t <= 3; ++t) {
    (void)store.for_each(t, [&](uint64_t k, std::string_view row) { s[{t, k}] = std::string(row); });
  }
  return s;
}

uint64_t gen_segment_size() { return uint64_t{64} << *rc::gen::inRange(0, 6); }

RC_GTEST_PROP(ReplayPropertyTest, AnyRecordSequenceDecodesToItselfAndReplaysLikeTheReference, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(gen_step());
  SegmentStore wal(gen_segment_size());
  const Lsn start{wal.segment_size() * 2 + 8 * static_cast<uint64_t>(*rc::gen::inRange(0, 8))};
  WalWriter writer(&wal, start);
  const auto written = write_steps(steps, &writer);

  WalReader reader(&wal, start, Lsn{0});
  Record r;
  for (const Written& w : written) {
    RC_ASSERT(reader.next(&r) == ReadStatus::kRecord);
    RC_ASSERT(r.lsn == w.rec.lsn);
    RC_ASSERT(r.end_lsn == w.rec.end_lsn);
    RC_ASSERT(r.type == w.rec.type);
    RC_ASSERT(r.xid == w.rec.xid);
    if (is_data_type(r.type) && r.type != RecordType::kTruncate) {
      RC_ASSERT(r.table_id == w.rec.table_id);
      RC_ASSERT(r.key == w.rec.key);
    }
    if (r.type == RecordType::kInsert || r.type == RecordType::kUpdate) RC_ASSERT(std::string(r.row) == w.row);
    if (r.type == RecordType::kCommit || r.type == RecordType::kAbort)
      RC_ASSERT(r.commit_time_us == w.rec.commit_time_us);
  }
  RC_ASSERT(reader.next(&r) == ReadStatus::kEndOfWal);

  MemoryStore store;
  ReplayEngine engine(&store);
  WalReader replay_reader(&wal, start);
  RC_ASSERT(engine.replay(replay_reader) == ReplayStop::kEndOfWal);
  engine.finish();
  RC_ASSERT(store_state(store) == reference_replay(written, written.size()));
}

RC_GTEST_PROP(ReplayPropertyTest, AnyRecoveryTargetYieldsExactlyTheCommittedPrefixItNames, ()) {
  const auto steps = *rc::gen::nonEmpty(rc::gen::container<std::vector<Step>>(gen_step()));
  SegmentStore wal(gen_segment_size());
  WalWriter writer(&wal, Lsn{wal.segment_size()});
  const auto written = write_steps(steps, &writer);
  RC_PRE(!written.empty());

  // The naive statement of each target: find the record replay stops at and whether it is applied.
  const int kind = *rc::gen::inRange(0, 4);
  const bool inclusive = *rc::gen::arbitrary<bool>();
  const size_t pick = *rc::gen::inRange<size_t>(0, written.size());
  RecoveryTarget target;
  std::optional<size_t> stop_at;  // Index of the record replay stops at.
  bool applied = false;           // Whether that record is replayed.
  auto is_end = [](const Written& w) { return w.rec.type == RecordType::kCommit || w.rec.type == RecordType::kAbort; };
  if (kind == 0) {  // Xid of some transaction end record (or of the picked record's xid, maybe open).
    const Xid xid = written[pick].rec.xid != 0 ? written[pick].rec.xid : 1;
    target = RecoveryTarget::at_xid(xid, inclusive);
    for (size_t i = 0; i < written.size() && !stop_at; ++i) {
      if (is_end(written[i]) && written[i].rec.xid == xid) stop_at = i;
    }
    applied = inclusive;
  } else if (kind == 1) {  // Time.
    const int64_t t = written[pick].rec.commit_time_us + *rc::gen::inRange(-1, 2);
    target = RecoveryTarget::at_time(t, inclusive);
    for (size_t i = 0; i < written.size() && !stop_at; ++i) {
      const int64_t rt = written[i].rec.commit_time_us;
      if (is_end(written[i]) && (inclusive ? rt > t : rt >= t)) stop_at = i;
    }
    applied = false;
  } else if (kind == 2) {  // LSN: the picked record's start, or a few bytes into it.
    const Lsn lsn{written[pick].rec.lsn.value + 8 * static_cast<uint64_t>(*rc::gen::inRange(0, 2))};
    target = RecoveryTarget::at_lsn(lsn, inclusive);
    for (size_t i = 0; i < written.size() && !stop_at; ++i) {
      if (written[i].rec.lsn >= lsn) stop_at = i;
    }
    applied = inclusive;
  } else {  // Name.
    const std::string name = "rp" + std::to_string(*rc::gen::inRange(0, 3));
    target = RecoveryTarget::at_name(name);
    for (size_t i = 0; i < written.size() && !stop_at; ++i) {
      if (written[i].rec.type == RecordType::kRestorePoint && written[i].name == name) stop_at = i;
    }
    applied = true;
  }
  RC_TAG(kind, stop_at.has_value());

  MemoryStore store;
  ReplayEngine engine(&store, target);
  WalReader reader(&wal, Lsn{wal.segment_size()});
  const ReplayStop why = engine.replay(reader);
  const StopInfo info = engine.finish();
  RC_ASSERT(info.reached == stop_at.has_value());
  const size_t prefix = stop_at ? *stop_at + (applied ? 1 : 0) : written.size();
  if (stop_at) {
    RC_ASSERT(why == ReplayStop::kTargetReached);
    RC_ASSERT(info.lsn == written[*stop_at].rec.lsn);
    RC_ASSERT(info.after == applied);
  }
  RC_ASSERT(engine.replay_lsn() == (prefix == 0 ? Lsn{0} : written[prefix - 1].rec.end_lsn));
  RC_ASSERT(store_state(store) == reference_replay(written, prefix));
}

}  // namespace
}  // namespace replsim::wal
