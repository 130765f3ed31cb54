// Cluster: the real PostgreSQL servers of one run, inside one private directory (mode
// 0700): data directories, unix sockets, server logs, the WAL archive and base backups.
// Standbys stream through the FaultProxy. The Cluster owns every process it starts and,
// on destruction (any exit path), kills them and removes the directory unless `keep`.
//
// Directory and file names are the harness's own (node-0, backup-1): no scenario value
// ever becomes a path, a shell word or SQL text. Node names (validated identifiers) do
// appear quoted in configuration files, as application_name and cluster_name.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/disk_gate.h"
#include "harness/fault_proxy.h"
#include "harness/harness_options.h"
#include "harness/pg_connection.h"
#include "harness/server_process.h"
#include "harness/subprocess.h"
#include "vocab/dataset.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::harness {

struct ClusterNode {
  std::string name;
  int index = 0;
  std::string data_dir;
  std::string log_path;
  uint16_t port = 0;
  std::string link;      // Proxy link it streams through ("" = none).
  std::string upstream;  // The node it streams from.
  std::unique_ptr<ServerProcess> server;
  NodeState state = NodeState::kStopped;  // What it is now, as the history records it.
  NodeState state_before_pause = NodeState::kStopped;
  std::string error;                    // "refuses_to_start", "recovery_target_not_reached", "cannot_catch_up".
  std::string error_detail;             // The server's own log lines.
  bool shut_down_at_target = false;     // A restore that logged "shutdown at recovery target".
  std::unique_ptr<DiskGate> disk_gate;  // Set when the cluster runs with HarnessOptions::disk_faults.
  DiskJournalSummary lost_writes;       // What the last os_crash undid.
};

class Cluster {
 public:
  // Checks the binaries and the server user, builds or reuses the initdb template, makes the
  // private directory and starts the fault proxy. Nothing is left behind on error.
  static Result<std::unique_ptr<Cluster>> create(const HarnessOptions& options, const ClusterSpec& spec);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& dir() const { return dir_; }
  FaultProxy& proxy() { return *proxy_; }
  ClusterNode* node(const std::string& name);
  std::vector<ClusterNode*> nodes();
  ConnTarget target(const ClusterNode& node) const;
  Result<std::unique_ptr<PgConnection>> connect(const ClusterNode& node, int64_t timeout_ms = 3000) const;
  std::vector<pid_t> all_pids() const;  // Every server process of the run, as seen now.
  // Whether a partition step cut `name`'s replication link (in either direction).
  bool partitioned(const std::string& name) const;
  // Whether a partition holds back what `name` sends to its upstream (to_primary or both).
  bool replies_held(const std::string& name) const;
  double template_seconds() const { return template_seconds_; }  // 0 when the cache was used.

  // Setup.
  Status init_primary(const std::string& name);
  Status load_dataset(const std::string& primary, const Dataset& dataset);
  Status add_standby(const NodeSpec& spec, const std::string& upstream);
  Status wait_streaming(const std::string& standby, int64_t timeout_ms);

  // Process faults. Errors carry the server's log lines.
  Status crash(const std::string& name);
  Status stop(const std::string& name);
  Status start(const std::string& name);
  Status pause(const std::string& name);
  Status resume(const std::string& name);
  Status wipe(const std::string& name);
  // Network faults on every link that `name` is an end of.
  void partition(const std::string& name, PartitionDirection direction);
  void heal(const std::string& name);

  // Disk faults; each needs HarnessOptions::disk_faults (else InvalidInput: the gate is not
  // loaded) and is an error for an unknown node. docs/harness.md, "Disk stalls and
  // operating-system crashes".
  // stall_disk: from now on the node's fsyncs never return and every WAL write it makes is
  // journaled; it keeps running (a commit that must flush hangs). Failed if it is not running.
  Status stall_disk(const std::string& name);
  // The disk recovers: held fsyncs complete, nothing is lost. crash, stop and wipe do this too
  // (the operating system outlives the server, and with it the page cache).
  Status unstall_disk(const std::string& name);
  // An operating-system crash of the node's host: its process tree is killed, then every WAL
  // write not fsynced since stall_disk is undone (nothing, if the disk was not stalled), the
  // stall ends, and held replication bytes are dropped as by crash. The node is "crashed" until
  // start() (crash recovery from the WAL as of the last completed fsync); `lost_writes` says
  // what was undone. The node is "crashed" even when the undo fails (the error says why).
  Status os_crash(const std::string& name);
  // Appends `settings` to node `name`'s postgresql.conf (quoted as the file's own syntax wants;
  // the last setting wins), as ALTER SYSTEM SET would write them to postgresql.auto.conf. The
  // caller reloads (pg_reload_conf()).
  Status change_settings(const std::string& name, const std::vector<std::pair<std::string, std::string>>& settings);
  // The WAL writes an operating-system crash of `name` would lose now.
  Result<DiskJournalSummary> unsynced_writes(const std::string& name);

