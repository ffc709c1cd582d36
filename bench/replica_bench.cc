// replica_bench: a replica set next to a server alone (issue 22), against
// running servers: the set's writer, one follower, and a server that is in
// no set. bench/replica_bench.sh starts them (three etcd members, two
// replicas, one server alone) and runs this:
//
//   ./build/bench/replica_bench --writer=H:P --follower=H:P --single=H:P
//
// 1. ingest: the same generated graph (bench/generated_graph.h) written to
//    the writer and to the single server, --clients calls at once of
//    --batch statements each: statements/s of each, and their ratio.
// 2. reads: FindPaths (shortest, up to 4 hops) and a SPARQL two-hop join,
//    one at a time, each call to both servers in turn, on the follower (once it
//    caught up, and
//    --settle_seconds later) and on the single server: p50 and p99 of each, and
//    the follower's p50 over the single server's.
// 3. lag: a steady --rate statements/s to the writer (calls of
//    --lag_batch), and after each acknowledgement a read on the follower
//    with kg-min-log-position set to the write's kg-log-position: p50 and
//    p99 of the acknowledgement, and of the time from it until the
//    follower answered (the write visible there).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/generated_graph.h"
#include "grpcpp/create_channel.h"
#include "kg/v1/kg.grpc.pb.h"

ABSL_FLAG(std::string, writer, "", "host:port of the replica set's writer");
ABSL_FLAG(std::string, follower, "", "host:port of one of its followers");
ABSL_FLAG(std::string, single, "", "host:port of a server in no replica set");
ABSL_FLAG(int, entities, 10000, "entities of the generated graph");
ABSL_FLAG(int, statements, 100000, "statements of the ingest phase");
ABSL_FLAG(int, batch, 1000, "statements per call in the ingest phase");
ABSL_FLAG(int, clients, 4, "calls at once in the ingest phase");
ABSL_FLAG(int, rate, 1000, "statements/s of the lag phase");
ABSL_FLAG(int, lag_batch, 10, "statements per call in the lag phase");
ABSL_FLAG(double, lag_seconds, 20, "duration of the lag phase");
ABSL_FLAG(int, reads, 1000, "timed calls of each read kind on each server");
ABSL_FLAG(double, settle_seconds, 3,
          "wait after the follower caught up, before the reads: a server "
          "rebuilds its compact adjacency a second after writes stop, and "
          "reads in between are slower on any server");

