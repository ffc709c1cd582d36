#include "query/sparql/parser.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "query/sparql/lexer.h"
#include "rdf/iri.h"

namespace kg::sparql {
namespace {

using Kind = Token::Kind;

constexpr char kRdfFirst[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
constexpr char kRdfRest[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
constexpr char kRdfNil[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
constexpr char kXsdInteger[] = "http://www.w3.org/2001/XMLSchema#integer";
constexpr char kXsdDecimal[] = "http://www.w3.org/2001/XMLSchema#decimal";
constexpr char kXsdDouble[] = "http://www.w3.org/2001/XMLSchema#double";
constexpr char kXsdBoolean[] = "http://www.w3.org/2001/XMLSchema#boolean";

// A built-in function: its canonical name and how many arguments it takes.
struct Builtin {
  const char* name;
  int min_args;
  int max_args;  // -1: any number
};

const Builtin* FindBuiltin(absl::string_view word) {
  static constexpr Builtin kBuiltins[] = {
      {"STR", 1, 1},
      {"LANG", 1, 1},
      {"LANGMATCHES", 2, 2},
      {"LANGDIR", 1, 1},
      {"DATATYPE", 1, 1},
      {"BOUND", 1, 1},
      {"IRI", 1, 1},
      {"URI", 1, 1},
      {"BNODE", 0, 1},
      {"RAND", 0, 0},
      {"ABS", 1, 1},
      {"CEIL", 1, 1},
      {"FLOOR", 1, 1},
      {"ROUND", 1, 1},
      {"CONCAT", 0, -1},
      {"STRLEN", 1, 1},
      {"UCASE", 1, 1},
      {"LCASE", 1, 1},
      {"ENCODE_FOR_URI", 1, 1},
      {"CONTAINS", 2, 2},
      {"STRSTARTS", 2, 2},
      {"STRENDS", 2, 2},
      {"STRBEFORE", 2, 2},
      {"STRAFTER", 2, 2},
      {"YEAR", 1, 1},
      {"MONTH", 1, 1},
      {"DAY", 1, 1},
      {"HOURS", 1, 1},
      {"MINUTES", 1, 1},
      {"SECONDS", 1, 1},
      {"TIMEZONE", 1, 1},
      {"TZ", 1, 1},
      {"NOW", 0, 0},
      {"UUID", 0, 0},
      {"STRUUID", 0, 0},
      {"MD5", 1, 1},
      {"SHA1", 1, 1},
      {"SHA256", 1, 1},
      {"SHA384", 1, 1},
      {"SHA512", 1, 1},
      {"COALESCE", 0, -1},
      {"IF", 3, 3},
      {"STRLANG", 2, 2},
      {"STRLANGDIR", 3, 3},
      {"STRDT", 2, 2},
      {"SAMETERM", 2, 2},
      {"ISIRI", 1, 1},
      {"ISURI", 1, 1},
      {"ISBLANK", 1, 1},
      {"ISLITERAL", 1, 1},
      {"ISNUMERIC", 1, 1},
      {"HASLANG", 1, 1},
      {"HASLANGDIR", 1, 1},
      {"ISTRIPLE", 1, 1},
      {"TRIPLE", 3, 3},
      {"SUBJECT", 1, 1},
      {"PREDICATE", 1, 1},
      {"OBJECT", 1, 1},
      {"REGEX", 2, 3},
      {"SUBSTR", 2, 3},
      {"REPLACE", 3, 4},
  };
  const std::string upper = absl::AsciiStrToUpper(word);
  for (const Builtin& b : kBuiltins) {
    if (upper == b.name) return &b;
  }
  return nullptr;
}

bool IsAggregateName(absl::string_view upper) {
  return upper == "COUNT" || upper == "SUM" || upper == "MIN" ||
         upper == "MAX" || upper == "AVG" || upper == "SAMPLE" ||
         upper == "GROUP_CONCAT";
}

bool ContainsAggregate(const Expression& e) {
  if (e.kind == Expression::Kind::kAggregate) return true;
  for (const Expression& o : e.operands) {
    if (ContainsAggregate(o)) return true;
  }
  return false;
}

GraphPattern Binary(GraphPattern::Kind kind, GraphPattern left,
                    GraphPattern right) {
  GraphPattern p;
  p.kind = kind;
  p.operands.push_back(std::move(left));
  p.operands.push_back(std::move(right));
  return p;
}

GraphPattern Unary(GraphPattern::Kind kind, GraphPattern operand) {
  GraphPattern p;
  p.kind = kind;
  p.operands.push_back(std::move(operand));
  return p;
}

bool IsEmptyBgp(const GraphPattern& p) {
  return p.kind == GraphPattern::Kind::kBgp && p.triples.empty();
}

// Join with the empty BGP as identity (W3C 18.2.2.8 simplification).
GraphPattern Join(GraphPattern left, GraphPattern right) {
  if (IsEmptyBgp(left)) return right;
  if (IsEmptyBgp(right)) return left;
  if (left.kind == GraphPattern::Kind::kBgp &&
      right.kind == GraphPattern::Kind::kBgp) {
    for (TriplePattern& t : right.triples) left.triples.push_back(std::move(t));
    return left;
  }
  return Binary(GraphPattern::Kind::kJoin, std::move(left), std::move(right));
}

Expression Conjunction(std::vector<Expression> filters) {
  Expression e = std::move(filters[0]);
  for (size_t i = 1; i < filters.size(); ++i) {
    Expression both;
    both.kind = Expression::Kind::kAnd;
    both.operands.push_back(std::move(e));
    both.operands.push_back(std::move(filters[i]));
    e = std::move(both);
  }
  return e;
}

void ExpressionVariables(const Expression& e, std::vector<std::string>* out) {
  if (e.kind == Expression::Kind::kVariable) out->push_back(e.name);
  for (const Expression& o : e.operands) ExpressionVariables(o, out);
}

// The SELECT clause as written.
struct Projection {
  bool distinct = false;
  bool reduced = false;
  bool star = false;
  struct Item {
    std::string variable;
    std::optional<Expression> expression;
    const Token* at = nullptr;
  };
  std::vector<Item> items;
};

struct GroupCondition {
  Expression expression;
  std::string variable;
};

// GROUP BY, HAVING, ORDER BY, LIMIT and OFFSET as written.
struct Modifiers {
  std::vector<GroupCondition> group_by;
  const Token* group_at = nullptr;
  std::vector<Expression> having;
  std::vector<OrderCondition> order;
  int64_t offset = 0;
  int64_t limit = -1;
};

// The triples one block of a group yields, with property paths kept apart
// until the block is closed (W3C 18.2.2.4).
struct Triples {
  std::vector<TriplePattern> triples;
  std::vector<GraphPattern> paths;
  GraphPattern ToPattern() && {
    GraphPattern bgp;
    bgp.kind = GraphPattern::Kind::kBgp;
    bgp.triples = std::move(triples);
    GraphPattern out = std::move(bgp);
    for (GraphPattern& p : paths) out = Join(std::move(out), std::move(p));
    return out;
  }
};

// How deeply a query may nest (groups, brackets, collections, triple
// terms) and how many operators it may chain (group elements, UNIONs,
// binary operators, SELECT expressions, property paths). Together they
// bound the depth of the algebra, which the parser, the printer and the
// evaluator all walk recursively: a hostile query cannot exhaust a
// thread's stack. Generated queries of thousands of patterns stay well
// inside them.
constexpr int kMaxNesting = 128;
constexpr int kMaxChain = 4096;

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseOptions& options)
      : tokens_(std::move(tokens)), base_(options.base_iri) {}

  absl::StatusOr<Query> Run();

 private:
  // Tokens.
  const Token& Peek(size_t ahead = 0) const {
    const size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Take() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool IsWord(absl::string_view kw, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == Kind::kWord && absl::EqualsIgnoreCase(t.text, kw);
  }
  bool IsPunct(absl::string_view p, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == Kind::kPunct && t.text == p;
  }
  bool EatWord(absl::string_view kw) {
    if (!IsWord(kw)) return false;
    Take();
    return true;
  }
  bool EatPunct(absl::string_view p) {
    if (!IsPunct(p)) return false;
    Take();
    return true;
  }
  bool Fail(const Token& at, absl::string_view what);
  bool Expect(absl::string_view punct);
  bool ExpectWord(absl::string_view kw);
  static std::string Describe(const Token& t);

  // Terms.
  bool IsIriStart() const {
    return Peek().kind == Kind::kIri || Peek().kind == Kind::kPrefixName;
  }
  bool Iri(std::string* out);
  bool ResolveIri(const Token& at, absl::string_view ref, std::string* out);
  bool IsLiteralStart() const;
  bool Literal(rdf::Term* out);
  bool Var(std::string* out);
  PatternTerm FreshBlank() {
    return PatternTerm::Variable(absl::StrCat("_:!", ++fresh_));
  }
  std::string FreshHidden(absl::string_view what) {
    return absl::StrCat(".", what, ++fresh_);
  }
  bool BlankNode(PatternTerm* out);

  // Prologue and queries.
  bool Prologue();
  bool SelectClause(Projection* out);
  bool DatasetClauses(Query* q);
  bool WhereClause(GraphPattern* out);
  bool SolutionModifier(Modifiers* out);
  bool ValuesClause(std::optional<GraphPattern>* out);
  bool ConstructTemplate(std::vector<TriplePattern>* out);
  bool Finish(GraphPattern where, Projection* projection, Modifiers mods,
              std::optional<GraphPattern> values, GraphPattern* out,
              std::vector<std::string>* variables);

  // Graph patterns.
  bool GroupGraphPattern(GraphPattern* out);
  bool GroupGraphPatternSub(GraphPattern* out);
  bool SubSelect(GraphPattern* out);
  bool IsTriplesStart() const;
  bool InlineData(GraphPattern* out);
  bool DataBlockValue(std::optional<rdf::Term>* out);
  bool TripleTermData(rdf::Term* out);

  // Triples (allow_paths: in WHERE; not in CONSTRUCT templates).
  bool TriplesSameSubject(bool allow_paths, Triples* out);
  bool PropertyList(const PatternTerm& subject, bool allow_paths, Triples* out);
  bool PropertyListNotEmpty(const PatternTerm& subject, bool allow_paths,
                            Triples* out);
  bool IsVerbStart(bool allow_paths) const;
  bool ObjectList(const PatternTerm& subject, const PatternTerm* predicate,
                  const PropertyPath* path, bool allow_paths, Triples* out);
  bool Annotation(const PatternTerm& subject, const PatternTerm* predicate,
                  const PatternTerm& object, bool allow_paths, Triples* out);
  bool GraphNode(bool allow_paths, PatternTerm* out, Triples* triples);
  bool VarOrTerm(PatternTerm* out);
  bool Verb(PatternTerm* out);
  bool ReifiedTriple(bool allow_paths, PatternTerm* out, Triples* triples);
  bool ReifiedPart(bool allow_paths, PatternTerm* out, Triples* triples);
  bool TripleTerm(PatternTerm* out);
  bool TripleTermPart(PatternTerm* out);
  void AddPath(const PatternTerm& s, PropertyPath path, const PatternTerm& o,
               Triples* out);
  void UseBlankLabel(const std::string& label);

  // Property paths.
  bool Path(PropertyPath* out);
  bool PathSequence(PropertyPath* out);
  bool PathEltOrInverse(PropertyPath* out);
  bool PathPrimary(PropertyPath* out);
  bool PathOneInPropertySet(PropertyPath* out);

  // Expressions.
  bool Expr(Expression* out);
  bool AndExpr(Expression* out);
  bool RelationalExpr(Expression* out);
  bool AdditiveExpr(Expression* out);
  bool MultiplicativeExpr(Expression* out);
  bool UnaryExpr(Expression* out);
  bool PrimaryExpr(Expression* out);
  bool BrackettedExpr(Expression* out);
  bool Constraint(Expression* out);
  bool ExpressionList(std::vector<Expression>* out);
  bool BuiltinCall(Expression* out);
  bool Aggregate(Expression* out);
  bool FunctionCall(std::string iri, Expression* out);
  bool ExprTripleTerm(Expression* out);
  bool NoAggregate(const Token& at, const Expression& e,
                   absl::string_view where);

  // Counts one more chained operator; false past kMaxChain.
  bool Chain(const Token& at) {
    if (++chain_ <= kMaxChain) return true;
    return Fail(at, absl::StrCat("the query chains more than ", kMaxChain,
                                 " operators"));
  }
  // Enters one more level of nesting for its scope; ok() is false past
  // kMaxNesting (and the error is set).
  class Nest {
   public:
    Nest(Parser* p) : p_(p) {
      if (++p_->nesting_ > kMaxNesting && p_->error_.ok()) {
        p_->Fail(p_->Peek(), absl::StrCat("the query nests deeper than ",
                                          kMaxNesting, " levels"));
      }
    }
    ~Nest() { --p_->nesting_; }
    bool ok() const { return p_->nesting_ <= kMaxNesting; }

   private:
    Parser* p_;
  };

  // The index of the first token naming ?name (SELECT * lists variables
  // in this order).
  size_t FirstMention(const std::string& name) {
    if (first_mention_.empty()) {
      for (size_t i = 0; i < tokens_.size(); ++i) {
        if (tokens_[i].kind == Kind::kVariable) {
          first_mention_.emplace(tokens_[i].text, i);
        }
      }
    }
    const auto it = first_mention_.find(name);
    return it == first_mention_.end() ? tokens_.size() : it->second;
  }

  std::vector<Token> tokens_;
  int chain_ = 0;
  int nesting_ = 0;
  // Whether the group GroupGraphPatternSub finished last had FILTERs of
  // its own (read by OPTIONAL right after its group).
  bool group_filtered_ = false;
  absl::flat_hash_map<std::string, size_t> first_mention_;
  size_t pos_ = 0;
  std::string base_;
  absl::flat_hash_map<std::string, std::string> prefixes_;
  int fresh_ = 0;
  // Blank node labels: the basic graph pattern each was first used in.
  absl::flat_hash_map<std::string, int> blank_scope_;
  int bgp_ = 0;
  const Token* blank_at_ = nullptr;
  absl::Status error_;
};

std::string Parser::Describe(const Token& t) {
  switch (t.kind) {
    case Kind::kEnd:
      return "the end of the query";
    case Kind::kIri:
      return absl::StrCat("<", t.text, ">");
    case Kind::kPrefixName:
      return absl::StrCat(t.text, ":", t.local);
    case Kind::kBlankLabel:
      return absl::StrCat("_:", t.text);
    case Kind::kVariable:
      return absl::StrCat("?", t.text);
    case Kind::kLangTag:
      return absl::StrCat("@", t.text);
    case Kind::kString:
      return absl::StrCat("\"", t.text.substr(0, 20), "\"");
    case Kind::kNil:
      return "()";
    case Kind::kAnon:
      return "[]";
    default:
      return absl::StrCat("'", t.text, "'");
  }
}

bool Parser::Fail(const Token& at, absl::string_view what) {
  if (error_.ok()) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("line ", at.line, ", column ", at.column, ": ", what));
  }
  return false;
}

bool Parser::Expect(absl::string_view punct) {
  if (EatPunct(punct)) return true;
  return Fail(Peek(),
              absl::StrCat("expected '", punct, "', found ", Describe(Peek())));
}

bool Parser::ExpectWord(absl::string_view kw) {
  if (EatWord(kw)) return true;
  return Fail(Peek(),
              absl::StrCat("expected ", kw, ", found ", Describe(Peek())));
}

// ---- Terms ----

bool Parser::ResolveIri(const Token& at, absl::string_view ref,
                        std::string* out) {
  if (rdf::IsAbsoluteIri(ref)) {
    *out = std::string(ref);
    return true;
  }
  if (base_.empty()) {
    return Fail(at, absl::StrCat("relative IRI <", ref,
                                 "> and no BASE to resolve it against"));
  }
  *out = rdf::ResolveIri(base_, ref);
  return true;
}

bool Parser::Iri(std::string* out) {
  const Token& t = Peek();
  if (t.kind == Kind::kIri) {
    Take();
    return ResolveIri(t, t.text, out);
  }
  if (t.kind == Kind::kPrefixName) {
    Take();
    auto it = prefixes_.find(t.text);
    if (it == prefixes_.end()) {
      return Fail(
          t, absl::StrCat("the prefix '", t.text, ":' is not declared (PREFIX ",
                          t.text, ": <...>)"));
    }
    *out = absl::StrCat(it->second, t.local);
    return true;
  }
  return Fail(t, absl::StrCat("expected an IRI, found ", Describe(t)));
}

bool Parser::IsLiteralStart() const {
  const Token& t = Peek();
  switch (t.kind) {
    case Kind::kString:
    case Kind::kInteger:
    case Kind::kDecimal:
    case Kind::kDouble:
      return true;
    case Kind::kWord:
      return IsWord("true") || IsWord("false");
    case Kind::kPunct:
      if (t.text != "+" && t.text != "-") return false;
      switch (Peek(1).kind) {
        case Kind::kInteger:
        case Kind::kDecimal:
        case Kind::kDouble:
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

// RDFLiteral | NumericLiteral | BooleanLiteral; a sign before a number
// belongs to it here (NumericLiteralPositive, NumericLiteralNegative).
bool Parser::Literal(rdf::Term* out) {
  const Token& t = Peek();
  if (t.kind == Kind::kString) {
    Take();
    std::string lexical = t.text;
    if (Peek().kind == Kind::kLangTag) {
      const std::string tag = Take().text;
      const size_t dir = tag.find("--");
      if (dir == std::string::npos) {
        *out = rdf::Term::Literal(std::move(lexical), "", tag);
      } else {
        *out = rdf::Term::Literal(std::move(lexical), "", tag.substr(0, dir),
                                  tag.substr(dir + 2) == "ltr"
                                      ? rdf::Direction::kLtr
                                      : rdf::Direction::kRtl);
      }
      return true;
    }
    if (EatPunct("^^")) {
      std::string datatype;
      if (!Iri(&datatype)) return false;
      *out = rdf::Term::Literal(std::move(lexical), std::move(datatype));
      return true;
    }
    *out = rdf::Term::Literal(std::move(lexical));
    return true;
  }
  std::string sign;
  if (IsPunct("+") || IsPunct("-")) sign = Take().text;
  const Token& n = Peek();
  switch (n.kind) {
    case Kind::kInteger:
      Take();
      *out = rdf::Term::Literal(sign + n.text, kXsdInteger);
      return true;
    case Kind::kDecimal:
      Take();
      *out = rdf::Term::Literal(sign + n.text, kXsdDecimal);
      return true;
    case Kind::kDouble:
      Take();
      *out = rdf::Term::Literal(sign + n.text, kXsdDouble);
      return true;
    default:
      break;
  }
  if (sign.empty() && (IsWord("true") || IsWord("false"))) {
    *out = rdf::Term::Literal(absl::AsciiStrToLower(Take().text), kXsdBoolean);
    return true;
  }
  return Fail(n, absl::StrCat("expected a literal, found ", Describe(n)));
}

bool Parser::Var(std::string* out) {
  if (Peek().kind != Kind::kVariable) {
    return Fail(Peek(),
                absl::StrCat("expected a variable, found ", Describe(Peek())));
  }
  *out = Take().text;
  return true;
}

void Parser::UseBlankLabel(const std::string& label) {
  auto [it, inserted] = blank_scope_.emplace(label, bgp_);
  if (!inserted && it->second != bgp_ && error_.ok()) {
    Fail(*blank_at_, absl::StrCat("the blank node _:", label,
                                  " is used in two graph patterns; use a "
                                  "variable to join them"));
  }
}

bool Parser::BlankNode(PatternTerm* out) {
  const Token& t = Peek();
  if (t.kind == Kind::kAnon) {
    Take();
    *out = FreshBlank();
    return true;
  }
  if (t.kind == Kind::kBlankLabel) {
    Take();
    blank_at_ = &t;
    UseBlankLabel(t.text);
    if (!error_.ok()) return false;
    *out = PatternTerm::Variable(absl::StrCat("_:", t.text));
    return true;
  }
  return Fail(t, absl::StrCat("expected a blank node, found ", Describe(t)));
}

// ---- Prologue and queries ----

bool Parser::Prologue() {
  while (true) {
    if (IsWord("BASE")) {
      Take();
      const Token& t = Peek();
      if (t.kind != Kind::kIri) return Fail(t, "expected <IRI> after BASE");
      Take();
      std::string resolved;
      if (!ResolveIri(t, t.text, &resolved)) return false;
      base_ = std::move(resolved);
    } else if (IsWord("PREFIX")) {
      Take();
      const Token& name = Peek();
      if (name.kind != Kind::kPrefixName || !name.pname_ns) {
        return Fail(name, "expected a prefix name ending in ':' after PREFIX");
      }
      Take();
      const Token& t = Peek();
      if (t.kind != Kind::kIri) {
        return Fail(
            t, absl::StrCat("expected <IRI> after PREFIX ", name.text, ":"));
      }
      Take();
      std::string resolved;
      if (!ResolveIri(t, t.text, &resolved)) return false;
      prefixes_[name.text] = std::move(resolved);
    } else if (IsWord("VERSION")) {
      Take();
      const Token& t = Peek();
      if (t.kind != Kind::kString || t.long_string) {
        return Fail(t, "expected a version string after VERSION (\"1.2\")");
      }
      Take();
    } else {
      return true;
    }
  }
}

absl::StatusOr<Query> Parser::Run() {
  Query q;
  if (!Prologue()) return error_;
  q.base_iri = base_;
  const Token& form = Peek();
  bool ok = false;
  Modifiers mods;
  GraphPattern where;
  std::optional<GraphPattern> values;
  if (IsWord("SELECT")) {
    q.form = Query::Form::kSelect;
    Projection projection;
    ok = SelectClause(&projection) && DatasetClauses(&q) &&
         WhereClause(&where) && SolutionModifier(&mods) &&
         ValuesClause(&values) &&
         Finish(std::move(where), &projection, std::move(mods),
                std::move(values), &q.pattern, &q.variables);
  } else if (IsWord("CONSTRUCT")) {
    Take();
    q.form = Query::Form::kConstruct;
    if (IsPunct("{")) {
      ok = ConstructTemplate(&q.construct_template) && DatasetClauses(&q) &&
           WhereClause(&where);
    } else {
      // CONSTRUCT WHERE { triples }: the pattern is its own template.
      ok = DatasetClauses(&q) && ExpectWord("WHERE") && Expect("{");
      if (ok) {
        Triples triples;
        ++bgp_;
        while (ok && !IsPunct("}")) {
          ok = TriplesSameSubject(/*allow_paths=*/false, &triples);
          if (ok && !EatPunct(".")) break;
        }
        ok = ok && Expect("}");
        q.construct_template = triples.triples;
        where = std::move(triples).ToPattern();
      }
    }
    ok = ok && SolutionModifier(&mods) && ValuesClause(&values) &&
         Finish(std::move(where), nullptr, std::move(mods), std::move(values),
                &q.pattern, nullptr);
  } else if (IsWord("DESCRIBE")) {
    Take();
    q.form = Query::Form::kDescribe;
    ok = true;
    if (EatPunct("*")) {
    } else {
      do {
        if (Peek().kind == Kind::kVariable) {
          q.describe.push_back(PatternTerm::Variable(Take().text));
          q.variables.push_back(q.describe.back().variable);
        } else {
          std::string iri;
          ok = Iri(&iri);
          if (ok)
            q.describe.push_back(PatternTerm::Constant(rdf::Term::Iri(iri)));
        }
      } while (ok && (Peek().kind == Kind::kVariable || IsIriStart()));
    }
    ok = ok && DatasetClauses(&q);
    if (ok && (IsWord("WHERE") || IsPunct("{"))) ok = WhereClause(&where);
    ok = ok && SolutionModifier(&mods) && ValuesClause(&values) &&
         Finish(std::move(where), nullptr, std::move(mods), std::move(values),
                &q.pattern, nullptr);
  } else if (IsWord("ASK")) {
    Take();
    q.form = Query::Form::kAsk;
    ok = DatasetClauses(&q) && WhereClause(&where) && SolutionModifier(&mods) &&
         ValuesClause(&values) &&
         Finish(std::move(where), nullptr, std::move(mods), std::move(values),
                &q.pattern, nullptr);
  } else {
    static constexpr const char* kUpdate[] = {
        "INSERT", "DELETE", "LOAD", "CLEAR", "DROP",
        "CREATE", "ADD",    "MOVE", "COPY",  "WITH"};
    for (const char* kw : kUpdate) {
      if (IsWord(kw)) {
        Fail(form, absl::StrCat("SPARQL Update (", kw,
                                ") is not supported: kg changes through its "
                                "write rpcs and imports"));
        return error_;
      }
    }
    Fail(form, absl::StrCat("expected SELECT, CONSTRUCT, DESCRIBE or ASK, "
                            "found ",
                            Describe(form)));
    return error_;
  }
  if (!ok) return error_;
  if (Peek().kind != Kind::kEnd) {
    Fail(Peek(), absl::StrCat("unexpected ", Describe(Peek()),
                              " after the end of the query"));
    return error_;
  }
  return q;
}

bool Parser::SelectClause(Projection* out) {
  if (!ExpectWord("SELECT")) return false;
  if (EatWord("DISTINCT")) {
    out->distinct = true;
  } else if (EatWord("REDUCED")) {
    out->reduced = true;
  }
  if (EatPunct("*")) {
    out->star = true;
    return true;
  }
  while (true) {
    const Token& t = Peek();
    if (t.kind == Kind::kVariable) {
      Take();
      out->items.push_back({t.text, std::nullopt, &t});
    } else if (IsPunct("(")) {
      if (!Chain(Take())) return false;
      Expression e;
      if (!Expr(&e) || !ExpectWord("AS")) return false;
      const Token& v = Peek();
      std::string name;
      if (!Var(&name) || !Expect(")")) return false;
      out->items.push_back({name, std::move(e), &v});
    } else {
      break;
    }
  }
  if (out->items.empty()) {
    return Fail(Peek(), absl::StrCat("expected variables or * after SELECT, "
                                     "found ",
                                     Describe(Peek())));
  }
  return true;
}

bool Parser::DatasetClauses(Query* q) {
  while (IsWord("FROM")) {
    Take();
    const bool named = EatWord("NAMED");
    std::string iri;
    if (!Iri(&iri)) return false;
    (named ? q->named_graphs : q->default_graphs).push_back(std::move(iri));
  }
  return true;
}

bool Parser::WhereClause(GraphPattern* out) {
  EatWord("WHERE");
  return GroupGraphPattern(out);
}

bool Parser::SolutionModifier(Modifiers* out) {
  if (IsWord("GROUP")) {
    out->group_at = &Take();
    if (!ExpectWord("BY")) return false;
    do {
      GroupCondition c;
      const Token& at = Peek();
      if (at.kind == Kind::kVariable) {
        Take();
        c.expression.kind = Expression::Kind::kVariable;
        c.expression.name = at.text;
        c.variable = at.text;
      } else if (IsPunct("(")) {
        Take();
        if (!Expr(&c.expression)) return false;
        if (EatWord("AS")) {
          if (!Var(&c.variable)) return false;
        }
        if (!Expect(")")) return false;
      } else if (Peek().kind == Kind::kWord || IsIriStart()) {
        if (!Constraint(&c.expression)) return false;
      } else {
        return Fail(at, absl::StrCat("expected a group condition, found ",
                                     Describe(at)));
      }
      if (!NoAggregate(at, c.expression, "GROUP BY")) return false;
      out->group_by.push_back(std::move(c));
    } while (Peek().kind == Kind::kVariable || IsPunct("(") || IsIriStart() ||
             (Peek().kind == Kind::kWord && !IsWord("HAVING") &&
              !IsWord("ORDER") && !IsWord("LIMIT") && !IsWord("OFFSET") &&
              !IsWord("VALUES")));
  }
  if (EatWord("HAVING")) {
    do {
      Expression e;
      if (!Constraint(&e)) return false;
      out->having.push_back(std::move(e));
    } while (IsPunct("(") || IsIriStart() ||
             (Peek().kind == Kind::kWord && !IsWord("ORDER") &&
              !IsWord("LIMIT") && !IsWord("OFFSET") && !IsWord("VALUES")));
  }
  if (IsWord("ORDER")) {
    Take();
    if (!ExpectWord("BY")) return false;
    do {
      OrderCondition c;
      if (IsWord("ASC") || IsWord("DESC")) {
        c.descending = IsWord("DESC");
        Take();
        if (!BrackettedExpr(&c.expression)) return false;
      } else if (Peek().kind == Kind::kVariable) {
        c.expression.kind = Expression::Kind::kVariable;
        c.expression.name = Take().text;
      } else if (!Constraint(&c.expression)) {
        return false;
      }
      out->order.push_back(std::move(c));
    } while (Peek().kind == Kind::kVariable || IsPunct("(") || IsIriStart() ||
             (Peek().kind == Kind::kWord && !IsWord("LIMIT") &&
              !IsWord("OFFSET") && !IsWord("VALUES")));
  }
  auto number = [&](int64_t* value) {
    const Token& t = Peek();
    if (t.kind != Kind::kInteger) {
      return Fail(t, absl::StrCat("expected a non-negative integer, found ",
                                  Describe(t)));
    }
    Take();
    if (!absl::SimpleAtoi(t.text, value)) {
      return Fail(t, absl::StrCat(t.text, " is too large"));
    }
    return true;
  };
  for (int i = 0; i < 2; ++i) {
    if (out->limit < 0 && EatWord("LIMIT")) {
      if (!number(&out->limit)) return false;
    } else if (out->offset == 0 && EatWord("OFFSET")) {
      if (!number(&out->offset)) return false;
    }
  }
  return true;
}

bool Parser::ValuesClause(std::optional<GraphPattern>* out) {
  if (!IsWord("VALUES")) return true;
  GraphPattern table;
  if (!InlineData(&table)) return false;
  *out = std::move(table);
  return true;
}

bool Parser::ConstructTemplate(std::vector<TriplePattern>* out) {
  if (!Expect("{")) return false;
  Triples triples;
  ++bgp_;
  while (!IsPunct("}")) {
    if (!TriplesSameSubject(/*allow_paths=*/false, &triples)) return false;
    if (!EatPunct(".")) break;
  }
  if (!Expect("}")) return false;
  *out = std::move(triples.triples);
  return true;
}

// Replaces each aggregate in `e` by a hidden variable, recorded in `aggs`.
void ExtractAggregates(Expression* e,
                       std::vector<GraphPattern::Aggregate>* aggs,
                       int* counter) {
  if (e->kind == Expression::Kind::kAggregate) {
    GraphPattern::Aggregate a;
    a.variable = absl::StrCat(".agg", (*counter)++);
    a.aggregate = std::move(*e);
    Expression v;
    v.kind = Expression::Kind::kVariable;
    v.name = a.variable;
    aggs->push_back(std::move(a));
    *e = std::move(v);
    return;
  }
  for (Expression& o : e->operands) ExtractAggregates(&o, aggs, counter);
}

// W3C 18.2.4 and 18.2.5: grouping, aggregates, HAVING, VALUES, SELECT
// expressions, ORDER BY, projection, DISTINCT/REDUCED, OFFSET/LIMIT.
bool Parser::Finish(GraphPattern where, Projection* projection, Modifiers mods,
                    std::optional<GraphPattern> values, GraphPattern* out,
                    std::vector<std::string>* variables) {
  std::vector<GraphPattern::Aggregate> aggs;
  int counter = 0;
  if (projection != nullptr) {
    for (auto& item : projection->items) {
      if (item.expression)
        ExtractAggregates(&*item.expression, &aggs, &counter);
    }
  }
  for (Expression& e : mods.having) ExtractAggregates(&e, &aggs, &counter);
  for (OrderCondition& c : mods.order) {
    ExtractAggregates(&c.expression, &aggs, &counter);
  }
  for (const auto& a : aggs) {
    for (const Expression& o : a.aggregate.operands) {
      if (ContainsAggregate(o)) {
        return Fail(Peek(), "an aggregate may not contain another aggregate");
      }
    }
  }
  const bool grouped = !mods.group_by.empty() || !aggs.empty();
  GraphPattern g = std::move(where);
  absl::flat_hash_set<std::string> visible;  // for grouped queries
  if (grouped) {
    GraphPattern group;
    group.kind = GraphPattern::Kind::kGroup;
    for (GroupCondition& c : mods.group_by) {
      if (!c.variable.empty()) visible.insert(c.variable);
      group.group_keys.push_back({std::move(c.expression), c.variable});
    }
    for (const auto& a : aggs) visible.insert(a.variable);
    group.aggregates = std::move(aggs);
    group.operands.push_back(std::move(g));
    g = std::move(group);
  } else if (!mods.having.empty()) {
    // HAVING without GROUP BY groups the whole result as one group.
    GraphPattern group;
    group.kind = GraphPattern::Kind::kGroup;
    group.operands.push_back(std::move(g));
    g = std::move(group);
  }
  if (!mods.having.empty()) {
    GraphPattern f = Unary(GraphPattern::Kind::kFilter, std::move(g));
    f.expression = Conjunction(std::move(mods.having));
    g = std::move(f);
  }
  if (values.has_value()) g = Join(std::move(g), std::move(*values));

  std::vector<std::string> projected;
  if (projection != nullptr) {
    if (projection->star) {
      if (grouped && !mods.group_by.empty()) {
        return Fail(*mods.group_at, "SELECT * is not allowed with GROUP BY");
      }
      // In the order the query first names them, as a reader expects.
      for (std::string& v : InScopeVariables(g)) {
        if (!IsHiddenVariable(v)) projected.push_back(std::move(v));
      }
      std::stable_sort(projected.begin(), projected.end(),
                       [this](const std::string& a, const std::string& b) {
                         return FirstMention(a) < FirstMention(b);
                       });
    } else {
      std::vector<std::string> in_scope = InScopeVariables(g);
      absl::flat_hash_set<std::string> scope(in_scope.begin(), in_scope.end());
      absl::flat_hash_set<std::string> seen;
      for (auto& item : projection->items) {
        if (seen.contains(item.variable)) {
          return Fail(*item.at,
                      absl::StrCat("?", item.variable, " is projected twice"));
        }
        if (item.expression) {
          if (scope.contains(item.variable)) {
            return Fail(*item.at,
                        absl::StrCat("?", item.variable,
                                     " is already bound in the pattern; "
                                     "(... AS ?",
                                     item.variable, ") may not rebind it"));
          }
          if (grouped) {
            std::vector<std::string> used;
            ExpressionVariables(*item.expression, &used);
            for (const std::string& v : used) {
              if (!visible.contains(v)) {
                return Fail(*item.at,
                            absl::StrCat("?", v,
                                         " is neither grouped nor inside an "
                                         "aggregate"));
              }
            }
            visible.insert(item.variable);
          }
          GraphPattern e = Unary(GraphPattern::Kind::kExtend, std::move(g));
          e.variable = item.variable;
          e.expression = std::move(*item.expression);
          g = std::move(e);
          scope.insert(item.variable);
        } else if (grouped && !visible.contains(item.variable)) {
          return Fail(
              *item.at,
              absl::StrCat("?", item.variable,
                           " is projected but neither grouped nor "
                           "an aggregate (GROUP BY ?",
                           item.variable, " or SAMPLE(?", item.variable, "))"));
        }
        seen.insert(item.variable);
        projected.push_back(item.variable);
      }
    }
  }
  if (!mods.order.empty()) {
    GraphPattern o = Unary(GraphPattern::Kind::kOrderBy, std::move(g));
    o.order = std::move(mods.order);
    g = std::move(o);
  }
  if (projection != nullptr) {
    GraphPattern p = Unary(GraphPattern::Kind::kProject, std::move(g));
    p.variables = projected;
    g = std::move(p);
    if (projection->distinct)
      g = Unary(GraphPattern::Kind::kDistinct, std::move(g));
    if (projection->reduced)
      g = Unary(GraphPattern::Kind::kReduced, std::move(g));
    if (variables != nullptr) *variables = std::move(projected);
  }
  if (mods.offset > 0 || mods.limit >= 0) {
    GraphPattern s = Unary(GraphPattern::Kind::kSlice, std::move(g));
    s.offset = mods.offset;
    s.limit = mods.limit;
    g = std::move(s);
  }
  *out = std::move(g);
  return true;
}

// ---- Graph patterns ----

bool Parser::GroupGraphPattern(GraphPattern* out) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  if (!Expect("{")) return false;
  if (IsWord("SELECT")) {
    if (!SubSelect(out)) return false;
  } else if (!GroupGraphPatternSub(out)) {
    return false;
  }
  return Expect("}");
}

bool Parser::SubSelect(GraphPattern* out) {
  Projection projection;
  GraphPattern where;
  Modifiers mods;
  std::optional<GraphPattern> values;
  return SelectClause(&projection) && WhereClause(&where) &&
         SolutionModifier(&mods) && ValuesClause(&values) &&
         Finish(std::move(where), &projection, std::move(mods),
                std::move(values), out, nullptr);
}

bool Parser::IsTriplesStart() const {
  const Token& t = Peek();
  switch (t.kind) {
    case Kind::kVariable:
    case Kind::kIri:
    case Kind::kPrefixName:
    case Kind::kBlankLabel:
    case Kind::kString:
    case Kind::kInteger:
    case Kind::kDecimal:
    case Kind::kDouble:
    case Kind::kNil:
    case Kind::kAnon:
      return true;
    case Kind::kWord:
      return IsWord("true") || IsWord("false");
    case Kind::kPunct:
      return t.text == "[" || t.text == "(" || t.text == "<<" ||
             t.text == "<<(" || IsLiteralStart();
    default:
      return false;
  }
}

// W3C 18.2.2.6: FILTERs apply to the whole group; OPTIONAL, MINUS and BIND
// take what precedes them; everything else joins.
bool Parser::GroupGraphPatternSub(GraphPattern* out) {
  GraphPattern g;  // the empty BGP
  std::vector<Expression> filters;
  Triples triples;
  bool in_bgp = false;  // the last element was triples or a FILTER
  bool need_dot = false;
  auto flush = [&] {
    if (!triples.triples.empty() || !triples.paths.empty()) {
      g = Join(std::move(g), std::move(triples).ToPattern());
      triples = Triples();
    }
  };
  while (!IsPunct("}")) {
    const Token& at = Peek();
    if (IsTriplesStart()) {
      if (need_dot) {
        return Fail(at,
                    absl::StrCat("expected '.' or '}' before ", Describe(at)));
      }
      if (!in_bgp) {
        ++bgp_;
        in_bgp = true;
      }
      if (!TriplesSameSubject(/*allow_paths=*/true, &triples)) return false;
      need_dot = !EatPunct(".");
      continue;
    }
    need_dot = false;
    if (!Chain(at)) return false;
    if (IsWord("FILTER")) {
      Take();
      Expression e;
      if (!Constraint(&e) || !NoAggregate(at, e, "FILTER")) return false;
      filters.push_back(std::move(e));
      EatPunct(".");
      continue;
    }
    flush();
    in_bgp = false;
    if (IsWord("OPTIONAL")) {
      Take();
      GraphPattern a;
      if (!GroupGraphPattern(&a)) return false;
      GraphPattern lj;
      lj.kind = GraphPattern::Kind::kLeftJoin;
      // OPTIONAL { P FILTER(F) } is LeftJoin(G, P, F) only when the
      // FILTER is the OPTIONAL group's own, not a nested group's.
      if (a.kind == GraphPattern::Kind::kFilter && group_filtered_) {
        lj.expression = std::move(a.expression);
        GraphPattern inner = std::move(a.operands[0]);
        a = std::move(inner);
      }
      lj.operands.push_back(std::move(g));
      lj.operands.push_back(std::move(a));
      g = std::move(lj);
    } else if (IsWord("MINUS")) {
      Take();
      GraphPattern a;
      if (!GroupGraphPattern(&a)) return false;
      g = Binary(GraphPattern::Kind::kMinus, std::move(g), std::move(a));
    } else if (IsWord("BIND")) {
      Take();
      Expression e;
      std::string v;
      if (!Expect("(") || !Expr(&e) || !NoAggregate(at, e, "BIND") ||
          !ExpectWord("AS")) {
        return false;
      }
      const Token& var_at = Peek();
      if (!Var(&v) || !Expect(")")) return false;
      for (const std::string& s : InScopeVariables(g)) {
        if (s == v) {
          return Fail(var_at, absl::StrCat("BIND(... AS ?", v, "): ?", v,
                                           " is already bound before it in "
                                           "this group"));
        }
      }
      GraphPattern ext = Unary(GraphPattern::Kind::kExtend, std::move(g));
      ext.variable = std::move(v);
      ext.expression = std::move(e);
      g = std::move(ext);
    } else if (IsWord("VALUES")) {
      GraphPattern table;
      if (!InlineData(&table)) return false;
      g = Join(std::move(g), std::move(table));
    } else if (IsWord("GRAPH")) {
      Take();
      GraphPattern graph;
      graph.kind = GraphPattern::Kind::kGraph;
      if (Peek().kind == Kind::kVariable) {
        graph.name = PatternTerm::Variable(Take().text);
      } else {
        std::string iri;
        if (!Iri(&iri)) return false;
        graph.name = PatternTerm::Constant(rdf::Term::Iri(std::move(iri)));
      }
      GraphPattern inner;
      if (!GroupGraphPattern(&inner)) return false;
      graph.operands.push_back(std::move(inner));
      g = Join(std::move(g), std::move(graph));
    } else if (IsWord("SERVICE")) {
      Take();
      GraphPattern service;
      service.kind = GraphPattern::Kind::kService;
      service.silent = EatWord("SILENT");
      if (Peek().kind == Kind::kVariable) {
        service.name = PatternTerm::Variable(Take().text);
      } else {
        std::string iri;
        if (!Iri(&iri)) return false;
        service.name = PatternTerm::Constant(rdf::Term::Iri(std::move(iri)));
      }
      GraphPattern inner;
      if (!GroupGraphPattern(&inner)) return false;
      service.operands.push_back(std::move(inner));
      g = Join(std::move(g), std::move(service));
    } else if (IsPunct("{")) {
      GraphPattern a;
      if (!GroupGraphPattern(&a)) return false;
      while (IsWord("UNION")) {
        if (!Chain(Take())) return false;
        GraphPattern b;
        if (!GroupGraphPattern(&b)) return false;
        a = Binary(GraphPattern::Kind::kUnion, std::move(a), std::move(b));
      }
      // A nested group is its own scope: keep it apart from the BGP.
      if (g.kind == GraphPattern::Kind::kBgp && g.triples.empty()) {
        g = std::move(a);
      } else {
        g = Binary(GraphPattern::Kind::kJoin, std::move(g), std::move(a));
      }
    } else {
      return Fail(at, absl::StrCat("expected a triple pattern, FILTER, "
                                   "OPTIONAL, GRAPH, {, or }, found ",
                                   Describe(at)));
    }
    EatPunct(".");
  }
  flush();
  group_filtered_ = !filters.empty();
  if (!filters.empty()) {
    GraphPattern f = Unary(GraphPattern::Kind::kFilter, std::move(g));
    f.expression = Conjunction(std::move(filters));
    g = std::move(f);
  }
  *out = std::move(g);
  return true;
}

bool Parser::InlineData(GraphPattern* out) {
  if (!ExpectWord("VALUES")) return false;
  out->kind = GraphPattern::Kind::kTable;
  if (Peek().kind == Kind::kVariable) {
    out->variables.push_back(Take().text);
    if (!Expect("{")) return false;
    while (!IsPunct("}")) {
      std::optional<rdf::Term> v;
      if (!DataBlockValue(&v)) return false;
      out->rows.push_back({std::move(v)});
    }
    return Expect("}");
  }
  const Token& vars_at = Peek();
  if (Peek().kind == Kind::kNil) {
    Take();
  } else {
    if (!Expect("(")) return false;
    while (Peek().kind == Kind::kVariable) {
      const Token& v = Take();
      for (const std::string& s : out->variables) {
        if (s == v.text) {
          return Fail(v, absl::StrCat("?", v.text, " appears twice in VALUES"));
        }
      }
      out->variables.push_back(v.text);
    }
    if (!Expect(")")) return false;
  }
  if (!Expect("{")) return false;
  while (!IsPunct("}")) {
    const Token& row_at = Peek();
    std::vector<std::optional<rdf::Term>> row;
    if (Peek().kind == Kind::kNil) {
      Take();
    } else {
      if (!Expect("(")) return false;
      while (!IsPunct(")")) {
        std::optional<rdf::Term> v;
        if (!DataBlockValue(&v)) return false;
        row.push_back(std::move(v));
      }
      Take();
    }
    if (row.size() != out->variables.size()) {
      return Fail(row_at, absl::StrCat("a VALUES row has ", row.size(),
                                       " values for ", out->variables.size(),
                                       " variables (UNDEF stands for none)"));
    }
    out->rows.push_back(std::move(row));
  }
  (void)vars_at;
  return Expect("}");
}

bool Parser::DataBlockValue(std::optional<rdf::Term>* out) {
  if (EatWord("UNDEF")) {
    out->reset();
    return true;
  }
  rdf::Term t;
  if (IsIriStart()) {
    std::string iri;
    if (!Iri(&iri)) return false;
    t = rdf::Term::Iri(std::move(iri));
  } else if (IsPunct("<<(")) {
    if (!TripleTermData(&t)) return false;
  } else if (IsLiteralStart()) {
    if (!Literal(&t)) return false;
  } else {
    return Fail(Peek(), absl::StrCat("expected a value or UNDEF, found ",
                                     Describe(Peek())));
  }
  *out = std::move(t);
  return true;
}

// TripleTermData ::= '<<(' iri ( iri | 'a' ) TripleTermDataObject ')>>'
bool Parser::TripleTermData(rdf::Term* out) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  if (!Expect("<<(")) return false;
  rdf::Triple triple;
  std::string s, p;
  if (!Iri(&s)) return false;
  triple.subject = rdf::Term::Iri(s);
  if (IsWord("a") && Peek().text == "a") {
    Take();
    p = rdf::kRdfType;
  } else if (!Iri(&p)) {
    return false;
  }
  triple.predicate = rdf::Term::Iri(p);
  if (IsIriStart()) {
    std::string o;
    if (!Iri(&o)) return false;
    triple.object = rdf::Term::Iri(o);
  } else if (IsPunct("<<(")) {
    if (!TripleTermData(&triple.object)) return false;
  } else if (!Literal(&triple.object)) {
    return false;
  }
  if (!Expect(")>>")) return false;
  *out = rdf::Term::TripleTerm(std::move(triple));
  return true;
}

// ---- Triples ----

void Parser::AddPath(const PatternTerm& s, PropertyPath path,
                     const PatternTerm& o, Triples* out) {
  switch (path.kind) {
    case PropertyPath::Kind::kLink:
      out->triples.push_back(
          {s, PatternTerm::Constant(rdf::Term::Iri(path.iri)), o});
      return;
    case PropertyPath::Kind::kInverse: {
      PropertyPath inner = std::move(path.operands[0]);
      if (inner.kind == PropertyPath::Kind::kLink) {
        AddPath(o, std::move(inner), s, out);
        return;
      }
      if (inner.kind == PropertyPath::Kind::kInverse) {
        AddPath(s, std::move(inner.operands[0]), o, out);
        return;
      }
      if (inner.kind == PropertyPath::Kind::kSequence) {
        AddPath(o, std::move(inner), s, out);  // ^(a/b) = ^b/^a, reversed
        return;
      }
      path.operands[0] = std::move(inner);
      break;
    }
    case PropertyPath::Kind::kSequence: {
      PatternTerm from = s;
      for (size_t i = 0; i < path.operands.size(); ++i) {
        const bool last = i + 1 == path.operands.size();
        PatternTerm to = last ? o : PatternTerm::Variable(FreshHidden("path"));
        AddPath(from, std::move(path.operands[i]), to, out);
        from = std::move(to);
      }
      return;
    }
    default:
      break;
  }
  Chain(Peek());  // the caller sees error_
  GraphPattern p;
  p.kind = GraphPattern::Kind::kPath;
  p.path_subject = s;
  p.path = std::move(path);
  p.path_object = o;
  out->paths.push_back(std::move(p));
}

// TriplesSameSubject(Path) ::= VarOrTerm PropertyListNotEmpty |
// TriplesNode PropertyList | ReifiedTripleBlock
bool Parser::TriplesSameSubject(bool allow_paths, Triples* out) {
  PatternTerm subject;
  if (IsPunct("[") || IsPunct("(")) {
    if (!GraphNode(allow_paths, &subject, out)) return false;
    return PropertyList(subject, allow_paths, out);
  }
  if (IsPunct("<<")) {
    if (!ReifiedTriple(allow_paths, &subject, out)) return false;
    return PropertyList(subject, allow_paths, out);
  }
  if (!VarOrTerm(&subject)) return false;
  return PropertyListNotEmpty(subject, allow_paths, out);
}

bool Parser::PropertyList(const PatternTerm& subject, bool allow_paths,
                          Triples* out) {
  if (!IsVerbStart(allow_paths)) return true;
  return PropertyListNotEmpty(subject, allow_paths, out);
}

bool Parser::IsVerbStart(bool allow_paths) const {
  if (Peek().kind == Kind::kVariable || IsIriStart()) return true;
  if (Peek().kind == Kind::kWord && Peek().text == "a") return true;
  return allow_paths && (IsPunct("^") || IsPunct("!") || IsPunct("("));
}

bool Parser::PropertyListNotEmpty(const PatternTerm& subject, bool allow_paths,
                                  Triples* out) {
  while (true) {
    if (!IsVerbStart(allow_paths)) {
      return Fail(Peek(), absl::StrCat("expected a predicate, found ",
                                       Describe(Peek())));
    }
    if (Peek().kind == Kind::kVariable) {
      const PatternTerm p = PatternTerm::Variable(Take().text);
      if (!ObjectList(subject, &p, nullptr, allow_paths, out)) return false;
    } else if (!allow_paths) {
      PatternTerm p;
      if (!Verb(&p) || !ObjectList(subject, &p, nullptr, allow_paths, out)) {
        return false;
      }
    } else {
      PropertyPath path;
      if (!Path(&path)) return false;
      if (path.kind == PropertyPath::Kind::kLink) {
        const PatternTerm p = PatternTerm::Constant(rdf::Term::Iri(path.iri));
        if (!ObjectList(subject, &p, nullptr, allow_paths, out)) return false;
      } else if (!ObjectList(subject, nullptr, &path, allow_paths, out) ||
                 !error_.ok()) {
        return false;
      }
    }
    if (!EatPunct(";")) return true;
    while (EatPunct(";")) {
    }
    if (!IsVerbStart(allow_paths)) return true;
  }
}

bool Parser::Verb(PatternTerm* out) {
  if (Peek().kind == Kind::kWord && Peek().text == "a") {
    Take();
    *out = PatternTerm::Constant(rdf::Term::Iri(rdf::kRdfType));
    return true;
  }
  if (Peek().kind == Kind::kVariable) {
    *out = PatternTerm::Variable(Take().text);
    return true;
  }
  std::string iri;
  if (!Iri(&iri)) return false;
  *out = PatternTerm::Constant(rdf::Term::Iri(std::move(iri)));
  return true;
}

bool Parser::ObjectList(const PatternTerm& subject,
                        const PatternTerm* predicate, const PropertyPath* path,
                        bool allow_paths, Triples* out) {
  do {
    PatternTerm object;
    if (!GraphNode(allow_paths, &object, out)) return false;
    if (predicate != nullptr) {
      out->triples.push_back({subject, *predicate, object});
    } else {
      AddPath(subject, *path, object, out);
    }
    if (!Annotation(subject, predicate, object, allow_paths, out)) {
      return false;
    }
  } while (EatPunct(","));
  return true;
}

// Annotation ::= ( Reifier | AnnotationBlock )*: each reifier names the
// triple (r rdf:reifies <<( s p o )>>); a block describes the reifier
// before it, or a fresh one.
bool Parser::Annotation(const PatternTerm& subject,
                        const PatternTerm* predicate, const PatternTerm& object,
                        bool allow_paths, Triples* out) {
  std::optional<PatternTerm> reifier;
  while (IsPunct("~") || IsPunct("{|")) {
    if (predicate == nullptr) {
      return Fail(Peek(),
                  "reifiers and annotations apply to a triple, not "
                  "to a property path");
    }
    const PatternTerm quoted =
        PatternTerm::Triple(TriplePattern{subject, *predicate, object});
    const PatternTerm reifies =
        PatternTerm::Constant(rdf::Term::Iri(rdf::kRdfReifies));
    if (EatPunct("~")) {
      PatternTerm r;
      if (Peek().kind == Kind::kVariable) {
        r = PatternTerm::Variable(Take().text);
      } else if (IsIriStart()) {
        std::string iri;
        if (!Iri(&iri)) return false;
        r = PatternTerm::Constant(rdf::Term::Iri(std::move(iri)));
      } else if (Peek().kind == Kind::kBlankLabel ||
                 Peek().kind == Kind::kAnon) {
        if (!BlankNode(&r)) return false;
      } else {
        r = FreshBlank();
      }
      out->triples.push_back({r, reifies, quoted});
      reifier = std::move(r);
      continue;
    }
    Take();  // {|
    if (!reifier.has_value()) {
      reifier = FreshBlank();
      out->triples.push_back({*reifier, reifies, quoted});
    }
    if (!PropertyListNotEmpty(*reifier, allow_paths, out) || !Expect("|}")) {
      return false;
    }
    reifier.reset();
  }
  return true;
}

// GraphNode ::= VarOrTerm | TriplesNode | ReifiedTriple
bool Parser::GraphNode(bool allow_paths, PatternTerm* out, Triples* triples) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  if (IsPunct("[")) {
    Take();
    *out = FreshBlank();
    if (!PropertyListNotEmpty(*out, allow_paths, triples)) return false;
    return Expect("]");
  }
  if (IsPunct("(")) {
    Take();
    std::vector<PatternTerm> items;
    do {
      PatternTerm item;
      if (!GraphNode(allow_paths, &item, triples)) return false;
      items.push_back(std::move(item));
    } while (!IsPunct(")"));
    Take();
    PatternTerm next = PatternTerm::Constant(rdf::Term::Iri(kRdfNil));
    for (size_t i = items.size(); i-- > 0;) {
      PatternTerm node = FreshBlank();
      triples->triples.push_back(
          {node, PatternTerm::Constant(rdf::Term::Iri(kRdfFirst)), items[i]});
      triples->triples.push_back(
          {node, PatternTerm::Constant(rdf::Term::Iri(kRdfRest)), next});
      next = std::move(node);
    }
    *out = std::move(next);
    return true;
  }
  if (IsPunct("<<")) return ReifiedTriple(allow_paths, out, triples);
  return VarOrTerm(out);
}

// VarOrTerm ::= Var | iri | RDFLiteral | NumericLiteral | BooleanLiteral |
// BlankNode | NIL | TripleTerm
bool Parser::VarOrTerm(PatternTerm* out) {
  const Token& t = Peek();
  if (t.kind == Kind::kVariable) {
    *out = PatternTerm::Variable(Take().text);
    return true;
  }
  if (t.kind == Kind::kNil) {
    Take();
    *out = PatternTerm::Constant(rdf::Term::Iri(kRdfNil));
    return true;
  }
  if (t.kind == Kind::kBlankLabel || t.kind == Kind::kAnon) {
    return BlankNode(out);
  }
  if (IsPunct("<<(")) return TripleTerm(out);
  if (IsIriStart()) {
    std::string iri;
    if (!Iri(&iri)) return false;
    *out = PatternTerm::Constant(rdf::Term::Iri(std::move(iri)));
    return true;
  }
  if (IsLiteralStart()) {
    rdf::Term lit;
    if (!Literal(&lit)) return false;
    *out = PatternTerm::Constant(std::move(lit));
    return true;
  }
  return Fail(
      t, absl::StrCat("expected a term or a variable, found ", Describe(t)));
}

// ReifiedTriple ::= '<<' ReifiedTripleSubject Verb ReifiedTripleObject
// Reifier? '>>': the node is the reifier; the triple is not asserted.
bool Parser::ReifiedTriple(bool allow_paths, PatternTerm* out,
                           Triples* triples) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  if (!Expect("<<")) return false;
  TriplePattern t;
  if (!ReifiedPart(allow_paths, &t.subject, triples) || !Verb(&t.predicate) ||
      !ReifiedPart(allow_paths, &t.object, triples)) {
    return false;
  }
  PatternTerm r;
  if (EatPunct("~")) {
    if (Peek().kind == Kind::kVariable) {
      r = PatternTerm::Variable(Take().text);
    } else if (IsIriStart()) {
      std::string iri;
      if (!Iri(&iri)) return false;
      r = PatternTerm::Constant(rdf::Term::Iri(std::move(iri)));
    } else if (Peek().kind == Kind::kBlankLabel || Peek().kind == Kind::kAnon) {
      if (!BlankNode(&r)) return false;
    } else {
      r = FreshBlank();
    }
  } else {
    r = FreshBlank();
  }
  if (!Expect(">>")) return false;
  triples->triples.push_back(
      {r, PatternTerm::Constant(rdf::Term::Iri(rdf::kRdfReifies)),
       PatternTerm::Triple(std::move(t))});
  *out = std::move(r);
  return true;
}

// ReifiedTripleSubject/Object ::= Var | iri | RDFLiteral | NumericLiteral |
// BooleanLiteral | BlankNode | ReifiedTriple | TripleTerm
bool Parser::ReifiedPart(bool allow_paths, PatternTerm* out, Triples* triples) {
  if (IsPunct("<<")) return ReifiedTriple(allow_paths, out, triples);
  if (Peek().kind == Kind::kNil) {
    return Fail(Peek(), "a collection may not appear in a reified triple");
  }
  if (IsPunct("[") || IsPunct("(")) {
    return Fail(Peek(), absl::StrCat(Describe(Peek()),
                                     " may not appear in a reified triple"));
  }
  return VarOrTerm(out);
}

// TripleTerm ::= '<<(' TripleTermSubject Verb TripleTermObject ')>>'
bool Parser::TripleTerm(PatternTerm* out) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  if (!Expect("<<(")) return false;
  TriplePattern t;
  if (!TripleTermPart(&t.subject) || !Verb(&t.predicate) ||
      !TripleTermPart(&t.object) || !Expect(")>>")) {
    return false;
  }
  *out = PatternTerm::Triple(std::move(t));
  return true;
}

