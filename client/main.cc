// kgctl: the kg command-line client. It talks to kg-server only through the
// kg.v1 proto. `kgctl --help` lists the commands and exit codes.
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "client/connection.h"
#include "google/protobuf/util/json_util.h"

namespace {

using kg::client::Connection;

constexpr char kFooter[] = R"(Exit codes:
  0 ok, 1 other error, 2 usage error, 3 not found,
  4 invalid input (or already exists / failed precondition),
  5 server unavailable or timed out, 6 unauthenticated or permission denied.

Examples:
  kgctl health
  kgctl stats --json
  KG_SERVER=127.0.0.1:50051 kgctl stats)";

struct Globals {
  std::string server = "127.0.0.1:50051";
  double timeout_seconds = 10;
  bool json = false;
};

void PrintJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  std::printf("%s\n", out.c_str());
}

int Health(Connection& conn, const Globals& g) {
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  auto ctx = conn.Context();
  grpc::Status status = conn.health().Check(ctx.get(), req, &resp);
  if (!status.ok()) return kg::client::ReportError(status, conn.server());
  if (g.json) {
    PrintJson(resp);
  } else {
    std::printf(
        "%s\n",
        grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status())
            .c_str());
  }
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? kg::client::kExitOk
             : kg::client::kExitUnavailable;
}

int Stats(Connection& conn, const Globals& g) {
  kg::v1::GetStatsRequest req;
  kg::v1::GetStatsResponse resp;
  auto ctx = conn.Context();
  grpc::Status status = conn.kg().GetStats(ctx.get(), req, &resp);
  if (!status.ok()) return kg::client::ReportError(status, conn.server());
  if (g.json) {
    PrintJson(resp.stats());
    return kg::client::kExitOk;
  }
  const auto& s = resp.stats();
  std::printf("entities            %12llu\n", (unsigned long long)s.entities());
  std::printf("relations           %12llu\n",
              (unsigned long long)s.relations());
  std::printf("documents           %12llu\n",
              (unsigned long long)s.documents());
  std::printf("statements          %12llu\n",
              (unsigned long long)s.statements());
  std::printf("provenance records  %12llu\n",
              (unsigned long long)s.provenance_records());
  std::printf("bytes on disk       %12llu\n",
              (unsigned long long)s.bytes_on_disk());
  return kg::client::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kgctl: query and load a kg knowledge-graph server"};
  app.footer(kFooter);
  app.require_subcommand(1);
  Globals g;
  app.add_option("--server", g.server, "kg-server address host:port")
      ->envname("KG_SERVER")
      ->capture_default_str();
  app.add_option("--timeout", g.timeout_seconds, "seconds to wait per call")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--json", g.json, "print protobuf JSON, one object per result");

  int rc = 0;
  auto run = [&](int (*fn)(Connection&, const Globals&)) {
    return [&, fn] {
      Connection conn(g.server, absl::Seconds(g.timeout_seconds));
      rc = fn(conn, g);
    };
  };
  app.add_subcommand("health", "is the server serving? (exit 0 when SERVING)")
      ->callback(run(Health));
  app.add_subcommand("stats",
                     "counts of entities, statements, ... and disk use")
      ->callback(run(Stats));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kg::client::kExitUsage;
  }
  return rc;
}
