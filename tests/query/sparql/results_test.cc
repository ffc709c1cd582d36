// The SPARQL results writers (query/sparql/results.h) and the test-side
// readers and comparison (tests/support/sparql_results.h): exact bytes,
// escaping, write-read round trips for every term kind in every format,
// every .srx and .srj file of the W3C SPARQL suites read and written back,
// and the comparison's blank node bijection.
#include "query/sparql/results.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rdf/term.h"
#include "tests/support/sparql_results.h"
#include "tests/support/test_util.h"

namespace kg::sparql {
namespace {

using ::kg::testing::CompareResults;
using ::kg::testing::CsvView;
using ::kg::testing::IsOk;
using ::kg::testing::ReadResults;
using ::kg::testing::ResultTable;
using ::kg::testing::StatusIs;
using ::kg::testing::WriteResults;
using rdf::Direction;
using rdf::Term;
using ::testing::HasSubstr;

constexpr char kXsd[] = "http://www.w3.org/2001/XMLSchema#";
constexpr ResultsFormat kAllFormats[] = {
    ResultsFormat::kJson, ResultsFormat::kXml, ResultsFormat::kCsv,
    ResultsFormat::kTsv};
// The formats that keep every term.
constexpr ResultsFormat kExactFormats[] = {
    ResultsFormat::kJson, ResultsFormat::kXml, ResultsFormat::kTsv};

Term Iri(const std::string& s) { return Term::Iri(s); }
Term Lit(const std::string& s) { return Term::Literal(s); }
Term Typed(const std::string& s, const std::string& local) {
  return Term::Literal(s, absl::StrCat(kXsd, local));
}
Term Triple(Term s, Term p, Term o) {
  return Term::TripleTerm(
      rdf::Triple{std::move(s), std::move(p), std::move(o)});
}

ResultTable Table(std::vector<std::string> variables,
                  std::vector<Solution> rows) {
  ResultTable t;
  t.variables = std::move(variables);
  t.rows = std::move(rows);
  return t;
}

ResultTable Boolean(bool b) {
  ResultTable t;
  t.boolean = b;
  return t;
}

// Written in `format`, read back, compared in order.
std::string RoundTrip(const ResultTable& table, ResultsFormat format) {
  const std::string text = WriteResults(table, format);
  absl::StatusOr<ResultTable> back = ReadResults(text, format);
  if (!back.ok()) {
    return absl::StrCat(back.status().ToString(), "\nin:\n", text);
  }
  const ResultTable& expected =
      format == ResultsFormat::kCsv ? CsvView(table) : table;
  const std::string diff = CompareResults(expected, *back, /*ordered=*/true);
  return diff.empty() ? "" : absl::StrCat(diff, "\nin:\n", text);
}

// Every kind of term, with the awkward characters each format escapes.
std::vector<Term> AllTerms() {
  const Term a = Iri("http://example.org/a");
  return {
      a,
      Iri("http://example.org/q?x=1&y=2#frag"),
      Iri("http://example.org/\xC3\xA9t\xC3\xA9"),
      Term::Blank("b0"),
      Term::Blank("a!1"),        // as the Turtle reader names [] nodes
      Term::Blank("kg_616263"),  // collides with the CSV/TSV encoding
      Term::Blank("b" + std::string(32, 'f')),
      Lit(""),
      Lit("plain"),
      Lit("quote \" backslash \\ tab \t newline \n cr \r end"),
      Lit("controls \x01\x02\x1f\x7f and \b\f"),
      Lit("xml <tag attr=\"v\">&amp;</tag> ]]> 'apos'"),
      Lit("csv, \"quoted\", line\r\nbreak"),
      Lit("unicode \xD9\x82\xD8\xB7\xD8\xA9 \xF0\x9F\x91\xBE \xE2\x80\xA8"),
      Lit("  leading and trailing spaces  "),
      Term::Literal("chat", "", "fr"),
      Term::Literal("Hello", "", "en-GB"),
      Term::Literal("abc", "", "en", Direction::kLtr),
      Term::Literal("\xD9\x82\xD8\xB7\xD8\xA9", "", "ar", Direction::kRtl),
      Typed("42", "integer"),
      Typed("+042", "integer"),
      Typed("-3", "negativeInteger"),
      Typed("4.2", "decimal"),
      Typed(".5", "decimal"),
      Typed("5.", "decimal"),  // not a Turtle DECIMAL: written in full
      Typed("1.0e6", "double"),
      Typed("1E0", "double"),
      Typed("NaN", "double"),
      Typed("true", "boolean"),
      Typed("1", "boolean"),
      Typed("2024-10-01", "date"),
      Term::Literal("x", "http://example.org/my-type?a=1&b=\xC3\xA9"),
      Typed("explicit", "string"),
      Triple(a, Iri("http://example.org/p"), Lit("o")),
      Triple(Term::Blank("b0"), Iri("http://example.org/p"),
             Triple(Term::Blank("x!2"), Iri("http://example.org/q"),
                    Term::Literal("v", "", "en", Direction::kRtl))),
  };
}

TEST(ResultsFormatTest, NamesAndMediaTypes) {
  for (ResultsFormat f : kAllFormats) {
    absl::StatusOr<ResultsFormat> named =
        ResultsFormatNamed(ResultsFormatName(f));
    ASSERT_THAT(named, IsOk());
    EXPECT_EQ(*named, f);
  }
  EXPECT_EQ(*ResultsFormatNamed("JSON"), ResultsFormat::kJson);
  EXPECT_THAT(ResultsFormatNamed("srx"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("srx")));
  EXPECT_EQ(MediaType(ResultsFormat::kJson), "application/sparql-results+json");
  EXPECT_EQ(MediaType(ResultsFormat::kXml), "application/sparql-results+xml");
  EXPECT_EQ(MediaType(ResultsFormat::kCsv), "text/csv; charset=utf-8");
  EXPECT_EQ(MediaType(ResultsFormat::kTsv),
            "text/tab-separated-values; charset=utf-8");
}

// A small table whose bytes are fixed for each format.
ResultTable Golden() {
  return Table({"s", "o", "n"},
               {{Iri("http://e/a"), Term::Literal("x\"y", "", "en"),
                 Typed("7", "integer")},
                {Term::Blank("b1"), std::nullopt,
                 Triple(Iri("http://e/s"), Iri("http://e/p"),
                        Term::Literal("r", "", "ar", Direction::kRtl))}});
}

TEST(SolutionsWriterTest, JsonBytes) {
  EXPECT_EQ(
      WriteResults(Golden(), ResultsFormat::kJson),
      "{\"head\":{\"vars\":[\"s\",\"o\",\"n\"]},\n"
      "\"results\":{\"bindings\":[\n"
      "{\"s\":{\"type\":\"uri\",\"value\":\"http://e/a\"},"
      "\"o\":{\"type\":\"literal\",\"value\":\"x\\\"y\",\"xml:lang\":\"en\"},"
      "\"n\":{\"type\":\"literal\",\"value\":\"7\",\"datatype\":"
      "\"http://www.w3.org/2001/XMLSchema#integer\"}},\n"
      "{\"s\":{\"type\":\"bnode\",\"value\":\"b1\"},"
      "\"n\":{\"type\":\"triple\",\"value\":{"
      "\"subject\":{\"type\":\"uri\",\"value\":\"http://e/s\"},"
      "\"predicate\":{\"type\":\"uri\",\"value\":\"http://e/p\"},"
      "\"object\":{\"type\":\"literal\",\"value\":\"r\",\"xml:lang\":\"ar\","
      "\"its:dir\":\"rtl\"}}}}\n"
      "]}}\n");
}

TEST(SolutionsWriterTest, XmlBytes) {
  EXPECT_EQ(WriteResults(Golden(), ResultsFormat::kXml),
            "<?xml version=\"1.0\"?>\n"
            "<sparql xmlns=\"http://www.w3.org/2005/sparql-results#\" "
            "xmlns:its=\"http://www.w3.org/2005/11/its\" "
            "its:version=\"2.0\">\n"
            "<head>\n<variable name=\"s\"/>\n<variable name=\"o\"/>\n"
            "<variable name=\"n\"/>\n</head>\n<results>\n"
            "<result><binding name=\"s\"><uri>http://e/a</uri></binding>"
            "<binding name=\"o\"><literal xml:lang=\"en\">x\"y</literal>"
            "</binding><binding name=\"n\"><literal datatype=\""
            "http://www.w3.org/2001/XMLSchema#integer\">7</literal>"
            "</binding></result>\n"
            "<result><binding name=\"s\"><bnode>b1</bnode></binding>"
            "<binding name=\"n\"><triple><subject><uri>http://e/s</uri>"
            "</subject><predicate><uri>http://e/p</uri></predicate><object>"
            "<literal xml:lang=\"ar\" its:dir=\"rtl\">r</literal></object>"
            "</triple></binding></result>\n"
            "</results>\n</sparql>\n");
}

TEST(SolutionsWriterTest, CsvBytes) {
  EXPECT_EQ(
      WriteResults(Golden(), ResultsFormat::kCsv),
      "s,o,n\r\n"
      "http://e/a,\"x\"\"y\",7\r\n"
      "_:b1,,\"<<( <http://e/s> <http://e/p> \"\"r\"\"@ar--rtl )>>\"\r\n");
}

TEST(SolutionsWriterTest, TsvBytes) {
  EXPECT_EQ(WriteResults(Golden(), ResultsFormat::kTsv),
            "?s\t?o\t?n\n"
            "<http://e/a>\t\"x\\\"y\"@en\t7\n"
            "_:b1\t\t<<( <http://e/s> <http://e/p> \"r\"@ar--rtl )>>\n");
}

TEST(SolutionsWriterTest, EscapesEachFormatsSpecialCharacters) {
  const ResultTable t = Table({"v"}, {{Lit("a\"b\\c\td\ne\rf\x01g<&>,")}});
  EXPECT_THAT(WriteResults(t, ResultsFormat::kJson),
              HasSubstr("\"value\":\"a\\\"b\\\\c\\td\\ne\\rf\\u0001g<&>,\""));
  EXPECT_THAT(WriteResults(t, ResultsFormat::kXml),
              HasSubstr("<literal>a\"b\\c\td\ne&#xD;f&#x1;g&lt;&amp;&gt;,"
                        "</literal>"));
  EXPECT_EQ(WriteResults(t, ResultsFormat::kCsv),
            "v\r\n\"a\"\"b\\c\td\ne\rf\x01g<&>,\"\r\n");
  EXPECT_EQ(WriteResults(t, ResultsFormat::kTsv),
            "?v\n\"a\\\"b\\\\c\\td\\ne\\rf\\u0001g<&>,\"\n");
}

TEST(SolutionsWriterTest, XmlAttributesEscapeQuotesAndWhitespace) {
  const ResultTable t =
      Table({"v"}, {{Term::Literal("x", "http://e/a\"b\tc&d")}});
  EXPECT_THAT(WriteResults(t, ResultsFormat::kXml),
              HasSubstr("datatype=\"http://e/a&quot;b&#x9;c&amp;d\""));
  EXPECT_EQ(RoundTrip(t, ResultsFormat::kXml), "");
}

TEST(SolutionsWriterTest, TsvWritesTurtleNumbersBare) {
  const ResultTable t =
      Table({"a", "b", "c", "d", "e", "f"},
            {{Typed("-12", "integer"), Typed("1.5", "decimal"),
              Typed("1.5e-3", "double"), Typed("false", "boolean"),
              Typed("5.", "decimal"), Typed("INF", "double")}});
  EXPECT_EQ(WriteResults(t, ResultsFormat::kTsv),
            "?a\t?b\t?c\t?d\t?e\t?f\n"
            "-12\t1.5\t1.5e-3\tfalse\t"
            "\"5.\"^^<http://www.w3.org/2001/XMLSchema#decimal>\t"
            "\"INF\"^^<http://www.w3.org/2001/XMLSchema#double>\n");
}

TEST(SolutionsWriterTest, CsvAndTsvBlankLabelsAreWellFormedAndDistinct) {
  const ResultTable t =
      Table({"a", "b", "c", "d"}, {{Term::Blank("ok_1"), Term::Blank("a!1"),
                                    Term::Blank("kg_x"), Term::Blank("a,b")}});
  EXPECT_EQ(
      WriteResults(t, ResultsFormat::kTsv),
      "?a\t?b\t?c\t?d\n_:ok_1\t_:kg_612131\t_:kg_6b675f78\t_:kg_612c62\n");
  EXPECT_EQ(WriteResults(t, ResultsFormat::kCsv),
            "a,b,c,d\r\n_:ok_1,_:kg_612131,_:kg_6b675f78,_:kg_612c62\r\n");
  EXPECT_EQ(RoundTrip(t, ResultsFormat::kTsv), "");
}

TEST(SolutionsWriterTest, UnboundEmptyAndZeroVariableTables) {
  const ResultTable none = Table({"x", "y"}, {});
  const ResultTable unbound = Table({"x", "y"}, {{std::nullopt, std::nullopt}});
  const ResultTable no_vars = Table({}, {{}, {}});
  const ResultTable one_var = Table({"x"}, {{std::nullopt}, {Lit("a")}});
  for (ResultsFormat f : kAllFormats) {
    SCOPED_TRACE(ResultsFormatName(f));
    EXPECT_EQ(RoundTrip(none, f), "");
    EXPECT_EQ(RoundTrip(unbound, f), "");
    EXPECT_EQ(RoundTrip(no_vars, f), "");
    EXPECT_EQ(RoundTrip(one_var, f), "");
  }
  EXPECT_EQ(WriteResults(none, ResultsFormat::kJson),
            "{\"head\":{\"vars\":[\"x\",\"y\"]},\n"
            "\"results\":{\"bindings\":[]}}\n");
  EXPECT_EQ(WriteResults(unbound, ResultsFormat::kCsv), "x,y\r\n,\r\n");
}

TEST(SolutionsWriterTest, ShortRowsAreUnboundAndExtraValuesIgnored) {
  std::string a, b;
  SolutionsWriter w(ResultsFormat::kTsv, {"x", "y"});
  w.Begin(&a);
  w.Row({Lit("1")}, &a);
  w.Row({Lit("1"), Lit("2"), Lit("3")}, &a);
  w.End(&a);
  EXPECT_EQ(a, "?x\t?y\n\"1\"\t\n\"1\"\t\"2\"\n");
}

TEST(SolutionsWriterTest, StreamingInPiecesEqualsWholeResult) {
  const ResultTable t = Table({"v"}, {{Lit("1")}, {Lit("2")}, {Lit("3")}});
  for (ResultsFormat f : kAllFormats) {
    SolutionsWriter w(f, t.variables);
    std::string whole, piece;
    w.Begin(&piece);
    whole += piece;
    for (const Solution& row : t.rows) {
      piece.clear();  // as a server does after sending a batch
      w.Row(row, &piece);
      whole += piece;
    }
    piece.clear();
    w.End(&piece);
    whole += piece;
    EXPECT_EQ(whole, WriteResults(t, f)) << ResultsFormatName(f);
  }
}

TEST(BooleanResultTest, BytesAndRoundTrip) {
  EXPECT_EQ(BooleanResult(ResultsFormat::kJson, true),
            "{\"head\":{},\"boolean\":true}\n");
  EXPECT_EQ(BooleanResult(ResultsFormat::kXml, false),
            "<?xml version=\"1.0\"?>\n"
            "<sparql xmlns=\"http://www.w3.org/2005/sparql-results#\" "
            "xmlns:its=\"http://www.w3.org/2005/11/its\" "
            "its:version=\"2.0\">\n<head/>\n<boolean>false</boolean>\n"
            "</sparql>\n");
  EXPECT_EQ(BooleanResult(ResultsFormat::kCsv, true), "_askResult\r\ntrue\r\n");
  EXPECT_EQ(BooleanResult(ResultsFormat::kTsv, false), "?_askResult\nfalse\n");
  for (ResultsFormat f : kAllFormats) {
    for (bool b : {true, false}) {
      EXPECT_EQ(RoundTrip(Boolean(b), f), "") << ResultsFormatName(f) << b;
    }
  }
}

// Every term in every position kind, one per row and all in one row.
TEST(RoundTripTest, EveryTermKindInEveryFormat) {
  const std::vector<Term> terms = AllTerms();
  ResultTable column = Table({"v"}, {});
  Solution wide;
  ResultTable row = Table({}, {});
  for (size_t i = 0; i < terms.size(); ++i) {
    column.rows.push_back({terms[i]});
    row.variables.push_back(absl::StrCat("v", i));
    wide.push_back(terms[i]);
  }
  row.rows.push_back(wide);
  for (ResultsFormat f : kAllFormats) {
    SCOPED_TRACE(ResultsFormatName(f));
    EXPECT_EQ(RoundTrip(column, f), "");
    EXPECT_EQ(RoundTrip(row, f), "");
  }
}

bool HasBlankLabel(const Term& t) {
  if (t.is_blank()) return true;
  return t.is_triple() && (HasBlankLabel(t.triple().subject) ||
                           HasBlankLabel(t.triple().object));
}

// JSON, XML and TSV keep each term exactly (blank labels aside in TSV).
TEST(RoundTripTest, ExactFormatsKeepEveryTerm) {
  for (const Term& t : AllTerms()) {
    for (ResultsFormat f : kExactFormats) {
      const ResultTable table = Table({"v"}, {{t}});
      absl::StatusOr<ResultTable> back = ReadResults(WriteResults(table, f), f);
      ASSERT_THAT(back, IsOk()) << rdf::ToNTriples(t);
      ASSERT_EQ(back->rows.size(), 1u);
      ASSERT_TRUE(back->rows[0][0].has_value());
      if (f != ResultsFormat::kTsv || !HasBlankLabel(t)) {
        EXPECT_EQ(*back->rows[0][0], t)
            << ResultsFormatName(f) << ": " << rdf::ToNTriples(t)
            << " came back as " << rdf::ToNTriples(*back->rows[0][0]);
      }
    }
  }
}

TEST(RoundTripTest, CsvLosesTypesAsTheSpecSays) {
  const ResultTable t = Table({"i", "l", "n", "b"},
                              {{Iri("http://e/a"), Term::Literal("x", "", "en"),
                                Typed("7", "integer"), Term::Blank("q")}});
  absl::StatusOr<ResultTable> back =
      ReadResults(WriteResults(t, ResultsFormat::kCsv), ResultsFormat::kCsv);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(CompareResults(
                Table({"i", "l", "n", "b"}, {{Lit("http://e/a"), Lit("x"),
                                              Lit("7"), Term::Blank("z")}}),
                *back, false),
            "");
  // The typed table itself differs from what CSV gives back.
  EXPECT_NE(CompareResults(t, *back, false), "");
}

// ---- Readers ----

TEST(ReadResultsTest, ReadsSpecVariants) {
  // SPARQL 1.0's "typed-literal", a <link>, comments, CDATA, references,
  // a prefixed results namespace.
  absl::StatusOr<ResultTable> json = ReadResults(
      R"({"head":{"vars":["x"],"link":["a"]},"results":{"bindings":[
          {"x":{"type":"typed-literal","value":"1",
                "datatype":"http://www.w3.org/2001/XMLSchema#integer"}}]}})",
      ResultsFormat::kJson);
  ASSERT_THAT(json, IsOk());
  EXPECT_EQ(*json->rows[0][0], Typed("1", "integer"));

  absl::StatusOr<ResultTable> xml = ReadResults(
      "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->\n"
      "<r:sparql xmlns:r=\"http://www.w3.org/2005/sparql-results#\" "
      "xmlns:i=\"http://www.w3.org/2005/11/its\">"
      "<r:head><r:variable name='x'/><r:link href=\"m\"/></r:head>"
      "<r:results><r:result><r:binding name=\"x\">"
      "<r:literal xml:lang=\"ar\" i:dir=\"rtl\">&#x642;<![CDATA[<raw>]]>&#13;"
      "&lt;</r:literal></r:binding></r:result></r:results></r:sparql>",
      ResultsFormat::kXml);
  ASSERT_THAT(xml, IsOk());
  EXPECT_EQ(*xml->rows[0][0],
            Term::Literal("\xD9\x82<raw>\r<", "", "ar", Direction::kRtl));

  absl::StatusOr<ResultTable> tsv =
      ReadResults("$x\t?y\r\n'single'@en\t<<( _:a <http://e/p> 1.5 )>>\r\n",
                  ResultsFormat::kTsv);
  ASSERT_THAT(tsv, IsOk());
  EXPECT_EQ(*tsv->rows[0][0], Term::Literal("single", "", "en"));
  EXPECT_EQ(*tsv->rows[0][1], Triple(Term::Blank("a"), Iri("http://e/p"),
                                     Typed("1.5", "decimal")));
}

