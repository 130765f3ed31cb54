#include "harness/sysv_segment.h"

#include <sys/shm.h>

#include <cstdio>
#include <fstream>

namespace replsim::harness {

std::optional<SysvSegment> sysv_segment_of(const std::string& data_dir, pid_t postmaster) {
  std::ifstream in(data_dir + "/postmaster.pid");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  long pid = 0;
  if (std::sscanf(line.c_str(), "%ld", &pid) != 1 || pid <= 0) return std::nullopt;
  if (postmaster != 0 && pid != postmaster) return std::nullopt;
  for (int i = 1; i < 7 && std::getline(in, line); ++i) {
  }
  unsigned long key = 0;
  long id = -1;
  if (std::sscanf(line.c_str(), "%lu %ld", &key, &id) != 2 || id < 0) return std::nullopt;
  return SysvSegment{static_cast<int>(id), static_cast<pid_t>(pid)};
}

void remove_if_orphaned(const SysvSegment& segment) {
  struct shmid_ds ds {};
  if (shmctl(segment.id, IPC_STAT, &ds) != 0) return;
  if (ds.shm_cpid == segment.creator && ds.shm_nattch == 0) shmctl(segment.id, IPC_RMID, nullptr);
}

}  // namespace replsim::harness
