#include "storage/page_token.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"

namespace kg::storage {

namespace {
constexpr uint8_t kTokenVersion = 2;  // 1: before the codec was shared

constexpr char kReuseHint[] =
    " (it must be the next_page_token of a previous page of the same "
    "request)";
}  // namespace

uint64_t Fingerprint(absl::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (char c : data) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

QueryFingerprint& QueryFingerprint::Add(absl::string_view part) {
  PutLengthPrefixed(&bytes_, part);
  return *this;
}

QueryFingerprint& QueryFingerprint::Add(uint64_t part) {
  PutFixed64(&bytes_, part);
  return *this;
}

QueryFingerprint& QueryFingerprint::Add(int64_t part) {
  PutFixed64(&bytes_, static_cast<uint64_t>(part));
  return *this;
}

QueryFingerprint& QueryFingerprint::Add(double part) {
  PutDouble(&bytes_, part);
  return *this;
}

QueryFingerprint& QueryFingerprint::Add(bool part) {
  bytes_.push_back(part ? 1 : 0);
  return *this;
}

std::string EncodePageToken(PageTokenKind kind, uint64_t fingerprint,
                            absl::string_view last_key) {
  std::string raw;
  raw.push_back(static_cast<char>(kTokenVersion));
  raw.push_back(static_cast<char>(kind));
  PutFixed64(&raw, fingerprint);
  raw.append(last_key.data(), last_key.size());
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            PageTokenKind kind,
                                            uint64_t fingerprint,
                                            absl::string_view key_prefix,
                                            size_t key_size) {
  if (token.empty()) return std::string();
  std::string raw;
  absl::string_view in;
  uint8_t version = 0, got_kind = 0;
  uint64_t got_fingerprint = 0;
  if (absl::WebSafeBase64Unescape(token, &raw)) in = raw;
  if (!GetByte(&in, &version) || version != kTokenVersion ||
      !GetByte(&in, &got_kind) || !GetFixed64(&in, &got_fingerprint) ||
      in.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: not a page token", kReuseHint));
  }
  if (got_kind != static_cast<uint8_t>(kind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: from another kind of query", kReuseHint));
  }
  if (got_fingerprint != fingerprint || !absl::StartsWith(in, key_prefix) ||
      (key_size != 0 && in.size() != key_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: from another query", kReuseHint));
  }
  return std::string(in);
}

}  // namespace kg::storage
