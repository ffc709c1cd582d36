// Text output for kgctl: UTF-8 helpers, word wrapping to the terminal width,
// aligned tables, key/value blocks, the protobuf JSON mapping, and short
// names for the proto's enums.
//
//   Table t({"ID", "LABEL", "TYPE"});
//   t.AddRow({"nis", "National Intelligence Service", "Organization"});
//   std::fputs(t.Render(TerminalWidth()).c_str(), stdout);
//
// All functions are thread-compatible.
#ifndef KG_CLIENT_FORMAT_H_
#define KG_CLIENT_FORMAT_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "kg/v1/model.pb.h"
#include "kg/v1/query.pb.h"

namespace kg::client {

// ---- UTF-8 ----

// True when `text` is valid UTF-8; otherwise false with the byte offset of
// the first bad sequence in `*bad_offset` (when not null).
bool IsValidUtf8(absl::string_view text, size_t* bad_offset = nullptr);
// Number of Unicode code points in valid UTF-8 (also the display width kgctl
// assumes).
size_t CodePoints(absl::string_view text);
// The first `n` code points of `text` (all of it when shorter).
absl::string_view PrefixCodePoints(absl::string_view text, size_t n);

// "1 document", "2 documents": a count with its noun, plural unless 1.
std::string Counted(uint64_t n, absl::string_view noun);

// ---- Layout ----

// A width that never wraps.
inline constexpr int kNoWrap = 1 << 20;
// Columns to wrap at: the terminal's width when stdout is a terminal, else
// $COLUMNS when set, else kNoWrap (pipes get whole lines). Never below 40.
int TerminalWidth();
// Greedy word wrap to lines of at most `width` code points; a word longer
// than that is split. Newlines in `text` end paragraphs. Never empty.
std::vector<std::string> WrapText(absl::string_view text, int width);
// `text` wrapped to `width` minus the indent, each line prefixed by
// `indent` and ended by '\n'.
std::string Indented(absl::string_view text, absl::string_view indent,
                     int width);

// An aligned table: columns separated by two spaces, each as wide as its
// widest cell. When the table is wider than the terminal, the widest
// columns are narrowed and their cells wrapped at spaces; the first column
// (ids) and words up to 30 characters are never broken, so a table may
// still run past the edge.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // The table, one line per row (more for wrapped cells), header first.
  std::string Render(int width) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "key    value" lines with the values aligned and wrapped under each other;
// empty values are left out.
std::string Fields(const std::vector<std::pair<std::string, std::string>>& kv,
                   int width);

// ---- JSON ----

// The protobuf JSON mapping of `m` on one line, proto field names, default
// values included (stable for scripts).
std::string ToJson(const google::protobuf::Message& m);
// Prints ToJson(m) and a newline to stdout.
void PrintJson(const google::protobuf::Message& m);

// A size for people: "812 B", "14.2 MiB", "1.05 GiB".
std::string FormatBytes(uint64_t n);

// ---- Names ----

// "asserted", "believed", ...; "" for unspecified.
std::string HedgeName(kg::v1::Hedge h);
// "none", "supports", "opposes".
std::string PolarityName(kg::v1::Polarity p);
// "0.7" for 0.7: the shortest text that reads back as the same double.
std::string FormatDouble(double d);
// "[424, 572)".
std::string SpanText(const kg::v1::Provenance& p);
// "2024-06..2024-10", "since 2024-06", "until 2024-10"; "" when open.
std::string ValidTimeText(const kg::v1::ValidTime& v);
// "12,345".
std::string Thousands(uint64_t n);

}  // namespace kg::client

#endif  // KG_CLIENT_FORMAT_H_
