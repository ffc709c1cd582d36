// Benchmarks of the storage core through its public surface (storage/store.h):
// batched online inserts, bulk loads, pattern scans, neighbour lookups and
// bytes on disk per statement. Figures and how to reproduce them:
// docs/benchmarks.md.
//
//   ./build/bench/storage_bench          # everything, on a 1M store
//   ./build/bench/storage_bench --kg_statements=100000   # a 100k store
//   ./build/bench/storage_bench --benchmark_filter=Neighbours
//
// The synthetic graph: kEntities entities e0..e99999, kRelations relations
// r0..r7 and one document whose first sentence is the evidence of every
// statement. A statement joins two random entities by a random relation;
// each end is one of the kHubs hub entities e0..e49 with probability
// kHubShare (a skew, as news graphs have: countries and leaders are named
// everywhere), so that subject- and object-bound scans of a hub fill a
// 1000-row page. Generation is seeded: every run writes the same graph.
//
// The scan benchmarks share one store of --kg_statements statements (default
// 1M), bulk loaded once into a temporary directory under $TMPDIR (or /tmp) and
// deleted at exit. BM_BulkLoad/<that size> builds it when it runs first, so its
// load is timed only once.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/bench_support.h"
#include "storage/model.h"
#include "storage/store.h"

namespace kg::storage {
namespace {

namespace fs = std::filesystem;
using bench::PeakRssMib;
using bench::TempDir;

constexpr int kEntities = 100000;
constexpr int kRelations = 8;
constexpr int kHubs = 50;
constexpr double kHubShare = 0.1;
constexpr int kBatchSize = 1000;
constexpr char kDocumentId[] = "doc1";
constexpr char kText[] =
    "North Korea sent troops to Russia in October. The Kremlin denied it. "
    "Seoul's spies said so.";
constexpr uint32_t kEvidenceEnd = 45;  // the first sentence, in code points

// --kg_statements: the size of the shared store the scans run on.
int64_t shared_statements = 1000000;
// --kg_keep_store: leave the shared store on disk at exit (its path is
// printed), to inspect it with ldb or sst_dump.
bool keep_shared_store = false;

std::string EntityId(int i) { return absl::StrCat("e", i); }
std::string RelationId(int i) { return absl::StrCat("r", i); }

// The text of the document: `filler_bytes` (rounded up to whole sentences)
// of ASCII filler, then kText. The evidence sentence starts at code point
// FillerOf(filler_bytes).size().
std::string FillerOf(size_t filler_bytes) {
  constexpr char kSentence[] = "Nothing else happened that day. ";
  std::string filler;
  while (filler.size() < filler_bytes) filler.append(kSentence);
  return filler;
}

// Entities, relations and the document every statement quotes.
WriteBatch Vocabulary(size_t filler_bytes) {
  WriteBatch batch;
  batch.entities.reserve(kEntities);
  for (int i = 0; i < kEntities; ++i) {
    batch.entities.push_back(
        {EntityId(i), absl::StrCat("Entity ", i), "Thing", {}});
  }
  for (int i = 0; i < kRelations; ++i) {
    batch.relations.push_back(
        {RelationId(i), absl::StrCat("relation ", i), false, Polarity::kNone});
  }
  batch.documents.push_back({kDocumentId, "Troops", "Wire",
                             ParseDate("2024-10-18"),
                             absl::StrCat(FillerOf(filler_bytes), kText)});
  return batch;
}

// A seeded source of random statements over the vocabulary.
class StatementGenerator {
 public:
  // `evidence_start`: where kText starts in the document, in code points.
  explicit StatementGenerator(uint64_t seed, uint32_t evidence_start = 0)
      : rng_(seed), evidence_start_(evidence_start) {}

  int Entity() {
    if (std::bernoulli_distribution(kHubShare)(rng_)) {
      return std::uniform_int_distribution<int>(0, kHubs - 1)(rng_);
    }
    return std::uniform_int_distribution<int>(0, kEntities - 1)(rng_);
  }
  int Relation() {
    return std::uniform_int_distribution<int>(0, kRelations - 1)(rng_);
  }

