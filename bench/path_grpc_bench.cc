// Path query latency over gRPC: FindPaths (shortest, with and without
// per-hop provenance; k = 10 shortest) and GetNeighborhood (3 hops) against
// a KgServer started in this process on 127.0.0.1:0 (or --server), one call
// at a time on one channel, timed at the client from the call's start to the
// end of its stream.
//
//   # a store built by path_bench (the generated power-law graph):
//   ./build/bench/path_bench --kg_entities=1000000 --kg_statements=10000000
//       --kg_store=/tmp/pb_10m --kg_keep_store --benchmark_filter=NONE
//   ./build/bench/path_grpc_bench --data_dir=/tmp/pb_10m --entities=1000000
//   # a JSON Lines graph (bench/wordnet_to_kg.py), loaded once into data_dir:
//   ./build/bench/path_grpc_bench --data_dir=/tmp/wn --seed_file=wn.jsonl
//       --pairs=pairs.tsv --queries=shortest --max_hops=16 --out=kg.tsv
//
// Pairs: --pairs (a file of "from<TAB>to" entity ids, one query per line),
// else --random_pairs pairs of "e<i>" drawn with --seed from 0..--entities-1
// (the ids path_bench generates); a neighbourhood query uses the pair's
// first entity. Before timing, every query is run --warmup times (warm
// caches). Prints one line per query kind: p50, p99, max, mean, the share of
// pairs connected and the mean hops; --out writes every timed query as
// "query<TAB>from<TAB>to<TAB>hops<TAB>ms" (hops -1: no path; for a
// neighbourhood, the statement count).
#include <stdio.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "kg/v1/kg.grpc.pb.h"
#include "query/path.h"
#include "server/server.h"
#include "storage/model.h"

ABSL_FLAG(std::string, server, "",
          "HOST:PORT of a running server (else one starts in process)");
ABSL_FLAG(std::string, data_dir, "",
          "store of the in-process server (reused when it holds a store)");
ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "where the in-process server listens (port 0: any free port)");
ABSL_FLAG(std::string, seed_file, "",
          "JSON Lines loaded into data_dir when it holds nothing yet");
ABSL_FLAG(std::string, pairs, "", "file of from<TAB>to entity ids");
ABSL_FLAG(int64_t, random_pairs, 2000, "else: this many random e<i> pairs");
ABSL_FLAG(int64_t, entities, 100000, "random pairs draw from e0..e<N-1>");
ABSL_FLAG(uint64_t, seed, 7, "seed of the random pairs");
ABSL_FLAG(std::string, queries, "shortest,shortest_bare,k10,hood3",
          "comma-separated: shortest (summary provenance per hop), "
          "shortest_bare (no provenance), k10 (10 shortest), hood3 (3-hop "
          "neighbourhood, limit 1000); inproc_shortest and "
          "inproc_shortest_bare: the same as shortest and shortest_bare on "
          "the in-process server's store, without gRPC");
ABSL_FLAG(int, max_hops, 6, "longest path in hops");
ABSL_FLAG(int, warmup, 1, "untimed runs of every query before timing");
ABSL_FLAG(int, k_pairs, 300, "k10 and hood3 use only the first N pairs");
ABSL_FLAG(std::string, out, "", "per-query results (TSV)");
ABSL_FLAG(bool, stdin, false,
          "instead: read query<TAB>from<TAB>to lines from stdin and answer "
          "each with hops<TAB>ms (bench/path_vs_kuzu.py drives this)");

