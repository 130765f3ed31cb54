#include "harness/cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "harness/interrupt.h"
#include "harness/leftovers.h"
#include "harness/pg_binaries.h"
#include "vocab/assert.h"

namespace replsim::harness {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kCopyBinary = "/bin/cp";

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// A path that will be pasted into archive_command/restore_command (run by /bin/sh):
// the harness chose it, but check it holds nothing a shell would interpret.
bool shell_safe_path(const std::string& path) {
  for (char c : path) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' || c == '.')) return false;
  }
  return !path.empty();
}

std::string size_mb(uint64_t bytes) { return fmt::format("{}MB", (bytes + (1 << 20) - 1) >> 20); }

}  // namespace

Result<std::string> conf_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidInput("configuration value holds a control character");
    }
    if (c == '\'') out += "''";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out + "'";
}

Cluster::Cluster(const HarnessOptions& options, const ClusterSpec& spec, RunAs run_as)
    : options_(options), spec_(spec), run_as_(std::move(run_as)) {}

void Cluster::progress(const std::string& line) const {
  if (options_.progress) options_.progress(line);
}

Result<std::unique_ptr<Cluster>> Cluster::create(const HarnessOptions& options, const ClusterSpec& spec) {
  auto run_as = RunAs::resolve(options.server_user);
  if (!run_as.ok()) return run_as.status();
  std::unique_ptr<Cluster> c(new Cluster(options, spec, *run_as));
  c->bindir_ = resolve_pg_bindir(options.bindir);
  if (Status s = check_pg_binaries(c->bindir_); !s.ok()) return s;
  const std::string parent = options.work_parent.empty() ? env_or("TMPDIR", "/tmp") : options.work_parent;
  std::string pattern = parent + "/replsim-run-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::IoError(fmt::format("cannot create a directory in {}: {}", parent, strerror(errno)));
  }
  c->dir_ = pattern;  // From here on the destructor removes it.
  if (run_as->switch_user && chown(c->dir_.c_str(), run_as->uid, run_as->gid) != 0) {
    return Status::IoError(fmt::format("chown {}: {}", c->dir_, strerror(errno)));
  }
  if (Status s = record_owner(c->dir_); !s.ok()) return s;
  // What runs killed earlier left behind (their servers, maybe stopped; their directories).
  for (const std::string& line : remove_dead_runs(parent, run_as->uid))
    std::fprintf(stderr, "replsim: %s\n", line.c_str());
  c->sock_dir_ = c->dir_ + "/sock";
  c->archive_dir_ = c->dir_ + "/archive";
  c->backup_dir_ = c->dir_ + "/backups";
  c->copies_dir_ = c->dir_ + "/copies";
  c->log_dir_ = c->dir_ + "/logs";
  for (const auto& d : {c->sock_dir_, c->archive_dir_, c->backup_dir_, c->copies_dir_, c->log_dir_}) {
    if (Status s = c->make_dir(d); !s.ok()) return s;
  }
  if (!shell_safe_path(c->archive_dir_)) {
    return Status::InvalidInput(
        fmt::format("run directory {} holds characters unsafe in archive_command; "
                    "choose another --work-dir",
                    c->dir_));
  }
  if (Status s = c->write_passfile(); !s.ok()) return s;
  if (Status s = c->ensure_template(); !s.ok()) return s;
  if (options.disk_faults) {
    if (Status s = c->setup_disk_gate(); !s.ok()) return s;
  }
  c->proxy_ = std::make_unique<FaultProxy>();
  become_subreaper();
  c->progress(fmt::format("run directory {}", c->dir_));
  return c;
}

Cluster::~Cluster() {
  for (auto& n : nodes_) {
    // Lifted first: a clean shutdown of a stalled server would hang on its shutdown checkpoint.
    if (n->disk_gate) (void)n->disk_gate->lift();
    if (n->server && n->server->running()) {
      if (options_.keep) (void)n->server->stop(2000);
      else n->server->crash();
    }
    n->server.reset();
  }
  proxy_.reset();
  // A broken archive is read-only: as an ordinary user nothing in it could be removed.
  if (archive_broken_) (void)repair_archive();
  if (!dir_.empty() && !options_.keep) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  } else if (!dir_.empty()) {
    progress(fmt::format("kept {}", dir_));
  }
}

Status Cluster::make_dir(const std::string& path) const {
  if (mkdir(path.c_str(), 0700) != 0) return Status::IoError(fmt::format("mkdir {}: {}", path, strerror(errno)));
  if (run_as_.switch_user && chown(path.c_str(), run_as_.uid, run_as_.gid) != 0) {
    return Status::IoError(fmt::format("chown {}: {}", path, strerror(errno)));
  }
  return Status::Ok();
}

Status Cluster::copy_tree(const std::string& from, const std::string& to) const {
  SpawnOptions o;
  o.argv = {kCopyBinary, "-a", from, to};
  o.output_path = log_dir_ + "/copy.log";
  return run_program(o, run_as_, 60000);
}

