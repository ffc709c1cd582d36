// Unit tests of kgctl's pieces that need no server: the term syntax, text
// layout, the RDF mapping, the import line readers and the progress line.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/format.h"
#include "client/progress.h"
#include "client/rdf.h"
#include "client/record_reader.h"
#include "client/term_syntax.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

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

std::vector<rdf::Item> Build(
    const std::vector<std::vector<rdf::Term>>& triples) {
  rdf::RecordBuilder builder;
  std::vector<rdf::Item> items;
  int64_t line = 0;
  for (const auto& t : triples) {
    builder.Add(t[0], t[1], t[2], t.size() > 3 ? &t[3] : nullptr, ++line,
                &items);
  }
  builder.Finish(&items);
  return items;
}

rdf::Term I(const std::string& iri) {
  rdf::Term t;
  t.value = iri;
  return t;
}
rdf::Term L(const std::string& text, const std::string& type = "") {
  rdf::Term t;
  t.kind = rdf::Term::Kind::kLiteral;
  t.value = text;
  t.datatype = type;
  return t;
}

TEST(RdfTest, LiteralsAreEscapedAndTyped) {
  EXPECT_EQ(rdf::Literal("a\"b\\c\nd\te\x01", ""),
            "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
  EXPECT_EQ(rdf::DateLiteral("2024"),
            "\"2024\"^^<http://www.w3.org/2001/XMLSchema#gYear>");
  EXPECT_EQ(rdf::DateLiteral("2024-06"),
            "\"2024-06\"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>");
  EXPECT_EQ(rdf::DateLiteral("2024-06-13"),
            "\"2024-06-13\"^^<http://www.w3.org/2001/XMLSchema#date>");
  kg::v1::Literal l;
  l.set_integer_value(12000);
  EXPECT_EQ(rdf::KgLiteral(l),
            "\"12000\"^^<http://www.w3.org/2001/XMLSchema#integer>");
  l.set_string_value("x");
  EXPECT_EQ(rdf::KgLiteral(l),
            "\"x\"^^<http://www.w3.org/2001/XMLSchema#string>");
}

TEST(RdfTest, WriterAndBuilderAgreeOnAStatementBlock) {
  kg::v1::Statement quoted;
  quoted.set_id("s11111111111111111111111111111111");
  quoted.mutable_subject()->mutable_entity()->set_id("north_korea");
  quoted.set_relation("deployed_troops_to");
  quoted.mutable_object()->mutable_entity()->set_id("russia");
  kg::v1::Statement claim;
  claim.set_id("s22222222222222222222222222222222");
  claim.mutable_subject()->mutable_entity()->set_id("nis");
  claim.set_relation("reported");
  claim.mutable_object()->set_statement_id(quoted.id());
  kg::v1::Provenance p;
  p.set_document_id("seed_article");
  p.set_evidence_start(424);
  p.set_evidence_end(430);
  p.set_evidence("Accord");
  p.set_hedge(kg::v1::HEDGE_BELIEVED);
  p.set_confidence(0.7);
  p.mutable_valid_time()->set_start("2024-10");
  std::string nt;
  rdf::Writer writer(/*quads=*/false, &nt);
  ASSERT_TRUE(writer
                  .Statement(claim, {p},
                             [&](const std::string& id) {
                               return id == quoted.id() ? &quoted : nullptr;
                             })
                  .ok());
  EXPECT_THAT(nt, HasSubstr("<https://kg.invalid/statement/"
                            "s11111111111111111111111111111111> "
                            "<http://www.w3.org/1999/02/"
                            "22-rdf-syntax-ns#type> <http://www.w3.org/1999/"
                            "02/22-rdf-syntax-ns#Statement> .\n"));
  EXPECT_THAT(nt, HasSubstr("<https://kg.invalid/entity/nis> "
                            "<https://kg.invalid/relation/reported> "
                            "<https://kg.invalid/statement/"
                            "s11111111111111111111111111111111> .\n"));

  // Read the lines back through the builder (as the importer's serd
  // callback would hand them over).
  std::vector<std::vector<rdf::Term>> triples;
  for (absl::string_view line : absl::StrSplit(nt, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts =
        absl::StrSplit(line, absl::MaxSplits(' ', 2));
    std::string object = parts[2].substr(0, parts[2].size() - 2);
    auto term = [](absl::string_view s) {
      if (s.front() == '<') return I(std::string(s.substr(1, s.size() - 2)));
      const size_t close = s.rfind('"');
      std::string type;
      if (close + 3 < s.size()) {
        type = std::string(s.substr(close + 4, s.size() - close - 5));
      }
      return L(std::string(s.substr(1, close - 1)), type);
    };
    triples.push_back({term(parts[0]), term(parts[1]), term(object)});
  }
  std::vector<rdf::Item> items = Build(triples);
  ASSERT_EQ(items.size(), 1u) << items[0].error;
  ASSERT_TRUE(items[0].record.has_value()) << items[0].error;
  const kg::v1::StatementInput& in = items[0].record->statement();
  EXPECT_EQ(in.triple().subject().entity(), "nis");
  EXPECT_EQ(in.triple().object().quoted().relation(), "deployed_troops_to");
  ASSERT_EQ(in.provenance_size(), 1);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(in.provenance(0), p));
}

TEST(RdfTest, BuilderReportsGroupsOutsideTheMapping) {
  const std::string kNs = rdf::kNs;
  std::vector<rdf::Item> items = Build({
      {I("https://kg.invalid/entity/x"),
       I("http://www.w3.org/2000/01/rdf-schema#label"), L("X")},
      {I("https://kg.invalid/entity/x"), I("http://example.org/colour"),
       L("red")},
      {I("http://example.org/a"), I("http://example.org/b"), L("c")},
      {I("https://kg.invalid/provenance/p"), I(kNs + "statement"),
       I("https://kg.invalid/statement/s1")},
  });
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].line, 1);
  EXPECT_THAT(items[0].error, HasSubstr("not a property of a kg entity"));
  EXPECT_EQ(items[1].line, 3);
  EXPECT_THAT(items[1].error, HasSubstr("outside kg's RDF mapping"));
  EXPECT_EQ(items[2].line, 4);
  EXPECT_THAT(items[2].error, HasSubstr("is not described"));
}

