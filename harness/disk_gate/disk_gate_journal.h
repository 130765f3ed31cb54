/* The disk gate's control directory and undo journal: shared by the preloaded gate (C, in
 * every postgres process of a gated node) and the harness (C++), which undoes the journal
 * after an emulated operating-system crash. docs/harness.md, "Disk stalls and
 * operating-system crashes", describes the whole fault.
 *
 * Control directory ($REPLSIM_DISK_GATE_DIR, owned by the server user, mode 0700):
 *   stalled   exists = the disk is stalled: fsync & co. never return, WAL writes are journaled
 *   lock      flock()ed exclusively around "journal one write, then do it" by the gate, and by
 *             the harness while it lifts a stall or kills and undoes (no half-written record)
 *   journal   the undo journal: records appended in the order the writes happened
 *
 * A journal record, native byte order (written and read on the same machine):
 *   DiskGateRecord header | path (path_length bytes, no NUL) | old bytes (old_length bytes)
 * It says: before a write of `length` bytes at `offset` into `path`, the file was `old_size`
 * bytes long and held these `old_length` bytes at `offset` (old_length = the part of
 * [offset, offset + length) that lay below old_size). Undoing it writes the old bytes back and,
 * if the write reached past old_size, truncates the file to old_size. A write larger than
 * DISK_GATE_CHUNK_BYTES is journaled as several records, one per chunk, each self-contained. */
#ifndef REPLSIM_HARNESS_DISK_GATE_JOURNAL_H_
#define REPLSIM_HARNESS_DISK_GATE_JOURNAL_H_

#include <stdint.h>

#define DISK_GATE_ENV_DIR "REPLSIM_DISK_GATE_DIR"
#define DISK_GATE_ENV_WAL "REPLSIM_DISK_GATE_WAL"
#define DISK_GATE_STALL_FILE "stalled"
#define DISK_GATE_LOCK_FILE "lock"
#define DISK_GATE_JOURNAL_FILE "journal"

#define DISK_GATE_RECORD_MAGIC 0x4a474452u /* "RDGJ" read as little-endian bytes */
#define DISK_GATE_CHUNK_BYTES 16384u
#define DISK_GATE_MAX_PATH 1024u /* Longer paths are not journaled: the write fails with EIO. */

struct DiskGateRecord {
  uint32_t magic;
  uint32_t path_length;
  uint64_t offset;
  uint64_t length;
  uint64_t old_size;
  uint64_t old_length;
  uint64_t pid; /* The writing process, for the harness's notes. */
};

#ifdef __cplusplus
static_assert(sizeof(DiskGateRecord) == 48, "the journal's header layout is fixed");
#else
_Static_assert(sizeof(struct DiskGateRecord) == 48, "the journal's header layout is fixed");
#endif

#endif /* REPLSIM_HARNESS_DISK_GATE_JOURNAL_H_ */
