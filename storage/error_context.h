// The one way kg adds context to an error as it crosses a layer: the code
// and payloads stay, the message gains a field or a phrase in front.
// Messages begin with the field the caller's API documents, so a layer that
// calls another with a field of its own names it here, once, rather than
// rewriting the other layer's message by hand.
//
//   // query/: the reader names its parameter "name"; the request's field
//   // is "source". Rename it rather than add a prefix, so that the message
//   // names one field: "source: must not be empty", not "source: name: ...".
//   return WithFieldRenamed(reader.FindByName(name).status(), "name",
//                           "source");
//   // server/: the core names "entities[0].label"; the rpc's field is
//   // "entity.label".
//   return WithFieldRenamed(store.Write(batch).status(), "entities[0]",
//                           "entity");
#ifndef KG_STORAGE_ERROR_CONTEXT_H_
#define KG_STORAGE_ERROR_CONTEXT_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kg::storage {

// `status` with "context: " before its message. OK stays OK.
absl::Status WithContext(const absl::Status& status, absl::string_view context);

template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> value,
                              absl::string_view context) {
  if (value.ok()) return value;
  return WithContext(value.status(), context);
}

// `status` with the field path `from` at the head of its message renamed
// to `to`, when the message starts with `from` followed by '.', '[', ':',
// ' ' or its end; otherwise unchanged. OK stays OK.
absl::Status WithFieldRenamed(const absl::Status& status,
                              absl::string_view from, absl::string_view to);

template <typename T>
absl::StatusOr<T> WithFieldRenamed(absl::StatusOr<T> value,
                                   absl::string_view from,
                                   absl::string_view to) {
  if (value.ok()) return value;
  return WithFieldRenamed(value.status(), from, to);
}

}  // namespace kg::storage

#endif  // KG_STORAGE_ERROR_CONTEXT_H_
