#include "harness/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/interrupt.h"
#include "harness/sysv_segment.h"

namespace replsim::harness {

using Clock = std::chrono::steady_clock;

ServerProcess::ServerProcess(std::string postgres_binary, std::string data_dir, std::string log_path,
                             const RunAs& run_as)
    : postgres_(std::move(postgres_binary)),
      data_dir_(std::move(data_dir)),
      log_path_(std::move(log_path)),
      run_as_(run_as) {}

ServerProcess::~ServerProcess() {
  if (running()) crash();
}

Status ServerProcess::start(const std::vector<std::string>& options) {
  if (running()) return Status::Failed("server already running");
  exit_status_.reset();
  paused_ = false;
  SpawnOptions opts;
  opts.argv = {postgres_, "-D", data_dir_};
  opts.argv.insert(opts.argv.end(), options.begin(), options.end());
  opts.output_path = log_path_;
  opts.extra_env = environment_;
  std::error_code ec;
  const auto size = std::filesystem::file_size(log_path_, ec);
  log_offset_ = ec ? 0 : size;
  auto pid = spawn(opts, run_as_);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  return Status::Ok();
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    pid_ = -1;
    paused_ = false;
    return false;
  }
  return true;
}

Status ServerProcess::wait_ready(int64_t timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const std::string pidfile = data_dir_ + "/postmaster.pid";
  for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 5000)) {
    if (!running()) {
      return Status::Failed(fmt::format("postgres -D {} exited during startup; its log:\n{}", data_dir_, log_tail(25)));
    }
    std::ifstream in(pidfile);
    std::string first, line;
    std::getline(in, first);
    for (int i = 1; i < 8 && std::getline(in, line); ++i) {
    }
    const bool ours = first == std::to_string(pid_);
    if (ours && (line.rfind("ready", 0) == 0 || line.rfind("standby", 0) == 0)) return Status::Ok();
    if (interrupted()) return Status::Interrupted("interrupted");
    if (Clock::now() > deadline) {
      return Status::Timeout(
          fmt::format("postgres -D {} not ready after {} ms; its log:\n{}", data_dir_, timeout_ms, log_tail(25)));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
}

Status ServerProcess::wait_exit(int64_t timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (interrupted()) return Status::Interrupted("interrupted");
    if (Clock::now() > deadline) return Status::Timeout(fmt::format("postgres -D {} still running", data_dir_));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::Ok();
}

std::vector<std::string> ServerProcess::log_since_start(size_t max_lines) const {
  std::vector<std::string> out;
  std::ifstream in(log_path_);
  in.seekg(static_cast<std::streamoff>(log_offset_));
  std::string line;
  while (out.size() < max_lines && std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<pid_t> ServerProcess::all_pids() const {
  if (pid_ <= 0) return {};
  std::vector<pid_t> pids{pid_};
  for (pid_t p : descendants(pid_)) pids.push_back(p);
  return pids;
}

void ServerProcess::pause() {
  if (!running() || paused_) return;
  // The postmaster first, so it forks nothing new while its children are being stopped.
  kill(pid_, SIGSTOP);
  for (pid_t p : descendants(pid_)) kill(p, SIGSTOP);
  paused_ = true;
}

void ServerProcess::resume() {
  if (!running() || !paused_) return;
  for (pid_t p : descendants(pid_)) kill(p, SIGCONT);
  kill(pid_, SIGCONT);
  paused_ = false;
}

void ServerProcess::kill_tree() {
  const std::optional<SysvSegment> segment = sysv_segment_of(data_dir_, pid_);
  kill(pid_, SIGSTOP);
  std::vector<pid_t> tree = descendants(pid_);
  for (pid_t p : tree) kill(p, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_status_ = status;
  pid_ = -1;
  paused_ = false;
  // The children are reparented to us (subreaper) or to init; wait until none is alive so a
  // restart never finds the old shared memory attached. Bounded: SIGKILL is not ignorable.
  for (int i = 0; i < 2000; ++i) {
    reap_adopted(tree);
    bool any = false;
    for (pid_t p : tree) any = any || process_alive(p);
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  reap_adopted(tree);
  if (segment) remove_if_orphaned(*segment);
}

void ServerProcess::crash() {
  if (!running()) return;
  kill_tree();
}

Status ServerProcess::stop(int64_t timeout_ms) {
  if (!running()) return Status::Ok();
  if (paused_) resume();
  kill(pid_, SIGINT);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (Clock::now() > deadline || interrupted()) {
      kill_tree();
      return Status::Timeout(fmt::format("fast shutdown of {} took over {} ms; killed", data_dir_, timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

}  // namespace replsim::harness
