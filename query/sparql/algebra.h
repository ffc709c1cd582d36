// The SPARQL 1.2 algebra (W3C SPARQL 1.1 section 18, with RDF 1.2's triple
// terms): what the parser produces and the evaluator runs. Plain values, no
// store: kgctl and the fuzzer use them without one (docs/query.md
// "SPARQL").
//
//   absl::StatusOr<Query> q = Parse("SELECT ?s WHERE { ?s a ?t }");
//   q->pattern  // (project (?s) (bgp (triple ?s rdf:type ?t)))
#ifndef KG_QUERY_SPARQL_ALGEBRA_H_
#define KG_QUERY_SPARQL_ALGEBRA_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rdf/term.h"

namespace kg::sparql {

struct TriplePattern;

// A position in a triple pattern: a constant term, a variable, or a triple
// term whose positions may hold variables (`<<( ?s :p ?o )>>`). Blank nodes
// of the query are variables here (named "_:label"; the parser makes fresh
// ones for `[]`); they never appear in results.
struct PatternTerm {
  enum class Kind : uint8_t { kTerm, kVariable, kTriple };

  static PatternTerm Constant(rdf::Term term);
  static PatternTerm Variable(std::string name);
  static PatternTerm Triple(TriplePattern triple);

  bool is_variable() const { return kind == Kind::kVariable; }
  // Whether the name is a blank node's (not projected by SELECT *).
  bool is_blank_variable() const;

  Kind kind = Kind::kTerm;
  rdf::Term term;                               // kTerm
  std::string variable;                         // kVariable, without '?'
  std::shared_ptr<const TriplePattern> triple;  // kTriple
  // Evaluation state, so that matching a row needs no lookup by name or
  // by term: a parsed Query is evaluated by one evaluator at a time (each
  // request parses its own; never share one between threads).
  // kVariable: the evaluator's slot for it, set before it runs; -1 until
  // then.
  mutable int slot = -1;
  // kTerm: the dataset's id of the constant, once the evaluator has looked
  // it up (reset when it collects the query's variables, as one Query may
  // be evaluated against several datasets).
  mutable uint64_t constant_id = 0;
  mutable bool constant_resolved = false;
};

struct TriplePattern {
  PatternTerm subject;
  PatternTerm predicate;
  PatternTerm object;
};

// A property path (section 9). A plain IRI or `^iri` is a triple pattern,
// never a PropertyPath: the parser rewrites them.
struct PropertyPath {
  enum class Kind : uint8_t {
    kLink,         // iri
    kInverse,      // ^path
    kSequence,     // path / path
    kAlternative,  // path | path
    kZeroOrMore,   // path*
    kOneOrMore,    // path+
    kZeroOrOne,    // path?
    kNegated,      // !(iri | ^iri ...)
  };
  Kind kind = Kind::kLink;
  std::string iri;                     // kLink
  std::vector<PropertyPath> operands;  // the others (one for unary)
  // kNegated: the IRIs excluded forwards and backwards.
  std::vector<std::string> negated_forward;
  std::vector<std::string> negated_inverse;
};

struct GraphPattern;

struct Expression {
  enum class Kind : uint8_t {
    kConstant,  // term
    kVariable,  // name
    kTriple,    // <<( e e e )>>: operands subject, predicate, object
    kOr,
    kAnd,
    kEqual,
    kNotEqual,
    kLess,
    kGreater,
    kLessOrEqual,
    kGreaterOrEqual,
    kIn,
    kNotIn,  // operands[0] IN (operands[1..])
    kAdd,
    kSubtract,
    kMultiply,
    kDivide,
    kNot,
    kUnaryPlus,
    kUnaryMinus,
    kBuiltin,  // name: the upper-case function name ("STRLEN", "REGEX")
    kCall,     // name: a function IRI (casts: xsd:integer(...))
    kExists,
    kNotExists,  // pattern
    kAggregate,  // name: COUNT, SUM, ...; distinct; separator; operands
                 // empty for COUNT(*)
  };
  Kind kind = Kind::kConstant;
  rdf::Term term;
  std::string name;
  std::vector<Expression> operands;
  std::shared_ptr<const GraphPattern> pattern;  // kExists, kNotExists
  bool distinct = false;                        // kAggregate
  std::optional<std::string> separator;         // GROUP_CONCAT
};

struct OrderCondition {
  Expression expression;
  bool descending = false;
};

// One operator of the algebra. The fields an operator uses are named by
// its kind; the others stay empty.
struct GraphPattern {
  enum class Kind : uint8_t {
    kBgp,       // triples
    kPath,      // path_subject path path_object
    kJoin,      // operands[0] operands[1]
    kLeftJoin,  // operands[0] operands[1], filter: expression (optional)
    kFilter,    // expression over operands[0]
    kUnion,     // operands[0] operands[1]
    kMinus,     // operands[0] operands[1]
    kGraph,     // name (IRI or variable) over operands[0]
    kExtend,    // operands[0], variable := expression
    kTable,     // VALUES: variables, rows
    kService,   // name, silent, operands[0]
    kGroup,     // operands[0]; group keys, aggregates
    kOrderBy,   // operands[0], order
    kProject,   // operands[0], variables
    kDistinct,  // operands[0]
    kReduced,   // operands[0]
    kSlice,     // operands[0], offset, limit
  };

