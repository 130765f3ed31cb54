// Prng: the simulator's only source of randomness. xoshiro256** seeded through
// splitmix64, with hand-written distributions so that every standard library draws the
// same numbers from the same seed (std::uniform_int_distribution does not promise that).
#pragma once

#include <cstdint>
#include <string_view>

namespace replsim::sim {

class Prng {
 public:
  explicit Prng(uint64_t seed);

  uint64_t next();
  // A number in [0, n). REQUIRES: n > 0.
  uint64_t uniform(uint64_t n);
  // True with probability `numerator / denominator`. REQUIRES: 0 < denominator.
  bool chance(uint64_t numerator, uint64_t denominator);

  // A seed for one subsystem ("network", "storage", ...) derived from `master` and the name
  // alone, so a new draw in one subsystem never shifts the numbers another one sees.
  static uint64_t sub_seed(uint64_t master, std::string_view subsystem);

 private:
  uint64_t s_[4];
};

}  // namespace replsim::sim
