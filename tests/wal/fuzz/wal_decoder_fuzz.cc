// libFuzzer target: any bytes, read as WAL, must yield records, end of WAL or a corruption
// report, and never a crash or an out-of-bounds read. The first byte picks the segment size and
// the start offset so records cross boundaries; row images found are decoded too.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "sim/wal/crc32c.h"
#include "sim/wal/row_image.h"
#include "sim/wal/segment_store.h"
#include "sim/wal/wal_reader.h"

using namespace replsim;
using namespace replsim::wal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint64_t segment_size = uint64_t{64} << (data[0] & 7);
  const Lsn start{segment_size * 3 + ((data[0] >> 3) & 7) * 8};
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 0x80) {
    // Structure-aware mode: give each length-delimited chunk a matching LSN and CRC so the
    // fuzzer reaches the type, payload and prev-link checks behind the CRC.
    size_t pos = 0;
    while (pos + kHeaderSize <= bytes.size()) {
      const uint32_t len = peek_length(bytes.data() + pos);
      if (len < kHeaderSize || align_up(len) > bytes.size() - pos) break;
      const uint64_t lsn = start.value + pos;
      std::memcpy(bytes.data() + pos + kLsnOffset, &lsn, 8);
      const uint32_t crc = crc32c(bytes.data() + pos + kCrcStart, align_up(len) - kCrcStart);
      std::memcpy(bytes.data() + pos + kCrcOffset, &crc, 4);
      pos += align_up(len);
    }
  }
  SegmentStore store(segment_size);
  store.write(start, bytes);
  WalReader reader(&store, start);
  Record r;
  ReadStatus s;
  int n = 0;
  std::vector<uint64_t> lsns;
  while ((s = reader.next(&r)) == ReadStatus::kRecord) {
    lsns.push_back(r.lsn.value);
    if (r.type == RecordType::kInsert || r.type == RecordType::kUpdate) {
      (void)decode_row(r.row);
      (void)row_column(r.row, 1);
    }
    for (size_t i = 0; i < r.truncated_count(); ++i) (void)r.truncated_table(i);
    if (r.end_lsn <= r.lsn) __builtin_trap();  // The reader must always move forward.
    ++n;
  }
  if (s == ReadStatus::kCorrupt && reader.corruption().lsn != reader.position()) __builtin_trap();
  // The batch path (what replay uses) must return the same records and stop at the same place.
  WalReader batched(&store, start);
  size_t seen = 0;
  ReadStatus last = ReadStatus::kRecord;
  while (last == ReadStatus::kRecord) {
    const std::span<const RecordView> batch = batched.next_batch();
    for (const RecordView& v : batch) {
      if (seen >= lsns.size() || v.lsn.value != lsns[seen++]) __builtin_trap();
      (void)decode_row(v.row());
    }
    if (!batch.empty()) continue;
    last = batched.next(&r);
    if (last == ReadStatus::kRecord && (seen >= lsns.size() || r.lsn.value != lsns[seen++])) __builtin_trap();
  }
  if (last != s || seen != lsns.size() || batched.position() != reader.position()) __builtin_trap();
  (void)WalReader::find_first_record(store, start, size);
  // Row images on their own.
  (void)decode_row(std::string_view(reinterpret_cast<const char*>(data), size));
  return n >= 0 ? 0 : 1;
}
