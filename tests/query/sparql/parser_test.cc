// The SPARQL parser's algebra for each construct (W3C SPARQL 1.1 section
// 18.2 with SPARQL 1.2's reifiers and annotations), and its errors. The
// W3C syntax suites (syntax_conformance_test.cc) say what parses; these
// say what it parses to.
#include "query/sparql/parser.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_util.h"

namespace kg::sparql {
namespace {

using ::kg::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPrologue[] =
    "PREFIX : <http://x/> PREFIX rdf: "
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n";

// The query's algebra, or the error.
std::string Algebra(const std::string& body) {
  absl::StatusOr<Query> q = Parse(kPrologue + body);
  if (!q.ok()) return std::string(q.status().message());
  return ToSExpression(q->pattern);
}

TEST(SparqlParserTest, BasicGraphPatternAndProjection) {
  EXPECT_EQ(Algebra("SELECT ?s WHERE { ?s :p ?o ; a :T }"),
            "(project (?s) (bgp (triple ?s <http://x/p> ?o) (triple ?s "
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            "<http://x/T>)))");
  absl::StatusOr<Query> q =
      Parse(std::string(kPrologue) + "SELECT * { ?s :p [ :q ?o ] }");
  ASSERT_TRUE(q.ok()) << q.status();
  // SELECT * projects what the query named, never blank nodes.
  EXPECT_THAT(q->variables, ::testing::ElementsAre("s", "o"));
}

TEST(SparqlParserTest, FiltersApplyToTheWholeGroupAndOptionalKeepsItsFilter) {
  EXPECT_EQ(Algebra("SELECT * { FILTER(?o > 1) ?s :p ?o OPTIONAL { ?s :q ?x "
                    "FILTER(?x != ?o) } }"),
            "(project (?o ?s ?x) (filter (> ?o "
            "\"1\"^^<http://www.w3.org/2001/XMLSchema#integer>) (leftjoin "
            "(bgp (triple ?s <http://x/p> ?o)) (bgp (triple ?s <http://x/q> "
            "?x)) (!= ?x ?o))))");
}

TEST(SparqlParserTest, UnionMinusBindValuesGraph) {
  EXPECT_EQ(Algebra("SELECT * { { ?s :p ?o } UNION { ?s :q ?o } MINUS { ?s :r "
                    "?o } BIND(STR(?o) AS ?t) VALUES ?s { :a UNDEF } GRAPH ?g "
                    "{ ?s :p ?t } }"),
            "(project (?s ?o ?t ?g) (join (join (extend ((?t (STR ?o))) "
            "(minus (union (bgp (triple ?s <http://x/p> ?o)) (bgp (triple "
            "?s <http://x/q> ?o))) (bgp (triple ?s <http://x/r> ?o)))) "
            "(table (?s) (row <http://x/a>) (row UNDEF))) (graph ?g (bgp "
            "(triple ?s <http://x/p> ?t)))))");
}

TEST(SparqlParserTest, AnnotationsNameTheTripleThroughAReifier) {
  // s p o {| :src ?w |}: the triple is asserted, a fresh reifier reifies
  // it, and the block describes the reifier.
  EXPECT_EQ(Algebra("SELECT ?w { :a :p :b {| :src ?w |} }"),
            "(project (?w) (bgp (triple <http://x/a> <http://x/p> "
            "<http://x/b>) (triple _:!1 "
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies> <<( "
            "<http://x/a> <http://x/p> <http://x/b> )>>) (triple _:!1 "
            "<http://x/src> ?w)))");
  // A named reifier: ~ ?r.
  EXPECT_EQ(Algebra("SELECT ?r { :a :p :b ~?r }"),
            "(project (?r) (bgp (triple <http://x/a> <http://x/p> "
            "<http://x/b>) (triple ?r "
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies> <<( "
            "<http://x/a> <http://x/p> <http://x/b> )>>)))");
}

TEST(SparqlParserTest, ReifiedTriplesAreNotAsserted) {
  EXPECT_EQ(Algebra("SELECT * { << ?s :p ?o ~ ?r >> :src ?w }"),
            "(project (?s ?o ?r ?w) (bgp (triple ?r "
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies> <<( ?s "
            "<http://x/p> ?o )>>) (triple ?r <http://x/src> ?w)))");
  EXPECT_EQ(Algebra("SELECT * { ?who :says <<( ?s :p ?o )>> }"),
            "(project (?who ?s ?o) (bgp (triple ?who <http://x/says> <<( ?s "
            "<http://x/p> ?o )>>)))");
}

TEST(SparqlParserTest, PropertyPathsRewriteSequencesAndInverses) {
  EXPECT_EQ(Algebra("SELECT * { ?s :p+ ?o }"),
            "(project (?s ?o) (path ?s (path+ <http://x/p>) ?o))");
  EXPECT_EQ(Algebra("SELECT * { ?s ^:p/:q ?o }"),
            "(project (?s ?o) (bgp (triple .path1 <http://x/p> ?s) (triple "
            ".path1 <http://x/q> ?o)))");
  EXPECT_EQ(Algebra("SELECT * { ?s !(:p|^:q) ?o }"),
            "(project (?s ?o) (path ?s (notoneof <http://x/p> (reverse "
            "<http://x/q>)) ?o))");
}

TEST(SparqlParserTest, GroupingBindsAggregatesToHiddenVariables) {
  EXPECT_EQ(
      Algebra("SELECT ?g (COUNT(DISTINCT ?s) AS ?n) { ?s :p ?g } GROUP BY ?g "
              "HAVING (COUNT(DISTINCT ?s) > 1) ORDER BY DESC(?n) LIMIT 5"),
      "(slice 0 5 (project (?g ?n) (order ((desc ?n)) (extend ((?n .agg0)) "
      "(filter (> .agg1 \"1\"^^<http://www.w3.org/2001/XMLSchema#integer>) "
      "(group ((?g ?g)) ((.agg0 (COUNT distinct ?s)) (.agg1 (COUNT distinct "
      "?s))) (bgp (triple ?s <http://x/p> ?g))))))))");
}

TEST(SparqlParserTest, TripleTermsInValuesAndExpressions) {
  EXPECT_EQ(Algebra("SELECT * { VALUES ?t { <<( :a :p \"x\"@en--ltr )>> } "
                    "FILTER(?t = <<( :a :p ?o )>>) }"),
            "(project (?t) (filter (= ?t (triple <http://x/a> <http://x/p> "
            "?o)) (table (?t) (row <<( <http://x/a> <http://x/p> "
            "\"x\"@en--ltr )>>))))");
}

TEST(SparqlParserTest, CodepointEscapesAreDecodedOnceInStringsAndIris) {
  absl::StatusOr<Query> q =
      Parse("SELECT * { VALUES ?v { \"a\\u005Cn\" <http://x/\\u0061> } }");
  ASSERT_TRUE(q.ok()) << q.status();
  const GraphPattern& table = q->pattern.operands[0];
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][0]->value(), "a\\n");  // backslash, then n
  EXPECT_EQ(table.rows[1][0]->value(), "http://x/a");
}

TEST(SparqlParserTest, OtherForms) {
  absl::StatusOr<Query> ask = Parse("ASK { ?s ?p ?o }");
  ASSERT_TRUE(ask.ok());
  EXPECT_EQ(ask->form, Query::Form::kAsk);
  absl::StatusOr<Query> construct =
      Parse(std::string(kPrologue) +
            "CONSTRUCT { ?s :q _:b . _:b :r ?o } FROM <http://g/1> FROM NAMED "
            "<http://g/2> WHERE { ?s :p ?o }");
  ASSERT_TRUE(construct.ok()) << construct.status();
  EXPECT_EQ(construct->construct_template.size(), 2u);
  EXPECT_THAT(construct->default_graphs, ::testing::ElementsAre("http://g/1"));
  EXPECT_THAT(construct->named_graphs, ::testing::ElementsAre("http://g/2"));
  absl::StatusOr<Query> describe =
      Parse("DESCRIBE <http://x/a> ?s { ?s ?p ?o }");
  ASSERT_TRUE(describe.ok()) << describe.status();
  EXPECT_EQ(describe->describe.size(), 2u);
  EXPECT_THAT(describe->variables, ::testing::ElementsAre("s"));
  absl::StatusOr<Query> cw =
      Parse(std::string(kPrologue) + "CONSTRUCT WHERE { ?s :p ?o }");
  ASSERT_TRUE(cw.ok()) << cw.status();
  EXPECT_EQ(cw->construct_template.size(), 1u);
}

TEST(SparqlParserTest, RelativeIrisResolveAgainstBase) {
  absl::StatusOr<Query> q =
      Parse("SELECT * { <a> <p> ?o }", {.base_iri = "http://x/dir/q.rq"});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(ToSExpression(q->pattern),
            "(project (?o) (bgp (triple <http://x/dir/a> <http://x/dir/p> "
            "?o)))");
  EXPECT_THAT(Parse("SELECT * { <a> <p> ?o }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("relative IRI <a> and no BASE")));
}

TEST(SparqlParserTest, ErrorsSayLineAndColumnAndWhat) {
  EXPECT_THAT(Parse("SELECT *\nWHERE { ?s ?p }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2, column 15: expected a term or a "
                                 "variable, found '}'")));
  EXPECT_THAT(Parse("SELECT * { ?s ex:p ?o }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1, column 15: the prefix 'ex:' is not "
                                 "declared")));
  EXPECT_THAT(Parse("SELECT * { ?s ?p \"open }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1, column 18: unterminated string")));
  EXPECT_THAT(Parse("SELECT (1 AS ?x) { ?x ?p ?o }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("?x is already bound")));
  EXPECT_THAT(Parse("SELECT * { ?s ?p ?o FILTER(COUNT(?s) > 1) }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("aggregates are not allowed in FILTER")));
  EXPECT_THAT(Parse("SELECT * { FILTER(NOSUCH(?x)) }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown function NOSUCH")));
  EXPECT_THAT(Parse("SELECT * { FILTER(STRLEN(?x, ?y)) }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("STRLEN takes 1 arguments, not 2")));
  EXPECT_THAT(
      Parse("SELECT * { } LIMIT 99999999999999999999"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is too large")));
  EXPECT_THAT(Parse(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("expected SELECT, CONSTRUCT, "
                                            "DESCRIBE or ASK")));
}

TEST(SparqlParserTest, NestingAndChainsAreBoundedSoNoQueryExhaustsTheStack) {
  const std::string deep_groups = std::string(100000, '{');
  EXPECT_THAT(Parse("SELECT * " + deep_groups),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nests deeper than 128 levels")));
  EXPECT_THAT(Parse("SELECT * { FILTER(" + std::string(100000, '(') + "1" +
                    std::string(100000, ')') + ") }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nests deeper than 128 levels")));
  EXPECT_THAT(Parse("SELECT * { ?s ?p " + std::string(100000, '(') + " }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nests deeper than 128 levels")));
  std::string sum = "1";
  for (int i = 0; i < 5000; ++i) sum += "+1";
  EXPECT_THAT(Parse("SELECT (" + sum + " AS ?x) {}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("chains more than 4096 operators")));
  std::string groups;
  for (int i = 0; i < 5000; ++i) groups += "{}";
  EXPECT_THAT(Parse("SELECT * { " + groups + " }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("chains more than 4096 operators")));
  // Within the bounds, large queries parse.
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "OPTIONAL { ?s ?p ?o } ";
  EXPECT_TRUE(Parse("SELECT * { " + many + " }").ok());
}

TEST(SparqlParserTest, UpdateIsRefusedByName) {
  EXPECT_THAT(Parse("INSERT DATA { <http://a> <http://b> <http://c> }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SPARQL Update (INSERT) is not supported")));
}

}  // namespace
}  // namespace kg::sparql
