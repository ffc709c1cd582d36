// kg-server's HTTP listener through curl, a client nobody here wrote: the
// JSON gateway for each kind of rpc, gRPC's status codes as HTTP statuses,
// bearer tokens, health, limits, and the refusal to serve without tokens
// off loopback (docs/http.md).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "kg/v1/kg.pb.h"
#include "server/auth.h"
#include "server/server.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"
#include "tests/support/tls_certs.h"

namespace kg::server {
namespace {

using ::kg::testing::ScopedTempDir;
using ::kg::testing::SourceDir;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace v1 = ::kg::v1;

constexpr char kReaderToken[] = "reader-token-0123456789";
constexpr char kWriterToken[] = "writer-token-abcdefghij";

struct Reply {
  int status = 0;
  std::string body;
  std::string headers;
};

class HttpTest : public ::testing::Test {
 protected:
  void Start(bool with_tokens, const std::string& web_root = "") {
    ServerOptions options;
    options.web_root = web_root;
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "127.0.0.1:0";
    options.data_dir = dir_.Sub("data");
    options.seed_file = SourceDir() + "/data/seed.jsonl";
    options.max_receive_message_bytes = 1 << 20;
    options.store.sync_writes = false;
    if (with_tokens) {
      const std::string path = dir_.Sub("tokens");
      std::ofstream(path) << "analyst reader sha256:" << TokenHash(kReaderToken)
                          << "\n"
                          << "pipeline writer sha256:"
                          << TokenHash(kWriterToken) << "\n";
      options.security.tokens_file = path;
    }
    auto server = KgServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->http_port(), 0);
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", server_->http_port(), path);
  }

  // curl with `args`, then the URL; the status and body it got.
  Reply Curl(const std::string& path, std::vector<std::string> args = {}) {
    const std::string headers = dir_.Sub("headers");
    std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "-D",
                                     headers,         "-w",  "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(Url(path));
    testing::RunResult r = testing::RunCommand(argv, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Reply reply;
    const size_t nl = r.out.rfind('\n');
    reply.status =
        nl == std::string::npos ? 0 : std::stoi(r.out.substr(nl + 1));
    reply.body = nl == std::string::npos ? r.out : r.out.substr(0, nl);
    std::ifstream in(headers);
    reply.headers.assign(std::istreambuf_iterator<char>(in), {});
    return reply;
  }

  // POST of a JSON body to an rpc.
  Reply Rpc(const std::string& method, const std::string& body,
            const std::string& token = "") {
    std::vector<std::string> args = {
        "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
        body};
    if (!token.empty()) {
      args.push_back("-H");
      args.push_back(absl::StrCat("Authorization: Bearer ", token));
    }
    return Curl("/kg.v1.KnowledgeGraph/" + method, args);
  }

  ScopedTempDir dir_;
  std::unique_ptr<KgServer> server_;
};

template <typename M>
M FromJson(const std::string& json) {
  M m;
  auto s = google::protobuf::util::JsonStringToMessage(json, &m);
  EXPECT_TRUE(s.ok()) << s.message() << ": " << json;
  return m;
}

std::vector<std::string> JsonLines(const std::string& body) {
  std::vector<std::string> lines =
      absl::StrSplit(body, '\n', absl::SkipEmpty());
  return lines;
}

// 20 gRPC lookups of the seed's "nis" at `address`, each answered within
// 5 s (on a connection of their own, closed on return).
void ExpectGrpcLookupsAnswer(const std::string& address) {
  auto stub = v1::KnowledgeGraph::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    v1::GetEntityRequest req;
    req.set_name("nis");
    v1::Entity nis;
    const grpc::Status status = stub->GetEntity(&ctx, req, &nis);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
    EXPECT_EQ(nis.id(), "nis");
  }
}

TEST_F(HttpTest, UnaryRpcsTakeAndGiveProtobufJson) {
  Start(false);
  Reply r = Rpc("GetEntity", R"({"name":"NIS"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/json"));
  v1::Entity nis = FromJson<v1::Entity>(r.body);
  EXPECT_EQ(nis.id(), "nis");
  EXPECT_EQ(nis.label(), "National Intelligence Service");
  // Field names as written in the .proto are accepted too.
  r = Rpc("GetStats", "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(FromJson<v1::GetStatsResponse>(r.body).stats().entities(), 32);
  // An empty body is the empty request.
  EXPECT_EQ(Rpc("GetStats", "").status, 200);
}

TEST_F(HttpTest, StreamingRpcsAnswerJsonLines) {
  Start(false);
  // Server streaming: one line per message.
  Reply r =
      Rpc("FindPaths", R"({"from":{"entity":"NIS"},"to":{"entity":"Ukraine"},)"
                       R"("options":{"walk_claims":true}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/x-ndjson"));
  std::vector<std::string> lines = JsonLines(r.body);
  ASSERT_GE(lines.size(), 2u) << r.body;
  EXPECT_TRUE(FromJson<v1::FindPathsResponse>(lines.front()).has_path());
  EXPECT_TRUE(FromJson<v1::FindPathsResponse>(lines.back()).has_summary());
  // A profile is one option away over HTTP too.
  r = Rpc("FindPaths", R"({"from":{"entity":"NIS"},"to":{"entity":"Ukraine"},)"
                       R"("options":{"walk_claims":true,"profile":true}})");
  lines = JsonLines(r.body);
  ASSERT_FALSE(lines.empty());
  const v1::PathSearchSummary summary =
      FromJson<v1::FindPathsResponse>(lines.back()).summary();
  ASSERT_EQ(summary.profile_size(), 5) << r.body;
  EXPECT_EQ(summary.profile(2).name(), "search");
  EXPECT_EQ(summary.profile(2).expanded_edges(), summary.expanded_edges());

