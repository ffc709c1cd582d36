// Benchmarks of the provenance engine (query/provenance.h) on a generated
// claims graph, through the public Store/Reader API only: why() and
// contested() latency percentiles, and what provenance costs at load time
// and on disk.
//
//   ./build/bench/provenance_bench                          # N = 1M
//   ./build/bench/provenance_bench --kg_statements=100000   # N = 100k
//   ./build/bench/provenance_bench --benchmark_filter=Why
//
// The graph: N statements, 60% facts (entity, relation, entity) and 40%
// claims (claimant, claim relation, <<fact>>), 3 supporting relations and 2
// opposing ones (a claim supports with probability 0.75). Claims pick their
// fact with a skew: 30% of them go to the hottest 1% of facts, so hot facts
// collect tens of claims and many facts are contested. Claimants are 2,000
// entities; facts join N/10 other entities. Each statement has 1..5
// provenance records (uniform, mean 3) from distinct documents among N/50,
// each document 20 sentences long and published on a day of 2024 (5%
// undated); 10% of records are hedged "unconfirmed". Generation is seeded.
//
// Latency benchmarks open a fresh Reader and ProvenanceEngine per query, as
// the server does per request, and report p50/p99/max over the queries as
// counters (p50_ms, p99_ms, max_ms); why() first runs its queries once
// untimed, so its figures are warm-cache ones. They share one store of N
// statements with mean 3 records, bulk loaded once into $TMPDIR/kg_provbench_*
// (or /tmp) and deleted at exit; BM_Load/records:3 builds it when it runs
// first, so that load is timed once.
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
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "bench/bench_support.h"
#include "query/provenance.h"
#include "storage/model.h"
#include "storage/store.h"

