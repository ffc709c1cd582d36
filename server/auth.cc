#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "storage/error_context.h"

namespace kg::server {

namespace {

std::array<uint8_t, 32> Sha256(absl::string_view data) {
  std::array<uint8_t, 32> out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         out.data());
  return out;
}

const absl::flat_hash_map<std::string, Role>& RoleTable() {
  static const auto* table = new absl::flat_hash_map<std::string, Role>{
      // Queries.
      {"GetEntity", Role::kReader},
      {"ResolveEntity", Role::kReader},
      {"SearchEntities", Role::kReader},
      {"ListEntities", Role::kReader},
      {"GetRelation", Role::kReader},
      {"ListRelations", Role::kReader},
      {"GetDocument", Role::kReader},
      {"ListDocuments", Role::kReader},
      {"GetStatement", Role::kReader},
      {"MatchStatements", Role::kReader},
      {"ListStatements", Role::kReader},
      {"CountStatements", Role::kReader},
      {"FindPaths", Role::kReader},
      {"Query", Role::kReader},
      {"GetNeighborhood", Role::kReader},
      {"Why", Role::kReader},
      {"ListByDocument", Role::kReader},
      {"ListByClaimant", Role::kReader},
      {"ListContested", Role::kReader},
      {"GetClaimTimeline", Role::kReader},
      {"ExportProvenance", Role::kReader},
      {"GetStats", Role::kReader},
      {"GetClusterStatus", Role::kReader},
      // Writes and imports.
      {"CreateEntity", Role::kWriter},
      {"UpdateEntity", Role::kWriter},
      {"MergeEntities", Role::kWriter},
      {"DeleteEntity", Role::kWriter},
      {"GetEntityHistory", Role::kReader},
      {"CreateRelation", Role::kWriter},
      {"CreateDocument", Role::kWriter},
      {"WriteStatements", Role::kWriter},
      {"IngestStatements", Role::kWriter},
      {"ImportStatements", Role::kWriter},
      {"RetractProvenance", Role::kWriter},
      // Everything else (CreateBackup, FetchCheckpoint, FetchLogPayload,
      // VerifyStore, ...) needs admin.
  };
  return *table;
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "reader") return Role::kReader;
  if (name == "writer") return Role::kWriter;
  if (name == "admin") return Role::kAdmin;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role \"", name, "\" (reader, writer or admin)"));
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kWriter:
      return "writer";
    case Role::kAdmin:
      return "admin";
  }
  return "admin";
}

Role RequiredRole(absl::string_view method) {
  const auto& table = RoleTable();
  auto it = table.find(method);  // heterogeneous: no copy per call
  return it == table.end() ? Role::kAdmin : it->second;
}

std::string TokenHash(absl::string_view token) {
  const std::array<uint8_t, 32> hash = Sha256(token);
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(hash.data()), hash.size()));
}

absl::StatusOr<Authenticator> Authenticator::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--tokens_file: cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return FromText(text.str(), path);
}

absl::StatusOr<Authenticator> Authenticator::FromText(
    absl::string_view text, absl::string_view source) {
  Authenticator auth;
  auth.enabled_ = true;
  absl::flat_hash_set<std::string> names;
  absl::flat_hash_set<std::string> hashes;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    const std::string where =
        absl::StrCat("--tokens_file: ", source, ":", line_number);
    auto fail = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
    };
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return fail("expected `NAME ROLE sha256:HEX`");
    }
    Token token;
    token.name = std::string(fields[0]);
    absl::StatusOr<Role> role = ParseRole(fields[1]);
    if (!role.ok()) return storage::WithContext(role.status(), where);
    token.role = *role;
    absl::string_view hex = fields[2];
    if (!absl::ConsumePrefix(&hex, "sha256:") || hex.size() != 64 ||
        !std::all_of(hex.begin(), hex.end(), [](char c) {
          return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F');
        })) {
      return fail(
          "the token must be given as sha256: and 64 hex digits (the "
          "SHA-256 of the token, never the token itself)");
    }
    const std::string bytes = absl::HexStringToBytes(hex);
    std::copy(bytes.begin(), bytes.end(), token.hash.begin());
    if (!names.insert(token.name).second) {
      return fail(absl::StrCat("name \"", token.name, "\" appears twice"));
    }
    if (!hashes.insert(bytes).second) {
      return fail("this token hash appears twice");
    }
    auth.tokens_.push_back(std::move(token));
  }
  if (auth.tokens_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tokens_file: ", source, " holds no tokens"));
  }
  return auth;
}

absl::Status Authenticator::Authorize(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    absl::string_view method) const {
  if (!enabled_) return absl::OkStatus();
  auto range = metadata.equal_range("authorization");
  if (range.first == range.second) {
    return absl::UnauthenticatedError(
        "authorization: missing; send `authorization: Bearer <token>`");
  }
  if (std::next(range.first) != range.second) {
    return absl::UnauthenticatedError("authorization: sent more than once");
  }
  absl::string_view value(range.first->second.data(),
                          range.first->second.size());
  // RFC 6750: the scheme is case-insensitive, one space, then the token.
  if (value.size() <= 7 ||
      !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization: malformed; expected `Bearer <token>`");
  }
  absl::string_view presented = value.substr(7);
  if (presented.empty() ||
      absl::StripAsciiWhitespace(presented).size() != presented.size()) {
    return absl::UnauthenticatedError(
        "authorization: malformed; expected `Bearer <token>`");
  }
  // Compare the presented token's hash with every entry, without an early
  // exit, so the time taken says nothing about which bytes matched.
  const std::array<uint8_t, 32> hash = Sha256(presented);
  const Token* match = nullptr;
  for (const Token& token : tokens_) {
    const bool equal =
        CRYPTO_memcmp(hash.data(), token.hash.data(), hash.size()) == 0;
    if (equal) match = &token;
  }
  if (match == nullptr) {
    return absl::UnauthenticatedError("authorization: unknown token");
  }
  const Role needed = RequiredRole(method);
  if (match->role < needed) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, " needs the ", RoleName(needed), " role; token \"",
                     match->name, "\" has ", RoleName(match->role)));
  }
  return absl::OkStatus();
}

}  // namespace kg::server
