// An interrupted `replsim verify` exits 128 + the signal (130 for SIGINT, 143 for SIGTERM) and
// records its run as "interrupted" (not "error"), which `replsim runs --json` shows. The test
// starts the built binary on a scenario with a long `wait`, waits until the real cluster is up
// and the wait has begun (its progress line), signals it, and reads the store back.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace replsim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLongWait = R"yaml(
name: interrupted-verify
cluster:
  primary: primary
  standbys: [replica]
steps:
  - insert: alice
    table: customers
    values: {firstName: Alice, lastName: Smith}
  - wait: 60s
)yaml";

struct Signalled {
  int status = -1;
  bool signalled = false;
  std::string output;  // stderr (progress) and stdout of the verify run.
};

// Runs `replsim verify FILE --store STORE`, sends `sig` once the `wait` step's progress line
// appears (the cluster is up and the run sits in its 60 s wait), and waits for it to exit.
Signalled verify_and_signal(const std::string& file, const std::string& store, int sig) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    execl(REPLSIM_BINARY, REPLSIM_BINARY, "verify", file.c_str(), "--store", store.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  Signalled run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    struct pollfd p = {fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // The child closed its output: it exited.
      run.output.append(buf, static_cast<size_t>(n));
    }
    if (!run.signalled && run.output.find("step 1:") != std::string::npos) {
      kill(child, sig);
      run.signalled = true;
    }
  }
  close(fds[0]);
  if (!run.signalled) kill(child, SIGKILL);
  waitpid(child, &run.status, 0);
  return run;
}

std::string capture(const std::string& command) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  pclose(f);
  return out;
}

void expect_interrupted(int sig, int expected_exit) {
  char pattern[] = "/tmp/replsim-verify-interrupt-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  const std::string file = (dir / "long-wait.yaml").string();
  std::ofstream(file) << kLongWait;
  const std::string store = (dir / "runs").string();

  const Signalled run = verify_and_signal(file, store, sig);
  ASSERT_TRUE(run.signalled) << "the wait step never started:\n" << run.output;
  ASSERT_TRUE(WIFEXITED(run.status)) << run.output;
  EXPECT_EQ(WEXITSTATUS(run.status), expected_exit) << run.output;
  EXPECT_NE(run.output.find("interrupted-verify: interrupted (FAIL)"), std::string::npos) << run.output;

  const std::string listed = capture(std::string(REPLSIM_BINARY) + " runs --json --store " + store);
  const auto runs = nlohmann::json::parse(listed, nullptr, false);
  ASSERT_TRUE(runs.is_array()) << listed;
  ASSERT_EQ(runs.size(), 1u) << listed;
  EXPECT_EQ(runs[0].value("verdict", ""), "interrupted") << listed;
  EXPECT_EQ(runs[0].value("scenario", ""), "interrupted-verify") << listed;
  EXPECT_FALSE(runs[0].value("passed", true)) << listed;
  // The text listing says so too.
  EXPECT_NE(capture(std::string(REPLSIM_BINARY) + " runs --store " + store).find("interrupted"), std::string::npos);
  fs::remove_all(dir);
}

TEST(VerifyInterruptTest, SigintExits130AndRecordsTheRunAsInterrupted) { expect_interrupted(SIGINT, 130); }

TEST(VerifyInterruptTest, SigtermExits143AndRecordsTheRunAsInterrupted) { expect_interrupted(SIGTERM, 143); }

}  // namespace
}  // namespace replsim
