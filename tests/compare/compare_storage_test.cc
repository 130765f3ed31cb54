// What a compare measures on (issue 22): the report names the disk under the data directories
// and the fsync setting, in the table, the JSON and the page; and the disk is found from
// /proc/self/mountinfo as the longest mount point above the directory.
#include <gtest/gtest.h>

#include <string>

#include "cli/compare_report.h"
#include "harness/disk_info.h"

namespace replsim {
namespace {

// Three mounts as proc(5) writes them: the root, a tmpfs on /tmp, and a disk on "/srv/my data"
// (the space escaped as \040), with optional fields before the "-" separator.
const char* kMountinfo =
    "22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
    "30 22 0:27 / /tmp rw,nosuid,nodev shared:12 - tmpfs tmpfs rw,size=1024k\n"
    "41 22 8:17 / /srv/my\\040data rw,noatime shared:20 master:3 - xfs /dev/sdb1 rw,attr2\n"
    "42 22 8:17 / /srv/my rw - btrfs /dev/sdc1 rw\n";

TEST(DiskInfoTest, TheLongestMountPointAboveTheDirectoryHoldsIt) {
  const auto tmp = harness::describe_disk_from_mountinfo("/tmp/replsim-abc/primary", kMountinfo);
  EXPECT_EQ(tmp.mount_point, "/tmp");
  EXPECT_EQ(tmp.filesystem, "tmpfs");
  EXPECT_EQ(tmp.device, "tmpfs");
  EXPECT_EQ(harness::to_string(tmp), "tmpfs on tmpfs (mounted at /tmp), in memory: an fsync writes nothing");
  const auto srv = harness::describe_disk_from_mountinfo("/srv/my data/run", kMountinfo);
  EXPECT_EQ(srv.mount_point, "/srv/my data");
  EXPECT_EQ(srv.filesystem, "xfs");
  EXPECT_EQ(srv.device, "/dev/sdb1");
  // "/srv/mydata" is not under "/srv/my": a mount point is a whole path component.
  const auto root = harness::describe_disk_from_mountinfo("/srv/mydata", kMountinfo);
  EXPECT_EQ(root.mount_point, "/");
  EXPECT_EQ(harness::to_string(root), "ext4 on /dev/vda1 (mounted at /)");
  EXPECT_EQ(harness::describe_disk_from_mountinfo("/x", "").filesystem, "unknown");
}

TEST(DiskInfoTest, ThisProcessesTemporaryDirectoryIsOnSomeMount) {
  const auto d = harness::describe_disk("/tmp");
  EXPECT_NE(d.filesystem, "unknown");
  EXPECT_EQ(d.mount_point.front(), '/');
}

cli::CompareReport report(const std::string& fsync) {
  cli::CompareReport r;
  r.command = "replsim compare --quick";
  r.clients = 2;
  r.duration_ms = 1000;
  r.disk = harness::describe_disk_from_mountinfo("/var/tmp/run", kMountinfo);
  r.fsync = fsync;
  return r;
}

TEST(CompareStorageTest, TheReportSaysTheDiskAndTheFsyncSetting) {
  const cli::CompareReport on = report("on");
  EXPECT_EQ(cli::storage_sentence(on), "disk: ext4 on /dev/vda1 (mounted at /); fsync = on");
  EXPECT_NE(cli::format_table(on).find("\ndisk: ext4 on /dev/vda1 (mounted at /); fsync = on\n"), std::string::npos);
  const nlohmann::json j = cli::to_json(on);
  EXPECT_EQ(j["fsync"], "on");
  EXPECT_EQ(j["disk"]["filesystem"], "ext4");
  EXPECT_EQ(j["disk"]["device"], "/dev/vda1");
  EXPECT_EQ(j["disk"]["mount_point"], "/");
  EXPECT_EQ(j["disk"]["directory"], "/var/tmp/run");
  EXPECT_NE(cli::render_html(on).find("fsync = on"), std::string::npos);

  const cli::CompareReport off = report("off");
  EXPECT_NE(cli::format_table(off).find("fsync = off (--fsync off: a commit does not wait for the disk"),
            std::string::npos);
  EXPECT_EQ(cli::to_json(off)["fsync"], "off");
  EXPECT_NE(cli::render_html(off).find("fsync = off"), std::string::npos);
}

}  // namespace
}  // namespace replsim
