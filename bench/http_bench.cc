// http_bench: what the HTTP listener costs (issue 17; docs/benchmarks.md).
//
// 1. The same small query (GetEntity "nis" on the seed graph) over gRPC and
//    over the HTTP JSON gateway, from 1 and 16 client threads, each with
//    its own connection kept alive: p50, p99 and calls per second.
// 2. A SELECT of --rows rows through /sparql as SPARQL JSON, read as it
//    streams: rows per second, the first chunk's arrival, and how much the
//    process grew (RSS; the server runs in it).
//
//   ./build/bench/http_bench [--seconds=3] [--rows=100000]
//
// Both run against a KgServer started in this process on 127.0.0.1:0.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "kg/v1/kg.grpc.pb.h"
#include "server/server.h"
#include "storage/store.h"

ABSL_FLAG(int, seconds, 3, "how long each latency run lasts");
ABSL_FLAG(int, rows, 100000, "rows of the large SPARQL answer");
ABSL_FLAG(std::string, data_dir, "/tmp/kg_http_bench",
          "scratch directory (emptied first)");

namespace kg {
namespace {

namespace v1 = ::kg::v1;

struct Figures {
  double p50_ms = 0, p99_ms = 0, qps = 0;
};

Figures Summarise(std::vector<double> ms, absl::Duration took) {
  Figures f;
  if (ms.empty()) return f;
  std::sort(ms.begin(), ms.end());
  f.p50_ms = ms[ms.size() / 2];
  f.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  f.qps = ms.size() / absl::ToDoubleSeconds(took);
  return f;
}

// Runs `call` from `threads` threads for `seconds`; each thread makes its
// client with `make` (its own connection).
template <typename Client>
Figures Load(int threads, int seconds,
             const std::function<std::unique_ptr<Client>()>& make,
             const std::function<bool(Client&)>& call) {
  std::vector<std::vector<double>> per(threads);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::unique_ptr<Client> client = make();
      for (int i = 0; i < 50; ++i) call(*client);  // warm the connection
      while (!stop.load()) {
        const absl::Time s = absl::Now();
        if (!call(*client)) ++failures;
        per[t].push_back(absl::ToDoubleMilliseconds(absl::Now() - s));
      }
    });
  }
  absl::SleepFor(absl::Seconds(seconds));
  stop = true;
  for (std::thread& t : pool) t.join();
  const absl::Duration took = absl::Now() - start;
  std::vector<double> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  if (failures > 0) std::printf("  (%d calls failed)\n", failures.load());
  return Summarise(std::move(all), took);
}

int64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * 4096;
}

// `rows` statements of one relation in one document.
void Fill(storage::Store& store, int rows) {
  storage::WriteBatch batch;
  storage::Document doc;
  doc.id = "bench";
  batch.documents.push_back(doc);
  for (int i = 0; i < rows; ++i) {
    storage::StatementInput in;
    in.triple = storage::Triple{
        storage::Term::Iri(absl::StrCat("http://bench.example/s", i / 10)),
        "http://bench.example/p",
        storage::Term::Iri(absl::StrCat("http://bench.example/o", i))};
    storage::ProvenanceInput p;
    p.document_id = "bench";
    in.provenance.push_back(p);
    batch.statements.push_back(std::move(in));
    if (batch.statements.size() == 50000) {
      if (!store.Write(batch).ok()) std::abort();
      batch = storage::WriteBatch();
    }
  }
  if (!batch.statements.empty() && !store.Write(batch).ok()) std::abort();
}

bool GrpcGetEntity(v1::KnowledgeGraph::Stub& stub) {
  grpc::ClientContext ctx;
  v1::GetEntityRequest req;
  req.set_name("nis");
  v1::Entity e;
  return stub.GetEntity(&ctx, req, &e).ok();
}

bool HttpGetEntity(httplib::Client& c) {
  auto r = c.Post("/kg.v1.KnowledgeGraph/GetEntity", R"({"name":"nis"})",
                  "application/json");
  return r && r->status == 200;
}

