#include "query/sparql/algebra.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kg::sparql {

PatternTerm PatternTerm::Constant(rdf::Term term) {
  PatternTerm t;
  t.kind = Kind::kTerm;
  t.term = std::move(term);
  return t;
}

PatternTerm PatternTerm::Variable(std::string name) {
  PatternTerm t;
  t.kind = Kind::kVariable;
  t.variable = std::move(name);
  return t;
}

PatternTerm PatternTerm::Triple(TriplePattern triple) {
  PatternTerm t;
  t.kind = Kind::kTriple;
  t.triple = std::make_shared<const TriplePattern>(std::move(triple));
  return t;
}

bool PatternTerm::is_blank_variable() const {
  return kind == Kind::kVariable && IsHiddenVariable(variable);
}

bool IsHiddenVariable(absl::string_view name) {
  return absl::StartsWith(name, "_:") || absl::StartsWith(name, ".");
}

std::string ToSExpression(const PatternTerm& term) {
  switch (term.kind) {
    case PatternTerm::Kind::kTerm:
      return rdf::ToNTriples(term.term);
    case PatternTerm::Kind::kVariable:
      return IsHiddenVariable(term.variable) ? term.variable
                                             : absl::StrCat("?", term.variable);
    case PatternTerm::Kind::kTriple:
      return absl::StrCat("<<( ", ToSExpression(term.triple->subject), " ",
                          ToSExpression(term.triple->predicate), " ",
                          ToSExpression(term.triple->object), " )>>");
  }
  return "";
}

namespace {

const char* PathName(PropertyPath::Kind kind) {
  switch (kind) {
    case PropertyPath::Kind::kLink:
      return "link";
    case PropertyPath::Kind::kInverse:
      return "reverse";
    case PropertyPath::Kind::kSequence:
      return "seq";
    case PropertyPath::Kind::kAlternative:
      return "alt";
    case PropertyPath::Kind::kZeroOrMore:
      return "path*";
    case PropertyPath::Kind::kOneOrMore:
      return "path+";
    case PropertyPath::Kind::kZeroOrOne:
      return "path?";
    case PropertyPath::Kind::kNegated:
      return "notoneof";
  }
  return "?";
}

const char* ExpressionName(Expression::Kind kind) {
  switch (kind) {
    case Expression::Kind::kOr:
      return "||";
    case Expression::Kind::kAnd:
      return "&&";
    case Expression::Kind::kEqual:
      return "=";
    case Expression::Kind::kNotEqual:
      return "!=";
    case Expression::Kind::kLess:
      return "<";
    case Expression::Kind::kGreater:
      return ">";
    case Expression::Kind::kLessOrEqual:
      return "<=";
    case Expression::Kind::kGreaterOrEqual:
      return ">=";
    case Expression::Kind::kIn:
      return "in";
    case Expression::Kind::kNotIn:
      return "notin";
    case Expression::Kind::kAdd:
      return "+";
    case Expression::Kind::kSubtract:
      return "-";
    case Expression::Kind::kMultiply:
      return "*";
    case Expression::Kind::kDivide:
      return "/";
    case Expression::Kind::kNot:
      return "!";
    case Expression::Kind::kUnaryPlus:
      return "+";
    case Expression::Kind::kUnaryMinus:
      return "-";
    case Expression::Kind::kTriple:
      return "triple";
    default:
      return "?";
  }
}

std::string Triple(const TriplePattern& t) {
  return absl::StrCat("(triple ", ToSExpression(t.subject), " ",
                      ToSExpression(t.predicate), " ", ToSExpression(t.object),
                      ")");
}

std::string Variables(const std::vector<std::string>& vars) {
  std::vector<std::string> names;
  for (const std::string& v : vars) {
    names.push_back(IsHiddenVariable(v) ? v : absl::StrCat("?", v));
  }
  return absl::StrCat("(", absl::StrJoin(names, " "), ")");
}

}  // namespace

std::string ToSExpression(const PropertyPath& path) {
  switch (path.kind) {
    case PropertyPath::Kind::kLink:
      return absl::StrCat("<", path.iri, ">");
    case PropertyPath::Kind::kNegated: {
      std::vector<std::string> parts;
      for (const std::string& iri : path.negated_forward) {
        parts.push_back(absl::StrCat("<", iri, ">"));
      }
      for (const std::string& iri : path.negated_inverse) {
        parts.push_back(absl::StrCat("(reverse <", iri, ">)"));
      }
      return absl::StrCat("(notoneof ", absl::StrJoin(parts, " "), ")");
    }
    default: {
      std::string out = absl::StrCat("(", PathName(path.kind));
      for (const PropertyPath& p : path.operands) {
        absl::StrAppend(&out, " ", ToSExpression(p));
      }
      return out + ")";
    }
  }
}

