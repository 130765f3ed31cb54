// CRC32C (Castagnoli), the checksum PostgreSQL uses for WAL. Uses the SSE4.2 crc32
// instruction when the CPU has it (chosen once at run time) and a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace replsim::wal {

// CRC32C of `data[0, n)` continuing from `crc` (0 to start a new checksum).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n);
inline uint32_t crc32c(const void* data, size_t n) { return crc32c_extend(0, data, n); }

// The two implementations, exposed so tests can check they agree.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t n);
// REQUIRES: crc32c_hardware_available().
uint32_t crc32c_extend_hardware(uint32_t crc, const void* data, size_t n);
bool crc32c_hardware_available();

}  // namespace replsim::wal
