// The example clients in examples/ (Python with Debian's grpcio, Node.js
// with @grpc/grpc-js) run end to end against a real seeded kg-server, and a
// reflection-only client proves that generic gRPC tools need no .proto
// files. What the clients write is checked independently through the C++
// stub.
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"
#include "tests/support/tls_certs.h"

namespace kg {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunCommand;
using testing::RunResult;
using testing::ScopedTempDir;
using testing::ServerProcess;
using testing::SourceDir;

// The span both examples compute for their evidence: the text starts with
// an emoji (one code point, two UTF-16 units, four UTF-8 bytes), so a client
// that counts anything but code points is rejected by the server.
constexpr uint32_t kEvidenceStart = 25;
constexpr uint32_t kEvidenceEnd = 113;
constexpr char kEvidence[] =
    "Satellite imagery suggests North Korean troops are already present in "
    "Russia\u2019s Far East.";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// Lines both examples print, whatever the language.
const std::vector<std::string>& CommonLines() {
  static const auto* lines = new std::vector<std::string>{
      "  north_korea: North Korea (Country), aliases: Pyongyang",
      "  NOT_FOUND: name: no entity named 'Atlantis'",
      "  1. nis -> <<north_korea deployed_troops_to russia>>",
      "     statement: nis reported <<north_korea deployed_troops_to russia>>",
      "     evidence: seed_article [424, 572) \"According to the NIS, North "
      "Korea is believed to have deployed four brigades, totaling "
      "approximately 12,000 soldiers, which includes special forces.\"",
      "  3. russia -> ukraine",
      "  3 hops, ",
      absl::StrCat("evidence [", kEvidenceStart, ", ", kEvidenceEnd, ")"),
      "  supports: south_korean_officials considered_plausible: ",
      "ok\n",
  };
  return *lines;
}

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.Sub("data"), dir_.path(),
        std::vector<std::string>{"--seed_file=" + SourceDir() +
                                 "/data/seed.jsonl"});
    ASSERT_TRUE(server_->started()) << server_->process().Stderr();
  }

  // The command under a clean environment: nothing from the caller's
  // (KG_TOKEN, PYTHONPATH, ...) leaks in.
  RunResult Run(const std::vector<std::string>& env,
                const std::vector<std::string>& argv) {
    std::vector<std::string> all = {"/usr/bin/env", "-i", "LC_ALL=C.UTF-8",
                                    "PATH=/usr/bin:/bin"};
    all.insert(all.end(), env.begin(), env.end());
    all.insert(all.end(), argv.begin(), argv.end());
    return RunCommand(all, dir_.path(), absl::Seconds(120));
  }

  RunResult RunPython(const std::string& address) {
    return Run(
        {"PYTHONPATH=" KG_PYTHON_STUBS_DIR},
        {KG_PYTHON3, SourceDir() + "/examples/python/kg_example.py", address});
  }

  RunResult RunNode(const std::string& address) {
    return Run(
        {"NODE_PATH=" KG_NODE_MODULES_DIR},
        {KG_NODE, SourceDir() + "/examples/node/kg_example.js", address});
  }

  RunResult Reflect(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        KG_PYTHON3, SourceDir() + "/examples/python/grpc_reflect.py",
        server_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run({}, argv);
  }

  RunResult RunIngest(const std::string& address, const std::string& file,
                      const std::string& batch_size) {
    return Run({"PYTHONPATH=" KG_PYTHON_STUBS_DIR},
               {KG_PYTHON3, SourceDir() + "/examples/python/ingest_jsonl.py",
                address, file, batch_size});
  }

  static v1::Stats Stats(const std::string& address) {
    auto stub = v1::KnowledgeGraph::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::GetStatsResponse response;
    grpc::Status status =
        stub->GetStats(&context, v1::GetStatsRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.stats();
  }

  // The live record `document_id` holds for north_korea present_in russia,
  // read through the C++ stub.
  std::vector<v1::Provenance> RecordsFrom(const std::string& document_id) {
    auto stub = v1::KnowledgeGraph::NewStub(grpc::CreateChannel(
        server_->address(), grpc::InsecureChannelCredentials()));
    v1::GetStatementRequest request;
    v1::Triple* t = request.mutable_statement()->mutable_quoted();
    t->mutable_subject()->set_entity("north_korea");
    t->set_relation("present_in");
    t->mutable_object()->set_entity("russia");
    request.set_include_provenance(true);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::Statement statement;
    grpc::Status status = stub->GetStatement(&context, request, &statement);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<v1::Provenance> records;
    for (const auto& p : statement.provenance()) {
      if (p.document_id() == document_id) records.push_back(p);
    }
    return records;
  }

  void ExpectOneRecordFrom(const std::string& document_id) {
    std::vector<v1::Provenance> records = RecordsFrom(document_id);
    ASSERT_EQ(records.size(), 1u) << document_id;
    EXPECT_EQ(records[0].evidence_start(), kEvidenceStart);
    EXPECT_EQ(records[0].evidence_end(), kEvidenceEnd);
    EXPECT_EQ(records[0].evidence(), kEvidence);
    EXPECT_EQ(records[0].hedge(), v1::HEDGE_BELIEVED);
    EXPECT_DOUBLE_EQ(records[0].confidence(), 0.6);
  }

  static void ExpectExampleOutput(const RunResult& r) {
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const std::string& line : CommonLines()) {
      EXPECT_THAT(r.out, HasSubstr(line));
    }
    // Every statement of the pattern arrives once over several pages, as
    // many as CountStatements counts (the script checks it too).
    std::smatch m;
    ASSERT_TRUE(
        std::regex_search(r.out, m,
                          std::regex("  ([0-9]+) statements in ([0-9]+) pages; "
                                     "CountStatements says ([0-9]+)\n")))
        << r.out;
    EXPECT_EQ(m[1], m[3]);
    EXPECT_GT(std::stoi(m[2]), 1);
  }

  ScopedTempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ExamplesTest, PythonClientRunsEndToEnd) {
  ASSERT_TRUE(std::filesystem::exists(std::string(KG_PYTHON_STUBS_DIR) +
                                      "/kg/v1/kg_pb2_grpc.py"))
      << "no generated Python stubs in " KG_PYTHON_STUBS_DIR
         " (target kg_python_stubs; grpc_python_plugin comes with Debian's "
         "protobuf-compiler-grpc)";
  RunResult first = RunPython(server_->address());
  ExpectExampleOutput(first);
  EXPECT_THAT(first.out, HasSubstr("provenance added 1, unchanged 0"));
  EXPECT_EQ(first.err, "");
  ExpectOneRecordFrom("python_example_post");

  // A rerun is safe: the same record is found unchanged, not duplicated.
  RunResult second = RunPython(server_->address());
  ExpectExampleOutput(second);
  EXPECT_THAT(second.out, HasSubstr("provenance added 0, unchanged 1"));
  ExpectOneRecordFrom("python_example_post");
}

