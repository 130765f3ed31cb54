/* replsim_disk_gate: an LD_PRELOAD library that lets the harness stall a node's disk and then
 * lose, as an operating-system crash would, every WAL write that was not yet fsynced -- the way
 * Jepsen's LazyFS does, without a FUSE mount. All servers share one kernel and page cache, so a
 * real OS crash cannot be staged; what it loses can be.
 *
 * Loaded into every process of one node (the postmaster's children are forks and keep it), it is
 * controlled by two environment variables and a control directory (disk_gate_journal.h):
 *   - no "stalled" file: writes pass straight through (one access() per call), and the syncs
 *     -- fsync, fdatasync, syncfs, sync, msync(MS_SYNC), sync_file_range(SYNC_FILE_RANGE_WAIT_AFTER)
 *     -- return at once without touching the machine's disk: in this emulation the page cache
 *     IS the disk (only os_crash loses anything, and only what the journal holds), so a real
 *     sync buys nothing and costs a lot -- crash recovery with fsync = on first fsyncs every
 *     file of the data directory, 1.3 s per restart measured on this machine;
 *   - "stalled" file present: the syncs sleep until the file goes away, like a hung disk, then
 *     return as above; write/pwrite/pwritev/writev (and their 64 variants) to a file
 *     under $REPLSIM_DISK_GATE_WAL first append the bytes they overwrite to the journal, then
 *     write. After killing every process of the node the harness undoes the journal backwards,
 *     leaving the WAL as it was at the last completed fsync.
 *
 * Rules this file keeps: no malloc, no stdio, no locale (the hot path runs inside PostgreSQL's
 * critical sections and may run in a signal handler's context); the real functions come from
 * dlsym(RTLD_NEXT) and the gate's own I/O uses them or functions it does not interpose, so it
 * never re-enters itself; errno is what the real call left, or EIO when journaling failed
 * (PostgreSQL then PANICs, loudly, rather than the emulation silently keeping a write). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "disk_gate_journal.h"

#define GATE_EXPORT __attribute__((visibility("default")))
#define GATE_PATH_MAX 1200 /* Control paths: the directory is the harness's own, far shorter. */

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec*, int, off_t);
typedef int (*fd_fn)(int);
typedef void (*void_fn)(void);
typedef int (*sync_file_range_fn)(int, off64_t, off64_t, unsigned int);
typedef int (*msync_fn)(void*, size_t, int);

static struct {
  write_fn write;
  pwrite_fn pwrite, pwrite64;
  writev_fn writev;
  pwritev_fn pwritev, pwritev64;
  fd_fn fsync, fdatasync, syncfs;
  void_fn sync;
  sync_file_range_fn sync_file_range;
  msync_fn msync;
} real;

static int gate_enabled;
static char stall_path[GATE_PATH_MAX];
static char lock_path[GATE_PATH_MAX];
static char journal_path[GATE_PATH_MAX];
static char wal_prefix[GATE_PATH_MAX]; /* "$REPLSIM_DISK_GATE_WAL/" */
static size_t wal_prefix_length;

/* A call may arrive before this library's constructor ran (another library's constructor):
 * every real function is resolved on first use as well. */
#define REAL(name) (real.name != NULL ? real.name : (real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)))

static int join(char* out, const char* dir, const char* name) {
  size_t d = strlen(dir), n = strlen(name);
  if (d + 1 + n + 1 > GATE_PATH_MAX) return 0;
  memcpy(out, dir, d);
  out[d] = '/';
  memcpy(out + d + 1, name, n + 1);
  return 1;
}

