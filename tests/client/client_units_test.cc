// Unit tests of kgctl's pieces that need no server: the term syntax, text
// layout, the RDF mapping, the JSON Lines reader and the progress line.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/checkpoint_download.h"
#include "client/format.h"
#include "client/progress.h"
#include "client/rdf_mapping.h"
#include "client/record_reader.h"
#include "client/term_syntax.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "openssl/sha.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- Term syntax ----

TEST(TermSyntaxTest, ParsesEntitiesStatementsAndLiterals) {
  auto t = ParseTerm("north_korea");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->entity(), "north_korea");
  t = ParseTerm("North Korea");  // one shell word with a space
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->entity(), "North Korea");
  t = ParseTerm("\"North Korea\"");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->entity(), "North Korea");
  t = ParseTerm("s0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->statement_id(), "s0123456789abcdef0123456789abcdef");
  t = ParseTerm("entity:s0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->entity(), "s0123456789abcdef0123456789abcdef");
  t = ParseTerm("int:-12000");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->literal().integer_value(), -12000);
  t = ParseTerm("dec:1.50");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->literal().decimal_value(), "1.50");
  t = ParseTerm("date:2024-06");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->literal().date_value(), "2024-06");
  t = ParseTerm("str:two words");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->literal().string_value(), "two words");
  t = ParseTerm("str:\"say \\\"hi\\\"\"");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->literal().string_value(), "say \"hi\"");
}

TEST(TermSyntaxTest, ParsesNestedQuotedStatements) {
  auto t = ParseTerm(
      "<<nis reported <<<<north_korea deployed_troops_to russia>> "
      "troop_count int:12000>>>>");
  ASSERT_TRUE(t.ok()) << t.status();
  const kg::v1::Triple& outer = t->quoted();
  EXPECT_EQ(outer.subject().entity(), "nis");
  EXPECT_EQ(outer.relation(), "reported");
  const kg::v1::Triple& mid = outer.object().quoted();
  EXPECT_EQ(mid.relation(), "troop_count");
  EXPECT_EQ(mid.object().literal().integer_value(), 12000);
  EXPECT_EQ(mid.subject().quoted().subject().entity(), "north_korea");
  EXPECT_EQ(mid.subject().quoted().object().entity(), "russia");

  t = ParseTerm("  <<\"North Korea\" allied_with str:\"a >> b\">>  ");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->quoted().subject().entity(), "North Korea");
  EXPECT_EQ(t->quoted().object().literal().string_value(), "a >> b");
}

TEST(TermSyntaxTest, MalformedTermsNameTheProblem) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"<<a r b", "expected '>>'"},
           {"<<a r", "missing term"},
           {"<<a>>", "missing relation"},
           {"<<a r b>> x", "unexpected text"},
           {"int:12k", "not a 64-bit integer"},
           {"dec:1.", "not a decimal"},
           {"date:2024-6", "not a date"},
           {"\"open", "unclosed double quote"},
           {"", "empty term"},
           {"<<<<<<<<<<<<<<<<<<a r b>> r b>> r b>> r b>> r b>> r b>> r b>> "
            "r b>> r b>>",
            "nest at most 8"}}) {
    auto t = ParseTerm(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(c.error))
        << c.text;
  }
  EXPECT_FALSE(ParseStatementTerm("north_korea").ok());
  EXPECT_TRUE(ParseStatementTerm("<<a r b>>").ok());
}

TEST(TermSyntaxTest, FormatReadsBack) {
  for (const char* text :
       {"north_korea", "\"North Korea\"", "int:12000", "dec:-1.5",
        "date:2024-06-13", "str:word", "str:\"two words\"",
        "str:\"quote \\\" and \\\\\"", "entity:int:5",
        "s0123456789abcdef0123456789abcdef",
        "<<nis reported <<<<north_korea deployed_troops_to russia>> "
        "troop_count int:12000>>>>",
        "<<\"North Korea\" \"odd relation\" str:\"a >> b\">>"}) {
    auto t = ParseTerm(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status();
    const std::string formatted = FormatTerm(*t);
    auto again = ParseTerm(formatted);
    ASSERT_TRUE(again.ok()) << formatted;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*t, *again))
        << text << " -> " << formatted;
  }
  auto entity_like_prefix = ParseTerm("entity:int:5");
  ASSERT_TRUE(entity_like_prefix.ok());
  EXPECT_EQ(entity_like_prefix->entity(), "int:5");
  EXPECT_EQ(FormatTerm(*entity_like_prefix), "\"int:5\"");
}

