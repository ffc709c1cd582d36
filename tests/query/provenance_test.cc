// Tests of the provenance engine (query/provenance.h) on a real store in a
// temporary directory, with an injected clock so recorded times are exact:
// a hand-made claims graph from the seed article with exact claimants,
// polarities and sentences; time travel across interleaved writes and
// retractions; bad inputs; PROV-O export; and random stores against a
// brute-force reference (seeds printed on failure).
#include "query/provenance.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "query/provenance_as_of.h"
#include "query/provenance_prov_o.h"
#include "storage/store.h"
#include "tests/support/test_util.h"

namespace kg::query {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;
using storage::Date;
using storage::Document;
using storage::Hedge;
using storage::Polarity;
using storage::ProvenanceInput;
using storage::ProvenanceRecord;
using storage::Relation;
using storage::StatementInput;
using storage::Term;
using storage::Triple;
using storage::WriteBatch;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

uint32_t CodePoints(absl::string_view s) {
  uint32_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// A record quoting `sentence` of `doc`, which must occur in its text.
ProvenanceInput Ev(const Document& doc, absl::string_view sentence,
                   Hedge hedge = Hedge::kAsserted, double confidence = 0.9) {
  const size_t at = absl::string_view(doc.text).find(sentence);
  EXPECT_NE(at, std::string::npos) << sentence;
  ProvenanceInput p;
  p.document_id = doc.id;
  p.evidence = std::string(sentence);
  p.evidence_start = CodePoints(absl::string_view(doc.text).substr(0, at));
  p.evidence_end = p.evidence_start + CodePoints(sentence);
  p.hedge = hedge;
  p.confidence = confidence;
  return p;
}

Triple T(absl::string_view s, absl::string_view r, absl::string_view o) {
  return Triple{Term::Entity(std::string(s)), std::string(r),
                Term::Entity(std::string(o))};
}

Triple Claim3(absl::string_view claimant, absl::string_view r,
              const Triple& quoted) {
  return Triple{Term::Entity(std::string(claimant)), std::string(r),
                Term::Quoted(quoted)};
}

std::string Id(const Triple& t) { return storage::StatementIdOf(t); }

// A store in a fresh temporary directory whose clock the test moves.
class ProvenanceTest : public ::testing::Test {
 protected:
  // A reader and an engine over it, destroyed engine first.
  struct View {
    std::unique_ptr<storage::Reader> reader;
    std::unique_ptr<ProvenanceEngine> engine;
    ProvenanceEngine* operator->() { return engine.get(); }
  };

  ProvenanceTest() {
    storage::StoreOptions options;
    options.clock = [this] { return now_; };
    options.sync_writes = false;
    absl::StatusOr<std::unique_ptr<storage::Store>> s =
        storage::Store::Open(options, dir_.Sub("db"));
    if (!s.ok()) {
      ADD_FAILURE() << s.status();
      return;
    }
    store_ = *std::move(s);
  }

  View Snapshot() {
    View v;
    v.reader = store_->NewReader();
    v.engine = std::make_unique<ProvenanceEngine>(v.reader.get());
    return v;
  }

  void Write(const WriteBatch& batch) {
    absl::StatusOr<storage::WriteResult> r = store_->Write(batch);
    ASSERT_THAT(r, IsOk());
  }

  void Write(std::vector<StatementInput> statements) {
    WriteBatch b;
    b.statements = std::move(statements);
    Write(b);
  }

  kg::testing::ScopedTempDir dir_;
  absl::Time now_ = absl::FromUnixSeconds(1729209600);  // 2024-10-18
  std::unique_ptr<storage::Store> store_;
};

std::vector<std::string> ClaimantsOf(const std::vector<Claim>& claims) {
  std::vector<std::string> out;
  for (const Claim& c : claims) out.push_back(c.claimant.id);
  return out;
}

// ---------------------------------------------------------------------------
// The claims graph: sentences of the seed article, and a later NATO report
// in which NATO's stance changes.

constexpr char kA0[] =
    "According to the NIS, North Korea is believed to have deployed four "
    "brigades, totaling approximately 12,000 soldiers, which includes special "
    "forces.";
constexpr char kA1[] =
    "The South Korean presidential office stated that North Korea’s troop "
    "dispatch represents a severe security threat to the international "
    "community.";
constexpr char kA2[] =
    "Both Russia and North Korea have denied allegations of arms transfers and "
    "dismissed claims that North Korean military personnel have been deployed "
    "to assist Russia in its conflict with Ukraine.";
constexpr char kA3[] =
    "The Kremlin has specifically rejected assertions from South Korea "
    "regarding the presence of North Korean troops, emphasizing that such "
    "allegations are unfounded.";
constexpr char kA4[] =
    "However, NATO officials have stated that there is no concrete evidence "
    "of North Korean involvement.";
constexpr char kA5[] =
    "South Korean and U.S. officials said that North Korea has been supplying "
    "weapons to Russia.";
constexpr char kN0[] =
    "NATO confirmed that North Korean troops have been sent to Russia.";
constexpr char kB0[] = "North Korea deployed troops to Russia.";
constexpr char kB1[] = "North Korean personnel are in Russia.";

class ClaimsGraphTest : public ProvenanceTest {
 protected:
  ClaimsGraphTest() {
    article_ = {"article", "Emergency security meeting", "Test Wire",
                Date{2024, 10, 18},
                absl::StrJoin({kA0, kA1, kA2, kA3, kA4, kA5}, " ")};
    nato_ = {"nato_update", "NATO update", "NATO", Date{2024, 10, 23}, kN0};
    blog_ = {"blog", "A blog", "", std::nullopt, absl::StrCat(kB0, " ", kB1)};
    WriteBatch b;
    for (const char* id :
         {"north_korea", "russia", "nis", "presidential_office", "kremlin",
          "nato", "south_korea", "us_officials", "ukraine"}) {
      b.entities.push_back({id, id, "Organization", {}});
    }
    b.entities[0].label = "North Korea";
    b.entities[1].aliases = {"Moscow"};
    b.entities[5].label = "NATO";
    for (const char* id :
         {"deployed_troops_to", "supplied_weapons_to", "present_in"}) {
      b.relations.push_back({id, id, false, Polarity::kNone});
    }
    for (const char* id : {"reported", "stated", "confirmed", "asserted"}) {
      b.relations.push_back({id, id, false, Polarity::kSupports});
    }
    for (const char* id :
         {"denied", "dismissed", "rejected", "found_no_evidence_of"}) {
      b.relations.push_back({id, id, false, Polarity::kOpposes});
    }
    b.documents = {article_, nato_, blog_};
    const Document& a = article_;
    b.statements = {
        {x_, {Ev(blog_, kB0, Hedge::kAsserted, 0.5)}},
        {z_, {Ev(blog_, kB1, Hedge::kReportedly, 0.4)}},
        {Claim3("nis", "reported", x_), {Ev(a, kA0, Hedge::kBelieved, 0.7)}},
        {Claim3("presidential_office", "stated", x_), {Ev(a, kA1)}},
        {Claim3("russia", "dismissed", x_), {Ev(a, kA2)}},
        {Claim3("north_korea", "dismissed", x_), {Ev(a, kA2)}},
        {Claim3("kremlin", "rejected", x_), {Ev(a, kA3)}},
        {Claim3("south_korea", "asserted", x_), {Ev(a, kA3)}},
        {Claim3("nato", "found_no_evidence_of", x_),
         {Ev(a, kA4, Hedge::kUnconfirmed, 0.8)}},
        {Claim3("nato", "confirmed", x_), {Ev(nato_, kN0)}},
        {Claim3("russia", "denied", y_), {Ev(a, kA2)}},
        {Claim3("north_korea", "denied", y_), {Ev(a, kA2)}},
        {Claim3("south_korea", "stated", y_), {Ev(a, kA5)}},
        {Claim3("us_officials", "stated", y_), {Ev(a, kA5)}},
        {Claim3("kremlin", "rejected", z_), {Ev(a, kA3)}},
    };
    Write(b);
  }

  Document article_, nato_, blog_;
  const Triple x_ = T("north_korea", "deployed_troops_to", "russia");
  const Triple y_ = T("north_korea", "supplied_weapons_to", "russia");
  const Triple z_ = T("north_korea", "present_in", "russia");
};

// By date: the article's claims (in text order, the claimant breaking a
// tie) before NATO's later confirmation; by claimant otherwise.
TEST_F(ClaimsGraphTest, WhyCanOrderClaimsByDocumentDate) {
  View v = Snapshot();
  WhyOptions options;
  options.order = WhyOptions::Order::kDocumentDate;
  absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), options);
  ASSERT_THAT(why, IsOk());
  EXPECT_THAT(ClaimantsOf(why->supporting),
              ElementsAre("nis", "presidential_office", "south_korea", "nato"));
  EXPECT_THAT(ClaimantsOf(why->opposing),
              ElementsAre("north_korea", "russia", "kremlin", "nato"));
  // Pages follow the same order, and a token is for one order only.
  options.page_size = 3;
  absl::StatusOr<WhyResult> first = v->Why(Term::Quoted(x_), options);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(ClaimantsOf(first->supporting),
              ElementsAre("nis", "presidential_office", "south_korea"));
  options.page_token = first->next_page_token;
  absl::StatusOr<WhyResult> second = v->Why(Term::Quoted(x_), options);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(ClaimantsOf(second->supporting), ElementsAre("nato"));
  WhyOptions other;
  other.page_size = 3;
  other.page_token = first->next_page_token;
  EXPECT_THAT(
      v->Why(Term::Quoted(x_), other),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(ClaimsGraphTest, WhyGroupsClaimsByPolarityWithTheirSentences) {
  View v = Snapshot();
  absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), WhyOptions{});
  ASSERT_THAT(why, IsOk());
  EXPECT_EQ(why->statement.id, Id(x_));
  ASSERT_EQ(why->provenance.size(), 1u);
  EXPECT_EQ(why->provenance[0].input.document_id, "blog");
  EXPECT_EQ(why->provenance[0].input.evidence, kB0);
  EXPECT_EQ(why->provenance[0].recorded_at, now_);

  EXPECT_THAT(ClaimantsOf(why->supporting),
              ElementsAre("nato", "nis", "presidential_office", "south_korea"));
  EXPECT_THAT(ClaimantsOf(why->opposing),
              ElementsAre("kremlin", "nato", "north_korea", "russia"));
  const Claim& nis = why->supporting[1];
  EXPECT_EQ(nis.relation, "reported");
  EXPECT_EQ(nis.polarity, Polarity::kSupports);
  EXPECT_EQ(nis.claim.id, Id(Claim3("nis", "reported", x_)));
  ASSERT_TRUE(nis.claimant_entity.has_value());
  EXPECT_EQ(nis.claimant_entity->id, "nis");
  ASSERT_EQ(nis.provenance.size(), 1u);
  EXPECT_EQ(nis.provenance[0].input.evidence, kA0);
  EXPECT_EQ(nis.provenance[0].input.evidence_start, 0u);
  EXPECT_EQ(nis.provenance[0].input.hedge, Hedge::kBelieved);
  const Claim& po = why->supporting[2];
  EXPECT_EQ(po.provenance[0].input.evidence, kA1);
  // Offsets count code points: A1 holds a 3-byte ’.
  EXPECT_EQ(po.provenance[0].input.evidence_start, CodePoints(kA0) + 1);
  EXPECT_EQ(po.provenance[0].input.evidence_end,
            CodePoints(kA0) + 1 + CodePoints(kA1));
  const Claim& nato_no = why->opposing[1];
  EXPECT_EQ(nato_no.relation, "found_no_evidence_of");
  EXPECT_EQ(nato_no.provenance[0].input.evidence, kA4);
  EXPECT_EQ(why->supporting[0].provenance[0].input.document_id, "nato_update");