bool Parser::TripleTermPart(PatternTerm* out) {
  const Token& t = Peek();
  if (t.kind == Kind::kNil || IsPunct("[") || IsPunct("(") || IsPunct("<<")) {
    return Fail(t,
                absl::StrCat(Describe(t), " may not appear in a triple term"));
  }
  return VarOrTerm(out);
}

// ---- Property paths ----

// PathAlternative ::= PathSequence ( '|' PathSequence )*
bool Parser::Path(PropertyPath* out) {
  PropertyPath first;
  if (!PathSequence(&first)) return false;
  if (!IsPunct("|")) {
    *out = std::move(first);
    return true;
  }
  out->kind = PropertyPath::Kind::kAlternative;
  out->operands.push_back(std::move(first));
  while (EatPunct("|")) {
    PropertyPath next;
    if (!PathSequence(&next)) return false;
    out->operands.push_back(std::move(next));
  }
  return true;
}

// PathSequence ::= PathEltOrInverse ( '/' PathEltOrInverse )*
bool Parser::PathSequence(PropertyPath* out) {
  PropertyPath first;
  if (!PathEltOrInverse(&first)) return false;
  if (!IsPunct("/")) {
    *out = std::move(first);
    return true;
  }
  out->kind = PropertyPath::Kind::kSequence;
  out->operands.push_back(std::move(first));
  while (EatPunct("/")) {
    PropertyPath next;
    if (!PathEltOrInverse(&next)) return false;
    out->operands.push_back(std::move(next));
  }
  return true;
}

