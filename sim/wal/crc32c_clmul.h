// The CRC32C of one WAL record by carry-less multiplication (AVX-512 VPCLMULQDQ), inline so that
// WalReader's window scan can check each record as it finds it. Internal to sim/wal: callers
// outside use crc32c_check_records() (crc32c.h), which also has the portable fallback.
//
// A record's CRC without a chain. With w_0..w_{n-1} its 8-byte words (w_0's low 4 bytes, the
// stored CRC, taken as zero: leading zeros do not change a CRC started from 0),
//   raw = XOR_j w_j * x^(64*(n-1-j) + 32) mod P            (crc32_u64 chained from 0)
//   crc = ~(raw XOR ~0 * x^(8*(8n-4)) mod P)                 (the ~0 start, over 8n-4 bytes)
// Each term is one 64x32-bit carry-less product w_j * K with K = x^(64*(n-1-j) + 31) (the
// product of two reflected operands comes out one degree short, hence 31 rather than 32), the
// products are XORed together, and one crc32 instruction reduces the 96-bit sum modulo P. No
// record waits on another record or on its own previous word, unlike a crc32 chain (3 cycles
// per word), so a run of records costs multiplier throughput, not latency, and needs no
// grouping by length.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace replsim::wal::internal {

// Records of up to 16 words (128 bytes) are checked this way: every record of the generated
// stream. Longer ones (rows over ~80 bytes) take the crc32 path.
inline constexpr size_t kMaxClmulWords = 16;

struct ClmulTables {
  // multipliers[n][q]: the constant for word q (0..15) of an n-word record, 0 past its end.
  alignas(64) std::array<std::array<uint64_t, kMaxClmulWords>, kMaxClmulWords + 1> multipliers{};
  std::array<uint32_t, kMaxClmulWords + 1> start_term{};  // ~0 * x^(8*(8n-4)) mod P.
  std::array<uint16_t, kMaxClmulWords + 1> low_mask{};    // 32-bit lanes of words 0..7, minus the CRC.
  std::array<uint8_t, kMaxClmulWords + 1> high_mask{};    // 64-bit lanes of words 8..15.
  constexpr ClmulTables();                                // In crc32c.cc, with the GF(2) arithmetic.
};
extern const ClmulTables kClmulTables;

#if defined(__x86_64__)
#define REPLSIM_CLMUL_TARGET __attribute__((target("sse4.2,avx2,avx512f,pclmul,vpclmulqdq")))

// The CRC of the record of `words` 8-byte words at p, to compare with its first 4 bytes. Masked
// loads read only the record's own bytes (a masked-off lane never faults), and a record of up
// to 8 words loads and multiplies nothing for words 8..15 (the mask is empty), at the price of
// two zero products: no branch depends on the length, which varies from record to record.
// REQUIRES: crc32c_clmul_available(); 1 <= words <= kMaxClmulWords; p has 8 * words bytes.
REPLSIM_CLMUL_TARGET __attribute__((always_inline)) inline uint32_t record_crc_clmul(const char* p, size_t words) {
  const ClmulTables& t = kClmulTables;
  const __m512i low = _mm512_maskz_loadu_epi32(t.low_mask[words], p);
  const __m512i high = _mm512_maskz_loadu_epi64(t.high_mask[words], p + 64);
  const __m512i k_low = _mm512_load_si512(t.multipliers[words].data());
  const __m512i k_high = _mm512_load_si512(t.multipliers[words].data() + 8);
  const __m512i sum = _mm512_ternarylogic_epi64(
      _mm512_clmulepi64_epi128(low, k_low, 0x00), _mm512_clmulepi64_epi128(low, k_low, 0x11),
      _mm512_xor_si512(_mm512_clmulepi64_epi128(high, k_high, 0x00), _mm512_clmulepi64_epi128(high, k_high, 0x11)),
      0x96);  // a ^ b ^ c
  // Zero-masked shuffles and a vector subscript rather than extracts and casts: GCC 12's
  // versions of those start from an "undefined" register, which -Wmaybe-uninitialized reports.
  const __m512i half = _mm512_xor_si512(sum, _mm512_maskz_shuffle_i64x2(0xFF, sum, sum, 0x4E));  // Lanes 2,3 onto 0,1.
  const __m512i all = _mm512_xor_si512(half, _mm512_maskz_shuffle_i64x2(0xFF, half, half, 0xB1));  // Lane 1 onto 0.
  using Words = uint64_t __attribute__((vector_size(64)));
  const Words words_of_all = reinterpret_cast<Words>(all);
  // The 96-bit sum: bits 0..63 are x^95..x^32 (reduced by crc32), bits 64..95 are x^31..x^0.
  const uint64_t high_degrees = words_of_all[0];
  const uint32_t low_degrees = static_cast<uint32_t>(words_of_all[1]);
  return ~(static_cast<uint32_t>(_mm_crc32_u64(0, high_degrees)) ^ low_degrees ^ t.start_term[words]);
}
#endif

}  // namespace replsim::wal::internal
