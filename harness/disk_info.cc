#include "harness/disk_info.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace replsim::harness {
namespace {

// mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal).
std::string unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    const bool octal = i + 3 < field.size() &&
                       field.substr(i + 1, 3).find_first_not_of("01234567") == std::string::npos;
    if (field[i] == '\\' && octal) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

// True when `path` is `mount` or lies under it.
bool under(const std::string& path, const std::string& mount) {
  if (mount == "/") return true;
  return path.rfind(mount, 0) == 0 && (path.size() == mount.size() || path[mount.size()] == '/');
}

// One mountinfo line: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
// (proc(5)): field 5 is the mount point; after the "-" separator, the type and the source.
bool parse_line(const std::string& line, std::string* mount, std::string* type, std::string* source) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 7) return false;
  size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (dash + 2 >= fields.size()) return false;
  *mount = unescape(fields[4]);
  *type = fields[dash + 1];
  *source = unescape(fields[dash + 2]);
  return true;
}

std::string absolute_directory(const std::string& directory) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(std::filesystem::absolute(directory, ec), ec);
  return ec ? directory : p.string();
}

}  // namespace

DiskInfo describe_disk_from_mountinfo(const std::string& directory, std::string_view mountinfo) {
  DiskInfo d{directory, "unknown", "unknown", "unknown"};
  std::istringstream in{std::string(mountinfo)};
  size_t best = 0;
  for (std::string line; std::getline(in, line);) {
    std::string mount, type, source;
    if (!parse_line(line, &mount, &type, &source) || !under(directory, mount)) continue;
    // The longest mount point wins; of equal ones the later line (mounted over the earlier).
    if (mount.size() >= best) {
      best = mount.size();
      d.mount_point = mount;
      d.filesystem = type;
      d.device = source;
    }
  }
  return d;
}

DiskInfo describe_disk(const std::string& directory) {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream text;
  text << in.rdbuf();
  return describe_disk_from_mountinfo(absolute_directory(directory), text.str());
}

std::string to_string(const DiskInfo& disk) {
  std::string s = fmt::format("{} on {} (mounted at {})", disk.filesystem, disk.device, disk.mount_point);
  if (disk.filesystem == "tmpfs" || disk.filesystem == "ramfs") s += ", in memory: an fsync writes nothing";
  return s;
}

}  // namespace replsim::harness