namespace kg::bench {
namespace {

std::unique_ptr<v1::KnowledgeGraph::Stub> Stub(const std::string& address) {
  return v1::KnowledgeGraph::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  return v[k];
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

void Check(const grpc::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "replica_bench: %s: %s\n", what,
               status.error_message().c_str());
  std::exit(1);
}

// Phase 1: statements/s writing the generated graph with `clients` calls
// at once.
double Ingest(const std::string& address, int entities, int statements,
              int batch, int clients) {
  auto stub = Stub(address);
  WriteVocabulary(*stub, entities);
  std::atomic<int> next{0};
  const int calls = (statements + batch - 1) / batch;
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      for (int call = next++; call < calls; call = next++) {
        std::mt19937_64 rng(call);  // the same graph on every server
        v1::WriteStatementsRequest req;
        for (int k = 0; k < batch; ++k) {
          *req.add_statements() = RandomStatement(rng, entities);
        }
        grpc::ClientContext ctx;
        v1::WriteStatementsResponse resp;
        Check(stub->WriteStatements(&ctx, req, &resp), "ingest");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return calls * batch / absl::ToDoubleSeconds(absl::Now() - start);
}

// Phase 3. The writes keep to the rate; the follower's reads run beside
// them, one per acknowledged write, each as soon as the write is
// acknowledged.
void Lag(const std::string& writer, const std::string& follower, int entities,
         int rate, int lag_batch, double seconds) {
  auto to_writer = Stub(writer);
  auto to_follower = Stub(follower);
  const absl::Duration interval =
      absl::Seconds(1) * lag_batch / static_cast<double>(rate);
  struct Acknowledged {
    std::string position;
    std::string statement_id;
    absl::Time at;
  };
  struct Pending {
    std::vector<Acknowledged> queue;
    bool done = false;
    bool Ready() const { return !queue.empty() || done; }
  };
  absl::Mutex mu;
  Pending pending;  // guarded by mu
  std::vector<double> ack_ms;
  std::vector<double> visible_ms;  // the reader's
  std::thread reader([&] {
    for (;;) {
      std::vector<Acknowledged> batch;
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(&pending, &Pending::Ready));
        if (pending.queue.empty()) return;  // done
        batch.swap(pending.queue);
      }
      for (const Acknowledged& a : batch) {
        // Each read as though sent when its write was acknowledged.
        grpc::ClientContext ctx;
        ctx.set_deadline(absl::ToChronoTime(a.at + absl::Seconds(10)));
        ctx.AddMetadata("kg-min-log-position", a.position);
        v1::GetStatementRequest read;
        read.mutable_statement()->set_statement_id(a.statement_id);
        v1::Statement statement;
        Check(to_follower->GetStatement(&ctx, read, &statement),
              "follower read");
        visible_ms.push_back(Ms(absl::Now() - a.at));
      }
    }
  });
  uint64_t late = 0;  // calls that started more than an interval late
  std::mt19937_64 rng(99);
  absl::Time next = absl::Now();
  const absl::Time end = next + absl::Seconds(seconds);
  while (next < end) {
    const absl::Time now = absl::Now();
    if (now > next + interval) ++late;
    absl::SleepFor(next - now);
    v1::WriteStatementsRequest req;
    for (int k = 0; k < lag_batch; ++k) {
      *req.add_statements() = RandomStatement(rng, entities);
    }
    grpc::ClientContext ctx;
    v1::WriteStatementsResponse resp;
    const absl::Time sent = absl::Now();
    Check(to_writer->WriteStatements(&ctx, req, &resp), "lag write");
    const absl::Time acked = absl::Now();
    ack_ms.push_back(Ms(acked - sent));
    const auto& trailers = ctx.GetServerTrailingMetadata();
    const auto position = trailers.find("kg-log-position");
    if (position == trailers.end()) {
      std::fprintf(stderr,
                   "replica_bench: --writer is not in a replica set (no "
                   "kg-log-position)\n");
      std::exit(1);
    }
    {
      absl::MutexLock lock(&mu);
      pending.queue.push_back(
          {std::string(position->second.data(), position->second.size()),
           resp.statement_ids(0), acked});
    }
    next += interval;
  }
  {
    absl::MutexLock lock(&mu);
    pending.done = true;
  }
  reader.join();
  std::printf(
      "lag at %d statements/s (%d per call, %zu calls, %llu started late): "
      "write acknowledged p50 %.2f ms p99 %.2f ms; visible on the follower "
      "after the acknowledgement p50 %.2f ms p99 %.2f ms\n",
      rate, lag_batch, ack_ms.size(), static_cast<unsigned long long>(late),
      Percentile(ack_ms, 0.5), Percentile(ack_ms, 0.99),
      Percentile(visible_ms, 0.5), Percentile(visible_ms, 0.99));
}

// Phase 2: one kind of read, `reads` times, on one server; latencies in ms.
// The same call to each of `stubs` in turn, so that the machine's drift
// falls on all alike; each one's latencies in ms.
std::vector<std::vector<double>> Reads(
    const std::vector<std::unique_ptr<v1::KnowledgeGraph::Stub>>& stubs,
    const std::string& kind, int entities, int reads) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<double>> ms(stubs.size());
  for (int i = -reads / 10; i < reads; ++i) {  // a tenth untimed, first
    const std::string from = EntityId(static_cast<int>(rng() % entities));
    const std::string to = EntityId(static_cast<int>(rng() % entities));
    for (size_t k = 0; k < stubs.size(); ++k) {
      grpc::ClientContext ctx;
      const absl::Time start = absl::Now();
      grpc::Status status;
      if (kind == "path") {
        v1::FindPathsRequest req;
        req.mutable_from()->set_entity(from);
        req.mutable_to()->set_entity(to);
        req.mutable_options()->set_max_hops(4);
        auto reader = stubs[k]->FindPaths(&ctx, req);
        v1::FindPathsResponse part;
        while (reader->Read(&part)) {
        }
        status = reader->Finish();
      } else {
        v1::QueryRequest req;
        req.set_query(absl::StrCat(
            "SELECT ?b ?c WHERE { <https://kg.invalid/entity/", from,
            "> <https://kg.invalid/relation/r0> ?b . ?b "
            "<https://kg.invalid/relation/r1> ?c } LIMIT 100"));
        auto reader = stubs[k]->Query(&ctx, req);
        v1::QueryResponse part;
        while (reader->Read(&part)) {
        }
        status = reader->Finish();
      }
      Check(status, kind.c_str());
      if (i >= 0) ms[k].push_back(Ms(absl::Now() - start));
    }
  }
  return ms;
}

