// The Turtle and TriG reader's contract where the W3C suites do not pin it:
// error positions, base resolution, streaming order, generated blank node
// labels, and errors from the callback.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rdf/format.h"
#include "rdf/iri.h"
#include "rdf/term.h"

namespace kg::rdf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Parsed {
  absl::Status status;
  std::vector<Quad> quads;
  std::vector<Position> at;
  // "s p o [g]" in N-Triples syntax, one per quad.
  std::vector<std::string> lines;
};

Parsed Parse(absl::string_view text, Format format = Format::kTurtle,
             std::string base = "") {
  Parsed out;
  ReadOptions options;
  options.base = std::move(base);
  out.status =
      Read(format, text, options, [&out](const Quad& q, const Position& at) {
        out.quads.push_back(q);
        out.at.push_back(at);
        std::string line = ToNTriples(q.subject) + " " +
                           ToNTriples(q.predicate) + " " + ToNTriples(q.object);
        if (q.graph) line += " " + ToNTriples(*q.graph);
        out.lines.push_back(line);
        return absl::OkStatus();
      });
  return out;
}

TEST(TurtleReaderTest, ErrorCarriesLineAndColumnInCodePoints) {
  const Parsed p = Parse(
      "@prefix : <http://e/> .\n"
      ":s :p \"x\" ;\n"
      "  :q ?z .\n");
  EXPECT_EQ(p.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status.message(), "line 3, column 6: expected an object");

  // "é" and "😀" are one column each.
  const Parsed q = Parse("<http://e/é😀> <http://e/p> ?");
  EXPECT_THAT(q.status.message(), HasSubstr("line 1, column 28:"));
}

TEST(TurtleReaderTest, ErrorPositionsOfCommonMistakes) {
  EXPECT_THAT(Parse("<http://e/s> <http://e/p> <http://e/o>").status.message(),
              HasSubstr("line 1, column 39: expected '.'"));
  EXPECT_THAT(Parse("\n\nex:s <http://e/p> 1 .").status.message(),
              HasSubstr("line 3, column 1: undeclared prefix 'ex:'"));
  EXPECT_THAT(Parse("<s> <http://e/p> 1 .").status.message(),
              HasSubstr("line 1, column 1: relative IRI with no base IRI"));
  EXPECT_THAT(Parse("<http://e/s> <http://e/p> \"abc\n\" .").status.message(),
              HasSubstr("line 1, column 27:"));
}

TEST(TurtleReaderTest, DirectivesAreWholeWords) {
  EXPECT_THAT(std::string(Parse("@prefixe: <http://e/> .").status.message()),
              HasSubstr("line 1, column 1: unknown directive"));
  EXPECT_THAT(std::string(Parse("@PREFIX e: <http://e/> .").status.message()),
              HasSubstr("unknown directive"));
  // SPARQL-style keywords are case-insensitive; 'prefix:' is a name.
  const Parsed p = Parse(
      "pReFiX prefix: <http://e/>\nprefix:s prefix:p prefix:o .");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_THAT(p.lines,
              ElementsAre("<http://e/s> <http://e/p> <http://e/o>"));
}

TEST(TurtleReaderTest, QuadsCarryTheirStatementsPosition) {
  const Parsed p = Parse(
      "@prefix : <http://e/> .\n"
      ":a :p 1, 2 .\n"
      "  :b :p 3 .\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.at.size(), 3u);
  EXPECT_EQ(p.at[0].line, 2);
  EXPECT_EQ(p.at[0].column, 1);
  EXPECT_EQ(p.at[2].line, 3);
  EXPECT_EQ(p.at[2].column, 3);
}

TEST(TurtleReaderTest, PositionsOnOneLongLine) {
  const Parsed p = Parse(
      "<http://e/a> <http://e/p> [ <http://e/q> 1 ] . "
      "<http://e/é> <http://e/p> 2 . <http://e/c> <http://e/p> 3 .");
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.at.size(), 4u);
  EXPECT_EQ(p.at[0].column, 1);
  EXPECT_EQ(p.at[1].column, 1);
  EXPECT_EQ(p.at[2].column, 48);
  EXPECT_EQ(p.at[3].column, 78);
  EXPECT_THAT(std::string(Parse("<http://e/a> <http://e/p> [ <http://e/q> 1 .")
                              .status.message()),
              HasSubstr("line 1, column 44: expected ']' to close the '[' "
                        "opened at line 1, column 27"));
}

TEST(TurtleReaderTest, RelativeIrisResolveAgainstTheBaseInForce) {
  const Parsed p = Parse(
      "<a> <p> <../c/d?q#f> .\n"
      "@base <http://h/x/y/> .\n"
      "<> <p> <#frag> .\n"
      "BASE <../z/>\n"
      "<//other/p> <./p/../q> <?only> .\n"
      "@prefix r: <rel/> .\n"
      "r:a <http://abs/./x> r:b .\n",
      Format::kTurtle, "http://b/one/two");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_THAT(
      p.lines,
      ElementsAre("<http://b/one/a> <http://b/one/p> <http://b/c/d?q#f>",
                  "<http://h/x/y/> <http://h/x/y/p> <http://h/x/y/#frag>",
                  "<http://other/p> <http://h/x/z/q> <http://h/x/z/?only>",
                  // Absolute IRIs are kept as written.
                  "<http://h/x/z/rel/a> <http://abs/./x> "
                  "<http://h/x/z/rel/b>"));
}