// PathEltOrInverse ::= PathElt | '^' PathElt; PathElt ::= PathPrimary
// PathMod?
bool Parser::PathEltOrInverse(PropertyPath* out) {
  const bool inverse = EatPunct("^");
  PropertyPath elt;
  if (!PathPrimary(&elt)) return false;
  PropertyPath::Kind mod = PropertyPath::Kind::kLink;
  if (IsPunct("*")) {
    mod = PropertyPath::Kind::kZeroOrMore;
  } else if (IsPunct("+")) {
    mod = PropertyPath::Kind::kOneOrMore;
  } else if (IsPunct("?")) {
    mod = PropertyPath::Kind::kZeroOrOne;
  }
  if (mod != PropertyPath::Kind::kLink) {
    Take();
    PropertyPath m;
    m.kind = mod;
    m.operands.push_back(std::move(elt));
    elt = std::move(m);
  }
  if (inverse) {
    PropertyPath inv;
    inv.kind = PropertyPath::Kind::kInverse;
    inv.operands.push_back(std::move(elt));
    elt = std::move(inv);
  }
  *out = std::move(elt);
  return true;
}

// PathPrimary ::= iri | 'a' | '!' PathNegatedPropertySet | '(' Path ')'
bool Parser::PathPrimary(PropertyPath* out) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  if (Peek().kind == Kind::kWord && Peek().text == "a") {
    Take();
    out->kind = PropertyPath::Kind::kLink;
    out->iri = rdf::kRdfType;
    return true;
  }
  if (EatPunct("!")) {
    out->kind = PropertyPath::Kind::kNegated;
    auto one = [&]() {
      PropertyPath p;
      if (!PathOneInPropertySet(&p)) return false;
      if (p.kind == PropertyPath::Kind::kInverse) {
        out->negated_inverse.push_back(p.operands[0].iri);
      } else {
        out->negated_forward.push_back(p.iri);
      }
      return true;
    };
    if (Peek().kind == Kind::kNil) {
      Take();
      return true;
    }
    if (EatPunct("(")) {
      if (!one()) return false;
      while (EatPunct("|")) {
        if (!one()) return false;
      }
      return Expect(")");
    }
    return one();
  }
  if (EatPunct("(")) {
    return Path(out) && Expect(")");
  }
  std::string iri;
  if (!Iri(&iri)) return false;
  out->kind = PropertyPath::Kind::kLink;
  out->iri = std::move(iri);
  return true;
}