  EXPECT_EQ(why->summary,
            "stated in 1 document, asserted by 4 claimants in 2 documents, "
            "denied by 3, unconfirmed by 1");
  EXPECT_EQ(why->distinct_documents, 3u);
  EXPECT_EQ(why->distinct_claimants, 7u);
  EXPECT_EQ(why->supporting_claimants, 4u);
  EXPECT_EQ(why->opposing_claimants, 4u);
  EXPECT_EQ(why->total_claims, 8u);
  EXPECT_EQ(why->next_page_token, "");
}

TEST_F(ClaimsGraphTest, WhyAsReportedOnTheDayOfTheMeeting) {
  // "What was being said on 20 October 2024?" The undated blog and NATO's
  // later report are out.
  View v = Snapshot();
  WhyOptions options;
  options.as_of.reported_by = "2024-10-20";
  absl::StatusOr<WhyResult> why = v->Why(Term::StatementId(Id(x_)), options);
  ASSERT_THAT(why, IsOk());
  EXPECT_THAT(why->provenance, IsEmpty());
  EXPECT_THAT(ClaimantsOf(why->supporting),
              ElementsAre("nis", "presidential_office", "south_korea"));
  EXPECT_THAT(ClaimantsOf(why->opposing),
              ElementsAre("kremlin", "nato", "north_korea", "russia"));
  EXPECT_EQ(why->summary,
            "asserted by 3 claimants in 1 document, denied by 3, unconfirmed "
            "by 1");
  EXPECT_EQ(why->distinct_documents, 1u);

  // A month cutoff includes the whole month.
  options.as_of.reported_by = "2024-10";
  why = v->Why(Term::StatementId(Id(x_)), options);
  ASSERT_THAT(why, IsOk());
  EXPECT_EQ(why->summary,
            "asserted by 4 claimants in 2 documents, denied by 3, unconfirmed "
            "by 1");
  options.as_of.reported_by = "2024-10-17";
  why = v->Why(Term::StatementId(Id(x_)), options);
  ASSERT_THAT(why, IsOk());
  EXPECT_EQ(why->summary, "no provenance");
  EXPECT_EQ(why->total_claims, 0u);
}

TEST_F(ClaimsGraphTest, SummaryWordingOfOtherStatements) {
  View v = Snapshot();
  absl::StatusOr<WhyResult> y = v->Why(Term::Quoted(y_), WhyOptions{});
  ASSERT_THAT(y, IsOk());
  EXPECT_EQ(y->summary, "asserted by 2 claimants in 1 document, denied by 2");
  absl::StatusOr<WhyResult> z = v->Why(Term::Quoted(z_), WhyOptions{});
  ASSERT_THAT(z, IsOk());
  EXPECT_EQ(z->summary, "stated in 1 document, denied by 1 claimant");
  // A claim about nothing: the claim statement itself.
  absl::StatusOr<WhyResult> c =
      v->Why(Term::Quoted(Claim3("nis", "reported", x_)), WhyOptions{});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->summary, "stated in 1 document");
}

TEST_F(ClaimsGraphTest, SummarizeFollowsTheDocumentedRule) {
  WhyResult f;
  EXPECT_EQ(Summarize(f), "no provenance");
  f.stated_documents = 2;
  EXPECT_EQ(Summarize(f), "stated in 2 documents");
  f.denied_claimants = 1;
  EXPECT_EQ(Summarize(f), "stated in 2 documents, denied by 1 claimant");
  f.unconfirmed_claimants = 2;
  EXPECT_EQ(Summarize(f),
            "stated in 2 documents, denied by 1 claimant, unconfirmed by 2");
  f.asserted_claimants = 1;
  f.asserted_documents = 1;
  EXPECT_EQ(Summarize(f),
            "stated in 2 documents, asserted by 1 claimant in 1 document, "
            "denied by 1, unconfirmed by 2");
  EXPECT_EQ(StanceOf(Polarity::kNone, Hedge::kUnconfirmed), Stance::kStated);
  EXPECT_EQ(StanceOf(Polarity::kSupports, Hedge::kPlausible),
            Stance::kAsserted);
  EXPECT_EQ(StanceOf(Polarity::kOpposes, Hedge::kReportedly), Stance::kDenied);
  EXPECT_EQ(StanceOf(Polarity::kOpposes, Hedge::kUnconfirmed),
            Stance::kUnconfirmed);
  EXPECT_EQ(StanceOf(Polarity::kSupports, Hedge::kUnconfirmed),
            Stance::kUnconfirmed);
}

TEST_F(ClaimsGraphTest, WhyPagesClaimsAndCanOmitEvidence) {
  View v = Snapshot();
  WhyOptions options;
  options.page_size = 3;
  options.include_evidence = false;
  std::vector<std::string> seen;
  int pages = 0;
  do {
    absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), options);
    ASSERT_THAT(why, IsOk());
    ++pages;
    EXPECT_EQ(why->summary,
              "stated in 1 document, asserted by 4 claimants in 2 documents, "
              "denied by 3, unconfirmed by 1");
    EXPECT_LE(why->supporting.size() + why->opposing.size(), 3u);
    for (const auto* side : {&why->supporting, &why->opposing}) {
      for (const Claim& c : *side) {
        seen.push_back(absl::StrCat(c.claimant.id, ":", c.relation));
        for (const ProvenanceRecord& r : c.provenance) {
          EXPECT_EQ(r.input.evidence, "");
        }
      }
    }
    for (const ProvenanceRecord& r : why->provenance) {
      EXPECT_EQ(r.input.evidence, "");
    }
    options.page_token = why->next_page_token;
  } while (!options.page_token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen,
              ElementsAre("nato:confirmed", "nis:reported",
                          "presidential_office:stated", "south_korea:asserted",
                          "kremlin:rejected", "nato:found_no_evidence_of",
                          "north_korea:dismissed", "russia:dismissed"));
}

TEST_F(ClaimsGraphTest, ListByDocumentFollowsTheText) {
  View v = Snapshot();
  // Statements sharing a sentence come in statement-id order.
  auto by_id = [](std::vector<Triple> ts) {
    std::vector<std::string> ids;
    for (const Triple& t : ts) ids.push_back(Id(t));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  std::vector<std::string> expected = {
      Id(Claim3("nis", "reported", x_)),
      Id(Claim3("presidential_office", "stated", x_))};
  for (auto group : {by_id({Claim3("russia", "dismissed", x_),
                            Claim3("north_korea", "dismissed", x_),
                            Claim3("russia", "denied", y_),
                            Claim3("north_korea", "denied", y_)}),
                     by_id({Claim3("kremlin", "rejected", x_),
                            Claim3("south_korea", "asserted", x_),
                            Claim3("kremlin", "rejected", z_)}),
                     by_id({Claim3("nato", "found_no_evidence_of", x_)}),
                     by_id({Claim3("south_korea", "stated", y_),
                            Claim3("us_officials", "stated", y_)})}) {
    expected.insert(expected.end(), group.begin(), group.end());
  }
  ListByDocumentOptions options;
  options.page_size = 4;
  std::vector<std::string> ids;
  std::vector<std::string> sentences;
  int pages = 0;
  do {
    absl::StatusOr<DocumentStatementPage> page =
        v->ListByDocument("article", options);
    ASSERT_THAT(page, IsOk());
    ++pages;
    for (const DocumentStatement& s : page->statements) {
      ids.push_back(s.statement.id);
      ASSERT_EQ(s.provenance.size(), 1u);
      sentences.push_back(s.provenance[0].input.evidence);
    }
    options.page_token = page->next_page_token;
  } while (!options.page_token.empty());
  EXPECT_EQ(pages, 3);  // 12 statements
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(sentences.front(), kA0);
  EXPECT_EQ(sentences.back(), kA5);

  absl::StatusOr<DocumentStatementPage> blog =
      v->ListByDocument("blog", ListByDocumentOptions{});
  ASSERT_THAT(blog, IsOk());
  ASSERT_EQ(blog->statements.size(), 2u);
  EXPECT_EQ(blog->statements[0].statement.id, Id(x_));
  EXPECT_EQ(blog->statements[1].statement.id, Id(z_));
  // The undated blog is outside any as-reported view.
  ListByDocumentOptions reported;
  reported.as_of.reported_by = "2030";
  blog = v->ListByDocument("blog", reported);
  ASSERT_THAT(blog, IsOk());
  EXPECT_THAT(blog->statements, IsEmpty());
}

TEST_F(ClaimsGraphTest, ListByClaimantByNameAndPolarity) {
  View v = Snapshot();
  absl::StatusOr<ClaimPage> nato =
      v->ListByClaimant(Term::Entity("NATO"), ListByClaimantOptions{});
  ASSERT_THAT(nato, IsOk());
  ASSERT_EQ(nato->claims.size(), 2u);
  // Document-date order: the meeting-day article, then NATO's update.
  EXPECT_EQ(nato->claims[0].relation, "found_no_evidence_of");
  EXPECT_EQ(nato->claims[0].polarity, Polarity::kOpposes);
  EXPECT_EQ(nato->claims[0].provenance[0].input.evidence, kA4);
  EXPECT_EQ(nato->claims[1].relation, "confirmed");
  EXPECT_EQ(nato->claims[1].provenance[0].input.evidence, kN0);

  ListByClaimantOptions opposes;
  opposes.polarity = Polarity::kOpposes;
  nato = v->ListByClaimant(Term::Entity("nato"), opposes);
  ASSERT_THAT(nato, IsOk());
  ASSERT_EQ(nato->claims.size(), 1u);
  EXPECT_EQ(nato->claims[0].relation, "found_no_evidence_of");

  // An alias; two claims in the same sentence come in claim-id order.
  absl::StatusOr<ClaimPage> russia =
      v->ListByClaimant(Term::Entity("moscow"), ListByClaimantOptions{});
  ASSERT_THAT(russia, IsOk());
  std::vector<std::string> ids = {Id(Claim3("russia", "dismissed", x_)),
                                  Id(Claim3("russia", "denied", y_))};
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(russia->claims.size(), 2u);
  EXPECT_EQ(russia->claims[0].claim.id, ids[0]);
  EXPECT_EQ(russia->claims[1].claim.id, ids[1]);
  EXPECT_EQ(russia->claims[0].provenance[0].input.evidence, kA2);

  // Not a claimant of anything.
  absl::StatusOr<ClaimPage> ukraine =
      v->ListByClaimant(Term::Entity("ukraine"), ListByClaimantOptions{});
  ASSERT_THAT(ukraine, IsOk());
  EXPECT_THAT(ukraine->claims, IsEmpty());
}

TEST_F(ClaimsGraphTest, ListContestedRanksByDistinctClaimants) {
  View v = Snapshot();
  absl::StatusOr<ContestedPage> page = v->ListContested({});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->statements.size(), 2u);
  EXPECT_EQ(page->statements[0].statement.id, Id(x_));
  EXPECT_EQ(page->statements[0].supporting_claimants, 4u);
  EXPECT_EQ(page->statements[0].opposing_claimants, 4u);
  EXPECT_EQ(page->statements[0].distinct_claimants, 7u);  // NATO on both
  EXPECT_EQ(page->statements[1].statement.id, Id(y_));
  EXPECT_EQ(page->statements[1].distinct_claimants, 4u);
  EXPECT_EQ(page->next_page_token, "");

  // DESIGN.md's broader reading: the blog states Z, the Kremlin denies it.
  ListContestedOptions own;
  own.own_records_support = true;
  own.page_size = 2;
  page = v->ListContested(own);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->statements.size(), 2u);
  ASSERT_NE(page->next_page_token, "");
  own.page_token = page->next_page_token;
  page = v->ListContested(own);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->statements.size(), 1u);
  EXPECT_EQ(page->statements[0].statement.id, Id(z_));
  EXPECT_EQ(page->statements[0].supporting_claimants, 0u);
  EXPECT_EQ(page->statements[0].stated_documents, 1u);
  EXPECT_EQ(page->statements[0].distinct_claimants, 1u);
  EXPECT_EQ(page->next_page_token, "");

  ListContestedOptions before;
  before.as_of.reported_by = "2024-10-20";
  page = v->ListContested(before);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->statements.size(), 2u);
  EXPECT_EQ(page->statements[0].supporting_claimants, 3u);
  EXPECT_EQ(page->statements[0].distinct_claimants, 7u);
}

