// Shared by the fuzz targets of text parsers (rdf_reader_fuzzer.cc,
// sparql_parser_fuzzer.cc): a syntax error is INVALID_ARGUMENT and names,
// as "line L, column C: ...", a position that exists in the input.
#ifndef KG_FUZZ_ERROR_POSITION_H_
#define KG_FUZZ_ERROR_POSITION_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace kg::fuzz {

// Aborts (a finding) when `s` breaks the rule above; `target` names the
// fuzz target in the report.
inline void CheckErrorPosition(const char* target, absl::string_view input,
                               const absl::Status& s) {
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "%s: %s\n%s\n", target, what, s.ToString().c_str());
    std::abort();
  };
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    fail("an error that is not INVALID_ARGUMENT");
  }
  absl::string_view m = s.message();
  int64_t line = 0;
  int64_t column = 0;
  if (!absl::ConsumePrefix(&m, "line ")) fail("no line in");
  const size_t comma = m.find(", column ");
  if (comma == absl::string_view::npos ||
      !absl::SimpleAtoi(m.substr(0, comma), &line)) {
    fail("bad line in");
  }
  m.remove_prefix(comma + 9);
  const size_t colon = m.find(':');
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(m.substr(0, colon), &column)) {
    fail("bad column in");
  }
  // Lines end at LF, CR LF or CR; the position may be just past the end.
  int64_t lines = 1;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\n' ||
        (input[i] == '\r' && (i + 1 == input.size() || input[i + 1] != '\n'))) {
      ++lines;
    }
  }
  if (line < 1 || line > lines || column < 1 ||
      column > static_cast<int64_t>(input.size()) + 1) {
    fail("error position outside the input");
  }
}

}  // namespace kg::fuzz

#endif  // KG_FUZZ_ERROR_POSITION_H_