  // Client streaming: the body is JSON Lines, one request each; the
  // answer is one object.
  r = Rpc(
      "ImportStatements",
      R"({"batch":{"entities":[{"id":"a1","label":"A one","type":"Thing"}]}})"
      "\n"
      R"({"batch":{"entities":[{"id":"a2","label":"A two","type":"Thing"}]}})"
      "\n");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Rpc("GetEntity", R"({"name":"a2"})").status, 200);

  // Bidirectional: each batch acknowledged, in order, one line each.
  r = Rpc(
      "IngestStatements",
      R"({"batch":{"entities":[{"id":"b1","label":"B one","type":"Thing"}]}})"
      "\n"
      R"({"batch":{"entities":[{"id":"b1","label":"B other","type":"Thing"}]}})"
      "\n");
  EXPECT_EQ(r.status, 200) << r.body;
  lines = JsonLines(r.body);
  ASSERT_EQ(lines.size(), 2u) << r.body;
  // Each acknowledgement carries its batch's own status (code 6 is
  // ALREADY_EXISTS); the stream goes on.
  EXPECT_THAT(lines[1], HasSubstr(R"("code":6)")) << r.body;
  EXPECT_THAT(lines[1], HasSubstr("already exists")) << r.body;
}

TEST_F(HttpTest, FailuresAreGrpcCodesAsHttpStatusesNamingTheField) {
  Start(false);
  Reply r = Rpc("GetEntity", R"({"nme":"nis"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr(R"("code":"INVALID_ARGUMENT")"));
  EXPECT_THAT(r.body, HasSubstr("nme"));
  r = Rpc("GetEntity", "{not json");
  EXPECT_EQ(r.status, 400);
  r = Rpc("GetEntity", R"({"name":"nosuch"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("name: no entity named 'nosuch'"));
  r = Rpc("CreateEntity", R"({"entity":{"id":"nis","label":"Other"}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("entity.type: must not be empty"));
  r = Rpc("CreateEntity",
          R"({"entity":{"id":"nis","label":"Other","type":"Organization"}})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"("code":"ALREADY_EXISTS")"));
  // A failure before the first message of a stream is its status too.
  r = Rpc("FindPaths", R"({"from":{"entity":"nosuch"},"to":{"entity":"NIS"}})");
  EXPECT_EQ(r.status, 404) << r.body;
  // A bad line of a client stream: nothing is called, nothing written.
  r = Rpc("ImportStatements",
          R"({"batch":{"entities":[{"id":"c1","label":"C","type":"T"}]}})"
          "\n{oops}\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("body line 2"));
  EXPECT_EQ(Rpc("GetEntity", R"({"name":"c1"})").status, 404);
  // Routes and methods.
  r = Rpc("NoSuchMethod", "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("no rpc /kg.v1.KnowledgeGraph/NoSuchMethod"));
  r = Curl("/kg.v1.KnowledgeGraph/GetStats");
  EXPECT_EQ(r.status, 405);
  EXPECT_THAT(r.headers, HasSubstr("Allow: POST"));
  EXPECT_EQ(Curl("/nothing/here/at/all").status, 404);
  // A body past the limit (the gRPC listener's, 1 MiB here) is refused
  // before it is read.
  const std::string big = dir_.Sub("big.json");
  std::ofstream(big) << std::string(2 << 20, ' ');
  r = Curl("/kg.v1.KnowledgeGraph/GetStats",
           {"-X", "POST", "--data-binary", "@" + big});
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("RESOURCE_EXHAUSTED"));
}

TEST_F(HttpTest, BearerTokensAndRolesAreGrpcs) {
  Start(true);
  Reply r = Rpc("GetStats", "{}");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.headers, HasSubstr("WWW-Authenticate: Bearer"));
  EXPECT_EQ(Rpc("GetStats", "{}", "wrong-token-0000000000").status, 401);
  EXPECT_EQ(Rpc("GetStats", "{}", kReaderToken).status, 200);
  r = Rpc("CreateEntity", R"({"entity":{"id":"x1","label":"X","type":"T"}})",
          kReaderToken);
  EXPECT_EQ(r.status, 403) << r.body;
  r = Rpc("CreateEntity", R"({"entity":{"id":"x1","label":"X","type":"T"}})",
          kWriterToken);
  EXPECT_EQ(r.status, 200) << r.body;
  // Health needs no token: a load balancer asks it.
  EXPECT_EQ(Curl("/healthz").status, 200);
  EXPECT_EQ(Curl("/readyz").status, 200);
}

TEST_F(HttpTest, ServesTheExplorersFilesAndNothingOutsideThem) {
  const std::string web = dir_.Sub("web");
  std::filesystem::create_directories(web);
  std::ofstream(web + "/index.html") << "<title>page</title>";
  std::ofstream(web + "/app.js") << "console.log(1);";
  std::ofstream(dir_.Sub("secret.txt")) << "not for the web";
  Start(false, web);

  Reply page = Curl("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<title>page</title>");
  EXPECT_THAT(page.headers, HasSubstr("Content-Type: text/html"));
  EXPECT_THAT(page.headers,
              HasSubstr("Content-Security-Policy: default-src 'self'"));
  EXPECT_THAT(page.headers, HasSubstr("X-Content-Type-Options: nosniff"));
  Reply script = Curl("/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_THAT(script.headers, HasSubstr("javascript"));

  // Nothing above the directory, however the path is spelt.
  for (const char* path :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/app.js/../../secret.txt"}) {
    Reply outside = Curl(path, {"--path-as-is"});
    EXPECT_NE(outside.status, 200) << path;
    EXPECT_THAT(outside.body, Not(HasSubstr("not for the web"))) << path;
  }
  Reply missing = Curl("/missing.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("no route GET /missing.js"));

  // The other routes are still theirs.
  EXPECT_EQ(Curl("/healthz").body, "ok\n");
  EXPECT_EQ(Rpc("GetEntity", R"({"name":"nis"})").status, 200);
}

TEST_F(HttpTest, AnExplorerThatIsNotBuiltIsA404SayingSo) {
  Start(false, dir_.Sub("no-such-dir"));
  Reply page = Curl("/");
  EXPECT_EQ(page.status, 404);
  EXPECT_THAT(page.body, HasSubstr("the explorer is not built"));
  EXPECT_THAT(page.body, HasSubstr("no such directory"));
  EXPECT_EQ(Curl("/healthz").status, 200);
}

TEST_F(HttpTest, HealthAndReadiness) {
  Start(false);
  Reply r = Curl("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  r = Curl("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr(R"("status":"SERVING")"));
}

// /metrics is Prometheus's text format (promtool, from Debian's
// prometheus, accepts it) and counts what was done: gRPC calls by method
// and code (the gateway's included), HTTP requests by route and status,
// rows and edges of queries, the store's counts, RocksDB's figures.
TEST_F(HttpTest, MetricsArePrometheusTextAndCountWhatHappened) {
  Start(false);
  ASSERT_EQ(Rpc("GetEntity", R"({"name":"NIS"})").status, 200);
  ASSERT_EQ(Rpc("GetEntity", R"({"name":"nosuch"})").status, 404);
  ASSERT_EQ(Rpc("FindPaths", R"({"from":{"entity":"NIS"},)"
                             R"("to":{"entity":"Ukraine"},)"
                             R"("options":{"walk_claims":true}})")
                .status,
            200);
  Reply r = Curl("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.headers, HasSubstr("text/plain; version=0.0.4"));
  const std::string& m = r.body;
  EXPECT_THAT(m, HasSubstr("kg_rpc_calls_total{method=\"/kg.v1.KnowledgeGraph/"
                           "GetEntity\",code=\"OK\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("kg_rpc_calls_total{method=\"/kg.v1.KnowledgeGraph/"
                           "GetEntity\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("kg_http_requests_total{route=\"/kg.v1."
                           "KnowledgeGraph/GetEntity\",code=\"404\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("kg_rpc_duration_seconds_bucket{method=\"/kg.v1."
                           "KnowledgeGraph/FindPaths\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("kg_store_items{kind=\"entities\"} 32\n"));
  EXPECT_THAT(m, HasSubstr("kg_rocksdb_live_sst_bytes "));
  EXPECT_THAT(m, HasSubstr("kg_compact_adjacency_builds_total "));
  EXPECT_THAT(m, HasSubstr("kg_path_queries_waiting 0\n"));
  EXPECT_THAT(m, Not(HasSubstr("kg_path_edges_expanded_total 0\n")));
  EXPECT_THAT(m, Not(HasSubstr("kg_query_rows_total 0\n")));
  // A stray path counts as "other", not as a route of its own.
  Curl("/no/such/thing");
  EXPECT_THAT(
      Curl("/metrics").body,
      HasSubstr("kg_http_requests_total{route=\"other\",code=\"404\"} 1"));

  const std::string file = dir_.Sub("metrics.txt");
  std::ofstream(file) << m;
  testing::RunResult check = testing::RunCommand(
      {"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + file},
      dir_.path());
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// Queries slower than --slow_query_ms are logged with their request, rows,
// edges and caller, and never the caller's token.
TEST(SlowQueryLogTest, NamesTheQueryAndNeverTheToken) {
  ScopedTempDir dir;
  const std::string tokens = dir.Sub("tokens");
  std::ofstream(tokens) << "analyst reader sha256:" << TokenHash(kReaderToken)
                        << "\n";
  testing::ServerProcess server(
      dir.Sub("data"), dir.path(),
      {"--tokens_file=" + tokens, "--slow_query_ms=1",
       "--seed_file=" + SourceDir() + "/data/seed.jsonl"});
  ASSERT_TRUE(server.started()) << server.process().Stderr();
  {  // closed before the server stops: an idle connection holds its drain
    auto stub = v1::KnowledgeGraph::NewStub(grpc::CreateChannel(
        server.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kReaderToken));
    v1::QueryRequest req;
    // Every triple of the seed's RDF view, sorted: over a thousand rows,
    // several ms.
    req.set_query("SELECT * WHERE { ?a ?b ?c } ORDER BY ?c");
    auto reader = stub->Query(&ctx, req);
    v1::QueryResponse resp;
    while (reader->Read(&resp)) {
    }
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  server.process().Signal(SIGTERM);
  server.process().Wait(absl::Seconds(30));
  const std::string log = server.process().Stderr();
  EXPECT_THAT(log, HasSubstr("slow query: /kg.v1.KnowledgeGraph/Query"));
  EXPECT_THAT(log, HasSubstr(" rows, 0 edges expanded, OK, from "));
  EXPECT_THAT(log, HasSubstr("?a ?b ?c"));
  EXPECT_THAT(log, Not(HasSubstr(kReaderToken)));
}

// Slowloris: connections that send half a request hold HTTP workers (each
// until the read timeout), and many more wait to be accepted; gRPC
// clients are served all the while. A header past 8 KiB is refused.
TEST_F(HttpTest, SlowAndOversizedHttpClientsDoNotStarveGrpc) {
  Start(false);
  std::vector<int> sockets;
  // Four times the workers (16): the rest wait in the accept queue.
  for (int i = 0; i < 64; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->http_port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              0);
    const std::string half = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    ASSERT_EQ(::send(fd, half.data(), half.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(half.size()));
    sockets.push_back(fd);
  }
  ExpectGrpcLookupsAnswer(absl::StrCat("127.0.0.1:", server_->port()));
  for (int fd : sockets) ::close(fd);

  Reply r = Curl("/healthz", {"-H", "X-Big: " + std::string(10000, 'x')});
  EXPECT_GE(r.status, 400) << r.body;
  EXPECT_LT(r.status, 500) << r.body;
}

// Thousands of connections to the HTTP port, opened and left idle: they
// wait for HTTP workers or in the accept queue; kg-server's gRPC clients
// are served all the while, and HTTP serves again once they go.
TEST(HttpAbuseTest, ThousandsOfIdleConnectionsDoNotStarveGrpc) {
  constexpr int kConnections = 2000;
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max < kConnections + 500) {
    GTEST_SKIP() << "this process may open only " << limit.rlim_max
                 << " descriptors";
  }
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  ScopedTempDir dir;
  const std::string port_file = dir.Sub("http_port");
  testing::ServerProcess server(
      dir.Sub("data"), dir.path(),
      {"--http_listen=127.0.0.1:0", "--http_port_file=" + port_file,
       "--seed_file=" + SourceDir() + "/data/seed.jsonl"});
  ASSERT_TRUE(server.started()) << server.process().Stderr();
  int http_port = 0;
  std::ifstream(port_file) >> http_port;
  ASSERT_GT(http_port, 0);
  std::vector<int> sockets;
  for (int i = 0; i < kConnections; ++i) {
    // Non-blocking: a connect the full accept queue holds back does not
    // hold this loop.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(http_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc =
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << std::strerror(errno);
    sockets.push_back(fd);
  }
  // Until every connection is established (the server accepts them all;
  // what it cannot serve yet waits in its queue), at most 60 s.
  int connected = 0;
  const absl::Time until = absl::Now() + absl::Seconds(60);
  std::vector<pollfd> pending;
  for (int fd : sockets) pending.push_back(pollfd{fd, POLLOUT, 0});
  while (!pending.empty() && absl::Now() < until) {
    ASSERT_GE(::poll(pending.data(), pending.size(), 1000), 0);
    std::vector<pollfd> still;
    for (const pollfd& p : pending) {
      if (p.revents == 0) {
        still.push_back(pollfd{p.fd, POLLOUT, 0});
        continue;
      }
      int error = 0;
      socklen_t len = sizeof error;
      ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error == 0) ++connected;
    }
    pending = std::move(still);
  }
  std::printf("%d of %d connections established\n", connected, kConnections);
  EXPECT_EQ(connected, kConnections);
  ExpectGrpcLookupsAnswer(server.address());
  for (int fd : sockets) ::close(fd);
  // HTTP answers again once the idle connections are gone (each worker
  // sees its connection closed).
  testing::RunResult r = testing::RunCommand(
      {"/usr/bin/curl", "-sS", "--max-time", "30",
       absl::StrCat("http://127.0.0.1:", http_port, "/healthz")},
      dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST(HttpListenTest, RefusedOffLoopbackWithoutTokensOrTls) {
  ScopedTempDir dir;
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir.Sub("data");
  options.http_listen_address = "0.0.0.0:0";
  auto server = KgServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("--http_listen: 0.0.0.0:0"));
  options.security.allow_insecure_remote = true;
  server = KgServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(),
              HasSubstr("--tokens_file: required on 0.0.0.0:0"));
  options.http_listen_address = "127.0.0.1:notaport";
  options.security.allow_insecure_remote = false;
  server = KgServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()),
              StartsWith("--http_listen"));
}

// With TLS on, HTTP is HTTPS with the same certificate, and a client CA
// makes it ask for client certificates as gRPC does.
TEST(HttpListenTest, TlsServesHttpsWithTheSameCertificate) {
  const testing::TlsFiles& tls = testing::TestTls();
  ScopedTempDir dir;
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "127.0.0.1:0";
  options.data_dir = dir.Sub("data");
  options.security.tls_cert_file = tls.server_cert;
  options.security.tls_key_file = tls.server_key;
  options.security.tls_client_ca_file = tls.ca_cert;
  auto server = KgServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string url =
      absl::StrCat("https://127.0.0.1:", (*server)->http_port(), "/readyz");
  testing::RunResult r = testing::RunCommand(
      {"/usr/bin/curl", "-sS", "--cacert", tls.ca_cert, "--cert",
       tls.client_cert, "--key", tls.client_key, url},
      dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SERVING"));
  // No client certificate: the handshake fails.
  r = testing::RunCommand(
      {"/usr/bin/curl", "-sS", "--cacert", tls.ca_cert, url}, dir.path());
  EXPECT_NE(r.exit_code, 0) << r.out;
  // Plain HTTP to the HTTPS port gets no answer.
  r = testing::RunCommand(
      {"/usr/bin/curl", "-sS", "--max-time", "5",
       absl::StrCat("http://127.0.0.1:", (*server)->http_port(), "/readyz")},
      dir.path());
  EXPECT_NE(r.exit_code, 0) << r.out;
}

TEST(HttpListenTest, KgServerWritesItsHttpPortAndStopsOnSigterm) {
  ScopedTempDir dir;
  const std::string port_file = dir.Sub("http_port");
  testing::ServerProcess server(
      dir.Sub("data"), dir.path(),
      {"--http_listen=127.0.0.1:0", "--http_port_file=" + port_file});
  ASSERT_TRUE(server.started()) << server.process().Stderr();
  std::ifstream in(port_file);
  int port = 0;
  in >> port;
  ASSERT_GT(port, 0);
  testing::RunResult r =
      testing::RunCommand({"/usr/bin/curl", "-sS",
                           absl::StrCat("http://127.0.0.1:", port, "/readyz")},
                          dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SERVING"));
  server.process().Signal(SIGTERM);
  EXPECT_EQ(server.process().Wait(absl::Seconds(30)), 0)
      << server.process().Stderr();
}

}  // namespace
}  // namespace kg::server