std::string ToSExpression(const Expression& e) {
  switch (e.kind) {
    case Expression::Kind::kConstant:
      return rdf::ToNTriples(e.term);
    case Expression::Kind::kVariable:
      return IsHiddenVariable(e.name) ? e.name : absl::StrCat("?", e.name);
    case Expression::Kind::kExists:
    case Expression::Kind::kNotExists:
      return absl::StrCat(
          e.kind == Expression::Kind::kExists ? "(exists " : "(notexists ",
          ToSExpression(*e.pattern), ")");
    default:
      break;
  }
  std::string out = "(";
  if (e.kind == Expression::Kind::kBuiltin) {
    absl::StrAppend(&out, e.name);
  } else if (e.kind == Expression::Kind::kCall) {
    absl::StrAppend(&out, "<", e.name, ">");
  } else if (e.kind == Expression::Kind::kAggregate) {
    absl::StrAppend(&out, e.name, e.distinct ? " distinct" : "");
    if (e.separator.has_value()) {
      absl::StrAppend(&out, " (separator \"", *e.separator, "\")");
    }
  } else {
    absl::StrAppend(&out, ExpressionName(e.kind));
  }
  for (const Expression& o : e.operands) {
    absl::StrAppend(&out, " ", ToSExpression(o));
  }
  return out + ")";
}

std::string ToSExpression(const GraphPattern& p) {
  auto op = [&](size_t i) { return ToSExpression(p.operands[i]); };
  switch (p.kind) {
    case GraphPattern::Kind::kBgp: {
      std::string out = "(bgp";
      for (const TriplePattern& t : p.triples)
        absl::StrAppend(&out, " ", Triple(t));
      return out + ")";
    }
    case GraphPattern::Kind::kPath:
      return absl::StrCat("(path ", ToSExpression(p.path_subject), " ",
                          ToSExpression(p.path), " ",
                          ToSExpression(p.path_object), ")");
    case GraphPattern::Kind::kJoin:
      return absl::StrCat("(join ", op(0), " ", op(1), ")");
    case GraphPattern::Kind::kLeftJoin:
      return absl::StrCat(
          "(leftjoin ", op(0), " ", op(1),
          p.expression ? " " + ToSExpression(*p.expression) : "", ")");
    case GraphPattern::Kind::kFilter:
      return absl::StrCat("(filter ", ToSExpression(*p.expression), " ", op(0),
                          ")");
    case GraphPattern::Kind::kUnion:
      return absl::StrCat("(union ", op(0), " ", op(1), ")");
    case GraphPattern::Kind::kMinus:
      return absl::StrCat("(minus ", op(0), " ", op(1), ")");
    case GraphPattern::Kind::kGraph:
      return absl::StrCat("(graph ", ToSExpression(p.name), " ", op(0), ")");
    case GraphPattern::Kind::kExtend:
      return absl::StrCat("(extend ((",
                          ToSExpression(PatternTerm::Variable(p.variable)), " ",
                          ToSExpression(*p.expression), ")) ", op(0), ")");
    case GraphPattern::Kind::kTable: {
      std::string out = absl::StrCat("(table ", Variables(p.variables));
      for (const auto& row : p.rows) {
        std::vector<std::string> values;
        for (const auto& v : row) {
          values.push_back(v.has_value() ? rdf::ToNTriples(*v) : "UNDEF");
        }
        absl::StrAppend(&out, " (row ", absl::StrJoin(values, " "), ")");
      }
      return out + ")";
    }
    case GraphPattern::Kind::kService:
      return absl::StrCat("(service ", p.silent ? "silent " : "",
                          ToSExpression(p.name), " ", op(0), ")");
    case GraphPattern::Kind::kGroup: {
      std::vector<std::string> keys;
      for (const auto& k : p.group_keys) {
        keys.push_back(
            k.variable.empty()
                ? ToSExpression(k.expression)
                : absl::StrCat("(",
                               ToSExpression(PatternTerm::Variable(k.variable)),
                               " ", ToSExpression(k.expression), ")"));
      }
      std::vector<std::string> aggs;
      for (const auto& a : p.aggregates) {
        aggs.push_back(absl::StrCat("(", a.variable, " ",
                                    ToSExpression(a.aggregate), ")"));
      }
      return absl::StrCat("(group (", absl::StrJoin(keys, " "), ") (",
                          absl::StrJoin(aggs, " "), ") ", op(0), ")");
    }
    case GraphPattern::Kind::kOrderBy: {
      std::vector<std::string> conds;
      for (const OrderCondition& c : p.order) {
        conds.push_back(absl::StrCat(c.descending ? "(desc " : "(asc ",
                                     ToSExpression(c.expression), ")"));
      }
      return absl::StrCat("(order (", absl::StrJoin(conds, " "), ") ", op(0),
                          ")");
    }
    case GraphPattern::Kind::kProject:
      return absl::StrCat("(project ", Variables(p.variables), " ", op(0), ")");
    case GraphPattern::Kind::kDistinct:
      return absl::StrCat("(distinct ", op(0), ")");
    case GraphPattern::Kind::kReduced:
      return absl::StrCat("(reduced ", op(0), ")");
    case GraphPattern::Kind::kSlice:
      return absl::StrCat(
          "(slice ", p.offset, " ",
          p.limit < 0 ? std::string("_") : absl::StrCat(p.limit), " ", op(0),
          ")");
  }
  return "";
}

