// SIGINT/SIGTERM while a scenario runs: the handler only records the signal; every wait
// loop of the harness polls interrupted() and unwinds with an error, and RAII owners stop
// the servers and remove the directory on the way out.
#pragma once

namespace replsim::harness {

// Installs the handlers for its lifetime and restores the previous ones after. Nestable.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// True once SIGINT or SIGTERM arrived under a guard (until reset_interrupt()).
bool interrupted();
// The signal that arrived (0 = none).
int interrupt_signal();
void reset_interrupt();

}  // namespace replsim::harness