  Kind kind = Kind::kBgp;
  std::vector<GraphPattern> operands;
  std::vector<TriplePattern> triples;
  PatternTerm path_subject;
  PropertyPath path;
  PatternTerm path_object;
  std::optional<Expression> expression;
  std::string variable;
  PatternTerm name;
  bool silent = false;
  std::vector<std::string> variables;
  // kTable: one value per variable, nullopt for UNDEF.
  std::vector<std::vector<std::optional<rdf::Term>>> rows;
  // kGroup: each key is an expression, bound to `variable` when the query
  // wrote (expr AS ?v) or the key is a plain variable; aggregates are
  // bound to fresh variables that the projection and HAVING refer to.
  struct GroupKey {
    Expression expression;
    std::string variable;  // empty: unnamed
  };
  std::vector<GroupKey> group_keys;
  struct Aggregate {
    std::string variable;
    Expression aggregate;  // kind kAggregate
  };
  std::vector<Aggregate> aggregates;
  std::vector<OrderCondition> order;
  int64_t offset = 0;
  int64_t limit = -1;  // -1: none
};

struct Query {
  enum class Form : uint8_t { kSelect, kConstruct, kAsk, kDescribe };
  Form form = Form::kSelect;
  std::string base_iri;
  // FROM and FROM NAMED; when both are empty the dataset is the service's.
  std::vector<std::string> default_graphs;
  std::vector<std::string> named_graphs;
  // The whole query as one algebra expression, solution modifiers
  // included (a SELECT ends in kProject).
  GraphPattern pattern;
  // SELECT: the result's variables, in order. DESCRIBE: the variables
  // among `describe`.
  std::vector<std::string> variables;
  // CONSTRUCT: the template (its blank nodes are fresh per solution).
  std::vector<TriplePattern> construct_template;
  // DESCRIBE: IRIs and variables; empty with DESCRIBE * (then all
  // variables are described).
  std::vector<PatternTerm> describe;
};

// Whether a variable is one the query did not name: a blank node's
// ("_:label", "_:!3") or one the parser made ("." followed by a name, for
// aggregates and path steps). SELECT * does not project them.
bool IsHiddenVariable(absl::string_view name);

// The algebra as an S-expression, as EXPLAIN prints it and the tests
// compare it: (project (?s) (bgp (triple ?s <http://...> ?o))).
std::string ToSExpression(const GraphPattern& pattern);
std::string ToSExpression(const Expression& expression);
std::string ToSExpression(const PropertyPath& path);
std::string ToSExpression(const PatternTerm& term);

// The variables a pattern may bind (its "in-scope" variables, section
// 18.2.1), in first-appearance order.
std::vector<std::string> InScopeVariables(const GraphPattern& pattern);

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_ALGEBRA_H_
