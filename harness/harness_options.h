// HarnessOptions: how the harness builds and drives a real cluster. Defaults suit tests
// and the CLI on a 2-core machine; every wait is bounded by one of these.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace replsim::harness {

struct HarnessOptions {
  // PostgreSQL 15 server binaries. Empty: $REPLSIM_PG_BINDIR, else /usr/lib/postgresql/15/bin.
  std::string bindir;
  // Parent of the private run directory. Empty: $TMPDIR, else /tmp.
  std::string work_parent;
  // Where the initdb template is cached. Empty: $TMPDIR (else /tmp)/replsim-template-<uid>-<version>-<seg>.
  std::string template_dir;
  // When running as root, servers run as this system user (PostgreSQL refuses root).
  std::string server_user = "postgres";
  bool keep = false;  // Leave the run directory (data dirs, logs, archive) in place.
  // First port for the servers; 0 = ephemeral ports found free by binding.
  uint16_t base_port = 0;

  // Disk faults (Cluster::stall_disk, Cluster::os_crash): every server of the cluster runs with
  // the disk gate preloaded, fsync = on and wal_sync_method = fdatasync. Commits flush to the
  // disk then, which is slower: set it only for scenarios that stall a disk.
  bool disk_faults = false;
  // fsync for every server of the cluster. Unset: off (a process crash keeps the page cache, so
  // scenarios lose nothing by it; cluster.cc), or on with disk_faults. `replsim compare` sets it
  // on, so that commit latency includes the disk's flush, unless asked for --fsync off.
  // disk_faults needs the syncs: with it, fsync is on whatever this says.
  std::optional<bool> fsync;
  // The gate's shared object. Empty: $REPLSIM_DISK_GATE_LIBRARY, else the one built with the harness.
  std::string disk_gate_library;

  int64_t block_after_ms = 300;      // A commit not back by then is recorded as blocked.
  int64_t ready_timeout_ms = 15000;  // Server start, standby streaming.
  int64_t catchup_timeout_ms = 10000;
  int64_t restore_timeout_ms = 30000;
  int64_t stop_timeout_ms = 10000;  // Fast shutdown before it escalates to SIGKILL.
  int64_t statement_timeout_ms = 10000;

  // Progress lines ("primary: started, pid 1234, port 5433"); nullptr = quiet.
  std::function<void(const std::string&)> progress;
};

}  // namespace replsim::harness