// ---- Layout ----

TEST(FormatTest, Utf8ValidationAndCodePoints) {
  size_t bad = 0;
  EXPECT_TRUE(IsValidUtf8("Russia\xE2\x80\x99s"));
  EXPECT_FALSE(IsValidUtf8("ab\xFF", &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x80"));          // truncated
  EXPECT_EQ(CodePoints("Russia\xE2\x80\x99s"), 8u);
  EXPECT_EQ(PrefixCodePoints("\xE2\x80\x99"
                             "abc",
                             2),
            "\xE2\x80\x99"
            "a");
}

TEST(FormatTest, WrapKeepsWordsAndSplitsOnlyOverlongOnes) {
  EXPECT_THAT(WrapText("the quick brown fox jumps", 10),
              ElementsAre("the quick", "brown fox", "jumps"));
  EXPECT_THAT(WrapText("abcdefghijklmnopqrstuvwxy z", 10),
              ElementsAre("abcdefghij", "klmnopqrst", "uvwxy z"));
  EXPECT_THAT(WrapText("one\ntwo", 80), ElementsAre("one", "two"));
  EXPECT_THAT(WrapText("", 80), ElementsAre(""));
  EXPECT_EQ(Indented("aaa bbb ccc", "  ", 12), "  aaa bbb\n  ccc\n");
}

TEST(FormatTest, TablesAlignAndWrapTheWidestColumnButNotIds) {
  Table t({"ID", "LABEL", "TYPE"});
  t.AddRow({"north_korea", "North Korea", "Country"});
  t.AddRow(
      {"nis", "National Intelligence Service of South Korea", "Organization"});
  EXPECT_EQ(t.Render(kNoWrap),
            "ID           LABEL                                         TYPE\n"
            "north_korea  North Korea                                   "
            "Country\n"
            "nis          National Intelligence Service of South Korea  "
            "Organization\n");
  EXPECT_EQ(t.Render(50),
            "ID           LABEL                    TYPE\n"
            "north_korea  North Korea              Country\n"
            "nis          National Intelligence    Organization\n"
            "             Service of South Korea\n");
  EXPECT_EQ(Fields({{"id", "x"}, {"empty", ""}, {"label", "a b c"}}, 80),
            "id     x\nlabel  a b c\n");
}

TEST(FormatTest, NamesAndNumbers) {
  EXPECT_EQ(FormatDouble(0.7), "0.7");
  EXPECT_EQ(FormatDouble(1), "1");
  EXPECT_EQ(FormatDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Thousands(1234567), "1,234,567");
  EXPECT_EQ(Thousands(12), "12");
  kg::v1::ValidTime v;
  v.set_start("2024-06");
  EXPECT_EQ(ValidTimeText(v), "since 2024-06");
  v.set_end("2024-10");
  EXPECT_EQ(ValidTimeText(v), "2024-06..2024-10");
  EXPECT_EQ(HedgeName(kg::v1::HEDGE_UNCONFIRMED), "unconfirmed");
  EXPECT_EQ(PolarityName(kg::v1::POLARITY_OPPOSES), "opposes");
}

TEST(ProgressTest, LineShowsBarRateAndEta) {
  EXPECT_EQ(Progress::Line(512 << 10, 1 << 20, 5000, absl::Seconds(2), 100),
            "[##########..........]  50%  512.0 KiB/1.0 MiB  5,000 records  "
            "2,500/s  ETA 0:02");
  EXPECT_EQ(Progress::Line(2048, 0, 10, absl::Seconds(5), 100),
            "2.0 KiB  10 records  2/s  0:05");
}

// ---- RDF mapping ----

constexpr char kBase[] = "https://kg.invalid/";

// Runs both import passes over `quads` (each on its own line) and returns
// the records, in the order the importer would send them.
absl::StatusOr<std::vector<kg::v1::Record>> Import(
    const std::vector<rdf::Quad>& quads, const std::string& document = "d") {
  const KgIris iris(kBase);
  RdfImport in(iris, document);
  for (size_t i = 0; i < quads.size(); ++i) {
    absl::Status s = in.Collect(quads[i], static_cast<int64_t>(i) + 1);
    if (!s.ok()) return s;
  }
  std::vector<kg::v1::Record> out;
  absl::Status s = in.Finish(
      [&](kg::v1::Record r, int64_t) {
        out.push_back(std::move(r));
        return absl::OkStatus();
      },
      [](int64_t) { return false; });
  if (!s.ok()) return s;
  for (size_t i = 0; i < quads.size(); ++i) {
    kg::v1::StatementInput st;
    std::string document;
    absl::StatusOr<bool> data =
        in.Data(quads[i], static_cast<int64_t>(i) + 1, &st, &document);
    if (!data.ok()) return data.status();
    if (!document.empty())
      out.emplace_back().mutable_document()->set_id(document);
    if (*data) *out.emplace_back().mutable_statement() = st;
  }
  if (s = in.CheckRestated(); !s.ok()) return s;
  return out;
}

// Each row: subject, predicate, object and, when given, the graph.
absl::StatusOr<std::vector<kg::v1::Record>> ImportTerms(
    const std::vector<std::vector<rdf::Term>>& rows,
    const std::string& document = "d") {
  std::vector<rdf::Quad> quads;
  for (const auto& r : rows) {
    quads.push_back(rdf::Quad{
        r[0], r[1], r[2],
        r.size() > 3 ? std::optional<rdf::Term>(r[3]) : std::nullopt});
  }
  return Import(quads, document);
}

rdf::Term I(const std::string& iri) { return rdf::Term::Iri(iri); }
rdf::Term K(const std::string& path) { return I(kBase + path); }

TEST(RdfMappingTest, DataTriplesBecomeStatementsOfTheirGraphsDocument) {
  const rdf::Term s = rdf::Term::Blank("b1");
  auto records = ImportTerms({
      {s, I("http://ex/p"), rdf::Term::Literal("chat", "", "fr")},
      {I("http://ex/a"), I("http://ex/q"),
       rdf::Term::Literal("01", std::string(rdf::kXsdNs) + "integer"),
       I("http://ex/g")},
      {I("http://ex/a"), I("http://ex/r"),
       rdf::Term::TripleTerm(
           rdf::Triple{s, I("http://ex/p"), I("http://ex/o")}),
       rdf::Term::Blank("g2")},
  });
  ASSERT_TRUE(records.ok()) << records.status();
  // Each statement after its graph's data document (default graph "d",
  // <http://ex/g>, _:g2).
  ASSERT_EQ(records->size(), 6u);
  EXPECT_EQ((*records)[0].document().id(), "d");
  EXPECT_EQ((*records)[2].document().id(), "http://ex/g");
  EXPECT_EQ((*records)[4].document().id(), "_:g2");
  const kg::v1::StatementInput& first = (*records)[1].statement();
  EXPECT_EQ(first.triple().subject().blank_node(), "b1");
  EXPECT_EQ(first.triple().relation(), "http://ex/p");
  EXPECT_EQ(first.triple().object().literal().rdf().language(), "fr");
  EXPECT_EQ(first.triple().object().literal().rdf().datatype(), "");
  EXPECT_EQ(first.provenance(0).document_id(), "d");
  EXPECT_EQ(first.provenance(0).evidence(), "");
  const kg::v1::StatementInput& second = (*records)[3].statement();
  EXPECT_EQ(second.triple().object().literal().rdf().lexical_form(), "01");
  EXPECT_EQ(second.provenance(0).document_id(), "http://ex/g");
  const kg::v1::StatementInput& third = (*records)[5].statement();
  EXPECT_TRUE(third.triple().object().has_quoted());
  EXPECT_EQ(third.triple().object().quoted().subject().blank_node(), "b1");
  EXPECT_EQ(third.provenance(0).document_id(), "_:g2");
}

// Export writes kg's records; import reads them back unchanged, whatever
// the order of the quads.
TEST(RdfMappingTest, ExportedRecordsImportBackInAnyOrder) {
  kg::v1::Entity e;
  e.set_id("kremlin");
  e.set_label("Kremlin");
  e.set_type("Organization");
  e.add_aliases("Moscow");
  kg::v1::Relation r;
  r.set_id("denied");
  r.set_label("denied");
  r.set_polarity(kg::v1::POLARITY_OPPOSES);
  kg::v1::Document d;
  d.set_id("a1");
  d.set_title("Report");
  d.set_text("The Kremlin denied it.");
  kg::v1::Statement quoted;
  quoted.set_id("sq");
  quoted.mutable_subject()->mutable_entity()->set_id("kremlin");
  quoted.set_relation("http://ex/said");
  quoted.mutable_object()->mutable_literal()->set_integer_value(12000);
  kg::v1::Statement st;
  st.set_id("ss");
  *st.mutable_subject()->mutable_entity() = e;
  st.set_relation("denied");
  st.mutable_object()->set_statement_id("sq");
  kg::v1::Provenance p;
  p.set_document_id("a1");
  p.set_evidence_start(4);
  p.set_evidence_end(11);
  p.set_evidence("Kremlin");
  p.set_hedge(kg::v1::HEDGE_REPORTEDLY);
  p.set_confidence(0.75);
  p.mutable_valid_time()->set_start("2024-10");

  std::string text;
  {
    rdf::Writer writer(rdf::Format::kNQuads, &text);
    const KgIris iris(kBase);
    RdfExport out(iris, /*graphs=*/true, "", &writer);
    ASSERT_TRUE(out.Entity(e).ok());
    ASSERT_TRUE(out.Relation(r).ok());
    ASSERT_TRUE(out.Document(d).ok());
    ASSERT_TRUE(out.Statement(st, {p},
                              [&](const std::string& id) {
                                return id == "sq" ? &quoted : nullptr;
                              })
                    .ok());
    writer.Finish();
  }
  EXPECT_THAT(text, HasSubstr("<https://kg.invalid/statement/ss> "
                              "<http://www.w3.org/1999/02/22-rdf-syntax-ns#"
                              "reifies> <<( "));
  EXPECT_THAT(text, HasSubstr("<https://kg.invalid/entity/kremlin> "
                              "<https://kg.invalid/relation/denied> <<( "));
  std::vector<rdf::Quad> quads;
  ASSERT_TRUE(rdf::Read(rdf::Format::kNQuads, text, {},
                        [&](const rdf::Quad& q, const rdf::Position&) {
                          quads.push_back(q);
                          return absl::OkStatus();
                        })
                  .ok());
  std::reverse(quads.begin(), quads.end());  // order does not matter
  auto records = Import(quads);
  ASSERT_TRUE(records.ok()) << records.status();
  // Entity, relation, document, and one statement with its record; the
  // restated quad in the text document's graph adds nothing.
  ASSERT_EQ(records->size(), 4u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      (*records)[0].entity(), e));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      (*records)[1].relation(), r));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      (*records)[2].document(), d));
  const kg::v1::StatementInput& in = (*records)[3].statement();
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(in.provenance(0), p))
      << in.provenance(0).ShortDebugString();
  EXPECT_EQ(in.triple().relation(), "https://kg.invalid/relation/denied");
  EXPECT_EQ(
      in.triple().object().quoted().object().literal().rdf().lexical_form(),
      "12000");
}

