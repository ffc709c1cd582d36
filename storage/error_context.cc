#include "storage/error_context.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kg::storage {

namespace {

// A copy of `status` with `message`, keeping its code and payloads.
absl::Status WithMessage(const absl::Status& status,
                         absl::string_view message) {
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&](absl::string_view type_url, const absl::Cord& payload) {
        out.SetPayload(type_url, payload);
      });
  return out;
}

}  // namespace

absl::Status WithContext(const absl::Status& status,
                         absl::string_view context) {
  if (status.ok() || context.empty()) return status;
  return WithMessage(status, absl::StrCat(context, ": ", status.message()));
}

absl::Status WithFieldRenamed(const absl::Status& status,
                              absl::string_view from, absl::string_view to) {
  if (status.ok() || from.empty()) return status;
  const absl::string_view message = status.message();
  if (!absl::StartsWith(message, from)) return status;
  const absl::string_view rest = message.substr(from.size());
  if (!rest.empty() && rest[0] != '.' && rest[0] != '[' && rest[0] != ':' &&
      rest[0] != ' ') {
    return status;  // "entities[0]" must not rename "entities[0]x"
  }
  return WithMessage(status, absl::StrCat(to, rest));
}

}  // namespace kg::storage
