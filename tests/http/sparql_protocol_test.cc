// The W3C SPARQL 1.1 Protocol tests (sparql/sparql11/protocol/manifest.ttl
// in ../shared/w3c-rdf-tests) that exercise the query operation, run as
// the manifest describes them: the tests' graphs are imported with kgctl
// into a kg-server as documents named by their graph IRIs, then each
// test's HTTP requests are sent with curl, and the status class, the content
// type and the boolean answer are checked. The update operation's tests are out
// of scope (kg serves no SPARQL Update) and are counted as skipped.
// Also the SPARQL endpoint through SPARQLWrapper and rdflib
// (sparql_clients.py), and the endpoint's own refusals.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"
#include "tests/support/w3c_manifest.h"

namespace kg::server {
namespace {

using ::kg::testing::ScopedTempDir;
using ::kg::testing::SourceDir;
using ::testing::HasSubstr;

constexpr char kHt[] = "http://www.w3.org/2011/http#";
constexpr char kCnt[] = "http://www.w3.org/2011/content#";
constexpr char kUt[] = "http://www.w3.org/2009/sparql/tests/test-update#";
constexpr char kHts[] = "http://www.w3.org/2011/http-statusCodes#";
constexpr char kRdfsLabel[] = "http://www.w3.org/2000/01/rdf-schema#label";

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// A kg-server with HTTP, in process.
class Endpoint {
 public:
  explicit Endpoint(const std::string& dir, bool seeded = false) {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "127.0.0.1:0";
    options.data_dir = dir + "/data";
    if (seeded) options.seed_file = SourceDir() + "/data/seed.jsonl";
    options.store.sync_writes = false;
    auto server = KgServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
  }
  bool ok() const { return server_ != nullptr; }
  std::string grpc_address() const {
    return absl::StrCat("127.0.0.1:", server_->port());
  }
  std::string url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", server_->http_port(), path);
  }