TEST(RdfMappingTest, IncompleteOrInconsistentDescriptionsAreErrors) {
  const std::string rdfs = "http://www.w3.org/2000/01/rdf-schema#";
  auto no_type = ImportTerms(
      {{K("entity/x"), I(rdfs + "label"), rdf::Term::Literal("X")}});
  EXPECT_THAT(no_type.status().message(),
              HasSubstr("line 1: entity <https://kg.invalid/entity/x> needs "
                        "rdf:type and rdfs:label"));
  auto bad_start =
      ImportTerms({{K("provenance/s1/a/0-1"), K("ns#evidenceStart"),
                    rdf::Term::Literal("-3")}});
  EXPECT_THAT(bad_start.status().message(),
              HasSubstr("kg:evidenceStart must be a non-negative integer"));
  auto undeclared = ImportTerms({
      {K("provenance/s1/a/0-1"), K("ns#statement"), K("statement/s1")},
      {K("provenance/s1/a/0-1"), K("ns#document"), K("document/a")},
      {K("provenance/s1/a/0-1"), K("ns#evidenceStart"),
       rdf::Term::Literal("0")},
      {K("provenance/s1/a/0-1"), K("ns#evidenceEnd"), rdf::Term::Literal("1")},
  });
  EXPECT_THAT(undeclared.status().message(),
              HasSubstr("has no rdf:reifies <<( s p o )>> in the file"));
  // A triple in a text document's graph that no record backs.
  auto unbacked = ImportTerms({
      {K("document/a"), K("ns#text"), rdf::Term::Literal("Some text.")},
      {I("http://ex/s"), I("http://ex/p"), I("http://ex/o"), K("document/a")},
  });
  EXPECT_THAT(unbacked.status().message(),
              HasSubstr("line 2: a triple in the graph of a text document "
                        "with no provenance record"));
  // Labels with a language tag are data, not an entity record: nothing is
  // dropped.
  auto tagged = ImportTerms(
      {{K("entity/x"), I(rdfs + "label"), rdf::Term::Literal("X", "", "en")}});
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  ASSERT_EQ(tagged->size(), 2u);
  EXPECT_EQ(
      (*tagged)[1].statement().triple().object().literal().rdf().language(),
      "en");
}