// PathOneInPropertySet ::= iri | 'a' | '^' ( iri | 'a' )
bool Parser::PathOneInPropertySet(PropertyPath* out) {
  const bool inverse = EatPunct("^");
  PropertyPath link;
  link.kind = PropertyPath::Kind::kLink;
  if (Peek().kind == Kind::kWord && Peek().text == "a") {
    Take();
    link.iri = rdf::kRdfType;
  } else if (!Iri(&link.iri)) {
    return false;
  }
  if (inverse) {
    out->kind = PropertyPath::Kind::kInverse;
    out->operands.push_back(std::move(link));
  } else {
    *out = std::move(link);
  }
  return true;
}

// ---- Expressions ----

bool Parser::NoAggregate(const Token& at, const Expression& e,
                         absl::string_view where) {
  if (!ContainsAggregate(e)) return true;
  return Fail(at, absl::StrCat("aggregates are not allowed in ", where,
                               " (only in SELECT, HAVING and ORDER BY)"));
}

Expression MakeBinary(Expression::Kind kind, Expression a, Expression b) {
  Expression e;
  e.kind = kind;
  e.operands.push_back(std::move(a));
  e.operands.push_back(std::move(b));
  return e;
}

// ConditionalOrExpression ::= ConditionalAndExpression ( '||' ... )*
bool Parser::Expr(Expression* out) {
  if (!AndExpr(out)) return false;
  while (EatPunct("||")) {
    if (!Chain(Peek())) return false;
    Expression rhs;
    if (!AndExpr(&rhs)) return false;
    *out = MakeBinary(Expression::Kind::kOr, std::move(*out), std::move(rhs));
  }
  return true;
}