namespace {

void AddTermVariables(const PatternTerm& t,
                      absl::flat_hash_set<std::string>* seen,
                      std::vector<std::string>* out) {
  if (t.kind == PatternTerm::Kind::kVariable) {
    if (seen->insert(t.variable).second) out->push_back(t.variable);
  } else if (t.kind == PatternTerm::Kind::kTriple) {
    AddTermVariables(t.triple->subject, seen, out);
    AddTermVariables(t.triple->predicate, seen, out);
    AddTermVariables(t.triple->object, seen, out);
  }
}

void AddVariable(const std::string& v, absl::flat_hash_set<std::string>* seen,
                 std::vector<std::string>* out) {
  if (seen->insert(v).second) out->push_back(v);
}

void CollectInScope(const GraphPattern& p,
                    absl::flat_hash_set<std::string>* seen,
                    std::vector<std::string>* out) {
  switch (p.kind) {
    case GraphPattern::Kind::kBgp:
      for (const TriplePattern& t : p.triples) {
        AddTermVariables(t.subject, seen, out);
        AddTermVariables(t.predicate, seen, out);
        AddTermVariables(t.object, seen, out);
      }
      return;
    case GraphPattern::Kind::kPath:
      AddTermVariables(p.path_subject, seen, out);
      AddTermVariables(p.path_object, seen, out);
      return;
    case GraphPattern::Kind::kJoin:
    case GraphPattern::Kind::kLeftJoin:
    case GraphPattern::Kind::kUnion:
      CollectInScope(p.operands[0], seen, out);
      CollectInScope(p.operands[1], seen, out);
      return;
    case GraphPattern::Kind::kGraph:
    case GraphPattern::Kind::kService:
      AddTermVariables(p.name, seen, out);
      CollectInScope(p.operands[0], seen, out);
      return;
    case GraphPattern::Kind::kExtend:
      CollectInScope(p.operands[0], seen, out);
      AddVariable(p.variable, seen, out);
      return;
    case GraphPattern::Kind::kTable:
    case GraphPattern::Kind::kProject:
      for (const std::string& v : p.variables) AddVariable(v, seen, out);
      return;
    case GraphPattern::Kind::kGroup:
      for (const auto& k : p.group_keys) {
        if (!k.variable.empty()) AddVariable(k.variable, seen, out);
      }
      for (const auto& a : p.aggregates) AddVariable(a.variable, seen, out);
      return;
    case GraphPattern::Kind::kMinus:
    case GraphPattern::Kind::kFilter:
    case GraphPattern::Kind::kOrderBy:
    case GraphPattern::Kind::kDistinct:
    case GraphPattern::Kind::kReduced:
    case GraphPattern::Kind::kSlice:
      CollectInScope(p.operands[0], seen, out);
      return;
  }
}

}  // namespace

std::vector<std::string> InScopeVariables(const GraphPattern& pattern) {
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> out;
  CollectInScope(pattern, &seen, &out);
  return out;
}

}  // namespace kg::sparql
