// Nobody gets in through the test servers: TCP (the servers' ports and the fault proxy's,
// which forwards the replication protocol) asks for the run's scram-sha-256 password, and the
// Unix sockets live in the run's private 0700 directory. Tried as another local user would.
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "harness/cluster.h"
#include "harness/pg_connection.h"
#include "harness_test_util.h"

namespace replsim::harness {
namespace {

// Whether a client without the password gets a session on `target` (any database; a
// replication connection is refused by the same pg_hba line).
bool connects(const ConnTarget& target) { return PgConnection::connect(target, 3000).ok(); }

class HarnessSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("PGPASSFILE", "/nonexistent/pgpass", 1);  // No password from this user's ~/.pgpass.
    ClusterSpec spec;
    NodeSpec primary, standby;
    primary.name = "primary";
    primary.role = NodeRole::kPrimary;
    standby.name = "replica";
    spec.nodes = {primary, standby};
    auto made = Cluster::create(testing::test_options(), spec);
    ASSERT_TRUE(made.ok()) << made.status().message();
    cluster_ = std::move(made).value();
    ASSERT_TRUE(cluster_->init_primary("primary").ok());
    ASSERT_TRUE(cluster_->add_standby(standby, "primary").ok());
    ASSERT_TRUE(cluster_->wait_streaming("replica", 10000).ok()) << "the standby authenticates with the password";
    auto conn = cluster_->connect(*cluster_->node("replica"));
    ASSERT_TRUE(conn.ok());
    PgReply r = (*conn)->exec("SHOW primary_conninfo");
    ASSERT_TRUE(r.ok && !r.rows.empty()) << r.error;
    std::smatch m;
    const std::string conninfo = r.at(0, 0);
    ASSERT_TRUE(std::regex_search(conninfo, m, std::regex("port=([0-9]+)"))) << conninfo;
    proxy_port_ = static_cast<uint16_t>(std::stoi(m[1]));
    EXPECT_EQ(conninfo.find("password="), std::string::npos) << "the password lives in a 0600 passfile";
  }

  std::vector<ConnTarget> tcp_targets() const {
    std::vector<ConnTarget> out;
    for (const char* name : {"primary", "replica"}) out.push_back({"127.0.0.1", cluster_->node(name)->port});
    out.push_back({"127.0.0.1", proxy_port_});
    return out;
  }

  std::unique_ptr<Cluster> cluster_;
  uint16_t proxy_port_ = 0;
};

TEST_F(HarnessSecurityTest, NoClientWithoutTheRunsPasswordConnectsOverTcp) {
  for (const ConnTarget& t : tcp_targets()) EXPECT_FALSE(connects(t)) << "port " << t.port;
  // The harness itself still gets in, over the Unix socket in its private directory.
  EXPECT_TRUE(connects(cluster_->target(*cluster_->node("primary"))));
}

// Another local account (nobody) can reach neither the sockets nor, without the password,
// the TCP ports. As root the child becomes nobody; otherwise this user already is "another
// user" to the servers, which run as postgres only under root.
TEST_F(HarnessSecurityTest, ASecondLocalUserCannotConnect) {
  const ConnTarget socket = cluster_->target(*cluster_->node("primary"));
  const std::vector<ConnTarget> tcp = tcp_targets();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    bool other_user = false;
    if (geteuid() == 0) {
      const passwd* nobody = getpwnam("nobody");
      if (nobody == nullptr || setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0) _exit(3);
      other_user = true;
    }
    int got_in = other_user && connects(socket) ? 1 : 0;
    for (const ConnTarget& t : tcp) got_in |= connects(t) ? 2 : 0;
    _exit(got_in);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the socket let another user in; 2: a TCP port did; 3: no user nobody";
}

}  // namespace
}  // namespace replsim::harness
