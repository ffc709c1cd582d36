// Path and provenance rpcs over a real channel, on the seed graph.
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "query/path.h"
#include "server/server.h"
#include "tests/support/test_util.h"

namespace kg::server {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
namespace v1 = ::kg::v1;

v1::Term Quoted(const std::string& s, const std::string& r,
                const std::string& o) {
  v1::Term t;
  t.mutable_quoted()->mutable_subject()->set_entity(s);
  t.mutable_quoted()->set_relation(r);
  t.mutable_quoted()->mutable_object()->set_entity(o);
  return t;
}

v1::Term Entity(const std::string& name) {
  v1::Term t;
  t.set_entity(name);
  return t;
}

std::string Name(const v1::Node& n) {
  if (n.has_entity()) return n.entity().id();
  if (n.has_statement_id()) return "<<" + n.statement_id().substr(0, 7) + ">>";
  return "literal";
}

class QueryRpcTest : public ::testing::Test {
 protected:
  static constexpr int64_t kInlinePathEdges = 5000;

  QueryRpcTest() {
    // A small inline share, so that the searches of these tests take both
    // ways: inline and on a thread of their own.
    limits_.inline_path_edges = kInlinePathEdges;
  }

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

  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
    return ctx;
  }

  // Runs FindPaths to the end: the paths, the summary, the status.
  grpc::Status Paths(const v1::FindPathsRequest& req,
                     std::vector<v1::Path>* paths,
                     v1::PathSearchSummary* summary) {
    auto ctx = Ctx();
    auto reader = stub_->FindPaths(ctx.get(), req);
    v1::FindPathsResponse resp;
    while (reader->Read(&resp)) {
      if (resp.has_path()) paths->push_back(resp.path());
      if (resp.has_summary()) *summary = resp.summary();
    }
    return reader->Finish();
  }

  ServiceLimits limits_;  // set before SetUp
  testing::ScopedTempDir dir_;
  std::unique_ptr<KgServer> server_;
  std::unique_ptr<v1::KnowledgeGraph::Stub> stub_;
};

TEST_F(QueryRpcTest, ThePathFromTheNisToUkraineExplainsItself) {
  v1::FindPathsRequest req;
  *req.mutable_from() = Entity("NIS");
  *req.mutable_to() = Entity("Ukraine");
  req.mutable_options()->set_walk_claims(true);
  req.mutable_options()->set_provenance(v1::PROVENANCE_DETAIL_FULL);
  std::vector<v1::Path> paths;
  v1::PathSearchSummary summary;
  grpc::Status s = Paths(req, &paths, &summary);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(summary.paths(), 1u);
  const v1::Path& path = paths[0];
  ASSERT_FALSE(path.hops().empty());
  EXPECT_EQ(Name(path.hops(0).from()), "nis");
  EXPECT_EQ(Name(path.hops(path.hops_size() - 1).to()), "ukraine");
  for (const v1::Hop& hop : path.hops()) {
    EXPECT_FALSE(hop.statement().id().empty());
    EXPECT_NE(hop.kind(), v1::HOP_KIND_UNSPECIFIED);
  }
  // Every hop that walks a statement with evidence shows its sentence.
  int with_evidence = 0;
  for (const v1::Hop& hop : path.hops()) {
    if (hop.summary().has_best()) {
      EXPECT_FALSE(hop.summary().best().evidence().empty());
      ++with_evidence;
    }
  }
  EXPECT_GT(with_evidence, 0);
}

TEST_F(QueryRpcTest, KShortestAndNeighborhood) {
  v1::FindPathsRequest req;
  *req.mutable_from() = Entity("north_korea");
  *req.mutable_to() = Entity("russia");
  req.mutable_options()->set_mode(v1::PATH_MODE_K_SHORTEST);
  req.mutable_options()->set_k(3);
  std::vector<v1::Path> paths;
  v1::PathSearchSummary summary;
  ASSERT_TRUE(Paths(req, &paths, &summary).ok());
  ASSERT_EQ(paths.size(), 3u);
  for (size_t i = 1; i < paths.size(); ++i) {
    EXPECT_LE(paths[i - 1].cost(), paths[i].cost());
  }

  v1::GetNeighborhoodRequest hood;
  *hood.mutable_node() = Entity("Kremlin");
  hood.set_hops(1);
  hood.mutable_options()->set_walk_claims(true);
  // The Kremlin's claims are denials: walked only with include_opposed.
  hood.mutable_options()->set_include_opposed(true);
  v1::GetNeighborhoodResponse resp;
  grpc::Status s = stub_->GetNeighborhood(Ctx().get(), hood, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.statements().empty());
  std::set<std::string> relations;
  for (const auto& st : resp.statements()) relations.insert(st.relation());
  EXPECT_TRUE(relations.contains("rejected"));
}

