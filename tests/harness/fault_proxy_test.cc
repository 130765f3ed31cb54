// FaultProxy against a local echo server: bytes pass, are held while partitioned and
// delivered on heal, new connections are refused, resets drop held bytes, latency delays.
#include "harness/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace replsim::harness {
namespace {

// Both directions held and new connections refused: what a `partition` step sets.
const LinkFaults kPartitioned{true, true, true, 0, 0, 0};

using Clock = std::chrono::steady_clock;

// Echoes every byte back, one connection at a time, on its own thread.
class EchoServer {
 public:
  EchoServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        struct pollfd p = {fd_, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        int c = accept(fd_, nullptr, nullptr);
        std::thread([c] {
          char buf[4096];
          ssize_t n;
          while ((n = read(c, buf, sizeof buf)) > 0) (void)!write(c, buf, static_cast<size_t>(n));
          close(c);
        }).detach();
      }
    });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads what arrives within `ms`; "<eof>" when the peer closed with nothing sent.
std::string read_for(int fd, int ms) {
  std::string out;
  const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < deadline) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return out.empty() ? "<eof>" : out;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(FaultProxyTest, PassesBytesBothWays) {
  EchoServer echo;
  FaultProxy proxy;
  auto port = proxy.add_link("r1", echo.port());
  ASSERT_TRUE(port.ok());
  int fd = connect_to(*port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "hello", 5), 5);
  EXPECT_EQ(read_for(fd, 200), "hello");
  EXPECT_EQ(proxy.connections("r1"), 1);
  close(fd);
}

TEST(FaultProxyTest, PartitionHoldsBytesAndHealDeliversThem) {
  EchoServer echo;
  FaultProxy proxy;
  uint16_t port = *proxy.add_link("r1", echo.port());
  int fd = connect_to(port);
  ASSERT_EQ(write(fd, "a", 1), 1);
  EXPECT_EQ(read_for(fd, 200), "a");
  proxy.set_faults("r1", kPartitioned);
  ASSERT_EQ(write(fd, "b", 1), 1);
  EXPECT_EQ(read_for(fd, 100), "");  // Held, not lost.
  proxy.set_faults("r1", LinkFaults{});
  EXPECT_EQ(read_for(fd, 200), "b");
  close(fd);
}

TEST(FaultProxyTest, PartitionRefusesNewConnections) {
  EchoServer echo;
  FaultProxy proxy;
  uint16_t port = *proxy.add_link("r1", echo.port());
  proxy.set_faults("r1", kPartitioned);
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);  // The kernel accepts; the proxy closes at once.
  EXPECT_EQ(read_for(fd, 200), "<eof>");
  close(fd);
}

TEST(FaultProxyTest, ResetDropsHeldBytes) {
  EchoServer echo;
  FaultProxy proxy;
  uint16_t port = *proxy.add_link("r1", echo.port());
  int fd = connect_to(port);
  ASSERT_EQ(write(fd, "a", 1), 1);
  EXPECT_EQ(read_for(fd, 200), "a");
  proxy.set_faults("r1", LinkFaults{false, true, false, 0, 0, 0});  // One way: echoes held.
  ASSERT_EQ(write(fd, "b", 1), 1);
  EXPECT_EQ(read_for(fd, 100), "");
  proxy.reset("r1");
  proxy.set_faults("r1", LinkFaults{});
  EXPECT_EQ(read_for(fd, 200), "<eof>");
  EXPECT_EQ(proxy.connections("r1"), 0);
  close(fd);
}

TEST(FaultProxyTest, LatencyDelaysEachDirection) {
  EchoServer echo;
  FaultProxy proxy;
  uint16_t port = *proxy.add_link("r1", echo.port());
  proxy.set_faults("r1", LinkFaults{false, false, false, 50'000, 30'000, 0});
  int fd = connect_to(port);
  const auto t0 = Clock::now();
  ASSERT_EQ(write(fd, "x", 1), 1);
  EXPECT_EQ(read_for(fd, 300).substr(0, 1), "x");
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(80));
  close(fd);
}

// The latency is a pipeline, as on a wire: bytes sent 30 ms after others arrive 30 ms after
// them, not a whole latency after the first were delivered (the proxy once carried one chunk
// per latency period, and a burst's WAL waited up to twice the latency).
TEST(FaultProxyTest, LatencyIsAPipelineNotOneChunkAtATime) {
  EchoServer echo;
  FaultProxy proxy;
  uint16_t port = *proxy.add_link("r1", echo.port());
  proxy.set_faults("r1", LinkFaults{false, false, false, 0, 100'000, 0});  // 100 ms towards the echo.
  int fd = connect_to(port);
  const auto t0 = Clock::now();
  ASSERT_EQ(write(fd, "a", 1), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_EQ(write(fd, "b", 1), 1);
  std::string got;
  while (got.size() < 2 && Clock::now() - t0 < std::chrono::milliseconds(500)) got += read_for(fd, 5);
  const auto elapsed = Clock::now() - t0;
  EXPECT_EQ(got, "ab");
  EXPECT_GE(elapsed, std::chrono::milliseconds(125));  // b: sent at 30 ms, plus 100 ms.
  EXPECT_LT(elapsed, std::chrono::milliseconds(190));  // Not 200 ms: behind a, plus 100 ms.
  close(fd);
}

TEST(FaultProxyTest, BandwidthCapPacesBytes) {
  EchoServer echo;
  FaultProxy proxy;
  uint16_t port = *proxy.add_link("r1", echo.port());
  proxy.set_faults("r1", LinkFaults{false, false, false, 0, 0, 100'000});  // 100 kB/s.
  int fd = connect_to(port);
  const std::string payload(10'000, 'z');
  const auto t0 = Clock::now();
  ASSERT_EQ(write(fd, payload.data(), payload.size()), static_cast<ssize_t>(payload.size()));
  std::string got;
  while (got.size() < payload.size() && Clock::now() - t0 < std::chrono::seconds(2)) got += read_for(fd, 20);
  EXPECT_EQ(got.size(), payload.size());
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(150));  // 10 kB each way at 100 kB/s.
  close(fd);
}

}  // namespace
}  // namespace replsim::harness
