// The W3C RDF 1.1 and 1.2 conformance suites for N-Triples, N-Quads, Turtle
// and TriG (../shared/w3c-rdf-tests, KG_W3C_TESTS_DIR), run through rdf/.
//
// Each suite's manifest.ttl is read with our own Turtle reader; mf:include
// and mf:entries are followed recursively. For every entry:
//   - positive syntax: the action parses;
//   - negative syntax and negative eval: the action fails to parse;
//   - eval: the action parses and is isomorphic to mf:result (read as
//     N-Triples or N-Quads);
//   - canonical N-Triples/N-Quads (…PositiveC14N): the writer's output of
//     the action equals mf:result byte for byte;
//   - every positive test also round-trips: written in its own format and
//     in N-Quads with rdf::Writer, read back, isomorphic to the first parse.
// The base IRI of a test is its mf:action IRI, the manifest being read at
// its published URL (https://w3c.github.io/rdf-tests/...). One GoogleTest
// TEST per suite; each failure is printed with the test's name and reason,
// then "suite: N passed, N failed". No exclusions.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "rdf/format.h"
#include "rdf/isomorphism.h"
#include "rdf/term.h"
#include "tests/support/w3c_manifest.h"

namespace kg::rdf {
namespace {

using testing::kW3cUrlRoot;
using testing::LocalPath;
using testing::ManifestEntry;
using testing::ReadFile;
using testing::W3cTestsDir;

absl::Status ParseAll(Format format, absl::string_view text,
                      const std::string& base, std::vector<Quad>* out) {
  out->clear();
  ReadOptions options;
  options.base = base;
  return Read(format, text, options,
              [out](const Quad& q, const Position&) -> absl::Status {
                out->push_back(q);
                return absl::OkStatus();
              });
}

struct Entry {
  std::string name;
  std::string type;  // local name in rdft:
  std::string action;
  std::string result;
};

Entry FromManifest(const ManifestEntry& m) {
  Entry e;
  e.name = m.name;
  e.type = m.type;
  if (absl::StartsWith(e.type, testing::kRdft)) {
    e.type = e.type.substr(sizeof(testing::kRdft) - 1);
  }
  e.action = m.Value(testing::kMf, "action");
  e.result = m.Value(testing::kMf, "result");
  return e;
}

// What a test type asks for.
struct Kind {
  Format format;
  enum { kPositive, kNegative, kEval, kC14n } what;
};

bool KindOf(absl::string_view type, Kind* kind) {
  if (absl::StartsWith(type, "TestNTriples")) {
    kind->format = Format::kNTriples;
  } else if (absl::StartsWith(type, "TestNQuads")) {
    kind->format = Format::kNQuads;
  } else if (absl::StartsWith(type, "TestTurtle")) {
    kind->format = Format::kTurtle;
  } else if (absl::StartsWith(type, "TestTrig")) {
    kind->format = Format::kTriG;
  } else {
    return false;
  }
  if (absl::StrContains(type, "Negative")) {
    kind->what = Kind::kNegative;
  } else if (absl::StrContains(type, "C14N")) {
    kind->what = Kind::kC14n;
  } else if (absl::EndsWith(type, "Eval")) {
    kind->what = Kind::kEval;
  } else if (absl::StrContains(type, "PositiveSyntax")) {
    kind->what = Kind::kPositive;
  } else {
    return false;
  }
  return true;
}

// Writes `quads` in `format` and reads them back; "" or what went wrong.
std::string RoundTrip(Format format, const std::vector<Quad>& quads) {
  std::string out;
  {
    Writer writer(format, &out);
    for (const Quad& q : quads) {
      const absl::Status st = writer.Write(q);
      if (!st.ok()) return absl::StrCat("writing: ", st.message());
    }
    writer.Finish();
  }
  std::vector<Quad> back;
  const absl::Status st = ParseAll(format, out, "", &back);
  if (!st.ok()) {
    return absl::StrCat("reading back: ", st.message(), "\n--- written:\n",
                        out);
  }
  std::string why;
  if (!Isomorphic(quads, back, &why)) {
    return absl::StrCat("read back not isomorphic: ", why, "\n--- written:\n",
                        out);
  }
  return "";
}

// Runs one entry; "" when it passes, else the reason.
std::string RunEntry(const Entry& e) {
  Kind kind;
  if (!KindOf(e.type, &kind)) return absl::StrCat("unknown test type ", e.type);
  std::string text;
  if (!ReadFile(LocalPath(e.action), &text)) {
    return absl::StrCat("cannot read ", e.action);
  }
  std::vector<Quad> quads;
  const absl::Status st = ParseAll(kind.format, text, e.action, &quads);
  if (kind.what == Kind::kNegative) {
    if (st.ok()) return "parsed, but must be refused";
    return "";
  }
  if (!st.ok()) return absl::StrCat("refused: ", st.message());
  if (kind.what == Kind::kEval || kind.what == Kind::kC14n) {
    std::string expected_text;
    if (!ReadFile(LocalPath(e.result), &expected_text)) {
      return absl::StrCat("cannot read ", e.result);
    }
    if (kind.what == Kind::kC14n) {
      std::string out;
      Writer writer(kind.format, &out);
      for (const Quad& q : quads) {
        const absl::Status w = writer.Write(q);
        if (!w.ok()) return absl::StrCat("writing: ", w.message());
      }
      writer.Finish();
      if (out != expected_text) {
        return absl::StrCat("canonical output differs:\n--- expected:\n",
                            expected_text, "--- written:\n", out);
      }
    } else {
      const Format result_format =
          absl::EndsWith(e.result, ".nq") ? Format::kNQuads : Format::kNTriples;
      std::vector<Quad> expected;
      const absl::Status r =
          ParseAll(result_format, expected_text, "", &expected);
      if (!r.ok()) return absl::StrCat("result file refused: ", r.message());
      std::string why;
      if (!Isomorphic(quads, expected, &why)) {
        return absl::StrCat("not isomorphic to the result: ", why);
      }
    }
  }
  std::string rt = RoundTrip(kind.format, quads);
  if (!rt.empty())
    return absl::StrCat("round trip via ", FormatName(kind.format), ": ", rt);
  rt = RoundTrip(Format::kNQuads, quads);
  if (!rt.empty()) return absl::StrCat("round trip via N-Quads: ", rt);
  return "";
}

void RunSuite(const std::string& suite) {
  std::string probe;
  if (!ReadFile(absl::StrCat(W3cTestsDir(), "/rdf/", suite, "/manifest.ttl"),
                &probe)) {
    std::cout << "W3C tests absent: " << W3cTestsDir() << "/rdf/" << suite
              << " (KG_W3C_TESTS_DIR); skipping\n";
    GTEST_SKIP();
  }
  std::vector<ManifestEntry> entries;
  std::vector<std::string> errors;
  testing::LoadManifest(
      absl::StrCat(kW3cUrlRoot, "rdf/", suite, "/manifest.ttl"), &entries,
      &errors);
  for (const std::string& err : errors) ADD_FAILURE() << err;
  int passed = 0;
  int failed = 0;
  for (const ManifestEntry& m : entries) {
    const Entry e = FromManifest(m);
    const std::string why = RunEntry(e);
    if (why.empty()) {
      ++passed;
    } else {
      ++failed;
      std::cout << "FAIL " << suite << " " << e.name << " (" << e.type << ", "
                << e.action << "): " << why << "\n";
    }
  }
  std::cout << suite << ": " << passed << " passed, " << failed << " failed\n";
  EXPECT_GT(passed, 0);
  EXPECT_EQ(failed, 0) << suite;
}

TEST(W3cConformance, Rdf11NTriples) { RunSuite("rdf11/rdf-n-triples"); }
TEST(W3cConformance, Rdf11NQuads) { RunSuite("rdf11/rdf-n-quads"); }
TEST(W3cConformance, Rdf11Turtle) { RunSuite("rdf11/rdf-turtle"); }
TEST(W3cConformance, Rdf12NTriples) { RunSuite("rdf12/rdf-n-triples"); }
TEST(W3cConformance, Rdf12NQuads) { RunSuite("rdf12/rdf-n-quads"); }
TEST(W3cConformance, Rdf12Turtle) { RunSuite("rdf12/rdf-turtle"); }
TEST(W3cConformance, Rdf12TriG) { RunSuite("rdf12/rdf-trig"); }

}  // namespace
}  // namespace kg::rdf
