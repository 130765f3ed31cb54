#include "sim/wal/crc32c.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "sim/wal/crc32c_clmul.h"
#include "sim/wal/log_format.h"
#include "vocab/assert.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace replsim::wal {
namespace {

// Slicing-by-8 tables for the reflected polynomial 0x82F63B78.
struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};
constexpr Tables kTables;

// Multiplication of CRC states by x^(8*len) in GF(2), via the portable table-driven zero-extension:
// shifting a CRC over `len` zero bytes. Computed once per block length.
constexpr uint32_t gf2_multiply(uint32_t a, uint32_t b) {
  // Reflected polynomial multiplication modulo P.
  uint32_t product = 0;
  for (int i = 0; i < 32; ++i) {
    if (b & 0x80000000u) product ^= a;
    b <<= 1;
    a = (a & 1) ? (a >> 1) ^ 0x82F63B78u : a >> 1;
  }
  return product;
}

// x^(8*n) mod P in reflected form: the operator that appends n zero bytes to a raw CRC state.
constexpr uint32_t x_pow_8n(size_t n) {
  uint32_t result = 0x80000000u;  // x^0
  uint32_t base = 0x00800000u;    // x^8 (one zero byte)
  while (n > 0) {
    if (n & 1) result = gf2_multiply(result, base);
    base = gf2_multiply(base, base);
    n >>= 1;
  }
  return result;
}

// x^n mod P in reflected form, for any n (not only whole bytes).
constexpr uint32_t x_pow(uint64_t n) {
  uint32_t result = 0x80000000u;  // x^0
  uint32_t base = 0x40000000u;    // x^1
  while (n > 0) {
    if (n & 1) result = gf2_multiply(result, base);
    base = gf2_multiply(base, base);
    n >>= 1;
  }
  return result;
}

#if defined(__x86_64__)
// One record's CRC is a serial chain of crc32q (3-cycle latency); buffers of a few KB and up are
// split into three independent streams combined with a carry-less-free shift table, which is
// what makes "CRC32C alone" reach the instruction's throughput rather than its latency.
__attribute__((target("sse4.2"), always_inline)) inline uint32_t crc_hw_serial(uint32_t crc, const unsigned char* p,
                                                                               size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  if (n >= 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    c32 = _mm_crc32_u32(c32, v);
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return c32;
}

constexpr size_t kBlock = 4096;  // Bytes per stream per round of the 3-way loop.

struct ShiftConstant {
  uint32_t k1 = x_pow_8n(2 * kBlock);  // Shifts stream A past B and C.
  uint32_t k2 = x_pow_8n(kBlock);      // Shifts stream B past C.
};

__attribute__((target("sse4.2"))) uint32_t crc_hw(uint32_t crc, const unsigned char* p, size_t n) {
  if (n < 3 * kBlock) return crc_hw_serial(crc, p, n);
  static const ShiftConstant k;
  uint64_t a = crc;
  while (n >= 3 * kBlock) {
    uint64_t b = 0, c = 0;
    const unsigned char* pb = p + kBlock;
    const unsigned char* pc = p + 2 * kBlock;
    for (size_t i = 0; i < kBlock; i += 8) {
      uint64_t va, vb, vc;
      std::memcpy(&va, p + i, 8);
      std::memcpy(&vb, pb + i, 8);
      std::memcpy(&vc, pc + i, 8);
      a = _mm_crc32_u64(a, va);
      b = _mm_crc32_u64(b, vb);
      c = _mm_crc32_u64(c, vc);
    }
    // crc(A||B||C) = shift(crcA, |B|+|C|) ^ shift(crcB, |C|) ^ crcC, with raw (non-inverted) states.
    a = gf2_multiply(static_cast<uint32_t>(a), k.k1) ^ gf2_multiply(static_cast<uint32_t>(b), k.k2) ^
        static_cast<uint32_t>(c);
    p += 3 * kBlock;
    n -= 3 * kBlock;
  }
  return crc_hw_serial(static_cast<uint32_t>(a), p, n);
}

// Independent CRC chains per loop: crc32 has 3 cycles of latency. Four chains hide it; six and
// eight (the throughput of two per cycle of AMD Zen 5) measured no faster here, where the
// loads and the grouping, not the crc32 unit, are what is left.
constexpr size_t kLanes = 4;

// Records of up to this many 8-byte words after the first 8 bytes are grouped by length; longer
// ones (rare: rows over ~100 bytes) are checked one at a time.
constexpr size_t kMaxGroupedWords = 15;

__attribute__((target("sse4.2"))) uint64_t check_records_hw(const char* const* records, const uint32_t* aligned,
                                                            size_t n) {
  // Group the records by length, so that the lanes of the loop below always have the same
  // number of steps: no branch depends on one record's length, and nothing is computed twice
  // except when a group's size is not a multiple of kLanes. A group is a bit mask of record
  // indices, kept in four copies by index so that consecutive records of one length do not
  // wait on each other's read-modify-write of the same mask (a counter per group did: it was
  // 40% of this function).
  uint64_t groups[4][kMaxGroupedWords + 1] = {};
  uint64_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t words = (aligned[i] - 8) / 8;
    if (words <= kMaxGroupedWords) {
      groups[i & 3][words] |= uint64_t{1} << i;
    } else {
      uint32_t stored;
      std::memcpy(&stored, records[i], 4);
      const uint32_t crc = ~crc_hw(~0u, reinterpret_cast<const unsigned char*>(records[i]) + 4, aligned[i] - 4);
      bad |= uint64_t{crc != stored} << i;
    }
  }
  auto word = [](const char* p, size_t k) {
    uint64_t v;
    std::memcpy(&v, p + 8 + 8 * k, 8);
    return v;
  };
  auto first = [](const char* p) {  // Bytes [4, 8): the CRC starts after the crc field.
    uint32_t v;
    std::memcpy(&v, p + 4, 4);
    return v;
  };
  auto mismatch = [](const char* p, uint64_t crc) {
    uint32_t stored;
    std::memcpy(&stored, p, 4);
    return uint64_t{~static_cast<uint32_t>(crc) != stored};
  };
  for (size_t words = 0; words <= kMaxGroupedWords; ++words) {
    uint64_t members = groups[0][words] | groups[1][words] | groups[2][words] | groups[3][words];
    while (members != 0) {
      // A short last group repeats its last record in the spare lanes.
      const char* p[kLanes];
      uint32_t index[kLanes];
      uint64_t c[kLanes];
      uint32_t last = 0;
#pragma GCC unroll 8
      for (size_t l = 0; l < kLanes; ++l) {
        if (members != 0) {
          last = static_cast<uint32_t>(std::countr_zero(members));
          members &= members - 1;
        }
        index[l] = last;
        p[l] = records[last];
        c[l] = _mm_crc32_u32(~0u, first(p[l]));
      }
#pragma GCC unroll 8
      for (size_t k = 0; k < words; ++k) {
#pragma GCC unroll 8
        for (size_t l = 0; l < kLanes; ++l) c[l] = _mm_crc32_u64(c[l], word(p[l], k));
      }
#pragma GCC unroll 8
      for (size_t l = 0; l < kLanes; ++l) bad |= mismatch(p[l], c[l]) << index[l];
    }
  }
  return bad;
}

}  // namespace

