// The W3C SPARQL 1.0, 1.1 and 1.2 query syntax tests (../shared/
// w3c-rdf-tests/sparql, KG_W3C_TESTS_DIR), run through query/sparql's
// parser: a positive test's query must parse, a negative test's must be
// refused. Update syntax tests (.ru) are out of scope (kg has no SPARQL
// Update). The base IRI of a query is its file's published URL, as the
// manifests say. Prints "suite/category: N passed, N failed" and every
// failure with its reason; tests listed in w3c_exclusions.txt (each with its
// reason) are run and reported but do not fail the suite.
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "query/sparql/parser.h"
#include "tests/support/w3c_manifest.h"

namespace kg::sparql {
namespace {

using testing::kMf;
using testing::kQt;
using testing::kW3cUrlRoot;
using testing::LocalPath;
using testing::ManifestEntry;
using testing::ReadFile;

// Test IRIs and why each is excluded (tests/query/sparql/w3c_exclusions.txt).
std::map<std::string, std::string> Exclusions() {
  std::map<std::string, std::string> out;
  std::string text;
  if (!ReadFile(KG_SPARQL_EXCLUSIONS, &text)) return out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find_first_of(" \t");
    if (space == absl::string_view::npos) continue;
    out[std::string(line.substr(0, space))] =
        std::string(absl::StripAsciiWhitespace(line.substr(space)));
  }
  return out;
}

// "sparql11/syntax-query" from a test's action URL.
std::string Category(absl::string_view url) {
  absl::string_view rest = url;
  absl::ConsumePrefix(&rest, kW3cUrlRoot);
  absl::ConsumePrefix(&rest, "sparql/");
  const size_t slash = rest.rfind('/');
  return std::string(slash == absl::string_view::npos ? rest
                                                      : rest.substr(0, slash));
}

void RunSyntaxSuite(const std::string& manifest) {
  std::string probe;
  if (!ReadFile(LocalPath(absl::StrCat(kW3cUrlRoot, manifest)), &probe)) {
    std::cout << "W3C tests absent: " << LocalPath(manifest) << "; skipping\n";
    GTEST_SKIP();
  }
  std::vector<ManifestEntry> entries;
  std::vector<std::string> errors;
  testing::LoadManifest(absl::StrCat(kW3cUrlRoot, manifest), &entries, &errors);
  for (const std::string& err : errors) ADD_FAILURE() << err;
  const std::map<std::string, std::string> excluded = Exclusions();
  std::map<std::string, std::pair<int, int>> by_category;
  std::set<std::string> seen;
  int passed = 0, failed = 0, excluded_failed = 0;
  for (const ManifestEntry& e : entries) {
    const bool positive = absl::EndsWith(e.type, "#PositiveSyntaxTest") ||
                          absl::EndsWith(e.type, "#PositiveSyntaxTest11");
    const bool negative = absl::EndsWith(e.type, "#NegativeSyntaxTest") ||
                          absl::EndsWith(e.type, "#NegativeSyntaxTest11");
    if (!positive && !negative) continue;
    std::string action = e.Value(kMf, "action");
    if (const rdf::Term* a = e.Get(kMf, "action");
        a != nullptr && a->is_blank()) {
      const rdf::Term* q = e.graph->Object(*a, absl::StrCat(kQt, "query"));
      action = q == nullptr ? "" : q->value();
    }
    if (absl::EndsWith(action, ".ru")) continue;  // SPARQL Update
    if (!seen.insert(e.node.value()).second) continue;
    std::string text;
    std::string why;
    if (!ReadFile(LocalPath(action), &text)) {
      why = absl::StrCat("cannot read ", action);
    } else {
      ParseOptions options;
      options.base_iri = action;
      const absl::StatusOr<Query> q = Parse(text, options);
      if (positive && !q.ok()) {
        why = absl::StrCat("refused: ", q.status().message());
      } else if (negative && q.ok()) {
        why = "parsed, but must be refused";
      } else if (negative && std::getenv("KG_SPARQL_VERBOSE") != nullptr) {
        // To review that each refusal is for the test's reason.
        std::cout << "refused " << e.node.value() << ": "
                  << q.status().message() << "\n";
      }
    }
    auto& counts = by_category[Category(action)];
    const auto ex = excluded.find(e.node.value());
    if (why.empty()) {
      ++passed;
      ++counts.first;
      if (ex != excluded.end()) {
        std::cout << "PASSES BUT EXCLUDED " << e.node.value() << "\n";
      }
      continue;
    }
    ++counts.second;
    if (ex != excluded.end()) {
      ++excluded_failed;
      std::cout << "EXCLUDED " << e.node.value() << " (" << ex->second << ")\n";
      continue;
    }
    ++failed;
    std::cout << "FAIL " << e.node.value() << " (" << action << "): " << why
              << "\n  " << absl::StrReplaceAll(text, {{"\n", "\n  "}}) << "\n";
  }
  for (const auto& [category, counts] : by_category) {
    std::cout << category << ": " << counts.first << " passed, "
              << counts.second << " failed\n";
  }
  std::cout << manifest << ": " << passed << " passed, " << failed
            << " failed, " << excluded_failed << " excluded\n";
  EXPECT_GT(passed, 0);
  EXPECT_EQ(failed, 0) << manifest;
}

TEST(SparqlSyntaxConformance, Sparql10) {
  RunSyntaxSuite("sparql/sparql10/manifest.ttl");
}
TEST(SparqlSyntaxConformance, Sparql11) {
  RunSyntaxSuite("sparql/sparql11/manifest-sparql11-query.ttl");
}
TEST(SparqlSyntaxConformance, Sparql11Federation) {
  RunSyntaxSuite("sparql/sparql11/manifest-sparql11-fed.ttl");
}
TEST(SparqlSyntaxConformance, Sparql12) {
  RunSyntaxSuite("sparql/sparql12/manifest.ttl");
}

}  // namespace
}  // namespace kg::sparql
