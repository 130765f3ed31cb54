// Benchmarks of the replay core (docs/performance.md, "Replay core"). Every figure is for the
// same generated stream (WalGenerator: small transactions of inserts/updates/deletes, ~5%
// aborts), beside the machine's limits for the same bytes: memcpy and CRC32C alone.
//
//   build-wal/bench/wal/wal_bench --benchmark_counters_tabular=true
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/wal/crc32c.h"
#include "sim/wal/memory_store.h"
#include "sim/wal/replay_engine.h"
#include "sim/wal/wal_generator.h"
#include "sim/wal/wal_reader.h"
#include "storage/rocksdb_store.h"

namespace replsim::wal {
namespace {

constexpr Lsn kStart{kDefaultSegmentSize + 40};

struct Stream {
  SegmentStore store;
  uint64_t records = 0;
  uint64_t bytes = 0;
  std::string flat;  // The same bytes in one buffer, for memcpy and CRC32C alone.
};

// Benchmarks take (records, keys per table) as their two arguments; 4 tables. 250k keys per
// table (1M keys, ~460k of them live after 1M records: BM_EndToEnd's live_rows) does not fit
// in cache (every apply is a cache miss); 30k keys per table leave ~100k live rows, pgbench
// scale 1's account count; 4k keys per table is a hot set of ~14k rows.
GeneratorOptions generator_options(uint64_t keys_per_table) {
  GeneratorOptions o;
  o.seed = 42;
  o.keys_per_table = keys_per_table;
  return o;
}

const Stream& stream(uint64_t records, uint64_t keys_per_table) {
  static std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<Stream>> cache;
  auto& s = cache[{records, keys_per_table}];
  if (!s) {
    s = std::make_unique<Stream>();
    WalWriter writer(&s->store, kStart);
    s->records = WalGenerator(generator_options(keys_per_table)).generate(&writer, records);
    s->bytes = writer.end_lsn().value - kStart.value;
    s->flat = s->store.read(kStart, s->bytes);
  }
  return *s;
}

// Decoded records with their rows copied out, for the apply-only benchmarks.
struct Decoded {
  std::vector<Record> records;
  std::deque<std::string> owned;  // Rows of records that spanned segments (the reader's scratch).
};

const Stream& stream(const benchmark::State& state) {
  return stream(static_cast<uint64_t>(state.range(0)), static_cast<uint64_t>(state.range(1)));
}

const Decoded& decoded(const benchmark::State& state) {
  static std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<Decoded>> cache;
  auto& d = cache[{state.range(0), state.range(1)}];
  if (!d) {
    d = std::make_unique<Decoded>();
    const Stream& s = stream(state);
    WalReader reader(&s.store, kStart);
    Record r;
    while (reader.next(&r) == ReadStatus::kRecord) {
      if (!r.row.empty()) r.row = d->owned.emplace_back(r.row);
      if (!r.name.empty()) r.name = d->owned.emplace_back(r.name);
      if (!r.truncated_tables.empty()) r.truncated_tables = d->owned.emplace_back(r.truncated_tables);
      d->records.push_back(r);
    }
  }
  return *d;
}

double g_memcpy_bytes_per_second = 0;

void set_rates(benchmark::State& state, uint64_t records, uint64_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(records * state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes * state.iterations()));
  state.counters["records_per_s"] = benchmark::Counter(static_cast<double>(records),
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

// Fraction of memcpy's bandwidth, as a counter (memcpy runs first in the same process).
void set_vs_memcpy(benchmark::State& state, uint64_t bytes) {
  if (g_memcpy_bytes_per_second <= 0) return;
  state.counters["vs_memcpy"] = benchmark::Counter(static_cast<double>(bytes) / g_memcpy_bytes_per_second,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Memcpy(benchmark::State& state) {
  const Stream& s = stream(state);
  std::string dst(s.flat.size(), '\0');
  // CPU time, like every rate Google Benchmark reports here (the machine is shared).
  auto cpu_seconds = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  const double t0 = cpu_seconds();
  for (auto _ : state) {
    std::memcpy(dst.data(), s.flat.data(), s.flat.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  g_memcpy_bytes_per_second = static_cast<double>(s.bytes) * static_cast<double>(state.iterations()) /
                              (cpu_seconds() - t0);
  set_rates(state, s.records, s.bytes);
}

void BM_Crc32cAlone(benchmark::State& state) {
  const Stream& s = stream(state);
  for (auto _ : state) benchmark::DoNotOptimize(crc32c(s.flat.data(), s.flat.size()));
  set_rates(state, s.records, s.bytes);
  set_vs_memcpy(state, s.bytes);
}

void BM_Encode(benchmark::State& state) {
  const Decoded& d = decoded(state);
  uint64_t bytes = 0;
  for (auto _ : state) {
    SegmentStore store;
    WalWriter writer(&store, kStart);
    for (const Record& r : d.records) {
      if (r.type == RecordType::kSwitch) {
        writer.switch_segment();
      } else {
        writer.append(r);
      }
    }
    bytes = writer.end_lsn().value - kStart.value;
    benchmark::DoNotOptimize(bytes);
    state.PauseTiming();  // Freeing the segments is not encoding.
    { SegmentStore discard = std::move(store); }
    state.ResumeTiming();
  }
  set_rates(state, d.records.size(), bytes);
}

// Decodes every record the way ReplayEngine::replay() reads them: batches of common records from
// next_batch(), next() for the rest (checkpoints, restore points, records spanning segments).
// Every record's CRC and header are checked, and every field replay uses is read from what the
// reader returns, so none of the decoding can be optimised away.
void BM_DecodeWithCrc(benchmark::State& state) {
  const Stream& s = stream(state);
  for (auto _ : state) {
    WalReader reader(&s.store, kStart);
    Record r;
    uint64_t n = 0, sum = 0;
    for (;;) {
      const std::span<const RecordView> batch = reader.next_batch();
      if (!batch.empty()) {
        for (const RecordView& v : batch) {
          const std::string_view row = v.row();
          sum += v.lsn.value + v.end_lsn().value + v.word + v.xid + v.table_id + static_cast<uint64_t>(v.type) +
                 row.size() + reinterpret_cast<uintptr_t>(row.data());
        }
        n += batch.size();
        continue;
      }
      if (reader.next(&r) != ReadStatus::kRecord) break;
      sum += r.lsn.value + r.end_lsn.value + r.key + static_cast<uint64_t>(r.commit_time_us) + r.xid + r.row.size();
      ++n;
    }
    if (n != s.records) state.SkipWithError("decode lost records");
    benchmark::DoNotOptimize(sum);
  }
  set_rates(state, s.records, s.bytes);
  set_vs_memcpy(state, s.bytes);
}

// The machine's limit for the state changes this stream makes, with nothing else: every change
// record (insert, update, delete) reads and writes one word of its row in the densest layout a
// store could have (an array indexed by table and key, 40 bytes per key: an 8-byte key and a
// ~30-byte row), prefetched as far ahead as replay does. No decoding, hashing, probing or
// buffering: a replay of the same records into any store cannot go faster than this.
void BM_StateTouchLimit(benchmark::State& state) {
  const Decoded& d = decoded(state);
  const uint64_t keys = static_cast<uint64_t>(state.range(1));
  constexpr uint64_t kRowBytes = 40;
  std::vector<uint64_t> offsets;  // One per change, in WAL order.
  TableId tables = 0;
  for (const Record& r : d.records) {
    if (r.type == RecordType::kInsert || r.type == RecordType::kUpdate || r.type == RecordType::kDelete) {
      offsets.push_back((uint64_t{r.table_id} * keys + r.key % keys) * kRowBytes);
      tables = std::max<TableId>(tables, r.table_id + 1);
    }
  }
  std::vector<char> rows(uint64_t{tables} * keys * kRowBytes + 64, 1);
  constexpr size_t kAhead = 16;
  for (auto _ : state) {
    char* base = rows.data();
    for (size_t i = 0; i < offsets.size(); ++i) {
      if (i + kAhead < offsets.size()) __builtin_prefetch(base + offsets[i + kAhead], 1);
      uint64_t word;
      std::memcpy(&word, base + offsets[i], sizeof word);
      word += i;
      std::memcpy(base + offsets[i], &word, sizeof word);
    }
    benchmark::ClobberMemory();
  }
  state.counters["changes"] = static_cast<double>(offsets.size());
  state.counters["state_mib"] = static_cast<double>(rows.size()) / (1 << 20);
  set_rates(state, d.records.size(), stream(state).bytes);
}

// Replays all records into `store` with a fresh engine per pass. The first pass (untimed when
// `warm`) fills the store, so timed passes measure a standby whose tables already exist; with
// `warm` false every timed pass starts from an empty store and includes the tables' growth.
template <typename MakeStore>
void apply_all(benchmark::State& state, const Decoded& d, MakeStore make_store, bool warm) {
  auto pass = [&](Store* store) {
    ReplayEngine engine(store);
    for (const Record& r : d.records) engine.apply(r);
    engine.finish();
    if (!engine.store_status().ok()) state.SkipWithError(engine.store_status().message().c_str());
  };
  auto store = make_store();
  if (warm) pass(store.get());
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      store.reset();
      store = make_store();
      state.ResumeTiming();
    }
    pass(store.get());
  }
  store.reset();  // After the loop: not timed.
}

void BM_ApplyToMemory(benchmark::State& state) {
  const Decoded& d = decoded(state);
  apply_all(
      state, d, [] { return std::make_unique<MemoryStore>(); }, state.range(2) != 0);
  set_rates(state, d.records.size(), stream(state).bytes);
}

void BM_ApplyToRocksDb(benchmark::State& state) {
  const Decoded& d = decoded(state);
  const auto dir = std::filesystem::temp_directory_path() / ("replsim_wal_bench_" + std::to_string(getpid()));
  apply_all(
      state, d,
      [&]() -> std::unique_ptr<storage::RocksDbStore> {
        std::filesystem::remove_all(dir);
        auto s = storage::RocksDbStore::open(dir.string());
        if (!s.ok()) std::abort();
        return std::move(*s);
      },
      false);
  std::filesystem::remove_all(dir);
  set_rates(state, d.records.size(), stream(state).bytes);
}

// Decode + CRC + commit buffering + apply to memory, from WAL in memory, into warm tables
// (range(2) = 1) or an empty store per pass (0).
void BM_EndToEnd(benchmark::State& state) {
  const Stream& s = stream(state);
  auto pass = [&](Store* store) {
    ReplayEngine engine(store);
    WalReader reader(&s.store, kStart);
    if (engine.replay(reader) != ReplayStop::kEndOfWal) state.SkipWithError("replay did not reach the end");
    engine.finish();
  };
  const bool warm = state.range(2) != 0;
  auto store = std::make_unique<MemoryStore>();
  if (warm) pass(store.get());
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      store = std::make_unique<MemoryStore>();
      state.ResumeTiming();
    }
    pass(store.get());
  }
  state.counters["live_rows"] = static_cast<double>(store->total_rows());
  store.reset();  // After the loop: not timed.
  set_rates(state, s.records, s.bytes);
  set_vs_memcpy(state, s.bytes);
}

// Peak resident memory since the last reset_peak_rss(), in MiB (Linux VmHWM).
double peak_rss_mib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Streaming replay, the way a standby runs: the primary writes WAL in 256k-record chunks (not
// timed), the standby replays each chunk and recycles segments behind replay (timed). Peak RSS
// stays at live state + open transactions + a chunk of WAL, however long the WAL gets.
void BM_EndToEndStreaming(benchmark::State& state) {
  const uint64_t total = static_cast<uint64_t>(state.range(0));
  const uint64_t keys = static_cast<uint64_t>(state.range(1));
  constexpr uint64_t kChunk = 256 * 1024;
  double peak = 0;
  uint64_t bytes = 0, records = 0, rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    reset_peak_rss();
    SegmentStore wal;
    WalWriter writer(&wal, kStart);
    WalGenerator gen(generator_options(keys));
    MemoryStore store;
    ReplayEngine engine(&store);
    WalReader reader(&wal, kStart);
    records = 0;
    state.ResumeTiming();
    while (records < total) {
      state.PauseTiming();
      records += gen.generate(&writer, std::min(kChunk, total - records));
      state.ResumeTiming();
      if (engine.replay(reader) != ReplayStop::kEndOfWal) state.SkipWithError("replay stopped early");
      wal.remove_before(engine.replay_lsn());
    }
    state.PauseTiming();
    bytes = writer.end_lsn().value - kStart.value;
    rows = store.total_rows();
    peak = peak_rss_mib();
    state.ResumeTiming();
  }
  set_rates(state, records, bytes);
  state.counters["wal_mib"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["live_rows"] = static_cast<double>(rows);
  state.counters["peak_rss_mib"] = peak;
}

// kPgbench: 4 x 30k keys leave ~100k live rows, as many as pgbench scale 1's accounts table,
// the state PostgreSQL's redo applies to in bench/pg_redo_bench.sh (like for like).
constexpr int64_t kLarge = 250'000, kPgbench = 30'000, kHot = 4'000;

BENCHMARK(BM_Memcpy)->Args({1'000'000, kLarge})->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_Crc32cAlone)->Args({1'000'000, kLarge})->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_Encode)->Args({1'000'000, kLarge})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeWithCrc)->Args({1'000'000, kLarge})->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_ApplyToMemory)
    ->ArgNames({"records", "keys", "warm"})
    ->Args({1'000'000, kHot, 1})
    ->Args({1'000'000, kPgbench, 1})
    ->Args({1'000'000, kLarge, 1})
    ->Args({1'000'000, kLarge, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StateTouchLimit)
    ->ArgNames({"records", "keys"})
    ->Args({1'000'000, kHot})
    ->Args({1'000'000, kPgbench})
    ->Args({1'000'000, kLarge})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ApplyToRocksDb)->Args({1'000'000, kLarge})->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_EndToEnd)
    ->ArgNames({"records", "keys", "warm"})
    ->Args({1'000'000, kHot, 1})
    ->Args({1'000'000, kPgbench, 1})
    ->Args({1'000'000, kLarge, 1})
    ->Args({1'000'000, kLarge, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EndToEndStreaming)
    ->ArgNames({"records", "keys"})
    ->Args({1'000'000, kLarge})
    ->Args({10'000'000, kLarge})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace replsim::wal

BENCHMARK_MAIN();
