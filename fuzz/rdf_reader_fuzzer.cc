// Fuzz target: the readers and writers of rdf/ (built four times, as
// rdf_ntriples, rdf_nquads, rdf_turtle and rdf_trig; KG_RDF_FORMAT picks
// the syntax: 0 N-Triples, 1 N-Quads, 2 Turtle, 3 TriG).
//
// Input: a document in that syntax, read by rdf::Read.
//
// Checked on every input:
//   - no crash, no sanitizer report, no unbounded recursion;
//   - an error is INVALID_ARGUMENT with "line L, column C: " naming a
//     position inside the input;
//   - what parses is written by rdf::Writer in the same syntax, and the
//     output reads back to an isomorphic dataset;
//   - N-Triples and N-Quads: the writer's output is canonical (writing what
//     was read back gives the same bytes), and with skip_invalid the reader
//     reads the same quads from a well-formed input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/error_position.h"
#include "rdf/format.h"
#include "rdf/isomorphism.h"
#include "rdf/term.h"

#ifndef KG_RDF_FORMAT
#error \
    "KG_RDF_FORMAT must be 0 (N-Triples), 1 (N-Quads), 2 (Turtle) or 3 (TriG)"
#endif

namespace kg::fuzz {
namespace {

constexpr rdf::Format kFormats[] = {rdf::Format::kNTriples,
                                    rdf::Format::kNQuads, rdf::Format::kTurtle,
                                    rdf::Format::kTriG};
constexpr rdf::Format kFormat = kFormats[KG_RDF_FORMAT];

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "rdf_reader_fuzzer: %s\n%.*s\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool Verbose() { return std::getenv("KG_FUZZ_VERBOSE") != nullptr; }

absl::Status ReadAll(absl::string_view text, std::vector<rdf::Quad>* quads,
                     bool skip_invalid = false) {
  rdf::ReadOptions options;
  options.skip_invalid = skip_invalid;
  // Relative IRIs in Turtle need a base; the suites' files assume one.
  if (kFormat == rdf::Format::kTurtle || kFormat == rdf::Format::kTriG) {
    options.base = "http://fuzz.example/base/doc";
  }
  return rdf::Read(kFormat, text, options,
                   [&](const rdf::Quad& q, const rdf::Position&) {
                     quads->push_back(q);
                     return absl::OkStatus();
                   });
}

std::string WriteAll(const std::vector<rdf::Quad>& quads) {
  std::string out;
  rdf::Writer writer(kFormat, &out);
  for (const rdf::Quad& q : quads) {
    const absl::Status s = writer.Write(q);
    if (!s.ok())
      Fail("the writer refused a quad the reader made", s.ToString());
  }
  writer.Finish();
  return out;
}

}  // namespace
}  // namespace kg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kg::fuzz;  // NOLINT: one entry point
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<kg::rdf::Quad> quads;
  const absl::Status s = ReadAll(input, &quads);
  if (Verbose()) {
    std::fprintf(stderr, "  %zu quads, %s\n", quads.size(),
                 s.ToString().c_str());
  }
  if (!s.ok()) {
    // A syntax the reader does not read yet is not a finding.
    if (s.code() != absl::StatusCode::kUnimplemented) {
      CheckErrorPosition("rdf_reader_fuzzer", input, s);
    }
    return 0;
  }
  const std::string written = WriteAll(quads);
  std::vector<kg::rdf::Quad> back;
  const absl::Status s2 = ReadAll(written, &back);
  if (!s2.ok())
    Fail("the writer's output does not read back",
         s2.ToString() + "\n" + written);
  std::string why;
  if (!kg::rdf::Isomorphic(quads, back, &why)) {
    Fail("the round trip is not isomorphic", why + "\n" + written);
  }
  if (kFormat == kg::rdf::Format::kNTriples ||
      kFormat == kg::rdf::Format::kNQuads) {
    if (WriteAll(back) != written) Fail("the output is not canonical", written);
    std::vector<kg::rdf::Quad> skipping;
    if (!ReadAll(input, &skipping, /*skip_invalid=*/true).ok() ||
        skipping.size() != quads.size()) {
      Fail("skip_invalid reads a well-formed input differently", input);
    }
  }
  return 0;
}
