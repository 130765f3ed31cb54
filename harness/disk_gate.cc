#include "harness/disk_gate.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harness/disk_gate/disk_gate_journal.h"

namespace replsim::harness {

namespace {

// A journal is the WAL written while stalled; a scenario writes kilobytes. Anything near this
// is not a journal the harness should load into memory.
constexpr uint64_t kJournalBytesMax = 1ull << 30;
constexpr int64_t kLockTimeoutMs = 5000;

// WAL file names are PostgreSQL's own ([0-9A-F]{24}, .partial, .history, xlogtemp.N,
// RECOVERYXLOG): the journal is writable by the server user, so a path is accepted only as one
// such plain name directly in pg_wal, opened without following symlinks.
bool plain_file_name(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; });
}

struct Record {
  DiskGateRecord header;
  std::string name;   // The file name within pg_wal.
  size_t old_at = 0;  // Where the old bytes start in the journal text.
};

Result<std::vector<Record>> parse_journal(const std::string& text, const std::string& wal_dir) {
  std::vector<Record> out;
  const std::string prefix = wal_dir + "/";
  for (size_t at = 0; at < text.size();) {
    Record r;
    if (text.size() - at < sizeof r.header) {
      return Status::Corruption(fmt::format("disk gate journal: a record header cut short at byte {}", at));
    }
    std::memcpy(&r.header, text.data() + at, sizeof r.header);
    const DiskGateRecord& h = r.header;
    const uint64_t rest = text.size() - at - sizeof h;
    if (h.magic != DISK_GATE_RECORD_MAGIC || h.path_length > DISK_GATE_MAX_PATH || h.old_length > h.length ||
        h.length > DISK_GATE_CHUNK_BYTES || h.path_length + h.old_length > rest) {
      return Status::Corruption(fmt::format("disk gate journal: bad record at byte {}", at));
    }
    const std::string path = text.substr(at + sizeof h, h.path_length);
    r.name = path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : "";
    if (!plain_file_name(r.name)) {
      return Status::Corruption(
          fmt::format("disk gate journal: record at byte {} names {}, not a file in {}", at, path, wal_dir));
    }
    r.old_at = at + sizeof h + h.path_length;
    at = r.old_at + h.old_length;
    out.push_back(std::move(r));
  }
  return out;
}

void note_file(std::vector<std::string>& files, const std::string& name) {
  if (std::find(files.begin(), files.end(), name) == files.end()) files.push_back(name);
}

Status write_all(int fd, const char* data, size_t size, uint64_t offset, const std::string& name) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IoError(fmt::format("undo of {}: pwrite: {}", name, strerror(errno)));
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string DiskJournalSummary::describe() const {
  if (writes == 0) return "no WAL write";
  std::string out = fmt::format("{} WAL write{} ({} bytes) to {}", writes, writes == 1 ? "" : "s", bytes,
                                fmt::join(files, ", "));
  if (!missing.empty()) out += fmt::format(" ({} gone since, not undone)", fmt::join(missing, ", "));
  return out;
}

DiskGate::DiskGate(std::string control_dir, std::string wal_dir, std::string library, const RunAs& run_as)
    : control_dir_(std::move(control_dir)),
      wal_dir_(std::move(wal_dir)),
      library_(std::move(library)),
      run_as_(run_as) {}

Result<std::unique_ptr<DiskGate>> DiskGate::create(const std::string& control_dir, const std::string& wal_dir,
                                                   const std::string& library, const RunAs& run_as) {
  if (control_dir.empty() || control_dir[0] != '/' || wal_dir.empty() || wal_dir[0] != '/') {
    return Status::InvalidInput("disk gate: control and WAL directories must be absolute paths");
  }
  std::unique_ptr<DiskGate> g(new DiskGate(control_dir, wal_dir, library, run_as));
  if (mkdir(control_dir.c_str(), 0700) != 0) {
    return Status::IoError(fmt::format("mkdir {}: {}", control_dir, strerror(errno)));
  }
  if (run_as.switch_user && chown(control_dir.c_str(), run_as.uid, run_as.gid) != 0) {
    return Status::IoError(fmt::format("chown {}: {}", control_dir, strerror(errno)));
  }
  // The gate opens the lock file read-write as the server user; the harness never removes it,
  // so every process locks the same file.
  const std::string lock_path = g->path(DISK_GATE_LOCK_FILE);
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(fmt::format("create {}: {}", lock_path, strerror(errno)));
  const bool owned = !run_as.switch_user || fchown(fd, run_as.uid, run_as.gid) == 0;
  close(fd);
  if (!owned) return Status::IoError(fmt::format("chown {}: {}", lock_path, strerror(errno)));
  return g;
}

std::string DiskGate::path(const char* file) const { return control_dir_ + "/" + file; }

std::vector<std::string> DiskGate::environment() const {
  return {"LD_PRELOAD=" + library_, std::string(DISK_GATE_ENV_DIR) + "=" + control_dir_,
          std::string(DISK_GATE_ENV_WAL) + "=" + wal_dir_};
}

bool DiskGate::stalled() const { return access(path(DISK_GATE_STALL_FILE).c_str(), F_OK) == 0; }

