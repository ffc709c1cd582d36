// Fuzz target: the N-Triples / N-Quads import path (built twice, as
// import_ntriples and import_nquads; KG_FUZZ_QUADS picks the syntax).
//
// Input: the bytes of an import file, read line by line through
// client::RdfLineReader (serd, then kg's RDF mapping), what `kgctl import
// --format nt|nq` runs.
//
// Checked on every input:
//   - no crash, no sanitizer report, no unbounded recursion on quoted
//     statements;
//   - every item is a record of some kind or an error with a reason, and
//     names a line of the file;
//   - every record can be serialized (it is what kgctl would send);
//   - a line that is neither blank nor a comment yields a triple or an
//     error of its own, and a line with an error contributes nothing (read
//     again without those lines, the input gives the same records);
//   - import_ntriples: of well-formed N-Triples, the N-Quads reader makes
//     the same items (N-Quads extends N-Triples).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/record_reader.h"
#include "kg/v1/kg.pb.h"

#ifndef KG_FUZZ_QUADS
#error "KG_FUZZ_QUADS must be 0 (N-Triples) or 1 (N-Quads)"
#endif

namespace kg::fuzz {
namespace {

[[noreturn]] void Die(absl::string_view what) {
  std::fprintf(stderr, "import_rdf_fuzzer: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

void Check(const std::vector<client::rdf::Item>& items, int64_t lines) {
  for (const client::rdf::Item& item : items) {
    if (item.line < 1 || item.line > lines) {
      Die(absl::StrCat("an item names line ", item.line, " of ", lines));
    }
    if (std::getenv("KG_FUZZ_VERBOSE") != nullptr) {
      std::fprintf(stderr, "line %lld: %s\n", static_cast<long long>(item.line),
                   item.record.has_value()
                       ? item.record->ShortDebugString().c_str()
                       : item.error.c_str());
    }
    if (!item.record.has_value()) {
      if (item.error.empty()) Die("an error without a reason");
      continue;
    }
    if (item.record->record_case() == kg::v1::Record::RECORD_NOT_SET) {
      Die("a record of no kind");
    }
    std::string bytes;
    if (!item.record->SerializeToString(&bytes))
      Die("a record not serializable");
  }
}

bool IsLineError(const client::rdf::Item& item) {
  return !item.record.has_value() &&
         (absl::StartsWith(item.error, "RDF syntax error") ||
          absl::StartsWith(item.error, "invalid UTF-8") ||
          item.error == "NUL byte");
}

std::string Describe(const client::rdf::Item& item) {
  return absl::StrCat(
      item.line, ": ",
      item.record.has_value() ? item.record->ShortDebugString() : item.error);
}

// Reads every line, checking the items of each as they come: a line that
// is neither blank nor a comment yields a triple or an error of its own.
std::vector<client::rdf::Item> ReadAll(
    const std::vector<absl::string_view>& lines, bool quads) {
  const int64_t n = static_cast<int64_t>(lines.size());
  client::RdfLineReader reader(quads);
  std::vector<client::rdf::Item> all, items;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t triples = reader.triples();
    reader.ReadLine(lines[i], i + 1, &items);
    Check(items, n);
    const absl::string_view text = absl::StripAsciiWhitespace(lines[i]);
    if (reader.triples() == triples && !text.empty() &&
        !absl::StartsWith(text, "#")) {
      bool reported = false;
      for (const auto& item : items) {
        reported |= item.line == i + 1 && IsLineError(item);
      }
      if (!reported) {
        Die(absl::StrCat("line ", i + 1, " yields no triple and no error"));
      }
    }
    std::move(items.begin(), items.end(), std::back_inserter(all));
    items.clear();
  }
  reader.Finish(&items);
  Check(items, n);
  std::move(items.begin(), items.end(), std::back_inserter(all));
  return all;
}

// A line with a syntax error contributes nothing: without those lines the
// reader yields the same items minus their errors.
void CheckBadLinesContributeNothing(std::vector<absl::string_view> lines,
                                    const std::vector<client::rdf::Item>& items,
                                    bool quads) {
  std::vector<std::string> expected;
  bool any = false;
  for (const auto& item : items) {
    if (IsLineError(item)) {
      lines[item.line - 1] = "";
      any = true;
    } else {
      expected.push_back(Describe(item));
    }
  }
  if (!any) return;
  std::vector<std::string> got;
  for (const auto& item : ReadAll(lines, quads)) got.push_back(Describe(item));
  if (got != expected) {
    Die(absl::StrCat("lines with syntax errors changed the records: ",
                     absl::StrJoin(expected, " | "),
                     " // without them: ", absl::StrJoin(got, " | ")));
  }
}

}  // namespace
}  // namespace kg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kg;  // NOLINT: a fuzz target's entry point
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();

  const bool quads = KG_FUZZ_QUADS != 0;
  const std::vector<client::rdf::Item> items = fuzz::ReadAll(lines, quads);
  fuzz::CheckBadLinesContributeNothing(lines, items, quads);
#if !KG_FUZZ_QUADS
  // N-Quads is N-Triples plus an optional graph: of a file that is all
  // well-formed N-Triples, the N-Quads reader must make the same items.
  for (const auto& item : items) {
    if (fuzz::IsLineError(item)) return 0;
  }
  const std::vector<client::rdf::Item> as_quads =
      fuzz::ReadAll(lines, /*quads=*/true);
  std::vector<std::string> a, b;
  for (const auto& item : items) a.push_back(fuzz::Describe(item));
  for (const auto& item : as_quads) b.push_back(fuzz::Describe(item));
  if (a != b) {
    fuzz::Die(absl::StrCat("N-Triples: ", absl::StrJoin(a, " | "),
                           " // N-Quads: ", absl::StrJoin(b, " | ")));
  }
#endif
  return 0;
}
