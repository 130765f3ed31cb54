#include "sim/prng.h"

#include "vocab/assert.h"

namespace replsim::sim {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Prng::Prng(uint64_t seed) {
  uint64_t state = seed;
  for (auto& word : s_) word = splitmix64(state);
}

uint64_t Prng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Prng::uniform(uint64_t n) {
  REPLSIM_ASSERT(n > 0, "uniform(0) has no values to draw");
  // Rejection sampling: no modulo bias, and the same numbers everywhere.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x = next();
  while (x >= limit) x = next();
  return x % n;
}

bool Prng::chance(uint64_t numerator, uint64_t denominator) {
  REPLSIM_ASSERT(denominator > 0, "chance needs a denominator");
  return uniform(denominator) < numerator;
}

uint64_t Prng::sub_seed(uint64_t master, std::string_view subsystem) {
  // FNV-1a of the name, mixed with the master seed through splitmix64.
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : subsystem) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  uint64_t state = master ^ h;
  return splitmix64(state);
}

}  // namespace replsim::sim
