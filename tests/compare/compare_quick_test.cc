// Runs `replsim compare --quick --json` on a real PostgreSQL 15 cluster, as a classroom would,
// and checks the JSON's shape and that the figures make physical sense: a commit that waits
// for a standby 5 ms away is slower than one that does not; off and local never block; FIRST 1
// blocks when its sync standby is partitioned; `on` with a sync standby risks no commit.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct ProcessRun {
  int exit_code = -1;
  std::string out, err;
  double seconds = 0;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// fork + execv with stdout and stderr to files: argv only, no shell.
ProcessRun run_replsim(const std::vector<std::string>& args) {
  char dir_template[] = "/tmp/replsim-compare-test-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string out_path = dir + "/out", err_path = dir + "/err";
  std::vector<std::string> argv = {REPLSIM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  ProcessRun r;
  int status = 0;
  waitpid(pid, &status, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  rmdir(dir.c_str());
  return r;
}

const nlohmann::json* find_row(const nlohmann::json& doc, const std::string& setup, const std::string& level,
                               int latency_ms) {
  for (const auto& row : doc["rows"])
    if (row["setup"] == setup && row["level"] == level && row["latency_ms"] == latency_ms) return &row;
  return nullptr;
}

TEST(CompareQuickTest, QuickJsonRunMeasuresSyncCostAndPartitionStalls) {
  const ProcessRun r = run_replsim({"compare", "--quick", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::printf("replsim compare --quick --json took %.1f s\n", r.seconds);
  EXPECT_LT(r.seconds, 70.0) << "--quick is meant for classrooms: under a minute";
  EXPECT_NE(r.err.find("[1/"), std::string::npos) << "progress on stderr";
  const nlohmann::json doc = nlohmann::json::parse(r.out);  // One whole document: trailing data throws.
  // Measured with fsync = on by default, on a named disk.
  EXPECT_EQ(doc["fsync"], "on");
  EXPECT_NE(doc["disk"]["filesystem"], "unknown") << doc["disk"].dump();
  EXPECT_EQ(doc["disk"]["mount_point"].get<std::string>().front(), '/');
  EXPECT_NE(r.err.find("fsync = on"), std::string::npos) << r.err;
  ASSERT_TRUE(doc["rows"].is_array());
  ASSERT_GE(doc["rows"].size(), 10u);

  // Every level is measured for the async setup at both quick latencies.
  for (const char* level : {"off", "local", "remote_write", "on", "remote_apply"})
    for (int latency : {0, 5}) ASSERT_NE(find_row(doc, "async", level, latency), nullptr) << level << latency;

  for (const auto& row : doc["rows"]) {
    const auto& m = row["measured"];
    EXPECT_GT(m["commits"].get<int64_t>(), 0) << row.dump();
    EXPECT_GT(m["tps"].get<double>(), 0) << row.dump();
    const auto& c = m["commit_ms"];
    EXPECT_LE(c["p50"].get<double>(), c["p95"].get<double>());
    EXPECT_LE(c["p95"].get<double>(), c["p99"].get<double>());
    EXPECT_GE(row["predicted"]["loss_window_ms"].get<double>(), 0);
    const std::string level = row["level"];
    if ((level == "off" || level == "local") && !m["partition"].is_null()) {
      EXPECT_FALSE(m["partition"]["blocked"].get<bool>()) << "off/local never wait for a standby: " << row.dump();
    }
    if (row["setup"] == "async" && !m["partition"].is_null()) {
      EXPECT_FALSE(m["partition"]["blocked"].get<bool>()) << row.dump();
    }
  }

  // A remote_apply commit waits a round trip to the sync standby 5 ms away each way.
  const auto* async_on = find_row(doc, "async", "on", 5);
  const auto* apply = find_row(doc, "first1", "remote_apply", 5);
  ASSERT_NE(async_on, nullptr);
  ASSERT_NE(apply, nullptr);
  EXPECT_LT((*async_on)["measured"]["commit_ms"]["p50"].get<double>(),
            (*apply)["measured"]["commit_ms"]["p50"].get<double>());
  EXPECT_GE((*apply)["measured"]["commit_ms"]["p50"].get<double>(), 9.0);

  // FIRST 1 (s1, s2) with s1 partitioned: commits stall (until s2 takes over or the heal).
  const auto* first_on = find_row(doc, "first1", "on", 0);
  ASSERT_NE(first_on, nullptr);
  ASSERT_FALSE((*first_on)["measured"]["partition"].is_null());
  EXPECT_TRUE((*first_on)["measured"]["partition"]["blocked"].get<bool>()) << first_on->dump();
  EXPECT_TRUE((*first_on)["predicted"]["blocks_under_partition"].get<bool>());

  // `on` with a synchronous standby: no acknowledged commit is at risk.
  for (int latency : {0, 5}) {
    const auto* row = find_row(doc, "first1", "on", latency);
    ASSERT_NE(row, nullptr);
    EXPECT_EQ((*row)["predicted"]["loss_window_ms"].get<double>(), 0.0);
    EXPECT_EQ((*row)["predicted"]["transactions_at_risk"].get<double>(), 0.0);
  }
}

// --fsync off is a labelled option: the servers run with it, and the table says so.
TEST(CompareQuickTest, FsyncOffIsMeasuredAndSaid) {
  const ProcessRun r = run_replsim({"compare", "--fsync", "off", "--setups", "async", "--levels", "local",
                                    "--latencies", "0", "--clients", "1", "--duration", "0.3", "--partition", "0.3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("; fsync = off (--fsync off:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\ndisk: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("local"), std::string::npos) << r.out;
}

TEST(CompareQuickTest, UnknownLevelSetupOrLatencyIsBadInput) {
  EXPECT_EQ(run_replsim({"compare", "--levels", "on,sometimes"}).exit_code, 2);
  EXPECT_EQ(run_replsim({"compare", "--setups", "first2"}).exit_code, 2);
  EXPECT_EQ(run_replsim({"compare", "--latencies", "0,-5"}).exit_code, 2);
  EXPECT_EQ(run_replsim({"compare", "--latencies", "fast"}).exit_code, 2);
  EXPECT_EQ(run_replsim({"compare", "--fsync", "sometimes"}).exit_code, 2);
}

}  // namespace