TEST(ReadResultsTest, RejectsMalformedDocuments) {
  const std::pair<ResultsFormat, const char*> bad[] = {
      {ResultsFormat::kJson, "{\"head\":{\"vars\":[\"x\"]}"},
      {ResultsFormat::kJson,
       R"({"head":{"vars":["x"]},"results":{"bindings":[{"y":{"type":"uri","value":"a"}}]}})"},
      {ResultsFormat::kJson,
       R"({"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"iri","value":"a"}}]}})"},
      {ResultsFormat::kJson,
       R"({"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"a","xml:lang":"en","its:dir":"up"}}]}})"},
      {ResultsFormat::kXml,
       "<sparql><head/><results><result></results></sparql>"},
      {ResultsFormat::kXml, "<sparql><head/></sparql>"},
      {ResultsFormat::kXml,
       "<sparql><head><variable name=\"x\"/></head><results><result>"
       "<binding name=\"x\"><uri>a</uri><uri>b</uri></binding></result>"
       "</results></sparql>"},
      {ResultsFormat::kXml, "<sparql><head/><boolean>yes</boolean></sparql>"},
      {ResultsFormat::kXml,
       "<sparql><head/><boolean>&bogus;</boolean></sparql>"},
      {ResultsFormat::kCsv, "x,y\r\n1\r\n"},
      {ResultsFormat::kCsv, "x\r\n\"open\r\n"},
      {ResultsFormat::kTsv, "x\n<a>\n"},
      {ResultsFormat::kTsv, "?x\n<http://e/a> <http://e/b>\n"},
      {ResultsFormat::kTsv, "?x\n\"unterminated\n"},
  };
  for (const auto& [format, text] : bad) {
    EXPECT_THAT(ReadResults(text, format),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << ResultsFormatName(format) << ": " << text;
  }
}

