// CRC32C (Castagnoli), the checksum PostgreSQL uses for WAL. Uses the SSE4.2 crc32
// instruction when the CPU has it (chosen once at run time) and a table otherwise; batches of
// WAL records use AVX-512 carry-less multiplication (VPCLMULQDQ) when the CPU has that.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace replsim::wal {

using Crc32cFunction = uint32_t (*)(uint32_t crc, const void* data, size_t n);
using CheckRecordsFunction = uint64_t (*)(const char* const* records, const uint32_t* aligned_lengths, size_t n);
namespace internal {
// Each starts as a resolver that picks the implementation on first use and stores it here, so
// each later call is one indirect call with no "initialised yet?" check.
extern std::atomic<Crc32cFunction> crc32c_impl;
extern std::atomic<CheckRecordsFunction> check_records_impl;
}  // namespace internal

// CRC32C of `data[0, n)` continuing from `crc` (0 to start a new checksum).
inline uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n) {
  return internal::crc32c_impl.load(std::memory_order_relaxed)(crc, data, n);
}
inline uint32_t crc32c(const void* data, size_t n) { return crc32c_extend(0, data, n); }

// Checks the CRCs of n WAL records at once (log_format.h: the stored CRC in a record's first 4
// bytes covers [4, aligned length)). records[i] points at a record of aligned_lengths[i] bytes.
// Returns a mask with bit i set when record i's CRC does not match. With AVX-512 VPCLMULQDQ each
// record's CRC is a sum of carry-less products (no chain of dependent instructions); with only
// SSE4.2, records of equal length are checked four at a time in interleaved crc32 chains. Either
// way a run of small records costs instruction throughput rather than latency.
// REQUIRES: n <= 64; each aligned_lengths[i] is a multiple of 8 and at least kHeaderSize.
uint64_t crc32c_check_records(const char* const* records, const uint32_t* aligned_lengths, size_t n);
// Its implementations, exposed so tests can check each against the portable one (same contract).
uint64_t crc32c_check_records_portable(const char* const* records, const uint32_t* aligned_lengths, size_t n);
// REQUIRES: crc32c_hardware_available().
uint64_t crc32c_check_records_hardware(const char* const* records, const uint32_t* aligned_lengths, size_t n);
// REQUIRES: crc32c_clmul_available().
uint64_t crc32c_check_records_clmul(const char* const* records, const uint32_t* aligned_lengths, size_t n);

// The two implementations, exposed so tests can check they agree.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t n);
// REQUIRES: crc32c_hardware_available().
uint32_t crc32c_extend_hardware(uint32_t crc, const void* data, size_t n);
bool crc32c_hardware_available();
// AVX-512 with VPCLMULQDQ (and the OS saving 512-bit registers): e.g. AMD Zen 4/5, Intel Ice Lake on.
bool crc32c_clmul_available();

// Which implementations crc32c(), crc32c_check_records() and WalReader's window scan use: the
// fastest this CPU has, chosen on first use.
enum class Crc32cPath { kPortable, kCrc32Instruction, kCarrylessMultiply };
Crc32cPath crc32c_path();
bool crc32c_path_available(Crc32cPath path);
// Switches every caller to `path` from now on and returns the previous path, so that tests can
// run the same WAL through each one. Not for concurrent use with readers (tests only).
// REQUIRES: crc32c_path_available(path).
Crc32cPath set_crc32c_path_for_testing(Crc32cPath path);

}  // namespace replsim::wal
