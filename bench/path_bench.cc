// Benchmarks of path queries (query/path.h) in-process, on a generated
// power-law graph: latency percentiles of the shortest path, the k = 10
// shortest paths, the least-cost path and 3-hop neighbourhoods between or
// around random entities, each query on a fresh Reader as the server does.
//
//   ./build/bench/path_bench                                   # 100k / 1M
//   ./build/bench/path_bench --kg_entities=10000 --kg_statements=100000
//   ./build/bench/path_bench --kg_store=/tmp/pathstore --kg_keep_store
//   ./build/bench/path_bench --kg_no_compact   # the versioned adjacency only
//   ./build/bench/path_bench --benchmark_filter=Shortest
//   ./build/bench/path_bench --kg_entities=1000 --kg_statements=10000
//       --kg_export_edges=/tmp/edges.csv    # the graph as CSV, no benchmark
//
// The graph: --kg_entities entities e0.. (four types) and --kg_statements
// statements over six plain relations and one symmetric one. Each end of a
// statement is, with probability kAttach, an end of an earlier statement
// drawn uniformly (preferential attachment: an entity is chosen in
// proportion to its degree so far), else a uniformly random entity; degrees
// follow a power law with hubs of tens of thousands of edges. One statement
// in kClaimEvery is instead a claim (reported or denied) about an earlier
// one, so support checks meet quoted statements. Confidences vary in
// 0.6..1.0. Generation is seeded: every run builds the same graph.
//
// The store is bulk loaded once into --kg_store (default: a temporary
// directory under $TMPDIR or /tmp, deleted at exit unless --kg_keep_store); a
// store already at --kg_store is reused as is. Each benchmark reports p50_ms
// and p99_ms over its iterations, the share of pairs connected, the mean edges
// expanded and the mean hops of the paths found.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/bench_support.h"
#include "query/path.h"
#include "storage/compact_adjacency.h"
#include "storage/model.h"
#include "storage/store.h"