// ListContested's current state comes from the contested index that the
// store keeps on write; counting the claims of every opposed statement must
// give the same pages. Random claims on a few facts, by a few claimants, on
// both sides, some only quoted (a claim about a claim), written one by one,
// several per batch and by bulk load, and retracted.
TEST_F(ProvenanceTest, ListContestedFromTheIndexAgreesWithCountingTheClaims) {
  WriteBatch vocab;
  for (int i = 0; i < 6; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("c", i), absl::StrCat("C", i), "Organization", {}});
  }
  vocab.relations = {{"linked", "linked", false, Polarity::kNone},
                     {"said", "said", false, Polarity::kSupports},
                     {"confirmed", "confirmed", false, Polarity::kSupports},
                     {"denied", "denied", false, Polarity::kOpposes},
                     {"rejected", "rejected", false, Polarity::kOpposes}};
  for (int d = 0; d < 3; ++d) {
    vocab.documents.push_back(
        {absl::StrCat("d", d), "D", "", std::nullopt, "A document."});
  }
  std::vector<Triple> facts;
  for (int i = 0; i < 6; ++i) {
    facts.push_back({Term::Entity(absl::StrCat("c", i)), "linked",
                     Term::Entity(absl::StrCat("c", (i + 1) % 6))});
    ProvenanceInput record;
    record.document_id = "d0";
    record.evidence = "A document.";
    vocab.statements.push_back({facts.back(), {record}});
  }
  Write(vocab);

  std::mt19937 rng(20261206);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const char* const relations[] = {"said", "confirmed", "denied", "rejected"};
  auto random_claim = [&]() {
    Triple claim{Term::Entity(absl::StrCat("c", pick(6))), relations[pick(4)],
                 Term::Quoted(facts[pick(6)])};
    if (pick(5) == 0) {  // quoted only: somebody said somebody claimed it
      claim = {Term::Entity(absl::StrCat("c", pick(6))), "said",
               Term::Quoted(claim)};
    }
    ProvenanceInput record;
    record.document_id = absl::StrCat("d", pick(3));
    record.evidence = "A document.";
    return StatementInput{claim, {record}};
  };
  // (statement id, document) of every record written.
  std::vector<std::pair<std::string, std::string>> records;
  auto pages = [&](bool without_index) {
    View v = Snapshot();
    ListContestedOptions options;
    options.page_size = 2;
    options.without_index = without_index;
    std::vector<std::string> rows;
    for (int guard = 0; guard < 100; ++guard) {
      absl::StatusOr<ContestedPage> page = v->ListContested(options);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      for (const ContestedStatement& c : page->statements) {
        rows.push_back(absl::StrCat(c.statement.id, " ", c.supporting_claimants,
                                    "/", c.opposing_claimants, "/",
                                    c.distinct_claimants, " live ",
                                    c.statement.live_provenance));
      }
      if (page->next_page_token.empty()) break;
      options.page_token = page->next_page_token;
    }
    return rows;
  };
  size_t nonempty = 0;
  for (int step = 0; step < 200; ++step) {
    const int what = pick(10);
    if (what < 5 || records.empty()) {
      WriteBatch b;
      for (int n = what == 0 ? 4 : 1; n > 0; --n) {
        b.statements.push_back(random_claim());
      }
      absl::StatusOr<storage::WriteResult> r =
          what == 1 ? store_->BulkLoad(b) : store_->Write(b);
      ASSERT_THAT(r, IsOk());
      for (size_t i = 0; i < b.statements.size(); ++i) {
        records.emplace_back(r->statement_ids[i],
                             b.statements[i].provenance[0].document_id);
      }
    } else {
      const size_t i =
          static_cast<size_t>(pick(static_cast<int>(records.size())));
      // NOT_FOUND when that record was retracted already.
      absl::StatusOr<storage::RetractResult> r =
          store_->Retract(records[i].first, records[i].second);
      if (!r.ok()) {
        ASSERT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
      }
    }
    if (step % 5 == 4) {
      const std::vector<std::string> indexed = pages(false);
      ASSERT_EQ(indexed, pages(true)) << "after step " << step;
      nonempty += indexed.empty() ? 0 : 1;
    }
  }
  EXPECT_GT(nonempty, 10u);  // the comparison was not of empty lists

  // A token from one way works in the other: the orders are the same.
  View v = Snapshot();
  ListContestedOptions first;
  first.page_size = 1;
  absl::StatusOr<ContestedPage> a = v->ListContested(first);
  ASSERT_THAT(a, IsOk());
  if (!a->next_page_token.empty()) {
    ListContestedOptions rest_index, rest_count;
    rest_index.page_token = rest_count.page_token = a->next_page_token;
    rest_count.without_index = true;
    absl::StatusOr<ContestedPage> b = v->ListContested(rest_index);
    absl::StatusOr<ContestedPage> c = v->ListContested(rest_count);
    ASSERT_THAT(b, IsOk());
    ASSERT_THAT(c, IsOk());
    ASSERT_EQ(b->statements.size(), c->statements.size());
    for (size_t i = 0; i < b->statements.size(); ++i) {
      EXPECT_EQ(b->statements[i].statement.id, c->statements[i].statement.id);
    }
  }
  absl::StatusOr<storage::VerifyReport> report = store_->Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->problems, IsEmpty());
}

TEST_F(ClaimsGraphTest, ClaimTimelineShowsAStanceChange) {
  View v = Snapshot();
  absl::StatusOr<std::vector<TimelineEntry>> timeline =
      v->ClaimTimeline(Term::Quoted(x_), ClaimTimelineOptions{});
  ASSERT_THAT(timeline, IsOk());
  std::vector<std::string> got;
  for (const TimelineEntry& e : *timeline) {
    got.push_back(
        absl::StrCat(e.document.id, ":", e.claimant.id, ":", e.relation));
    EXPECT_EQ(e.document.text, "");
  }
  EXPECT_THAT(
      got,
      ElementsAre("article:nis:reported", "article:presidential_office:stated",
                  "article:north_korea:dismissed", "article:russia:dismissed",
                  "article:kremlin:rejected", "article:south_korea:asserted",
                  "article:nato:found_no_evidence_of",
                  "nato_update:nato:confirmed"));
  EXPECT_EQ((*timeline)[6].stance, Stance::kUnconfirmed);
  EXPECT_EQ((*timeline)[6].provenance.input.evidence, kA4);
  EXPECT_EQ((*timeline)[7].stance, Stance::kAsserted);
  EXPECT_EQ((*timeline)[7].document.published, (Date{2024, 10, 23}));

  ClaimTimelineOptions grouped;
  grouped.group_by_claimant = true;
  timeline = v->ClaimTimeline(Term::Quoted(x_), grouped);
  ASSERT_THAT(timeline, IsOk());
  got.clear();
  for (const TimelineEntry& e : *timeline) {
    got.push_back(absl::StrCat(e.claimant.id, ":", e.relation));
  }
  EXPECT_THAT(got,
              ElementsAre("kremlin:rejected", "nato:found_no_evidence_of",
                          "nato:confirmed", "nis:reported",
                          "north_korea:dismissed", "presidential_office:stated",
                          "russia:dismissed", "south_korea:asserted"));
}

// ---------------------------------------------------------------------------
// Related statements and affiliations (docs/query.md): a Kyiv report adds a
// more specific statement S that entails the deployment X, and a more
// general G that X entails; the presidential office is part of South Korea.

constexpr char kK0[] =
    "Ukraine's intelligence reported North Korean units operating in "
    "Russia's Kursk region.";
constexpr char kK1[] =
    "Moscow said North Korea has no part whatsoever in the war.";

class RelatedClaimsTest : public ClaimsGraphTest {
 protected:
  RelatedClaimsTest() {
    kyiv_ = {"kyiv", "Kyiv report", "Kyiv Wire", Date{2024, 10, 25},
             absl::StrJoin({kK0, kK1}, " ")};
    WriteBatch b;
    b.entities.push_back(
        {"ukraine_intelligence", "Ukraine's intelligence", "Organization", {}});
    b.entities.push_back({"war", "the war", "Event", {}});
    for (const char* id :
         {"entails", "operating_in", "involved_in", "part_of"}) {
      b.relations.push_back({id, id, false, Polarity::kNone});
    }
    b.documents = {kyiv_};
    const Triple s_entails_x{Term::Quoted(s_), "entails", Term::Quoted(x_)};
    const Triple x_entails_g{Term::Quoted(x_), "entails", Term::Quoted(g_)};
    // An entailment of a quoted-only pair, and one whose ends are not both
    // statements: neither relates anything the claims below are about.
    const Triple odd{Term::Entity("nis"), "entails", Term::Quoted(x_)};
    b.statements = {
        {Claim3("ukraine_intelligence", "reported", s_), {Ev(kyiv_, kK0)}},
        {Claim3("russia", "denied", s_), {Ev(kyiv_, kK0)}},
        {Claim3("russia", "denied", g_), {Ev(kyiv_, kK1)}},
        {Claim3("ukraine", "asserted", g_), {Ev(kyiv_, kK1)}},
        {s_entails_x, {Ev(kyiv_, kK0)}},
        {x_entails_g, {Ev(kyiv_, kK1)}},
        {odd, {Ev(kyiv_, kK0)}},
        {T("presidential_office", "part_of", "south_korea"),
         {Ev(article_, kA1)}},
    };
    recorded_before_ = now_;
    now_ += absl::Hours(1);
    Write(b);
  }

  absl::Time recorded_before_;

  Document kyiv_;
  const Triple s_ = T("north_korea", "operating_in", "russia");
  const Triple g_ = T("north_korea", "involved_in", "war");
};

