// Name resolution: every API call that takes an entity accepts its id, its
// label or an alias (DESIGN.md). These functions turn such a name into one
// entity, over a storage::Reader.
//
//   KG_ASSIGN_OR_RETURN(storage::Entity e,
//                       ResolveEntity(reader, "subject", "Pyongyang"));
#ifndef KG_QUERY_RESOLVE_H_
#define KG_QUERY_RESOLVE_H_

#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace kg::query {

// The one entity `name` denotes. An exact id wins over labels and aliases;
// the id of a merged entity names the entity it was merged into, unless
// `as_of` is a time at which it still stood on its own (time travel sees the
// entities apart).
//   NOT_FOUND "<field>: no entity named '<name>'"
//   INVALID_ARGUMENT "<field>: '<name>' is ambiguous: north_korea (North
//     Korea), south_korea (South Korea)" when several match.
absl::StatusOr<storage::Entity> ResolveEntity(
    storage::Reader& reader, absl::string_view field, absl::string_view name,
    std::optional<absl::Time> as_of = std::nullopt);

// Resolves the entity names inside a term (recursively in quoted triples)
// to entity ids, in place. A name for which `is_new_id` returns true is kept
// as an id (entities created in the same write batch).
absl::Status ResolveTermNames(
    storage::Reader& reader, absl::string_view field, storage::Term* term,
    const std::function<bool(absl::string_view)>& is_new_id = nullptr,
    std::optional<absl::Time> as_of = std::nullopt);

}  // namespace kg::query

#endif  // KG_QUERY_RESOLVE_H_
