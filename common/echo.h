// EchoValue: how an error message quotes a value a client sent. A message
// never carries more than kEchoBytes of one value, so a 10 MB bad name
// gives a short grpc-message instead of one that clients cannot receive
// (docs/api.md, "Errors"). Header only, with no dependency but absl: every
// module may include it.
//
//   return absl::NotFoundError(
//       absl::StrCat("name: no entity named '", EchoValue(name), "'"));
//   // a 10 MB name: "name: no entity named 'xxxx…xx… (10485760 bytes)'"
#ifndef KG_COMMON_ECHO_H_
#define KG_COMMON_ECHO_H_

#include <cstddef>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace kg {

// The most bytes of one value an error message quotes. Every valid id
// (storage::Limits::kMaxIdBytes) fits whole; longer values are cut.
inline constexpr size_t kEchoBytes = 128;

// `value` itself when it is at most `max_bytes` (kEchoBytes) long;
// otherwise its first `max_bytes` bytes, cut back to the start of a UTF-8
// character, followed by "… (N bytes)" with the value's whole length. The
// kept bytes are copied as they are: use EchoEscaped for values that may
// hold control characters or invalid UTF-8. A larger `max_bytes` is for
// text that quotes values among other things (RocksDB's messages).
inline std::string EchoValue(absl::string_view value,
                             size_t max_bytes = kEchoBytes) {
  if (value.size() <= max_bytes) return std::string(value);
  size_t cut = max_bytes;
  // Never end inside a character: back up over continuation bytes (at most
  // three in well-formed UTF-8; bounded anyway for ill-formed input).
  for (int i = 0; i < 3 && cut > 0 &&
                  (static_cast<unsigned char>(value[cut]) & 0xc0) == 0x80;
       ++i) {
    --cut;
  }
  return absl::StrCat(value.substr(0, cut), "\xe2\x80\xa6 (", value.size(),
                      " bytes)");
}

// EchoValue with the kept bytes C-escaped (absl::CHexEscape: \n, \", \x01,
// \xc3...): for values checked because they may not be clean text. At most
// 4 * kEchoBytes bytes plus the length.
inline std::string EchoEscaped(absl::string_view value) {
  if (value.size() <= kEchoBytes) return absl::CHexEscape(value);
  return absl::StrCat(absl::CHexEscape(value.substr(0, kEchoBytes)),
                      "\xe2\x80\xa6 (", value.size(), " bytes)");
}

}  // namespace kg

#endif  // KG_COMMON_ECHO_H_