// Support flows from the specific to the general, denial from the general
// to the specific; each related claim names its statement and entailment.
TEST_F(RelatedClaimsTest, WhyIncludesClaimsOnRelatedStatementsMarked) {
  View v = Snapshot();
  absl::StatusOr<WhyResult> plain = v->Why(Term::Quoted(x_), WhyOptions{});
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->total_claims, 8u);
  WhyOptions options;
  options.include_related = true;
  absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), options);
  ASSERT_THAT(why, IsOk());
  // + Ukraine's intelligence supporting S, + Russia denying G; not Russia's
  // denial of S (a denial of the specific says nothing of the general) nor
  // Ukraine's assertion of G.
  EXPECT_EQ(why->total_claims, 10u);
  std::vector<std::string> related;
  for (const auto* side : {&why->supporting, &why->opposing}) {
    for (const Claim& c : *side) {
      if (c.about_statement_id.empty()) continue;
      related.push_back(absl::StrCat(c.claimant.id, " ", c.relation, " ",
                                     c.about_statement_id == Id(s_) ? "S" : "G",
                                     " via ", c.entailment_id));
    }
  }
  const std::string sx = Id({Term::Quoted(s_), "entails", Term::Quoted(x_)});
  const std::string xg = Id({Term::Quoted(x_), "entails", Term::Quoted(g_)});
  EXPECT_THAT(related, ::testing::UnorderedElementsAre(
                           "ukraine_intelligence reported S via " + sx,
                           "russia denied G via " + xg));
  // A page token belongs to the related or the plain listing, not both.
  options.page_size = 2;
  absl::StatusOr<WhyResult> first = v->Why(Term::Quoted(x_), options);
  ASSERT_THAT(first, IsOk());
  WhyOptions plain_next;
  plain_next.page_token = first->next_page_token;
  EXPECT_THAT(v->Why(Term::Quoted(x_), plain_next),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// An entailment recorded (or reported) after the as-of time relates
// nothing.
TEST_F(RelatedClaimsTest, RelatedClaimsFollowTimeTravel) {
  View v = Snapshot();
  for (bool recorded : {true, false}) {
    WhyOptions options;
    options.include_related = true;
    if (recorded) {
      options.as_of.recorded_at = recorded_before_;
    } else {
      options.as_of.reported_by = "2024-10-24";
    }
    absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), options);
    ASSERT_THAT(why, IsOk());
    EXPECT_EQ(why->total_claims, 8u) << recorded;
    ClaimTimelineOptions timeline_options;
    timeline_options.include_related = true;
    timeline_options.as_of = options.as_of;
    absl::StatusOr<std::vector<TimelineEntry>> timeline =
        v->ClaimTimeline(Term::Quoted(x_), timeline_options);
    ASSERT_THAT(timeline, IsOk());
    EXPECT_EQ(timeline->size(), 8u) << recorded;
  }
}

TEST_F(RelatedClaimsTest, TimelineAndContestedIncludeRelatedClaims) {
  View v = Snapshot();
  ClaimTimelineOptions options;
  options.include_related = true;
  absl::StatusOr<std::vector<TimelineEntry>> timeline =
      v->ClaimTimeline(Term::Quoted(x_), options);
  ASSERT_THAT(timeline, IsOk());
  ASSERT_EQ(timeline->size(), 10u);
  // The Kyiv report is the latest document.
  EXPECT_EQ((*timeline)[8].document.id, "kyiv");
  EXPECT_EQ((*timeline)[9].document.id, "kyiv");
  std::set<std::string> about;
  for (const TimelineEntry& e : *timeline) {
    EXPECT_EQ(e.about_statement_id.empty(), e.document.id != "kyiv");
    EXPECT_EQ(e.entailment_id.empty(), e.about_statement_id.empty());
    if (!e.about_statement_id.empty()) {
      about.insert(absl::StrCat(e.claimant.id, " ", e.relation));
    }
  }
  EXPECT_THAT(about, ElementsAre("russia denied",
                                 "ukraine_intelligence "
                                 "reported"));

  // Plain: X and Y (and S, which has claims for and against). Related: X
  // gains a supporter (Ukraine's intelligence) and an opponent is already
  // counted (Russia); S gains X's deniers; G gains X's supporters.
  absl::StatusOr<ContestedPage> plain = v->ListContested({});
  ASSERT_THAT(plain, IsOk());
  std::map<std::string, std::pair<uint32_t, uint32_t>> figures;
  for (const ContestedStatement& c : plain->statements) {
    figures[c.statement.id] = {c.supporting_claimants, c.opposing_claimants};
  }
  EXPECT_EQ(figures.size(), 4u);  // X, Y, S, G
  EXPECT_EQ(figures[Id(x_)], std::make_pair(4u, 4u));
  EXPECT_EQ(figures[Id(s_)], std::make_pair(1u, 1u));
  ListContestedOptions related;
  related.include_related = true;
  absl::StatusOr<ContestedPage> page = v->ListContested(related);
  ASSERT_THAT(page, IsOk());
  figures.clear();
  for (const ContestedStatement& c : page->statements) {
    figures[c.statement.id] = {c.supporting_claimants, c.opposing_claimants};
  }
  EXPECT_EQ(figures.size(), 4u);
  // X: + ukraine_intelligence for; Russia's denial of G is Russia again.
  EXPECT_EQ(figures[Id(x_)], std::make_pair(5u, 4u));
  // S: its own reporter, and X's deniers besides Russia (north_korea,
  // kremlin, nato) and Russia itself.
  EXPECT_EQ(figures[Id(s_)], std::make_pair(1u, 4u));
  // G: its own (Ukraine for, Russia against); support does not flow from
  // the general to the specific, only from X (4 supporters) to G.
  EXPECT_EQ(figures[Id(g_)].second, 1u);
  EXPECT_EQ(figures[Id(g_)].first, 5u);
}

// Rolled up, the presidential office counts as South Korea in the figures;
// each claim still names who made it, with the affiliation.
TEST_F(RelatedClaimsTest, RollUpCountsClaimantsAsTheirOrganisation) {
  View v = Snapshot();
  WhyOptions options;
  options.roll_up_affiliations = true;
  absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), options);
  ASSERT_THAT(why, IsOk());
  EXPECT_EQ(why->supporting_claimants, 3u);  // nis, south_korea, nato
  const std::string affiliation =
      Id(T("presidential_office", "part_of", "south_korea"));
  bool seen = false;
  for (const Claim& c : why->supporting) {
    if (c.claimant.id != "presidential_office") {
      EXPECT_EQ(c.affiliation_id, "") << c.claimant.id;
      continue;
    }
    seen = true;
    EXPECT_EQ(c.affiliation_id, affiliation);
  }
  EXPECT_TRUE(seen);

  ClaimTimelineOptions timeline_options;
  timeline_options.roll_up_affiliations = true;
  absl::StatusOr<std::vector<TimelineEntry>> timeline =
      v->ClaimTimeline(Term::Quoted(x_), timeline_options);
  ASSERT_THAT(timeline, IsOk());
  // Grouped by organisation: the office's entry sits in South Korea's run.
  std::vector<std::string> order;
  for (const TimelineEntry& e : *timeline) {
    order.push_back(e.organisation_id.empty() ? e.claimant.id
                                              : e.organisation_id);
    if (e.claimant.id == "presidential_office") {
      EXPECT_EQ(e.organisation_id, "south_korea");
      EXPECT_EQ(e.affiliation_id, affiliation);
    }
  }
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << order.size();

  ListContestedOptions contested;
  contested.roll_up_affiliations = true;
  absl::StatusOr<ContestedPage> page = v->ListContested(contested);
  ASSERT_THAT(page, IsOk());
  ASSERT_FALSE(page->statements.empty());
  EXPECT_EQ(page->statements[0].statement.id, Id(x_));
  EXPECT_EQ(page->statements[0].supporting_claimants, 3u);

  ListByClaimantOptions by;
  by.include_affiliates = true;
  absl::StatusOr<ClaimPage> claims =
      v->ListByClaimant(Term::Entity("south_korea"), by);
  ASSERT_THAT(claims, IsOk());
  std::set<std::string> who;
  for (const Claim& c : claims->claims) who.insert(c.claimant.id);
  EXPECT_THAT(who, ElementsAre("presidential_office", "south_korea"));
}

// ---------------------------------------------------------------------------
// PROV-O export.

// One N-Triples statement per line, per the RDF 1.1 N-Triples grammar
// (IRIs without forbidden characters; literals with only legal escapes).
const std::regex& NTriplesLine() {
  static const std::regex* re = new std::regex(
      R"(^<[^<>"{}|^`\\\x00-\x20]+> <[^<>"{}|^`\\\x00-\x20]+> )"
      R"((<[^<>"{}|^`\\\x00-\x20]+>|"([^"\\\n\r]|\\[tbnrf"'\\]|\\u[0-9A-F]{4})*")"
      R"((\^\^<[^<>"{}|^`\\\x00-\x20]+>)?) \.$)");
  return *re;
}

// Undoes N-Triples string escapes (for the characters the export escapes).
std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u':
        out.push_back(static_cast<char>(
            std::stoi(std::string(s.substr(i + 1, 4)), nullptr, 16)));
        i += 4;
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