TEST_F(QueryRpcTest, PathRequestsWithBadInputGetTheRightCodes) {
  struct Case {
    std::function<void(v1::FindPathsRequest&)> mutate;
    grpc::StatusCode code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.clear_from(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "from"},
      {[](auto& r) { *r.mutable_to() = Entity("Atlantis"); },
       grpc::StatusCode::NOT_FOUND, "to"},
      {[](auto& r) { r.mutable_options()->set_max_hops(1000); },
       grpc::StatusCode::INVALID_ARGUMENT, "options.max_hops"},
      {[](auto& r) { r.mutable_options()->set_max_hops(-1); },
       grpc::StatusCode::INVALID_ARGUMENT, "options.max_hops"},
      {[](auto& r) { r.mutable_options()->set_k(-5); },
       grpc::StatusCode::INVALID_ARGUMENT, "options.k"},
      {[](auto& r) {
         r.mutable_options()->set_mode(static_cast<v1::PathMode>(77));
       },
       grpc::StatusCode::INVALID_ARGUMENT, "options.mode"},
      {[](auto& r) { r.mutable_options()->set_min_confidence(std::nan("")); },
       grpc::StatusCode::INVALID_ARGUMENT, "options.min_confidence"},
      {[](auto& r) {
         r.mutable_options()->mutable_valid_time()->set_start("last year");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "options.valid_time.start"},
      {[](auto& r) {
         r.mutable_options()->mutable_as_of()->mutable_recorded_at()->set_nanos(
             -1);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "options.as_of.recorded_at"},
      {[](auto& r) {
         r.mutable_options()->set_max_expanded_edges(int64_t{1} << 40);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "options.max_expanded_edges"},
      {[](auto& r) { r.mutable_options()->set_max_expanded_edges(1); },
       grpc::StatusCode::RESOURCE_EXHAUSTED, ""},
      {[](auto& r) {
         r.mutable_options()->add_allowed_relations("teleported");
       },
       grpc::StatusCode::NOT_FOUND,
       "options.allowed_relations[0]: no relation"},
      {[](auto& r) { r.mutable_options()->add_allowed_entity_types("Planet"); },
       grpc::StatusCode::NOT_FOUND,
       "options.allowed_entity_types[0]: no entity has the type 'Planet'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    v1::FindPathsRequest req;
    *req.mutable_from() = Entity("NIS");
    *req.mutable_to() = Entity("Ukraine");
    req.mutable_options()->set_walk_claims(true);
    cases[i].mutate(req);
    std::vector<v1::Path> paths;
    v1::PathSearchSummary summary;
    grpc::Status s = Paths(req, &paths, &summary);
    EXPECT_EQ(s.error_code(), cases[i].code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(cases[i].field));
  }
}

TEST_F(QueryRpcTest, WhyGroupsClaimsByPolarity) {
  v1::WhyRequest req;
  *req.mutable_statement() =
      Quoted("North Korea", "deployed_troops_to", "Moscow");
  v1::WhyResponse resp;
  grpc::Status s = stub_->Why(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::set<std::string> supporting, opposing;
  for (const auto& c : resp.supporting()) {
    supporting.insert(c.claimant().entity().id());
    EXPECT_EQ(c.polarity(), v1::POLARITY_SUPPORTS);
    ASSERT_FALSE(c.provenance().empty());
    EXPECT_FALSE(c.provenance(0).evidence().empty());
  }
  for (const auto& c : resp.opposing())
    opposing.insert(c.claimant().entity().id());
  EXPECT_THAT(supporting,
              UnorderedElementsAre("nis", "presidential_office",
                                   "meeting_participants", "south_korea"));
  EXPECT_THAT(opposing,
              UnorderedElementsAre("russia", "north_korea", "kremlin"));
  EXPECT_THAT(resp.summary(), HasSubstr("asserted by 4 claimants"));
  EXPECT_THAT(resp.summary(), HasSubstr("denied by 3"));
  EXPECT_TRUE(resp.provenance().empty());  // quoted, never stated

  req.set_include_evidence(false);
  ASSERT_TRUE(stub_->Why(Ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.supporting(0).provenance(0).evidence().empty());
}

TEST_F(QueryRpcTest, ByDocumentByClaimantContestedTimelineExport) {
  v1::ListByDocumentRequest by_doc;
  by_doc.set_document_id("seed_article");
  by_doc.set_page_size(5);
  v1::ListByDocumentResponse doc_page;
  ASSERT_TRUE(stub_->ListByDocument(Ctx().get(), by_doc, &doc_page).ok());
  ASSERT_EQ(doc_page.statements_size(), 5);
  EXPECT_FALSE(doc_page.next_page_token().empty());
  uint32_t last = 0;
  for (const auto& st : doc_page.statements()) {
    EXPECT_GE(st.provenance(0).evidence_start(), last);
    last = st.provenance(0).evidence_start();
  }

  v1::ListByClaimantRequest by_claimant;
  by_claimant.set_claimant("The Kremlin");
  v1::ListByClaimantResponse claims;
  ASSERT_TRUE(stub_->ListByClaimant(Ctx().get(), by_claimant, &claims).ok());
  ASSERT_EQ(claims.claims_size(), 1);
  EXPECT_EQ(claims.claims(0).relation(), "rejected");
  EXPECT_EQ(claims.claims(0).polarity(), v1::POLARITY_OPPOSES);

  v1::ListContestedResponse contested;
  ASSERT_TRUE(stub_->ListContested(Ctx().get(), {}, &contested).ok());
  ASSERT_EQ(contested.statements_size(), 3);
  EXPECT_EQ(contested.statements(0).statement().relation(),
            "deployed_troops_to");
  EXPECT_EQ(contested.statements(0).distinct_claimants(), 7u);

  v1::GetClaimTimelineRequest timeline;
  *timeline.mutable_statement() =
      Quoted("north_korea", "deployed_troops_to", "russia");
  v1::GetClaimTimelineResponse entries;
  ASSERT_TRUE(stub_->GetClaimTimeline(Ctx().get(), timeline, &entries).ok());
  EXPECT_EQ(entries.entries_size(), 8);

  v1::ExportProvenanceRequest prov;
  *prov.mutable_statement() = timeline.statement();
  v1::ExportProvenanceResponse exported;
  ASSERT_TRUE(stub_->ExportProvenance(Ctx().get(), prov, &exported).ok());
  EXPECT_EQ(exported.media_type(), "application/n-triples");
  EXPECT_THAT(exported.content(), HasSubstr("http://www.w3.org/ns/prov#"));
  prov.set_format(v1::PROVENANCE_FORMAT_PROV_O_JSONLD);
  ASSERT_TRUE(stub_->ExportProvenance(Ctx().get(), prov, &exported).ok());
  EXPECT_EQ(exported.media_type(), "application/ld+json");
}

TEST_F(QueryRpcTest, ProvenanceRequestsWithBadInputGetTheRightCodes) {
  v1::WhyResponse why;
  v1::WhyRequest not_a_statement;
  *not_a_statement.mutable_statement() = Entity("nis");
  grpc::Status s = stub_->Why(Ctx().get(), not_a_statement, &why);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("statement"));

  v1::WhyRequest unknown;
  unknown.mutable_statement()->set_statement_id("s" + std::string(32, 'a'));
  s = stub_->Why(Ctx().get(), unknown, &why);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("statement"));

  v1::WhyRequest bad_time;
  *bad_time.mutable_statement() =
      Quoted("north_korea", "deployed_troops_to", "russia");
  bad_time.mutable_as_of()->set_reported_by("20 October 2024");
  s = stub_->Why(Ctx().get(), bad_time, &why);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("as_of.reported_by"));

  v1::ListByClaimantRequest literal_claimant;
  literal_claimant.set_claimant("s" + std::string(32, 'b'));
  v1::ListByClaimantResponse claims;
  s = stub_->ListByClaimant(Ctx().get(), literal_claimant, &claims);
  EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
  EXPECT_THAT(s.error_message(), HasSubstr("claimant"));

  v1::ListByDocumentRequest no_doc;
  no_doc.set_document_id("nothing_here");
  v1::ListByDocumentResponse page;
  s = stub_->ListByDocument(Ctx().get(), no_doc, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("document_id"));

  v1::ListContestedRequest bad_page;
  bad_page.set_page_token("forged");
  v1::ListContestedResponse contested;
  s = stub_->ListContested(Ctx().get(), bad_page, &contested);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token"));
}

TEST_F(QueryRpcTest, APageTokenIsRefusedByAnotherRpc) {
  v1::WhyRequest why;
  *why.mutable_statement() =
      Quoted("north_korea", "deployed_troops_to", "russia");
  why.set_page_size(1);
  v1::WhyResponse why_page;
  ASSERT_TRUE(stub_->Why(Ctx().get(), why, &why_page).ok());
  ASSERT_FALSE(why_page.next_page_token().empty());
  const std::string why_token = why_page.next_page_token();

  v1::ListEntitiesRequest entities;
  entities.set_page_size(1);
  v1::ListEntitiesResponse entities_page;
  ASSERT_TRUE(stub_->ListEntities(Ctx().get(), entities, &entities_page).ok());
  ASSERT_FALSE(entities_page.next_page_token().empty());
  const std::string entities_token = entities_page.next_page_token();

  auto expect_refused = [](const grpc::Status& s) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), ::testing::StartsWith("page_token:"));
  };
  v1::ListByDocumentRequest by_doc;
  by_doc.set_document_id("seed_article");
  by_doc.set_page_token(why_token);
  v1::ListByDocumentResponse doc_page;
  expect_refused(stub_->ListByDocument(Ctx().get(), by_doc, &doc_page));

  why.set_page_token(entities_token);
  expect_refused(stub_->Why(Ctx().get(), why, &why_page));

  entities.set_page_token(why_token);
  expect_refused(stub_->ListEntities(Ctx().get(), entities, &entities_page));

  v1::MatchStatementsRequest match;
  match.set_page_token(why_token);
  v1::MatchStatementsResponse match_page;
  expect_refused(stub_->MatchStatements(Ctx().get(), match, &match_page));
}

