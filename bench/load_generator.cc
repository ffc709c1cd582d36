// kg_load: a load generator for kg-server. It keeps C calls in flight with
// gRPC's callback (async) stubs for a fixed time per operation and prints
// QPS and latency percentiles, next to a no-op rpc (the health check) on the
// same server as the ceiling: every figure is also given as a ratio to what
// gRPC itself manages.
//
//   ./build/bench/kg_load                      # in-process server, temp dir
//   ./build/bench/kg_load --server=HOST:PORT   # an already running server
//   ./build/bench/kg_load --clients=1,16,64 --seconds=5 --ops=noop,match
//
// Without --server it starts a KgServer in this process on 127.0.0.1:0 with
// a temporary store and loads a generated graph into it (--entities,
// --statements) through the API.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/generated_graph.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "kg/v1/kg.grpc.pb.h"
#include "server/server.h"

ABSL_FLAG(std::string, server, "",
          "host:port of a running kg-server; empty "
          "starts one in this process");
ABSL_FLAG(std::string, clients, "1,16,64", "concurrent calls in flight");
ABSL_FLAG(std::string, ops, "noop,get,match,write,path",
          "operations: noop (health check), get (GetStatement), match "
          "(MatchStatements, subject bound, 10 rows), write (WriteStatements "
          "of --write_batch), path (FindPaths shortest)");
ABSL_FLAG(int, write_batch, 100,
          "statements per WriteStatements call of the write operation (1: "
          "many small writes, which share a sync through group commit)");
ABSL_FLAG(double, seconds, 3, "duration of each run");
ABSL_FLAG(int, entities, 10000, "generated entities (in-process server)");
ABSL_FLAG(int, statements, 100000, "generated statements (in-process server)");

namespace kg::bench {
namespace {

namespace v1 = ::kg::v1;

struct Result {
  uint64_t calls = 0;
  uint64_t errors = 0;
  std::vector<double> latencies_ms;
  double seconds = 0;
};

// Keeps `clients` calls in flight for `duration`.
class Runner {
 public:
  using Issue = std::function<void(std::function<void(bool ok)> done)>;

  Result Run(int clients, absl::Duration duration, const Issue& issue) {
    deadline_ = absl::Now() + duration;
    const absl::Time start = absl::Now();
    in_flight_ = clients;
    for (int c = 0; c < clients; ++c) Next(issue);
    all_done_.WaitForNotification();
    absl::MutexLock lock(&mu_);
    result_.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    return result_;
  }

 private:
  void Next(const Issue& issue) {
    if (absl::Now() >= deadline_) {
      if (--in_flight_ == 0) all_done_.Notify();
      return;
    }
    const absl::Time sent = absl::Now();
    issue([this, sent, &issue](bool ok) {
      {
        absl::MutexLock lock(&mu_);
        ++result_.calls;
        if (!ok) ++result_.errors;
        result_.latencies_ms.push_back(
            absl::ToDoubleMilliseconds(absl::Now() - sent));
      }
      Next(issue);
    });
  }