Status DiskGate::stall() {
  const std::string stall_path = path(DISK_GATE_STALL_FILE);
  int fd = open(stall_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::IoError(fmt::format("create {}: {}", stall_path, strerror(errno)));
  close(fd);
  return Status::Ok();
}

Result<int> DiskGate::lock(int64_t timeout_ms) const {
  const std::string lock_path = path(DISK_GATE_LOCK_FILE);
  int fd = open(lock_path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::IoError(fmt::format("open {}: {}", lock_path, strerror(errno)));
  // A gated process holds the lock only while it journals one write and does it (page cache,
  // microseconds): a lock still held after seconds means something is wrong; say so.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      Status s = Status::IoError(fmt::format("flock {}: {}", lock_path, strerror(errno)));
      close(fd);
      return s;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      close(fd);
      return Status::Timeout(fmt::format("disk gate lock {} still held after {} ms", lock_path, timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return fd;
}

Status DiskGate::remove_control_files() const {
  for (const char* file : {DISK_GATE_STALL_FILE, DISK_GATE_JOURNAL_FILE}) {
    const std::string p = path(file);
    if (unlink(p.c_str()) != 0 && errno != ENOENT)
      return Status::IoError(fmt::format("unlink {}: {}", p, strerror(errno)));
  }
  return Status::Ok();
}

Status DiskGate::lift() {
  auto fd = lock(kLockTimeoutMs);
  if (!fd.ok()) return fd.status();
  // Under the lock: no process is between journaling a write and doing it, and none journals
  // again once the stall file is gone (the gate checks it again after taking the lock).
  Status s = remove_control_files();
  close(*fd);
  return s;
}

Result<std::string> DiskGate::read_journal() const {
  const std::string p = path(DISK_GATE_JOURNAL_FILE);
  struct stat st = {};
  if (lstat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::string();
    return Status::IoError(fmt::format("stat {}: {}", p, strerror(errno)));
  }
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > kJournalBytesMax) {
    return Status::Corruption(fmt::format("{} is not a journal the harness wrote ({} bytes)", p, st.st_size));
  }
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Status::IoError(fmt::format("cannot read {}", p));
  return text.str();
}

Result<DiskJournalSummary> DiskGate::journal() const {
  auto fd = lock(kLockTimeoutMs);  // A consistent view: no record half-appended.
  if (!fd.ok()) return fd.status();
  auto text = read_journal();
  close(*fd);
  if (!text.ok()) return text.status();
  auto records = parse_journal(*text, wal_dir_);
  if (!records.ok()) return records.status();
  DiskJournalSummary out;
  for (const Record& r : *records) {
    ++out.writes;
    out.bytes += r.header.length;
    note_file(out.files, r.name);
  }
  return out;
}

Result<DiskJournalSummary> DiskGate::crash_and_undo(const std::function<void()>& kill) {
  auto lock_fd = lock(kLockTimeoutMs);
  if (!lock_fd.ok()) return lock_fd.status();
  // With the lock held, every gated process is either outside the gate, blocked on the lock
  // (it dies there, its write never done) or held in a sync: the journal is complete.
  kill();
  DiskJournalSummary out;
  Status status = Status::Ok();
  auto text = read_journal();
  auto records = text.ok() ? parse_journal(*text, wal_dir_) : Result<std::vector<Record>>(text.status());
  int dir_fd = -1;
  if (records.ok()) {
    dir_fd = open(wal_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0) status = Status::IoError(fmt::format("open {}: {}", wal_dir_, strerror(errno)));
  } else {
    status = records.status();
  }
  std::map<std::string, int> files;  // Open descriptors by file name; -1 = gone.
  // Newest first: each record restores what its write overwrote, so undoing them backwards
  // walks the files back to their state when the stall began.
  for (size_t i = records.ok() && status.ok() ? records->size() : 0; i > 0 && status.ok(); --i) {
    const Record& r = (*records)[i - 1];
    ++out.writes;
    out.bytes += r.header.length;
    note_file(out.files, r.name);
    auto [it, fresh] = files.emplace(r.name, -1);
    if (fresh) {
      it->second = openat(dir_fd, r.name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (it->second < 0 && errno != ENOENT) {
        status = Status::IoError(fmt::format("undo: open {}/{}: {}", wal_dir_, r.name, strerror(errno)));
        break;
      }
    }
    if (it->second < 0) {
      note_file(out.missing, r.name);  // Renamed or removed since: nothing left to restore.
      continue;
    }
    status = write_all(it->second, text->data() + r.old_at, r.header.old_length, r.header.offset, r.name);
    if (status.ok() && r.header.offset + r.header.length > r.header.old_size &&
        ftruncate(it->second, static_cast<off_t>(r.header.old_size)) != 0) {
      status = Status::IoError(fmt::format("undo of {}: ftruncate: {}", r.name, strerror(errno)));
    }
  }
  for (auto& [name, fd] : files)
    if (fd >= 0) close(fd);
  if (dir_fd >= 0) close(dir_fd);
  // Collected newest first; listed in write order.
  std::reverse(out.files.begin(), out.files.end());
  // Lifted even when the undo failed: a stall left behind would hang the node's next start.
  Status removed = remove_control_files();
  if (status.ok()) status = removed;
  close(*lock_fd);
  if (!status.ok()) return status;
  return out;
}

}  // namespace replsim::harness