namespace internal {
constexpr ClmulTables::ClmulTables() {
  for (size_t n = 1; n <= kMaxClmulWords; ++n) {
    for (size_t q = 0; q < n; ++q) multipliers[n][q] = x_pow(64 * (n - 1 - q) + 31);
    start_term[n] = gf2_multiply(~0u, x_pow_8n(8 * n - 4));
    const size_t low_words = std::min<size_t>(n, 8);
    low_mask[n] = static_cast<uint16_t>(((1u << (2 * low_words)) - 1) & ~1u);
    high_mask[n] = static_cast<uint8_t>((1u << (n - low_words)) - 1);
  }
}
constinit const ClmulTables kClmulTables;
}  // namespace internal

namespace {
using internal::kMaxClmulWords;
using internal::record_crc_clmul;

REPLSIM_CLMUL_TARGET uint64_t check_records_clmul(const char* const* records, const uint32_t* aligned, size_t n) {
  uint64_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const char* p = records[i];
    const size_t words = aligned[i] / 8;
    uint32_t stored;
    std::memcpy(&stored, p, 4);
    uint32_t crc;
    if (words <= kMaxClmulWords) [[likely]] {
      crc = record_crc_clmul(p, words);
    } else {
      crc = ~crc_hw(~0u, reinterpret_cast<const unsigned char*>(p) + kCrcStart, aligned[i] - kCrcStart);
    }
    bad |= uint64_t{crc != stored} << i;
  }
  return bad;
}
#endif

uint64_t check_records_portable(const char* const* records, const uint32_t* aligned, size_t n) {
  uint64_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t stored;
    std::memcpy(&stored, records[i], 4);
    bad |= uint64_t{crc32c_extend_portable(0, records[i] + kCrcStart, aligned[i] - kCrcStart) != stored} << i;
  }
  return bad;
}

}  // namespace

uint64_t crc32c_check_records(const char* const* records, const uint32_t* aligned_lengths, size_t n) {
  REPLSIM_ASSERT(n <= 64, "at most 64 records per check");
  return internal::check_records_impl.load(std::memory_order_relaxed)(records, aligned_lengths, n);
}

uint64_t crc32c_check_records_portable(const char* const* records, const uint32_t* aligned_lengths, size_t n) {
  REPLSIM_ASSERT(n <= 64, "at most 64 records per check");
  return check_records_portable(records, aligned_lengths, n);
}

