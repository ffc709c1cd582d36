// The Query rpc (SPARQL) over a real channel, on the seed graph in a real
// store: answers, each kind of bad request, the caps and the deadline.
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "server/server.h"
#include "tests/support/test_util.h"

namespace kg::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
namespace v1 = ::kg::v1;

constexpr char kPrologue[] =
    "PREFIX e: <https://kg.invalid/entity/> "
    "PREFIX r: <https://kg.invalid/relation/> ";

// One Query call read to its end.
struct Answer {
  grpc::Status status;
  v1::QueryHeader header;
  std::vector<v1::QueryRow> rows;
  std::vector<v1::RdfTriple> triples;
  std::optional<bool> boolean;
  v1::QueryTrailer trailer;
  int messages = 0;
};

std::string Show(const v1::RdfTerm& t) {
  if (t.has_iri()) return t.iri();
  if (t.has_literal())
    return absl::StrCat("\"", t.literal().lexical_form(), "\"");
  if (t.has_blank_node()) return "_:" + t.blank_node();
  if (t.has_triple()) return "<<...>>";
  return "-";
}

class SparqlRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = dir_.Sub("data");
    options.seed_file = testing::SourceDir() + "/data/seed.jsonl";
    options.store.sync_writes = false;
    options.limits = limits_;
    absl::StatusOr<std::unique_ptr<KgServer>> server = KgServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::KnowledgeGraph::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials()));
  }

  Answer Run(const v1::QueryRequest& req,
             std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    auto reader = stub_->Query(&ctx, req);
    Answer a;
    v1::QueryResponse resp;
    while (reader->Read(&resp)) {
      ++a.messages;
      if (resp.has_header()) a.header = resp.header();
      for (const auto& row : resp.rows().rows()) a.rows.push_back(row);
      for (const auto& t : resp.triples().triples()) a.triples.push_back(t);
      if (resp.part_case() == v1::QueryResponse::kBoolean)
        a.boolean = resp.boolean();
      if (resp.has_trailer()) a.trailer = resp.trailer();
    }
    a.status = reader->Finish();
    return a;
  }

  Answer Run(const std::string& query) {
    v1::QueryRequest req;
    req.set_query(absl::StrCat(kPrologue, query));
    return Run(req);
  }

  ServiceLimits limits_;
  testing::ScopedTempDir dir_;
  std::unique_ptr<KgServer> server_;
  std::unique_ptr<v1::KnowledgeGraph::Stub> stub_;
};

TEST_F(SparqlRpcTest, SelectAnswersFromTheStoreWithHeaderRowsAndTrailer) {
  const Answer a =
      Run("SELECT ?what WHERE { e:yoon_suk_yeol r:convened ?what }");
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  EXPECT_EQ(a.header.form(), v1::QUERY_FORM_SELECT);
  EXPECT_THAT(a.header.variables(), ElementsAre("what"));
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(Show(a.rows[0].values(0)),
            "https://kg.invalid/entity/emergency_security_meeting");
  EXPECT_EQ(a.trailer.results(), 1u);
  EXPECT_FALSE(a.trailer.truncated());
}

TEST_F(SparqlRpcTest, JoinsAndLiteralsOfTheSeed) {
  // The meeting Yoon convened, and the date it was held on: a join
  // through ?m, ending in a literal.
  const Answer a = Run(
      "SELECT ?m ?date WHERE { e:yoon_suk_yeol r:convened ?m . ?m r:held_on "
      "?date }");
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(Show(a.rows[0].values(1)), "\"2024-10-18\"");
  EXPECT_TRUE(a.rows[0].values(1).literal().datatype().find("XMLSchema#date") !=
              std::string::npos)
      << a.rows[0].values(1).literal().datatype();
}