// Every prefix of a document, cut anywhere (inside a reference, a tag, a
// quoted field), is read without a crash: an error or a shorter table.
TEST(ReadResultsTest, TruncatedDocumentsFailCleanly) {
  ResultTable t = Table({"v"}, {});
  for (const Term& term : AllTerms()) t.rows.push_back({term});
  for (ResultsFormat f : kAllFormats) {
    const std::string text = WriteResults(t, f);
    int errors = 0;
    for (size_t n = 0; n < text.size(); ++n) {
      errors += !ReadResults(absl::string_view(text).substr(0, n), f).ok();
    }
    EXPECT_GT(errors, 0) << ResultsFormatName(f);
  }
}

// ---- Comparison ----

TEST(CompareResultsTest, BlankNodesMatchUpToABijection) {
  const Term p = Iri("http://e/p");
  const ResultTable expected = Table(
      {"s", "o"}, {{Term::Blank("a"), Term::Blank("b")},
                   {Term::Blank("b"), Triple(Term::Blank("a"), p, Lit("1"))},
                   {Term::Blank("c"), Lit("x")}});
  // Relabelled, rows shuffled: equal.
  const ResultTable relabelled = Table(
      {"s", "o"}, {{Term::Blank("z"), Lit("x")},
                   {Term::Blank("x"), Term::Blank("y")},
                   {Term::Blank("y"), Triple(Term::Blank("x"), p, Lit("1"))}});
  EXPECT_EQ(CompareResults(expected, relabelled, false), "");
  // The triple term names a different node than the first row: not equal.
  const ResultTable inside = Table(
      {"s", "o"}, {{Term::Blank("z"), Lit("x")},
                   {Term::Blank("x"), Term::Blank("y")},
                   {Term::Blank("y"), Triple(Term::Blank("z"), p, Lit("1"))}});
  EXPECT_THAT(CompareResults(expected, inside, false),
              HasSubstr("no one-to-one mapping"));
}