namespace kg::bench {
namespace {

namespace v1 = kg::v1;

struct Pair {
  std::string from, to;
};

absl::StatusOr<std::vector<Pair>> LoadPairs() {
  std::vector<Pair> pairs;
  const std::string path = absl::GetFlag(FLAGS_pairs);
  if (path.empty()) {
    std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
    std::uniform_int_distribution<int64_t> any(
        0, absl::GetFlag(FLAGS_entities) - 1);
    for (int64_t i = 0; i < absl::GetFlag(FLAGS_random_pairs); ++i) {
      const int64_t a = any(rng);
      const int64_t b = any(rng);
      pairs.push_back({absl::StrCat("e", a), absl::StrCat("e", b)});
    }
    return pairs;
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--pairs: ", path));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": want from<TAB>to"));
    }
    pairs.push_back({f[0], f[1]});
  }
  return pairs;
}

struct Outcome {
  absl::Status status;
  int64_t hops = -1;  // of the first path; statements for a neighbourhood
};

// FindPaths in process on a fresh Reader, as the server's handler does
// (without the conversion to proto).
Outcome RunInProcess(storage::Store& store, absl::string_view query,
                     const Pair& pair) {
  query::PathOptions options;
  options.max_hops = absl::GetFlag(FLAGS_max_hops);
  if (query == "inproc_shortest_bare") {
    options.provenance = query::ProvenanceDetail::kNone;
  }
  std::unique_ptr<storage::Reader> reader = store.NewReader();
  absl::StatusOr<query::PathResult> r =
      query::FindPaths(*reader, storage::Term::Entity(pair.from),
                       storage::Term::Entity(pair.to), options);
  Outcome out;
  if (!r.ok()) {
    out.status = r.status();
  } else if (!r->paths.empty()) {
    out.hops = static_cast<int64_t>(r->paths[0].hops.size());
  }
  return out;
}

Outcome Run(server::KgServer* server, v1::KnowledgeGraph::Stub& stub,
            absl::string_view query, const Pair& pair) {
  if (absl::StartsWith(query, "inproc_")) {
    return RunInProcess(*server->store(), query, pair);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  Outcome out;
  if (query == "hood3") {
    v1::GetNeighborhoodRequest req;
    req.mutable_node()->set_entity(pair.from);
    req.set_hops(3);
    req.set_limit(1000);
    v1::GetNeighborhoodResponse resp;
    grpc::Status s = stub.GetNeighborhood(&ctx, req, &resp);
    if (!s.ok()) {
      out.status = absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                                s.error_message());
    }
    out.hops = resp.statements_size();
    return out;
  }
  v1::FindPathsRequest req;
  req.mutable_from()->set_entity(pair.from);
  req.mutable_to()->set_entity(pair.to);
  v1::PathOptions* o = req.mutable_options();
  o->set_max_hops(absl::GetFlag(FLAGS_max_hops));
  if (query == "shortest_bare") {
    o->set_provenance(v1::PROVENANCE_DETAIL_NONE);
  } else if (query == "k10") {
    o->set_mode(v1::PATH_MODE_K_SHORTEST);
    o->set_k(10);
  }
  std::unique_ptr<grpc::ClientReader<v1::FindPathsResponse>> reader =
      stub.FindPaths(&ctx, req);
  v1::FindPathsResponse resp;
  while (reader->Read(&resp)) {
    if (resp.has_path() && out.hops < 0) out.hops = resp.path().hops_size();
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) {
    out.status = absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                              s.error_message());
  }
  return out;
}