bool Parser::AndExpr(Expression* out) {
  if (!RelationalExpr(out)) return false;
  while (EatPunct("&&")) {
    if (!Chain(Peek())) return false;
    Expression rhs;
    if (!RelationalExpr(&rhs)) return false;
    *out = MakeBinary(Expression::Kind::kAnd, std::move(*out), std::move(rhs));
  }
  return true;
}

// RelationalExpression ::= NumericExpression ( '=' NumericExpression | ...
// | 'IN' ExpressionList | 'NOT' 'IN' ExpressionList )?
bool Parser::RelationalExpr(Expression* out) {
  if (!AdditiveExpr(out)) return false;
  static constexpr std::pair<const char*, Expression::Kind> kOps[] = {
      {"=", Expression::Kind::kEqual},
      {"!=", Expression::Kind::kNotEqual},
      {"<", Expression::Kind::kLess},
      {">", Expression::Kind::kGreater},
      {"<=", Expression::Kind::kLessOrEqual},
      {">=", Expression::Kind::kGreaterOrEqual}};
  for (const auto& [text, kind] : kOps) {
    if (EatPunct(text)) {
      Expression rhs;
      if (!AdditiveExpr(&rhs)) return false;
      *out = MakeBinary(kind, std::move(*out), std::move(rhs));
      return true;
    }
  }
  Expression::Kind in_kind;
  if (IsWord("IN")) {
    Take();
    in_kind = Expression::Kind::kIn;
  } else if (IsWord("NOT") && IsWord("IN", 1)) {
    Take();
    Take();
    in_kind = Expression::Kind::kNotIn;
  } else {
    return true;
  }
  std::vector<Expression> list;
  if (!ExpressionList(&list)) return false;
  Expression e;
  e.kind = in_kind;
  e.operands.push_back(std::move(*out));
  for (Expression& x : list) e.operands.push_back(std::move(x));
  *out = std::move(e);
  return true;
}