TEST(CompareResultsTest, TheMappingIsOneToOne) {
  const ResultTable two =
      Table({"x"}, {{Term::Blank("a")}, {Term::Blank("b")}});
  const ResultTable one =
      Table({"x"}, {{Term::Blank("c")}, {Term::Blank("c")}});
  EXPECT_NE(CompareResults(two, one, false), "");
  EXPECT_NE(CompareResults(one, two, false), "");
  EXPECT_EQ(CompareResults(two, two, false), "");
  const ResultTable pair =
      Table({"x", "y"}, {{Term::Blank("a"), Term::Blank("a")}});
  const ResultTable split =
      Table({"x", "y"}, {{Term::Blank("a"), Term::Blank("b")}});
  EXPECT_NE(CompareResults(pair, split, false), "");
  EXPECT_NE(CompareResults(split, pair, false), "");
}

TEST(CompareResultsTest, SearchBacktracksOverAmbiguousRows) {
  // The first expected row can pair with either actual row of its shape;
  // only one choice lets the last row match.
  const Term p = Iri("http://e/p");
  const ResultTable expected =
      Table({"x", "y"}, {{Term::Blank("a"), p},
                         {Term::Blank("b"), p},
                         {Term::Blank("a"), Lit("only a")}});
  const ResultTable actual =
      Table({"x", "y"}, {{Term::Blank("m"), p},
                         {Term::Blank("n"), p},
                         {Term::Blank("n"), Lit("only a")}});
  EXPECT_EQ(CompareResults(expected, actual, false), "");
}

