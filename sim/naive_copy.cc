#include "sim/naive_copy.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "sim/executor.h"
#include "sim/wal/row_image.h"
#include "sim/wal/wal_reader.h"
#include "vocab/assert.h"

namespace replsim::sim {
namespace {

// One row change of the copied WAL, owning its bytes (the reader's views do not outlive it).
struct Change {
  Lsn lsn, end;
  Xid xid = 0;
  wal::RecordType type = wal::RecordType::kInsert;
  std::vector<wal::TableId> tables;  // The table changed, or every table a TRUNCATE empties.
  uint64_t key = 0;
  std::string row;
};

struct CopiedWal {
  std::vector<Change> changes;
  std::map<Xid, std::pair<Lsn, Lsn>> commits;  // xid -> (start, end) of its commit record.
  std::map<uint64_t, Lsn> record_end;          // Start -> end of every record.
  Xid max_xid = 0;
};

CopiedWal decode(const wal::SegmentStore& store) {
  CopiedWal out;
  wal::WalReader reader(&store, store.oldest_lsn());
  wal::Record r;
  while (reader.next(&r) == wal::ReadStatus::kRecord) {
    out.record_end[r.lsn.value] = r.end_lsn;
    out.max_xid = std::max(out.max_xid, r.xid);
    Change c{r.lsn, r.end_lsn, r.xid, r.type, {}, r.key, std::string(r.row)};
    switch (r.type) {
      case wal::RecordType::kInsert:
      case wal::RecordType::kUpdate:
      case wal::RecordType::kDelete:
        c.tables = {r.table_id};
        out.changes.push_back(std::move(c));
        break;
      case wal::RecordType::kTruncate:
        for (size_t i = 0; i < r.truncated_count(); ++i) c.tables.push_back(r.truncated_table(i));
        out.changes.push_back(std::move(c));
        break;
      case wal::RecordType::kCommit: out.commits[r.xid] = {r.lsn, r.end_lsn}; break;
      // Neither a row change nor a commit: nothing a page or pg_xact holds.
      case wal::RecordType::kAbort:
      case wal::RecordType::kRestorePoint:
      case wal::RecordType::kSwitch:
      case wal::RecordType::kCheckpoint:
      case wal::RecordType::kBackupStart:
      case wal::RecordType::kBackupEnd: break;
    }
  }
  return out;
}

using ChangePredicate = std::function<bool(const Change&, wal::TableId)>;

// The rows pages hold once recovery is done: each change a page holds (in WAL order), if its
// transaction counts as committed.
void apply(const CopiedWal& w, const ChangePredicate& in_page, const std::function<bool(Xid)>& committed,
           wal::Store* rows) {
  for (const Change& c : w.changes) {
    if (!committed(c.xid)) continue;
    for (wal::TableId t : c.tables) {
      if (!in_page(c, t)) continue;
      switch (row_op(c.type)) {
        case RowOp::kInsert:
        case RowOp::kUpdate: rows->put(t, c.key, c.row); break;
        case RowOp::kDelete: rows->erase(t, c.key); break;
        case RowOp::kTruncate: rows->truncate(t); break;
      }
    }
  }
}

std::vector<std::pair<uint64_t, std::string>> rows_of(const wal::Store& s, wal::TableId t) {
  std::vector<std::pair<uint64_t, std::string>> out;
  (void)s.for_each(t, [&](uint64_t key, std::string_view row) { out.emplace_back(key, std::string(row)); });
  return out;
}

std::vector<std::string> labels_of(const wal::Store& s, const Dataset& d) {
  std::vector<std::string> out;
  for (const auto& [key, row] : rows_of(s, marker_table_id(d))) out.emplace_back(wal::row_column(row, 0).value_or(""));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

CopyStartup start_naive_copy(const NaiveCopy& copy, const Dataset& dataset, wal::MemoryStore* rows) {
  REPLSIM_ASSERT(copy.parts.size() == naive_copy_parts().size() && copy.wal, "only a complete copy is started");
  const Lsn data = copy.parts.at("base"), xact = copy.parts.at("pg_xact");
  const Lsn wal_end = copy.parts.at("pg_wal"), checkpoint = copy.parts.at("global");
  const CopiedWal w = decode(*copy.wal);
  CopyStartup out;
  out.checkpoint = checkpoint;
  auto cp = w.record_end.find(checkpoint.value);
  if (cp == w.record_end.end() || cp->second > wal_end) {
    // pg_control names a checkpoint record that the copied pg_wal does not hold (xlogrecovery.c).
    out.log = fmt::format(
        "PANIC:  could not locate a valid checkpoint record (pg_control names {}, the copied "
        "pg_wal ends at {})",
        checkpoint.to_string(), wal_end.to_string());
    return out;
  }
  out.starts = true;
  for (const auto& [start, end] : w.record_end) {
    if (end > wal_end) break;
    out.last_record = Lsn{start};
    out.end_of_wal = end;
  }
  out.next_xid = w.max_xid + 1;
  auto replayed = [&](Lsn start, Lsn end) { return start >= checkpoint && end <= wal_end; };
  std::map<wal::TableId, bool> fpi;  // Tables whose page recovery restores from a full-page image.
  for (const Change& c : w.changes)
    if (replayed(c.lsn, c.end))
      for (wal::TableId t : c.tables) fpi[t] = true;
  auto committed = [&](Xid x) {
    auto it = w.commits.find(x);
    return it != w.commits.end() && (it->second.second <= xact || replayed(it->second.first, it->second.second));
  };
  auto in_page = [&](const Change& c, wal::TableId t) { return fpi.count(t) ? c.end <= wal_end : c.end <= data; };
  apply(w, in_page, committed, rows);

  // What a crash-consistent image (every part from one instant) would have recovered.
  wal::MemoryStore consistent;
  apply(
      w, [&](const Change& c, wal::TableId) { return c.end <= out.end_of_wal; },
      [&](Xid x) {
        auto it = w.commits.find(x);
        return it != w.commits.end() && it->second.second <= out.end_of_wal;
      },
      &consistent);
  const std::vector<std::string> have = labels_of(*rows, dataset), should = labels_of(consistent, dataset);
  out.missing = minus(should, have);
  out.resurrected = minus(have, should);
  out.torn = !out.missing.empty() || !out.resurrected.empty();
  for (wal::TableId t = 0; t < static_cast<wal::TableId>(dataset.tables.size()) && !out.torn; ++t)
    out.torn = rows_of(*rows, t) != rows_of(consistent, t);
  out.log = fmt::format("redo starts at {}; redo done at {}; database system is ready to accept connections",
                        checkpoint.to_string(), out.last_record.to_string());
  return out;
}

}  // namespace replsim::sim