__attribute__((constructor)) static void gate_init(void) {
  (void)REAL(write), (void)REAL(pwrite), (void)REAL(pwrite64), (void)REAL(writev);
  (void)REAL(pwritev), (void)REAL(pwritev64), (void)REAL(fsync), (void)REAL(fdatasync);
  (void)REAL(syncfs), (void)REAL(sync), (void)REAL(sync_file_range), (void)REAL(msync);
  const char* dir = getenv(DISK_GATE_ENV_DIR);
  const char* wal = getenv(DISK_GATE_ENV_WAL);
  if (dir == NULL || wal == NULL || dir[0] != '/' || wal[0] != '/') return;
  size_t w = strlen(wal);
  if (w + 2 > GATE_PATH_MAX) return;
  if (!join(stall_path, dir, DISK_GATE_STALL_FILE) || !join(lock_path, dir, DISK_GATE_LOCK_FILE) ||
      !join(journal_path, dir, DISK_GATE_JOURNAL_FILE)) {
    return;
  }
  memcpy(wal_prefix, wal, w);
  wal_prefix[w] = '/';
  wal_prefix[w + 1] = '\0';
  wal_prefix_length = w + 1;
  gate_enabled = 1;
}

/* Writes "replsim_disk_gate: <what> (errno N)\n" to stderr, which is the server's log. */
static void complain(const char* what, int err) {
  char line[256];
  size_t at = 0;
  const char* parts[] = {"replsim_disk_gate: ", what, " (errno "};
  for (size_t i = 0; i < 3; ++i) {
    size_t n = strlen(parts[i]);
    if (at + n > 200) n = 200 - at;
    memcpy(line + at, parts[i], n);
    at += n;
  }
  char digits[12];
  int d = 0;
  unsigned v = err < 0 ? 0u : (unsigned)err;
  do {
    digits[d++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0 && d < 11);
  while (d > 0) line[at++] = digits[--d];
  line[at++] = ')';
  line[at++] = '\n';
  if (REAL(write) != NULL) (void)!real.write(2, line, at);
}

static int stalled(void) {
  if (!gate_enabled) return 0;
  int saved = errno;
  int yes = access(stall_path, F_OK) == 0;
  errno = saved;
  return yes;
}

/* A hung disk: the sync does not return while the stall lasts. Sleeping in 5 ms slices keeps
 * the process killable (SIGKILL ends it, which is how the harness's os_crash ends the stall).
 * One way out: when the process's parent dies (the postmaster killed, say because the harness
 * itself was SIGKILLed and left the stall file behind), nobody will ever lift the stall, and a
 * backend held here would never notice the postmaster's death: the sync then fails with EIO,
 * and PostgreSQL PANICs, as on any failed fsync. Returns 0, or -1 with errno = EIO. */
static int hold_while_stalled(void) {
  int saved = errno;
  const pid_t parent = getppid();
  const struct timespec slice = {0, 5 * 1000 * 1000};
  while (stalled()) {
    if (getppid() != parent) return errno = EIO, -1;
    nanosleep(&slice, NULL);
  }
  errno = saved;
  return 0;
}

/* What a sync of `fd` returns once it is not held: success, without the real sync (see the top
 * of this file), but EBADF for a descriptor that is not open, as the real call would say. A
 * process without the gate's variables is not a gated server: its syncs are real. */
static int sync_result(int fd) {
  if (fcntl(fd, F_GETFD) < 0) return -1; /* errno = EBADF */
  return 0;
}

/* Resolves `fd` to its path; 1 when it names a file under the gated WAL directory. */
static int wal_path_of(int fd, char* path, size_t size) {
  char link[64] = "/proc/self/fd/";
  char digits[12];
  int d = 0;
  unsigned v = (unsigned)fd;
  do {
    digits[d++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0 && d < 11);
  size_t at = strlen(link);
  while (d > 0) link[at++] = digits[--d];
  link[at] = '\0';
  ssize_t n = readlink(link, path, size - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return (size_t)n > wal_prefix_length && memcmp(path, wal_prefix, wal_prefix_length) == 0;
}

static int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = real.write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    data += n;
    size -= (size_t)n;
  }
  return 1;
}

/* Reads up to `size` old bytes at `offset`, through `fd` or, if it is write-only, by path. */
static ssize_t read_old(int fd, const char* path, char* out, size_t size, off_t offset) {
  size_t got = 0;
  int by_path = -1;
  while (got < size) {
    ssize_t n = pread(by_path >= 0 ? by_path : fd, out + got, size - got, offset + (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EBADF && by_path < 0) {
      by_path = open(path, O_RDONLY | O_CLOEXEC);
      if (by_path >= 0) continue;
    }
    if (n < 0) {
      if (by_path >= 0) close(by_path);
      return -1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  if (by_path >= 0) close(by_path);
  return (ssize_t)got;
}

/* Appends the undo records of a write of `length` bytes at `offset` to the journal. */
static int journal_write(int fd, const char* path, off_t offset, size_t length) {
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  int journal = open(journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (journal < 0) return 0;
  const size_t path_length = strlen(path);
  char record[sizeof(struct DiskGateRecord) + DISK_GATE_MAX_PATH + DISK_GATE_CHUNK_BYTES];
  int ok = 1;
  for (size_t done = 0; ok && done < length;) {
    const size_t chunk = length - done < DISK_GATE_CHUNK_BYTES ? length - done : DISK_GATE_CHUNK_BYTES;
    const uint64_t at = (uint64_t)offset + done;
    const uint64_t old_size = (uint64_t)st.st_size;
    size_t want = 0;
    if (at < old_size) want = old_size - at < chunk ? (size_t)(old_size - at) : chunk;
    char* old = record + sizeof(struct DiskGateRecord) + path_length;
    ssize_t got = read_old(fd, path, old, want, (off_t)at);
    if (got < 0) {
      ok = 0;
      break;
    }
    struct DiskGateRecord h;
    h.magic = DISK_GATE_RECORD_MAGIC;
    h.path_length = (uint32_t)path_length;
    h.offset = at;
    h.length = chunk;
    /* A file found shorter than fstat said is recorded at the size actually read. */
    h.old_size = (size_t)got < want ? at + (uint64_t)got : old_size;
    h.old_length = (uint64_t)got;
    h.pid = (uint64_t)getpid();
    memcpy(record, &h, sizeof h);
    memcpy(record + sizeof h, path, path_length);
    ok = write_all(journal, record, sizeof h + path_length + (size_t)got);
    done += chunk;
  }
  close(journal);
  return ok;
}

enum { kPassThrough = 0, kJournaled = 1, kFailed = -1 };

/* Decides what a write does. kJournaled: the undo records are in the journal and *lock_fd holds
 * the lock, which the caller releases after the real write (so the harness never sees a record
 * whose write is still to come, nor kills a process in the middle of one). */
static int gate_write(int fd, int at_current_offset, off_t offset, size_t length, int* lock_fd) {
  if (length == 0 || !stalled()) return kPassThrough;
  char path[DISK_GATE_MAX_PATH + 64];
  if (!wal_path_of(fd, path, sizeof path)) return kPassThrough;
  int saved = errno;
  if (strlen(path) > DISK_GATE_MAX_PATH) {
    complain("WAL path too long to journal", ENAMETOOLONG);
    return kFailed;
  }
  int lock = open(lock_path, O_RDWR | O_CLOEXEC);
  if (lock < 0) {
    complain("cannot open the lock file", errno);
    return kFailed;
  }
  while (flock(lock, LOCK_EX) != 0) {
    if (errno != EINTR) {
      complain("cannot lock the lock file", errno);
      close(lock);
      return kFailed;
    }
  }
  /* The stall may have been lifted while this process waited for the lock. */
  if (!stalled()) {
    close(lock);
    errno = saved;
    return kPassThrough;
  }
  if (at_current_offset) {
    int flags = fcntl(fd, F_GETFL);
    struct stat st;
    if (flags >= 0 && (flags & O_APPEND) != 0 && fstat(fd, &st) == 0) offset = st.st_size;
    else offset = lseek(fd, 0, SEEK_CUR);
  }
  if (offset < 0 || !journal_write(fd, path, offset, length)) {
    complain("cannot journal a WAL write; failing it", errno);
    close(lock);
    return kFailed;
  }
  errno = saved;
  *lock_fd = lock;
  return kJournaled;
}

static void release(int lock_fd) {
  int saved = errno;
  close(lock_fd); /* Closing the only descriptor of this open file releases the flock. */
  errno = saved;
}

static size_t iov_bytes(const struct iovec* iov, int count) {
  size_t total = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  return total;
}

/* Every write-like entry point: pass through, or journal + write + release, or fail with EIO. */
#define GATED_WRITE(at_current, offset, length, call)               \
  do {                                                              \
    int lock_fd = -1;                                               \
    int how = gate_write(fd, (at_current), (offset), (length), &lock_fd); \
    if (how == kFailed) {                                           \
      errno = EIO;                                                  \
      return -1;                                                    \
    }                                                               \
    ssize_t result = (call);                                        \
    if (how == kJournaled) release(lock_fd);                        \
    return result;                                                  \
  } while (0)

GATE_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  if (REAL(write) == NULL) return errno = ENOSYS, -1;
  GATED_WRITE(1, 0, n, real.write(fd, buf, n));
}

GATE_EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  if (REAL(pwrite) == NULL) return errno = ENOSYS, -1;
  GATED_WRITE(0, offset, n, real.pwrite(fd, buf, n, offset));
}

GATE_EXPORT ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t offset) {
  if (REAL(pwrite64) == NULL) return errno = ENOSYS, -1;
  GATED_WRITE(0, offset, n, real.pwrite64(fd, buf, n, offset));
}

GATE_EXPORT ssize_t writev(int fd, const struct iovec* iov, int count) {
  if (REAL(writev) == NULL) return errno = ENOSYS, -1;
  GATED_WRITE(1, 0, iov_bytes(iov, count), real.writev(fd, iov, count));
}

GATE_EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  if (REAL(pwritev) == NULL) return errno = ENOSYS, -1;
  GATED_WRITE(0, offset, iov_bytes(iov, count), real.pwritev(fd, iov, count, offset));
}

GATE_EXPORT ssize_t pwritev64(int fd, const struct iovec* iov, int count, off64_t offset) {
  if (REAL(pwritev64) == NULL) return errno = ENOSYS, -1;
  GATED_WRITE(0, offset, iov_bytes(iov, count), real.pwritev64(fd, iov, count, offset));
}

GATE_EXPORT int fsync(int fd) {
  if (!gate_enabled) return REAL(fsync) != NULL ? real.fsync(fd) : (errno = ENOSYS, -1);
  if (hold_while_stalled() != 0) return -1;
  return sync_result(fd);
}

GATE_EXPORT int fdatasync(int fd) {
  if (!gate_enabled) return REAL(fdatasync) != NULL ? real.fdatasync(fd) : (errno = ENOSYS, -1);
  if (hold_while_stalled() != 0) return -1;
  return sync_result(fd);
}

GATE_EXPORT int syncfs(int fd) {
  if (!gate_enabled) return REAL(syncfs) != NULL ? real.syncfs(fd) : (errno = ENOSYS, -1);
  if (hold_while_stalled() != 0) return -1;
  return sync_result(fd);
}

GATE_EXPORT void sync(void) {
  if (!gate_enabled) {
    if (REAL(sync) != NULL) real.sync();
    return;
  }
  (void)hold_while_stalled(); /* sync() reports nothing. */
}

/* Only a call that waits for writeback is a durability point; PostgreSQL's pg_flush_data uses
 * SYNC_FILE_RANGE_WRITE alone, a hint that starts writeback and returns. */
GATE_EXPORT int sync_file_range(int fd, off64_t offset, off64_t n, unsigned int flags) {
  if (REAL(sync_file_range) == NULL) return errno = ENOSYS, -1;
  if (!gate_enabled || (flags & SYNC_FILE_RANGE_WAIT_AFTER) == 0) return real.sync_file_range(fd, offset, n, flags);
  if (hold_while_stalled() != 0) return -1;
  return sync_result(fd);
}

/* A shared mapping's pages are the page cache -- the emulated disk -- already: only the wait
 * for writeback (MS_SYNC) is held and elided; MS_ASYNC keeps the call's own checks. */
GATE_EXPORT int msync(void* address, size_t length, int flags) {
  if (REAL(msync) == NULL) return errno = ENOSYS, -1;
  if (!gate_enabled || (flags & MS_SYNC) == 0) return real.msync(address, length, flags);
  if (hold_while_stalled() != 0) return -1;
  return real.msync(address, length, (flags & ~MS_SYNC) | MS_ASYNC);
}