bool Parser::AdditiveExpr(Expression* out) {
  if (!MultiplicativeExpr(out)) return false;
  while (IsPunct("+") || IsPunct("-")) {
    if (!Chain(Peek())) return false;
    const Expression::Kind kind = Take().text == "+"
                                      ? Expression::Kind::kAdd
                                      : Expression::Kind::kSubtract;
    Expression rhs;
    if (!MultiplicativeExpr(&rhs)) return false;
    *out = MakeBinary(kind, std::move(*out), std::move(rhs));
  }
  return true;
}

bool Parser::MultiplicativeExpr(Expression* out) {
  if (!UnaryExpr(out)) return false;
  while (IsPunct("*") || IsPunct("/")) {
    if (!Chain(Peek())) return false;
    const Expression::Kind kind = Take().text == "*"
                                      ? Expression::Kind::kMultiply
                                      : Expression::Kind::kDivide;
    Expression rhs;
    if (!UnaryExpr(&rhs)) return false;
    *out = MakeBinary(kind, std::move(*out), std::move(rhs));
  }
  return true;
}

bool Parser::UnaryExpr(Expression* out) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  Expression::Kind kind;
  if (IsPunct("!")) {
    kind = Expression::Kind::kNot;
  } else if (IsPunct("+")) {
    kind = Expression::Kind::kUnaryPlus;
  } else if (IsPunct("-")) {
    kind = Expression::Kind::kUnaryMinus;
  } else {
    return PrimaryExpr(out);
  }
  Take();
  Expression operand;
  // SPARQL 1.2 lets '!' repeat (!!?x); + and - take a primary.
  if (!(kind == Expression::Kind::kNot ? UnaryExpr(&operand)
                                       : PrimaryExpr(&operand))) {
    return false;
  }
  out->kind = kind;
  out->operands.push_back(std::move(operand));
  return true;
}

