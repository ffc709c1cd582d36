// The seed graph: loaded on first start, never twice, valid, and answering
// the questions a newcomer asks of the article (golden answers in words).
#include "server/seed.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "storage/validate.h"
#include "tests/support/test_util.h"

namespace kg::server {
namespace {

using storage::Term;
using storage::Triple;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::string SeedFile() { return testing::SourceDir() + "/data/seed.jsonl"; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SeedTest : public ::testing::Test {
 protected:
  void Start() {
    server_.reset();
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = dir_.Sub("data");
    options.seed_file = SeedFile();
    options.store.sync_writes = false;
    absl::StatusOr<std::unique_ptr<KgServer>> server = KgServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void SetUp() override { Start(); }

  storage::Reader& reader() {
    if (reader_ == nullptr) reader_ = server_->store()->NewReader();
    return *reader_;
  }
  void TearDown() override {
    reader_.reset();
    server_.reset();
  }

  // Statements matching a pattern (quoted ones too), as "s r o" strings.
  std::vector<storage::Statement> Match(std::optional<Term> s,
                                        std::optional<std::string> r,
                                        std::optional<Term> o) {
    storage::Pattern p{std::move(s), std::move(r), std::move(o)};
    storage::MatchOptions options;
    options.include_quoted = true;
    options.limit = 1000;
    absl::StatusOr<storage::MatchPage> page = reader().Match(p, options);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->statements : std::vector<storage::Statement>{};
  }

  std::string Evidence(const storage::Statement& st) {
    auto records = reader().GetProvenance(st.id, false);
    EXPECT_TRUE(records.ok());
    EXPECT_FALSE(records->empty()) << st.id;
    return records->empty() ? "" : (*records)[0].input.evidence;
  }

  // Claimants of `quoted` by polarity of the claim relation.
  std::map<storage::Polarity, std::set<std::string>> Claimants(
      const Triple& quoted) {
    std::map<storage::Polarity, std::set<std::string>> out;
    for (const auto& claim :
         Match(std::nullopt, std::nullopt, Term::Quoted(quoted))) {
      auto relation = reader().GetRelation(claim.relation);
      EXPECT_TRUE(relation.ok());
      out[relation->polarity].insert(claim.subject.id);
    }
    return out;
  }

  testing::ScopedTempDir dir_;
  std::unique_ptr<KgServer> server_;
  std::unique_ptr<storage::Reader> reader_;
};

const Triple kDeployed{Term::Entity("north_korea"), "deployed_troops_to",
                       Term::Entity("russia")};

TEST_F(SeedTest, LoadsOnFirstStartOnlyAndReimportChangesNothing) {
  EXPECT_TRUE(server_->seeded());
  const storage::StoreStats first = *reader().Stats();
  EXPECT_EQ(first.documents, 1u);
  EXPECT_GT(first.provenance_records, 60u);
  reader_.reset();
  Start();
  EXPECT_FALSE(server_->seeded());
  EXPECT_EQ(reader().Stats()->statements, first.statements);
  reader_.reset();

  absl::StatusOr<kg::v1::WriteStatementsRequest> batch =
      ReadJsonlBatch(SeedFile());
  ASSERT_TRUE(batch.ok()) << batch.status();
  const Authenticator no_auth = Authenticator::Disabled();
  KnowledgeGraphService service(server_->store(), ServiceLimits{}, &no_auth);
  absl::StatusOr<storage::WriteResult> again = service.ApplyBatch(*batch);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->provenance_added, 0u);
  EXPECT_EQ(again->statements_created, 0u);
  EXPECT_EQ(again->provenance_unchanged, first.provenance_records);
  const storage::StoreStats after = *reader().Stats();
  EXPECT_EQ(after.statements, first.statements);
  EXPECT_EQ(after.provenance_records, first.provenance_records);
  EXPECT_EQ(after.terms, first.terms);
}

TEST_F(SeedTest, ABrokenSeedLineIsReportedWithItsNumber) {
  std::ofstream(dir_.Sub("bad.jsonl"))
      << "{\"entity\": {\"id\": \"x\", \"label\": \"X\", \"type\": \"T\"}}\n"
      << "{\"entity\": {\"id\": 12, \n";
  absl::StatusOr<kg::v1::WriteStatementsRequest> batch =
      ReadJsonlBatch(dir_.Sub("bad.jsonl"));
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(batch.status().message(), ::testing::HasSubstr("bad.jsonl:2:"));
}

// The validator: every evidence span is the document text at its offsets,
// every reference resolves, every asserted statement has provenance, every
// relation used is in the vocabulary, and claims use claim relations.
TEST_F(SeedTest, EverySpanReferenceAndRelationChecksOut) {
  const storage::Document doc = *reader().GetDocument("seed_article");
  EXPECT_EQ(doc.text, ReadAll(testing::SourceDir() + "/data/seed-article.txt"));
  EXPECT_EQ(doc.published, storage::ParseDate("2024-10-18"));
  int checked = 0;
  std::set<std::string> sentences;
  ASSERT_TRUE(
      reader()
          .ForEachStatement([&](storage::NodeId, const storage::Statement& st) {
            auto relation = reader().GetRelation(st.relation);
            EXPECT_TRUE(relation.ok()) << st.relation;
            for (const auto* part : {&st.subject, &st.object}) {
              if (part->kind == Term::Kind::kEntity) {
                EXPECT_TRUE(reader().GetEntity(part->id).ok());
              } else if (part->kind == Term::Kind::kStatement) {
                EXPECT_TRUE(reader().GetStatement(part->id).ok());
              }
            }
            // A statement about a statement by an entity is a claim
            // or a relation of the event; claims carry a polarity.
            const bool is_claim =
                relation.ok() && relation->polarity != storage::Polarity::kNone;
            if (is_claim) {
              EXPECT_EQ(st.object.kind, Term::Kind::kStatement) << st.relation;
              EXPECT_EQ(st.subject.kind, Term::Kind::kEntity);
            }
            EXPECT_TRUE(st.live_provenance > 0 || st.quoted_by > 0) << st.id;
            auto records = reader().GetProvenance(st.id, false);
            EXPECT_TRUE(records.ok());
            for (const auto& r : *records) {
              auto span = storage::CodePointSpan(
                  doc.text, r.input.evidence_start, r.input.evidence_end);
              EXPECT_TRUE(span.has_value());
              EXPECT_EQ(
                  doc.text.substr(span->first, span->second - span->first),
                  r.input.evidence);
              sentences.insert(r.input.evidence);
              ++checked;
            }
            return true;
          })
          .ok());
  EXPECT_EQ(checked, 76);
  EXPECT_EQ(sentences.size(), 22u) << "every sentence yields a statement";
}

TEST_F(SeedTest, WhoSaysNorthKoreaDeployedTroopsToRussiaAndWhoDeniesIt) {
  auto claimants = Claimants(kDeployed);
  EXPECT_THAT(claimants[storage::Polarity::kSupports],
              UnorderedElementsAre("nis", "presidential_office",
                                   "meeting_participants", "south_korea"));
  EXPECT_THAT(claimants[storage::Polarity::kOpposes],
              UnorderedElementsAre("russia", "north_korea", "kremlin"));
  // Quoted, not asserted: the article never states it in its own voice.
  EXPECT_EQ(
      reader().GetStatement(storage::StatementIdOf(kDeployed))->live_provenance,
      0u);
  // With what numbers: the NIS's, in its sentence.
  std::map<std::string, std::string> numbers;
  for (const auto& q :
       Match(Term::Quoted(kDeployed), std::nullopt, std::nullopt)) {
    if (q.object.kind != Term::Kind::kLiteral) continue;
    numbers[q.relation] = q.object.literal.lexical;
    auto who = Match(std::nullopt, "reported", Term::StatementId(q.id));
    ASSERT_EQ(who.size(), 1u);
    EXPECT_EQ(who[0].subject.id, "nis");
    EXPECT_EQ(Evidence(who[0]),
              "According to the NIS, North Korea is believed to have deployed "
              "four brigades, totaling approximately 12,000 soldiers, which "
              "includes special forces.");
  }
  EXPECT_THAT(numbers, ElementsAre(::testing::Pair("brigade_count", "4"),
                                   ::testing::Pair("troop_count", "12000")));
  // The Kremlin's denial, in its own sentence.
  auto kremlin = Match(Term::Entity("kremlin"), "rejected", std::nullopt);
  ASSERT_EQ(kremlin.size(), 1u);
  EXPECT_EQ(Evidence(kremlin[0]),
            "The Kremlin has specifically rejected assertions from South Korea "
            "regarding the presence of North Korean troops, emphasizing that "
            "such allegations are unfounded.");
}

TEST_F(SeedTest, WhatNatoSays) {
  auto said = Match(Term::Entity("nato_officials"), "found_no_evidence_of",
                    std::nullopt);
  ASSERT_EQ(said.size(), 2u);
  std::set<std::string> what;
  for (const auto& st : said) {
    auto quoted = reader().GetStatement(st.object.id);
    what.insert(quoted->relation + " " + quoted->object.id);
    EXPECT_EQ(Evidence(st),
              "However, NATO officials have stated that there is no concrete "
              "evidence of North Korean involvement.");
  }
  EXPECT_THAT(what,
              UnorderedElementsAre(
                  "involved_in war_in_ukraine",
                  "has_forces_operating_in russian_occupied_territories"));
}

TEST_F(SeedTest, WhatNorthKoreaAndRussiaAgreedAndWhen) {
  auto agreed = Match(Term::Entity("north_korea"), "agreed_with", std::nullopt);
  ASSERT_EQ(agreed.size(), 1u);
  EXPECT_EQ(agreed[0].object.id, "russia");
  auto records = reader().GetProvenance(agreed[0].id, false);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].input.valid_time.start, storage::ParseDate("2023"));
  EXPECT_THAT(
      (*records)[0].input.evidence,
      ::testing::StartsWith("North Korea’s and Russia’s recent "
                            "cooperation intensified following a "
                            "summit in the Russian Far East last year"));
  auto signed_on =
      Match(Term::Entity("strategic_agreement"), "signed_on", std::nullopt);
  ASSERT_EQ(signed_on.size(), 1u);
  EXPECT_EQ(signed_on[0].object.literal.lexical, "2024-06");
  auto signers =
      Match(std::nullopt, "signed", Term::Entity("strategic_agreement"));
  std::set<std::string> who;
  for (const auto& s : signers) who.insert(s.subject.id);
  EXPECT_THAT(who, UnorderedElementsAre("north_korea", "russia"));
}

TEST_F(SeedTest, WhoConvenedTheEmergencyMeeting) {
  auto convened = Match(std::nullopt, "convened",
                        Term::Entity("emergency_security_meeting"));
  ASSERT_EQ(convened.size(), 1u);
  EXPECT_EQ(convened[0].subject.id, "yoon_suk_yeol");
  EXPECT_THAT(Evidence(convened[0]),
              ::testing::StartsWith("President Yoon Suk Yeol convened an "
                                    "emergency security meeting on Friday"));
  auto when = Match(Term::Entity("emergency_security_meeting"), "held_on",
                    std::nullopt);
  ASSERT_EQ(when.size(), 1u);
  EXPECT_EQ(when[0].object.literal.lexical, "2024-10-18");
}

TEST_F(SeedTest, WhatHappenedInDonetsk) {
  auto in_donetsk =
      Match(std::nullopt, "located_in", Term::Entity("donetsk_region"));
  ASSERT_EQ(in_donetsk.size(), 1u);
  EXPECT_EQ(in_donetsk[0].subject.id, "donetsk_missile_strike");
  std::map<std::string, std::string> facts;
  for (const auto& st : Match(Term::Entity("donetsk_missile_strike"),
                              std::nullopt, std::nullopt)) {
    facts[st.relation] = st.object.kind == Term::Kind::kLiteral
                             ? st.object.literal.lexical
                             : st.object.id;
  }
  EXPECT_EQ(facts["carried_out_by"], "ukraine");
  EXPECT_EQ(facts["north_korean_deaths"], "6");
  EXPECT_EQ(facts["occurred_in"], "2024-10");
  EXPECT_EQ(Evidence(in_donetsk[0]),
            "Earlier reports indicated that six North Korean individuals were "
            "killed in a Ukrainian missile strike in the eastern Donetsk "
            "region earlier this month.");
}

TEST_F(SeedTest, WhichClaimsAreContested) {
  std::set<std::string> contested;
  ASSERT_TRUE(
      reader()
          .ForEachStatement([&](storage::NodeId, const storage::Statement& st) {
            bool supports = false, opposes = false;
            for (const auto& claim :
                 Match(std::nullopt, std::nullopt, Term::StatementId(st.id))) {
              auto r = reader().GetRelation(claim.relation);
              supports |= r->polarity == storage::Polarity::kSupports;
              opposes |= r->polarity == storage::Polarity::kOpposes;
            }
            if (supports && opposes) {
              contested.insert(st.subject.id + " " + st.relation + " " +
                               st.object.id);
            }
            return true;
          })
          .ok());
  // Deployment: the NIS and Seoul against Moscow, Pyongyang and the
  // Kremlin. Weapons: South Korean and U.S. officials against both
  // capitals. Forces in occupied Ukraine: Zelenskyy against NATO officials.
  EXPECT_THAT(contested,
              UnorderedElementsAre("north_korea deployed_troops_to russia",
                                   "north_korea supplied_weapons_to russia",
                                   "north_korea has_forces_operating_in "
                                   "russian_occupied_territories"));
}

}  // namespace
}  // namespace kg::server