TEST_F(ClaimsGraphTest, ExportsValidProvONTriples) {
  View v = Snapshot();
  ExportProvenanceOptions options;
  absl::StatusOr<ProvenanceExport> out =
      v->ExportProvenance(Term::Quoted(x_), options);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->media_type, "application/n-triples");
  std::vector<std::string> lines = absl::StrSplit(out->content, '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_match(line, NTriplesLine())) << line;
  }
  const std::string s = "<https://kg.invalid/statement/" + Id(x_) + ">";
  const std::string nis = "<https://kg.invalid/statement/" +
                          Id(Claim3("nis", "reported", x_)) + ">";
  auto has = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  EXPECT_TRUE(has(s + " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                      "<http://www.w3.org/ns/prov#Entity> ."));
  EXPECT_TRUE(has(s + " <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> "
                      "<https://kg.invalid/entity/north_korea> ."));
  EXPECT_TRUE(has(s + " <https://kg.invalid/ns#supportedBy> " + nis + " ."));
  EXPECT_TRUE(has(s + " <http://www.w3.org/ns/prov#wasAttributedTo> "
                      "<https://kg.invalid/entity/nis> ."));
  EXPECT_TRUE(has(nis + " <http://www.w3.org/ns/prov#wasAttributedTo> "
                        "<https://kg.invalid/entity/nis> ."));
  EXPECT_TRUE(
      has("<https://kg.invalid/entity/nis> "
          "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
          "<http://www.w3.org/ns/prov#Agent> ."));
  const std::string rec = absl::StrCat(
      "<https://kg.invalid/record/", Id(Claim3("nis", "reported", x_)),
      "/article/0-", CodePoints(kA0), "/", absl::ToUnixMicros(now_), ">");
  EXPECT_TRUE(
      has(nis + " <http://www.w3.org/ns/prov#wasDerivedFrom> " + rec + " ."));
  EXPECT_TRUE(
      has(rec + " <http://www.w3.org/ns/prov#value> \"" + kA0 + "\" ."));
  EXPECT_TRUE(has(rec + " <http://www.w3.org/ns/prov#wasQuotedFrom> "
                        "<https://kg.invalid/document/article> ."));
  EXPECT_TRUE(has(rec + " <https://kg.invalid/ns#hedge> \"believed\" ."));
  EXPECT_TRUE(has(rec +
                  " <https://kg.invalid/ns#confidence> "
                  "\"0.7\"^^<http://www.w3.org/2001/XMLSchema#double> ."));
  EXPECT_TRUE(has(rec + " <http://www.w3.org/ns/prov#generatedAtTime> "
                        "\"2024-10-18T00:00:00Z\"^^<http://www.w3.org/2001/"
                        "XMLSchema#dateTime> ."));
  EXPECT_TRUE(
      has("<https://kg.invalid/document/article> "
          "<http://purl.org/dc/terms/issued> "
          "\"2024-10-18\"^^<http://www.w3.org/2001/XMLSchema#date> ."));
  // Every triple once.
  std::set<std::string> unique(lines.begin(), lines.end());
  EXPECT_EQ(unique.size(), lines.size());

  options.include_evidence = false;
  out = v->ExportProvenance(Term::Quoted(x_), options);
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(out->content, ::testing::Not(HasSubstr("prov#value")));
}

TEST_F(ProvenanceTest, ExportEscapesEvidenceText) {
  const std::string tricky =
      "He said \"no\" \\ then\ttabbed,\r\nand left: Ünïcode ✓.";
  Document doc{"d", "Title with \"quotes\"", "Pub\\lisher", Date{2024, 6, 0},
               "Intro. " + tricky};
  WriteBatch b;
  b.entities = {{"a", "A", "Organization", {}}, {"b", "B", "Country", {}}};
  b.relations = {{"r", "r", false, Polarity::kNone}};
  b.documents = {doc};
  b.statements = {{T("a", "r", "b"), {Ev(doc, tricky)}}};
  Write(b);
  View v = Snapshot();
  absl::StatusOr<ProvenanceExport> nt =
      v->ExportProvenance(Term::Quoted(T("a", "r", "b")), {});
  ASSERT_THAT(nt, IsOk());
  std::string value;
  for (absl::string_view line : absl::StrSplit(nt->content, '\n')) {
    if (line.empty()) continue;
    EXPECT_TRUE(std::regex_match(std::string(line), NTriplesLine())) << line;
    if (absl::StrContains(line, "prov#value")) {
      const size_t open = line.find('"');
      const size_t close = line.rfind('"');
      value = Unescape(line.substr(open + 1, close - open - 1));
    }
  }
  EXPECT_EQ(value, tricky);
  EXPECT_THAT(nt->content, HasSubstr("\"2024-06\"^^<http://www.w3.org/2001/"
                                     "XMLSchema#gYearMonth>"));

  ExportProvenanceOptions json;
  json.format = ProvenanceFormat::kProvOJsonLd;
  absl::StatusOr<ProvenanceExport> ld =
      v->ExportProvenance(Term::Quoted(T("a", "r", "b")), json);
  ASSERT_THAT(ld, IsOk());
  EXPECT_EQ(ld->media_type, "application/ld+json");
  google::protobuf::Struct parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(ld->content, &parsed).ok())
      << ld->content;
  ASSERT_TRUE(parsed.fields().contains("@context"));
  EXPECT_EQ(parsed.fields()
                .at("@context")
                .struct_value()
                .fields()
                .at("prov")
                .string_value(),
            "http://www.w3.org/ns/prov#");
  const auto& graph = parsed.fields().at("@graph").list_value();
  // The statement, its record, its document.
  ASSERT_EQ(graph.values_size(), 3);
  const auto& statement = graph.values(0).struct_value().fields();
  EXPECT_EQ(statement.at("@id").string_value(),
            "https://kg.invalid/statement/" + Id(T("a", "r", "b")));
  EXPECT_EQ(statement.at("rdf:subject")
                .struct_value()
                .fields()
                .at("@id")
                .string_value(),
            "https://kg.invalid/entity/a");
  const auto& record = graph.values(1).struct_value().fields();
  EXPECT_EQ(record.at("prov:value").string_value(), tricky);
  EXPECT_EQ(record.at("kg:confidence")
                .struct_value()
                .fields()
                .at("@type")
                .string_value(),
            "xsd:double");
  const auto& document = graph.values(2).struct_value().fields();
  EXPECT_EQ(document.at("dcterms:title").string_value(), doc.title);
  EXPECT_EQ(document.at("dcterms:publisher").string_value(), doc.publisher);
}

TEST(ProvOTest, WritersEscapeEveryControlCharacter) {
  RdfGraph g;
  std::string all;
  for (int c = 1; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all += "\x7f\"\\";
  g.Add("urn:x:s", "urn:x:p", RdfTerm::String(all));
  g.Add("urn:x:s", "urn:x:p", RdfTerm::String(all));  // a duplicate
  g.Add("urn:x:s", "urn:x:q",
        RdfTerm::Typed("12000", std::string(kXsdNs) + "integer"));
  EXPECT_EQ(g.triples().size(), 2u);
  const std::string nt = WriteNTriples(g);
  std::vector<std::string> lines = absl::StrSplit(nt, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_match(line, NTriplesLine())) << line;
  }
  EXPECT_EQ(
      Unescape(lines[0].substr(lines[0].find('"') + 1,
                               lines[0].rfind('"') - lines[0].find('"') - 1)),
      all);
  google::protobuf::Struct parsed;
  const std::string ld = WriteJsonLd(g);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ld, &parsed).ok())
      << ld;
  const auto& node =
      parsed.fields().at("@graph").list_value().values(0).struct_value();
  EXPECT_EQ(node.fields().at("urn:x:p").string_value(), all);
  EXPECT_EQ(EscapeIriPart("a b/ü"), "a%20b%2F%C3%BC");
}

// ---------------------------------------------------------------------------
// Time travel across interleaved writes and retractions.

class TimeTravelTest : public ProvenanceTest {
 protected:
  TimeTravelTest() {
    doc_ = {"doc1", "Doc", "Wire", Date{2024, 10, 18},
            "North Korea sent troops. The Kremlin denied it. The NIS said "
            "so."};
    WriteBatch b;
    b.entities = {{"north_korea", "North Korea", "Country", {}},
                  {"russia", "Russia", "Country", {}},
                  {"kremlin", "Kremlin", "Organization", {}},
                  {"nis", "NIS", "Organization", {}}};
    b.relations = {{"sent_troops_to", "sent troops to", false, Polarity::kNone},
                   {"denied", "denied", false, Polarity::kOpposes},
                   {"reported", "reported", false, Polarity::kSupports}};
    b.documents = {doc_};
    Write(b);
  }

  StatementInput Fact() const {
    return {x_, {Ev(doc_, "North Korea sent troops.")}};
  }
  StatementInput Denial() const {
    return {Claim3("kremlin", "denied", x_),
            {Ev(doc_, "The Kremlin denied it.")}};
  }
  StatementInput Report() const {
    return {Claim3("nis", "reported", x_), {Ev(doc_, "The NIS said so.")}};
  }

  static TimeTravel At(absl::Time t) { return TimeTravel{t, ""}; }

  Document doc_;
  const Triple x_ = T("north_korea", "sent_troops_to", "russia");
};

TEST_F(TimeTravelTest, RecordRetractReassert) {
  const absl::Time t1 = now_ + absl::Seconds(10);
  const absl::Time t2 = t1 + absl::Seconds(10);
  const absl::Time t2b = t2 + absl::Seconds(5);
  const absl::Time t3 = t2 + absl::Seconds(10);
  const absl::Time t4 = t3 + absl::Seconds(10);
  now_ = t1;
  Write({Fact(), Denial(), Report()});
  View at_t1 = Snapshot();  // the current state as it was at t1
  now_ = t2;
  // The denial leaves the indexes.
  absl::StatusOr<storage::RetractResult> r =
      store_->Retract(Id(Denial().triple), "doc1");
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->statement_removed);
  now_ = t2b;
  // The fact's own record goes; the fact stays (the NIS quotes it).
  r = store_->Retract(Id(x_), "doc1");
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->statement_removed);
  View at_t2 = Snapshot();
  now_ = t3;
  Write({Denial()});
  now_ = t4;
  ASSERT_THAT(store_->Retract(Id(Report().triple), "doc1"), IsOk());
  View v = Snapshot();

  struct Expect {
    std::optional<absl::Time> at;
    std::vector<std::string> supporting, opposing;
    bool own;
    std::optional<absl::Time> denial_recorded;
  };
  const std::vector<Expect> cases = {
      {t1 - absl::Seconds(1), {}, {}, false, std::nullopt},
      {t1, {"nis"}, {"kremlin"}, true, t1},
      {t1 + absl::Seconds(5), {"nis"}, {"kremlin"}, true, t1},
      {t2 - absl::Microseconds(1), {"nis"}, {"kremlin"}, true, t1},
      {t2, {"nis"}, {}, true, std::nullopt},
      {t2b, {"nis"}, {}, false, std::nullopt},
      {t2b + absl::Seconds(1), {"nis"}, {}, false, std::nullopt},
      {t3, {"nis"}, {"kremlin"}, false, t3},
      {t4 - absl::Microseconds(1), {"nis"}, {"kremlin"}, false, t3},
      {t4, {}, {"kremlin"}, false, t3},
      {std::nullopt, {}, {"kremlin"}, false, t3},
  };
  for (const Expect& c : cases) {
    SCOPED_TRACE(c.at ? absl::FormatTime(*c.at) : "now");
    WhyOptions options;
    options.as_of.recorded_at = c.at;
    absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), options);
    ASSERT_THAT(why, IsOk());
    EXPECT_EQ(ClaimantsOf(why->supporting), c.supporting);
    EXPECT_EQ(ClaimantsOf(why->opposing), c.opposing);
    EXPECT_EQ(why->provenance.size(), c.own ? 1u : 0u);
    for (const ProvenanceRecord& rec : why->provenance) {
      // As it stood then: the later retraction is not yet applied.
      EXPECT_EQ(rec.recorded_at, t1);
      EXPECT_FALSE(rec.retracted_at.has_value());
    }
    if (c.denial_recorded) {
      ASSERT_EQ(why->opposing.size(), 1u);
      ASSERT_EQ(why->opposing[0].provenance.size(), 1u);
      EXPECT_EQ(why->opposing[0].provenance[0].recorded_at, *c.denial_recorded);
    }

    ListByClaimantOptions by;
    by.as_of.recorded_at = c.at;
    absl::StatusOr<ClaimPage> kremlin =
        v->ListByClaimant(Term::Entity("kremlin"), by);
    ASSERT_THAT(kremlin, IsOk());
    EXPECT_EQ(kremlin->claims.size(), c.opposing.size());

    ListContestedOptions contested;
    contested.as_of.recorded_at = c.at;
    absl::StatusOr<ContestedPage> page = v->ListContested(contested);
    ASSERT_THAT(page, IsOk());
    const bool is_contested = !c.supporting.empty() && !c.opposing.empty();
    EXPECT_EQ(page->statements.size(), is_contested ? 1u : 0u);

    ListByDocumentOptions doc;
    doc.as_of.recorded_at = c.at;
    absl::StatusOr<DocumentStatementPage> listed =
        v->ListByDocument("doc1", doc);
    ASSERT_THAT(listed, IsOk());
    EXPECT_EQ(listed->statements.size(),
              c.supporting.size() + c.opposing.size() + (c.own ? 1 : 0));

    ClaimTimelineOptions tl;
    tl.as_of.recorded_at = c.at;
    absl::StatusOr<std::vector<TimelineEntry>> timeline =
        v->ClaimTimeline(Term::Quoted(x_), tl);
    ASSERT_THAT(timeline, IsOk());
    EXPECT_EQ(timeline->size(), c.supporting.size() + c.opposing.size());
  }

  // Snapshots taken then see the current state of then.
  absl::StatusOr<WhyResult> then = at_t1->Why(Term::Quoted(x_), {});
  ASSERT_THAT(then, IsOk());
  EXPECT_THAT(ClaimantsOf(then->opposing), ElementsAre("kremlin"));
  EXPECT_EQ(then->summary,
            "stated in 1 document, asserted by 1 claimant in 1 document, "
            "denied by 1");
  then = at_t2->Why(Term::Quoted(x_), {});
  ASSERT_THAT(then, IsOk());
  EXPECT_THAT(then->opposing, IsEmpty());
  EXPECT_EQ(then->summary, "asserted by 1 claimant in 1 document");
  absl::StatusOr<ContestedPage> contested_then = at_t1->ListContested({});
  ASSERT_THAT(contested_then, IsOk());
  EXPECT_EQ(contested_then->statements.size(), 1u);

  // Both views at once: at t1, reported by a date before the document.
  WhyOptions both;
  both.as_of = {t1, "2024-10-17"};
  absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), both);
  ASSERT_THAT(why, IsOk());
  EXPECT_EQ(why->summary, "no provenance");
  both.as_of.reported_by = "2024-10-18";
  why = v->Why(Term::Quoted(x_), both);
  ASSERT_THAT(why, IsOk());
  EXPECT_EQ(why->total_claims, 2u);
}

