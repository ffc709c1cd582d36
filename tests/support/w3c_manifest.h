// Reading the W3C test suites' manifests (../shared/w3c-rdf-tests, the
// KG_W3C_TESTS_DIR the test target defines) with our own Turtle reader.
// The RDF conformance runner (tests/rdf/conformance_test.cc) and the SPARQL
// runners (tests/query/sparql/) share it.
//
//   std::vector<ManifestEntry> entries;
//   std::vector<std::string> errors;
//   LoadManifest(absl::StrCat(kW3cUrlRoot, "sparql/sparql11/manifest-all.ttl"),
//                &entries, &errors);
//   const rdf::Term* query = entries[0].Get(kQt, "query");
#ifndef KG_TESTS_SUPPORT_W3C_MANIFEST_H_
#define KG_TESTS_SUPPORT_W3C_MANIFEST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "rdf/term.h"

namespace kg::testing {

// Manifests are read at their published URLs, so a test's base IRI is its
// action's IRI; LocalPath maps such a URL to the local copy.
inline constexpr char kW3cUrlRoot[] = "https://w3c.github.io/rdf-tests/";
inline constexpr char kMf[] =
    "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
inline constexpr char kQt[] =
    "http://www.w3.org/2001/sw/DataAccess/tests/test-query#";
inline constexpr char kRdft[] = "http://www.w3.org/ns/rdftest#";

// The local copy of the suites (KG_W3C_TESTS_DIR).
std::string W3cTestsDir();
// The local path of a published test URL; empty when not under kW3cUrlRoot.
std::string LocalPath(absl::string_view url);
bool ReadFile(const std::string& path, std::string* out);

// The triples of one manifest, indexed by subject.
class ManifestGraph {
 public:
  explicit ManifestGraph(std::vector<rdf::Quad> quads);
  // The first object of (s, p), or nullptr.
  const rdf::Term* Object(const rdf::Term& s, absl::string_view p) const;
  // Every object of (s, p).
  std::vector<rdf::Term> Objects(const rdf::Term& s, absl::string_view p) const;
  // The items of the RDF list at `head`.
  std::vector<rdf::Term> List(const rdf::Term& head) const;
  const std::vector<rdf::Quad>& quads() const { return quads_; }

 private:
  std::vector<rdf::Quad> quads_;
  absl::flat_hash_map<std::string, std::vector<size_t>> by_subject_;
};

struct ManifestEntry {
  rdf::Term node;                              // the test's IRI or node
  std::string name;                            // mf:name, else the node
  std::string type;                            // rdf:type, the full IRI
  std::shared_ptr<const ManifestGraph> graph;  // its manifest
  // The first object of (node, ns + local), or nullptr.
  const rdf::Term* Get(absl::string_view ns, absl::string_view local) const;
  // The IRI or literal value of (node, ns + local); "" when absent.
  std::string Value(absl::string_view ns, absl::string_view local) const;
};

// Reads the manifest at `url` and those it includes (mf:include), appending
// its entries (mf:entries). A manifest missing from the local copy is said
// on stdout and skipped; a manifest that does not parse is an error.
bool LoadManifest(const std::string& url, std::vector<ManifestEntry>* entries,
                  std::vector<std::string>* errors, int depth = 0);

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_W3C_MANIFEST_H_
