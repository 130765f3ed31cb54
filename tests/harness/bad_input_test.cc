// Bad input gives a clear error with the server's own words, and leaves nothing behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "harness_test_util.h"

namespace replsim::harness {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTwoNodes = R"yaml(
name: two-nodes
cluster:
  primary: primary
  standbys: [replica]
steps:
  - catchup
)yaml";

// A private parent directory, so "nothing left behind" can be checked by listing it.
struct Scratch {
  Scratch() {
    char tmpl[] = "/tmp/replsim-badinput-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }
  ~Scratch() { fs::remove_all(dir); }
  bool empty_but_templates() const {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind("replsim-template-", 0) != 0) return false;
    return true;
  }
  std::string dir;
};

Result<History> run(const HarnessOptions& o) {
  auto s = parse_scenario_text(kTwoNodes, "two-nodes.yaml");
  EXPECT_TRUE(s.ok());
  return run_scenario(*s, o);
}

TEST(HarnessBadInputTest, MissingBinariesIsAClearError) {
  Scratch scratch;
  HarnessOptions o;
  o.work_parent = scratch.dir;
  o.bindir = "/nonexistent/postgresql/bin";
  auto r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/postgresql/bin/postgres not found"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(scratch.empty_but_templates());
}

// As root the servers run as the server user, so a missing one is named in the error. As
// another user the option is not consulted: the run fails on the missing binaries instead.
TEST(HarnessBadInputTest, MissingServerUserIsAClearError) {
  Scratch scratch;
  HarnessOptions o;
  o.work_parent = scratch.dir;
  o.server_user = "no_such_user_replsim";
  if (geteuid() != 0) o.bindir = "/nonexistent/postgresql/bin";
  auto r = run(o);
  ASSERT_FALSE(r.ok());
  const bool names_user = r.status().message().find("no_such_user_replsim") != std::string::npos;
  EXPECT_EQ(names_user, geteuid() == 0) << r.status().message();
  EXPECT_TRUE(scratch.empty_but_templates());
}

// The port is taken by someone else: the server's own "could not bind" line is in the error.
TEST(HarnessBadInputTest, PortInUseGivesTheServersOwnWords) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  Scratch scratch;
  HarnessOptions o;
  o.work_parent = scratch.dir;
  o.base_port = ntohs(a.sin_port);
  auto r = run(o);
  close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Address already in use"), std::string::npos) << r.status().message();
  EXPECT_TRUE(scratch.empty_but_templates());
}

}  // namespace
}  // namespace replsim::harness
