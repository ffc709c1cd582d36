#include "client/format.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace kg::client {

namespace {

size_t SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 0;
}

// Splits `text` into pieces of at most `width` code points.
std::vector<std::string> HardSplit(absl::string_view text, size_t width) {
  std::vector<std::string> out;
  while (!text.empty()) {
    absl::string_view piece = PrefixCodePoints(text, width);
    out.emplace_back(piece);
    text.remove_prefix(piece.size());
  }
  return out;
}

std::string PadRight(absl::string_view s, size_t width) {
  std::string out(s);
  const size_t w = CodePoints(s);
  if (w < width) out.append(width - w, ' ');
  return out;
}

}  // namespace

bool IsValidUtf8(absl::string_view text, size_t* bad_offset) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = text[i];
    const size_t n = SequenceLength(c);
    bool ok = n != 0 && i + n <= text.size();
    uint32_t cp = 0;
    if (ok) {
      cp = n == 1 ? c : (c & (0x7F >> n));
      for (size_t k = 1; k < n && ok; ++k) {
        const unsigned char cc = text[i + k];
        ok = (cc & 0xC0) == 0x80;
        cp = (cp << 6) | (cc & 0x3F);
      }
    }
    if (ok) {
      // Overlong forms, surrogates and values past U+10FFFF are invalid.
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[n] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (!ok) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    i += n;
  }
  return true;
}

size_t CodePoints(absl::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

absl::string_view PrefixCodePoints(absl::string_view text, size_t n) {
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (seen == n) return text.substr(0, i);
      ++seen;
    }
  }
  return text;
}

int TerminalWidth() {
  int width = 0;
  struct winsize ws {};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
    width = ws.ws_col;
  }
  if (width <= 0) {
    const char* columns = std::getenv("COLUMNS");
    if (columns == nullptr || !absl::SimpleAtoi(columns, &width)) {
      return kNoWrap;
    }
  }
  return std::max(width, 40);
}