// ---- Import line readers ----

TEST(RecordReaderTest, JsonlLinesBecomeRecordsOrReasons) {
  std::vector<Item> items;
  ReadJsonlLine("  \r\n", 1, &items);  // blank: nothing
  EXPECT_TRUE(items.empty());
  ReadJsonlLine(R"({"entity": {"id": "x", "label": "X"}})"
                "\r\n",
                2, &items);
  ReadJsonlLine("{\"entity\": {\"id\": \"\xc3\x28\"}}", 3, &items);
  ReadJsonlLine("{}", 4, &items);
  ReadJsonlLine(R"({"entity": {"nickname": "X"}})", 5, &items);
  ASSERT_EQ(items.size(), 4u);
  ASSERT_TRUE(items[0].record.has_value());
  EXPECT_EQ(items[0].line, 2);
  EXPECT_EQ(items[0].record->entity().label(), "X");
  EXPECT_EQ(items[1].error, "invalid UTF-8 at byte 20");
  EXPECT_THAT(items[2].error, HasSubstr("empty record"));
  EXPECT_EQ(items[3].line, 5);
  EXPECT_THAT(items[3].error, HasSubstr("not a kg.v1.Record in JSON"));
}

// A checkpoint's stream, message by message, as CheckpointReceiver takes
// it: a good one arrives whole; each kind of wrong one is DATA_LOSS naming
// what is wrong.
using Message = kg::v1::FetchCheckpointResponse;