TEST_F(ExamplesTest, NodeClientRunsEndToEnd) {
  ASSERT_STRNE(KG_NODE, "") << "node not found at configure time; "
                               "./setup.sh installs nodejs";
  ASSERT_TRUE(std::filesystem::exists(std::string(KG_NODE_MODULES_DIR) +
                                      "/@grpc/grpc-js/package.json"))
      << "no node_modules in " KG_NODE_MODULES_DIR
         " (target kg_node_modules runs npm ci on examples/node)";
  RunResult first = RunNode(server_->address());
  ExpectExampleOutput(first);
  EXPECT_THAT(first.out, HasSubstr("(129 code points, 130 UTF-16 units"));
  EXPECT_THAT(first.out, HasSubstr("provenance added 1, unchanged 0"));
  EXPECT_EQ(first.err, "");
  ExpectOneRecordFrom("node_example_post");

  RunResult second = RunNode(server_->address());
  ExpectExampleOutput(second);
  EXPECT_THAT(second.out, HasSubstr("provenance added 0, unchanged 1"));
  ExpectOneRecordFrom("node_example_post");
}

// Both clients write the same statement from their own documents: one
// statement, a record from each, and why() shows both.
TEST_F(ExamplesTest, BothClientsShareOneStatement) {
  ASSERT_EQ(RunPython(server_->address()).exit_code, 0);
  RunResult node = RunNode(server_->address());
  ASSERT_EQ(node.exit_code, 0) << node.out << node.err;
  EXPECT_THAT(node.out, HasSubstr("stated in 2 documents"));
  EXPECT_THAT(node.out, HasSubstr("  stated by python_example_post "));
  EXPECT_THAT(node.out, HasSubstr("  stated by node_example_post "));
  ExpectOneRecordFrom("python_example_post");
  ExpectOneRecordFrom("node_example_post");
}

// Port 1 on loopback: nothing listens, the connection is refused.
TEST_F(ExamplesTest, ClientsReportGrpcErrorsWithCode) {
  RunResult python = RunPython("127.0.0.1:1");
  EXPECT_EQ(python.exit_code, 1) << python.out << python.err;
  EXPECT_THAT(python.err, HasSubstr("kg_example.py: resolve: UNAVAILABLE: "));
  EXPECT_THAT(python.out, Not(HasSubstr("ok\n")));

  RunResult node = RunNode("127.0.0.1:1");
  EXPECT_EQ(node.exit_code, 1) << node.out << node.err;
  EXPECT_THAT(node.err, HasSubstr("kg_example.js: resolve: UNAVAILABLE: "));
  EXPECT_THAT(node.out, Not(HasSubstr("ok\n")));
}