TEST(CompareResultsTest, OrderedAndUnordered) {
  const ResultTable ab = Table({"x"}, {{Lit("a")}, {Lit("b")}});
  const ResultTable ba = Table({"x"}, {{Lit("b")}, {Lit("a")}});
  EXPECT_EQ(CompareResults(ab, ba, false), "");
  EXPECT_THAT(CompareResults(ab, ba, true), HasSubstr("row 1 differs"));
  EXPECT_EQ(CompareResults(ab, ab, true), "");
  // Ordered, blank nodes still map consistently across rows.
  const ResultTable b1 = Table({"x"}, {{Term::Blank("a")}, {Term::Blank("a")}});
  const ResultTable b2 = Table({"x"}, {{Term::Blank("q")}, {Term::Blank("r")}});
  EXPECT_THAT(CompareResults(b1, b2, true), HasSubstr("row 2 differs"));
}

TEST(CompareResultsTest, MultisetsCountDuplicates) {
  const ResultTable twice = Table({"x"}, {{Lit("a")}, {Lit("a")}, {Lit("b")}});
  const ResultTable once = Table({"x"}, {{Lit("a")}, {Lit("b")}, {Lit("b")}});
  const std::string diff = CompareResults(twice, once, false);
  EXPECT_THAT(diff, HasSubstr("missing:\n  ?x=\"a\""));
  EXPECT_THAT(diff, HasSubstr("not expected:\n  ?x=\"b\""));
  EXPECT_THAT(CompareResults(twice, Table({"x"}, {{Lit("a")}}), false),
              HasSubstr("expected 3 rows, got 1"));
}