Message Begin(const std::string& name, uint64_t size) {
  Message m;
  m.mutable_file_begin()->set_name(name);
  m.mutable_file_begin()->set_size(size);
  return m;
}
Message Data(const std::string& bytes) {
  Message m;
  m.set_data(bytes);
  return m;
}
Message End(const std::string& bytes_sent) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes_sent.data()),
         bytes_sent.size(), digest);
  Message m;
  m.mutable_file_end()->set_sha256(
      std::string(reinterpret_cast<const char*>(digest), sizeof(digest)));
  return m;
}
Message Done(uint32_t files, uint64_t bytes, uint64_t position = 0) {
  Message m;
  m.mutable_end()->set_files(files);
  m.mutable_end()->set_bytes(bytes);
  m.mutable_end()->set_log_position(position);
  return m;
}

// Takes `messages` in order; the first error, or Finish's.
absl::StatusOr<DownloadedCheckpoint> Receive(
    const std::string& dir, const std::vector<Message>& messages) {
  std::filesystem::create_directories(dir);
  CheckpointReceiver receiver(dir);
  for (const Message& m : messages) {
    absl::Status status = receiver.Take(m);
    if (!status.ok()) return status;
  }
  return receiver.Finish();
}

// A real kg-server that stops sending (paused with SIGSTOP) is given up
// once it has sent nothing for the stall time, and leaves nothing behind;
// resumed, it serves the same call.
TEST(CheckpointDownloadTest, APeerThatSendsNothingIsGivenUp) {
  testing::ScopedTempDir dir;
  testing::ServerProcess server(dir.Sub("data"), dir.path());
  ASSERT_TRUE(server.started());
  ConnectionOptions options;
  options.server = server.address();
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->WaitForConnected().ok());
  server.process().Signal(SIGSTOP);
  const std::string copy = dir.Sub("copy");
  const absl::Time began = absl::Now();
  absl::StatusOr<DownloadedCheckpoint> got =
      DownloadCheckpoint(**conn, copy, nullptr, absl::Seconds(1));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDeadlineExceeded)
      << got.status();
  EXPECT_THAT(got.status().message(),
              HasSubstr(server.address() + " sent nothing for 1s"));
  EXPECT_LT(absl::Now() - began, absl::Seconds(20));
  EXPECT_FALSE(std::filesystem::exists(copy));
  EXPECT_FALSE(std::filesystem::exists(copy + ".partial"));
  const std::string payload = dir.Sub("payload");
  const absl::Status fetched =
      DownloadLogPayload(**conn, "x.payload", payload, absl::Seconds(1));
  EXPECT_EQ(fetched.code(), absl::StatusCode::kDeadlineExceeded) << fetched;
  EXPECT_FALSE(std::filesystem::exists(payload));
  EXPECT_FALSE(std::filesystem::exists(payload + ".stream"));

  server.process().Signal(SIGCONT);
  got = DownloadCheckpoint(**conn, copy, nullptr, absl::Seconds(10));
  EXPECT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(std::filesystem::exists(copy + "/CURRENT"));
}

