// Benchmarks of a basic graph pattern's join methods (docs/query.md "Join
// methods") in-process, on a generated graph in a real store: each query
// evaluated with the planner's choice (cost), with every step a lookup
// (lookups), and with every step that may be one a hash or merge join
// (joins). The queries count their solutions, so that the time is the
// joins' and not decoding.
//
//   ./build/bench/sparql_join_bench                  # 200k entities
//   ./build/bench/sparql_join_bench --kg_entities=50000
//   ./build/bench/sparql_join_bench --kg_no_compact  # lookups seek the index
//   ./build/bench/sparql_join_bench --kg_explain     # each query's plan too
//
// The graph: --kg_entities entities; each is tagged with one of 20 tags
// and located in one of 20 places (so a tag or a place has 1/20 of them),
// likes one entity and knows three, drawn at random. Generation is seeded.
// The store is written to a temporary directory under $TMPDIR or /tmp and
// removed at exit.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_support.h"
#include "query/sparql/eval.h"
#include "query/sparql/parser.h"
#include "query/sparql/store_dataset.h"
#include "storage/store.h"

namespace kg::sparql {
namespace {

namespace fs = std::filesystem;

int64_t num_entities = 200'000;
bool compact = true;
bool explain = false;

constexpr char kPrologue[] =
    "PREFIX e: <https://kg.invalid/entity/> "
    "PREFIX r: <https://kg.invalid/relation/> ";

// name, query
constexpr const char* kQueries[][2] = {
    // Two triples of one variable each, 1/20 of the entities each: a
    // merge join, both sides in subject order.
    {"tag_and_place",
     "SELECT (COUNT(*) AS ?n) WHERE { ?s r:tagged e:tag1 . "
     "?s r:located e:place2 }"},
    // A chain: every `knows` extended by the `likes` of its object.
    {"knows_then_likes",
     "SELECT (COUNT(*) AS ?n) WHERE { ?a r:knows ?b . ?b r:likes ?c }"},
    // A tag's entities (1/20) and whom they like: few lookups.
    {"tag_then_likes",
     "SELECT (COUNT(*) AS ?n) WHERE { ?s r:tagged e:tag3 . ?s r:likes ?o }"},
};

storage::Term E(const std::string& id) { return storage::Term::Entity(id); }

absl::Status Generate(storage::Store& store) {
  storage::WriteBatch vocab;
  for (const char* r : {"tagged", "located", "likes", "knows"}) {
    vocab.relations.push_back({r, r, false, storage::Polarity::kNone});
  }
  vocab.documents.push_back(
      {"doc", "Generated", "Bench", storage::Date{2024, 10, 18}, "Generated."});
  for (int k = 0; k < 20; ++k) {
    vocab.entities.push_back(
        {absl::StrCat("tag", k), absl::StrCat("Tag ", k), "Tag", {}});
    vocab.entities.push_back(
        {absl::StrCat("place", k), absl::StrCat("Place ", k), "Place", {}});
  }
  for (int64_t i = 0; i < num_entities; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("Entity ", i), "Thing", {}});
  }
  if (absl::StatusOr<storage::WriteResult> r = store.BulkLoad(vocab); !r.ok()) {
    return r.status();
  }
  std::mt19937_64 rng(20241018);
  auto entity = [](int64_t i) { return absl::StrCat("e", i); };
  storage::ProvenanceInput evidence;
  evidence.document_id = "doc";
  evidence.evidence = "Generated.";
  evidence.evidence_start = 0;
  evidence.evidence_end = 10;
  constexpr int64_t kChunk = 20'000;
  for (int64_t from = 0; from < num_entities; from += kChunk) {
    storage::WriteBatch batch;
    for (int64_t i = from; i < std::min(num_entities, from + kChunk); ++i) {
      auto add = [&](const char* relation, const std::string& object) {
        batch.statements.push_back(
            {storage::Triple{E(entity(i)), relation, E(object)}, {evidence}});
      };
      add("tagged", absl::StrCat("tag", rng() % 20));
      add("located", absl::StrCat("place", rng() % 20));
      add("likes", entity(static_cast<int64_t>(rng() % num_entities)));
      for (int k = 0; k < 3; ++k) {
        add("knows", entity(static_cast<int64_t>(rng() % num_entities)));
      }
    }
    if (absl::StatusOr<storage::WriteResult> w = store.BulkLoad(batch);
        !w.ok()) {
      return w.status();
    }
  }
  return absl::OkStatus();
}

