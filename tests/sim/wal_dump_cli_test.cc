// `replsim wal dump` on damaged WAL, as a user runs it: every record it cannot read is reported
// on stderr (and in --json's "damage") with its segment file, offset and LSN and what was wrong;
// the records after it are still dumped; the exit code is 1 (a check failed: the WAL is damaged)
// where an intact WAL exits 0.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_output.h"

namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSegment = 8192;

using Dump = replsim::testing::CliOutput;
using replsim::testing::slurp;

Dump replsim(const std::string& args, const fs::path& scratch) {
  const fs::path out = scratch / "out", err = scratch / "err";
  const int status = std::system(
      (std::string(REPLSIM_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string()).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

struct WalRecord {
  std::string lsn;   // As the dump prints it.
  uint64_t pos = 0;  // The LSN as a number.
  uint64_t len = 0;
};

uint64_t parse_lsn(const std::string& text) {
  const size_t slash = text.find('/');
  return (std::stoull(text.substr(0, slash), nullptr, 16) << 32) | std::stoull(text.substr(slash + 1), nullptr, 16);
}

class WalDumpCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/replsim-wal-dump-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    wal_ = root_ / "pg_wal";
    const Dump gen = run("wal generate " + wal_.string() + " --records 400 --seed 3 --segment-size 8192");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    for (const auto& e : fs::directory_iterator(wal_)) files_.push_back(e.path().filename().string());
    std::sort(files_.begin(), files_.end());
    ASSERT_GE(files_.size(), 3u);
    const Dump intact = dump("--json");
    ASSERT_EQ(intact.exit_code, 0) << intact.err;
    ASSERT_EQ(intact.err, "");
    const auto doc = nlohmann::json::parse(intact.out);
    for (const auto& r : doc["record_list"])
      records_.push_back(
          {r["lsn"].get<std::string>(), parse_lsn(r["lsn"].get<std::string>()), r["len"].get<uint64_t>()});
    ASSERT_GE(records_.size(), 300u);
    first_segno_ = records_.front().pos / kSegment;
  }
  void TearDown() override { fs::remove_all(root_); }

  Dump run(const std::string& args) { return replsim(args, root_); }
  Dump dump(const std::string& extra = "") {
    return run("wal dump " + wal_.string() + " --segment-size 8192 " + extra);
  }

  // The segment file holding `lsn`, and the offset of `lsn` in it.
  std::string file_of(uint64_t lsn) const { return files_[lsn / kSegment - first_segno_]; }
  uint64_t offset_of(uint64_t lsn) const { return lsn % kSegment; }

  // XORs `mask` into the byte at `lsn`.
  void flip(uint64_t lsn, unsigned char mask) {
    std::fstream f(wal_ / file_of(lsn), std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(offset_of(lsn)));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ mask);
    f.seekp(static_cast<std::streamoff>(offset_of(lsn)));
    f.write(&c, 1);
  }
  void zero(uint64_t lsn, size_t n) {
    std::fstream f(wal_ / file_of(lsn), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset_of(lsn)));
    f.write(std::string(n, '\0').data(), static_cast<std::streamsize>(n));
  }

  // A record in the middle that lies entirely inside one segment.
  size_t middle_record() const {
    for (size_t i = records_.size() / 2; i < records_.size(); ++i)
      if (records_[i].pos / kSegment == (records_[i].pos + records_[i].len - 1) / kSegment &&
          records_[i].pos / kSegment > first_segno_)
        return i;
    return 0;
  }

  // The damage message names the segment file, the offset and the LSN; the record after the
  // damaged one is still dumped.
  void expect_reported(const Dump& d, const WalRecord& bad, const std::string& what) {
    EXPECT_EQ(d.exit_code, 1) << d.err;
    EXPECT_NE(d.err.find(bad.lsn), std::string::npos) << d.err;
    EXPECT_NE(d.err.find(file_of(bad.pos)), std::string::npos) << d.err;
    EXPECT_NE(d.err.find("offset " + std::to_string(offset_of(bad.pos))), std::string::npos) << d.err;
    EXPECT_NE(d.err.find(what), std::string::npos) << d.err;
  }

  fs::path root_, wal_;
  std::vector<std::string> files_;
  std::vector<WalRecord> records_;
  uint64_t first_segno_ = 0;
};

