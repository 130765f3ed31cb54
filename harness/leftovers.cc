#include "harness/leftovers.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "harness/subprocess.h"
#include "harness/sysv_segment.h"

namespace replsim::harness {
namespace {

namespace fs = std::filesystem;

bool is_number(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

// PIDs of the processes whose working directory is `dir` or lies inside it.
std::vector<pid_t> processes_inside(const fs::path& dir) {
  std::vector<pid_t> out;
  std::error_code ec;
  const std::string prefix = dir.string() + "/";
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (!is_number(name) || std::atol(name.c_str()) == getpid()) continue;
    std::error_code rec;
    const std::string cwd = fs::read_symlink(entry.path() / "cwd", rec).string();
    if (!rec && (cwd == dir.string() || cwd.rfind(prefix, 0) == 0)) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// SIGCONT first: a stopped process acts on SIGKILL anyway, but its parent (stopped too) could
// not reap it; then SIGKILL, and wait briefly until none is left.
int kill_all_inside(const fs::path& dir) {
  std::vector<pid_t> pids = processes_inside(dir);
  for (pid_t p : pids) kill(p, SIGCONT);
  for (pid_t p : pids) kill(p, SIGKILL);
  for (int i = 0; i < 100 && !processes_inside(dir).empty(); ++i) {
    for (pid_t p : processes_inside(dir)) kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return static_cast<int>(pids.size());
}

}  // namespace

Status record_owner(const std::string& run_dir) {
  const std::string self = std::to_string(getpid());
  std::ofstream out(run_dir + "/owner", std::ios::trunc);
  out << self << " " << process_start_time(getpid()) << "\n";
  out.close();
  if (!out) return Status::IoError(fmt::format("cannot write {}/owner", run_dir));
  return Status::Ok();
}

bool owner_alive(const std::string& run_dir) {
  std::ifstream in(run_dir + "/owner");
  std::string pid, started;
  if (!(in >> pid >> started)) {
    std::error_code ec;
    const auto age = fs::file_time_type::clock::now() - fs::last_write_time(run_dir, ec);
    return ec || age < std::chrono::minutes(10);
  }
  return is_number(pid) && pid.size() < 10 && process_start_time(static_cast<pid_t>(std::stol(pid))) == started;
}

std::vector<std::string> remove_dead_runs(const std::string& parent, uid_t owner_uid) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename();
    struct stat st = {};
    if (name.rfind("replsim-run-", 0) != 0 || lstat(entry.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != owner_uid || owner_alive(entry.path()))
      continue;
    std::string pid = "?";
    std::ifstream(entry.path() / "owner") >> pid;
    const fs::path dir = fs::canonical(entry.path(), ec);
    if (ec) continue;
    // The System V segments its killed postmasters made (harness/sysv_segment.h): read before
    // the kill, removed once nothing is attached.
    std::vector<SysvSegment> segments;
    for (const auto& node : fs::directory_iterator(dir, ec))
      if (auto seg = sysv_segment_of(node.path().string())) segments.push_back(*seg);
    const int killed = kill_all_inside(dir);
    for (const SysvSegment& seg : segments) remove_if_orphaned(seg);
    std::error_code rec;
    fs::remove_all(dir, rec);
    if (!rec)
      lines.push_back(fmt::format("removed {} left by dead replsim PID {} (killed {} processes)", dir.string(),
                                  is_number(pid) ? pid : "?", killed));
  }
  return lines;
}

}  // namespace replsim::harness