namespace kg::query {
namespace {

namespace fs = std::filesystem;
using bench::PeakRssMib;
using bench::TempDir;
using storage::Date;
using storage::Hedge;
using storage::Polarity;
using storage::ProvenanceInput;
using storage::Statement;
using storage::StatementInput;
using storage::Store;
using storage::StoreStats;
using storage::Term;
using storage::Triple;
using storage::WriteBatch;
using storage::WriteResult;

constexpr int kClaimants = 2000;
constexpr int kSentences = 20;
constexpr double kClaimShare = 0.4;
constexpr double kSupportShare = 0.75;
constexpr double kHotShare = 0.3;  // of claims, going to the hottest 1%
constexpr double kUndatedShare = 0.05;
constexpr double kUnconfirmedShare = 0.1;
constexpr const char* kFactRelations[] = {"r0", "r1", "r2", "r3",
                                          "r4", "r5", "r6", "r7"};
constexpr const char* kSupporting[] = {"reported", "stated", "confirmed"};
constexpr const char* kOpposing[] = {"denied", "rejected"};

// --kg_statements: N, the size of the stores.
int64_t n_statements = 1000000;
// --kg_queries: why() queries per latency benchmark.
int64_t n_queries = 2000;
// --kg_contested_queries: contested() queries per latency benchmark.
int64_t n_contested = 10;

// Sentence i of every document, and the space after it: fixed width, so
// sentence i starts at code point i * kSentenceStride.
std::string Sentence(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "Sentence %02d of this report says so.", i);
  return buf;
}
const uint32_t kSentenceStride = static_cast<uint32_t>(Sentence(0).size()) + 1;

struct Sizes {
  int64_t statements;
  int64_t facts;
  int64_t entities;
  int64_t documents;
};

Sizes SizesOf(int64_t n) {
  Sizes s;
  s.statements = n;
  s.facts = std::max<int64_t>(1, static_cast<int64_t>(n * (1 - kClaimShare)));
  s.entities = std::max<int64_t>(100, n / 10);
  s.documents = std::max<int64_t>(100, n / 50);
  return s;
}

std::string EntityId(int64_t i) { return absl::StrCat("e", i); }
std::string ClaimantId(int64_t i) { return absl::StrCat("c", i); }
std::string DocumentId(int64_t i) { return absl::StrCat("d", i); }

WriteBatch Vocabulary(const Sizes& sizes, std::mt19937_64& rng) {
  WriteBatch b;
  for (int64_t i = 0; i < sizes.entities; ++i) {
    b.entities.push_back(
        {EntityId(i), absl::StrCat("Entity ", i), "Thing", {}});
  }
  for (int64_t i = 0; i < kClaimants; ++i) {
    b.entities.push_back(
        {ClaimantId(i), absl::StrCat("Claimant ", i), "Organization", {}});
  }
  for (const char* r : kFactRelations) {
    b.relations.push_back({r, r, false, Polarity::kNone});
  }
  for (const char* r : kSupporting) {
    b.relations.push_back({r, r, false, Polarity::kSupports});
  }
  for (const char* r : kOpposing) {
    b.relations.push_back({r, r, false, Polarity::kOpposes});
  }
  std::string text;
  for (int i = 0; i < kSentences; ++i) text += Sentence(i) + " ";
  std::uniform_int_distribution<int> day(0, 365);
  for (int64_t i = 0; i < sizes.documents; ++i) {
    storage::Document d;
    d.id = DocumentId(i);
    d.title = absl::StrCat("Report ", i);
    d.publisher = "Wire";
    if (!std::bernoulli_distribution(kUndatedShare)(rng)) {
      const absl::CivilDay c = absl::CivilDay(2024, 1, 1) + day(rng);
      d.published = Date{static_cast<int32_t>(c.year()), c.month(), c.day()};
    }
    d.text = text;
    b.documents.push_back(std::move(d));
  }
  return b;
}

// The i-th fact: (subject, relation) is unique for i < 8 * entities, so
// every fact is distinct.
Triple Fact(const Sizes& sizes, int64_t i, std::mt19937_64& rng) {
  const int64_t object =
      std::uniform_int_distribution<int64_t>(0, sizes.entities - 1)(rng);
  return Triple{Term::Entity(EntityId(i % sizes.entities)),
                kFactRelations[(i / sizes.entities) % 8],
                Term::Entity(EntityId(object))};
}

// `records` records from distinct documents (1..5 at random when 0).
std::vector<ProvenanceInput> Records(const Sizes& sizes, int records,
                                     std::mt19937_64& rng) {
  const int k =
      records > 0 ? records : std::uniform_int_distribution<int>(1, 5)(rng);
  std::vector<ProvenanceInput> out;
  std::uniform_int_distribution<int64_t> doc(0, sizes.documents - 1);
  std::uniform_int_distribution<int> sentence(0, kSentences - 1);
  while (static_cast<int>(out.size()) < k) {
    const std::string d = DocumentId(doc(rng));
    bool seen = false;
    for (const ProvenanceInput& p : out) seen |= p.document_id == d;
    if (seen) continue;
    const int s = sentence(rng);
    ProvenanceInput p;
    p.document_id = d;
    p.evidence = Sentence(s);
    p.evidence_start = static_cast<uint32_t>(s) * kSentenceStride;
    p.evidence_end =
        p.evidence_start + static_cast<uint32_t>(p.evidence.size());
    p.hedge = std::bernoulli_distribution(kUnconfirmedShare)(rng)
                  ? Hedge::kUnconfirmed
                  : Hedge::kAsserted;
    p.confidence = 0.5 + 0.5 * std::uniform_real_distribution<>(0, 1)(rng);
    out.push_back(std::move(p));
  }
  return out;
}

// The statements of the graph; `records` per statement (0: 1..5).
WriteBatch Statements(const Sizes& sizes, int records, uint64_t seed) {
  std::mt19937_64 rng(seed);
  WriteBatch b;
  b.statements.reserve(sizes.statements);
  std::vector<Triple> facts;
  facts.reserve(sizes.facts);
  for (int64_t i = 0; i < sizes.facts; ++i) {
    facts.push_back(Fact(sizes, i, rng));
    b.statements.push_back({facts.back(), Records(sizes, records, rng)});
  }
  const int64_t hot = std::max<int64_t>(1, sizes.facts / 100);
  std::unordered_set<std::string> seen;
  while (static_cast<int64_t>(b.statements.size()) < sizes.statements) {
    const int64_t f =
        std::bernoulli_distribution(kHotShare)(rng)
            ? std::uniform_int_distribution<int64_t>(0, hot - 1)(rng)
            : std::uniform_int_distribution<int64_t>(0, sizes.facts - 1)(rng);
    const int64_t c =
        std::uniform_int_distribution<int64_t>(0, kClaimants - 1)(rng);
    const char* rel =
        std::bernoulli_distribution(kSupportShare)(rng)
            ? kSupporting[std::uniform_int_distribution<int>(0, 2)(rng)]
            : kOpposing[std::uniform_int_distribution<int>(0, 1)(rng)];
    if (!seen.insert(absl::StrCat(f, "/", c, "/", rel)).second) continue;
    b.statements.push_back(
        {Triple{Term::Entity(ClaimantId(c)), rel, Term::Quoted(facts[f])},
         Records(sizes, records, rng)});
  }
  return b;
}

// A store of N statements with `records` records each (0: mean 3), and
// what loading it cost.
struct Loaded {
  TempDir dir{"kg_provbench_"};
  std::unique_ptr<Store> store;
  double build_seconds = 0;
  double load_seconds = 0;
  uint64_t records = 0;
  StoreStats stats;
  std::vector<std::string> fact_ids;  // a sample, for why()
  absl::Status status;
};

std::unique_ptr<Loaded> Load(int records) {
  auto l = std::make_unique<Loaded>();
  if (!l->dir.ok()) {
    l->status = absl::UnavailableError(
        absl::StrCat("cannot make a directory under ", bench::WorkRoot()));
    return l;
  }
  storage::StoreOptions options;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(options, l->dir.Sub("db"));
  if (!store.ok()) {
    l->status = store.status();
    return l;
  }
  const Sizes sizes = SizesOf(n_statements);
  std::mt19937_64 vocab_rng(1);
  absl::StatusOr<WriteResult> r =
      (*store)->BulkLoad(Vocabulary(sizes, vocab_rng));
  if (!r.ok()) {
    l->status = r.status();
    return l;
  }
  const auto t0 = std::chrono::steady_clock::now();
  WriteBatch batch = Statements(sizes, records, /*seed=*/42);
  const auto t1 = std::chrono::steady_clock::now();
  r = (*store)->BulkLoad(batch);
  const auto t2 = std::chrono::steady_clock::now();
  if (!r.ok()) {
    l->status = r.status();
    return l;
  }
  l->build_seconds = std::chrono::duration<double>(t1 - t0).count();
  l->load_seconds = std::chrono::duration<double>(t2 - t1).count();
  l->records = r->provenance_added;
  // Facts for why(), uniformly at random (so ~1% are hot ones).
  std::mt19937_64 rng(7);
  for (int64_t i = 0; i < n_queries; ++i) {
    const int64_t f =
        std::uniform_int_distribution<int64_t>(0, sizes.facts - 1)(rng);
    l->fact_ids.push_back(storage::StatementIdOf(batch.statements[f].triple));
  }
  batch = WriteBatch();
  absl::StatusOr<StoreStats> stats = (*store)->NewReader()->Stats();
  if (!stats.ok()) {
    l->status = stats.status();
    return l;
  }
  l->stats = *stats;
  l->store = *std::move(store);
  return l;
}

Loaded* shared = nullptr;

Loaded& Shared() {
  if (shared == nullptr) shared = Load(/*records=*/0).release();
  return *shared;
}

void Fail(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(status.ToString().c_str());
}

// p50, p99 and max of `ms` as counters.
void Percentiles(benchmark::State& state, std::vector<double> ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(ms.size() - 1));
    return ms[i];
  };
  state.counters["p50_ms"] = at(0.50);
  state.counters["p99_ms"] = at(0.99);
  state.counters["max_ms"] = ms.back();
}