// ---- Import line readers ----

TEST(RecordReaderTest, JsonlLinesBecomeRecordsOrReasons) {
  std::vector<rdf::Item> items;
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

TEST(RecordReaderTest, RdfLinesBecomeRecordsOrReasons) {
  RdfLineReader reader(/*quads=*/false);
  std::vector<rdf::Item> items;
  reader.ReadLine(
      "<https://kg.invalid/entity/x> "
      "<http://www.w3.org/2000/01/rdf-schema#label> \"X\" .\n",
      1, &items);
  EXPECT_TRUE(items.empty());  // the entity's group is still open
  reader.ReadLine(std::string("<a> <b> \"c\0\" .", 15), 2, &items);
  reader.ReadLine("<a> <b> \"unterminated .", 3, &items);
  reader.ReadLine("", 4, &items);
  reader.Finish(&items);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].error, "NUL byte");
  EXPECT_EQ(items[0].line, 2);
  EXPECT_EQ(items[1].line, 3);
  EXPECT_THAT(items[1].error, HasSubstr("RDF syntax error"));
  ASSERT_TRUE(items[2].record.has_value());
  EXPECT_EQ(items[2].line, 1);
  EXPECT_EQ(items[2].record->entity().id(), "x");
}

// Found by fuzz/import_rdf_fuzzer.cc: serd reports a triple before it sees
// what follows it on the line, so a line with a syntax error used to add
// its triple (with --skip-invalid the "skipped" line was imported).
TEST(RecordReaderTest, ALineWithASyntaxErrorContributesNothing) {
  for (bool quads : {false, true}) {
    RdfLineReader reader(quads);
    std::vector<rdf::Item> items;
    reader.ReadLine(
        "<https://kg.invalid/entity/x> "
        "<http://www.w3.org/2000/01/rdf-schema#label> \"X\" .",
        1, &items);
    reader.ReadLine(
        "<https://kg.invalid/entity/x> "
        "<http://www.w3.org/2004/02/skos/core#altLabel> \"Y\" garbage",
        2, &items);
    reader.Finish(&items);
    ASSERT_EQ(items.size(), 2u) << quads;
    EXPECT_EQ(items[0].line, 2);
    EXPECT_THAT(items[0].error, HasSubstr("RDF syntax error"));
    ASSERT_TRUE(items[1].record.has_value());
    EXPECT_EQ(items[1].record->entity().label(), "X");
    EXPECT_EQ(items[1].record->entity().aliases_size(), 0) << quads;
    EXPECT_EQ(reader.triples(), 1u);
  }
}

// Found by fuzz/import_rdf_fuzzer.cc: serd's N-Quads reader stops without
// an error at text that cannot start a statement, so such lines used to
// vanish silently.
TEST(RecordReaderTest, NQuadsLinesThatAreNotStatementsAreErrors) {
  RdfLineReader reader(/*quads=*/true);
  std::vector<rdf::Item> items;
  reader.ReadLine("hello world", 1, &items);
  reader.ReadLine(
      "<https://kg.invalid/entity/x> "
      "<http://www.w3.org/2000/01/rdf-schema#label> \"X\" . .junk",
      2, &items);
  reader.ReadLine("# a comment is fine", 3, &items);
  reader.Finish(&items);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].line, 1);
  EXPECT_EQ(items[0].error, "RDF syntax error: not a statement");
  EXPECT_EQ(items[1].line, 2);
  EXPECT_THAT(items[1].error, HasSubstr("RDF syntax error"));
  EXPECT_EQ(reader.triples(), 0u);
}

// Found by fuzz/import_rdf_fuzzer.cc in CI: serd's N-Triples reader takes
// a bare word as a prefixed name, so `hell<iri> "Y" .` became a triple
// with the subject "hell" instead of a syntax error.
TEST(RecordReaderTest, PrefixedNamesAreSyntaxErrorsInBothSyntaxes) {
  for (bool quads : {false, true}) {
    RdfLineReader reader(quads);
    std::vector<rdf::Item> items;
    reader.ReadLine("hell<https://kg.invalid/entity/> \"Y\" .", 1, &items);
    reader.ReadLine("x:y <http://www.w3.org/2000/01/rdf-schema#label> \"X\" .",
                    2, &items);
    reader.Finish(&items);
    ASSERT_EQ(items.size(), 2u) << quads;
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(items[i].line, i + 1) << quads;
      EXPECT_FALSE(items[i].record.has_value()) << quads;
      EXPECT_THAT(items[i].error, HasSubstr("RDF syntax error")) << quads;
    }
    EXPECT_THAT(items[1].error, HasSubstr("'x:y' is a prefixed name")) << quads;
    EXPECT_EQ(reader.triples(), 0u) << quads;
  }
}

}  // namespace
}  // namespace kg::client
