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
//   - every record can be serialized (it is what kgctl would send).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace kg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kg;  // NOLINT: a fuzz target's entry point
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  const int64_t n = static_cast<int64_t>(lines.size());

  client::RdfLineReader reader(/*quads=*/KG_FUZZ_QUADS != 0);
  std::vector<client::rdf::Item> items;
  for (int64_t i = 0; i < n; ++i) {
    reader.ReadLine(lines[i], i + 1, &items);
    fuzz::Check(items, n);
    items.clear();
  }
  reader.Finish(&items);
  fuzz::Check(items, n);
  return 0;
}
