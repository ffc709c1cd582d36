// The log entry codec: every field of a batch comes back, and bytes that
// are not an entry (cut short, damaged, a newer version) are DATA_LOSS.
#include "replica/entry.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_util.h"

namespace kg::replica {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;
using storage::Term;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Entry EveryField() {
  Entry e;
  e.at = absl::FromUnixMicros(1733580000123456);
  storage::WriteBatch& b = e.batch;
  b.entity_mode = storage::WriteBatch::EntityMode::kReplace;
  b.shared_names = true;
  b.entities = {{"north_korea", "North Korea", "Country", {"DPRK", "북한"}},
                {"x", "", "", {}}};
  storage::EntityEdit edit;
  edit.id = "x";
  edit.label = "X";
  edit.add_aliases = {"ex"};
  edit.remove_aliases = {"old"};
  b.entity_edits = {edit, storage::EntityEdit{"y", std::nullopt, "T", {}, {}}};
  b.relations = {
      {"denied", "denied", false, storage::Polarity::kOpposes},
      {"allied_with", "allied with", true, storage::Polarity::kNone}};
  b.documents = {{"doc1", "Title", "Pub", storage::ParseDate("2024-10"),
                  "Text with ümlauts."},
                 {"https://example.org/g", "", "", std::nullopt, ""}};
  storage::StatementInput st;
  const storage::Triple inner{Term::Entity("north_korea"), "sent_troops_to",
                              Term::Iri("https://example.org/russia")};
  st.triple = storage::Triple{
      Term::Blank("b1"), "https://example.org/says",
      Term::Quoted(storage::Triple{Term::Quoted(inner), "denied",
                                   Term::StatementId("s0123")})};
  storage::ProvenanceInput p;
  p.document_id = "doc1";
  p.evidence_start = 5;
  p.evidence_end = 9;
  p.evidence = "with";
  p.hedge = storage::Hedge::kReportedly;
  p.confidence = 0.123456789;
  p.valid_time.start = storage::ParseDate("2024-10-01");
  st.provenance = {p, storage::ProvenanceInput()};
  b.statements.push_back(st);
  for (const Term& object :
       {Term::Literal(storage::LiteralType::kInteger, "+012"),
        Term::Literal(storage::LiteralType::kDate, "2024-10-18"),
        Term::RdfLiteral("030", "http://www.w3.org/2001/XMLSchema#integer"),
        Term::RdfLiteral("أليس", "", "ar", storage::LiteralDirection::kRtl),
        Term::RdfLiteral("plain", "")}) {
    storage::StatementInput lit;
    lit.triple = storage::Triple{Term::Entity("x"), "name", object};
    lit.provenance.push_back(p);
    b.statements.push_back(lit);
  }
  b.merges = {{"x", "north_korea"}};
  b.entity_deletes = {"y"};
  b.blank_scope = std::string("0123456789abcde\0", 16);
  return e;
}

TEST(EntryTest, EveryFieldComesBack) {
  const Entry e = EveryField();
  const std::string bytes = EncodeEntry(e);
  absl::StatusOr<Entry> got = DecodeEntry(bytes);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(EncodeEntry(*got), bytes);
  EXPECT_EQ(got->kind, Entry::Kind::kWrite);
  EXPECT_EQ(got->at, e.at);
  EXPECT_EQ(got->batch.replica.at, e.at);  // applied at the writer's time
  const storage::WriteBatch& b = got->batch;
  EXPECT_EQ(b.entity_mode, storage::WriteBatch::EntityMode::kReplace);
  EXPECT_TRUE(b.shared_names);
  EXPECT_EQ(b.entities, e.batch.entities);
  ASSERT_EQ(b.entity_edits.size(), 2u);
  EXPECT_EQ(b.entity_edits[0].label, "X");
  EXPECT_EQ(b.entity_edits[0].type, std::nullopt);
  EXPECT_EQ(b.entity_edits[0].remove_aliases, std::vector<std::string>{"old"});
  EXPECT_EQ(b.entity_edits[1].type, "T");
  EXPECT_EQ(b.relations, e.batch.relations);
  EXPECT_EQ(b.documents, e.batch.documents);
  ASSERT_EQ(b.statements.size(), 6u);
  const storage::Triple& t = b.statements[0].triple;
  EXPECT_EQ(t.subject.kind(), Term::Kind::kBlank);
  EXPECT_EQ(t.subject.id(), "b1");
  ASSERT_NE(t.object.triple(), nullptr);
  ASSERT_NE(t.object.triple()->subject.triple(), nullptr);
  EXPECT_EQ(t.object.triple()->subject.triple()->object.id(),
            "https://example.org/russia");
  EXPECT_EQ(t.object.triple()->object.triple(), nullptr);
  EXPECT_EQ(t.object.triple()->object.id(), "s0123");
  const storage::ProvenanceInput& p = b.statements[0].provenance[0];
  EXPECT_EQ(p.evidence, "with");
  EXPECT_EQ(p.evidence_end, 9u);
  EXPECT_EQ(p.hedge, storage::Hedge::kReportedly);
  EXPECT_EQ(p.confidence, 0.123456789);
  EXPECT_EQ(p.valid_time, e.batch.statements[0].provenance[0].valid_time);
  EXPECT_EQ(b.statements[1].triple.object.literal(),
            e.batch.statements[1].triple.object.literal());
  EXPECT_EQ(b.statements[4].triple.object.literal().direction,
            storage::LiteralDirection::kRtl);
  EXPECT_EQ(b.merges[0].into, "north_korea");
  EXPECT_EQ(b.entity_deletes, std::vector<std::string>{"y"});
  EXPECT_EQ(b.blank_scope, e.batch.blank_scope);

  Entry retract;
  retract.kind = Entry::Kind::kRetract;
  retract.at = e.at;
  retract.statement_id = "s00ff";
  retract.document_id = "doc1";
  got = DecodeEntry(EncodeEntry(retract));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->kind, Entry::Kind::kRetract);
  EXPECT_EQ(got->statement_id, "s00ff");
  EXPECT_EQ(got->document_id, "doc1");
}

