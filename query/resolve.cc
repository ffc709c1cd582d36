#include "query/resolve.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "storage/error_context.h"
#include "storage/status_macros.h"

namespace kg::query {

namespace {
// An ambiguity error lists at most this many candidates.
constexpr size_t kMaxCandidatesListed = 10;
}  // namespace

absl::StatusOr<storage::Entity> ResolveEntity(storage::Reader& reader,
                                              absl::string_view field,
                                              absl::string_view name,
                                              std::optional<absl::Time> as_of) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must not be empty"));
  }
  // An exact id is unambiguous; a merged entity's id names the entity it
  // was merged into.
  absl::StatusOr<storage::EntityHistory> by_id = reader.GetEntityHistory(name);
  std::string deleted;  // why an id names nothing now
  if (by_id.ok() && as_of) {
    const storage::EntityVersion* then = by_id->AsOf(*as_of);
    if (then != nullptr &&
        then->state == storage::EntityVersion::State::kLive) {
      return then->entity;
    }
  }
  for (int hops = 0; by_id.ok() && hops < 64; ++hops) {
    const storage::EntityVersion& v = by_id->current();
    if (v.state == storage::EntityVersion::State::kLive) return v.entity;
    if (v.state == storage::EntityVersion::State::kDeleted) {
      deleted =
          absl::StrCat("entity '", EchoValue(v.entity.id), "' was deleted at ",
                       absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", v.since,
                                        absl::UTCTimeZone()));
      break;
    }
    by_id = reader.GetEntityHistory(v.merged_into);
  }
  if (!by_id.ok() && by_id.status().code() != absl::StatusCode::kNotFound &&
      by_id.status().code() != absl::StatusCode::kInvalidArgument) {
    return by_id.status();
  }
  absl::StatusOr<std::vector<storage::Entity>> found = reader.FindByName(name);
  if (!found.ok()) {
    // The reader names its own parameter ("name: ..."): name the caller's
    // field instead, once ("subject: ...", not "subject: name: ...").
    if (found.status().code() == absl::StatusCode::kInvalidArgument) {
      return storage::WithFieldRenamed(found.status(), "name", field);
    }
    return found.status();
  }
  if (found->empty()) {
    if (!deleted.empty()) {
      return absl::NotFoundError(absl::StrCat(field, ": ", deleted));
    }
    return absl::NotFoundError(
        absl::StrCat(field, ": no entity named '", EchoValue(name), "'"));
  }
  if (found->size() > 1) {
    // The first few candidates: a common name may have thousands.
    const size_t listed = std::min(found->size(), kMaxCandidatesListed);
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", EchoValue(name), "' is ambiguous: ",
        absl::StrJoin(found->begin(), found->begin() + listed, ", ",
                      [](std::string* out, const storage::Entity& e) {
                        absl::StrAppend(out, EchoValue(e.id), " (",
                                        EchoValue(e.label), ")");
                      }),
        found->size() > listed
            ? absl::StrCat(" and ", found->size() - listed, " more")
            : ""));
  }
  return (*found)[0];
}

absl::Status ResolveTermNames(
    storage::Reader& reader, absl::string_view field, storage::Term* term,
    const std::function<bool(absl::string_view)>& is_new_id,
    std::optional<absl::Time> as_of) {
  switch (term->kind()) {
    case storage::Term::Kind::kEntity: {
      if (is_new_id && is_new_id(term->id())) return absl::OkStatus();
      KG_ASSIGN_OR_RETURN(storage::Entity e,
                          ResolveEntity(reader, field, term->id(), as_of));
      *term = storage::Term::Entity(e.id);
      return absl::OkStatus();
    }
    case storage::Term::Kind::kLiteral:
    case storage::Term::Kind::kIri:
    case storage::Term::Kind::kBlank:
      return absl::OkStatus();  // IRIs are not names: storage reads them
    case storage::Term::Kind::kStatement: {
      if (term->triple() == nullptr) return absl::OkStatus();
      storage::Triple t = *term->triple();
      KG_RETURN_IF_ERROR(
          ResolveTermNames(reader, absl::StrCat(field, ".quoted.subject"),
                           &t.subject, is_new_id, as_of));
      KG_RETURN_IF_ERROR(ResolveTermNames(reader,
                                          absl::StrCat(field, ".quoted.object"),
                                          &t.object, is_new_id, as_of));
      *term = storage::Term::Quoted(std::move(t));
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace kg::query