// Load cost: BulkLoad of N statements with 1 record each, or 1..5 (mean
// 3): load time, bytes on disk, bytes per record.
void BM_Load(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::unique_ptr<Loaded> own;
    Loaded* l = nullptr;
    if (records == 3) {
      l = &Shared();
    } else {
      own = Load(records);
      l = own.get();
    }
    if (!l->status.ok()) return Fail(state, l->status);
    state.SetIterationTime(l->load_seconds);
    state.counters["build_seconds"] = l->build_seconds;
    state.counters["statements"] = static_cast<double>(l->stats.statements);
    state.counters["records"] = static_cast<double>(l->records);
    state.counters["bytes_on_disk_mib"] =
        static_cast<double>(l->stats.bytes_on_disk) / (1 << 20);
    state.counters["bytes_per_statement"] =
        static_cast<double>(l->stats.bytes_on_disk) /
        static_cast<double>(l->stats.statements);
    state.counters["statements_per_second"] =
        static_cast<double>(n_statements) / l->load_seconds;
  }
  state.counters["peak_rss_mib"] = PeakRssMib();
}
BENCHMARK(BM_Load)
    ->ArgName("records")
    ->Arg(3)
    ->Arg(1)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// why() on random facts: 0 current state, 1 as reported by 2024-07-01.