  StatementInput Next() {
    StatementInput st;
    st.triple.subject = Term::Entity(EntityId(Entity()));
    st.triple.relation = RelationId(Relation());
    st.triple.object = Term::Entity(EntityId(Entity()));
    ProvenanceInput p;
    p.document_id = kDocumentId;
    p.evidence_start = evidence_start_;
    p.evidence_end = evidence_start_ + kEvidenceEnd;
    p.evidence = std::string(kText, kEvidenceEnd);
    p.hedge = Hedge::kAsserted;
    p.confidence = 0.9;
    st.provenance.push_back(std::move(p));
    return st;
  }

  WriteBatch Batch(int64_t n) {
    WriteBatch batch;
    batch.statements.reserve(n);
    for (int64_t i = 0; i < n; ++i) batch.statements.push_back(Next());
    return batch;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  uint32_t evidence_start_;
};

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& path,
                                                 bool sync_writes) {
  StoreOptions options;
  options.sync_writes = sync_writes;
  return Store::Open(options, path);
}

// Opens a fresh store at `path` holding the vocabulary.
absl::StatusOr<std::unique_ptr<Store>> OpenWithVocabulary(
    const std::string& path, bool sync_writes, size_t filler_bytes = 0) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(path, sync_writes);
  if (!store.ok()) return store.status();
  absl::StatusOr<WriteResult> r = (*store)->BulkLoad(Vocabulary(filler_bytes));
  if (!r.ok()) return r.status();
  return store;
}

absl::StatusOr<StoreStats> StatsOf(Store& store) {
  return store.NewReader()->Stats();
}

// Closes and reopens `*store`: RocksDB flushes the memtables it recovers
// from the write-ahead log into SST files, the only flush the public API
// can cause.
absl::Status Reopen(const std::string& path, bool sync_writes,
                    std::unique_ptr<Store>* store) {
  store->reset();
  absl::StatusOr<std::unique_ptr<Store>> reopened =
      OpenStore(path, sync_writes);
  if (!reopened.ok()) return reopened.status();
  *store = *std::move(reopened);
  return absl::OkStatus();
}

void Fail(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(status.ToString().c_str());
}

// The timed loop of the online insert benchmarks: one Store::Write of
// kBatchSize generated statements per iteration, the generation untimed.
// Returns false after failing the benchmark.
bool WriteBatches(benchmark::State& state, Store& store,
                  StatementGenerator& gen) {
  int64_t statements = 0;
  for (auto _ : state) {
    state.PauseTiming();
    WriteBatch batch = gen.Batch(kBatchSize);
    state.ResumeTiming();
    absl::StatusOr<WriteResult> r = store.Write(batch);
    if (!r.ok()) {
      Fail(state, r.status());
      return false;
    }
    statements += static_cast<int64_t>(r->statement_ids.size());
  }
  state.SetItemsProcessed(statements);
  state.counters["statements_per_second"] = benchmark::Counter(
      static_cast<double>(statements), benchmark::Counter::kIsRate);
  return true;
}

// The store the scan benchmarks share: shared_statements statements, bulk
// loaded once.
struct SharedStore {
  TempDir dir{"kg_bench_"};
  std::unique_ptr<Store> store;
  double load_seconds = 0;   // the timed BulkLoad call
  double build_seconds = 0;  // generating the WriteBatch
  absl::Status status;       // of the load; not OK leaves `store` null
};

SharedStore* shared = nullptr;

std::string SharedPath() { return shared->dir.Sub("db"); }

// Builds and loads the shared store unless it is loaded already.
SharedStore& Shared() {
  if (shared != nullptr) return *shared;
  shared = new SharedStore;
  if (!shared->dir.ok()) {
    shared->status = absl::UnavailableError(
        absl::StrCat("cannot make a directory under ", bench::WorkRoot()));
    return *shared;
  }
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenWithVocabulary(SharedPath(), /*sync_writes=*/true);
  if (!store.ok()) {
    shared->status = store.status();
    return *shared;
  }
  const auto t0 = std::chrono::steady_clock::now();
  StatementGenerator gen(/*seed=*/42);
  WriteBatch batch = gen.Batch(shared_statements);
  const auto t1 = std::chrono::steady_clock::now();
  absl::StatusOr<WriteResult> r = (*store)->BulkLoad(batch);
  const auto t2 = std::chrono::steady_clock::now();
  shared->build_seconds = std::chrono::duration<double>(t1 - t0).count();
  shared->load_seconds = std::chrono::duration<double>(t2 - t1).count();
  if (!r.ok()) {
    shared->status = r.status();
    return *shared;
  }
  absl::StatusOr<StoreStats> stats = StatsOf(**store);
  if (!stats.ok()) {
    shared->status = stats.status();
    return *shared;
  }
  if (stats->statements != r->statements_created) {
    shared->status = absl::InternalError(
        absl::StrCat("bulk load created ", r->statements_created,
                     " statements but the store counts ", stats->statements));
    return *shared;
  }
  shared->store = *std::move(store);
  return *shared;
}

// 1. Online inserts: Store::Write of batches of kBatchSize random
// statements, each with one provenance record, into a store that starts
// with the vocabulary only. Building the batches is not timed.
void BM_OnlineInsert(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  TempDir dir{"kg_bench_"};
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenWithVocabulary(dir.Sub("db"), sync);
  if (!store.ok()) return Fail(state, store.status());
  StatementGenerator gen(/*seed=*/7);
  if (!WriteBatches(state, **store, gen)) return;
  absl::Status s = Reopen(dir.Sub("db"), sync, &*store);
  if (!s.ok()) return Fail(state, s);
  absl::StatusOr<StoreStats> stats = StatsOf(**store);
  if (!stats.ok()) return Fail(state, stats.status());
  state.counters["statements_in_store"] =
      static_cast<double>(stats->statements);
  state.counters["bytes_per_statement_after_reopen"] =
      static_cast<double>(stats->bytes_on_disk) /
      static_cast<double>(stats->statements);
}
BENCHMARK(BM_OnlineInsert)
    ->ArgName("sync")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(200)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// 1b. Concurrent writers: Threads() clients each call Store::Write with
// single-statement batches, sync_writes on, into one store: what a server
// sees when many small writes arrive at once. Writes that arrive while one
// is syncing commit together in one group (docs/storage.md, "Group commit").
Store* concurrent_store = nullptr;
TempDir* concurrent_dir = nullptr;

void BM_ConcurrentWriters(benchmark::State& state) {
  if (state.thread_index() == 0) {
    concurrent_dir = new TempDir("kg_bench_");
    absl::StatusOr<std::unique_ptr<Store>> store =
        OpenWithVocabulary(concurrent_dir->Sub("db"), /*sync_writes=*/true);
    if (!store.ok()) return Fail(state, store.status());
    concurrent_store = store->release();
  }
  // The loop's start is a barrier: thread 0's store is open by then.
  StatementGenerator gen(/*seed=*/1000 + state.thread_index());
  int64_t statements = 0;
  for (auto _ : state) {
    // Generating one statement takes microseconds; a synced write, ms.
    absl::StatusOr<WriteResult> r = concurrent_store->Write(gen.Batch(1));
    if (!r.ok()) {
      Fail(state, r.status());
      break;
    }
    statements += static_cast<int64_t>(r->statement_ids.size());
  }
  state.SetItemsProcessed(statements);
  state.counters["statements_per_second"] = benchmark::Counter(
      static_cast<double>(statements), benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) {
    delete concurrent_store;
    concurrent_store = nullptr;
    delete concurrent_dir;
    concurrent_dir = nullptr;
  }
}
BENCHMARK(BM_ConcurrentWriters)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->MinTime(3.0)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Online inserts as above (sync_writes off) but quoting a sentence at the
// end of a document of doc_kib KiB: how the cost of a provenance record
// grows with the size of its document.
void BM_OnlineInsertLongDocument(benchmark::State& state) {
  const size_t filler_bytes = static_cast<size_t>(state.range(0)) * 1024;
  TempDir dir{"kg_bench_"};
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenWithVocabulary(dir.Sub("db"), /*sync_writes=*/false, filler_bytes);
  if (!store.ok()) return Fail(state, store.status());
  StatementGenerator gen(/*seed=*/7,
                         static_cast<uint32_t>(FillerOf(filler_bytes).size()));
  if (!WriteBatches(state, **store, gen)) return;
}
BENCHMARK(BM_OnlineInsertLongDocument)
    ->ArgName("doc_kib")
    ->Arg(0)
    ->Arg(16)
    ->Arg(64)
    ->Iterations(50)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// 2. Bulk load: one Store::BulkLoad of N statements into a store holding
// the vocabulary. The timed region is the BulkLoad call alone; the time to
// generate the WriteBatch structs is reported as build_seconds and included
// in e2e_triples_per_second.
void BM_BulkLoad(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    if (n == shared_statements && shared == nullptr) {
      // Load the shared store now and time that load.
      SharedStore& s = Shared();
      if (!s.status.ok()) return Fail(state, s.status);
      state.SetIterationTime(s.load_seconds);
      state.counters["build_seconds"] = s.build_seconds;
      state.counters["e2e_triples_per_second"] =
          static_cast<double>(n) / (s.load_seconds + s.build_seconds);
      continue;
    }
    TempDir dir{"kg_bench_"};
    absl::StatusOr<std::unique_ptr<Store>> store =
        OpenWithVocabulary(dir.Sub("db"), /*sync_writes=*/true);
    if (!store.ok()) return Fail(state, store.status());
    const auto t0 = std::chrono::steady_clock::now();
    StatementGenerator gen(/*seed=*/42);
    WriteBatch batch = gen.Batch(n);
    const auto t1 = std::chrono::steady_clock::now();
    absl::StatusOr<WriteResult> r = (*store)->BulkLoad(batch);
    const auto t2 = std::chrono::steady_clock::now();
    if (!r.ok()) return Fail(state, r.status());
    const double build = std::chrono::duration<double>(t1 - t0).count();
    const double load = std::chrono::duration<double>(t2 - t1).count();
    state.SetIterationTime(load);
    state.counters["build_seconds"] = build;
    state.counters["e2e_triples_per_second"] =
        static_cast<double>(n) / (load + build);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["triples_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
  state.counters["peak_rss_mib"] = PeakRssMib();
}
BENCHMARK(BM_BulkLoad)
    ->Arg(100000)
    ->Arg(1000000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// Bulk load in chunks: N statements as N/chunk BulkLoad calls of `chunk`
// statements each, into a fresh store holding the vocabulary; whether
// smaller batches (less memory per call) cost throughput. Only the BulkLoad
// calls are timed.
void BM_BulkLoadChunked(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int64_t chunk = state.range(1);
  for (auto _ : state) {
    TempDir dir{"kg_bench_"};
    absl::StatusOr<std::unique_ptr<Store>> store =
        OpenWithVocabulary(dir.Sub("db"), /*sync_writes=*/true);
    if (!store.ok()) return Fail(state, store.status());
    StatementGenerator gen(/*seed=*/42);
    double load = 0;
    for (int64_t done = 0; done < n; done += chunk) {
      WriteBatch batch = gen.Batch(std::min(chunk, n - done));
      const auto t0 = std::chrono::steady_clock::now();
      absl::StatusOr<WriteResult> r = (*store)->BulkLoad(batch);
      load +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      if (!r.ok()) return Fail(state, r.status());
    }
    state.SetIterationTime(load);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["triples_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BulkLoadChunked)
    ->ArgNames({"n", "chunk"})
    ->Args({1000000, 100000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// Which position of a pattern a scan binds.
enum class Bound { kSubject, kRelation, kObject };

// 3. Pattern scans: Match with one position bound, limit 1000, on the shared
// store; subjects and objects are hubs, so each page is full. One Reader
// (snapshot) per query, as the server opens one per request.
void BM_Match(benchmark::State& state, Bound bound) {
  SharedStore& s = Shared();
  if (!s.status.ok()) return Fail(state, s.status);
  StatementGenerator gen(/*seed=*/99);
  MatchOptions options;
  options.limit = 1000;
  int64_t rows = 0;
  for (auto _ : state) {
    Pattern pattern;
    const int hub = std::uniform_int_distribution<int>(0, kHubs - 1)(gen.rng());
    switch (bound) {
      case Bound::kSubject:
        pattern.subject = Term::Entity(EntityId(hub));
        break;
      case Bound::kRelation:
        pattern.relation = RelationId(gen.Relation());
        break;
      case Bound::kObject:
        pattern.object = Term::Entity(EntityId(hub));
        break;
    }
    std::unique_ptr<Reader> reader = s.store->NewReader();
    absl::StatusOr<MatchPage> page = reader->Match(pattern, options);
    if (!page.ok()) return Fail(state, page.status());
    rows += static_cast<int64_t>(page->statements.size());
  }
  state.SetItemsProcessed(rows);
  state.counters["rows_per_second"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kIsRate);
  state.counters["rows_per_query"] =
      static_cast<double>(rows) / static_cast<double>(state.iterations());
}
BENCHMARK_CAPTURE(BM_Match, subject, Bound::kSubject)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Match, relation, Bound::kRelation)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Match, object, Bound::kObject)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Count of a relation-bound pattern (~1/8 of the store): the index scan
// alone, without resolving statements.
void BM_CountRelation(benchmark::State& state) {
  SharedStore& s = Shared();
  if (!s.status.ok()) return Fail(state, s.status);
  StatementGenerator gen(/*seed=*/5);
  int64_t rows = 0;
  for (auto _ : state) {
    Pattern pattern;
    pattern.relation = RelationId(gen.Relation());
    absl::StatusOr<uint64_t> n = s.store->NewReader()->Count(pattern);
    if (!n.ok()) return Fail(state, n.status());
    rows += static_cast<int64_t>(*n);
  }
  state.SetItemsProcessed(rows);
  state.counters["rows_per_second"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CountRelation)->UseRealTime()->Unit(benchmark::kMillisecond);

// Ids-only scans (Reader::ScanIds, what the SPARQL engine joins on): every
// row of one relation as four node ids, nothing decoded. Asserted only
// (the default graph) reads each entry's asserted byte (format 4); before
// it, each row read its statement row.
void BM_ScanIds(benchmark::State& state, bool include_quoted) {
  SharedStore& s = Shared();
  if (!s.status.ok()) return Fail(state, s.status);
  StatementGenerator gen(/*seed=*/5);
  int64_t rows = 0;
  for (auto _ : state) {
    std::unique_ptr<Reader> reader = s.store->NewReader();
    absl::StatusOr<NodeId> relation =
        reader->RelationNodeOf(RelationId(gen.Relation()));
    if (!relation.ok()) return Fail(state, relation.status());
    IdPattern pattern;
    pattern.relation = *relation;
    const absl::Status scanned =
        reader->ScanIds(pattern, include_quoted, [&](const IdStatement&) {
          ++rows;
          return true;
        });
    if (!scanned.ok()) return Fail(state, scanned);
  }
  state.SetItemsProcessed(rows);
  state.counters["ids_rows_per_second"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_ScanIds, include_quoted, true)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ScanIds, asserted_only, false)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// 4. Neighbour lookups: Match(subject = random entity, limit 100), the
// adjacency path of path queries. Entities are drawn as statement ends are
// (hubs included). With fresh_reader, one Reader per lookup (as per
// request); without, one Reader for the whole run, so its term cache is
// warm (as within one path query).
void BM_Neighbours(benchmark::State& state, bool fresh_reader) {
  SharedStore& s = Shared();
  if (!s.status.ok()) return Fail(state, s.status);
  StatementGenerator gen(/*seed=*/11);
  MatchOptions options;
  options.limit = 100;
  std::unique_ptr<Reader> reader = s.store->NewReader();
  int64_t rows = 0;
  for (auto _ : state) {
    Pattern pattern;
    pattern.subject = Term::Entity(EntityId(gen.Entity()));
    if (fresh_reader) reader = s.store->NewReader();
    absl::StatusOr<MatchPage> page = reader->Match(pattern, options);
    if (!page.ok()) return Fail(state, page.status());
    rows += static_cast<int64_t>(page->statements.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["lookups_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["rows_per_lookup"] =
      static_cast<double>(rows) / static_cast<double>(state.iterations());
}
BENCHMARK_CAPTURE(BM_Neighbours, fresh_reader, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Neighbours, shared_reader, false)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// 4b. Neighbour lookups from memory: Reader::Neighbors (outgoing edges of a
// random entity node), the read the path engine makes per expanded node.
// Node ids are resolved once up front, as the engine does per query.
void BM_NeighborsInMemory(benchmark::State& state) {
  SharedStore& s = Shared();
  if (!s.status.ok()) return Fail(state, s.status);
  StatementGenerator gen(/*seed=*/11);
  std::unique_ptr<Reader> reader = s.store->NewReader();
  std::vector<NodeId> nodes;
  for (int i = 0; i < 10000; ++i) {
    absl::StatusOr<NodeId> node =
        reader->NodeOf(Term::Entity(EntityId(gen.Entity())));
    if (node.ok()) nodes.push_back(*node);
  }
  if (nodes.empty()) return Fail(state, absl::NotFoundError("no nodes"));
  std::vector<Edge> edges;
  int64_t rows = 0;
  size_t i = 0;
  for (auto _ : state) {
    edges.clear();
    reader->Neighbors(nodes[i++ % nodes.size()], Direction::kOutgoing, &edges);
    rows += static_cast<int64_t>(edges.size());
    benchmark::DoNotOptimize(edges.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["lookups_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["rows_per_lookup"] =
      static_cast<double>(rows) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_NeighborsInMemory)->UseRealTime()->Unit(benchmark::kMicrosecond);

// 5. Bytes on disk per indexed statement of the shared store
// (StoreStats::bytes_on_disk: every file in the directory), as bulk loaded
// and again after a close and reopen. The public API cannot force a
// compaction; bulk-loaded SST files are ingested already sorted.
void BM_BytesOnDisk(benchmark::State& state) {
  SharedStore& s = Shared();
  if (!s.status.ok()) return Fail(state, s.status);
  for (auto _ : state) {
    absl::StatusOr<StoreStats> before = StatsOf(*s.store);
    if (!before.ok()) return Fail(state, before.status());
    const auto t0 = std::chrono::steady_clock::now();
    absl::Status reopened =
        Reopen(SharedPath(), /*sync_writes=*/true, &s.store);
    state.counters["reopen_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (!reopened.ok()) return Fail(state, reopened);
    absl::StatusOr<StoreStats> after = StatsOf(*s.store);
    if (!after.ok()) return Fail(state, after.status());
    const double n = static_cast<double>(after->statements);
    state.counters["statements"] = n;
    state.counters["terms"] = static_cast<double>(after->terms);
    state.counters["bytes_on_disk"] = static_cast<double>(after->bytes_on_disk);
    state.counters["bytes_per_statement"] =
        static_cast<double>(before->bytes_on_disk) / n;
    state.counters["bytes_per_statement_after_reopen"] =
        static_cast<double>(after->bytes_on_disk) / n;
  }
}
BENCHMARK(BM_BytesOnDisk)->Iterations(1)->Unit(benchmark::kMillisecond);

// Removes --kg_statements=N and --kg_keep_store from argv and applies them.
// Returns false on a malformed value.
bool ParseOwnFlags(int* argc, char** argv) {
  constexpr absl::string_view kFlag = "--kg_statements=";
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg(argv[i]);
    if (arg == "--kg_keep_store") {
      keep_shared_store = true;
      continue;
    }
    if (arg.rfind(kFlag, 0) == 0) {
      if (!absl::SimpleAtoi(arg.substr(kFlag.size()), &shared_statements) ||
          shared_statements <= 0) {
        std::fprintf(stderr, "storage_bench: bad %s\n", argv[i]);
        return false;
      }
      continue;
    }
    argv[out++] = argv[i];
  }
  *argc = out;
  return true;
}

}  // namespace
}  // namespace kg::storage

int main(int argc, char** argv) {
  if (!kg::storage::ParseOwnFlags(&argc, argv)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Closes the shared store and removes its directory.
  if (kg::storage::shared != nullptr && kg::storage::keep_shared_store) {
    std::fprintf(stderr, "storage_bench: kept the shared store in %s/db\n",
                 kg::storage::shared->dir.path().c_str());
    kg::storage::shared->dir.Keep();
  }
  delete kg::storage::shared;
  return 0;
}