// PrimaryExpression ::= BrackettedExpression | BuiltInCall | iriOrFunction
// | RDFLiteral | NumericLiteral | BooleanLiteral | Var | ExprTripleTerm
bool Parser::PrimaryExpr(Expression* out) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  const Token& t = Peek();
  if (IsPunct("(")) return BrackettedExpr(out);
  if (IsPunct("<<(")) return ExprTripleTerm(out);
  if (t.kind == Kind::kVariable) {
    Take();
    out->kind = Expression::Kind::kVariable;
    out->name = t.text;
    return true;
  }
  if (IsIriStart()) {
    std::string iri;
    if (!Iri(&iri)) return false;
    if (IsPunct("(") || Peek().kind == Kind::kNil) {
      return FunctionCall(std::move(iri), out);
    }
    out->kind = Expression::Kind::kConstant;
    out->term = rdf::Term::Iri(std::move(iri));
    return true;
  }
  if (t.kind == Kind::kString || t.kind == Kind::kInteger ||
      t.kind == Kind::kDecimal || t.kind == Kind::kDouble || IsWord("true") ||
      IsWord("false")) {
    out->kind = Expression::Kind::kConstant;
    return Literal(&out->term);
  }
  if (t.kind == Kind::kWord) return BuiltinCall(out);
  return Fail(t, absl::StrCat("expected an expression, found ", Describe(t)));
}

