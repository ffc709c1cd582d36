#include "storage/match_plan.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/status_macros.h"
#include "storage/validate.h"
#include "storage/write_txn.h"

namespace kg::storage {

absl::StatusOr<std::optional<uint64_t>> BindTerm(absl::string_view field,
                                                 const Term& term,
                                                 const TermLookup& lookup) {
  std::string key;
  switch (term.kind()) {
    case Term::Kind::kEntity: {
      KG_RETURN_IF_ERROR(ValidateId(field, term.id()));
      key = EntityTermKey(term.id());
      break;
    }
    case Term::Kind::kLiteral: {
      KG_ASSIGN_OR_RETURN(Literal lit, CanonicalLiteral(field, term.literal()));
      KG_ASSIGN_OR_RETURN(uint64_t tid, lookup(LiteralTermKey(lit)));
      if (tid == 0) return std::optional<uint64_t>();  // in no statement
      return std::optional<uint64_t>(tid);
    }
    case Term::Kind::kStatement: {
      if (term.triple() == nullptr && !HashFromStatementId(term.id())) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": \"", absl::CHexEscape(term.id()),
                         "\" is not a statement id"));
      }
      key = CanonicalTermKey(term);
      break;
    }
  }
  KG_ASSIGN_OR_RETURN(uint64_t tid, lookup(key));
  if (tid == 0) {
    const bool entity = term.kind() == Term::Kind::kEntity;
    std::string name = entity ? term.id() : "";
    if (!entity) {
      TermValue value;
      if (DecodeTermKey(key, &value)) name = value.id;
    }
    return absl::NotFoundError(absl::StrCat(
        field, ": no ", entity ? "entity" : "statement", " '", name, "'"));
  }
  return std::optional<uint64_t>(tid);
}

absl::StatusOr<MatchPlan> PlanMatch(const Pattern& p,
                                    const TermLookup& lookup) {
  MatchPlan plan;
  std::optional<uint64_t> s, r, o;
  if (p.subject) {
    if (p.subject->kind() == Term::Kind::kLiteral) {
      return absl::InvalidArgumentError(
          "subject: a literal is never a subject");
    }
    KG_ASSIGN_OR_RETURN(s, BindTerm("subject", *p.subject, lookup));
  }
  if (p.relation) {
    KG_RETURN_IF_ERROR(ValidateId("relation", *p.relation));
    KG_ASSIGN_OR_RETURN(uint64_t tid, lookup(RelationTermKey(*p.relation)));
    if (tid == 0) {
      return absl::NotFoundError(
          absl::StrCat("relation: no relation '", *p.relation, "'"));
    }
    r = tid;
  }
  if (p.object) {
    KG_ASSIGN_OR_RETURN(o, BindTerm("object", *p.object, lookup));
    if (!o) plan.empty = true;
  }
  // The index whose key order puts the bound positions first.
  if (s && r) {
    plan.index = kSpoCf;
    plan.prefix = o ? IndexPrefix({*s, *r, *o}) : IndexPrefix({*s, *r});
  } else if (s && o) {
    plan.index = kOspCf;
    plan.prefix = IndexPrefix({*o, *s});
  } else if (s) {
    plan.index = kSpoCf;
    plan.prefix = IndexPrefix({*s});
  } else if (r) {
    plan.index = kPosCf;
    plan.prefix = o ? IndexPrefix({*r, *o}) : IndexPrefix({*r});
  } else if (o) {
    plan.index = kOspCf;
    plan.prefix = IndexPrefix({*o});
  }
  return plan;
}

}  // namespace kg::storage
