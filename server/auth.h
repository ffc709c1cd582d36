// Bearer tokens with roles. A tokens file names each caller, its role and
// the SHA-256 of its token (the token itself is never stored, logged or
// echoed):
//
//   # name    role    sha256 of the token
//   analyst   reader
//   sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//   pipeline  writer  sha256:...
//   ops       admin   sha256:...
//
// Roles nest: reader (queries) < writer (+ writes, imports) < admin (+
// backups and other operations). Every kg.v1 method has a required role
// (RequiredRole); one this table does not know needs admin.
//
//   KG_ASSIGN_OR_RETURN(Authenticator auth, Authenticator::FromFile(path));
//   KG_RETURN_IF_ERROR(auth.Authorize(ctx->client_metadata(), "GetEntity"));
//
// Thread-safe after construction.
#ifndef KG_SERVER_AUTH_H_
#define KG_SERVER_AUTH_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/string_ref.h"

namespace kg::server {

enum class Role { kReader = 1, kWriter = 2, kAdmin = 3 };

// "reader", "writer", "admin".
absl::string_view RoleName(Role role);

// The role a kg.v1.KnowledgeGraph method needs, by its short name
// ("WriteStatements"). Unknown names need kAdmin.
Role RequiredRole(absl::string_view method);

// SHA-256 of `token` as 64 lowercase hex digits, as the tokens file holds it.
std::string TokenHash(absl::string_view token);

class Authenticator {
 public:
  // Auth off: every call is allowed. KgServer refuses this off loopback.
  static Authenticator Disabled() { return Authenticator(); }

  // Reads a tokens file (format above). INVALID_ARGUMENT naming the file
  // and line for a malformed line, an unknown role, a repeated name or
  // hash; NOT_FOUND when it cannot be read; an empty file is invalid too.
  static absl::StatusOr<Authenticator> FromFile(const std::string& path);
  // The same from text; `source` names it in errors.
  static absl::StatusOr<Authenticator> FromText(absl::string_view text,
                                                absl::string_view source);

  bool enabled() const { return enabled_; }
  size_t token_count() const { return tokens_.size(); }

  // OK when the call's `authorization: Bearer <token>` metadata names a
  // token whose role covers `method`. UNAUTHENTICATED when the metadata is
  // missing, malformed or names no token; PERMISSION_DENIED when the role
  // is too low. The token is compared in constant time against every
  // entry and never appears in a message.
  absl::Status Authorize(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
      absl::string_view method) const;

 private:
  struct Token {
    std::string name;
    Role role;
    std::array<uint8_t, 32> hash;
  };

  Authenticator() = default;

  bool enabled_ = false;
  std::vector<Token> tokens_;
};

}  // namespace kg::server

#endif  // KG_SERVER_AUTH_H_