int Main() {
  absl::StatusOr<std::vector<Pair>> pairs = LoadPairs();
  if (!pairs.ok() || pairs->empty()) {
    std::fprintf(stderr, "path_grpc_bench: %s\n",
                 pairs.ok() ? "no pairs" : pairs.status().ToString().c_str());
    return 2;
  }
  std::unique_ptr<server::KgServer> server;
  std::string target = absl::GetFlag(FLAGS_server);
  if (target.empty()) {
    if (absl::GetFlag(FLAGS_data_dir).empty()) {
      std::fprintf(stderr, "path_grpc_bench: --data_dir or --server\n");
      return 2;
    }
    server::ServerOptions options;
    options.listen_address = absl::GetFlag(FLAGS_listen);
    options.data_dir = absl::GetFlag(FLAGS_data_dir);
    options.seed_file = absl::GetFlag(FLAGS_seed_file);
    options.store.sync_writes = false;
    options.limits.max_batch_items = 100'000'000;  // the seed is one batch
    options.limits.max_path_hops = 32;
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<server::KgServer>> started =
        server::KgServer::Start(options);
    if (!started.ok()) {
      std::fprintf(stderr, "path_grpc_bench: %s\n",
                   started.status().ToString().c_str());
      return 1;
    }
    server = *std::move(started);
    // The compact adjacency is built in the background after the open:
    // time the queries on it, not on the versioned one of the first
    // seconds.
    server->store()->RefreshCompactAdjacency();
    std::fprintf(
        stderr, "path_grpc_bench: server up in %.1f s%s\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count(),
        server->seeded() ? " (seed loaded)" : "");
    target = absl::StrCat("127.0.0.1:", server->port());
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::KnowledgeGraph::Stub> stub =
      v1::KnowledgeGraph::NewStub(channel);

  if (absl::GetFlag(FLAGS_stdin)) {
    char buf[4096];
    while (std::fgets(buf, sizeof buf, stdin) != nullptr) {
      std::vector<std::string> f =
          absl::StrSplit(absl::StripAsciiWhitespace(buf), '\t');
      if (f.size() != 3) {
        std::fprintf(stderr, "path_grpc_bench: bad line %s", buf);
        return 2;
      }
      if (absl::StartsWith(f[0], "inproc_") && server == nullptr) return 2;
      const auto t0 = std::chrono::steady_clock::now();
      Outcome o = Run(server.get(), *stub, f[0], {f[1], f[2]});
      const double t = std::chrono::duration<double, std::milli>(
                           std::chrono::steady_clock::now() - t0)
                           .count();
      if (!o.status.ok()) {
        std::fprintf(stderr, "path_grpc_bench: %s %s->%s: %s\n", f[0].c_str(),
                     f[1].c_str(), f[2].c_str(), o.status.ToString().c_str());
        o.hops = -2;
      }
      std::printf("%lld\t%.4f\n",
                  static_cast<long long>(o.hops),  // NOLINT(runtime/int)
                  t);
      std::fflush(stdout);
    }
    if (server != nullptr) server->Shutdown(absl::Seconds(1));
    return 0;
  }
  std::FILE* out = nullptr;
  if (!absl::GetFlag(FLAGS_out).empty()) {
    out = std::fopen(absl::GetFlag(FLAGS_out).c_str(), "w");
    if (out == nullptr) {
      std::perror(absl::GetFlag(FLAGS_out).c_str());
      return 1;
    }
  }
  std::printf("%-14s %7s %9s %9s %9s %9s %7s %6s %7s\n", "query", "n", "p50_ms",
              "p99_ms", "max_ms", "mean_ms", "found", "hops", "errors");
  int failures = 0;
  for (absl::string_view query :
       absl::StrSplit(absl::GetFlag(FLAGS_queries), ',')) {
    const bool inproc = absl::StartsWith(query, "inproc_");
    if (inproc && server == nullptr) {
      std::fprintf(stderr, "path_grpc_bench: %s needs the in-process server\n",
                   std::string(query).c_str());
      return 2;
    }
    if (query != "shortest" && query != "shortest_bare" && query != "k10" &&
        query != "hood3" && query != "inproc_shortest" &&
        query != "inproc_shortest_bare") {
      std::fprintf(stderr, "path_grpc_bench: unknown query %s\n",
                   std::string(query).c_str());
      return 2;
    }
    size_t n = pairs->size();
    if (query == "k10" || query == "hood3") {
      n = std::min(n, static_cast<size_t>(absl::GetFlag(FLAGS_k_pairs)));
    }
    for (int w = 0; w < absl::GetFlag(FLAGS_warmup); ++w) {
      for (size_t i = 0; i < n; ++i)
        Run(server.get(), *stub, query, (*pairs)[i]);
    }
    std::vector<double> ms;
    int64_t found = 0, hops = 0, errors = 0;
    for (size_t i = 0; i < n; ++i) {
      const Pair& pair = (*pairs)[i];
      const auto t0 = std::chrono::steady_clock::now();
      Outcome o = Run(server.get(), *stub, query, pair);
      const double t = std::chrono::duration<double, std::milli>(
                           std::chrono::steady_clock::now() - t0)
                           .count();
      ms.push_back(t);
      if (!o.status.ok()) {
        if (++errors <= 3) {
          std::fprintf(stderr, "path_grpc_bench: %s %s->%s: %s\n",
                       std::string(query).c_str(), pair.from.c_str(),
                       pair.to.c_str(), o.status.ToString().c_str());
        }
        o.hops = -2;
      } else if (o.hops >= 0) {
        ++found;
        hops += o.hops;
      }
      if (out != nullptr) {
        std::fprintf(out, "%s\t%s\t%s\t%lld\t%.4f\n",
                     std::string(query).c_str(), pair.from.c_str(),
                     pair.to.c_str(),
                     static_cast<long long>(o.hops),  // NOLINT(runtime/int)
                     t);
      }
    }
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const auto at = [&](double q) {
      return sorted[std::min(sorted.size() - 1,
                             static_cast<size_t>(q * sorted.size()))];
    };
    double sum = 0;
    for (double t : ms) sum += t;
    std::printf(
        "%-14s %7zu %9.3f %9.3f %9.3f %9.3f %6.1f%% %6.2f %7lld\n",
        std::string(query).c_str(), ms.size(), at(0.50), at(0.99),
        sorted.back(), sum / static_cast<double>(ms.size()),
        100.0 * static_cast<double>(found) / static_cast<double>(ms.size()),
        found == 0 ? 0.0
                   : static_cast<double>(hops) / static_cast<double>(found),
        static_cast<long long>(errors));  // NOLINT(runtime/int)
    std::fflush(stdout);
    if (errors > 0) ++failures;
  }
  if (out != nullptr) std::fclose(out);
  if (server != nullptr) server->Shutdown(absl::Seconds(1));
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace kg::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return kg::bench::Main();
}
