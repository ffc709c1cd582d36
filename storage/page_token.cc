#include "storage/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"

namespace kg::storage {

namespace {
// 1: before the codec was shared; 2: without a MAC.
constexpr uint8_t kTokenVersion = 3;
// version, kind, fingerprint.
constexpr size_t kHeaderBytes = 1 + 1 + 8;

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

absl::StatusOr<std::string> PageTokenCodec::NewKey() {
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 1) {
    return absl::UnavailableError(
        "cannot draw random bytes for the page token key");
  }
  return key;
}

std::string PageTokenCodec::Mac(absl::string_view data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &mac_size);
  return std::string(reinterpret_cast<const char*>(mac), kMacBytes);
}

std::string PageTokenCodec::Encode(PageTokenKind kind, uint64_t fingerprint,
                                   absl::string_view last_key) const {
  std::string raw;
  raw.push_back(static_cast<char>(kTokenVersion));
  raw.push_back(static_cast<char>(kind));
  PutFixed64(&raw, fingerprint);
  raw.append(last_key.data(), last_key.size());
  raw += Mac(raw);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> PageTokenCodec::Decode(absl::string_view token,
                                                   PageTokenKind kind,
                                                   uint64_t fingerprint,
                                                   absl::string_view key_prefix,
                                                   size_t key_size) const {
  if (token.empty()) return std::string();
  std::string raw;
  // Only the one encoding Encode produces: base64 has spellings that
  // decode alike (unused low bits of the last character), and each must
  // count as an altered token.
  if (!absl::WebSafeBase64Unescape(token, &raw) ||
      absl::WebSafeBase64Escape(raw) != token ||
      raw.size() < kHeaderBytes + 1 + kMacBytes ||
      static_cast<uint8_t>(raw[0]) != kTokenVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: not a page token", kReuseHint));
  }
  const absl::string_view body =
      absl::string_view(raw).substr(0, raw.size() - kMacBytes);
  const std::string want = Mac(body);
  if (CRYPTO_memcmp(want.data(), raw.data() + body.size(), kMacBytes) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: not issued by this store (altered, made "
                     "up, or from another store)",
                     kReuseHint));
  }
  absl::string_view in = body;
  uint8_t version = 0, got_kind = 0;
  uint64_t got_fingerprint = 0;
  GetByte(&in, &version);
  GetByte(&in, &got_kind);
  GetFixed64(&in, &got_fingerprint);
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