  // Operations.
  // pg_promote(); `reply`, if set, receives the server's answer (an ERROR on a primary).
  Status promote(const std::string& name, PgReply* reply = nullptr);
  // Returns the backup's directory.
  Result<std::string> base_backup(const std::string& from);
  // Copies `backup_dir` into node `name` (new, or wiped: its directory name and port are
  // reused) with recovery.signal, `recovery_settings` (name, value) pairs and restore_command
  // from the archive, and starts it. Waiting for the recovery to end as asked is the caller's
  // (it knows the action).
  Result<ClusterNode*> restore(const std::string& name, const std::string& backup_dir,
                               const std::vector<std::pair<std::string, std::string>>& recovery_settings);
  const std::string& archive_dir() const { return archive_dir_; }

  // A naive copy (drill 3.1): copies `parts` (names of naive_copy_parts(); empty = all of them)
  // of `from`'s live data directory with `cp -a`, file by file as tar does, while the server
  // runs. An empty `copy_dir` starts a new copy (copies/copy-N), which also takes every other
  // entry of the data directory (configuration files, postmaster.pid, pg_multixact, ...).
  // Returns the copy's directory.
  Result<std::string> naive_copy(const std::string& from, const std::string& copy_dir,
                                 const std::vector<std::string>& parts);
  // Puts a complete naive copy into node `name` (new or wiped) as it is -- no recovery.signal,
  // restore_command or backup_label, the copied postmaster.pid kept -- sets port, cluster_name,
  // archive_mode = off and primary_conninfo = '', and starts it. A server that refuses to start
  // is PostgreSQL's answer, not a harness error: the node's error is then refuses_to_start with
  // the server's first FATAL or PANIC line, and the node is returned all the same.
  Result<ClusterNode*> restore_copy(const std::string& name, const std::string& copy_dir);

  // The archive fault: the archive directory becomes read-only (mode 0500), so archive_command's
  // cp fails with "Permission denied" while restore_command can still read what was archived;
  // repair makes it writable again. Waking the archiver is the caller's (pg_reload_conf()).
  Status break_archive();
  Status repair_archive();
  bool archive_broken() const { return archive_broken_; }

 private:
  Cluster(const HarnessOptions& options, const ClusterSpec& spec, RunAs run_as);
  Status ensure_template();
  Status slim_template(const std::string& build);
  Status write_passfile();
  Status set_password(ClusterNode& primary);
  Status make_dir(const std::string& path) const;
  Status copy_tree(const std::string& from, const std::string& to) const;
  Result<uint16_t> pick_port(int index) const;
  Result<ClusterNode*> new_node(const std::string& name);
  Status setup_disk_gate();
  Result<ClusterNode*> gated_node(const std::string& name);
  Status check_disk_gate_loaded(const ClusterNode& node) const;
  void drop_held_bytes(const std::string& name);
  Result<ClusterNode*> node_for_restore(const std::string& name);
  Status start_and_wait(ClusterNode& node);
  Status append_conf(const ClusterNode& node, const std::vector<std::pair<std::string, std::string>>& settings) const;
  std::vector<std::string> links_of(const std::string& name) const;
  std::vector<std::pair<std::string, std::string>> restored_conf(const ClusterNode& n) const;
  void progress(const std::string& line) const;

  HarnessOptions options_;
  ClusterSpec spec_;
  RunAs run_as_;
  std::string bindir_;
  std::string version_;
  std::string template_;
  std::string dir_, sock_dir_, archive_dir_, backup_dir_, copies_dir_, log_dir_;
  // This run's password for the postgres role over TCP (scram-sha-256; docs/harness.md
  // "Security"), random per run, and the 0600 pgpass file in dir_ that hands it to libpq.
  std::string password_, passfile_;
  std::string canonical_dir_;      // dir_ with symlinks resolved, as /proc/*/fd and maps show it.
  std::string disk_gate_library_;  // The run's copy of the gate ("" = no disk faults).
  double template_seconds_ = 0;
  int backups_ = 0;
  int copies_ = 0;
  bool archive_broken_ = false;
  std::unique_ptr<FaultProxy> proxy_;
  std::vector<std::unique_ptr<ClusterNode>> nodes_;
};

// Quotes a configuration-file string value; rejects control characters.
Result<std::string> conf_quote(const std::string& value);

}  // namespace replsim::harness
