// What disk a directory is on, for reports whose numbers depend on it (`replsim compare`
// measures commit latency, which with fsync = on is the disk's flush latency): the mount that
// holds the directory (from /proc/self/mountinfo, the longest mount point above it), its
// filesystem type and its source device. Linux only; an unreadable mountinfo leaves the fields
// "unknown".
#pragma once

#include <string>
#include <string_view>

namespace replsim::harness {

struct DiskInfo {
  std::string directory;    // As asked, made absolute.
  std::string mount_point;  // "/", "/tmp", ...
  std::string filesystem;   // "ext4", "xfs", "tmpfs", "overlay", ...
  std::string device;       // The mount's source: "/dev/vda1", "tmpfs", "overlay", ...
};

// Describes the mount holding `directory`.
DiskInfo describe_disk(const std::string& directory);

// The same, from the text of a mountinfo file (for tests).
DiskInfo describe_disk_from_mountinfo(const std::string& directory, std::string_view mountinfo);

// "ext4 on /dev/vda1 (mounted at /)"; for tmpfs and ramfs adds "in memory: an fsync writes nothing".
std::string to_string(const DiskInfo& disk);

}  // namespace replsim::harness