TEST_F(SparqlRpcTest, AskConstructAndGraphByDocument) {
  const Answer ask = Run("ASK { e:yoon_suk_yeol r:convened ?x }");
  ASSERT_TRUE(ask.status.ok()) << ask.status.error_message();
  EXPECT_EQ(ask.boolean, std::optional<bool>(true));
  const Answer construct =
      Run("CONSTRUCT { ?m <http://example.org/convenedBy> e:yoon_suk_yeol } "
          "WHERE { e:yoon_suk_yeol r:convened ?m }");
  ASSERT_TRUE(construct.status.ok()) << construct.status.error_message();
  EXPECT_EQ(construct.header.form(), v1::QUERY_FORM_CONSTRUCT);
  ASSERT_EQ(construct.triples.size(), 1u);
  EXPECT_EQ(construct.triples[0].predicate().iri(),
            "http://example.org/convenedBy");
  // The seed has one document: the statement is in its graph.
  const Answer graph =
      Run("SELECT ?g WHERE { GRAPH ?g { e:yoon_suk_yeol r:convened ?x } }");
  ASSERT_TRUE(graph.status.ok()) << graph.status.error_message();
  ASSERT_EQ(graph.rows.size(), 1u);
  EXPECT_EQ(Show(graph.rows[0].values(0)),
            "https://kg.invalid/document/seed_article");
  // FROM a document that does not exist: an empty default graph.
  const Answer none = Run(
      "SELECT * FROM <https://kg.invalid/document/nothing> WHERE { ?s ?p ?o "
      "}");
  ASSERT_TRUE(none.status.ok()) << none.status.error_message();
  EXPECT_TRUE(none.rows.empty());
}

TEST_F(SparqlRpcTest, ManyRowsStreamInBatchesAndMaxResultsCutsThemShort) {
  // 2,500 rows of a cross product of the article's 70 statements: three
  // messages of at most 1,000 rows between the header and the trailer.
  const Answer all =
      Run("SELECT * FROM <https://kg.invalid/document/seed_article> "
          "WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 2500");
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  EXPECT_EQ(all.rows.size(), 2500u);
  EXPECT_EQ(all.messages, 5);
  EXPECT_EQ(all.trailer.results(), 2500u);
  v1::QueryRequest req;
  req.set_query("SELECT * WHERE { ?s ?p ?o }");
  req.set_max_results(7);
  const Answer cut = Run(req);
  ASSERT_TRUE(cut.status.ok()) << cut.status.error_message();
  EXPECT_EQ(cut.rows.size(), 7u);
  EXPECT_TRUE(cut.trailer.truncated());
}

TEST_F(SparqlRpcTest, ExplainAnswersThePlanWithoutRunning) {
  v1::QueryRequest req;
  req.set_query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3");
  req.set_mode(v1::QUERY_MODE_EXPLAIN);
  const Answer a = Run(req);
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  EXPECT_TRUE(a.rows.empty());
  EXPECT_EQ(a.trailer.plan(),
            "(slice 0 3 (project (?s) (bgp (triple ?s ?p ?o))))");
}

TEST_F(SparqlRpcTest, EachKindOfBadRequestNamesItsField) {
  v1::QueryRequest empty;
  Answer a = Run(empty);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("query: is required"));

  a = Run("SELECT * WHERE { ?s ?p }");
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("query: line 1, column"));

  v1::QueryRequest big;
  big.set_query(std::string((1 << 20) + 1, ' '));
  a = Run(big);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("at most 1048576"));

  v1::QueryRequest as_of;
  as_of.set_query("ASK {}");
  as_of.mutable_as_of()->set_reported_by("October 2024");
  a = Run(as_of);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("as_of.reported_by:"));
  as_of.mutable_as_of()->set_reported_by("");
  as_of.mutable_as_of()->mutable_recorded_at()->set_seconds(-100'000'000'000);
  a = Run(as_of);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("as_of.recorded_at:"));

  v1::QueryRequest mode;
  mode.set_query("ASK {}");
  mode.set_mode(static_cast<v1::QueryMode>(99));
  a = Run(mode);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("mode: unknown value 99"));

  a = Run("INSERT DATA { e:a r:b e:c }");
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("SPARQL Update"));

  a = Run(
      "SELECT * WHERE { SERVICE <http://remote.example/sparql> { ?s ?p ?o } }");
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(a.status.error_message(), HasSubstr("remote endpoints"));
}

TEST_F(SparqlRpcTest, TheRowCapAndTheDeadlineStopAQuery) {
  // Four copies of the seed's statements joined with nothing in common:
  // far past a cap of 100,000 rows.
  limits_.max_query_rows = 100'000;
  stub_.reset();
  server_.reset();
  SetUp();
  Answer a =
      Run("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }");
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(a.status.error_message(), HasSubstr("max_rows"));
  // The query memory cap: a cross product of two copies is 6 variables
  // (48 bytes) a row, past a 64 KiB cap.
  limits_.max_query_rows = 10'000'000;
  limits_.max_query_memory_bytes = 64 << 10;
  stub_.reset();
  server_.reset();
  SetUp();
  a = Run("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }");
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(a.status.error_message(), HasSubstr("memory cap"));
  v1::QueryRequest req;
  req.set_query("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }");
  a = Run(req, std::chrono::milliseconds(1));
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

}  // namespace
}  // namespace kg::server