bool Parser::BrackettedExpr(Expression* out) {
  return Expect("(") && Expr(out) && Expect(")");
}

// Constraint ::= BrackettedExpression | BuiltInCall | FunctionCall
bool Parser::Constraint(Expression* out) {
  if (IsPunct("(")) return BrackettedExpr(out);
  if (IsIriStart()) {
    const Token& at = Peek();
    std::string iri;
    if (!Iri(&iri)) return false;
    if (!IsPunct("(") && Peek().kind != Kind::kNil) {
      return Fail(at, "expected a function call or a bracketed expression");
    }
    return FunctionCall(std::move(iri), out);
  }
  if (Peek().kind == Kind::kWord) return BuiltinCall(out);
  return Fail(Peek(), absl::StrCat("expected a bracketed expression or a "
                                   "function call, found ",
                                   Describe(Peek())));
}

bool Parser::ExpressionList(std::vector<Expression>* out) {
  if (Peek().kind == Kind::kNil) {
    Take();
    return true;
  }
  if (!Expect("(")) return false;
  do {
    Expression e;
    if (!Expr(&e)) return false;
    out->push_back(std::move(e));
  } while (EatPunct(","));
  return Expect(")");
}

bool Parser::FunctionCall(std::string iri, Expression* out) {
  out->kind = Expression::Kind::kCall;
  out->name = std::move(iri);
  if (Peek().kind == Kind::kNil) {
    Take();
    return true;
  }
  if (!Expect("(")) return false;
  if (IsWord("DISTINCT")) {
    return Fail(Peek(), absl::StrCat("<", out->name,
                                     "> is not an aggregate: DISTINCT is not "
                                     "allowed in its arguments"));
  }
  do {
    Expression e;
    if (!Expr(&e)) return false;
    out->operands.push_back(std::move(e));
  } while (EatPunct(","));
  return Expect(")");
}

bool Parser::Aggregate(Expression* out) {
  const Token& name = Take();
  out->kind = Expression::Kind::kAggregate;
  out->name = absl::AsciiStrToUpper(name.text);
  if (!Expect("(")) return false;
  out->distinct = EatWord("DISTINCT");
  if (out->name == "COUNT" && EatPunct("*")) return Expect(")");
  Expression arg;
  if (!Expr(&arg)) return false;
  if (ContainsAggregate(arg)) {
    return Fail(name, "an aggregate may not contain another aggregate");
  }
  out->operands.push_back(std::move(arg));
  if (out->name == "GROUP_CONCAT" && EatPunct(";")) {
    if (!ExpectWord("SEPARATOR") || !Expect("=")) return false;
    if (Peek().kind != Kind::kString) {
      return Fail(Peek(), "expected a string after SEPARATOR =");
    }
    out->separator = Take().text;
  }
  return Expect(")");
}

bool Parser::BuiltinCall(Expression* out) {
  const Token& name = Peek();
  const std::string upper = absl::AsciiStrToUpper(name.text);
  if (IsAggregateName(upper)) return Aggregate(out);
  if (upper == "EXISTS" || (upper == "NOT" && IsWord("EXISTS", 1))) {
    Take();
    if (upper == "NOT") Take();
    out->kind = upper == "NOT" ? Expression::Kind::kNotExists
                               : Expression::Kind::kExists;
    GraphPattern p;
    if (!GroupGraphPattern(&p)) return false;
    out->pattern = std::make_shared<const GraphPattern>(std::move(p));
    return true;
  }
  const Builtin* b = FindBuiltin(name.text);
  if (b == nullptr) {
    return Fail(name, absl::StrCat("unknown function ", name.text));
  }
  Take();
  out->kind = Expression::Kind::kBuiltin;
  out->name = b->name;
  if (out->name == "URI") out->name = "IRI";
  if (out->name == "ISURI") out->name = "ISIRI";
  if (Peek().kind == Kind::kNil) {
    Take();
  } else if (out->name == "BOUND") {
    Expression v;
    if (!Expect("(")) return false;
    const Token& at = Peek();
    if (at.kind != Kind::kVariable) {
      return Fail(at, "BOUND takes a variable");
    }
    v.kind = Expression::Kind::kVariable;
    v.name = Take().text;
    out->operands.push_back(std::move(v));
    if (!Expect(")")) return false;
  } else {
    if (!Expect("(")) return false;
    do {
      Expression e;
      if (!Expr(&e)) return false;
      out->operands.push_back(std::move(e));
    } while (EatPunct(","));
    if (!Expect(")")) return false;
  }
  const int n = static_cast<int>(out->operands.size());
  if (n < b->min_args || (b->max_args >= 0 && n > b->max_args)) {
    return Fail(name, absl::StrCat(
                          b->name, " takes ",
                          b->min_args == b->max_args ? absl::StrCat(b->min_args)
                          : b->max_args < 0
                              ? absl::StrCat("at least ", b->min_args)
                              : absl::StrCat(b->min_args, " to ", b->max_args),
                          " arguments, not ", n));
  }
  return true;
}

// ExprTripleTerm ::= '<<(' (iri | Var) Verb ExprTripleTermObject ')>>'
bool Parser::ExprTripleTerm(Expression* out) {
  const Nest nest(this);
  if (!nest.ok()) return false;
  if (!Expect("<<(")) return false;
  auto part = [&](bool object, Expression* e) {
    if (Peek().kind == Kind::kVariable) {
      e->kind = Expression::Kind::kVariable;
      e->name = Take().text;
      return true;
    }
    if (IsIriStart()) {
      e->kind = Expression::Kind::kConstant;
      std::string iri;
      if (!Iri(&iri)) return false;
      e->term = rdf::Term::Iri(std::move(iri));
      return true;
    }
    if (object && IsPunct("<<(")) return ExprTripleTerm(e);
    if (object && IsLiteralStart()) {
      e->kind = Expression::Kind::kConstant;
      return Literal(&e->term);
    }
    return Fail(Peek(), absl::StrCat(Describe(Peek()),
                                     " may not appear in a triple term "
                                     "expression"));
  };
  Expression s, p, o;
  if (!part(false, &s)) return false;
  PatternTerm verb;
  if (!Verb(&verb)) return false;
  if (verb.is_variable()) {
    p.kind = Expression::Kind::kVariable;
    p.name = verb.variable;
  } else {
    p.kind = Expression::Kind::kConstant;
    p.term = verb.term;
  }
  if (!part(true, &o) || !Expect(")>>")) return false;
  out->kind = Expression::Kind::kTriple;
  out->operands = {std::move(s), std::move(p), std::move(o)};
  return true;
}

}  // namespace

absl::StatusOr<Query> Parse(absl::string_view text,
                            const ParseOptions& options) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(*std::move(tokens), options).Run();
}

}  // namespace kg::sparql