uint64_t crc32c_check_records_hardware(const char* const* records, const uint32_t* aligned_lengths, size_t n) {
  REPLSIM_ASSERT(n <= 64, "at most 64 records per check");
  REPLSIM_ASSERT(crc32c_hardware_available(), "the crc32 instruction is available");
#if defined(__x86_64__)
  return check_records_hw(records, aligned_lengths, n);
#else
  return check_records_portable(records, aligned_lengths, n);
#endif
}

uint64_t crc32c_check_records_clmul(const char* const* records, const uint32_t* aligned_lengths, size_t n) {
  REPLSIM_ASSERT(n <= 64, "at most 64 records per check");
  REPLSIM_ASSERT(crc32c_clmul_available(), "AVX-512 carry-less multiplication is available");
#if defined(__x86_64__)
  return check_records_clmul(records, aligned_lengths, n);
#else
  return check_records_portable(records, aligned_lengths, n);
#endif
}

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables.t[7][lo & 0xFF] ^ kTables.t[6][(lo >> 8) & 0xFF] ^ kTables.t[5][(lo >> 16) & 0xFF] ^
        kTables.t[4][lo >> 24] ^ kTables.t[3][hi & 0xFF] ^ kTables.t[2][(hi >> 8) & 0xFF] ^
        kTables.t[1][(hi >> 16) & 0xFF] ^ kTables.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = kTables.t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return ~c;
}

bool crc32c_hardware_available() {
#if defined(__x86_64__)
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
#else
  return false;
#endif
}

bool crc32c_clmul_available() {
#if defined(__x86_64__)
  // __builtin_cpu_supports("avx512f") also checks that the OS saves the 512-bit registers.
  static const bool available = crc32c_hardware_available() && __builtin_cpu_supports("avx2") &&
                                __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("pclmul") &&
                                __builtin_cpu_supports("vpclmulqdq");
  return available;
#else
  return false;
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
#endif
uint32_t
crc32c_extend_hardware(uint32_t crc, const void* data, size_t n) {
#if defined(__x86_64__)
  return ~crc_hw(~crc, static_cast<const unsigned char*>(data), n);
#else
  return crc32c_extend_portable(crc, data, n);
#endif
}

bool crc32c_path_available(Crc32cPath path) {
  switch (path) {
    case Crc32cPath::kPortable: return true;
    case Crc32cPath::kCrc32Instruction: return crc32c_hardware_available();
    case Crc32cPath::kCarrylessMultiply: return crc32c_clmul_available();
  }
  return false;
}

namespace {
Crc32cPath best_path() {
  if (crc32c_clmul_available()) return Crc32cPath::kCarrylessMultiply;
  return crc32c_hardware_available() ? Crc32cPath::kCrc32Instruction : Crc32cPath::kPortable;
}

// -1 until first use; then a Crc32cPath.
constinit std::atomic<int> g_path{-1};

void install(Crc32cPath path) {
  const Crc32cFunction crc = path == Crc32cPath::kPortable ? crc32c_extend_portable : crc32c_extend_hardware;
  CheckRecordsFunction check = check_records_portable;
#if defined(__x86_64__)
  if (path == Crc32cPath::kCarrylessMultiply) check = check_records_clmul;
  if (path == Crc32cPath::kCrc32Instruction) check = check_records_hw;
#endif
  internal::crc32c_impl.store(crc, std::memory_order_relaxed);
  internal::check_records_impl.store(check, std::memory_order_relaxed);
  g_path.store(static_cast<int>(path), std::memory_order_relaxed);
}

uint32_t crc32c_resolve(uint32_t crc, const void* data, size_t n) {
  (void)crc32c_path();
  return crc32c_extend(crc, data, n);
}

uint64_t check_records_resolve(const char* const* records, const uint32_t* aligned_lengths, size_t n) {
  (void)crc32c_path();
  return crc32c_check_records(records, aligned_lengths, n);
}
}  // namespace

Crc32cPath crc32c_path() {
  const int path = g_path.load(std::memory_order_relaxed);
  if (path >= 0) [[likely]]
    return static_cast<Crc32cPath>(path);
  // Two threads may both get here: they install the same choice.
  const Crc32cPath best = best_path();
  install(best);
  return best;
}

Crc32cPath set_crc32c_path_for_testing(Crc32cPath path) {
  REPLSIM_ASSERT(crc32c_path_available(path), "the CPU supports the CRC32C path asked for");
  const Crc32cPath previous = crc32c_path();
  install(path);
  return previous;
}

namespace internal {
constinit std::atomic<Crc32cFunction> crc32c_impl{crc32c_resolve};
constinit std::atomic<CheckRecordsFunction> check_records_impl{check_records_resolve};
}  // namespace internal

}  // namespace replsim::wal
