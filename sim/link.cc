#include "sim/link.h"

#include <algorithm>

namespace replsim::sim {

Link::Link(World& world, int upstream, int standby, int64_t latency_us)
    : world_(world), upstream_(upstream), standby_(standby), latency_us_(latency_us) {}

int64_t Link::arrival_delay_us(Direction direction, uint64_t bytes) {
  const int d = direction == Direction::kToStandby ? 0 : 1;
  int64_t& busy = busy_until_us_[d];
  const int64_t start = std::max(world_.now_us(), busy);
  busy = start + static_cast<int64_t>(bytes) / kLinkBytesPerUs;
  const uint64_t jitter_range = static_cast<uint64_t>(latency_us_ / 10) + 1;
  const int64_t jitter = static_cast<int64_t>(world_.network_prng().uniform(jitter_range));
  last_arrival_us_[d] = std::max(last_arrival_us_[d], busy + latency_us_ + jitter);
  return last_arrival_us_[d] - world_.now_us();
}

void Link::connect(Lsn start, int slot) {
  ++generation_;
  connected_ = true;
  slot_ = slot;
  orphaned = false;
  last_reply_us = world_.now_us();  // WalSndLoop starts the timeout's clock at the connection.
  sent_lsn = start;
  has_feedback = false;
  reported_write = reported_flush = reported_apply = Lsn{};
}

void Link::disconnect() {
  ++generation_;
  connected_ = false;
  orphaned = false;
  slot_ = -1;
  has_feedback = false;
}

}  // namespace replsim::sim