struct Shared {
  absl::Status status;
  std::string root;
  std::unique_ptr<storage::Store> store;
  ~Shared() {
    store.reset();
    std::error_code ec;
    if (!root.empty()) fs::remove_all(root, ec);
  }
};

Shared& TheStore() {
  static Shared* s = [] {
    auto* s = new Shared;
    std::string name =
        absl::StrCat(bench::WorkRoot(), "/kg_sparql_join_bench_XXXXXX");
    if (mkdtemp(name.data()) == nullptr) {
      s->status = absl::InternalError("cannot make the store's directory");
      return s;
    }
    s->root = name;
    storage::StoreOptions options;
    options.sync_writes = false;
    options.compact_adjacency = compact;
    absl::StatusOr<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(options, absl::StrCat(name, "/db"));
    if (!store.ok()) {
      s->status = store.status();
      return s;
    }
    s->store = *std::move(store);
    s->status = Generate(*s->store);
    if (s->status.ok() && compact) s->store->RefreshCompactAdjacency();
    return s;
  }();
  return *s;
}

void BM_Join(benchmark::State& state, const char* text,
             EvalOptions::JoinMethods methods) {
  Shared& shared = TheStore();
  if (!shared.status.ok()) {
    state.SkipWithError(shared.status.ToString().c_str());
    return;
  }
  ParseOptions parse;
  parse.base_iri = "https://kg.invalid/";
  absl::StatusOr<Query> query = Parse(absl::StrCat(kPrologue, text), parse);
  if (!query.ok()) {
    state.SkipWithError(query.status().ToString().c_str());
    return;
  }
  EvalOptions options;
  options.join_methods = methods;
  static absl::flat_hash_set<std::string>* explained =
      new absl::flat_hash_set<std::string>;
  if (explain && explained->insert(text).second) {
    std::unique_ptr<storage::Reader> reader = shared.store->NewReader();
    StoreDataset data(*reader, {});
    std::fprintf(stderr, "%s\n%s\n", text, Explain(*query, data).c_str());
  }
  std::string count;
  for (auto _ : state) {
    std::unique_ptr<storage::Reader> reader = shared.store->NewReader();
    StoreDataset data(*reader, {});
    absl::StatusOr<QueryResult> result = Evaluate(*query, data, options);
    if (!result.ok() || result->rows.size() != 1 ||
        !result->rows[0][0].has_value()) {
      state.SkipWithError("the query failed");
      return;
    }
    count = result->rows[0][0]->value();
  }
  state.SetLabel(absl::StrCat(count, " solutions"));
}

bool ParseOwnFlags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg(argv[i]);
    if (absl::StartsWith(arg, "--kg_entities=")) {
      if (!absl::SimpleAtoi(arg.substr(14), &num_entities) ||
          num_entities < 100) {
        std::fprintf(stderr, "sparql_join_bench: bad %s\n", argv[i]);
        return false;
      }
      continue;
    }
    if (arg == "--kg_no_compact") {
      compact = false;
      continue;
    }
    if (arg == "--kg_explain") {
      explain = true;
      continue;
    }
    argv[kept++] = argv[i];
  }
  *argc = kept;
  return true;
}

}  // namespace
}  // namespace kg::sparql

int main(int argc, char** argv) {
  using kg::sparql::EvalOptions;
  if (!kg::sparql::ParseOwnFlags(&argc, argv)) return 2;
  for (const auto& [name, text] : kg::sparql::kQueries) {
    for (const auto& [method, methods] :
         {std::pair{"cost", EvalOptions::JoinMethods::kCost},
          std::pair{"lookups", EvalOptions::JoinMethods::kLookups},
          std::pair{"joins", EvalOptions::JoinMethods::kJoins}}) {
      benchmark::RegisterBenchmark(
          absl::StrCat(name, "/", method).c_str(),
          [text = text, methods = methods](benchmark::State& state) {
            kg::sparql::BM_Join(state, text, methods);
          })
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete &kg::sparql::TheStore();
  return 0;
}
