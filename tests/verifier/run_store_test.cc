// The run store on real RocksDB: round trips, ordering, ids, the lock, and a writer
// killed with SIGKILL mid-loop leaving a store that reopens with every run whole.
#include "verifier/run_store.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace replsim {
namespace {

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/replsim-run-store-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string store_dir() const { return dir_ + "/nested/runs"; }

  static RunRecord record(const std::string& scenario, int n) {
    RunRecord r;
    r.summary.time_ms = 1764080000000 + n;
    r.summary.scenario = scenario;
    r.summary.file = "scenarios/" + scenario + ".yaml";
    r.summary.seed = static_cast<uint64_t>(n);
    r.summary.verdict = n % 2 == 0 ? RunSummary::Verdict::kAgree : RunSummary::Verdict::kDisagree;
    r.summary.passed = n % 2 == 0;
    r.scenario_text = "name: " + scenario + "\n";
    r.prediction_json = R"({"source":"simulator"})";
    r.history_json = R"({"source":"postgresql"})";
    r.verification_json = std::string(4096, 'v');  // Runs are a few kB to a few hundred kB.
    return r;
  }

  std::string dir_;
};

TEST_F(RunStoreTest, AddedRunsListInOrderAndReadBackWhole) {
  auto store = RunStore::open(store_dir());
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (int i = 0; i < 12; ++i) {
    auto id = (*store)->add(record("drill", i));
    ASSERT_TRUE(id.ok()) << id.status().message();
    EXPECT_EQ(*id, canonical_run_id(std::to_string(i + 1)));
  }
  auto runs = (*store)->list();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 12u);
  EXPECT_EQ((*runs)[0].id, "00000001");
  EXPECT_EQ((*runs)[11].id, "00000012");  // Zero padding keeps key order = run order past 9.
  EXPECT_EQ((*runs)[3].verdict, RunSummary::Verdict::kDisagree);
  auto run = (*store)->get("12");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->summary.seed, 11u);
  EXPECT_EQ(run->scenario_text, "name: drill\n");
  EXPECT_EQ(run->history_json, R"({"source":"postgresql"})");
  EXPECT_EQ(run->verification_json.size(), 4096u);
}

// A run stopped by a signal is stored and listed as interrupted, apart from an error.
TEST_F(RunStoreTest, AnInterruptedRunIsListedAsInterrupted) {
  {
    auto store = RunStore::open(store_dir());
    ASSERT_TRUE(store.ok()) << store.status().message();
    RunRecord r = record("stopped", 0);
    r.summary.verdict = RunSummary::Verdict::kInterrupted;
    r.summary.passed = false;
    ASSERT_TRUE((*store)->add(r).ok());
  }
  auto store = RunStore::open_read_only(store_dir());
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto runs = (*store)->list();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].verdict, RunSummary::Verdict::kInterrupted);
  EXPECT_FALSE((*runs)[0].passed);
}

TEST_F(RunStoreTest, ReopenedStoreKeepsRunsAndContinuesNumbering) {
  {
    auto store = RunStore::open(store_dir());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->add(record("a", 0)).ok());
  }
  auto store = RunStore::open(store_dir());
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto id = (*store)->add(record("b", 1));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "00000002");
  EXPECT_EQ((*store)->list()->size(), 2u);
}

TEST_F(RunStoreTest, UnknownAndMalformedIdsAreErrors) {
  auto store = RunStore::open(store_dir());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->get("7").status().code(), Status::Code::kNotFound);
  EXPECT_EQ((*store)->get("seven").status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(canonical_run_id("42"), "00000042");
  EXPECT_EQ(canonical_run_id("-1"), "");
}

TEST_F(RunStoreTest, SecondOpenWaitsThenReportsTheStoreInUse) {
  auto first = RunStore::open(store_dir());
  ASSERT_TRUE(first.ok());
  auto second = RunStore::open(store_dir(), /*lock_wait_ms=*/100);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status().message();
}