TEST_F(ExamplesTest, ClientsNeedAnAddress) {
  RunResult python = RunPython("");
  EXPECT_EQ(python.exit_code, 2);
  EXPECT_THAT(python.err, HasSubstr("usage: kg_example.py HOST:PORT"));
  RunResult node = RunNode("");
  EXPECT_EQ(node.exit_code, 2);
  EXPECT_THAT(node.err, HasSubstr("usage: kg_example.js HOST:PORT"));
}

// The seed file streamed through IngestStatements into an empty server in
// batches of 20 gives the store a server seeds itself with.
TEST_F(ExamplesTest, IngestLoadsTheSeedLikeTheServer) {
  ServerProcess empty(dir_.Sub("empty"), dir_.path());
  ASSERT_TRUE(empty.started()) << empty.process().Stderr();
  const std::string seed = SourceDir() + "/data/seed.jsonl";
  RunResult r = RunIngest(empty.address(), seed, "20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const v1::Stats want = Stats(server_->address());
  const v1::Stats got = Stats(empty.address());
  EXPECT_EQ(got.entities(), want.entities());
  EXPECT_EQ(got.relations(), want.relations());
  EXPECT_EQ(got.documents(), want.documents());
  EXPECT_EQ(got.statements(), want.statements());
  EXPECT_EQ(got.provenance_records(), want.provenance_records());
  EXPECT_EQ(got.terms(), want.terms());
  EXPECT_EQ(r.out,
            absl::StrCat("batches 9, statements_created ", want.statements(),
                         ", provenance_added ", want.provenance_records(),
                         ", provenance_unchanged 0\n"));

  // Loading it again writes nothing new.
  RunResult again = RunIngest(empty.address(), seed, "1000");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out,
            absl::StrCat("batches 1, statements_created 0, provenance_added "
                         "0, provenance_unchanged ",
                         want.provenance_records(), "\n"));
}

// A rejected batch stops the load and is named by its lines; the batch
// before it stays written, nothing of it is.
TEST_F(ExamplesTest, IngestStopsAtARejectedBatch) {
  const std::string file = dir_.Sub("bad.jsonl");
  WriteFile(
      file,
      R"({"entity": {"id": "x1", "label": "X one", "type": "Thing"}})"
      "\n"
      R"({"entity": {"id": "x2", "label": "X two", "type": "Thing"}})"
      "\n"
      R"({"statement": {"triple": {"subject": {"entity": "atlantis"}, )"
      R"("relation": "located_in", "object": {"entity": "x1"}}, )"
      R"("provenance": [{"document_id": "seed_article", )"
      R"("evidence_start": 0, "evidence_end": 9, "evidence": "President"}]}})"
      "\n");
  const v1::Stats before = Stats(server_->address());
  RunResult r = RunIngest(server_->address(), file, "2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ingest_jsonl.py: " + file +
                       ": batch 2 (lines 3-3) rejected, none of it written: "
                       "NOT_FOUND: statements[0].triple.subject: no entity "
                       "named 'atlantis'\n");
  const v1::Stats after = Stats(server_->address());
  EXPECT_EQ(after.entities(), before.entities() + 2);
  EXPECT_EQ(after.statements(), before.statements());
}