 private:
  std::unique_ptr<KgServer> server_;
};

// Sends one request with curl. `headers` are "Name: value"; a body goes
// as given, and without a Content-Type header none is sent (curl would
// add a form type).
Reply Send(const std::string& dir, const std::string& method,
           const std::string& url, const std::vector<std::string>& headers,
           const std::optional<std::string>& body) {
  std::vector<std::string> argv = {
      "/usr/bin/curl", "-sS", "-X",
      method,          "-w",  "\n%{http_code} %{content_type}"};
  bool has_type = false;
  for (const std::string& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
    if (absl::StartsWithIgnoreCase(h, "content-type:")) has_type = true;
  }
  if (!body.has_value() && method != "GET") {
    // HTTP/1.1 says a request with neither Content-Length nor chunks has no
    // body, but cpp-httplib 0.11 then reads a PUT or POST until the read
    // timeout; clients send Content-Length: 0, and so does this one.
    argv.push_back("-H");
    argv.push_back("Content-Length: 0");
  }
  if (body.has_value()) {
    const std::string path = dir + "/body";
    std::ofstream(path, std::ios::binary) << *body;
    argv.push_back("--data-binary");
    argv.push_back("@" + path);
    if (!has_type) {
      argv.push_back("-H");
      argv.push_back("Content-Type:");
    }
  }
  argv.push_back(url);
  testing::RunResult r = testing::RunCommand(argv, dir);
  Reply reply;
  const size_t nl = r.out.rfind('\n');
  if (r.exit_code != 0 || nl == std::string::npos) {
    reply.body = r.err;
    return reply;
  }
  reply.body = r.out.substr(0, nl);
  const std::string tail = r.out.substr(nl + 1);
  reply.status = std::atoi(tail.c_str());
  const size_t sp = tail.find(' ');
  if (sp != std::string::npos) reply.content_type = tail.substr(sp + 1);
  return reply;
}

// UTF-16LE with a byte order mark, for the suite's non-UTF-8 bodies.
std::string Utf16(const std::string& ascii) {
  std::string out = "\xff\xfe";
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

bool IsUpdate(const testing::ManifestGraph& g,
              const std::vector<rdf::Term>& requests) {
  for (const rdf::Term& req : requests) {
    if (absl::StrContains(
            g.Object(req, absl::StrCat(kHt, "absolutePath"))->value(),
            "update=")) {
      return true;
    }
    if (const rdf::Term* body = g.Object(req, absl::StrCat(kHt, "body"))) {
      const rdf::Term* chars = g.Object(*body, absl::StrCat(kCnt, "chars"));
      if (chars != nullptr && absl::StartsWith(chars->value(), "update=")) {
        return true;
      }
    }
    if (const rdf::Term* list = g.Object(req, absl::StrCat(kHt, "headers"))) {
      for (const rdf::Term& h : g.List(*list)) {
        const rdf::Term* v = g.Object(h, absl::StrCat(kHt, "fieldValue"));
        if (v != nullptr && absl::StrContains(v->value(), "sparql-update")) {
          return true;
        }
      }
    }
  }
  return false;
}

// What is wrong with `reply` against the expected response `resp`; "" if
// nothing.
std::string Check(const testing::ManifestGraph& g, const rdf::Term& resp,
                  const Reply& reply) {
  std::vector<std::string> classes;
  bool status_ok = false;
  for (const rdf::Term& s :
       g.Objects(resp, absl::StrCat(testing::kMf, "expectedStatus"))) {
    const std::string name = s.value().substr(std::string(kHts).size());
    classes.push_back(name);
    const int want = name[std::string("StatusCode").size()] - '0';
    if (reply.status / 100 == want) status_ok = true;
  }
  if (!status_ok) {
    return absl::StrCat("status ", reply.status, ", want one of ",
                        absl::StrJoin(classes, ", "), ": ", reply.body);
  }
  const rdf::Term* format =
      g.Object(resp, absl::StrCat(testing::kMf, "expectedFormat"));
  const std::string type = absl::AsciiStrToLower(reply.content_type);
  if (format != nullptr) {
    const std::string f = format->value();
    const bool results = absl::StartsWith(type, "application/sparql-results") ||
                         absl::StartsWith(type, "text/csv") ||
                         absl::StartsWith(type, "text/tab-separated-values");
    const bool rdf = absl::StartsWith(type, "text/turtle") ||
                     absl::StartsWith(type, "application/n-triples") ||
                     absl::StartsWith(type, "application/rdf+xml");
    if ((f == "boolean" || f == "tabular") && !results) {
      return absl::StrCat("content type ", type, " is not a results format");
    }
    if (f == "RDF" && !rdf) {
      return absl::StrCat("content type ", type, " is not an RDF syntax");
    }
  }
  if (const rdf::Term* b =
          g.Object(resp, absl::StrCat(testing::kMf, "expectedBoolean"))) {
    const std::string want = b->value();  // "true" or "false"
    if (!absl::StrContains(reply.body, "\"boolean\":" + want) &&
        !absl::StrContains(reply.body, "<boolean>" + want + "</boolean>")) {
      return absl::StrCat("the answer is not ", want, ": ", reply.body);
    }
  }
  return "";
}

TEST(SparqlProtocolConformance, TheQueryOperationTestsPass) {
  std::vector<testing::ManifestEntry> entries;
  std::vector<std::string> errors;
  const std::string manifest = absl::StrCat(
      testing::kW3cUrlRoot, "sparql/sparql11/protocol/manifest.ttl");
  if (testing::LocalPath(manifest).empty() ||
      !std::ifstream(testing::LocalPath(manifest))) {
    GTEST_SKIP() << "no W3C suites at " << testing::W3cTestsDir();
  }
  ASSERT_TRUE(testing::LoadManifest(manifest, &entries, &errors))
      << absl::StrJoin(errors, "\n");
  // One server for every test: the tests' graphs (data1.nt to data3.nt)
  // are the same wherever they appear, each a document named by its graph
  // IRI, imported with kgctl.
  ScopedTempDir dir;
  Endpoint endpoint(dir.path());
  ASSERT_TRUE(endpoint.ok());
  std::map<std::string, std::string> graphs;  // name -> file
  for (const testing::ManifestEntry& e : entries) {
    const testing::ManifestGraph& g = *e.graph;
    for (const rdf::Term& gd :
         g.Objects(e.node, absl::StrCat(kUt, "graphData"))) {
      graphs[g.Object(gd, kRdfsLabel)->value()] =
          testing::LocalPath(g.Object(gd, absl::StrCat(kUt, "graph"))->value());
    }
  }
  std::string nquads;
  for (const auto& [name, file] : graphs) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      const size_t dot = line.rfind('.');
      if (dot == std::string::npos) continue;
      nquads += absl::StrCat(line.substr(0, dot), "<", name, "> .\n");
    }
  }
  ASSERT_FALSE(nquads.empty());
  const std::string data = dir.Sub("data.nq");
  std::ofstream(data) << nquads;
  testing::RunResult imported =
      testing::RunCommand({testing::KgctlBinary(), "--server",
                           endpoint.grpc_address(), "import", data},
                          dir.path());
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  int passed = 0, skipped = 0;
  std::vector<std::string> failures;
  for (const testing::ManifestEntry& e : entries) {
    const testing::ManifestGraph& g = *e.graph;
    const rdf::Term* action = e.Get(testing::kMf, "action");
    ASSERT_NE(action, nullptr) << e.name;
    const rdf::Term* list = g.Object(*action, absl::StrCat(kHt, "requests"));
    ASSERT_NE(list, nullptr) << e.name;
    const std::vector<rdf::Term> requests = g.List(*list);
    if (IsUpdate(g, requests)) {
      ++skipped;
      continue;
    }
    std::string failure;
    for (const rdf::Term& req : requests) {
      const std::string method =
          g.Object(req, absl::StrCat(kHt, "methodName"))->value();
      const std::string path =
          g.Object(req, absl::StrCat(kHt, "absolutePath"))->value();
      std::vector<std::string> headers;
      if (const rdf::Term* hl = g.Object(req, absl::StrCat(kHt, "headers"))) {
        for (const rdf::Term& h : g.List(*hl)) {
          headers.push_back(absl::StrCat(
              g.Object(h, absl::StrCat(kHt, "fieldName"))->value(), ": ",
              g.Object(h, absl::StrCat(kHt, "fieldValue"))->value()));
        }
      }
      std::optional<std::string> body;
      if (const rdf::Term* b = g.Object(req, absl::StrCat(kHt, "body"))) {
        body = g.Object(*b, absl::StrCat(kCnt, "chars"))->value();
        const rdf::Term* enc =
            g.Object(*b, absl::StrCat(kCnt, "characterEncoding"));
        if (enc != nullptr && enc->value() == "UTF-16") body = Utf16(*body);
      }
      const Reply reply =
          Send(dir.path(), method, endpoint.url(path), headers, body);
      failure = Check(g, *g.Object(req, absl::StrCat(kHt, "resp")), reply);
      if (!failure.empty()) break;
    }
    if (failure.empty()) {
      ++passed;
    } else {
      failures.push_back(absl::StrCat(e.name, ": ", failure));
    }
  }
  std::printf("SPARQL protocol: %d passed, %zu failed, %d skipped (update)\n",
              passed, failures.size(), skipped);
  for (const std::string& f : failures) std::printf("  %s\n", f.c_str());
  EXPECT_TRUE(failures.empty());
  EXPECT_GE(passed, 18);
}