Status Cluster::ensure_template() {
  SpawnOptions v;
  v.argv = {bindir_ + "/postgres", "-V"};
  v.output_path = log_dir_ + "/version.txt";
  if (Status s = run_program(v, run_as_, 10000); !s.ok()) {
    return Status::Failed(fmt::format("{}/postgres -V failed: {}", bindir_, s.message()));
  }
  std::ifstream in(v.output_path);
  std::string word;
  while (in >> word) version_ = word;  // "postgres (PostgreSQL) 15.18" or "... 15.18 (Debian ...)".
  std::ifstream again(v.output_path);
  std::string line;
  std::getline(again, line);
  if (auto p = line.find(") "); p != std::string::npos) version_ = line.substr(p + 2, line.find(' ', p + 2) - p - 2);
  if (version_.rfind("15", 0) != 0) {
    return Status::InvalidInput(fmt::format("{}/postgres is '{}', expected PostgreSQL 15", bindir_, line));
  }
  // The cache does not follow work_parent: every run of this user and version shares it.
  const std::string parent = env_or("TMPDIR", "/tmp");
  template_ = !options_.template_dir.empty() ? options_.template_dir
                                             : fmt::format("{}/replsim-template-{}-{}-{}-scram", parent, run_as_.uid,
                                                           version_, size_mb(spec_.wal_segment_size));
  struct stat st = {};
  if (stat(template_.c_str(), &st) == 0) {
    // A template someone else could write to would be copied into every cluster: refuse it.
    if (st.st_uid != run_as_.uid || (st.st_mode & 0077) != 0 || !fs::exists(template_ + "/PG_VERSION")) {
      return Status::InvalidInput(
          fmt::format("template {} is not a private initdb directory of {}; remove it", template_, run_as_.user));
    }
    return Status::Ok();
  }
  // Built under a temporary name, then renamed: concurrent runs never see half a template.
  const auto start = Clock::now();
  std::string build = template_ + ".build-XXXXXX";
  if (mkdtemp(build.data()) == nullptr) return Status::IoError(fmt::format("mkdtemp {}: {}", build, strerror(errno)));
  if (run_as_.switch_user && chown(build.c_str(), run_as_.uid, run_as_.gid) != 0) {
    fs::remove_all(build);
    return Status::IoError(fmt::format("chown {}: {}", build, strerror(errno)));
  }
  SpawnOptions o;
  o.argv = {bindir_ + "/initdb", "-D", build + "/data", "-U", "postgres",
            // Unix sockets (only in the run's private 0700 directory) trust the OS user; TCP,
            // which any local user can reach, needs the run's password (docs/harness.md, "Security").
            "--auth-local=trust", "--auth-host=scram-sha-256", "-N", "-E", "UTF8", "--locale=C",
            fmt::format("--wal-segsize={}", spec_.wal_segment_size >> 20)};
  o.output_path = log_dir_ + "/initdb.log";
  Status s = run_program(o, run_as_, 120000);
  if (s.ok()) s = slim_template(build);
  if (s.ok() && rename((build + "/data").c_str(), template_.c_str()) != 0 && !fs::exists(template_ + "/PG_VERSION")) {
    s = Status::IoError(fmt::format("rename to {}: {}", template_, strerror(errno)));
  }
  std::error_code ec;
  fs::remove_all(build, ec);
  template_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
  if (s.ok()) progress(fmt::format("initdb template {} built in {:.3f} s", template_, template_seconds_));
  return s;
}

// Drops template0 and template1 (scenarios use only the postgres database) and lets a
// checkpoint recycle WAL down to min_wal_size: the template shrinks from ~28 MB to ~10 MB,
// and every copy and base backup of it is that much cheaper.
Status Cluster::slim_template(const std::string& build) {
  const std::string data = build + "/data";
  {
    std::ofstream conf(data + "/postgresql.conf", std::ios::app);
    conf << fmt::format("\n# replsim template\nmin_wal_size = '{}'\n", size_mb(2 * spec_.wal_segment_size));
  }
  // Unix socket only (listen_addresses ''), in the private build directory: no port to find.
  ServerProcess server(bindir_ + "/postgres", data, build + "/template.log", run_as_);
  if (Status s = server.start({"-c", "listen_addresses=", "-c", "unix_socket_directories=" + build, "-c", "fsync=off"});
      !s.ok()) {
    return s;
  }
  if (Status s = server.wait_ready(options_.ready_timeout_ms); !s.ok()) return s;
  auto conn = PgConnection::connect(ConnTarget{build, 5432}, 5000);
  if (!conn.ok()) return conn.status();
  for (const char* sql : {"ALTER DATABASE template0 IS_TEMPLATE false", "ALTER DATABASE template1 IS_TEMPLATE false",
                          "DROP DATABASE template0", "DROP DATABASE template1", "CHECKPOINT", "CHECKPOINT"}) {
    if (Status s = (*conn)->exec(sql, {}, 30000).status(); !s.ok()) {
      return Status::Failed(fmt::format("preparing the template ({}): {}", sql, s.message()));
    }
  }
  conn->reset();
  return server.stop(options_.stop_timeout_ms);
}

// Ports the kernel hands to outgoing connections (ip_local_port_range) are no good for a server:
// between the bind test and the server's own bind, any connect() on the machine may take the port
// (seen in CI: "could not bind IPv4 address ... Address already in use"). Servers get a port below
// that range, which only an explicit bind can take; the bind test skips ports in use.
Result<uint16_t> Cluster::pick_port(int index) const {
  if (options_.base_port != 0) return static_cast<uint16_t>(options_.base_port + index);
  int ephemeral_low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> ephemeral_low;
  const int low = 10000, high = std::max(low + 1000, ephemeral_low);
  std::mt19937 pick(static_cast<uint32_t>(getpid()) * 2654435761u + static_cast<uint32_t>(index) +
                    static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<uint16_t>(low + static_cast<int>(pick() % static_cast<uint32_t>(high - low)));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::IoError("socket");
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (free) return port;
  }
  return Status::IoError(fmt::format("no free port on 127.0.0.1 in {}-{}", low, high - 1));
}