TEST(CompareResultsTest, VariablesCompareAsASetAndColumnsByName) {
  const ResultTable xy = Table({"x", "y"}, {{Lit("1"), std::nullopt}});
  const ResultTable yx = Table({"y", "x"}, {{std::nullopt, Lit("1")}});
  EXPECT_EQ(CompareResults(xy, yx, true), "");
  const ResultTable yx_bound = Table({"y", "x"}, {{Lit("1"), std::nullopt}});
  EXPECT_NE(CompareResults(xy, yx_bound, false), "");
  EXPECT_THAT(CompareResults(xy, Table({"x", "z"}, {}), false),
              HasSubstr("variables differ"));
}

TEST(CompareResultsTest, TermsCompareAsRdfTerms) {
  auto one = [](Term t) { return Table({"x"}, {{std::move(t)}}); };
  // Language tags ignore case; lexical forms and directions do not.
  EXPECT_EQ(CompareResults(one(Term::Literal("a", "", "en-GB")),
                           one(Term::Literal("a", "", "en-gb")), false),
            "");
  EXPECT_NE(CompareResults(one(Typed("01", "integer")),
                           one(Typed("1", "integer")), false),
            "");
  // The W3C runner compares numbers by value (their lexical form is not
  // fixed by the specification), within a datatype.
  EXPECT_EQ(CompareResults(one(Typed("01", "integer")),
                           one(Typed("1", "integer")), false,
                           /*numbers_by_value=*/true),
            "");
  EXPECT_NE(CompareResults(one(Typed("2", "integer")),
                           one(Typed("2", "decimal")), false,
                           /*numbers_by_value=*/true),
            "");
  EXPECT_NE(CompareResults(one(Term::Literal("a", "", "en", Direction::kLtr)),
                           one(Term::Literal("a", "", "en")), false),
            "");
  EXPECT_EQ(CompareResults(one(Typed("s", "string")), one(Lit("s")), false),
            "");
  EXPECT_NE(
      CompareResults(one(Iri("http://e/a")), one(Lit("http://e/a")), false),
      "");
  EXPECT_NE(
      CompareResults(one(Lit("x")), Table({"x"}, {{std::nullopt}}), false), "");
}

