#include "harness/fault_proxy.h"

#include <signal.h>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <vector>

namespace replsim::harness {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

struct Conn {
  explicit Conn(tcp::socket d, asio::io_context& io) : down(std::move(d)), up(io) {}
  tcp::socket down;  // The standby's side.
  tcp::socket up;    // The primary's side.
  bool closed = false;
  Clock::time_point next_free[2] = {};  // Bandwidth: when each direction's link is free again.
  void close() {
    if (closed) return;
    closed = true;
    error_code ec;
    down.close(ec);
    up.close(ec);
  }
};

// One direction's chunks read but not yet written, each with the time it was read.
struct Chunk {
  Clock::time_point read_at;
  std::vector<char> bytes;
};
struct Pipe {
  explicit Pipe(asio::io_context& io) : wake(io) {}
  std::deque<Chunk> chunks;
  size_t bytes = 0;         // In chunks.
  bool eof = false;         // The reading side ended: deliver what is queued, then close.
  asio::steady_timer wake;  // Cancelled when a chunk is queued or the reading ends.
};
// Past this much queued in one direction the proxy stops reading (TCP flow control).
constexpr size_t kMaxQueuedBytes = 1 << 20;

struct Link {
  explicit Link(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  uint16_t upstream = 0;
  LinkFaults faults;
  std::set<std::shared_ptr<Conn>> conns;
  uint64_t bytes = 0;
};

}  // namespace

struct FaultProxy::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::map<std::string, std::shared_ptr<Link>> links;
  std::thread thread;

  // Runs `fn` on the proxy thread and waits for it: all proxy state lives on that thread.
  template <typename F>
  auto run_sync(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }

  std::shared_ptr<Link> find(const std::string& name) {
    auto it = links.find(name);
    return it == links.end() ? nullptr : it->second;
  }

