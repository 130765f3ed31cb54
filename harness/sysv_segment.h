// SysvSegment: the System V shared memory segment a postmaster made. PostgreSQL 15 keeps its
// main shared memory in an anonymous mapping and a small System V segment beside it, whose
// attach count tells a new postmaster whether the old one's processes are gone
// (src/backend/port/sysv_shmem.c, PGSharedMemoryCreate; 19.4.1 "Shared Memory and Semaphores").
// A postmaster killed with SIGKILL cannot remove it, and PostgreSQL removes a dead one only
// when it starts again on the same port and data directory. The harness kills servers (a
// `crash` step, the end of every run): each left one behind until the kernel's limit (SHMMNI,
// 4096) made every new postgres fail with "could not create shared memory segment: No space
// left on device".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace replsim::harness {

struct SysvSegment {
  int id = -1;
  pid_t creator = 0;  // The postmaster that made it.
};

// The segment named in `data_dir`/postmaster.pid (line 7: key and id), if the file is
// `postmaster`'s (its first line); any postmaster's if `postmaster` is 0.
std::optional<SysvSegment> sysv_segment_of(const std::string& data_dir, pid_t postmaster = 0);

// Removes `segment` if its creator made it and no process is attached any more; otherwise (a
// segment id reused by someone else, a server still running) leaves it alone.
void remove_if_orphaned(const SysvSegment& segment);

}  // namespace replsim::harness