TEST_F(WalDumpCliTest, CorruptFirstRecordIsReportedNotSkippedSilently) {
  const WalRecord first = records_[0];
  flip(first.pos + 36, 0x5A);  // In the payload: the CRC no longer matches.
  const Dump d = dump();
  expect_reported(d, first, "bad CRC");
  EXPECT_EQ(d.out.find("lsn: " + first.lsn + ","), std::string::npos) << "the bad record was printed";
  EXPECT_NE(d.out.find("lsn: " + records_[1].lsn + ","), std::string::npos) << "reading did not resume";
}

TEST_F(WalDumpCliTest, CorruptMiddleRecordIsReportedAndTheRestStillDumped) {
  const size_t i = middle_record();
  ASSERT_GT(i, 0u);
  flip(records_[i].pos + 33, 0x01);
  const Dump d = dump();
  expect_reported(d, records_[i], "bad CRC");
  EXPECT_NE(d.out.find("lsn: " + records_[i + 1].lsn + ","), std::string::npos) << d.out.substr(0, 400);
  EXPECT_NE(d.out.find("lsn: " + records_.back().lsn + ","), std::string::npos);
}

TEST_F(WalDumpCliTest, BadCrcFieldIsReportedInJsonToo) {
  const size_t i = middle_record();
  ASSERT_GT(i, 0u);
  flip(records_[i].pos, 0xFF);  // The stored CRC itself.
  const Dump d = dump("--json");
  expect_reported(d, records_[i], "bad CRC");
  const auto doc = nlohmann::json::parse(d.out);
  EXPECT_TRUE(doc["corrupt"].get<bool>());
  ASSERT_EQ(doc["damage"].size(), 1u) << d.out;
  EXPECT_EQ(doc["damage"][0]["lsn"], records_[i].lsn);
  EXPECT_EQ(doc["damage"][0]["segment"], file_of(records_[i].pos));
  EXPECT_EQ(doc["damage"][0]["offset"], offset_of(records_[i].pos));
  EXPECT_EQ(doc["damage"][0]["resumed"], records_[i + 1].lsn);
  EXPECT_NE(doc["damage"][0]["reason"].get<std::string>().find("bad CRC"), std::string::npos);
  EXPECT_EQ(doc["records"].get<size_t>(), records_.size() - 1);
}

// The format has no page headers (docs/wal_format.md): the analogue is a zeroed record header,
// which looks like the end of WAL (a zero length) while valid records follow.
TEST_F(WalDumpCliTest, ZeroedRecordHeaderBeforeValidRecordsIsDamageNotTheEnd) {
  const size_t i = middle_record();
  ASSERT_GT(i, 0u);
  zero(records_[i].pos, 32);
  const Dump d = dump();
  expect_reported(d, records_[i], "zero record length");
  EXPECT_NE(d.out.find("lsn: " + records_.back().lsn + ","), std::string::npos);
}

TEST_F(WalDumpCliTest, TruncatedSegmentFileIsReportedWithItsMissingBytes) {
  const std::string victim = files_[1];
  fs::resize_file(wal_ / victim, 3000);
  const Dump d = dump();
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_NE(d.err.find(victim), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("truncated: 3000 of 8192 bytes"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("offset 3000"), std::string::npos) << d.err;
  // The records of the segments after it are still dumped.
  EXPECT_NE(d.out.find("lsn: " + records_.back().lsn + ","), std::string::npos);
}

TEST_F(WalDumpCliTest, TruncatedLoneSegmentFileIsDamageNotBadInput) {
  const fs::path lone = wal_ / files_[0];
  fs::resize_file(lone, 5000);
  const Dump d = run("wal dump " + lone.string() + " --segment-size 8192");
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_NE(d.err.find(files_[0]), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("truncated: 5000 of 8192 bytes"), std::string::npos) << d.err;
}

// A lone segment from the middle starts with the tail of a record from the segment before and
// may end in a record that continues into the next: neither is damage.
TEST_F(WalDumpCliTest, LoneMiddleSegmentIsNotDamaged) {
  const Dump d = run("wal dump " + (wal_ / files_[1]).string());
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.err, "");
}

TEST_F(WalDumpCliTest, IntactWalExitsZeroWithNothingOnStderr) {
  const Dump d = dump();
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.err, "");
  EXPECT_NE(d.out.find("end of valid WAL"), std::string::npos);
}

}  // namespace
