// SPARQL latency from a C++ gRPC client: each query of a file run one at a
// time on one channel against a running kg-server, timed from the call's
// start to the end of its stream (every row read and decoded by protobuf),
// so that the figure is the server's and the wire's, without a scripting
// language's client cost. bench/sparql_side_by_side.py runs it as its
// "kg gRPC from C++" column.
//
//   ./build/bench/sparql_grpc_latency --server=127.0.0.1:50051
//       --queries=queries.tsv --runs=20 --warmup=3
//
// --queries: one query per line, "name<TAB>query text" (the text on one
// line). Prints one line per query, "name<TAB>rows<TAB>p50 ms<TAB>p99 ms";
// a query that fails prints its status instead and the program exits 1.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "kg/v1/kg.grpc.pb.h"

ABSL_FLAG(std::string, server, "", "HOST:PORT of a running kg-server");
ABSL_FLAG(std::string, queries, "", "file of name<TAB>query lines");
ABSL_FLAG(int, runs, 20, "timed runs of each query");
ABSL_FLAG(int, warmup, 3, "untimed runs before them");

namespace {

// One call: its rows (or triples) and its time in milliseconds; rows < 0
// when it failed (then `error` says why).
struct Call {
  int64_t rows = 0;
  double ms = 0;
  std::string error;
};

Call Run(kg::v1::KnowledgeGraph::Stub& stub, const std::string& query) {
  Call call;
  kg::v1::QueryRequest request;
  request.set_query(query);
  grpc::ClientContext context;
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<grpc::ClientReader<kg::v1::QueryResponse>> reader =
      stub.Query(&context, request);
  kg::v1::QueryResponse part;
  while (reader->Read(&part)) {
    call.rows += part.rows().rows_size() + part.triples().triples_size() +
                 (part.has_boolean() ? 1 : 0);
  }
  const grpc::Status status = reader->Finish();
  call.ms = std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now() - start)
                .count();
  if (!status.ok()) {
    call.rows = -1;
    call.error = status.error_message();
  }
  return call;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(
      v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string server = absl::GetFlag(FLAGS_server);
  const std::string file = absl::GetFlag(FLAGS_queries);
  const int runs = absl::GetFlag(FLAGS_runs);
  if (server.empty() || file.empty() || runs < 1) {
    std::fprintf(stderr,
                 "sparql_grpc_latency: --server, --queries and --runs >= 1 "
                 "are required\n");
    return 2;
  }
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "sparql_grpc_latency: cannot read %s\n", file.c_str());
    return 2;
  }
  auto stub = kg::v1::KnowledgeGraph::NewStub(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  int failed = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> parts =
        absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (parts.size() != 2) {
      std::fprintf(stderr, "sparql_grpc_latency: not name<TAB>query: %s\n",
                   line.c_str());
      return 2;
    }
    Call call;
    for (int i = 0; i < absl::GetFlag(FLAGS_warmup) && call.rows >= 0; ++i) {
      call = Run(*stub, parts[1]);
    }
    std::vector<double> times;
    for (int i = 0; i < runs && call.rows >= 0; ++i) {
      call = Run(*stub, parts[1]);
      times.push_back(call.ms);
    }
    if (call.rows < 0) {
      std::printf("%s\terror: %s\n", parts[0].c_str(), call.error.c_str());
      ++failed;
      continue;
    }
    std::printf("%s\t%lld\t%.3f\t%.3f\n", parts[0].c_str(),
                static_cast<long long>(call.rows),  // NOLINT(runtime/int)
                Percentile(times, 0.5), Percentile(times, 0.99));
    std::fflush(stdout);
  }
  return failed == 0 ? 0 : 1;
}