namespace kg::query {
namespace {

namespace fs = std::filesystem;

using storage::Polarity;
using storage::ProvenanceInput;
using storage::StatementInput;
using storage::Store;
using storage::Term;
using storage::Triple;
using storage::WriteBatch;

constexpr double kAttach = 0.75;
constexpr int kClaimEvery = 100;
constexpr int64_t kChunk = 250000;
constexpr char kText[] = "North Korea sent troops. The Kremlin denied it.";
constexpr uint32_t kSentenceEnd[] = {24, 47};  // code points
constexpr const char* kPlain[] = {"r0", "r1", "r2", "r3", "r4", "r5"};
constexpr const char* kTypes[] = {"Country", "Organization", "Person", "Place"};

int64_t num_entities = 100000;
int64_t num_statements = 1000000;
std::string store_path;
bool keep_store = false;
std::string export_edges;  // --kg_export_edges: write the graph, run nothing
bool compact = true;       // --kg_no_compact: search the versioned adjacency

std::string EntityId(int64_t i) { return absl::StrCat("e", i); }

ProvenanceInput Evidence(int sentence, double confidence) {
  ProvenanceInput p;
  p.document_id = "doc";
  p.evidence_start = sentence == 0 ? 0 : kSentenceEnd[0] + 1;
  p.evidence_end = kSentenceEnd[sentence];
  p.evidence =
      std::string(kText + p.evidence_start, p.evidence_end - p.evidence_start);
  p.confidence = confidence;
  return p;
}

// Loads the generated graph into `store` in chunks; with `store` null,
// writes its plain statements to `edges` instead, one CSV line "from,to,
// relation" each (claims are left out: paths do not walk them by default).
absl::Status Generate(Store* store, FILE* edges) {
  WriteBatch vocab;
  for (int64_t i = 0; i < num_entities; ++i) {
    vocab.entities.push_back(
        {EntityId(i), absl::StrCat("Entity ", i), kTypes[i % 4], {}});
  }
  for (const char* r : kPlain) {
    vocab.relations.push_back({r, r, false, Polarity::kNone});
  }
  vocab.relations.push_back({"allied", "allied", true, Polarity::kNone});
  vocab.relations.push_back(
      {"reported", "reported", false, Polarity::kSupports});
  vocab.relations.push_back({"denied", "denied", false, Polarity::kOpposes});
  vocab.documents.push_back(
      {"doc", "Generated", "Bench", storage::Date{2024, 10, 18}, kText});
  if (store != nullptr) {
    absl::StatusOr<storage::WriteResult> r = store->BulkLoad(vocab);
    if (!r.ok()) return r.status();
  } else {
    std::fprintf(edges, "from,to,relation\n");
  }

  std::mt19937_64 rng(20241018);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int64_t> any(0, num_entities - 1);
  std::vector<int32_t> ends;  // every statement's two ends so far
  ends.reserve(2 * num_statements);
  struct Plain {
    int32_t s, o;
    uint8_t r;
  };
  std::vector<Plain> plain;
  plain.reserve(num_statements);
  const auto end = [&]() -> int32_t {
    if (ends.empty() || unit(rng) >= kAttach) {
      return static_cast<int32_t>(any(rng));
    }
    return ends[std::uniform_int_distribution<size_t>(0, ends.size() - 1)(rng)];
  };
  const auto triple = [&](const Plain& p) {
    return Triple{Term::Entity(EntityId(p.s)), p.r < 6 ? kPlain[p.r] : "allied",
                  Term::Entity(EntityId(p.o))};
  };
  for (int64_t done = 0; done < num_statements;) {
    WriteBatch batch;
    const int64_t n = std::min(kChunk, num_statements - done);
    batch.statements.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      // A repeated triple must repeat its record exactly (a different one
      // for the same span is a conflict), so confidence is a function of
      // the triple.
      const auto confidence = [](uint64_t a, uint64_t b, uint64_t c) {
        return 0.6 + 0.1 * static_cast<double>((a * 31 + b * 17 + c) % 5);
      };
      if (!plain.empty() && (done + i) % kClaimEvery == kClaimEvery - 1) {
        const Plain& about = plain[rng() % plain.size()];
        const int64_t claimant = any(rng);
        const bool denied = rng() % 3 == 0;
        batch.statements.push_back(
            {Triple{Term::Entity(EntityId(claimant)),
                    denied ? "denied" : "reported",
                    Term::Quoted(triple(about))},
             {Evidence(1, confidence(claimant, about.s, about.o))}});
        continue;
      }
      Plain p{end(), end(), static_cast<uint8_t>(rng() % 7)};
      ends.push_back(p.s);
      ends.push_back(p.o);
      plain.push_back(p);
      if (store == nullptr) {
        std::fprintf(edges, "e%d,e%d,%s\n", p.s, p.o,
                     p.r < 6 ? kPlain[p.r] : "allied");
        continue;
      }
      batch.statements.push_back(
          {triple(p), {Evidence(0, confidence(p.s, p.o, p.r))}});
    }
    done += n;
    if (store == nullptr) continue;
    absl::StatusOr<storage::WriteResult> w = store->BulkLoad(batch);
    if (!w.ok()) return w.status();
    std::fprintf(stderr, "path_bench: loaded %lld of %lld statements\n",
                 static_cast<long long>(done),  // NOLINT(runtime/int)
                 static_cast<long long>(num_statements));  // NOLINT
  }
  return absl::OkStatus();
}

struct SharedStore {
  absl::Status status;
  std::string path;
  bool owned = false;  // created here, removed at exit
  std::unique_ptr<Store> store;
  ~SharedStore() {
    store.reset();
    std::error_code ec;
    if (owned && !keep_store) fs::remove_all(path, ec);
  }
};

SharedStore& Shared() {
  static SharedStore* s = [] {
    auto* s = new SharedStore;
    s->path = store_path;
    if (s->path.empty()) {
      std::string name =
          absl::StrCat(bench::WorkRoot(), "/kg_path_bench_XXXXXX");
      if (mkdtemp(name.data()) == nullptr) {
        s->status = absl::InternalError(
            absl::StrCat("cannot make a directory under ", bench::WorkRoot()));
        return s;
      }
      s->path = absl::StrCat(name, "/db");
      s->owned = true;
    }
    const bool exists = fs::exists(s->path);
    storage::StoreOptions options;
    options.sync_writes = false;
    options.compact_adjacency = compact;
    const auto opened = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(options, s->path);
    if (!store.ok()) {
      s->status = store.status();
      return s;
    }
    s->store = *std::move(store);
    std::fprintf(
        stderr, "path_bench: store opened in %.1f s (compact adjacency %s)\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - opened)
            .count(),
        compact ? "on" : "off");
    if (!exists) {
      const auto t0 = std::chrono::steady_clock::now();
      s->status = Generate(s->store.get(), nullptr);
      // Queries should not wait for the background rebuild.
      s->store->RefreshCompactAdjacency();
      std::fprintf(
          stderr, "path_bench: store built in %.1f s at %s\n",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count(),
          s->path.c_str());
    }
    if (s->status.ok()) {
      // A reused store's copy is built in the background after the open:
      // wait for it, so that every query runs on it.
      if (compact) s->store->RefreshCompactAdjacency();
      absl::StatusOr<storage::StoreStats> stats =
          s->store->NewReader()->Stats();
      std::unique_ptr<storage::Reader> reader = s->store->NewReader();
      if (const storage::CompactAdjacency* c = reader->compact_adjacency()) {
        std::fprintf(stderr,
                     "path_bench: compact adjacency of %zu edges, %.1f MB, "
                     "built in %.2f s\n",
                     c->edge_count(),
                     static_cast<double>(c->memory_bytes()) / 1e6,
                     absl::ToDoubleSeconds(
                         s->store->Engine().last_compact_adjacency_build));
      }
      if (stats.ok()) {
        std::fprintf(stderr,
                     "path_bench: %llu entities, %llu statements indexed\n",
                     static_cast<unsigned long long>(  // NOLINT(runtime/int)
                         stats->entities),
                     static_cast<unsigned long long>(  // NOLINT(runtime/int)
                         stats->statements));
      }
    }
    return s;
  }();
  return *s;
}

enum class Query {
  kShortest,
  kShortestBare,
  kKShortest,
  kWeighted,
  kNeighborhood
};

// One query per iteration between (or around) random entities; latencies
// include opening the Reader and building the results.
void BM_Path(benchmark::State& state, Query query) {
  SharedStore& s = Shared();
  if (!s.status.ok()) {
    state.SkipWithError(s.status.ToString().c_str());
    return;
  }
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(0, num_entities - 1);
  PathOptions options;
  switch (query) {
    case Query::kShortest:
      break;
    case Query::kShortestBare:
      options.provenance = ProvenanceDetail::kNone;
      break;
    case Query::kKShortest:
      options.mode = PathMode::kKShortest;
      options.k = 10;
      break;
    case Query::kWeighted:
      options.mode = PathMode::kWeighted;
      options.max_hops = 4;
      break;
    case Query::kNeighborhood:
      break;
  }
  std::vector<double> ms;
  int64_t found = 0;
  uint64_t expanded = 0;
  uint64_t hops = 0;
  uint64_t paths = 0;
  for (auto _ : state) {
    const Term from = Term::Entity(EntityId(any(rng)));
    const Term to = Term::Entity(EntityId(any(rng)));
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<storage::Reader> reader = s.store->NewReader();
    if (query == Query::kNeighborhood) {
      absl::StatusOr<Neighborhood> n =
          GetNeighborhood(*reader, from, 3, 1000, options);
      if (!n.ok()) {
        state.SkipWithError(n.status().ToString().c_str());
        return;
      }
      found += n->statements.empty() ? 0 : 1;
      expanded += n->expanded_edges;
      paths += n->statements.size();
    } else {
      absl::StatusOr<PathResult> r = FindPaths(*reader, from, to, options);
      if (!r.ok()) {
        state.SkipWithError(r.status().ToString().c_str());
        return;
      }
      found += r->paths.empty() ? 0 : 1;
      expanded += r->summary.expanded_edges;
      paths += r->paths.size();
      for (const Path& p : r->paths) hops += p.hops.size();
    }
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  const double n = static_cast<double>(ms.size());
  state.counters["p50_ms"] = at(0.50);
  state.counters["p99_ms"] = at(0.99);
  state.counters["max_ms"] = ms.back();
  state.counters["found"] = static_cast<double>(found) / n;
  state.counters["edges"] = static_cast<double>(expanded) / n;
  if (query == Query::kNeighborhood) {
    state.counters["statements"] = static_cast<double>(paths) / n;
  } else {
    state.counters["paths"] = static_cast<double>(paths) / n;
    state.counters["hops"] =
        paths == 0 ? 0 : static_cast<double>(hops) / static_cast<double>(paths);
  }
}
BENCHMARK_CAPTURE(BM_Path, Shortest, Query::kShortest)
    ->Iterations(2000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Path, ShortestNoProvenance, Query::kShortestBare)
    ->Iterations(2000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Path, KShortest10, Query::kKShortest)
    ->Iterations(300)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Least cost within 4 hops: one search from both ends over (node, hops)
// labels (docs/query.md). 30 iterations, as when a query took ~1 s: its
// p99 is their maximum.
BENCHMARK_CAPTURE(BM_Path, Weighted4Hops, Query::kWeighted)
    ->Iterations(30)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Path, Neighborhood3Hops, Query::kNeighborhood)
    ->Iterations(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Removes this benchmark's own flags from argv and applies them. Returns
// false on a malformed value.
bool ParseOwnFlags(int* argc, char** argv) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg(argv[i]);
    const auto value = [&](absl::string_view flag, int64_t* v) {
      if (!absl::StartsWith(arg, flag)) return 0;
      return absl::SimpleAtoi(arg.substr(flag.size()), v) && *v > 0 ? 1 : -1;
    };
    int got = value("--kg_entities=", &num_entities);
    if (got == 0) got = value("--kg_statements=", &num_statements);
    if (got < 0) {
      std::fprintf(stderr, "path_bench: bad %s\n", argv[i]);
      return false;
    }
    if (got > 0) continue;
    if (absl::StartsWith(arg, "--kg_store=")) {
      store_path = std::string(arg.substr(11));
      continue;
    }
    if (absl::StartsWith(arg, "--kg_export_edges=")) {
      export_edges = std::string(arg.substr(18));
      continue;
    }
    if (arg == "--kg_keep_store") {
      keep_store = true;
      continue;
    }
    if (arg == "--kg_no_compact") {
      compact = false;
      continue;
    }
    argv[out++] = argv[i];
  }
  *argc = out;
  return true;
}

}  // namespace
}  // namespace kg::query

int main(int argc, char** argv) {
  if (!kg::query::ParseOwnFlags(&argc, argv)) return 2;
  if (!kg::query::export_edges.empty()) {
    FILE* f = std::fopen(kg::query::export_edges.c_str(), "w");
    if (f == nullptr) {
      std::perror(kg::query::export_edges.c_str());
      return 1;
    }
    const absl::Status s = kg::query::Generate(nullptr, f);
    if (std::fclose(f) != 0 || !s.ok()) {
      std::fprintf(stderr, "path_bench: export failed: %s\n",
                   s.ToString().c_str());
      return 1;
    }
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete &kg::query::Shared();
  return 0;
}