// ---------------------------------------------------------------------------
// Bad inputs.

TEST_F(ClaimsGraphTest, BadInputsAreRejectedNamingTheField) {
  View v = Snapshot();
  const Triple unknown = T("russia", "deployed_troops_to", "north_korea");
  // A quoted statement the store lacks is shown as written, with its id;
  // an unknown relation is named.
  EXPECT_THAT(v->Why(Term::Quoted(unknown), {}),
              StatusIs(absl::StatusCode::kNotFound,
                       "statement: the store has no statement <<russia "
                       "deployed_troops_to north_korea>> (its id would be " +
                           Id(unknown) + ")"));
  EXPECT_THAT(v->Why(Term::Quoted(T("russia", "invaded", "north_korea")), {}),
              StatusIs(absl::StatusCode::kNotFound,
                       "statement.quoted.relation: no relation 'invaded'"));
  EXPECT_THAT(v->Why(Term::StatementId("s" + std::string(32, '0')), {}),
              StatusIs(absl::StatusCode::kNotFound, StartsWith("statement:")));
  EXPECT_THAT(
      v->Why(Term::StatementId("nope"), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("statement:")));
  EXPECT_THAT(
      v->Why(Term::Entity("russia"), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("statement:")));
  EXPECT_THAT(
      v->Why(Term::Quoted(T("atlantis", "deployed_troops_to", "russia")), {}),
      StatusIs(absl::StatusCode::kNotFound,
               StartsWith("statement.quoted.subject:")));
  EXPECT_THAT(v->ClaimTimeline(Term::Quoted(unknown), {}),
              StatusIs(absl::StatusCode::kNotFound, StartsWith("statement:")));
  EXPECT_THAT(v->ExportProvenance(Term::Quoted(unknown), {}),
              StatusIs(absl::StatusCode::kNotFound, StartsWith("statement:")));

  // Malformed time.
  for (const char* bad : {"2024-13", "2024-02-30", "yesterday", "24-10-18",
                          "2024-10-18T00:00:00Z"}) {
    SCOPED_TRACE(bad);
    WhyOptions why;
    why.as_of.reported_by = bad;
    EXPECT_THAT(v->Why(Term::Quoted(x_), why),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         StartsWith("as_of.reported_by:")));
    ListContestedOptions contested;
    contested.as_of.reported_by = bad;
    EXPECT_THAT(v->ListContested(contested),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         StartsWith("as_of.reported_by:")));
  }
  for (absl::Time bad : {absl::InfiniteFuture(), absl::InfinitePast(),
                         absl::FromUnixSeconds(253402300800)}) {
    ListByDocumentOptions doc;
    doc.as_of.recorded_at = bad;
    EXPECT_THAT(v->ListByDocument("article", doc),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         StartsWith("as_of.recorded_at:")));
  }
  EXPECT_THAT(TimeFromTimestamp("as_of.recorded_at", 0, -1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("as_of.recorded_at:")));
  EXPECT_THAT(TimeFromTimestamp("as_of.recorded_at", 253402300800, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<absl::Time> t =
      TimeFromTimestamp("as_of.recorded_at", 1729209600, 5);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(*t, now_ + absl::Nanoseconds(5));
  EXPECT_THAT(ParseRecordedAt("as_of.recorded_at", "yesterday"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("as_of.recorded_at:")));
  EXPECT_THAT(ParseRecordedAt("as_of.recorded_at", "infinite-future"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  t = ParseRecordedAt("t", "2024-10-18T09:00:00+09:00");
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(*t, now_);

  // A claimant that is not an entity.
  EXPECT_THAT(
      v->ListByClaimant(Term::Literal(storage::LiteralType::kInteger, "12000"),
                        {}),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("claimant:")));
  EXPECT_THAT(
      v->ListByClaimant(Term::StatementId(Id(x_)), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("claimant:")));
  EXPECT_THAT(
      v->ListByClaimant(Term::Quoted(x_), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("claimant:")));
  EXPECT_THAT(
      v->ListByClaimant(Term::Entity(Id(x_)), {}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               StartsWith("claimant: '" + Id(x_) + "' is a statement")));
  EXPECT_THAT(v->ListByClaimant(Term::Entity("atlantis"), {}),
              StatusIs(absl::StatusCode::kNotFound, StartsWith("claimant:")));
  ListByClaimantOptions none;
  none.polarity = Polarity::kNone;
  EXPECT_THAT(
      v->ListByClaimant(Term::Entity("nato"), none),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("polarity:")));

  EXPECT_THAT(
      v->ListByDocument("no_such_doc", {}),
      StatusIs(absl::StatusCode::kNotFound, StartsWith("document_id:")));
  EXPECT_THAT(
      v->ListByDocument("Bad Id", {}),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("document_id:")));

  // Page tokens: forged, or from another query.
  WhyOptions forged;
  forged.page_token = "not-a-token";
  EXPECT_THAT(
      v->Why(Term::Quoted(x_), forged),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token:")));
  WhyOptions paged;
  paged.page_size = 1;
  absl::StatusOr<WhyResult> first = v->Why(Term::Quoted(x_), paged);
  ASSERT_THAT(first, IsOk());
  ASSERT_NE(first->next_page_token, "");
  paged.page_token = first->next_page_token;
  EXPECT_THAT(
      v->Why(Term::Quoted(y_), paged),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token:")));
  paged.as_of.reported_by = "2024";
  EXPECT_THAT(
      v->Why(Term::Quoted(x_), paged),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token:")));
  ListContestedOptions contested;
  contested.page_token = first->next_page_token;
  EXPECT_THAT(
      v->ListContested(contested),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token:")));
}

// One codec (storage/page_token.h) pages storage's listings and the
// provenance queries: a token is accepted only by the listing that issued it.
TEST_F(ClaimsGraphTest, PageTokensAreRefusedByAnotherKindOfListing) {
  View v = Snapshot();
  const auto refused = StatusIs(absl::StatusCode::kInvalidArgument,
                                StartsWith("page_token: from another kind"));

  WhyOptions why_options;
  why_options.page_size = 1;
  absl::StatusOr<WhyResult> why = v->Why(Term::Quoted(x_), why_options);
  ASSERT_THAT(why, IsOk());
  ASSERT_NE(why->next_page_token, "");
  const std::string why_token = why->next_page_token;

  ListByDocumentOptions by_document;
  by_document.page_size = 1;
  absl::StatusOr<DocumentStatementPage> doc_page =
      v->ListByDocument("article", by_document);
  ASSERT_THAT(doc_page, IsOk());
  ASSERT_NE(doc_page->next_page_token, "");
  const std::string by_document_token = doc_page->next_page_token;

  absl::StatusOr<storage::EntityPage> entities = v.reader->ListEntities(1, "");
  ASSERT_THAT(entities, IsOk());
  ASSERT_NE(entities->next_page_token, "");
  const std::string entities_token = entities->next_page_token;

  storage::Pattern pattern;
  pattern.relation = "denied";
  storage::MatchOptions match;
  match.limit = 1;
  absl::StatusOr<storage::MatchPage> matched = v.reader->Match(pattern, match);
  ASSERT_THAT(matched, IsOk());
  ASSERT_NE(matched->next_page_token, "");
  const std::string match_token = matched->next_page_token;

  // Between provenance queries.
  by_document.page_token = why_token;
  EXPECT_THAT(v->ListByDocument("article", by_document), refused);
  why_options.page_token = by_document_token;
  EXPECT_THAT(v->Why(Term::Quoted(x_), why_options), refused);
  ListByClaimantOptions by_claimant;
  by_claimant.page_token = why_token;
  EXPECT_THAT(v->ListByClaimant(Term::Entity("russia"), by_claimant), refused);

  // From storage's listings to provenance queries.
  why_options.page_token = match_token;
  EXPECT_THAT(v->Why(Term::Quoted(x_), why_options), refused);
  by_claimant.page_token = entities_token;
  EXPECT_THAT(v->ListByClaimant(Term::Entity("russia"), by_claimant), refused);
  ListContestedOptions contested;
  contested.page_token = match_token;
  EXPECT_THAT(v->ListContested(contested), refused);

  // From provenance queries to storage's listings, and between those.
  EXPECT_THAT(v.reader->ListEntities(1, why_token), refused);
  EXPECT_THAT(v.reader->ListDocuments(false, 1, by_document_token), refused);
  match.page_token = why_token;
  EXPECT_THAT(v.reader->Match(pattern, match), refused);
  match.page_token = entities_token;
  EXPECT_THAT(v.reader->Match(pattern, match), refused);

  // Each token still works where it came from.
  by_document.page_token = by_document_token;
  EXPECT_THAT(v->ListByDocument("article", by_document), IsOk());
  why_options.page_token = why_token;
  EXPECT_THAT(v->Why(Term::Quoted(x_), why_options), IsOk());
  EXPECT_THAT(v.reader->ListEntities(1, entities_token), IsOk());
  match.page_token = match_token;
  EXPECT_THAT(v.reader->Match(pattern, match), IsOk());
}

// ---------------------------------------------------------------------------
// Random stores against a brute-force reference.

// The reference: every statement and record written, with the times the
// test's clock gave them, and the rules of docs/query.md restated naively.
class Reference {
 public:
  struct Rec {
    std::string stmt;
    std::string doc;
    uint32_t start = 0, end = 0;
    std::string evidence;
    Hedge hedge = Hedge::kAsserted;
    double confidence = 1;
    absl::Time recorded;
    std::optional<absl::Time> retracted;
  };
  struct Stmt {
    std::string id;
    std::string subject;  // claimant key: kind digit + id
    std::string subject_id;
    bool subject_is_entity = true;
    std::string relation;
    std::string object_statement;  // id when the object is a statement
  };

  std::map<std::string, Relation> relations;
  std::map<std::string, Document> documents;
  std::map<std::string, Stmt> statements;  // every statement ever named
  std::vector<Rec> records;

  // Mirrors Store::Write for one record: skipped when an identical live one
  // exists.
  void Add(const std::string& stmt, const ProvenanceInput& p, absl::Time t) {
    for (const Rec& r : records) {
      if (r.stmt == stmt && r.doc == p.document_id &&
          r.start == p.evidence_start && r.end == p.evidence_end &&
          !r.retracted) {
        return;
      }
    }
    records.push_back(Rec{stmt, p.document_id, p.evidence_start, p.evidence_end,
                          p.evidence, p.hedge, p.confidence, t, std::nullopt});
  }
  void Retract(const std::string& stmt, const std::string& doc, absl::Time t) {
    for (Rec& r : records) {
      if (r.stmt == stmt && r.doc == doc && !r.retracted) r.retracted = t;
    }
  }

  bool Visible(const Rec& r, const std::optional<absl::Time>& at,
               const std::string& reported_by) const {
    if (at) {
      if (r.recorded > *at) return false;
      if (r.retracted && *r.retracted <= *at) return false;
    } else if (r.retracted) {
      return false;
    }
    return DocReported(r.doc, reported_by);
  }
  bool DocReported(const std::string& doc,
                   const std::string& reported_by) const {
    if (reported_by.empty()) return true;
    const std::optional<Date>& p = documents.at(doc).published;
    return p && p->LastDay() <= storage::ParseDate(reported_by)->LastDay();
  }

  std::vector<Rec> VisibleOf(const std::string& stmt,
                             const std::optional<absl::Time>& at,
                             const std::string& reported_by) const {
    std::vector<Rec> out;
    for (const Rec& r : records) {
      if (r.stmt == stmt && Visible(r, at, reported_by)) out.push_back(r);
    }
    std::sort(out.begin(), out.end(), [](const Rec& a, const Rec& b) {
      return std::tie(a.doc, a.start, a.end, a.recorded) <
             std::tie(b.doc, b.start, b.end, b.recorded);
    });
    return out;
  }

  Polarity PolarityOf(const Stmt& s) const {
    return relations.at(s.relation).polarity;
  }

  // Claims about `id` with visible records.
  std::vector<const Stmt*> ClaimsAbout(const std::string& id,
                                       const std::optional<absl::Time>& at,
                                       const std::string& reported_by) const {
    std::vector<const Stmt*> out;
    for (const auto& [cid, s] : statements) {
      if (s.object_statement != id || PolarityOf(s) == Polarity::kNone) {
        continue;
      }
      if (VisibleOf(cid, at, reported_by).empty()) continue;
      out.push_back(&s);
    }
    std::sort(out.begin(), out.end(), [&](const Stmt* a, const Stmt* b) {
      return std::make_tuple(PolarityOf(*a), a->subject, a->relation, a->id) <
             std::make_tuple(PolarityOf(*b), b->subject, b->relation, b->id);
    });
    return out;
  }

  std::string Summary(const std::string& id,
                      const std::optional<absl::Time>& at,
                      const std::string& reported_by) const {
    std::set<std::string> stated, asserted, asserted_docs, denied, unconfirmed;
    for (const Rec& r : VisibleOf(id, at, reported_by)) stated.insert(r.doc);
    for (const Stmt* c : ClaimsAbout(id, at, reported_by)) {
      for (const Rec& r : VisibleOf(c->id, at, reported_by)) {
        if (r.hedge == Hedge::kUnconfirmed) {
          unconfirmed.insert(c->subject);
        } else if (PolarityOf(*c) == Polarity::kSupports) {
          asserted.insert(c->subject);
          asserted_docs.insert(r.doc);
        } else {
          denied.insert(c->subject);
        }
      }
    }
    std::vector<std::string> parts;
    auto n = [](size_t k, const char* noun) {
      return absl::StrCat(k, " ", noun, k == 1 ? "" : "s");
    };
    if (!stated.empty()) {
      parts.push_back("stated in " + n(stated.size(), "document"));
    }
    bool first = true;
    auto who = [&](size_t k) {
      std::string s = first ? n(k, "claimant") : absl::StrCat(k);
      first = false;
      return s;
    };
    if (!asserted.empty()) {
      parts.push_back(absl::StrCat("asserted by ", who(asserted.size()), " in ",
                                   n(asserted_docs.size(), "document")));
    }
    if (!denied.empty()) {
      parts.push_back("denied by " + who(denied.size()));
    }
    if (!unconfirmed.empty()) {
      parts.push_back("unconfirmed by " + who(unconfirmed.size()));
    }
    return parts.empty() ? "no provenance" : absl::StrJoin(parts, ", ");
  }

  // Timeline order: document date (dated first), document, span; then
  // claimant, claim id, recorded time.
  using OrderKey = std::tuple<int, int64_t, int64_t, std::string, uint32_t,
                              uint32_t, std::string, std::string, int64_t>;
  std::tuple<int, int64_t, int64_t, std::string, uint32_t, uint32_t>
  TimelineKey(const Rec& r) const {
    const std::optional<Date>& p = documents.at(r.doc).published;
    return std::make_tuple(p ? 0 : 1, p ? p->FirstDay() : 0,
                           p ? p->LastDay() : 0, r.doc, r.start, r.end);
  }
};

std::string RecStr(const std::string& stmt, const std::string& doc,
                   uint32_t start, uint32_t end, absl::Time recorded,
                   Hedge hedge, absl::string_view evidence) {
  return absl::StrCat(stmt.substr(0, 8), "|", doc, "|", start, "-", end, "|",
                      absl::ToUnixSeconds(recorded), "|",
                      static_cast<int>(hedge), "|", evidence);
}

std::string RecStr(const ProvenanceRecord& r) {
  EXPECT_FALSE(r.retracted_at.has_value());
  return RecStr(r.statement_id, r.input.document_id, r.input.evidence_start,
                r.input.evidence_end, r.recorded_at, r.input.hedge,
                r.input.evidence);
}

std::string RecStr(const Reference::Rec& r) {
  return RecStr(r.stmt, r.doc, r.start, r.end, r.recorded, r.hedge, r.evidence);
}

std::string ClaimStr(const Claim& c) {
  std::vector<std::string> recs;
  for (const ProvenanceRecord& r : c.provenance) recs.push_back(RecStr(r));
  return absl::StrCat(c.claim.id.substr(0, 8), " ", c.claimant.id, " ",
                      c.relation, " ", static_cast<int>(c.polarity), " [",
                      absl::StrJoin(recs, "; "), "]");
}

std::string ClaimStr(const Reference& ref, const Reference::Stmt& s,
                     const std::optional<absl::Time>& at,
                     const std::string& reported_by) {
  std::vector<std::string> recs;
  for (const auto& r : ref.VisibleOf(s.id, at, reported_by)) {
    recs.push_back(RecStr(r));
  }
  return absl::StrCat(s.id.substr(0, 8), " ", s.subject_id, " ", s.relation,
                      " ", static_cast<int>(ref.PolarityOf(s)), " [",
                      absl::StrJoin(recs, "; "), "]");
}

class RandomProvenanceTest : public ProvenanceTest,
                             public ::testing::WithParamInterface<uint32_t> {
 protected:
  void Run(uint32_t seed);

  // Compares every query kind against the reference at one view.
  void Check(ProvenanceEngine& engine, const Reference& ref,
             const std::optional<absl::Time>& at,
             const std::string& reported_by,
             const std::vector<std::string>& entity_ids);
};

void RandomProvenanceTest::Check(ProvenanceEngine& engine, const Reference& ref,
                                 const std::optional<absl::Time>& at,
                                 const std::string& reported_by,
                                 const std::vector<std::string>& entity_ids) {
  SCOPED_TRACE(absl::StrCat("as of ", at ? absl::FormatTime(*at) : "now",
                            ", reported by '", reported_by, "'"));
  const TimeTravel tt{at, reported_by};

  // Why and the timeline, for every statement.
  for (const auto& [id, s] : ref.statements) {
    SCOPED_TRACE("statement " + id);
    WhyOptions options;
    options.as_of = tt;
    absl::StatusOr<WhyResult> why = engine.Why(Term::StatementId(id), options);
    ASSERT_THAT(why, IsOk());
    std::vector<std::string> got_own, want_own;
    for (const auto& r : why->provenance) got_own.push_back(RecStr(r));
    for (const auto& r : ref.VisibleOf(id, at, reported_by)) {
      want_own.push_back(RecStr(r));
    }
    EXPECT_EQ(got_own, want_own);
    std::vector<std::string> got, want;
    for (const Claim& c : why->supporting) got.push_back(ClaimStr(c));
    for (const Claim& c : why->opposing) got.push_back(ClaimStr(c));
    for (const auto* c : ref.ClaimsAbout(id, at, reported_by)) {
      want.push_back(ClaimStr(ref, *c, at, reported_by));
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(why->summary, ref.Summary(id, at, reported_by));

    // The same claims through pages of 2.
    options.page_size = 2;
    std::vector<std::string> paged;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<WhyResult> page =
          engine.Why(Term::StatementId(id), options);
      ASSERT_THAT(page, IsOk());
      for (const Claim& c : page->supporting) paged.push_back(ClaimStr(c));
      for (const Claim& c : page->opposing) paged.push_back(ClaimStr(c));
      if (page->next_page_token.empty()) break;
      options.page_token = page->next_page_token;
    }
    EXPECT_EQ(paged, want);

    ClaimTimelineOptions tl;
    tl.as_of = tt;
    absl::StatusOr<std::vector<TimelineEntry>> timeline =
        engine.ClaimTimeline(Term::StatementId(id), tl);
    ASSERT_THAT(timeline, IsOk());
    std::vector<std::pair<Reference::OrderKey, std::string>> keyed;
    for (const auto* c : ref.ClaimsAbout(id, at, reported_by)) {
      for (const auto& r : ref.VisibleOf(c->id, at, reported_by)) {
        keyed.emplace_back(
            std::tuple_cat(ref.TimelineKey(r),
                           std::make_tuple(c->subject, c->id,
                                           absl::ToUnixMicros(r.recorded))),
            absl::StrCat(c->subject_id, " ", RecStr(r)));
      }
    }
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::string> want_tl, got_tl;
    for (const auto& [k, v] : keyed) want_tl.push_back(v);
    for (const TimelineEntry& e : *timeline) {
      got_tl.push_back(absl::StrCat(e.claimant.id, " ", RecStr(e.provenance)));
    }
    EXPECT_EQ(got_tl, want_tl);
  }

  // By document, in pages of 3.
  for (const auto& [doc, d] : ref.documents) {
    SCOPED_TRACE("document " + doc);
    std::map<std::string, std::vector<const Reference::Rec*>> by_stmt;
    if (ref.DocReported(doc, reported_by)) {
      for (const auto& r : ref.records) {
        if (r.doc == doc && ref.Visible(r, at, reported_by)) {
          by_stmt[r.stmt].push_back(&r);
        }
      }
    }
    std::vector<
        std::pair<std::tuple<uint32_t, uint32_t, std::string>, std::string>>
        keyed;
    for (auto& [stmt, recs] : by_stmt) {
      std::sort(recs.begin(), recs.end(), [](const auto* a, const auto* b) {
        return std::tie(a->start, a->end, a->recorded) <
               std::tie(b->start, b->end, b->recorded);
      });
      std::vector<std::string> strs;
      for (const auto* r : recs) strs.push_back(RecStr(*r));
      keyed.emplace_back(std::make_tuple(recs[0]->start, recs[0]->end, stmt),
                         absl::StrCat(stmt, " ", absl::StrJoin(strs, "; ")));
    }
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::string> want, got;
    for (const auto& [k, v] : keyed) want.push_back(v);
    ListByDocumentOptions options;
    options.as_of = tt;
    options.page_size = 3;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<DocumentStatementPage> page =
          engine.ListByDocument(doc, options);
      ASSERT_THAT(page, IsOk());
      for (const DocumentStatement& s : page->statements) {
        std::vector<std::string> strs;
        for (const auto& r : s.provenance) strs.push_back(RecStr(r));
        got.push_back(
            absl::StrCat(s.statement.id, " ", absl::StrJoin(strs, "; ")));
      }
      if (page->next_page_token.empty()) break;
      options.page_token = page->next_page_token;
    }
    EXPECT_EQ(got, want);
  }

  // By claimant, each polarity filter, in pages of 2.
  for (const std::string& e : entity_ids) {
    for (std::optional<Polarity> pol :
         {std::optional<Polarity>(), std::optional(Polarity::kSupports),
          std::optional(Polarity::kOpposes)}) {
      SCOPED_TRACE(absl::StrCat("claimant ", e, " polarity ",
                                pol ? static_cast<int>(*pol) : -1));
      std::vector<
          std::pair<std::pair<Reference::OrderKey, std::string>, std::string>>
          keyed;
      for (const auto& [id, s] : ref.statements) {
        if (!s.subject_is_entity || s.subject_id != e ||
            s.object_statement.empty() ||
            ref.PolarityOf(s) == Polarity::kNone) {
          continue;
        }
        if (pol && ref.PolarityOf(s) != *pol) continue;
        std::vector<Reference::Rec> recs = ref.VisibleOf(id, at, reported_by);
        if (recs.empty()) continue;
        std::optional<Reference::OrderKey> first;
        for (const auto& r : recs) {
          // The claim's earliest record (then the claim id).
          Reference::OrderKey k =
              std::tuple_cat(ref.TimelineKey(r),
                             std::make_tuple(std::string(), std::string(),
                                             absl::ToUnixMicros(r.recorded)));
          if (!first || k < *first) first = k;
        }
        keyed.emplace_back(std::make_pair(*first, id),
                           ClaimStr(ref, s, at, reported_by));
      }
      std::sort(keyed.begin(), keyed.end());
      std::vector<std::string> want, got;
      for (const auto& [k, v] : keyed) want.push_back(v);
      ListByClaimantOptions options;
      options.as_of = tt;
      options.polarity = pol;
      options.page_size = 2;
      for (int i = 0; i < 100; ++i) {
        absl::StatusOr<ClaimPage> page =
            engine.ListByClaimant(Term::Entity(e), options);
        ASSERT_THAT(page, IsOk());
        for (const Claim& c : page->claims) got.push_back(ClaimStr(c));
        if (page->next_page_token.empty()) break;
        options.page_token = page->next_page_token;
      }
      EXPECT_EQ(got, want);
    }
  }

  // Contested, both readings, in pages of 2.
  for (bool own : {false, true}) {
    SCOPED_TRACE(own ? "own records support" : "claims only");
    std::vector<std::pair<std::pair<int64_t, std::string>, std::string>> keyed;
    for (const auto& [id, s] : ref.statements) {
      std::set<std::string> sup, opp;
      for (const auto* c : ref.ClaimsAbout(id, at, reported_by)) {
        (ref.PolarityOf(*c) == Polarity::kSupports ? sup : opp)
            .insert(c->subject);
      }
      std::set<std::string> docs;
      if (own) {
        for (const auto& r : ref.VisibleOf(id, at, reported_by)) {
          docs.insert(r.doc);
        }
      }
      if (opp.empty() || (sup.empty() && docs.empty())) continue;
      std::set<std::string> all = sup;
      all.insert(opp.begin(), opp.end());
      keyed.emplace_back(std::make_pair(-static_cast<int64_t>(all.size()), id),
                         absl::StrCat(id, " ", sup.size(), "/", opp.size(), "/",
                                      all.size(), "/", docs.size()));
    }
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::string> want, got;
    for (const auto& [k, v] : keyed) want.push_back(v);
    ListContestedOptions options;
    options.as_of = tt;
    options.own_records_support = own;
    options.page_size = 2;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<ContestedPage> page = engine.ListContested(options);
      ASSERT_THAT(page, IsOk());
      for (const ContestedStatement& c : page->statements) {
        got.push_back(absl::StrCat(c.statement.id, " ", c.supporting_claimants,
                                   "/", c.opposing_claimants, "/",
                                   c.distinct_claimants, "/",
                                   c.stated_documents));
      }
      if (page->next_page_token.empty()) break;
      options.page_token = page->next_page_token;
    }
    EXPECT_EQ(got, want);
  }
}

void RandomProvenanceTest::Run(uint32_t seed) {
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) {
    return static_cast<size_t>(
        std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  Reference ref;
  WriteBatch vocab;
  std::vector<std::string> entities;
  for (int i = 0; i < 6; ++i) {
    entities.push_back(absl::StrCat("e", i));
    vocab.entities.push_back(
        {entities.back(), absl::StrCat("E", i), "Thing", {}});
  }
  const std::vector<std::pair<const char*, Polarity>> rels = {
      {"f0", Polarity::kNone},        {"f1", Polarity::kNone},
      {"sup_a", Polarity::kSupports}, {"sup_b", Polarity::kSupports},
      {"opp_a", Polarity::kOpposes},  {"opp_b", Polarity::kOpposes}};
  for (const auto& [id, pol] : rels) {
    vocab.relations.push_back({id, id, false, pol});
    ref.relations[id] = vocab.relations.back();
  }
  const std::vector<std::optional<Date>> dates = {
      Date{2024, 10, 1}, Date{2024, 10, 0}, Date{2024, 10, 20},
      Date{2024, 0, 0},  Date{2024, 11, 5}, std::nullopt};
  for (int d = 0; d < 4; ++d) {
    Document doc;
    doc.id = absl::StrCat("d", d);
    doc.title = doc.id;
    doc.published = dates[pick(dates.size())];
    for (int k = 0; k < 6; ++k) {
      absl::StrAppend(&doc.text, k ? " " : "", "Ünïcode sentence ", k, " of ",
                      doc.id, ".");
    }
    vocab.documents.push_back(doc);
    ref.documents[doc.id] = doc;
  }
  Write(vocab);

  // The pool: facts, claims about facts, claims about claims.
  std::vector<Triple> pool;
  std::set<std::string> ids;
  auto add = [&](const Triple& t) {
    if (ids.insert(Id(t)).second) pool.push_back(t);
  };
  std::vector<Triple> facts;
  for (int i = 0; i < 5; ++i) {
    Triple t = T(entities[pick(6)], rels[pick(2)].first, entities[pick(6)]);
    add(t);
    facts.push_back(t);
  }
  std::vector<Triple> claims;
  for (int i = 0; i < 14; ++i) {
    Triple t = Claim3(entities[pick(6)], rels[2 + pick(4)].first,
                      facts[pick(facts.size())]);
    add(t);
    claims.push_back(t);
  }
  for (int i = 0; i < 3; ++i) {
    add(Claim3(entities[pick(6)], rels[2 + pick(4)].first,
               claims[pick(claims.size())]));
  }
  auto note = [&](const Triple& t) {
    std::vector<const Triple*> todo = {&t};
    while (!todo.empty()) {
      const Triple* cur = todo.back();
      todo.pop_back();
      Reference::Stmt s;
      s.id = Id(*cur);
      s.subject_id = cur->subject.id();
      s.subject = absl::StrCat(static_cast<int>(cur->subject.kind()),
                               cur->subject.id());
      s.relation = cur->relation;
      if (cur->object.kind() == Term::Kind::kStatement) {
        s.object_statement = Id(*cur->object.triple());
        todo.push_back(cur->object.triple());
      }
      ref.statements.emplace(s.id, s);
    }
  };

  // The record a (statement, document, sentence) always gets, so that a
  // repeat is identical (skipped while live) and never conflicts.
  auto record = [&](const Triple& t, int doc, int sentence) {
    const Document& d = ref.documents.at(absl::StrCat("d", doc));
    const std::string text =
        absl::StrCat("Ünïcode sentence ", sentence, " of ", d.id, ".");
    const uint32_t h =
        static_cast<uint32_t>(std::hash<std::string>()(Id(t) + d.id + text));
    const Hedge hedges[] = {Hedge::kAsserted, Hedge::kBelieved,
                            Hedge::kUnconfirmed, Hedge::kReportedly};
    return Ev(d, text, hedges[h % 4], (h % 10) / 10.0);
  };

  std::vector<absl::Time> times;
  for (int step = 0; step < 36; ++step) {
    now_ += absl::Seconds(1);
    times.push_back(now_);
    std::vector<std::pair<std::string, std::string>> live;
    for (const auto& r : ref.records) {
      if (!r.retracted) live.emplace_back(r.stmt, r.doc);
    }
    if (!live.empty() && pick(10) < 3) {
      const auto& [stmt, doc] = live[pick(live.size())];
      ASSERT_THAT(store_->Retract(stmt, doc), IsOk());
      ref.Retract(stmt, doc, now_);
    } else {
      WriteBatch b;
      std::set<std::string> in_batch;
      for (size_t k = 0, n = 1 + pick(3); k < n; ++k) {
        const Triple& t = pool[pick(pool.size())];
        StatementInput in{t, {}};
        for (size_t j = 0, m = 1 + pick(2); j < m; ++j) {
          ProvenanceInput p =
              record(t, static_cast<int>(pick(4)), static_cast<int>(pick(6)));
          const std::string key =
              absl::StrCat(Id(t), p.document_id, "/", p.evidence_start);
          if (!in_batch.insert(key).second) continue;
          in.provenance.push_back(p);
        }
        if (in.provenance.empty()) continue;
        note(t);
        for (const auto& p : in.provenance) ref.Add(Id(t), p, now_);
        b.statements.push_back(std::move(in));
      }
      Write(b);
    }
    // The current state, now and then.
    if (step % 12 == 11) {
      View v = Snapshot();
      Check(*v.engine, ref, std::nullopt, "", entities);
    }
    if (::testing::Test::HasFailure()) return;
  }

  // Every view at the end: instants between steps, and cutoffs.
  View v = Snapshot();
  const std::vector<std::string> cutoffs = {"", "2024-10-05", "2024-10",
                                            "2024-10-20", "2024"};
  std::vector<std::optional<absl::Time>> instants = {std::nullopt};
  instants.push_back(times.front() - absl::Seconds(1));
  for (int i = 0; i < 5; ++i) {
    const absl::Time t = times[pick(times.size())];
    instants.push_back(t);
    instants.push_back(t + absl::Milliseconds(500));
  }
  for (const auto& at : instants) {
    for (const std::string& cutoff : cutoffs) {
      if (pick(2) == 0 && at && !cutoff.empty()) continue;
      // A fresh engine per view, so each builds its own history.
      ProvenanceEngine engine(v.reader.get());
      Check(engine, ref, at, cutoff, entities);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST_P(RandomProvenanceTest, MatchesBruteForceReference) {
  Run(GetParam());
  if (HasFailure()) ADD_FAILURE() << "failed with seed " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomProvenanceTest,
                         ::testing::Range<uint32_t>(1, 9));

}  // namespace
}  // namespace kg::query