TEST(CheckpointReceiverTest, AWholeCheckpointArrivesAsSent) {
  testing::ScopedTempDir dir;
  absl::StatusOr<DownloadedCheckpoint> got = Receive(
      dir.Sub("ok"), {Begin("CURRENT", 16), Data("MANIFEST-"), Data("000005\n"),
                      End("MANIFEST-000005\n"), Begin("000011.sst", 3),
                      Data("abc"), End("abc"), Done(2, 19, 42)});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->files, 2u);
  EXPECT_EQ(got->bytes, 19u);
  EXPECT_EQ(got->log_position, 42u);
  std::ifstream in(dir.Sub("ok") + "/CURRENT");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "MANIFEST-000005\n");
}

TEST(CheckpointReceiverTest, EachKindOfWrongStreamIsDataLoss) {
  const Message current[] = {Begin("CURRENT", 3), Data("abc"), End("abc")};
  struct Case {
    std::string name;
    std::vector<Message> messages;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"bytes outside a file", {Data("abc")}, "bytes outside a file"},
      {"a file within a file",
       {Begin("a", 3), Begin("b", 1)},
       "began \"b\" within another file"},
      {"a path", {Begin("../etc/passwd", 1)}, "not one plain name"},
      {"dot dot", {Begin("..", 1)}, "not one plain name"},
      {"no name", {Begin("", 1)}, "not one plain name"},
      {"a file twice",
       {current[0], current[1], current[2], Begin("CURRENT", 3)},
       "sent \"CURRENT\" twice"},
      {"more than announced",
       {Begin("CURRENT", 2), Data("abc")},
       "more than the 2 bytes"},
      {"fewer than announced",
       {Begin("CURRENT", 4), Data("abc"), End("abc")},
       "sent 3 bytes"},
      {"another digest",
       {Begin("CURRENT", 3), Data("abc"), End("abd")},
       "another SHA-256"},
      {"an end never begun", {End("")}, "never began"},
      {"the end within a file",
       {Begin("CURRENT", 3), Done(0, 0)},
       "within a file"},
      {"after the end",
       {current[0], current[1], current[2], Done(1, 3), Data("x")},
       "after the end"},
      {"no end",
       {current[0], current[1], current[2]},
       "without the checkpoint's end"},
      {"other counts",
       {current[0], current[1], current[2], Done(2, 3)},
       "said it sent 2 files of 3 bytes; 1 files of 3 bytes arrived"},
      {"not a store",
       {Begin("x.sst", 3), Data("abc"), End("abc"), Done(1, 3)},
       "no CURRENT file"},
      {"a kind not known", {Message()}, "not known here"},
  };
  testing::ScopedTempDir dir;
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<DownloadedCheckpoint> got =
        Receive(dir.Sub(absl::StrCat("case", ++n)), c.messages);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
    EXPECT_THAT(got.status().message(), HasSubstr(c.says));
  }
  // A name with a slash never makes a file outside the directory.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/etc"));
}

}  // namespace
}  // namespace kg::client