int Main() {
  const std::string writer = absl::GetFlag(FLAGS_writer);
  const std::string follower = absl::GetFlag(FLAGS_follower);
  const std::string single = absl::GetFlag(FLAGS_single);
  if (writer.empty() || follower.empty() || single.empty()) {
    std::fprintf(stderr,
                 "replica_bench: --writer, --follower and --single are "
                 "required (bench/replica_bench.sh starts them)\n");
    return 2;
  }
  const int entities = absl::GetFlag(FLAGS_entities);
  const int statements = absl::GetFlag(FLAGS_statements);
  const int batch = absl::GetFlag(FLAGS_batch);
  const int clients = absl::GetFlag(FLAGS_clients);
  const double alone = Ingest(single, entities, statements, batch, clients);
  const double replicated =
      Ingest(writer, entities, statements, batch, clients);
  std::printf(
      "ingest of %d statements, %d per call, %d calls at once: alone %.0f "
      "statements/s, replicated %.0f statements/s, ratio %.2f\n",
      statements, batch, clients, alone, replicated, replicated / alone);
  std::fflush(stdout);

  // The follower holds the writer's data before it is read.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  for (auto stub = Stub(follower);;) {
    grpc::ClientContext ctx;
    v1::GetClusterStatusResponse status;
    Check(stub->GetClusterStatus(&ctx, {}, &status), "cluster status");
    if (status.members_size() > 0 &&
        std::all_of(status.members().begin(), status.members().end(),
                    [](const v1::ClusterMember& m) { return m.lag() == 0; })) {
      break;
    }
    if (absl::Now() > deadline) {
      std::fprintf(stderr, "replica_bench: the follower did not catch up\n");
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_settle_seconds)));
  for (const std::string kind : {"path", "sparql"}) {
    std::vector<std::unique_ptr<v1::KnowledgeGraph::Stub>> stubs;
    stubs.push_back(Stub(single));
    stubs.push_back(Stub(follower));
    const std::vector<std::vector<double>> ms =
        Reads(stubs, kind, entities, absl::GetFlag(FLAGS_reads));
    const std::vector<double>& on_single = ms[0];
    const std::vector<double>& on_follower = ms[1];
    std::printf(
        "%s reads, one at a time: alone p50 %.3f ms p99 %.3f ms; follower "
        "p50 %.3f ms p99 %.3f ms; follower p50 / alone p50 %.2f\n",
        kind.c_str(), Percentile(on_single, 0.5), Percentile(on_single, 0.99),
        Percentile(on_follower, 0.5), Percentile(on_follower, 0.99),
        Percentile(on_follower, 0.5) / Percentile(on_single, 0.5));
  }
  // Last: it writes to the writer only.
  Lag(writer, follower, entities, absl::GetFlag(FLAGS_rate),
      absl::GetFlag(FLAGS_lag_batch), absl::GetFlag(FLAGS_lag_seconds));
  return 0;
}

}  // namespace
}  // namespace kg::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return kg::bench::Main();
}
