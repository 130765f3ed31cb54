// The reader has one window scan per CRC32C path (carry-less multiplication fused into the scan;
// crc32 chains or the portable table after it), chosen once for the CPU. The other tests run
// only the path this machine chooses; these run the same intact, corrupted and cut WAL through
// every path the CPU supports and require the same records and the same verdict from each.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/wal/crc32c.h"
#include "sim/wal/wal_generator.h"
#include "sim/wal/wal_reader.h"
#include "sim/wal/wal_writer.h"
#include "wal_test_util.h"

namespace replsim::wal {
namespace {

// Restores the process's CRC path when a test ends, whatever it switched to.
class Crc32cPathTest : public ::testing::Test {
 protected:
  void TearDown() override { set_crc32c_path_for_testing(saved_); }
  std::vector<Crc32cPath> paths() const {
    std::vector<Crc32cPath> out;
    for (Crc32cPath p : {Crc32cPath::kPortable, Crc32cPath::kCrc32Instruction, Crc32cPath::kCarrylessMultiply}) {
      if (crc32c_path_available(p)) out.push_back(p);
    }
    return out;
  }

 private:
  Crc32cPath saved_ = crc32c_path();
};

// Everything a reader returns for a WAL, batches and single records alike, as one string.
std::string read_all(const SegmentStore& store, Lsn start) {
  WalReader reader(&store, start, Lsn{0});
  std::string out;
  Record r;
  for (;;) {
    const std::span<const RecordView> batch = reader.next_batch();
    for (const RecordView& v : batch) {
      out += v.lsn.to_string() + " " + std::to_string(static_cast<int>(v.type)) + " " + std::to_string(v.xid) + " " +
             std::to_string(v.word) + " " + std::string(v.row()) + "\n";
    }
    if (!batch.empty()) continue;
    const ReadStatus st = reader.next(&r);
    if (st == ReadStatus::kRecord) {
      out += r.lsn.to_string() + " " + std::to_string(static_cast<int>(r.type)) + " " + std::to_string(r.xid) + " " +
             std::to_string(r.key) + " " + std::string(r.row) + "\n";
      continue;
    }
    out += st == ReadStatus::kCorrupt ? "corrupt " + reader.corruption().to_string() : "end of WAL";
    out += " at " + reader.position().to_string() + (reader.partial_record() ? " partial" : "");
    return out;
  }
}

struct GeneratedWal {
  uint64_t segment_size;
  Lsn start;
  std::string bytes;
};

// Small transactions of the benchmark's kind, over segments of 4 KiB: long runs of records for
// the window scans, and many records that span segments for the general path.
GeneratedWal generate(uint64_t records) {
  GeneratedWal w{4096, Lsn{4096 * 3 + 16}, {}};
  SegmentStore store(w.segment_size);
  WalWriter writer(&store, w.start);
  GeneratorOptions o;
  o.seed = 5;
  o.keys_per_table = 1000;
  WalGenerator(o).generate(&writer, records);
  w.bytes = store.read(w.start, writer.end_lsn().value - w.start.value);
  return w;
}

std::string read_bytes(const GeneratedWal& w, std::string_view bytes) {
  SegmentStore s(w.segment_size);
  s.write(w.start, bytes);
  return read_all(s, w.start);
}

TEST_F(Crc32cPathTest, EveryPathReadsAnIntactWalIdentically) {
  const GeneratedWal w = generate(3000);
  std::string first;
  for (Crc32cPath p : paths()) {
    set_crc32c_path_for_testing(p);
    const std::string got = read_bytes(w, w.bytes);
    EXPECT_NE(got.find("end of WAL"), std::string::npos);
    if (first.empty()) first = got;
    EXPECT_EQ(got, first) << "path " << static_cast<int>(p);
  }
}

TEST_F(Crc32cPathTest, EveryPathStopsAtTheSameRecordWhateverByteIsFlipped) {
  const GeneratedWal w = generate(600);
  uint64_t x = 3;
  for (size_t trial = 0; trial < 400; ++trial) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    std::string bad = w.bytes;
    const size_t at = (x >> 20) % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 << ((x >> 8) % 8)));
    std::string first;
    for (Crc32cPath p : paths()) {
      set_crc32c_path_for_testing(p);
      const std::string got = read_bytes(w, bad);
      if (first.empty()) first = got;
      ASSERT_EQ(got, first) << "byte " << at << " path " << static_cast<int>(p);
    }
  }
}

TEST_F(Crc32cPathTest, EveryPathEndsAtTheSameRecordWhereverTheWalIsCut) {
  const GeneratedWal w = generate(300);
  for (size_t cut = 0; cut <= w.bytes.size(); cut += 5) {
    std::string first;
    for (Crc32cPath p : paths()) {
      set_crc32c_path_for_testing(p);
      const std::string got = read_bytes(w, std::string_view(w.bytes).substr(0, cut));
      if (first.empty()) first = got;
      ASSERT_EQ(got, first) << "cut " << cut << " path " << static_cast<int>(p);
    }
  }
}

TEST_F(Crc32cPathTest, EveryPathReadsTheSampleWalWithEveryByteFlipped) {
  SegmentStore store(128);
  const Lsn start{128 * 2 + 8};
  WalWriter writer(&store, start);
  testing::write_sample_wal(&writer);
  const std::string bytes = store.read(start, store.end_lsn().value - start.value);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    std::string first;
    for (Crc32cPath p : paths()) {
      set_crc32c_path_for_testing(p);
      SegmentStore s(128);
      s.write(start, bad);
      const std::string got = read_all(s, start);
      if (first.empty()) first = got;
      ASSERT_EQ(got, first) << "byte " << i << " path " << static_cast<int>(p);
    }
  }
}

}  // namespace
}  // namespace replsim::wal