TEST_F(ExamplesTest, IngestStopsAtABadLine) {
  const std::string file = dir_.Sub("bad.jsonl");
  WriteFile(file,
            R"({"entity": {"id": "x1", "label": "X one", "type": "Thing"}})"
            "\n{\"nope\": 1}\n");
  RunResult r = RunIngest(server_->address(), file, "1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(file + " line 2: "));
  EXPECT_THAT(r.err, HasSubstr("(written before it: 1 batches)"));
}

// grpc_reflect.py runs with no PYTHONPATH (no kg stubs) and reads no files:
// everything comes from the server's reflection service.
TEST_F(ExamplesTest, ReflectionAloneListsServices) {
  RunResult r = Reflect({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(absl::StrSplit(r.out, '\n', absl::SkipEmpty()),
              ElementsAre("grpc.health.v1.Health",
                          "grpc.reflection.v1alpha.ServerReflection",
                          "kg.v1.KnowledgeGraph"));
}

TEST_F(ExamplesTest, ReflectionAloneDescribesEveryRpc) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "kg.v1.KnowledgeGraph");
  ASSERT_NE(service, nullptr);
  std::vector<std::string> expected;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    expected.push_back(absl::StrCat("rpc ", m->name(), "(",
                                    m->client_streaming() ? "stream " : "",
                                    m->input_type()->full_name(), ") returns (",
                                    m->server_streaming() ? "stream " : "",
                                    m->output_type()->full_name(), ")"));
  }
  RunResult r = Reflect({"describe", "kg.v1.KnowledgeGraph"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(absl::StrSplit(r.out, '\n', absl::SkipEmpty()),
              ElementsAreArray(expected));
}

TEST_F(ExamplesTest, ReflectionAloneCallsAnRpc) {
  RunResult r = Reflect({"call", "kg.v1.KnowledgeGraph/ResolveEntity",
                         R"({"name": "Pyongyang"})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v1::ResolveEntityResponse response;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(r.out, &response).ok())
      << r.out;
  ASSERT_EQ(response.candidates_size(), 1);
  EXPECT_EQ(response.candidates(0).id(), "north_korea");
  EXPECT_EQ(response.candidates(0).label(), "North Korea");
}

// A server-streaming rpc: one JSON line per message, the summary last.
TEST_F(ExamplesTest, ReflectionAloneReadsAStream) {
  RunResult r =
      Reflect({"call", "kg.v1.KnowledgeGraph/FindPaths",
               R"({"from": {"entity": "NIS"}, "to": {"entity": "Ukraine"},
           "options": {"walk_claims": true}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << r.out;
  v1::FindPathsResponse path;
  v1::FindPathsResponse summary;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(lines[0], &path).ok());
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(lines[1], &summary).ok());
  ASSERT_TRUE(path.has_path());
  ASSERT_EQ(path.path().hops_size(), 3);
  EXPECT_EQ(path.path().hops(0).from().entity().id(), "nis");
  EXPECT_EQ(path.path().hops(2).to().entity().id(), "ukraine");
  ASSERT_TRUE(summary.has_summary());
  EXPECT_EQ(summary.summary().paths(), 1u);
}

TEST_F(ExamplesTest, ReflectionAloneReportsErrors) {
  RunResult missing = Reflect({"call", "kg.v1.KnowledgeGraph/ResolveEntity",
                               R"({"name": "Atlantis"})"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err,
            "grpc_reflect.py: NOT_FOUND: name: no entity named 'Atlantis'\n");

  RunResult unknown_service = Reflect({"describe", "kg.v1.NoSuchService"});
  EXPECT_EQ(unknown_service.exit_code, 1);
  EXPECT_THAT(unknown_service.err, HasSubstr("grpc_reflect.py: NOT_FOUND: "));

  RunResult bad_json = Reflect(
      {"call", "kg.v1.KnowledgeGraph/ResolveEntity", R"({"nom": "x"})"});
  EXPECT_EQ(bad_json.exit_code, 2);
  EXPECT_THAT(bad_json.err, HasSubstr("grpc_reflect.py: request: "));
}

// Against a server that speaks only TLS and wants tokens, both clients work
// with KG_TLS_CA and a writer's KG_TOKEN, and stop with UNAUTHENTICATED
// without a token.
TEST_F(ExamplesTest, ClientsSpeakTlsWithABearerToken) {
  const testing::TlsFiles& tls = testing::TestTls();
  // sha256 of "examples-writer-token".
  const std::string tokens = dir_.Sub("tokens");
  WriteFile(tokens,
            "pipeline writer "
            "sha256:" +
                testing::Sha256Hex("examples-writer-token") + "\n");
  ServerProcess secured(
      dir_.Sub("secured"), dir_.path(),
      {"--tokens_file=" + tokens, "--tls_cert_file=" + tls.server_cert,
       "--tls_key_file=" + tls.server_key,
       "--seed_file=" + SourceDir() + "/data/seed.jsonl"});
  ASSERT_TRUE(secured.started()) << secured.process().Stderr();
  const std::string ca = "KG_TLS_CA=" + tls.ca_cert;
  const std::string token = "KG_TOKEN=examples-writer-token";

  RunResult python =
      Run({"PYTHONPATH=" KG_PYTHON_STUBS_DIR, ca, token},
          {KG_PYTHON3, SourceDir() + "/examples/python/kg_example.py",
           secured.address()});
  ExpectExampleOutput(python);
  RunResult node = Run({"NODE_PATH=" KG_NODE_MODULES_DIR, ca, token},
                       {KG_NODE, SourceDir() + "/examples/node/kg_example.js",
                        secured.address()});
  ExpectExampleOutput(node);

  RunResult anonymous =
      Run({"PYTHONPATH=" KG_PYTHON_STUBS_DIR, ca},
          {KG_PYTHON3, SourceDir() + "/examples/python/kg_example.py",
           secured.address()});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_THAT(anonymous.out + anonymous.err, HasSubstr("UNAUTHENTICATED"));
  RunResult anonymous_node =
      Run({"NODE_PATH=" KG_NODE_MODULES_DIR, ca},
          {KG_NODE, SourceDir() + "/examples/node/kg_example.js",
           secured.address()});
  EXPECT_EQ(anonymous_node.exit_code, 1);
  EXPECT_THAT(anonymous_node.out + anonymous_node.err,
              HasSubstr("UNAUTHENTICATED"));
}

}  // namespace
}  // namespace kg
