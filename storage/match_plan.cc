#include "storage/match_plan.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"
#include "storage/status_macros.h"
#include "storage/validate.h"
#include "storage/write_txn.h"

namespace kg::storage {

absl::StatusOr<std::optional<uint64_t>> BindTerm(absl::string_view field,
                                                 const Term& written,
                                                 const TermLookup& lookup,
                                                 absl::string_view base_iri) {
  std::string key;
  Term made;
  const Term& term = CanonicalIri(written, base_iri, &made);
  switch (term.kind()) {
    case Term::Kind::kIri: {
      KG_RETURN_IF_ERROR(ValidateIri(field, term.id()));
      KG_ASSIGN_OR_RETURN(uint64_t tid, lookup(IriTermKey(term.id())));
      if (tid == 0) return std::optional<uint64_t>();  // in no statement
      return std::optional<uint64_t>(tid);
    }
    case Term::Kind::kBlank: {
      std::optional<std::string> bytes = BlankBytesFromId(term.id());
      if (!bytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": \"", EchoEscaped(term.id()),
            "\" is not a blank node's id in the store (b + 32 hex digits)"));
      }
      KG_ASSIGN_OR_RETURN(uint64_t tid, lookup(BlankTermKey(*bytes)));
      if (tid == 0) return std::optional<uint64_t>();
      return std::optional<uint64_t>(tid);
    }
    case Term::Kind::kEntity: {
      KG_RETURN_IF_ERROR(ValidateId(field, term.id()));
      key = EntityTermKey(term.id());
      break;
    }
    case Term::Kind::kLiteral: {
      KG_ASSIGN_OR_RETURN(Literal lit, CanonicalLiteral(field, term.literal()));
      KG_ASSIGN_OR_RETURN(uint64_t tid,
                          lookup(TermIdentityKey(LiteralTermKey(lit))));
      if (tid == 0) return std::optional<uint64_t>();  // in no statement
      return std::optional<uint64_t>(tid);
    }
    case Term::Kind::kStatement: {
      if (term.triple() == nullptr && !HashFromStatementId(term.id())) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": \"", EchoEscaped(term.id()), "\" is not a statement id"));
      }
      key = CanonicalTermKey(term, base_iri, /*blank_scope=*/"");
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
    return absl::NotFoundError(absl::StrCat(field, ": no ",
                                            entity ? "entity" : "statement",
                                            " '", EchoValue(name), "'"));
  }
  return std::optional<uint64_t>(tid);
}

absl::StatusOr<MatchPlan> PlanMatch(const Pattern& p, const TermLookup& lookup,
                                    absl::string_view base_iri) {
  MatchPlan plan;
  std::optional<uint64_t> s, r, o;
  if (p.subject) {
    if (p.subject->kind() == Term::Kind::kLiteral) {
      return absl::InvalidArgumentError(
          "subject: a literal is never a subject");
    }
    KG_ASSIGN_OR_RETURN(s, BindTerm("subject", *p.subject, lookup, base_iri));
    if (!s) plan.empty = true;
  }
  if (p.relation) {
    const std::string predicate = CanonicalPredicate(*p.relation, base_iri);
    if (absl::StrContains(predicate, ":")) {
      KG_RETURN_IF_ERROR(ValidateIri("relation", predicate));
      KG_ASSIGN_OR_RETURN(uint64_t tid, lookup(IriTermKey(predicate)));
      if (tid == 0) plan.empty = true;  // in no statement
      r = tid;
    } else {
      KG_RETURN_IF_ERROR(ValidateId("relation", predicate));
      KG_ASSIGN_OR_RETURN(uint64_t tid, lookup(RelationTermKey(predicate)));
      if (tid == 0) {
        return absl::NotFoundError(
            absl::StrCat("relation: no relation '", EchoValue(predicate), "'"));
      }
      r = tid;
    }
  }
  if (p.object) {
    KG_ASSIGN_OR_RETURN(o, BindTerm("object", *p.object, lookup, base_iri));
    if (!o) plan.empty = true;
  }
  // An empty plan scans nothing; its index and prefix do not matter.
  const bool empty = plan.empty;
  plan = PlanIds({s.value_or(0), r.value_or(0), o.value_or(0)});
  plan.empty = empty;
  return plan;
}

MatchPlan PlanIds(const IdPattern& p) {
  MatchPlan plan;
  // The bound positions in the index's key order, up to the first open one.
  std::vector<uint64_t> bound;
  switch (OrderOf(p)) {
    case IdOrder::kSpo:
      plan.index = kSpoCf;
      bound = {p.subject, p.relation, p.object};
      break;
    case IdOrder::kPos:
      plan.index = kPosCf;
      bound = {p.relation, p.object};
      break;
    case IdOrder::kOsp:
      plan.index = kOspCf;
      bound = {p.object, p.subject};
      break;
  }
  for (uint64_t tid : bound) {
    if (tid == 0) break;
    plan.prefix += IndexPrefix({tid});
  }
  return plan;
}

IdOrder OrderOf(const IdPattern& p) {
  if (p.subject != 0) {
    return p.relation == 0 && p.object != 0 ? IdOrder::kOsp : IdOrder::kSpo;
  }
  if (p.relation != 0) return IdOrder::kPos;
  return p.object != 0 ? IdOrder::kOsp : IdOrder::kSpo;
}

}  // namespace kg::storage