TEST(IriTest, ResolvesTheExamplesOfRfc3986) {
  const std::string base = "http://a/b/c/d;p?q";
  const std::pair<const char*, const char*> cases[] = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {";x", "http://a/b/c/;x"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},
      {"g#s/../x", "http://a/b/c/g#s/../x"},
  };
  for (const auto& [ref, want] : cases) {
    EXPECT_EQ(ResolveIri(base, ref), want) << ref;
  }
  EXPECT_EQ(ResolveIri("http://a", "b"), "http://a/b");
  EXPECT_EQ(ResolveIri("http://a/b#frag", ""), "http://a/b");
  EXPECT_TRUE(IsAbsoluteIri("urn:x"));
  EXPECT_FALSE(IsAbsoluteIri("//a/b"));
  EXPECT_FALSE(IsAbsoluteIri("a/b:c"));
}

TEST(TurtleReaderTest, GeneratedBlankNodesHaveBangLabels) {
  const Parsed p = Parse(
      "@prefix : <http://e/> .\n"
      "[] :p _:b1 . _:b1 :q [ :r ( 1 ) ] .\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  for (const Quad& q : p.quads) {
    for (const Term* t : {&q.subject, &q.object}) {
      if (!t->is_blank()) continue;
      if (t->value() == "b1") continue;
      EXPECT_NE(t->value().find('!'), std::string::npos) << t->value();
    }
  }
  EXPECT_EQ(p.quads[0].object.value(), "b1");
}

TEST(TurtleReaderTest, QuadsStreamInDocumentOrderBeforeALaterError) {
  const Parsed p = Parse(
      "@prefix : <http://e/> .\n"
      ":s :p [ :q :r ] , ( :x ) .\n"
      ":t :p :o ~ :w {| :src :z |} .\n"
      ":broken");
  EXPECT_EQ(p.status.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(p.lines.size(), 8u);
  EXPECT_EQ(p.lines[0], "_:!1 <http://e/q> <http://e/r>");
  EXPECT_EQ(p.lines[1], "<http://e/s> <http://e/p> _:!1");
  EXPECT_EQ(
      p.lines[2],
      "_:!2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> <http://e/x>");
  EXPECT_EQ(p.lines[3],
            "_:!2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> "
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#nil>");
  EXPECT_EQ(p.lines[4], "<http://e/s> <http://e/p> _:!2");
  EXPECT_EQ(p.lines[5], "<http://e/t> <http://e/p> <http://e/o>");
  EXPECT_EQ(p.lines[6],
            "<http://e/w> <http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies> "
            "<<( <http://e/t> <http://e/p> <http://e/o> )>>");
  EXPECT_EQ(p.lines[7], "<http://e/w> <http://e/src> <http://e/z>");
}

TEST(TurtleReaderTest, OnQuadErrorStopsTheReadUnchanged) {
  int calls = 0;
  const absl::Status st = Read(
      Format::kTurtle, "<http://e/s> <http://e/p> 1, 2, 3 . this is not turtle",
      ReadOptions{}, [&calls](const Quad&, const Position&) {
        return ++calls == 2 ? absl::CancelledError("enough") : absl::OkStatus();
      });
  EXPECT_EQ(st, absl::CancelledError("enough"));
  EXPECT_EQ(calls, 2);
}

TEST(TurtleReaderTest, LiteralsKeepTheirLexicalForm) {
  const Parsed p = Parse(
      "<http://e/s> <http://e/p> -01, +1.50, .5e-3, 1E2, true, "
      "'''a''b''' , \"x\"@en-GB--rtl .");
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.quads.size(), 7u);
  EXPECT_EQ(ToNTriples(p.quads[0].object),
            "\"-01\"^^<http://www.w3.org/2001/XMLSchema#integer>");
  EXPECT_EQ(ToNTriples(p.quads[1].object),
            "\"+1.50\"^^<http://www.w3.org/2001/XMLSchema#decimal>");
  EXPECT_EQ(ToNTriples(p.quads[2].object),
            "\".5e-3\"^^<http://www.w3.org/2001/XMLSchema#double>");
  EXPECT_EQ(p.quads[3].object.value(), "1E2");
  EXPECT_EQ(p.quads[4].object.datatype(),
            "http://www.w3.org/2001/XMLSchema#boolean");
  EXPECT_EQ(p.quads[5].object.value(), "a''b");
  EXPECT_EQ(p.quads[6].object.language(), "en-GB");
  EXPECT_EQ(p.quads[6].object.direction(), Direction::kRtl);
}

TEST(TriGReaderTest, GraphBlocksNameTheirQuads) {
  const Parsed p = Parse(
      "PREFIX : <http://e/>\n"
      ":g { :a :p 1 } GRAPH :h { :a :p 2 . :a :p 3 . }\n"
      "{ :a :p 4 } _:bg { :a :p 5 } [] { :a :p 6 } :a :p 7 .\n",
      Format::kTriG);
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.quads.size(), 7u);
  EXPECT_EQ(p.quads[0].graph->value(), "http://e/g");
  EXPECT_EQ(p.quads[2].graph->value(), "http://e/h");
  EXPECT_FALSE(p.quads[3].graph.has_value());
  EXPECT_EQ(p.quads[4].graph->value(), "bg");
  EXPECT_TRUE(p.quads[5].graph->is_blank());
  EXPECT_NE(p.quads[5].graph->value().find('!'), std::string::npos);
  EXPECT_FALSE(p.quads[6].graph.has_value());
  // Turtle has no graphs.
  EXPECT_FALSE(Parse("<http://e/g> { }").status.ok());
}

TEST(TurtleReaderTest, DeepNestingIsRefusedNotCrashed) {
  std::string deep = "<http://e/s> <http://e/p> ";
  for (int i = 0; i < 100000; ++i) deep += "[ <http://e/p> ";
  EXPECT_THAT(Parse(deep).status.message(), HasSubstr("nests too deeply"));
}

}  // namespace
}  // namespace kg::rdf