TEST_F(QueryRpcTest, AsReportedTimeTravelHidesLaterDocuments) {
  v1::WhyRequest req;
  *req.mutable_statement() =
      Quoted("north_korea", "deployed_troops_to", "russia");
  req.mutable_as_of()->set_reported_by("2024-10-17");  // before the article
  v1::WhyResponse resp;
  ASSERT_TRUE(stub_->Why(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.supporting_size() + resp.opposing_size(), 0);
  req.mutable_as_of()->set_reported_by("2024-10-20");
  ASSERT_TRUE(stub_->Why(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.supporting_size() + resp.opposing_size(), 8);
}

}  // namespace
}  // namespace kg::server

namespace kg::server {
namespace {

// A dense random graph where enumerating all simple paths of 8 hops takes
// far longer than any test: a budget stops the search.
class RunawayQueryTest : public QueryRpcTest {
 protected:
  void SetUp() override {
    QueryRpcTest::SetUp();
    v1::WriteStatementsRequest req;
    for (int i = 0; i < 200; ++i) {
      v1::Entity* e = req.add_entities();
      e->set_id(absl::StrCat("n", i));
      e->set_label(absl::StrCat("Node ", i));
      e->set_type("Thing");
    }
    std::mt19937 rng(5);
    for (int i = 0; i < 4000; ++i) {
      v1::StatementInput* st = req.add_statements();
      st->mutable_triple()->mutable_subject()->set_entity(
          absl::StrCat("n", rng() % 200));
      st->mutable_triple()->set_relation("cooperates_with");
      st->mutable_triple()->mutable_object()->set_entity(
          absl::StrCat("n", rng() % 200));
      v1::Provenance* p = st->add_provenance();
      p->set_document_id("seed_article");
      p->set_evidence_start(0);
      p->set_evidence_end(5);
      p->set_evidence("Presi");
    }
    v1::WriteStatementsResponse resp;
    grpc::Status s = stub_->WriteStatements(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Shortest, k = 40 shortest and budgeted all simple paths over gRPC give
  // what query::FindPaths gives in process.
  void ExpectTheEnginesAnswers();

  v1::FindPathsRequest Runaway() {
    v1::FindPathsRequest req;
    *req.mutable_from() = Entity("n0");
    *req.mutable_to() = Entity("n1");
    req.mutable_options()->set_mode(v1::PATH_MODE_ALL_SIMPLE);
    req.mutable_options()->set_max_hops(8);
    req.mutable_options()->set_limit(10000);
    return req;
  }
};

TEST_F(RunawayQueryTest, ABudgetStopsAPathQueryWithFlaggedResults) {
  v1::FindPathsRequest req = Runaway();
  req.mutable_options()->set_max_expanded_edges(20000);
  std::vector<v1::Path> paths;
  v1::PathSearchSummary summary;
  grpc::Status s = Paths(req, &paths, &summary);
  // The first paths come within the budget: they stand, flagged.
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(summary.budget_exhausted());
  EXPECT_FALSE(paths.empty());
  EXPECT_EQ(summary.paths(), paths.size());
}

// FindPaths runs a search inline on the callback thread while it stays
// within a small share of edges, and starts it again on a thread of its own
// when it needs more. Either way the answer is the engine's: the same paths
// and summary as query::FindPaths in process, whether the search fits in
// that share, outgrows it, or has a caller's budget smaller than it.
void RunawayQueryTest::ExpectTheEnginesAnswers() {
  struct Case {
    const char* name;
    v1::PathMode mode;
    int k;
    int64_t budget;
  };
  for (const Case& c :
       {Case{"shortest", v1::PATH_MODE_SHORTEST, 0, 0},
        Case{"k=40 (outgrows the inline share)", v1::PATH_MODE_K_SHORTEST, 40,
             0},
        Case{"all simple, budget 3000", v1::PATH_MODE_ALL_SIMPLE, 0, 3000}}) {
    SCOPED_TRACE(c.name);
    v1::FindPathsRequest req = Runaway();
    req.mutable_options()->set_mode(c.mode);
    req.mutable_options()->set_max_hops(c.mode == v1::PATH_MODE_ALL_SIMPLE ? 8
                                                                           : 6);
    if (c.k > 0) req.mutable_options()->set_k(c.k);
    if (c.budget > 0) req.mutable_options()->set_max_expanded_edges(c.budget);
    std::vector<v1::Path> paths;
    v1::PathSearchSummary summary;
    const grpc::Status s = Paths(req, &paths, &summary);

    query::PathOptions options;
    options.mode = c.mode == v1::PATH_MODE_SHORTEST ? query::PathMode::kShortest
                   : c.mode == v1::PATH_MODE_K_SHORTEST
                       ? query::PathMode::kKShortest
                       : query::PathMode::kAllSimple;
    options.max_hops = req.options().max_hops();
    options.k = c.k > 0 ? c.k : 3;
    options.limit = 10000;
    options.max_expanded_edges = c.budget > 0 ? c.budget : 1'000'000;
    std::unique_ptr<storage::Reader> reader = server_->store()->NewReader();
    absl::StatusOr<query::PathResult> want =
        query::FindPaths(*reader, storage::Term::Entity("n0"),
                         storage::Term::Entity("n1"), options);
    ASSERT_EQ(s.ok(), want.ok()) << s.error_message() << " / " << want.status();
    if (!want.ok()) {
      EXPECT_EQ(static_cast<int>(s.error_code()),
                static_cast<int>(want.status().code()));
      continue;
    }
    EXPECT_EQ(summary.expanded_edges(), want->summary.expanded_edges);
    EXPECT_EQ(summary.budget_exhausted(), want->summary.budget_exhausted);
    ASSERT_EQ(paths.size(), want->paths.size());
    ASSERT_FALSE(paths.empty());
    for (size_t i = 0; i < paths.size(); ++i) {
      ASSERT_EQ(static_cast<size_t>(paths[i].hops_size()),
                want->paths[i].hops.size());
      for (int j = 0; j < paths[i].hops_size(); ++j) {
        EXPECT_EQ(paths[i].hops(j).statement().id(),
                  want->paths[i].hops[j].statement.id);
      }
    }
    if (c.k == 40) {
      EXPECT_GT(summary.expanded_edges(), kInlinePathEdges);
    }
    if (c.budget == 3000) {
      EXPECT_TRUE(summary.budget_exhausted());
    }
  }
}

TEST_F(RunawayQueryTest, InlineOrNotTheAnswerIsTheEngines) {
  ExpectTheEnginesAnswers();
}

// With no inline share (ServiceLimits::inline_path_edges 0) every search
// runs on a thread of its own with a slot, with the same answers.
class NoInlineShareTest : public RunawayQueryTest {
 protected:
  NoInlineShareTest() { limits_.inline_path_edges = 0; }
};

TEST_F(NoInlineShareTest, TheAnswerIsTheEngines) { ExpectTheEnginesAnswers(); }

// With a share wide enough for every search, the k = 40 search finds its
// paths inline but they outgrow an inline answer's 32 messages: it starts
// again on a thread, whose answer (paths and summary) is the engine's.
class WideInlineShareTest : public RunawayQueryTest {
 protected:
  WideInlineShareTest() { limits_.inline_path_edges = 100'000'000; }
};

TEST_F(WideInlineShareTest, AnAnswerTooLongToHoldInlineIsTheEngines) {
  ExpectTheEnginesAnswers();
}

// A search that finds its first paths at once and then cannot end within
// any test: every simple path of up to 16 hops, outgoing, from `start` to
// `target`. `start` leads to `target` and to `gate`, `gate` to `target` and
// into a clique of rooms, and the rooms lead on only to each other and back
// to `gate`, which every path into them has passed already. After
// start -> target and start -> gate -> target the search walks the rooms'
// simple paths (20!/8! of those through 12 rooms) and finds nothing more.
// Towards `sink`, which every room also leads to, it finds paths without
// end (up to the limit), kilobytes each (the rooms' labels are long).
// The server allows any budget, one search at a time and one more waiting,
// and gives calls without a shorter deadline 2 s.
class EndlessSearchTest : public QueryRpcTest {
 protected:
  static constexpr int kRooms = 20;

  EndlessSearchTest() {
    limits_.max_traversal_budget = int64_t{1} << 40;
    limits_.max_path_hops = 16;
    limits_.max_concurrent_path_queries = 1;
    limits_.max_queued_path_queries = 1;
    limits_.default_deadline = absl::Seconds(2);
  }

  void SetUp() override {
    QueryRpcTest::SetUp();
    v1::WriteStatementsRequest req;
    v1::Relation* leads_to = req.add_relations();
    leads_to->set_id("leads_to");
    leads_to->set_label("leads to");
    const auto entity = [&](const std::string& id, const std::string& label) {
      v1::Entity* e = req.add_entities();
      e->set_id(id);
      e->set_label(label);
      e->set_type("Thing");
    };
    const auto edge = [&](const std::string& s, const std::string& o) {
      v1::StatementInput* st = req.add_statements();
      *st->mutable_triple()->mutable_subject() = Entity(s);
      st->mutable_triple()->set_relation("leads_to");
      *st->mutable_triple()->mutable_object() = Entity(o);
      v1::Provenance* p = st->add_provenance();
      p->set_document_id("seed_article");
      p->set_evidence_start(0);
      p->set_evidence_end(5);
      p->set_evidence("Presi");
    };
    for (const char* id : {"start", "target", "gate", "sink"}) entity(id, id);
    for (int i = 0; i < kRooms; ++i) {
      entity(Room(i), absl::StrCat(Room(i), " ", std::string(1000, 'x')));
    }
    edge("start", "target");
    edge("start", "gate");
    edge("gate", "target");
    for (int i = 0; i < kRooms; ++i) {
      edge("gate", Room(i));
      edge(Room(i), "gate");
      edge(Room(i), "sink");
      for (int j = 0; j < kRooms; ++j) {
        if (i != j) edge(Room(i), Room(j));
      }
    }
    v1::WriteStatementsResponse resp;
    grpc::Status s = stub_->WriteStatements(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  static std::string Room(int i) { return absl::StrCat("room", i); }

  static v1::FindPathsRequest Endless(const std::string& to = "target") {
    v1::FindPathsRequest req;
    *req.mutable_from() = Entity("start");
    *req.mutable_to() = Entity(to);
    req.mutable_options()->set_mode(v1::PATH_MODE_ALL_SIMPLE);
    req.mutable_options()->set_direction(v1::DIRECTION_OUTGOING);
    req.mutable_options()->set_max_hops(16);
    req.mutable_options()->set_limit(10000);
    return req;
  }

  // Reads the rest of a stream; no summary may come.
  static grpc::Status Rest(
      grpc::ClientReaderInterface<v1::FindPathsResponse>& reader) {
    v1::FindPathsResponse resp;
    while (reader.Read(&resp)) EXPECT_FALSE(resp.has_summary());
    return reader.Finish();
  }
};

// The paths reach the client as the search finds them: the search cannot
// end before its deadline, yet the client reads two paths and cancels it.
// (Sent after the search, they would come with DEADLINE_EXCEEDED.)
TEST_F(EndlessSearchTest, ThePathsArriveWhileTheSearchRuns) {
  grpc::ClientContext ctx;
  auto reader = stub_->FindPaths(&ctx, Endless());
  v1::FindPathsResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  ASSERT_TRUE(resp.has_path());
  ASSERT_EQ(resp.path().hops_size(), 1);
  EXPECT_EQ(resp.path().hops(0).to().entity().id(), "target");
  ASSERT_TRUE(reader->Read(&resp));
  ASSERT_TRUE(resp.has_path());
  ASSERT_EQ(resp.path().hops_size(), 2);
  EXPECT_EQ(resp.path().hops(0).to().entity().id(), "gate");
  ctx.TryCancel();
  EXPECT_EQ(Rest(*reader).error_code(), grpc::StatusCode::CANCELLED);
}

// Once cancelled, the search stops and gives its slot back: the next one,
// which needs that slot, streams its first path before its deadline.
TEST_F(EndlessSearchTest, ACancelledPathQueryStopsPromptly) {
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    grpc::ClientContext ctx;
    auto reader = stub_->FindPaths(&ctx, Endless());
    v1::FindPathsResponse resp;
    ASSERT_TRUE(reader->Read(&resp)) << reader->Finish().error_message();
    EXPECT_TRUE(resp.has_path());
    ctx.TryCancel();
    EXPECT_EQ(Rest(*reader).error_code(), grpc::StatusCode::CANCELLED);
  }
  v1::GetStatsResponse stats;
  EXPECT_TRUE(stub_->GetStats(Ctx().get(), {}, &stats).ok());
}

// The server's deadline stops a search that streamed paths: the stream ends
// with DEADLINE_EXCEEDED and no summary, and the slot is free again.
TEST_F(EndlessSearchTest, ADeadlineStopsAPathQuery) {
  grpc::ClientContext ctx;  // no deadline: the server's 2 s apply
  auto reader = stub_->FindPaths(&ctx, Endless());
  v1::FindPathsResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  EXPECT_TRUE(resp.has_path());
  EXPECT_EQ(Rest(*reader).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  grpc::ClientContext next;
  auto again = stub_->FindPaths(&next, Endless());
  ASSERT_TRUE(again->Read(&resp));
  EXPECT_TRUE(resp.has_path());
  next.TryCancel();
  EXPECT_EQ(Rest(*again).error_code(), grpc::StatusCode::CANCELLED);
}

// A client that stops reading holds the search back (the queue between
// them is bounded) but cannot keep it: at the deadline the server cancels
// the call and gives the slot to the next search. (Which the client sees
// only once it reads again: gRPC delivers the status after the messages
// that arrived before it.)
TEST_F(EndlessSearchTest, AClientThatStopsReadingLosesTheCallAtTheDeadline) {
  grpc::ClientContext ctx;
  // Only a guard: the server's 2 s apply.
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stalled = stub_->FindPaths(&ctx, Endless("sink"));
  v1::FindPathsResponse resp;
  ASSERT_TRUE(stalled->Read(&resp));
  EXPECT_TRUE(resp.has_path());
  // Meanwhile the same search again, until it gets the slot: the first tries
  // may reach their own deadline first.
  bool searched = false;
  for (int attempt = 0; attempt < 5 && !searched; ++attempt) {
    grpc::ClientContext c;
    auto next = stub_->FindPaths(&c, Endless());
    if (next->Read(&resp)) {
      searched = resp.has_path();
      c.TryCancel();
    }
    const grpc::Status s = Rest(*next);
    EXPECT_EQ(s.error_code(), searched ? grpc::StatusCode::CANCELLED
                                       : grpc::StatusCode::DEADLINE_EXCEEDED)
        << attempt << ": " << s.error_message();
  }
  EXPECT_TRUE(searched);
  // The stalled client never cancelled: the server did.
  EXPECT_EQ(Rest(*stalled).error_code(), grpc::StatusCode::CANCELLED);
}

// While one search runs (it has streamed a path) and one waits for the slot,
// more are refused at once instead of parking threads.
TEST_F(EndlessSearchTest, SearchesBeyondTheQueueAreRefusedAtOnce) {
  grpc::ClientContext ctx;
  auto running = stub_->FindPaths(&ctx, Endless());
  v1::FindPathsResponse resp;
  ASSERT_TRUE(running->Read(&resp));  // it holds the one slot
  EXPECT_TRUE(resp.has_path());
  constexpr int kMore = 5;
  std::vector<grpc::Status> outcomes(kMore);
  std::vector<std::thread> more;
  for (int i = 0; i < kMore; ++i) {
    more.emplace_back([&, i] {
      grpc::ClientContext c;
      auto reader = stub_->FindPaths(&c, Endless());
      outcomes[i] = Rest(*reader);
    });
  }
  for (std::thread& t : more) t.join();
  int refused = 0;
  for (int i = 0; i < kMore; ++i) {
    if (outcomes[i].error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
        absl::StrContains(outcomes[i].error_message(),
                          "--max_queued_path_queries")) {
      ++refused;
    } else {
      // The one that found a place waited for the slot until its deadline
      // (and, the running one stopped by then, maybe searched a little).
      EXPECT_EQ(outcomes[i].error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
          << i << ": " << outcomes[i].error_message();
    }
  }
  EXPECT_EQ(refused, kMore - 1);
  EXPECT_EQ(Rest(*running).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

// The runaway guard: worst-case path queries (every simple path of up to
// 8 hops) on a graph of a few hubs that every leaf touches. The server stops
// each by its traversal budget or its default deadline, while plain lookups
// from another client keep answering.
class HubGraphTest : public ::testing::Test {
 protected:
  static constexpr int kHubs = 12;
  static constexpr int kLeaves = 600;

  void SetUp() override {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = dir_.Sub("data");
    options.store.sync_writes = false;
    // Requests below carry no deadline: the server's default applies.
    options.limits.default_deadline = absl::Seconds(3);
    absl::StatusOr<std::unique_ptr<KgServer>> server = KgServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials());
    stub_ = v1::KnowledgeGraph::NewStub(channel);

    v1::WriteStatementsRequest req;
    v1::Document* doc = req.add_documents();
    doc->set_id("d");
    doc->set_title("Hubs");
    doc->set_text("hub");
    v1::Relation* linked = req.add_relations();
    linked->set_id("linked_to");
    linked->set_label("linked to");
    auto entity = [&](const std::string& id) {
      v1::Entity* e = req.add_entities();
      e->set_id(id);
      e->set_label(id);
      e->set_type("Thing");
    };
    auto edge = [&](const std::string& s, const std::string& o) {
      v1::StatementInput* st = req.add_statements();
      *st->mutable_triple()->mutable_subject() = Entity(s);
      st->mutable_triple()->set_relation("linked_to");
      *st->mutable_triple()->mutable_object() = Entity(o);
      v1::Provenance* p = st->add_provenance();
      p->set_document_id("d");
      p->set_evidence_start(0);
      p->set_evidence_end(3);
      p->set_evidence("hub");
    };
    for (int h = 0; h < kHubs; ++h) entity(absl::StrCat("h", h));
    for (int l = 0; l < kLeaves; ++l) entity(absl::StrCat("l", l));
    for (int a = 0; a < kHubs; ++a) {
      for (int b = 0; b < kHubs; ++b) {
        if (a != b) edge(absl::StrCat("h", a), absl::StrCat("h", b));
      }
    }
    std::mt19937 rng(11);
    for (int l = 0; l < kLeaves; ++l) {
      for (int k = 0; k < 3; ++k) {
        edge(absl::StrCat("l", l), absl::StrCat("h", rng() % kHubs));
      }
    }
    v1::WriteStatementsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->WriteStatements(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Every simple path of up to 8 hops between leaves `from` and `to`:
  // millions, through the hubs in every order. Returns how it ended:
  // "budget", "deadline", "refused", "complete" or the unexpected status.
  std::string Runaway(int from, int to) {
    grpc::ClientContext ctx;  // no deadline of its own
    v1::FindPathsRequest req;
    *req.mutable_from() = Entity(absl::StrCat("l", from));
    *req.mutable_to() = Entity(absl::StrCat("l", to));
    req.mutable_options()->set_mode(v1::PATH_MODE_ALL_SIMPLE);
    req.mutable_options()->set_max_hops(8);
    req.mutable_options()->set_limit(10000);
    auto reader = stub_->FindPaths(&ctx, req);
    v1::FindPathsResponse resp;
    v1::PathSearchSummary summary;
    while (reader->Read(&resp)) {
      if (resp.has_summary()) summary = resp.summary();
    }
    grpc::Status s = reader->Finish();
    if (s.ok()) return summary.budget_exhausted() ? "budget" : "complete";
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return "deadline";
    }
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      return absl::StrContains(s.error_message(), "--max_queued_path_queries")
                 ? "refused"
                 : "budget";
    }
    return absl::StrCat("status ", s.error_code(), ": ", s.error_message());
  }

  testing::ScopedTempDir dir_;
  std::unique_ptr<KgServer> server_;
  std::unique_ptr<v1::KnowledgeGraph::Stub> stub_;
};

TEST_F(HubGraphTest, WorstCaseQueriesAreStoppedWhileLookupsKeepAnswering) {
  constexpr int kRunaways = 32;
  std::vector<std::string> outcomes(kRunaways);
  std::vector<std::thread> runaways;
  for (int i = 0; i < kRunaways; ++i) {
    runaways.emplace_back(
        [&, i] { outcomes[i] = Runaway(i, kLeaves - 1 - i); });
  }

  // Meanwhile, a lookup at a time; each must answer within its deadline.
  int lookups = 0;
  absl::Duration slowest;
  const absl::Time until = absl::Now() + absl::Seconds(4);
  while (absl::Now() < until) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    v1::GetEntityRequest req;
    req.set_name(absl::StrCat("l", lookups % kLeaves));
    v1::Entity entity;
    const absl::Time start = absl::Now();
    grpc::Status s = stub_->GetEntity(&ctx, req, &entity);
    slowest = std::max(slowest, absl::Now() - start);
    EXPECT_TRUE(s.ok()) << "lookup " << lookups << ": " << s.error_message();
    if (!s.ok()) break;  // the runaways are joined below either way
    EXPECT_EQ(entity.id(), req.name());
    ++lookups;
  }
  for (std::thread& t : runaways) t.join();
  std::printf("%d lookups answered during the runaways, slowest %s\n", lookups,
              absl::FormatDuration(slowest).c_str());
  EXPECT_GT(lookups, 0);
  // None ran to the end: each was stopped by budget or deadline (and told
  // the client so), none failed otherwise.
  for (int i = 0; i < kRunaways; ++i) {
    EXPECT_TRUE(outcomes[i] == "budget" || outcomes[i] == "deadline")
        << "query " << i << ": " << outcomes[i];
  }
}

}  // namespace
}  // namespace kg::server

namespace kg::server {
namespace {

// Memory budgets (QueryMemory): an answer held past the query's budget, or
// the server's, ends the query with RESOURCE_EXHAUSTED naming the flag.
// Parameters: whether the per-query budget (or the server's) is the small
// one, and whether the search runs inline (or on a thread).
class QueryMemoryBudgetTest
    : public QueryRpcTest,
      public ::testing::WithParamInterface<std::tuple<bool, bool>> {
 protected:
  QueryMemoryBudgetTest() {
    const auto [per_query, runs_inline] = GetParam();
    // One path with every record of every hop is a few kilobytes.
    limits_.max_query_memory_bytes = per_query ? 2000 : int64_t{64} << 20;
    limits_.max_total_query_memory_bytes = per_query ? 0 : 2000;
    limits_.inline_path_edges = runs_inline ? 50000 : 0;
  }
};

TEST_P(QueryMemoryBudgetTest, AnAnswerPastTheBudgetIsResourceExhausted) {
  v1::FindPathsRequest req;
  *req.mutable_from() = Entity("NIS");
  *req.mutable_to() = Entity("Russia");
  req.mutable_options()->set_mode(v1::PATH_MODE_ALL_SIMPLE);
  req.mutable_options()->set_max_hops(4);
  req.mutable_options()->set_walk_claims(true);
  req.mutable_options()->set_provenance(v1::PROVENANCE_DETAIL_FULL);
  std::vector<v1::Path> paths;
  v1::PathSearchSummary summary;
  grpc::Status s = Paths(req, &paths, &summary);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  EXPECT_THAT(s.error_message(),
              ::testing::HasSubstr(std::get<0>(GetParam())
                                       ? "--max_query_memory_bytes"
                                       : "--max_total_query_memory_bytes"));
  // A small answer fits.
  v1::FindPathsRequest small;
  *small.mutable_from() = Entity("NIS");
  *small.mutable_to() = Entity("Ukraine");
  small.mutable_options()->set_walk_claims(true);
  small.mutable_options()->set_provenance(v1::PROVENANCE_DETAIL_NONE);
  paths.clear();
  s = Paths(small, &paths, &summary);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(paths.size(), 1u);
}

// A client that stops reading a small answer written inline (no thread,
// no slot) has its call cancelled by the server once the deadline has
// passed, instead of holding the answer for as long as it likes.
class StalledReaderTest : public QueryRpcTest {
 protected:
  StalledReaderTest() {
    limits_.inline_path_edges = 50000;
    limits_.default_deadline = absl::Seconds(1);
  }
};

TEST_F(StalledReaderTest, AnInlineAnswerNotReadIsCancelledAfterTheDeadline) {
  // A flow-control window of 1 KiB: the server cannot write the answer
  // (a path with every record of every hop) until the client reads.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = v1::KnowledgeGraph::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                grpc::InsecureChannelCredentials(), args));
  v1::FindPathsRequest req;
  *req.mutable_from() = Entity("NIS");
  *req.mutable_to() = Entity("Ukraine");
  req.mutable_options()->set_walk_claims(true);
  req.mutable_options()->set_provenance(v1::PROVENANCE_DETAIL_FULL);
  grpc::ClientContext ctx;  // no deadline of its own: the server's applies
  auto reader = stub->FindPaths(&ctx, req);
  absl::SleepFor(absl::Seconds(3));  // the server's deadline + 1 s passes
  v1::FindPathsResponse resp;
  int read = 0;
  while (reader->Read(&resp)) ++read;
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED)
      << s.error_message() << " after " << read << " messages";
}

INSTANTIATE_TEST_SUITE_P(
    Budgets, QueryMemoryBudgetTest,
    ::testing::Combine(::testing::Bool(), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<bool, bool>>& info) {
      return std::string(std::get<0>(info.param) ? "PerQuery" : "Server") +
             (std::get<1>(info.param) ? "Inline" : "OnAThread");
    });

}  // namespace
}  // namespace kg::server