ClusterNode* Cluster::node(const std::string& name) {
  for (auto& n : nodes_)
    if (n->name == name) return n.get();
  return nullptr;
}

std::vector<ClusterNode*> Cluster::nodes() {
  std::vector<ClusterNode*> out;
  for (auto& n : nodes_) out.push_back(n.get());
  return out;
}

ConnTarget Cluster::target(const ClusterNode& node) const { return ConnTarget{sock_dir_, node.port}; }

Result<std::unique_ptr<PgConnection>> Cluster::connect(const ClusterNode& node, int64_t timeout_ms) const {
  return PgConnection::connect(target(node), timeout_ms);
}

std::vector<pid_t> Cluster::all_pids() const {
  std::vector<pid_t> out;
  for (const auto& n : nodes_)
    if (n->server)
      for (pid_t p : n->server->all_pids()) out.push_back(p);
  return out;
}

Result<ClusterNode*> Cluster::new_node(const std::string& name) {
  auto n = std::make_unique<ClusterNode>();
  n->name = name;
  n->index = static_cast<int>(nodes_.size());
  n->data_dir = fmt::format("{}/node-{}", dir_, n->index);
  n->log_path = fmt::format("{}/node-{}.log", log_dir_, n->index);
  n->server = std::make_unique<ServerProcess>(bindir_ + "/postgres", n->data_dir, n->log_path, run_as_);
  if (!disk_gate_library_.empty()) {
    // The WAL path as the gate will see it through /proc/self/fd: under the canonical run directory.
    auto gate = DiskGate::create(fmt::format("{}/disk-gate/node-{}", dir_, n->index),
                                 fmt::format("{}/node-{}/pg_wal", canonical_dir_, n->index), disk_gate_library_,
                                 run_as_);
    if (!gate.ok()) return gate.status();
    n->disk_gate = std::move(*gate);
    n->server->set_environment(n->disk_gate->environment());
  }
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

// The run gets its own copy of the gate, in its private directory: the server user must be able
// to map it, and the build tree may be unreadable to that user.
Status Cluster::setup_disk_gate() {
  const std::string source = !options_.disk_gate_library.empty()
                                 ? options_.disk_gate_library
                                 : env_or("REPLSIM_DISK_GATE_LIBRARY", REPLSIM_DISK_GATE_LIBRARY);
  if (access(source.c_str(), R_OK) != 0) {
    return Status::NotFound(
        fmt::format("disk gate library {} not readable ({}); build target replsim_disk_gate or "
                    "set REPLSIM_DISK_GATE_LIBRARY",
                    source, strerror(errno)));
  }
  std::error_code ec;
  canonical_dir_ = fs::canonical(dir_, ec).string();
  if (ec) return Status::IoError(fmt::format("realpath {}: {}", dir_, ec.message()));
  // LD_PRELOAD splits its value at spaces and colons.
  if (!shell_safe_path(canonical_dir_)) {
    return Status::InvalidInput(
        fmt::format("run directory {} holds characters LD_PRELOAD cannot carry; choose "
                    "another --work-dir",
                    canonical_dir_));
  }
  if (Status s = make_dir(dir_ + "/disk-gate"); !s.ok()) return s;
  const std::string copy = canonical_dir_ + "/disk-gate/replsim_disk_gate.so";
  fs::copy_file(source, copy, ec);
  if (ec) return Status::IoError(fmt::format("copy {} to {}: {}", source, copy, ec.message()));
  if (chmod(copy.c_str(), 0500) != 0 || (run_as_.switch_user && chown(copy.c_str(), run_as_.uid, run_as_.gid) != 0)) {
    return Status::IoError(fmt::format("chmod/chown {}: {}", copy, strerror(errno)));
  }
  disk_gate_library_ = copy;
  return Status::Ok();
}

// ld.so only warns when a preload cannot be mapped (a noexec file system, say) and runs the
// server without it: the stall would then silently do nothing. The postmaster's maps tell.
Status Cluster::check_disk_gate_loaded(const ClusterNode& node) const {
  if (!node.disk_gate) return Status::Ok();
  std::ifstream maps(fmt::format("/proc/{}/maps", node.server->pid()));
  std::string line;
  while (std::getline(maps, line))
    if (line.find(disk_gate_library_) != std::string::npos) return Status::Ok();
  return Status::Failed(fmt::format("{}: the disk gate {} is not loaded in postgres (pid {}); its log:\n{}", node.name,
                                    disk_gate_library_, node.server->pid(), node.server->log_tail(10)));
}

Status Cluster::append_conf(const ClusterNode& node,
                            const std::vector<std::pair<std::string, std::string>>& settings) const {
  std::string text = "\n# Added by the replsim harness (the last setting wins).\n";
  for (const auto& [key, value] : settings) {
    auto quoted = conf_quote(value);
    if (!quoted.ok()) return Status::InvalidInput(fmt::format("{}: {}", key, quoted.status().message()));
    text += fmt::format("{} = {}\n", key, *quoted);
  }
  std::ofstream out(node.data_dir + "/postgresql.conf", std::ios::app);
  out << text;
  out.close();
  if (!out) return Status::IoError(fmt::format("cannot write {}/postgresql.conf", node.data_dir));
  return Status::Ok();
}

Status Cluster::change_settings(const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& settings) {
  const ClusterNode* n = node(name);
  if (n == nullptr) return Status::InvalidInput(fmt::format("no node '{}'", name));
  return append_conf(*n, settings);
}

Status Cluster::start_and_wait(ClusterNode& node) {
  const auto t0 = Clock::now();
  if (Status s = node.server->start(); !s.ok()) return s;
  Status s = node.server->wait_ready(options_.ready_timeout_ms);
  if (!s.ok()) return s;
  if (Status g = check_disk_gate_loaded(node); !g.ok()) return g;
  progress(fmt::format("{}: started, pid {}, port {}, {:.3f} s", node.name, node.server->pid(), node.port,
                       std::chrono::duration<double>(Clock::now() - t0).count()));
  return Status::Ok();
}

Status Cluster::init_primary(const std::string& name) {
  auto made = new_node(name);
  if (!made.ok()) return made.status();
  ClusterNode& n = **made;
  auto port = pick_port(n.index);
  if (!port.ok()) return port.status();
  n.port = *port;
  if (Status s = copy_tree(template_, n.data_dir); !s.ok()) return s;
  std::vector<std::pair<std::string, std::string>> conf = {
      {"listen_addresses", "127.0.0.1"},
      {"port", std::to_string(n.port)},
      {"unix_socket_directories", sock_dir_},
      {"cluster_name", name},
      {"track_commit_timestamp", "on"},
      {"wal_level", "replica"},
      // Only an operating-system crash loses what fsync would have kept; a process crash keeps
      // the page cache, so crash recovery behaves the same either way (docs/postgresql-notes.md,
      // "fsync and process crashes"), and commits are twice as fast. With disk faults the
      // syncs are what the gate holds, so they must happen: fsync = off makes
      // issue_xlog_fsync return without calling fdatasync.
      // HarnessOptions::fsync asks for fsync = on (`replsim compare`'s measurements).
      {"fsync", options_.disk_faults || options_.fsync.value_or(false) ? "on" : "off"},
      // Data files change only at checkpoints, as the simulator's naive-copy model assumes (a
      // data file holds what the last checkpoint wrote; docs/harness.md "Data files and
      // checkpoints"): the background writer writes nothing, no checkpoint is timed or forced
      // by WAL volume during a scenario, and shared_buffers holds every relation of the database
      // at once, so no backend ever evicts a dirty page (test DataFilesChangeOnlyAtCheckpoints):
      // every relation of the database, catalogs included, is ~8 MB; 32 MB leaves room.
      {"bgwriter_lru_maxpages", "0"},
      // Dynamic shared memory as files in the data directory (pg_dynshmem), not in /dev/shm: a
      // killed postmaster cannot remove its segments, and files in /dev/shm outlive the run
      // (dsm_impl.c; 20.4.1 "Memory"). In the data directory they go with the run's directory.
      {"dynamic_shared_memory_type", "mmap"},
      {"checkpoint_timeout", "1d"},
      {"max_wal_size", "4GB"},
      {"shared_buffers", "32MB"},
      {"max_connections", "50"},
      {"max_wal_senders", "10"},
      {"max_replication_slots", "10"},
      // No background writes: LSNs and lag measures depend only on the scenario.
      {"autovacuum", "off"},
      // See docs/harness.md "Timeouts": fast reconnects after heal, stale links noticed in 2 s.
      {"wal_retrieve_retry_interval", "100ms"},
      {"wal_receiver_timeout", "2s"},
      {"wal_sender_timeout", "2s"},
      {"wal_receiver_status_interval", "1s"},
      {"synchronous_commit", to_string(spec_.synchronous_commit)},
      {"synchronous_standby_names", spec_.synchronous_standby_names},
      // In bytes, as the scenario gave them: PostgreSQL rounds to its MB unit itself.
      {"wal_keep_size", fmt::format("{}B", spec_.wal_keep_size)},
      {"max_slot_wal_keep_size",
       spec_.max_slot_wal_keep_size < 0 ? "-1" : fmt::format("{}B", spec_.max_slot_wal_keep_size)},
      {"archive_mode", spec_.archive_mode ? "on" : "off"},
      // A fixed command with a harness-chosen path (checked shell-safe in create()).
      {"archive_command", fmt::format("/bin/cp %p {}/%f", archive_dir_)},
      {"archive_timeout", fmt::format("{}ms", spec_.archive_timeout_ms)},
      {"log_line_prefix", "%m [%p] "},
  };
  // The WAL is flushed with fdatasync (PG15's default on Linux, set so no build differs): a
  // sync the gate holds, unlike open_datasync's O_DSYNC writes, which it could not.
  if (options_.disk_faults) {
    conf.emplace_back("wal_sync_method", "fdatasync");
    // A stalled standby's walreceiver writes the first batch it receives and hangs in its fsync,
    // so a commit is released by remote_write only if its whole transaction arrives in one batch,
    // as the model has it. The first change of each page after the setup checkpoint would carry an
    // 8 kB full-page image, filling WAL pages that the WAL writer may flush (and the walsender
    // send) between the transaction's statements: the standby then hangs on a batch without the
    // commit record. Full-page images guard against torn data pages, which the emulated OS crash
    // never makes (it undoes whole WAL writes; data files change only at checkpoints).
    conf.emplace_back("full_page_writes", "off");
  }
  if (Status s = append_conf(n, conf); !s.ok()) return s;
  if (Status s = start_and_wait(n); !s.ok()) return s;
  if (Status s = set_password(n); !s.ok()) return s;
  n.state = NodeState::kPrimary;
  return Status::Ok();
}

// A fresh random password per run (getrandom through std::random_device), kept only in the
// run's 0700 directory in a 0600 pgpass file owned by the server's user: the walreceivers read
// it (primary_conninfo's passfile), nothing else has it, and it is gone with the directory.
Status Cluster::write_passfile() {
  std::random_device random;
  for (int i = 0; i < 8; ++i) password_ += fmt::format("{:08x}", random());
  passfile_ = dir_ + "/pgpass";
  const int fd = ::open(passfile_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(fmt::format("create {}: {}", passfile_, strerror(errno)));
  const std::string line = "*:*:*:postgres:" + password_ + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool owned = !run_as_.switch_user || fchown(fd, run_as_.uid, run_as_.gid) == 0;
  ::close(fd);
  if (!written || !owned) return Status::IoError(fmt::format("write {}: {}", passfile_, strerror(errno)));
  return Status::Ok();
}

// The postgres role gets the run's password as a SCRAM verifier computed client-side: the
// statement carries no password, only the verifier, whose characters are checked first.
Status Cluster::set_password(ClusterNode& primary) {
  auto conn = connect(primary);
  if (!conn.ok()) return conn.status();
  auto verifier = (*conn)->scram_verifier("postgres", password_);
  if (!verifier.ok()) return verifier.status();
  const bool safe = verifier->rfind("SCRAM-SHA-256$", 0) == 0 &&
                    std::all_of(verifier->begin(), verifier->end(), [](char ch) {
                      return isalnum(static_cast<unsigned char>(ch)) || std::strchr("$:+/=-", ch) != nullptr;
                    });
  REPLSIM_ASSERT(safe, "a SCRAM verifier is base64 and punctuation only");
  // No standby exists yet: a commit must not wait for synchronous_standby_names.
  if (Status s = (*conn)->exec("SET synchronous_commit = local").status(); !s.ok()) return s;
  return (*conn)->exec("ALTER ROLE postgres PASSWORD '" + *verifier + "'").status();
}

Status Cluster::load_dataset(const std::string& primary, const Dataset& dataset) {
  ClusterNode* n = node(primary);
  auto conn = connect(*n);
  if (!conn.ok()) return conn.status();
  PgConnection& c = **conn;
  // schema_sql() is one statement per line; the extended protocol takes one at a time.
  const std::string schema = schema_sql(dataset);
  // The standbys do not exist yet: a synchronous_standby_names naming them would block this.
  if (Status s = c.exec("SET synchronous_commit = local").status(); !s.ok()) return s;
  if (Status s = c.exec("BEGIN").status(); !s.ok()) return s;
  for (size_t at = 0; at < schema.size();) {
    size_t end = schema.find(";\n", at);
    if (end == std::string::npos) end = schema.size();
    const std::string stmt = schema.substr(at, end - at);
    at = end + 2;
    if (stmt.find_first_not_of(" \n") == std::string::npos) continue;
    if (Status s = c.exec(stmt).status(); !s.ok()) return s;
  }
  for (const auto& table_rows : dataset.rows) {
    const TableSpec* t = dataset.find_table(table_rows.table);
    if (t == nullptr) return Status::InvalidInput(fmt::format("data set names unknown table {}", table_rows.table));
    std::vector<std::string> cols, placeholders;
    for (size_t i = 1; i < t->columns.size(); ++i) {
      cols.push_back(t->columns[i].name);
      placeholders.push_back(fmt::format("${}", i));
    }
    const std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ({})", t->name, fmt::join(cols, ", "),
                                        fmt::join(placeholders, ", "));
    for (const auto& row : table_rows.rows) {
      if (Status s = c.exec(sql, row).status(); !s.ok()) return s;
    }
  }
  return c.exec("COMMIT").status();
}

Status Cluster::add_standby(const NodeSpec& spec, const std::string& upstream_name) {
  ClusterNode* up = node(upstream_name);
  if (up == nullptr) return Status::InvalidInput(fmt::format("no node {}", upstream_name));
  const uint16_t up_port = up->port;
  auto made = new_node(spec.name);
  if (!made.ok()) return made.status();
  ClusterNode& n = **made;
  auto port = pick_port(n.index);
  if (!port.ok()) return port.status();
  n.port = *port;
  n.upstream = upstream_name;
  n.link = spec.name;
  auto proxy_port = proxy_->add_link(n.link, up_port);
  if (!proxy_port.ok()) return proxy_port.status();
  LinkFaults f;
  f.latency_to_primary_us = f.latency_to_standby_us = spec_.latency_of(spec);
  proxy_->set_faults(n.link, f);

  SpawnOptions o;
  o.argv = {bindir_ + "/pg_basebackup",
            "-h",
            sock_dir_,
            "-p",
            std::to_string(up_port),
            "-U",
            "postgres",
            "-D",
            n.data_dir,
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync"};
  if (spec.replication_slot) {
    o.argv.insert(o.argv.end(), {"-C", "-S", spec.name});  // The parser allows only [a-z0-9_] names.
  }
  o.output_path = fmt::format("{}/basebackup-{}.log", log_dir_, n.index);
  if (Status s = run_program(o, run_as_, 60000); !s.ok()) return s;
  { std::ofstream sig(n.data_dir + "/standby.signal"); }
  if (run_as_.switch_user) (void)!chown((n.data_dir + "/standby.signal").c_str(), run_as_.uid, run_as_.gid);
  // primary_conninfo is a conninfo string inside a configuration string: the node name is a
  // validated identifier, so neither quoting level can be escaped from.
  std::vector<std::pair<std::string, std::string>> conf = {
      {"port", std::to_string(n.port)},
      {"cluster_name", spec.name},
      {"primary_conninfo", fmt::format("host=127.0.0.1 port={} user=postgres application_name={} passfile={}",
                                       *proxy_port, spec.name, passfile_)},
      // A standby's own configuration does not make it wait for itself once promoted.
      {"synchronous_standby_names", ""},
  };
  if (spec.replication_slot) conf.emplace_back("primary_slot_name", spec.name);
  // A delayed standby (docs/model.md, "Delayed standbys"): whole milliseconds, as the parser has it.
  if (spec.apply_delay_us > 0)
    conf.emplace_back("recovery_min_apply_delay", fmt::format("{}ms", spec.apply_delay_us / 1000));
  if (Status s = append_conf(n, conf); !s.ok()) return s;
  if (Status s = start_and_wait(n); !s.ok()) return s;
  n.state = NodeState::kStandby;
  return Status::Ok();
}

Status Cluster::wait_streaming(const std::string& standby, int64_t timeout_ms) {
  ClusterNode* n = node(standby);
  ClusterNode* up = n == nullptr ? nullptr : node(n->upstream);
  if (up == nullptr) return Status::InvalidInput(fmt::format("{} streams from no node", standby));
  auto conn = connect(*up);
  if (!conn.ok()) return conn.status();
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 10000)) {
    PgReply r = (*conn)->exec("SELECT state FROM pg_stat_replication WHERE application_name = $1", {standby});
    if (!r.ok) return r.status();
    if (!r.rows.empty() && !r.null_at(0, 0) && r.at(0, 0) == "streaming") return Status::Ok();
    if (interrupted()) return Status::Interrupted("interrupted");
    if (Clock::now() > deadline) {
      return Status::Timeout(
          fmt::format("{} not streaming after {} ms; its log:\n{}", standby, timeout_ms, n->server->log_tail(15)));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
}

bool Cluster::partitioned(const std::string& name) const {
  for (const auto& link : links_of(name)) {
    const LinkFaults f = proxy_->faults(link);
    if (f.hold_to_standby || f.hold_to_primary) return true;
  }
  return false;
}

bool Cluster::replies_held(const std::string& name) const {
  for (const auto& link : links_of(name))
    if (proxy_->faults(link).hold_to_primary) return true;
  return false;
}

std::vector<std::string> Cluster::links_of(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& n : nodes_)
    if (!n->link.empty() && (n->name == name || n->upstream == name)) out.push_back(n->link);
  return out;
}

// A crashed host's connections die with it: bytes a partition was holding never arrive.
void Cluster::drop_held_bytes(const std::string& name) {
  for (const auto& link : links_of(name)) {
    LinkFaults f = proxy_->faults(link);
    if (f.hold_to_standby || f.hold_to_primary) proxy_->reset(link);
  }
}

Status Cluster::crash(const std::string& name) {
  ClusterNode* n = node(name);
  n->server->crash();
  n->state = NodeState::kCrashed;
  drop_held_bytes(name);
  // A process crash: the host and its page cache live on, so the stalled disk's writes are
  // kept and the stall ends (else the restart would hang on its first fsync).
  if (n->disk_gate) return n->disk_gate->lift();
  return Status::Ok();
}

Status Cluster::stop(const std::string& name) {
  ClusterNode* n = node(name);
  // A fast shutdown ends with a checkpoint, whose fsyncs a stall would hold until
  // stop_timeout_ms and a SIGKILL: the disk recovers first, as for crash.
  if (n->disk_gate) {
    if (Status s = n->disk_gate->lift(); !s.ok()) return s;
  }
  Status s = n->server->stop(options_.stop_timeout_ms);
  n->state = NodeState::kStopped;
  return s;
}

Status Cluster::start(const std::string& name) {
  ClusterNode* n = node(name);
  if (n->server->running()) return Status::Ok();
  // A node starts on a working disk (a server that exited by itself may have left a stall).
  if (n->disk_gate) {
    if (Status s = n->disk_gate->lift(); !s.ok()) return s;
  }
  Status s = start_and_wait(*n);
  if (!s.ok()) {
    n->server->crash();
    n->error = "refuses_to_start";
    n->error_detail = n->server->log_tail(10);
    return s;
  }
  const bool standby = fs::exists(n->data_dir + "/standby.signal") || fs::exists(n->data_dir + "/recovery.signal");
  n->state = standby ? NodeState::kStandby : NodeState::kPrimary;
  return Status::Ok();
}

Status Cluster::pause(const std::string& name) {
  ClusterNode* n = node(name);
  if (!n->server->running()) return Status::Failed(fmt::format("{} is not running", name));
  n->server->pause();
  if (n->state != NodeState::kPaused) n->state_before_pause = n->state;
  n->state = NodeState::kPaused;
  return Status::Ok();
}

Status Cluster::resume(const std::string& name) {
  ClusterNode* n = node(name);
  n->server->resume();
  if (n->state == NodeState::kPaused) n->state = n->state_before_pause;
  return Status::Ok();
}

Status Cluster::wipe(const std::string& name) {
  ClusterNode* n = node(name);
  if (n->server->running()) (void)crash(name);
  std::error_code ec;
  fs::remove_all(n->data_dir, ec);
  n->state = NodeState::kWiped;
  return ec ? Status::IoError(fmt::format("wipe {}: {}", name, ec.message())) : Status::Ok();
}

void Cluster::partition(const std::string& name, PartitionDirection direction) {
  for (const auto& link : links_of(name)) {
    LinkFaults f = proxy_->faults(link);
    f.refuse_new = direction == PartitionDirection::kBoth;
    f.hold_to_standby = direction != PartitionDirection::kToPrimary;
    f.hold_to_primary = direction != PartitionDirection::kToStandby;
    proxy_->set_faults(link, f);
  }
}

void Cluster::heal(const std::string& name) {
  for (const auto& n : nodes_) {
    if (n->link.empty() || (!name.empty() && n->name != name && n->upstream != name)) continue;
    LinkFaults f = proxy_->faults(n->link);
    f.refuse_new = f.hold_to_standby = f.hold_to_primary = false;
    proxy_->set_faults(n->link, f);
  }
}

Result<ClusterNode*> Cluster::gated_node(const std::string& name) {
  ClusterNode* n = node(name);
  if (n == nullptr) return Status::InvalidInput(fmt::format("no node {}", name));
  if (!n->disk_gate) {
    return Status::InvalidInput(fmt::format(
        "{}: disk faults need a cluster created with HarnessOptions::disk_faults (the disk gate is not loaded)", name));
  }
  return n;
}

Status Cluster::stall_disk(const std::string& name) {
  auto n = gated_node(name);
  if (!n.ok()) return n.status();
  if (!(*n)->server->running()) return Status::Failed(fmt::format("{} is not running", name));
  if (Status s = (*n)->disk_gate->stall(); !s.ok()) return s;
  progress(fmt::format("{}: disk stalled (fsync never returns; WAL writes journaled)", name));
  return Status::Ok();
}

Status Cluster::unstall_disk(const std::string& name) {
  auto n = gated_node(name);
  if (!n.ok()) return n.status();
  return (*n)->disk_gate->lift();
}

Status Cluster::os_crash(const std::string& name) {
  auto made = gated_node(name);
  if (!made.ok()) return made.status();
  ClusterNode& n = **made;
  auto undone = n.disk_gate->crash_and_undo([&n] { n.server->crash(); });
  n.state = NodeState::kCrashed;
  drop_held_bytes(name);
  if (!undone.ok()) return undone.status();
  n.lost_writes = *undone;
  progress(fmt::format("{}: operating-system crash; lost {}", name, n.lost_writes.describe()));
  return Status::Ok();
}

Result<DiskJournalSummary> Cluster::unsynced_writes(const std::string& name) {
  auto n = gated_node(name);
  if (!n.ok()) return n.status();
  return (*n)->disk_gate->journal();
}

Status Cluster::promote(const std::string& name, PgReply* reply) {
  ClusterNode* n = node(name);
  auto conn = connect(*n);
  if (!conn.ok()) return conn.status();
  PgReply r = (*conn)->exec("SELECT pg_promote(true, 60)", {}, 65000);
  if (reply != nullptr) *reply = r;
  if (!r.ok) return r.status();
  if (r.at(0, 0) != "t") return Status::Failed(fmt::format("pg_promote on {} returned false", name));
  n->state = NodeState::kPrimary;
  return Status::Ok();
}

Result<std::string> Cluster::base_backup(const std::string& from) {
  ClusterNode* n = node(from);
  const std::string dir = fmt::format("{}/backup-{}", backup_dir_, backups_++);
  SpawnOptions o;
  o.argv = {bindir_ + "/pg_basebackup",
            "-h",
            sock_dir_,
            "-p",
            std::to_string(n->port),
            "-U",
            "postgres",
            "-D",
            dir,
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync"};
  o.output_path = fmt::format("{}/backup-{}.log", log_dir_, backups_ - 1);
  if (Status s = run_program(o, run_as_, 60000); !s.ok()) return s;
  return dir;
}

Result<ClusterNode*> Cluster::node_for_restore(const std::string& name) {
  if (ClusterNode* n = node(name)) {
    // The checker allows a restore only into a new or a wiped node.
    if (n->state != NodeState::kWiped || n->server->running() || fs::exists(n->data_dir)) {
      return Status::InvalidInput(
          fmt::format("cannot restore into {}: it is {}, not wiped", name, to_string(n->state)));
    }
    n->error.clear();
    n->error_detail.clear();
    n->shut_down_at_target = false;
    // Restored, a wiped standby streams from nobody: it is no end of its old link any more.
    n->link.clear();
    n->upstream.clear();
    return n;
  }
  auto made = new_node(name);
  if (!made.ok()) return made.status();
  ClusterNode& n = **made;
  auto port = pick_port(n.index);
  if (!port.ok()) return port.status();
  n.port = *port;
  return &n;
}

// What every restored server is told, whatever it was copied from: its own port and name, no
// upstream, no synchronous standbys, and no archiving — the copy inherits archive_command, and
// its new timeline would otherwise land in the archive it restores from
// (docs/postgresql-notes.md, "A restored copy and the archive").
std::vector<std::pair<std::string, std::string>> Cluster::restored_conf(const ClusterNode& n) const {
  return {{"port", std::to_string(n.port)},
          {"cluster_name", n.name},
          {"archive_mode", "off"},
          {"primary_conninfo", ""},
          {"synchronous_standby_names", ""}};
}

Result<ClusterNode*> Cluster::restore(const std::string& name, const std::string& backup_dir,
                                      const std::vector<std::pair<std::string, std::string>>& recovery_settings) {
  auto made = node_for_restore(name);
  if (!made.ok()) return made.status();
  ClusterNode& n = **made;
  if (Status s = copy_tree(backup_dir, n.data_dir); !s.ok()) return s;
  { std::ofstream sig(n.data_dir + "/recovery.signal"); }
  if (run_as_.switch_user) (void)!chown((n.data_dir + "/recovery.signal").c_str(), run_as_.uid, run_as_.gid);
  std::vector<std::pair<std::string, std::string>> conf = restored_conf(n);
  conf.emplace_back("restore_command", fmt::format("/bin/cp {}/%f %p", archive_dir_));
  conf.insert(conf.end(), recovery_settings.begin(), recovery_settings.end());
  if (Status s = append_conf(n, conf); !s.ok()) return s;
  if (Status s = n.server->start(); !s.ok()) return s;
  n.state = NodeState::kRestoring;
  progress(fmt::format("{}: restoring from {}, pid {}, port {}", name, backup_dir, n.server->pid(), n.port));
  return &n;
}

Result<std::string> Cluster::naive_copy(const std::string& from, const std::string& copy_dir,
                                        const std::vector<std::string>& parts) {
  ClusterNode* n = node(from);
  if (n == nullptr) return Status::InvalidInput(fmt::format("no node {}", from));
  // Part names become paths: they are taken from the vocabulary's own list, never from the step.
  const std::vector<std::string>& known = naive_copy_parts();
  std::vector<std::string> sources;
  for (const std::string& part : parts) {
    if (std::find(known.begin(), known.end(), part) == known.end()) {
      return Status::InvalidInput(fmt::format("naive copy: unknown part '{}'", part));
    }
  }
  std::string dir = copy_dir;
  if (dir.empty()) {
    dir = fmt::format("{}/copy-{}", copies_dir_, copies_++);
    if (Status s = make_dir(dir); !s.ok()) return s;
    // Everything that is not one of the parts travels with the copy's first step, in name
    // order: configuration, postmaster.pid, PG_VERSION, pg_multixact, pg_subtrans, ...
    std::vector<std::string> others;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(n->data_dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (std::find(known.begin(), known.end(), name) == known.end()) others.push_back(entry.path().string());
    }
    if (ec) return Status::IoError(fmt::format("naive copy: listing {}: {}", n->data_dir, ec.message()));
    std::sort(others.begin(), others.end());
    sources = std::move(others);
  }
  for (const std::string& part : known) {
    if (parts.empty() || std::find(parts.begin(), parts.end(), part) != parts.end()) {
      sources.push_back(n->data_dir + "/" + part);
    }
  }
  SpawnOptions o;
  o.argv = {kCopyBinary, "-a", "--"};
  o.argv.insert(o.argv.end(), sources.begin(), sources.end());
  o.argv.push_back(dir);
  o.output_path = log_dir_ + "/copy.log";
  if (Status s = run_program(o, run_as_, 60000); !s.ok()) return s;
  return dir;
}

Result<ClusterNode*> Cluster::restore_copy(const std::string& name, const std::string& copy_dir) {
  auto made = node_for_restore(name);
  if (!made.ok()) return made.status();
  ClusterNode& n = **made;
  if (Status s = copy_tree(copy_dir, n.data_dir); !s.ok()) return s;
  // What a user restoring a tar does: the files as they are, only what this machine needs changed.
  const std::vector<std::pair<std::string, std::string>> conf = restored_conf(n);
  if (Status s = append_conf(n, conf); !s.ok()) return s;
  const auto t0 = Clock::now();
  Status s = n.server->start();
  if (s.ok()) s = n.server->wait_ready(options_.ready_timeout_ms);
  if (s.ok()) {
    // A harness failure, not PostgreSQL's answer: not recorded as refuses_to_start.
    if (Status g = check_disk_gate_loaded(n); !g.ok()) {
      n.server->crash();
      return g;
    }
    n.state = NodeState::kPrimary;
    progress(fmt::format("{}: started from naive copy {}, pid {}, port {}, {:.3f} s", name, copy_dir, n.server->pid(),
                         n.port, std::chrono::duration<double>(Clock::now() - t0).count()));
    return &n;
  }
  n.server->crash();  // Still running only when it was not ready in time.
  n.state = NodeState::kStopped;
  n.error = "refuses_to_start";
  n.error_detail = s.message();
  for (const std::string& line : n.server->log_since_start(200)) {
    if (line.find("FATAL:") != std::string::npos || line.find("PANIC:") != std::string::npos) {
      n.error_detail = line;
      break;
    }
  }
  progress(fmt::format("{}: refuses to start from naive copy {}: {}", name, copy_dir, n.error_detail));
  return &n;
}

Status Cluster::break_archive() {
  if (chmod(archive_dir_.c_str(), 0500) != 0) {
    return Status::IoError(fmt::format("chmod {}: {}", archive_dir_, strerror(errno)));
  }
  archive_broken_ = true;
  return Status::Ok();
}

Status Cluster::repair_archive() {
  if (chmod(archive_dir_.c_str(), 0700) != 0) {
    return Status::IoError(fmt::format("chmod {}: {}", archive_dir_, strerror(errno)));
  }
  archive_broken_ = false;
  return Status::Ok();
}

}  // namespace replsim::harness