TEST(CompareResultsTest, Booleans) {
  EXPECT_EQ(CompareResults(Boolean(true), Boolean(true), false), "");
  EXPECT_NE(CompareResults(Boolean(true), Boolean(false), false), "");
  EXPECT_NE(CompareResults(Boolean(true), Table({"x"}, {}), false), "");
  EXPECT_NE(CompareResults(Table({}, {}), Boolean(false), false), "");
}

// ---- The W3C SPARQL suites' result files ----

std::string W3cSparqlDir() { return absl::StrCat(KG_W3C_TESTS_DIR, "/sparql"); }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::filesystem::path> FilesWithExtension(const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(W3cSparqlDir())) {
    if (entry.is_regular_file() && entry.path().extension() == ext) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(W3cResultsTest, EveryResultFileReadsAndRoundTrips) {
  if (!std::filesystem::is_directory(W3cSparqlDir())) {
    GTEST_SKIP() << W3cSparqlDir() << " is absent";
  }
  const std::pair<const char*, ResultsFormat> kinds[] = {
      {".srx", ResultsFormat::kXml},
      {".srj", ResultsFormat::kJson},
      {".tsv", ResultsFormat::kTsv},
      {".csv", ResultsFormat::kCsv},
  };
  for (const auto& [ext, format] : kinds) {
    int read = 0, failed = 0;
    for (const auto& path : FilesWithExtension(ext)) {
      absl::StatusOr<ResultTable> table = ReadResults(ReadFile(path), format);
      if (!table.ok()) {
        ++failed;
        ADD_FAILURE() << path << ": " << table.status();
        continue;
      }
      ++read;
      for (ResultsFormat out : kAllFormats) {
        const std::string diff = RoundTrip(*table, out);
        if (!diff.empty()) {
          ++failed;
          ADD_FAILURE() << path << " written as " << ResultsFormatName(out)
                        << ": " << diff;
        }
      }
    }
    std::cout << ext << ": " << read << " files read and round-tripped, "
              << failed << " failures\n";
    EXPECT_GT(read, 0) << ext;
  }
}

// Where a test gives one answer in two formats, the readers agree.
TEST(W3cResultsTest, TheSameAnswerInTwoFormatsReadsTheSame) {
  if (!std::filesystem::is_directory(W3cSparqlDir())) {
    GTEST_SKIP() << W3cSparqlDir() << " is absent";
  }
  int pairs = 0;
  for (const auto& srj : FilesWithExtension(".srj")) {
    std::filesystem::path srx = srj;
    srx.replace_extension(".srx");
    if (!std::filesystem::exists(srx)) continue;
    absl::StatusOr<ResultTable> a =
        ReadResults(ReadFile(srx), ResultsFormat::kXml);
    absl::StatusOr<ResultTable> b =
        ReadResults(ReadFile(srj), ResultsFormat::kJson);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    EXPECT_EQ(CompareResults(*a, *b, false), "") << srj;
    ++pairs;
  }
  // csv-tsv-res: the TSV answers seen through CSV are the CSV answers
  // (csvtsv03's two files spell 1.0E6 differently, so it is left out).
  const std::string dir = W3cSparqlDir() + "/sparql11/csv-tsv-res/";
  for (const char* name : {"csvtsv01", "csvtsv02"}) {
    absl::StatusOr<ResultTable> tsv =
        ReadResults(ReadFile(dir + name + ".tsv"), ResultsFormat::kTsv);
    absl::StatusOr<ResultTable> csv =
        ReadResults(ReadFile(dir + name + ".csv"), ResultsFormat::kCsv);
    ASSERT_THAT(tsv, IsOk());
    ASSERT_THAT(csv, IsOk());
    EXPECT_EQ(CompareResults(*csv, CsvView(*tsv), false), "") << name;
    ++pairs;
  }
  EXPECT_GT(pairs, 2);
}

}  // namespace
}  // namespace kg::sparql