// Environment variables restored at the end of a test.
class SavedEnv {
 public:
  explicit SavedEnv(std::vector<std::string> names) {
    for (auto& n : names) {
      const char* v = std::getenv(n.c_str());
      saved_.emplace_back(n, v != nullptr ? std::optional<std::string>(v) : std::nullopt);
    }
  }
  ~SavedEnv() {
    for (const auto& [n, v] : saved_) v ? setenv(n.c_str(), v->c_str(), 1) : unsetenv(n.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(RunStoreTest, DefaultDirectoryIsOnePerUserPlaceNotTheWorkingDirectory) {
  SavedEnv saved({"REPLSIM_HOME", "XDG_DATA_HOME", "HOME"});
  setenv("REPLSIM_HOME", dir_.c_str(), 1);
  setenv("XDG_DATA_HOME", "/xdg", 1);
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(RunStore::default_dir(), dir_ + "/runs");
  unsetenv("REPLSIM_HOME");
  EXPECT_EQ(RunStore::default_dir(), "/xdg/replsim/runs");
  setenv("XDG_DATA_HOME", "", 1);  // Empty is unset, as the XDG specification says.
  EXPECT_EQ(RunStore::default_dir(), "/home/u/.local/share/replsim/runs");
}

// Every file of a directory tree with its size: what a reader must leave as it found it.
std::map<std::string, uintmax_t> files_of(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    out[e.path().string()] = e.is_regular_file() ? e.file_size() : 0;
  return out;
}

TEST_F(RunStoreTest, ReadingCreatesNothingAndWorksBesideAWriter) {
  {
    auto store = RunStore::open(store_dir());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE((*store)->add(record("drill", 1)).ok());
  }
  const auto before = files_of(store_dir());
  for (int i = 0; i < 3; ++i) {
    auto reader = RunStore::open_read_only(store_dir());
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    auto runs = (*reader)->list();
    ASSERT_TRUE(runs.ok());
    EXPECT_EQ(runs->size(), 1u);
    EXPECT_TRUE((*reader)->get("1").ok());
  }
  EXPECT_EQ(files_of(store_dir()), before);
  auto writer = RunStore::open(store_dir());
  ASSERT_TRUE(writer.ok());
  EXPECT_TRUE(RunStore::open_read_only(store_dir()).ok()) << "a reader takes no lock";
}

TEST_F(RunStoreTest, NoStoreYetIsNotFoundAndStaysAbsent) {
  auto missing = RunStore::open_read_only(store_dir());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(store_dir()));
}

// `runs --store ANY_DIR` must not turn a directory into a store, for reading or writing.
TEST_F(RunStoreTest, ADirectoryThatIsNotAStoreIsRefusedAndLeftAlone) {
  std::filesystem::create_directories(store_dir());
  { std::ofstream(store_dir() + "/notes.txt") << "mine\n"; }
  const auto before = files_of(store_dir());
  for (int i = 0; i < 2; ++i) {
    auto read = RunStore::open_read_only(store_dir());
    ASSERT_FALSE(read.ok());
    EXPECT_NE(read.status().message().find("is not a replsim run store"), std::string::npos);
    EXPECT_NE(read.status().message().find(store_dir()), std::string::npos);
    EXPECT_FALSE(RunStore::open(store_dir()).ok());
  }
  EXPECT_EQ(files_of(store_dir()), before);
}

// A store whose CURRENT file is gone: reads report it with the repair command and delete
// nothing, however often they are tried; writes refuse too; `repair` brings every run back.
TEST_F(RunStoreTest, ADamagedStoreIsReportedNeverWipedAndRepairBringsItBack) {
  {
    auto store = RunStore::open(store_dir());
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*store)->add(record("drill", i)).ok());
  }
  {
    auto again = RunStore::open(store_dir());  // Reopening flushes the runs into a table file.
    ASSERT_TRUE(again.ok());
  }
  std::filesystem::remove(store_dir() + "/CURRENT");
  const auto before = files_of(store_dir());
  for (int i = 0; i < 3; ++i) {
    auto read = RunStore::open_read_only(store_dir());
    ASSERT_FALSE(read.ok());
    EXPECT_NE(read.status().message().find("replsim runs repair --store " + store_dir()), std::string::npos)
        << read.status().message();
    EXPECT_FALSE(RunStore::open(store_dir()).ok());
  }
  EXPECT_EQ(files_of(store_dir()), before);
  ASSERT_TRUE(RunStore::repair(store_dir()).ok());
  auto repaired = RunStore::open_read_only(store_dir());
  ASSERT_TRUE(repaired.ok()) << repaired.status().message();
  auto runs = (*repaired)->list();
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 5u);
  auto run = (*repaired)->get("5");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->verification_json, record("drill", 4).verification_json);
}

// A replsim killed at any moment must leave a store that reopens with every run whole:
// a child writes runs as fast as it can, the parent SIGKILLs it mid-stream, reopens the
// store and reads every run back. Repeated, so the kill lands at different points.
TEST_F(RunStoreTest, WriterKilledMidStreamLeavesAReadableStore) {
  size_t runs_before = 0;
  for (int round = 0; round < 3; ++round) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(ready[0]);
      auto store = RunStore::open(store_dir());
      if (!store.ok()) _exit(3);
      for (int i = 0;; ++i) {
        if (!(*store)->add(record("kill", i)).ok()) _exit(4);
        if (i == 0 && write(ready[1], "r", 1) != 1) _exit(5);  // The first run is in: the parent may kill.
      }
    }
    close(ready[1]);
    pollfd first_run{ready[0], POLLIN, 0};
    ASSERT_EQ(poll(&first_run, 1, 20000), 1) << "the writer never wrote a run";
    close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + 40 * round));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself with " << WEXITSTATUS(status);
    auto store = RunStore::open(store_dir());
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto runs = (*store)->list();
    ASSERT_TRUE(runs.ok()) << runs.status().message();
    EXPECT_GT(runs->size(), runs_before) << "the writer wrote nothing in round " << round;
    for (size_t i = 0; i < runs->size(); ++i) {
      const RunSummary& s = (*runs)[i];
      EXPECT_EQ(s.id, canonical_run_id(std::to_string(i + 1)));  // No gaps: each run is all or nothing.
      auto run = (*store)->get(s.id);
      ASSERT_TRUE(run.ok()) << run.status().message();
      EXPECT_EQ(run->verification_json.size(), 4096u);
    }
    runs_before = runs->size();
    // The counter survived too: the next run continues after the last whole one.
    auto id = (*store)->add(record("after", 0));
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(*id, canonical_run_id(std::to_string(runs_before + 1)));
    ++runs_before;
  }
}

// A summary's verdict is stored as its word and read back as the same verdict; no other word is one.
TEST(RunSummaryTest, VerdictWordsRoundTrip) {
  for (auto v :
       {RunSummary::Verdict::kAgree, RunSummary::Verdict::kDisagree, RunSummary::Verdict::kError,
        RunSummary::Verdict::kCounterexample, RunSummary::Verdict::kIncomplete, RunSummary::Verdict::kInterrupted})
    EXPECT_EQ(parse_run_verdict(to_string(v)), v);
  EXPECT_STREQ(to_string(RunSummary::Verdict::kInterrupted), "interrupted");
  EXPECT_FALSE(parse_run_verdict("maybe").has_value());
  EXPECT_EQ(run_verdict(Verification::Verdict::kDisagree), RunSummary::Verdict::kDisagree);
}

}  // namespace
}  // namespace replsim