  absl::Time deadline_;
  std::atomic<int> in_flight_{0};
  absl::Notification all_done_;
  absl::Mutex mu_;
  Result result_;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

int Main() {
  std::unique_ptr<server::KgServer> in_process;
  std::string address = absl::GetFlag(FLAGS_server);
  std::string tmp;
  const bool own_server = address.empty();
  if (own_server) {
    tmp = (std::filesystem::temp_directory_path() /
           absl::StrCat("kg_load_", getpid()))
              .string();
    server::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = tmp;
    absl::StatusOr<std::unique_ptr<server::KgServer>> s =
        server::KgServer::Start(options);
    if (!s.ok()) {
      std::fprintf(stderr, "kg_load: %s\n", s.status().ToString().c_str());
      return 1;
    }
    in_process = *std::move(s);
    address = absl::StrCat("127.0.0.1:", in_process->port());
  }
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = v1::KnowledgeGraph::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  const int entities = absl::GetFlag(FLAGS_entities);
  const int write_batch = absl::GetFlag(FLAGS_write_batch);
  std::vector<std::string> ids;
  if (own_server) {
    const absl::Time t = absl::Now();
    ids = Load(*stub, entities, absl::GetFlag(FLAGS_statements));
    std::printf("loaded %d entities, %zu statements in %.1f s\n", entities,
                ids.size(), absl::ToDoubleSeconds(absl::Now() - t));
  }

  std::mt19937_64 rng(7);
  absl::Mutex rng_mu;
  auto random = [&](uint64_t n) {
    absl::MutexLock lock(&rng_mu);
    return rng() % n;
  };
  // Every call owns its context and messages until its callback runs.
  auto issue_for = [&](const std::string& op) -> Runner::Issue {
    if (op == "noop") {
      return [&](std::function<void(bool)> done) {
        auto ctx = std::make_shared<grpc::ClientContext>();
        auto req = std::make_shared<grpc::health::v1::HealthCheckRequest>();
        auto resp = std::make_shared<grpc::health::v1::HealthCheckResponse>();
        health->async()->Check(
            ctx.get(), req.get(), resp.get(),
            [ctx, req, resp, done](grpc::Status s) { done(s.ok()); });
      };
    }
    if (op == "get") {
      return [&](std::function<void(bool)> done) {
        auto ctx = std::make_shared<grpc::ClientContext>();
        auto req = std::make_shared<v1::GetStatementRequest>();
        auto resp = std::make_shared<v1::Statement>();
        req->mutable_statement()->set_statement_id(
            ids.empty() ? "s00000000000000000000000000000000"
                        : ids[random(ids.size())]);
        stub->async()->GetStatement(
            ctx.get(), req.get(), resp.get(),
            [ctx, req, resp, done](grpc::Status s) { done(s.ok()); });
      };
    }
    if (op == "match") {
      return [&](std::function<void(bool)> done) {
        auto ctx = std::make_shared<grpc::ClientContext>();
        auto req = std::make_shared<v1::MatchStatementsRequest>();
        auto resp = std::make_shared<v1::MatchStatementsResponse>();
        req->mutable_subject()->set_entity(
            EntityId(static_cast<int>(random(entities))));
        req->set_page_size(10);
        stub->async()->MatchStatements(
            ctx.get(), req.get(), resp.get(),
            [ctx, req, resp, done](grpc::Status s) { done(s.ok()); });
      };
    }
    if (op == "write") {
      return [&](std::function<void(bool)> done) {
        auto ctx = std::make_shared<grpc::ClientContext>();
        auto req = std::make_shared<v1::WriteStatementsRequest>();
        auto resp = std::make_shared<v1::WriteStatementsResponse>();
        std::mt19937_64 local(random(1ull << 62));
        for (int k = 0; k < write_batch; ++k) {
          *req->add_statements() = RandomStatement(local, entities);
        }
        stub->async()->WriteStatements(
            ctx.get(), req.get(), resp.get(),
            [ctx, req, resp, done](grpc::Status s) { done(s.ok()); });
      };
    }
    if (op == "path") {
      return [&](std::function<void(bool)> done) {
        // FindPaths is server-streaming; read it to the end on a thread of
        // its own, as a client with a blocking stub would.
        std::thread([&, done] {
          grpc::ClientContext ctx;
          v1::FindPathsRequest req;
          req.mutable_from()->set_entity(
              EntityId(static_cast<int>(random(entities))));
          req.mutable_to()->set_entity(
              EntityId(static_cast<int>(random(entities))));
          req.mutable_options()->set_max_hops(6);
          auto reader = stub->FindPaths(&ctx, req);
          v1::FindPathsResponse resp;
          while (reader->Read(&resp)) {
          }
          grpc::Status s = reader->Finish();
          done(s.ok() ||
               s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
        }).detach();
      };
    }
    return nullptr;
  };

  std::printf("%-6s %8s %10s %10s %10s %8s %10s\n", "op", "clients", "qps",
              "p50_ms", "p99_ms", "errors", "vs_noop");
  for (absl::string_view op_name :
       absl::StrSplit(absl::GetFlag(FLAGS_ops), ',')) {
    const std::string op(op_name);
    Runner::Issue issue = issue_for(op);
    if (!issue) {
      std::fprintf(stderr, "kg_load: unknown op %s\n", op.c_str());
      return 2;
    }
    for (absl::string_view c :
         absl::StrSplit(absl::GetFlag(FLAGS_clients), ',')) {
      const int clients = std::stoi(std::string(c));
      Runner noop_runner;
      Runner runner;
      Result noop = noop_runner.Run(
          clients, absl::Seconds(absl::GetFlag(FLAGS_seconds) / 3),
          issue_for("noop"));
      Result r = runner.Run(clients,
                            absl::Seconds(absl::GetFlag(FLAGS_seconds)), issue);
      const double qps = r.calls / r.seconds;
      const double noop_qps = noop.calls / noop.seconds;
      std::printf("%-6s %8d %10.0f %10.3f %10.3f %8llu %9.2f%%\n", op.c_str(),
                  clients, qps, Percentile(r.latencies_ms, 0.50),
                  Percentile(r.latencies_ms, 0.99),
                  static_cast<unsigned long long>(r.errors),
                  100.0 * qps / noop_qps);
      std::fflush(stdout);
    }
  }
  in_process.reset();
  if (own_server) std::filesystem::remove_all(tmp);
  return 0;
}

}  // namespace
}  // namespace kg::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return kg::bench::Main();
}
