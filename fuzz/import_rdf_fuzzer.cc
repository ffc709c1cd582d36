// Fuzz target: kgctl's RDF import mapping (built twice, as import_ntriples
// and import_nquads; KG_FUZZ_QUADS picks the syntax).
//
// Input: the bytes of an import file. It is read by rdf/ (with
// skip_invalid, as `kgctl import --skip-invalid` reads it) and mapped to
// kg.v1 records by client::RdfImport in its two passes, what `kgctl import`
// runs before it sends anything.
//
// Checked on every input:
//   - no crash, no sanitizer report, no unbounded recursion on triple terms
//     or statement reifiers;
//   - every quad and every skipped line names a line of the input;
//   - every record the mapping makes can be serialized (what kgctl would
//     send), and names a line of the input;
//   - the mapping is deterministic: a second run makes the same records.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/rdf_mapping.h"
#include "kg/v1/kg.pb.h"
#include "rdf/format.h"

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

// The records the importer would send, serialized, or the error that stops
// it.
std::vector<std::string> Map(absl::string_view input, int64_t lines) {
  const rdf::Format format =
      KG_FUZZ_QUADS ? rdf::Format::kNQuads : rdf::Format::kNTriples;
  rdf::ReadOptions options;
  options.skip_invalid = true;
  const client::KgIris iris(client::kDefaultBaseIri);
  client::RdfImport mapper(iris, "fuzz");
  std::vector<std::string> out;
  auto check_line = [&](int64_t line) {
    if (line < 1 || line > lines) {
      Die(absl::StrCat("line ", line, " of ", lines));
    }
  };
  auto skipped = [&](const rdf::Position& at, const absl::Status& error) {
    check_line(at.line);
    if (error.ok()) Die("a skipped line without an error");
  };
  absl::Status read = rdf::Read(
      format, input, options,
      [&](const rdf::Quad& q, const rdf::Position& at) {
        check_line(at.line);
        absl::Status s = mapper.Collect(q, at.line);
        if (!s.ok()) out.push_back(absl::StrCat("error: ", s.message()));
        return absl::OkStatus();
      },
      skipped);
  if (!read.ok())
    Die(absl::StrCat("skip_invalid read failed: ", read.message()));
  absl::Status finished = mapper.Finish(
      [&](kg::v1::Record r, int64_t line) {
        check_line(line);
        out.push_back(r.SerializeAsString());
        return absl::OkStatus();
      },
      [](int64_t) { return false; });
  if (!finished.ok()) {
    out.push_back(absl::StrCat("error: ", finished.message()));
    return out;
  }
  kg::v1::StatementInput st;
  std::string new_document;
  read = rdf::Read(
      format, input, options,
      [&](const rdf::Quad& q, const rdf::Position& at) {
        absl::StatusOr<bool> data = mapper.Data(q, at.line, &st, &new_document);
        if (!new_document.empty()) out.push_back("document " + new_document);
        if (!data.ok()) {
          out.push_back(absl::StrCat("error: ", data.status().message()));
        } else if (*data) {
          out.push_back(st.SerializeAsString());
        }
        return absl::OkStatus();
      },
      [](const rdf::Position&, const absl::Status&) {});
  if (!read.ok()) Die("the second pass failed where the first did not");
  return out;
}

}  // namespace
}  // namespace kg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kg;  // NOLINT: a fuzz target's entry point
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  // The readers end a line at LF, CR or CR LF: an upper bound on lines.
  int64_t lines = 1;
  for (char c : input) lines += c == '\n' || c == '\r';
  if (fuzz::Map(input, lines) != fuzz::Map(input, lines)) {
    fuzz::Die("the mapping is not deterministic");
  }
  return 0;
}