int Main() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  std::filesystem::remove_all(dir);
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "127.0.0.1:0";
  options.data_dir = dir;
  options.seed_file = std::string(KG_SOURCE_DIR) + "/data/seed.jsonl";
  options.store.sync_writes = false;
  auto server = server::KgServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "http_bench: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  const std::string grpc_address =
      absl::StrCat("127.0.0.1:", (*server)->port());
  const int http_port = (*server)->http_port();
  const int seconds = absl::GetFlag(FLAGS_seconds);

  std::printf("GetEntity \"nis\": gRPC vs HTTP JSON gateway, %d s each\n",
              seconds);
  std::printf("%-8s %-8s %9s %9s %10s\n", "clients", "via", "p50 ms", "p99 ms",
              "calls/s");
  int channel = 0;
  for (int threads : {1, 16}) {
    const Figures g = Load<v1::KnowledgeGraph::Stub>(
        threads, seconds,
        [&] {
          // A channel each (a distinct argument keeps gRPC from sharing
          // one connection): as 16 clients would be.
          grpc::ChannelArguments args;
          args.SetInt("kg.bench_channel", ++channel);
          return v1::KnowledgeGraph::NewStub(grpc::CreateCustomChannel(
              grpc_address, grpc::InsecureChannelCredentials(), args));
        },
        GrpcGetEntity);
    std::printf("%-8d %-8s %9.3f %9.3f %10.0f\n", threads, "gRPC", g.p50_ms,
                g.p99_ms, g.qps);
    const Figures h = Load<httplib::Client>(
        threads, seconds,
        [&] {
          auto c = std::make_unique<httplib::Client>("127.0.0.1", http_port);
          c->set_keep_alive(true);
          c->set_tcp_nodelay(true);
          return c;
        },
        HttpGetEntity);
    std::printf("%-8d %-8s %9.3f %9.3f %10.0f\n", threads, "HTTP", h.p50_ms,
                h.p99_ms, h.qps);
    std::printf("%-8d %-8s %+9.3f\n", threads, "added", h.p50_ms - g.p50_ms);
  }

  const int rows = absl::GetFlag(FLAGS_rows);
  Fill(*(*server)->store(), rows);
  const int64_t before = ResidentBytes();
  int64_t peak = before;
  httplib::Client c("127.0.0.1", http_port);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(std::chrono::seconds(300));
  size_t bytes = 0;
  absl::Time first = absl::InfiniteFuture();
  httplib::Request req;
  req.method = "POST";
  req.path = "/sparql";
  req.set_header("Accept", "application/sparql-results+json");
  req.set_header("Content-Type", "application/sparql-query");
  req.body = absl::StrCat(
      "SELECT ?s ?o WHERE { ?s <http://bench.example/p> ?o } LIMIT ", rows);
  req.content_receiver = [&](const char*, size_t len, uint64_t, uint64_t) {
    if (first == absl::InfiniteFuture()) first = absl::Now();
    bytes += len;
    peak = std::max(peak, ResidentBytes());
    return true;
  };
  httplib::Response res;
  httplib::Error error;
  const absl::Time start = absl::Now();
  const bool sent = c.send(req, res, error);
  const absl::Duration took = absl::Now() - start;
  if (!sent || res.status != 200) {
    std::fprintf(stderr, "http_bench: the SPARQL query failed (HTTP %d)\n",
                 res.status);
    return 1;
  }
  std::printf(
      "\nSELECT of %d rows through /sparql as SPARQL JSON (%.1f MB)\n"
      "  whole answer %.3f s: %.0f rows/s; first chunk after %.1f ms;\n"
      "  process RSS %lld -> peak %lld MiB (+%lld MiB)\n",
      rows, bytes / 1e6, absl::ToDoubleSeconds(took),
      rows / absl::ToDoubleSeconds(took),
      absl::ToDoubleMilliseconds(first - start),
      static_cast<long long>(before >> 20), static_cast<long long>(peak >> 20),
      static_cast<long long>((peak - before) >> 20));
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}

}  // namespace
}  // namespace kg

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return kg::Main();
}