TEST(SparqlEndpointTest, SparqlWrapperAndRdflibGetTheirAnswers) {
  ScopedTempDir dir;
  Endpoint endpoint(dir.path(), /*seeded=*/true);
  ASSERT_TRUE(endpoint.ok());
  testing::RunResult r = testing::RunCommand(
      {"/usr/bin/python3", SourceDir() + "/tests/http/sparql_clients.py",
       endpoint.url("/sparql")},
      dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("all checks passed")) << r.err;
}

TEST(SparqlEndpointTest, RefusalsSayWhatIsWrong) {
  ScopedTempDir dir;
  Endpoint endpoint(dir.path(), /*seeded=*/true);
  ASSERT_TRUE(endpoint.ok());
  const std::string url = endpoint.url("/sparql");
  // A syntax error: 400 with line and column.
  Reply r =
      Send(dir.path(), "POST", url, {"Content-Type: application/sparql-query"},
           std::string("SELECT * WHERE { ?s ?p }"));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("line 1, column"));
  // An Accept nothing can answer: 406 listing what can.
  r = Send(dir.path(), "POST", url,
           {"Content-Type: application/sparql-query", "Accept: image/png"},
           std::string("SELECT * WHERE { ?s ?p ?o }"));
  EXPECT_EQ(r.status, 406);
  EXPECT_THAT(r.body, HasSubstr("application/sparql-results+json"));
  // Update is not served.
  r = Send(dir.path(), "POST", url, {"Content-Type: application/sparql-update"},
           std::string("INSERT DATA { <a:b> <a:c> <a:d> }"));
  EXPECT_EQ(r.status, 501);
  // Without a query, GET describes the service.
  r = Send(dir.path(), "GET", url, {}, std::nullopt);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/turtle"));
  EXPECT_THAT(r.body, HasSubstr("sd:SPARQL11Query"));
  // Content negotiation by q.
  r = Send(dir.path(), "POST", url,
           {"Content-Type: application/sparql-query",
            "Accept: application/sparql-results+json;q=0.5, text/csv"},
           std::string("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/csv"));
  EXPECT_EQ(r.body.substr(0, 3), "s\r\n");
}

}  // namespace
}  // namespace kg::server