std::vector<std::string> WrapText(absl::string_view text, int width) {
  const size_t w = std::max(width, 10);
  std::vector<std::string> lines;
  for (absl::string_view para : absl::StrSplit(text, '\n')) {
    std::string line;
    size_t line_width = 0;
    for (absl::string_view word :
         absl::StrSplit(para, ' ', absl::SkipEmpty())) {
      const size_t ww = CodePoints(word);
      if (line_width > 0 && line_width + 1 + ww <= w) {
        absl::StrAppend(&line, " ", word);
        line_width += 1 + ww;
        continue;
      }
      if (line_width > 0) {
        lines.push_back(std::move(line));
        line.clear();
        line_width = 0;
      }
      if (ww <= w) {
        line = std::string(word);
        line_width = ww;
        continue;
      }
      std::vector<std::string> pieces = HardSplit(word, w);
      for (size_t i = 0; i + 1 < pieces.size(); ++i) lines.push_back(pieces[i]);
      line = pieces.back();
      line_width = CodePoints(line);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string Indented(absl::string_view text, absl::string_view indent,
                     int width) {
  std::string out;
  for (const std::string& line :
       WrapText(text, width - static_cast<int>(CodePoints(indent)))) {
    absl::StrAppend(&out, indent, line, "\n");
  }
  return out;
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render(int width) const {
  const size_t n = header_.size();
  if (n == 0) return "";
  std::vector<size_t> widths(n, 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < n; ++c) {
      for (absl::string_view line : absl::StrSplit(row[c], '\n')) {
        widths[c] = std::max(widths[c], CodePoints(line));
      }
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  // Narrow the widest column until the table fits, but never below its
  // longest word (up to kMaxWord): identifiers are not broken. A table
  // that still does not fit runs past the edge.
  constexpr size_t kMaxWord = 30;
  std::vector<size_t> floor(n, 0);
  auto longest_word = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < n; ++c) {
      for (absl::string_view word :
           absl::StrSplit(row[c], absl::ByAnyChar(" \n"))) {
        floor[c] = std::max(floor[c], std::min(kMaxWord, CodePoints(word)));
      }
    }
  };
  longest_word(header_);
  for (const auto& row : rows_) longest_word(row);
  auto total = [&] {
    size_t t = 2 * (n - 1);
    for (size_t w : widths) t += w;
    return t;
  };
  while (total() > static_cast<size_t>(width)) {
    // The first column holds ids: never narrowed.
    size_t widest = 0;
    for (size_t c = 1; c < n; ++c) {
      if (widths[c] > floor[c] && (widest == 0 || widths[c] > widths[widest])) {
        widest = c;
      }
    }
    if (widest == 0) break;
    --widths[widest];
  }
  std::string out;
  auto render_row = [&](const std::vector<std::string>& row) {
    std::vector<std::vector<std::string>> cells(n);
    size_t height = 1;
    for (size_t c = 0; c < n; ++c) {
      cells[c] = WrapText(row[c], static_cast<int>(widths[c]));
      height = std::max(height, cells[c].size());
    }
    for (size_t line = 0; line < height; ++line) {
      std::string text;
      for (size_t c = 0; c < n; ++c) {
        const std::string cell =
            line < cells[c].size() ? cells[c][line] : std::string();
        if (c > 0) text += "  ";
        text += c + 1 == n ? cell : PadRight(cell, widths[c]);
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      absl::StrAppend(&out, text, "\n");
    }
  };
  render_row(header_);
  for (const auto& row : rows_) render_row(row);
  return out;
}

std::string Fields(const std::vector<std::pair<std::string, std::string>>& kv,
                   int width) {
  size_t key_width = 0;
  for (const auto& [k, v] : kv) {
    if (!v.empty()) key_width = std::max(key_width, CodePoints(k));
  }
  std::string out;
  const std::string indent(key_width + 2, ' ');
  for (const auto& [k, v] : kv) {
    if (v.empty()) continue;
    std::vector<std::string> lines =
        WrapText(v, width - static_cast<int>(key_width) - 2);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string text =
          i == 0 ? absl::StrCat(PadRight(k, key_width), "  ", lines[i])
                 : absl::StrCat(indent, lines[i]);
      while (!text.empty() && text.back() == ' ') text.pop_back();
      absl::StrAppend(&out, text, "\n");
    }
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

void PrintJson(const google::protobuf::Message& m) {
  std::printf("%s\n", ToJson(m).c_str());
}

std::string HedgeName(kg::v1::Hedge h) {
  switch (h) {
    case kg::v1::HEDGE_ASSERTED:
      return "asserted";
    case kg::v1::HEDGE_BELIEVED:
      return "believed";
    case kg::v1::HEDGE_REPORTEDLY:
      return "reportedly";
    case kg::v1::HEDGE_PLAUSIBLE:
      return "plausible";
    case kg::v1::HEDGE_UNCONFIRMED:
      return "unconfirmed";
    default:
      return "";
  }
}

std::string PolarityName(kg::v1::Polarity p) {
  switch (p) {
    case kg::v1::POLARITY_SUPPORTS:
      return "supports";
    case kg::v1::POLARITY_OPPOSES:
      return "opposes";
    default:
      return "none";
  }
}

std::string FormatDouble(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
  if (r.ec != std::errc()) return absl::StrCat(d);
  return std::string(buf, r.ptr);
}

std::string SpanText(const kg::v1::Provenance& p) {
  return absl::StrCat("[", p.evidence_start(), ", ", p.evidence_end(), ")");
}

std::string ValidTimeText(const kg::v1::ValidTime& v) {
  if (v.start().empty() && v.end().empty()) return "";
  if (v.end().empty()) return absl::StrCat("since ", v.start());
  if (v.start().empty()) return absl::StrCat("until ", v.end());
  if (v.start() == v.end()) return v.start();
  return absl::StrCat(v.start(), "..", v.end());
}

std::string Thousands(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Counted(uint64_t n, absl::string_view noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

std::string FormatBytes(uint64_t n) {
  if (n < 1024) return absl::StrCat(n, " B");
  if (n < (1u << 20)) return absl::StrFormat("%.1f KiB", n / 1024.0);
  if (n < (1ull << 30)) return absl::StrFormat("%.1f MiB", n / 1048576.0);
  return absl::StrFormat("%.2f GiB", n / 1073741824.0);
}

}  // namespace kg::client