TEST(EntryTest, AnEntryByReferenceComesBack) {
  Entry e;
  e.kind = Entry::Kind::kByReference;
  e.at = absl::FromUnixMicros(1729000000123456);
  e.bulk = true;
  e.payload = {"00000000000000000042-7.payload", 123456789,
               std::string(32, '\x5a'), "10.0.0.1:50051"};
  const std::string bytes = EncodeEntry(e);
  EXPECT_EQ(bytes[0], 2) << "written in codec version 2";
  absl::StatusOr<Entry> got = DecodeEntry(bytes);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->kind, Entry::Kind::kByReference);
  EXPECT_EQ(got->at, e.at);
  EXPECT_TRUE(got->bulk);
  EXPECT_EQ(got->payload.name, e.payload.name);
  EXPECT_EQ(got->payload.size, e.payload.size);
  EXPECT_EQ(got->payload.sha256, e.payload.sha256);
  EXPECT_EQ(got->payload.address, e.payload.address);
  // Other entries stay in version 1, which every kg that replicates reads.
  EXPECT_EQ(EncodeEntry(EveryField())[0], 1);
  // A version-1 entry of this kind is not one.
  std::string old = bytes;
  old[0] = 1;
  EXPECT_THAT(DecodeEntry(old), StatusIs(absl::StatusCode::kDataLoss));
}

// A payload file is its parts' records in order; a damaged one is
// DATA_LOSS naming where, and the parts before the damage are given.
TEST(EntryTest, PayloadPartsComeBackInOrderAndDamageIsDataLoss) {
  ::kg::testing::ScopedTempDir dir;
  const Entry every = EveryField();
  std::string file;
  for (int i = 0; i < 3; ++i) {
    file += EncodePayloadPart(
        PayloadPart{absl::StrCat("batches[", i, "]"), every.batch});
  }
  const std::string path = dir.Sub("p.payload");
  const auto write = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  };
  write(file);
  std::vector<std::string> names;
  ASSERT_THAT(ForEachPayloadPart(path,
                                 [&](PayloadPart part) {
                                   names.push_back(part.name);
                                   EXPECT_EQ(part.batch.statements.size(),
                                             every.batch.statements.size());
                                   EXPECT_EQ(part.batch.blank_scope,
                                             every.batch.blank_scope);
                                   return absl::OkStatus();
                                 }),
              IsOk());
  EXPECT_THAT(names, ElementsAre("batches[0]", "batches[1]", "batches[2]"));

  // Cut inside the last record: the first two, then DATA_LOSS.
  write(file.substr(0, file.size() - 5));
  names.clear();
  EXPECT_THAT(ForEachPayloadPart(path,
                                 [&](PayloadPart part) {
                                   names.push_back(part.name);
                                   return absl::OkStatus();
                                 }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cut off")));
  EXPECT_EQ(names.size(), 2u);
  // A record whose bytes do not decode.
  write(std::string("\x05\xff\xff\xff\xff\xff", 6));
  EXPECT_THAT(
      ForEachPayloadPart(path, [](PayloadPart) { return absl::OkStatus(); }),
      StatusIs(absl::StatusCode::kDataLoss));
  // The callback's error ends the walk and is returned.
  write(file);
  int calls = 0;
  EXPECT_THAT(ForEachPayloadPart(path,
                                 [&](PayloadPart) {
                                   ++calls;
                                   return absl::NotFoundError("stop");
                                 }),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stop")));
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(ForEachPayloadPart(dir.Sub("missing"),
                                 [](PayloadPart) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kInternal));
  // An empty file is a payload of no parts.
  write("");
  EXPECT_THAT(
      ForEachPayloadPart(
          path,
          [](PayloadPart) { return absl::NotFoundError("no part expected"); }),
      IsOk());
}

TEST(EntryTest, BytesThatAreNotAnEntryAreDataLoss) {
  const std::string bytes = EncodeEntry(EveryField());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeEntry(bytes.substr(0, n)),
                StatusIs(absl::StatusCode::kDataLoss))
        << "cut at " << n;
  }
  EXPECT_THAT(DecodeEntry(bytes + "x"), StatusIs(absl::StatusCode::kDataLoss,
                                                 HasSubstr("do not decode")));
  std::string newer = bytes;
  newer[0] = 3;
  EXPECT_THAT(
      DecodeEntry(newer),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("codec version 3; this kg reads versions 1 and 2")));
  std::string kind = bytes;
  kind[1] = 9;
  EXPECT_THAT(DecodeEntry(kind), StatusIs(absl::StatusCode::kDataLoss));
  // Quoted triples nested past any store's limit.
  storage::Triple deep{Term::Entity("a"), "r", Term::Entity("b")};
  for (int i = 0; i < 100; ++i) {
    deep = storage::Triple{Term::Quoted(deep), "r", Term::Entity("b")};
  }
  Entry e;
  e.batch.statements.push_back({deep, {storage::ProvenanceInput()}});
  EXPECT_THAT(DecodeEntry(EncodeEntry(e)),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace kg::replica
