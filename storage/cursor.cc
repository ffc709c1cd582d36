#include "storage/cursor.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "storage/coding.h"

namespace kg::storage {

namespace {
constexpr uint8_t kCursorVersion = 1;
}  // namespace

uint64_t Fingerprint(absl::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (char c : data) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string EncodeCursor(uint8_t kind, uint64_t fingerprint,
                         absl::string_view last_key) {
  std::string raw;
  raw.push_back(static_cast<char>(kCursorVersion));
  raw.push_back(static_cast<char>(kind));
  PutFixed64(&raw, fingerprint);
  raw.append(last_key.data(), last_key.size());
  return absl::WebSafeBase64Escape(raw);
}

std::optional<std::string> DecodeCursor(absl::string_view token, uint8_t kind,
                                        uint64_t fingerprint,
                                        absl::string_view prefix) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return std::nullopt;
  absl::string_view in(raw);
  uint8_t version, got_kind;
  uint64_t got_fingerprint;
  if (!GetByte(&in, &version) || version != kCursorVersion ||
      !GetByte(&in, &got_kind) || got_kind != kind ||
      !GetFixed64(&in, &got_fingerprint) || got_fingerprint != fingerprint ||
      in.empty() || !absl::StartsWith(in, prefix)) {
    return std::nullopt;
  }
  return std::string(in);
}

}  // namespace kg::storage