// As recorded: BM_WhyAsRecorded.
void BM_Why(benchmark::State& state) {
  Loaded& l = Shared();
  if (!l.status.ok()) return Fail(state, l.status);
  const int mode = static_cast<int>(state.range(0));
  // Warm the block cache with the same queries, untimed: steady state.
  for (const std::string& id : l.fact_ids) {
    std::unique_ptr<storage::Reader> reader = l.store->NewReader();
    ProvenanceEngine engine(reader.get());
    WhyOptions options;
    if (mode == 1) options.as_of.reported_by = "2024-07-01";
    absl::Status s = engine.Why(Term::StatementId(id), options).status();
    if (!s.ok()) return Fail(state, s);
  }
  std::vector<double> ms;
  size_t i = 0;
  uint64_t claims = 0;
  for (auto _ : state) {
    const std::string& id = l.fact_ids[i++ % l.fact_ids.size()];
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<storage::Reader> reader = l.store->NewReader();
    ProvenanceEngine engine(reader.get());
    WhyOptions options;
    if (mode == 1) options.as_of.reported_by = "2024-07-01";
    absl::StatusOr<WhyResult> why = engine.Why(Term::StatementId(id), options);
    const auto t1 = std::chrono::steady_clock::now();
    if (!why.ok()) return Fail(state, why.status());
    claims += why->total_claims;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  Percentiles(state, ms);
  state.counters["claims_per_query"] =
      static_cast<double>(claims) / static_cast<double>(ms.size());
}

// why() as recorded at an instant: the first query of an engine scans every
// statement for claims that have left the indexes (mode 0: a fresh engine
// per query); later ones on the same engine reuse that scan (mode 1).
void BM_WhyAsRecorded(benchmark::State& state) {
  Loaded& l = Shared();
  if (!l.status.ok()) return Fail(state, l.status);
  const bool reuse = state.range(0) != 0;
  std::vector<double> ms;
  size_t i = 0;
  std::unique_ptr<storage::Reader> reader = l.store->NewReader();
  auto engine = std::make_unique<ProvenanceEngine>(reader.get());
  if (reuse) {
    WhyOptions warm;
    warm.as_of.recorded_at = absl::Now();
    absl::Status s =
        engine->Why(Term::StatementId(l.fact_ids[0]), warm).status();
    if (!s.ok()) return Fail(state, s);
  }
  for (auto _ : state) {
    const std::string& id = l.fact_ids[i++ % l.fact_ids.size()];
    const auto t0 = std::chrono::steady_clock::now();
    if (!reuse) {
      engine.reset();
      reader = l.store->NewReader();
      engine = std::make_unique<ProvenanceEngine>(reader.get());
    }
    WhyOptions options;
    options.as_of.recorded_at = absl::Now();
    absl::StatusOr<WhyResult> why = engine->Why(Term::StatementId(id), options);
    const auto t1 = std::chrono::steady_clock::now();
    if (!why.ok()) return Fail(state, why.status());
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  Percentiles(state, ms);
}
BENCHMARK(BM_WhyAsRecorded)
    ->ArgName("reuse_engine")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// contested(), first page of 100: 0 current state (from the contested
// index), 1 as reported by 2024-07-01, 2 as recorded now, 3 current state
// counting the claims (without the index, as before format 5).
void BM_Contested(benchmark::State& state) {
  Loaded& l = Shared();
  if (!l.status.ok()) return Fail(state, l.status);
  const int mode = static_cast<int>(state.range(0));
  std::vector<double> ms;
  uint64_t top = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<storage::Reader> reader = l.store->NewReader();
    ProvenanceEngine engine(reader.get());
    ListContestedOptions options;
    if (mode == 1) options.as_of.reported_by = "2024-07-01";
    if (mode == 2) options.as_of.recorded_at = absl::Now();
    options.without_index = mode == 3;
    absl::StatusOr<ContestedPage> page = engine.ListContested(options);
    const auto t1 = std::chrono::steady_clock::now();
    if (!page.ok()) return Fail(state, page.status());
    if (!page->statements.empty()) {
      top = page->statements[0].distinct_claimants;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  Percentiles(state, ms);
  state.counters["top_distinct_claimants"] = static_cast<double>(top);
}

// The latency benchmarks, registered after the flags that size them.
void RegisterLatencyBenchmarks() {
  benchmark::RegisterBenchmark("BM_Why", BM_Why)
      ->ArgName("mode")
      ->Arg(0)
      ->Arg(1)
      ->Iterations(n_queries)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_Contested", BM_Contested)
      ->ArgName("mode")
      ->Arg(0)
      ->Arg(1)
      ->Arg(2)
      ->Arg(3)
      ->Iterations(n_contested)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

bool ParseOwnFlags(int* argc, char** argv) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg(argv[i]);
    int64_t* target = nullptr;
    absl::string_view value;
    for (auto [name, ptr] : {std::pair<absl::string_view, int64_t*>{
                                 "--kg_statements=", &n_statements},
                             {"--kg_queries=", &n_queries},
                             {"--kg_contested_queries=", &n_contested}}) {
      if (absl::StartsWith(arg, name)) {
        target = ptr;
        value = arg.substr(name.size());
      }
    }
    if (target == nullptr) {
      argv[out++] = argv[i];
      continue;
    }
    if (!absl::SimpleAtoi(value, target) || *target <= 0) {
      std::fprintf(stderr, "provenance_bench: bad flag %s\n", argv[i]);
      return false;
    }
  }
  *argc = out;
  return true;
}

}  // namespace
}  // namespace kg::query

int main(int argc, char** argv) {
  if (!kg::query::ParseOwnFlags(&argc, argv)) return 2;
  kg::query::RegisterLatencyBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete kg::query::shared;
  return 0;
}