  asio::awaitable<void> accept_loop(std::shared_ptr<Link> link) {
    for (;;) {
      error_code ec;
      tcp::socket s = co_await link->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (!link->acceptor.is_open()) co_return;
      if (ec) continue;
      if (link->faults.refuse_new) {
        s.close(ec);
        continue;
      }
      asio::co_spawn(io, serve(link, std::move(s)), asio::detached);
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<Link> link, tcp::socket down) {
    auto conn = std::make_shared<Conn>(std::move(down), io);
    link->conns.insert(conn);
    error_code ec;
    co_await conn->up.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), link->upstream),
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec || conn->closed) {
      conn->close();
      link->conns.erase(conn);
      co_return;
    }
    conn->up.set_option(tcp::no_delay(true), ec);
    conn->down.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(io, pump(link, conn, true), asio::detached);
    asio::co_spawn(io, pump(link, conn, false), asio::detached);
  }

  // Two coroutines per direction: pump reads as bytes come (unless the direction is held, or
  // a megabyte is queued: then TCP flow control reaches the sender) and queues each chunk with
  // the time it was read; deliver writes each chunk once the latency has passed since then.
  // So the latency is a pipeline, as on a wire: a chunk read while an earlier one is still
  // delayed is not held back behind it (until 2026-12-07 the proxy read its next chunk only
  // after writing the last, so each direction carried one chunk per latency period).
  asio::awaitable<void> pump(std::shared_ptr<Link> link, std::shared_ptr<Conn> conn, bool to_standby) {
    tcp::socket& from = to_standby ? conn->up : conn->down;
    auto pipe = std::make_shared<Pipe>(io);
    asio::co_spawn(io, deliver(link, conn, to_standby, pipe), asio::detached);
    asio::steady_timer timer(io);
    for (;;) {
      error_code ec;
      // Polling every 2 ms while held costs nothing measurable and needs no extra wake-up path.
      while (!conn->closed && (held(*link, to_standby) || pipe->bytes >= kMaxQueuedBytes)) {
        timer.expires_after(std::chrono::milliseconds(2));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      std::vector<char> buf(64 * 1024);
      const size_t n = co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (ec || conn->closed) break;
      buf.resize(n);
      pipe->bytes += n;
      pipe->chunks.push_back(Chunk{Clock::now(), std::move(buf)});
      pipe->wake.cancel();
    }
    // What was read before the sender closed still crosses the wire; deliver closes after it.
    pipe->eof = true;
    pipe->wake.cancel();
  }

  // Hold while partitioned, delay, pace, write; at the end closes the connection.
  asio::awaitable<void> deliver(std::shared_ptr<Link> link, std::shared_ptr<Conn> conn, bool to_standby,
                                std::shared_ptr<Pipe> pipe) {
    tcp::socket& to = to_standby ? conn->down : conn->up;
    asio::steady_timer timer(io);
    for (;;) {
      error_code ec;
      while (pipe->chunks.empty() && !pipe->eof && !conn->closed) {
        pipe->wake.expires_at(Clock::time_point::max());
        co_await pipe->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (pipe->chunks.empty() || conn->closed) break;
      Chunk chunk = std::move(pipe->chunks.front());
      pipe->chunks.pop_front();
      pipe->bytes -= chunk.bytes.size();
      while (!conn->closed && held(*link, to_standby)) {
        timer.expires_after(std::chrono::milliseconds(2));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      const int64_t latency_us = to_standby ? link->faults.latency_to_standby_us : link->faults.latency_to_primary_us;
      if (latency_us > 0 && !conn->closed) {
        timer.expires_at(chunk.read_at + std::chrono::microseconds(latency_us));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      const int64_t bw = link->faults.bandwidth_bytes_per_s;
      const auto n = static_cast<int64_t>(chunk.bytes.size());
      if (bw > 0 && !conn->closed) {
        auto& free_at = conn->next_free[to_standby ? 0 : 1];
        free_at = std::max(free_at, Clock::now()) + std::chrono::microseconds(n * 1'000'000 / bw);
        timer.expires_at(free_at);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (conn->closed) break;
      co_await asio::async_write(to, asio::buffer(chunk.bytes), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      link->bytes += static_cast<uint64_t>(n);
    }
    conn->close();
    link->conns.erase(conn);
  }

  static bool held(const Link& link, bool to_standby) {
    return to_standby ? link.faults.hold_to_standby : link.faults.hold_to_primary;
  }
};

FaultProxy::FaultProxy() : impl_(std::make_unique<Impl>()) {
  // The proxy thread must not take SIGINT/SIGTERM: the scenario thread handles them.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  impl_->thread = std::thread([this] { impl_->io.run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

FaultProxy::~FaultProxy() {
  impl_->run_sync([this] {
    for (auto& [name, link] : impl_->links) {
      error_code ec;
      link->acceptor.close(ec);
      for (const auto& c : std::set(link->conns)) c->close();
    }
    return 0;
  });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

Result<uint16_t> FaultProxy::add_link(const std::string& name, uint16_t upstream_port) {
  return impl_->run_sync([&]() -> Result<uint16_t> {
    if (impl_->links.count(name) != 0) return Status::InvalidInput(fmt::format("proxy link {} exists", name));
    auto link = std::make_shared<Link>(impl_->io);
    error_code ec;
    tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
    link->acceptor.open(ep.protocol(), ec);
    if (!ec) link->acceptor.bind(ep, ec);
    if (!ec) link->acceptor.listen(64, ec);
    if (ec) return Status::IoError(fmt::format("proxy listen on 127.0.0.1: {}", ec.message()));
    link->upstream = upstream_port;
    impl_->links[name] = link;
    asio::co_spawn(impl_->io, impl_->accept_loop(link), asio::detached);
    return link->acceptor.local_endpoint().port();
  });
}

void FaultProxy::set_upstream(const std::string& name, uint16_t upstream_port) {
  impl_->run_sync([&] {
    if (auto link = impl_->find(name)) link->upstream = upstream_port;
    return 0;
  });
}

void FaultProxy::set_faults(const std::string& name, const LinkFaults& faults) {
  impl_->run_sync([&] {
    if (auto link = impl_->find(name)) link->faults = faults;
    return 0;
  });
}

LinkFaults FaultProxy::faults(const std::string& name) {
  return impl_->run_sync([&] {
    auto link = impl_->find(name);
    return link ? link->faults : LinkFaults{};
  });
}

void FaultProxy::reset(const std::string& name) {
  impl_->run_sync([&] {
    if (auto link = impl_->find(name)) {
      for (const auto& c : std::set(link->conns)) c->close();
      link->conns.clear();
    }
    return 0;
  });
}

int FaultProxy::connections(const std::string& name) {
  return impl_->run_sync([&] {
    auto link = impl_->find(name);
    return link ? static_cast<int>(link->conns.size()) : 0;
  });
}

uint64_t FaultProxy::bytes_forwarded(const std::string& name) {
  return impl_->run_sync([&] {
    auto link = impl_->find(name);
    return link ? link->bytes : uint64_t{0};
  });
}

}  // namespace replsim::harness
