// The disk gate without PostgreSQL: /bin/dd, run with the gate preloaded, writes into a
// stand-in pg_wal. While stalled, its writes there are journaled (and nowhere else), its
// fdatasync does not return until the stall is lifted, and an undo restores the old bytes and
// the old size. dd writes with write() at the current offset after an lseek (seek=), the path
// PostgreSQL's pwrite() shares all but the offset with.
#include "harness/disk_gate.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "harness/subprocess.h"

namespace replsim::harness {
namespace {

namespace fs = std::filesystem;

class DiskGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "replsim-disk-gate-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = fs::canonical(pattern).string();
    wal_ = dir_ + "/pg_wal";
    fs::create_directory(wal_);
    me_.uid = geteuid();
    me_.gid = getegid();
    auto gate = DiskGate::create(dir_ + "/control", wal_, REPLSIM_DISK_GATE_LIBRARY, me_);
    ASSERT_TRUE(gate.ok()) << gate.status().message();
    gate_ = std::move(*gate);
    write_file(wal_ + "/segment", std::string(8192, 'a'));
    write_file(dir_ + "/elsewhere", std::string(4096, 'a'));
    write_file(dir_ + "/new-bytes", std::string(4096, 'b'));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static void write_file(const std::string& path, const std::string& bytes) { std::ofstream(path) << bytes; }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // dd of new-bytes (4096 'b') into `target` at block `block`, keeping the rest of the file.
  SpawnOptions dd(const std::string& target, int block, bool sync) const {
    SpawnOptions o;
    o.argv = {"/bin/dd", "if=" + dir_ + "/new-bytes",     "of=" + target,
              "bs=4096", "seek=" + std::to_string(block), sync ? "conv=notrunc,fdatasync" : "conv=notrunc"};
    o.output_path = dir_ + "/dd.log";
    o.extra_env = gate_->environment();
    return o;
  }

  std::string dir_, wal_;
  RunAs me_;
  std::unique_ptr<DiskGate> gate_;
};

TEST_F(DiskGateTest, UnstalledWritesPassThroughUnjournaled) {
  ASSERT_TRUE(run_program(dd(wal_ + "/segment", 1, true), me_, 10000).ok());
  EXPECT_EQ(read_file(wal_ + "/segment"), std::string(4096, 'a') + std::string(4096, 'b'));
  auto journal = gate_->journal();
  ASSERT_TRUE(journal.ok()) << journal.status().message();
  EXPECT_EQ(journal->writes, 0);
}

TEST_F(DiskGateTest, UndoRestoresOverwrittenBytesAndTheOldSize) {
  ASSERT_TRUE(gate_->stall().ok());
  ASSERT_TRUE(run_program(dd(wal_ + "/segment", 1, false), me_, 10000).ok());    // Overwrites.
  ASSERT_TRUE(run_program(dd(wal_ + "/segment", 2, false), me_, 10000).ok());    // Extends.
  ASSERT_TRUE(run_program(dd(dir_ + "/elsewhere", 0, false), me_, 10000).ok());  // Not WAL.
  EXPECT_EQ(read_file(wal_ + "/segment").size(), 12288u);

  auto journal = gate_->journal();
  ASSERT_TRUE(journal.ok()) << journal.status().message();
  EXPECT_EQ(journal->writes, 2);
  EXPECT_EQ(journal->bytes, 8192u);
  EXPECT_EQ(journal->files, std::vector<std::string>{"segment"});

  bool killed = false;
  auto undone = gate_->crash_and_undo([&] { killed = true; });
  ASSERT_TRUE(undone.ok()) << undone.status().message();
  EXPECT_TRUE(killed);
  EXPECT_EQ(undone->describe(), "2 WAL writes (8192 bytes) to segment");
  EXPECT_EQ(read_file(wal_ + "/segment"), std::string(8192, 'a'));
  EXPECT_EQ(read_file(dir_ + "/elsewhere"), std::string(4096, 'b'));  // Only WAL is journaled.
  EXPECT_FALSE(gate_->stalled());
  EXPECT_FALSE(fs::exists(dir_ + "/control/journal"));
}

TEST_F(DiskGateTest, StalledFdatasyncReturnsOnlyAfterTheStallIsLifted) {
  ASSERT_TRUE(gate_->stall().ok());
  auto pid = spawn(dd(wal_ + "/segment", 0, true), me_);
  ASSERT_TRUE(pid.ok()) << pid.status().message();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int status = 0;
  EXPECT_EQ(waitpid(*pid, &status, WNOHANG), 0) << "dd's fdatasync returned on a stalled disk";
  ASSERT_TRUE(gate_->lift().ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  pid_t r = 0;
  while ((r = waitpid(*pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (r == 0) {
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
  }
  ASSERT_EQ(r, *pid) << "dd still held 5 s after the stall was lifted";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Lifting keeps the writes: a live operating system flushes its page cache in the end.
  EXPECT_EQ(read_file(wal_ + "/segment"), std::string(4096, 'b') + std::string(4096, 'a'));
}

}  // namespace
}  // namespace replsim::harness
