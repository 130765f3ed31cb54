#include "sim/wal/wal_writer.h"

#include "vocab/assert.h"

namespace replsim::wal {

WalWriter::WalWriter(SegmentStore* store, Lsn start, Lsn prev_lsn) : store_(store), end_(start), prev_(prev_lsn) {
  REPLSIM_ASSERT(start.value % kAlignment == 0, "records start 8-byte aligned");
  REPLSIM_ASSERT(store->empty() || store->end_lsn() == start, "the writer continues where the store ends");
}

Appended WalWriter::append(const Record& in) {
  REPLSIM_ASSERT(store_->empty() || store_->end_lsn() == end_, "someone else wrote to this writer's store");
  Record r = in;
  r.lsn = end_;
  r.prev_lsn = prev_;
  const size_t aligned = align_up(encoded_length(r));
  if (buffer_.size() < aligned) buffer_.resize(aligned);
  encode_record(r, buffer_.data());
  store_->write(end_, std::string_view(buffer_.data(), aligned));
  prev_ = r.lsn;
  end_ = Lsn{end_.value + aligned};
  return {r.lsn, end_};
}

namespace {
Record data_record(RecordType type, Xid xid, TableId table, uint64_t key, std::string_view row) {
  REPLSIM_ASSERT(xid != 0, "data records belong to a transaction");
  Record r;
  r.type = type;
  r.xid = xid;
  r.table_id = table;
  r.key = key;
  r.row = row;
  return r;
}
Record end_record(RecordType type, Xid xid, int64_t time_us) {
  REPLSIM_ASSERT(xid != 0, "commit and abort records belong to a transaction");
  Record r;
  r.type = type;
  r.xid = xid;
  r.commit_time_us = time_us;
  return r;
}
}  // namespace

Appended WalWriter::insert(Xid xid, TableId table, uint64_t key, std::string_view row) {
  return append(data_record(RecordType::kInsert, xid, table, key, row));
}
Appended WalWriter::update(Xid xid, TableId table, uint64_t key, std::string_view row) {
  return append(data_record(RecordType::kUpdate, xid, table, key, row));
}
Appended WalWriter::erase(Xid xid, TableId table, uint64_t key) {
  return append(data_record(RecordType::kDelete, xid, table, key, {}));
}
Appended WalWriter::truncate(Xid xid, std::span<const TableId> tables) {
  Record r = data_record(RecordType::kTruncate, xid, 0, 0, {});
  r.truncated_tables = std::string_view(reinterpret_cast<const char*>(tables.data()), tables.size_bytes());
  return append(r);
}
Appended WalWriter::commit(Xid xid, int64_t commit_time_us) {
  return append(end_record(RecordType::kCommit, xid, commit_time_us));
}
Appended WalWriter::abort(Xid xid, int64_t abort_time_us) {
  return append(end_record(RecordType::kAbort, xid, abort_time_us));
}
Appended WalWriter::restore_point(std::string_view name, int64_t time_us) {
  Record r;
  r.type = RecordType::kRestorePoint;
  r.name = name;
  r.commit_time_us = time_us;
  return append(r);
}
Appended WalWriter::checkpoint(Lsn redo_lsn, int64_t time_us) {
  Record r;
  r.type = RecordType::kCheckpoint;
  r.ref_lsn = redo_lsn;
  r.commit_time_us = time_us;
  return append(r);
}
Appended WalWriter::backup_start(Lsn redo_lsn) {
  Record r;
  r.type = RecordType::kBackupStart;
  r.ref_lsn = redo_lsn;
  return append(r);
}
Appended WalWriter::backup_end(Lsn backup_start_lsn) {
  Record r;
  r.type = RecordType::kBackupEnd;
  r.ref_lsn = backup_start_lsn;
  return append(r);
}

Appended WalWriter::switch_segment() {
  const uint64_t seg = store_->segment_size();
  if (end_.value % seg == 0) return {end_, end_};
  Record r;
  r.type = RecordType::kSwitch;
  Appended a = append(r);
  const uint64_t boundary = (a.end_lsn.value + seg - 1) & ~(seg - 1);
  store_->append_zeros(boundary - a.end_lsn.value);
  end_ = Lsn{boundary};
  return {a.lsn, end_};
}

}  // namespace replsim::wal
