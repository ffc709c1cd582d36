// Keeps the module arrows of docs/architecture.md true. Each module names
// the headers it offers the others (an allow-list), and each module names
// the modules it may include; any other #include across modules fails.
// Debian installs all headers in /usr/include, so the linker alone cannot
// catch a stray include, and CMake's PRIVATE linkage cannot either.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_util.h"

namespace kg {
namespace {

namespace fs = std::filesystem;

struct Include {
  std::string file;  // relative to the source root: "query/path.cc"
  int line;
  std::string target;  // as written: "storage/store.h"
};

// What a module offers: the headers other modules may include. A module
// that is not listed offers nothing.
const std::map<std::string, std::set<std::string>>& PublicHeaders() {
  static const auto* kPublic = new std::map<std::string, std::set<std::string>>{
      // storage/: the abstract store and what its callers need to use it;
      // the RocksDB implementation (database.h, rocksdb_reader.h, keys.h,
      // write_txn.h, ...) stays behind store.h.
      // common/: header-only helpers with no dependency but absl.
      {"common", {"echo.h", "status_macros.h", "sha256_stream.h"}},
      // rdf/: RDF 1.2 terms and the four syntaxes; the readers' and
      // writers' internals (ntriples.h, turtle.h, iri.h) stay inside.
      // iri.h (IRI resolution) and text.h (the grammars' character
      // classes) are offered for the SPARQL grammar, which shares them.
      {"rdf", {"term.h", "format.h", "isomorphism.h", "iri.h", "text.h"}},
      {"storage",
       {"store.h", "model.h", "status_macros.h", "page_token.h",
        "error_context.h", "compact_adjacency.h", "entity_table.h",
        "fault_injection.h"}},
      // query/: the engines' entry points; the search internals
      // (path_graph.h, path_search.h) stay inside.
      {"query",
       {"match.h", "path.h", "provenance.h", "provenance_as_of.h",
        "provenance_prov_o.h", "resolve.h"}},
      // query/sparql/: the SPARQL parser and algebra; the tokenizer
      // (lexer.h) stays inside.
      {"query/sparql",
       {"algebra.h", "parser.h", "dataset.h", "eval.h", "store_dataset.h",
        "results.h"}},
      // metrics/: counters and histograms in Prometheus's text format.
      {"metrics", {"metrics.h"}},
      // rdf_proto/: RDF terms between the proto and rdf::Term.
      {"rdf_proto", {"rdf_term.h"}},
      // http/: the HTTP listener and its JSON gateway.
      {"http", {"http_server.h", "gateway.h"}},
      // client/: kgctl's importer and the connection it runs over, for
      // kg-server --load (the offline load is kgctl's import, in process);
      // the RDF mapping and the number format, for the fresh load's; the
      // checkpoint download, for a replica starting from a peer's store.
      {"client",
       {"importer.h", "connection.h", "rdf_mapping.h", "format.h",
        "checkpoint_download.h"}},
      // loader/: kg-server --load's fast path.
      {"loader", {"fresh_rdf.h"}},
      // replica/: the replicated log in etcd and its client
      // (docs/replicas.md); etcd's generated stubs stay inside.
      {"replica", {"etcd.h", "replica_log.h", "entry.h", "replicated_store.h"}},
  };
  return *kPublic;
}

// Which project modules each checked module may include ("kg" is the
// generated proto code: kg/v1/*.pb.h).
const std::map<std::string, std::set<std::string>>& Arrows() {
  static const auto* kArrows = new std::map<std::string, std::set<std::string>>{
      {"common", {}},
      {"rdf", {"common"}},
      {"storage", {"common"}},
      {"query", {"storage", "common"}},
      {"query/sparql", {"query", "rdf", "storage", "common"}},
      // http/ reaches the service through a gRPC channel only: no store;
      // of query/sparql only the results formats (results.h).
      {"http", {"kg", "rdf", "rdf_proto", "query/sparql", "metrics", "common"}},
      {"metrics", {}},
      {"rdf_proto", {"kg", "rdf", "common"}},
      {"server",
       {"query", "query/sparql", "storage", "kg", "rdf", "rdf_proto", "common",
        "http", "metrics", "client", "loader", "replica"}},
      {"client", {"kg", "rdf", "rdf_proto", "query/sparql", "common"}},
      // loader/ reads RDF as kgctl's import does and writes to the store.
      {"loader", {"storage", "rdf", "client", "kg", "common"}},
      // replica/ logs the store's write batches: storage's model, no query.
      {"replica", {"storage", "common"}},
  };
  return *kArrows;
}

// Third-party prefixes each checked module may not include.
const std::map<std::string, std::vector<std::string>>& Banned() {
  static const auto* kBanned =
      new std::map<std::string, std::vector<std::string>>{
          {"common",
           {"grpc", "grpcpp/", "google/protobuf/", "src/proto/", "rocksdb/"}},
          {"rdf",
           {"grpc", "grpcpp/", "google/protobuf/", "src/proto/", "rocksdb/"}},
          {"storage", {"grpc", "grpcpp/", "google/protobuf/", "src/proto/"}},
          {"query",
           {"grpc", "grpcpp/", "google/protobuf/", "src/proto/", "rocksdb/"}},
          {"query/sparql",
           {"grpc", "grpcpp/", "google/protobuf/", "src/proto/", "rocksdb/"}},
          {"http", {"rocksdb/"}},
          {"rdf_proto", {"rocksdb/"}},
          {"metrics",
           {"grpc", "grpcpp/", "google/protobuf/", "src/proto/", "rocksdb/"}},
          {"server", {}},
          {"client", {"rocksdb/"}},
          {"loader", {"grpc", "grpcpp/", "rocksdb/"}},
          {"replica", {"rocksdb/"}},
      };
  return *kBanned;
}

const std::set<std::string> kProjectModules = {
    "common",  "rdf",    "storage", "query", "query/sparql",
    "server",  "client", "kg",      "http",  "rdf_proto",
    "metrics", "loader", "replica"};

// The module a path belongs to: the longest module folder it lies in
// ("query/sparql/parser.h" is query/sparql's, "query/path.h" query's); ""
// when none.
std::string ModuleOf(const std::string& path) {
  std::string best;
  for (const std::string& m : kProjectModules) {
    if (absl::StartsWith(path, m + "/") && m.size() > best.size()) best = m;
  }
  return best;
}

std::vector<Include> IncludesUnder(const std::string& folder) {
  std::vector<Include> out;
  const fs::path source = fs::path(testing::SourceDir());
  const fs::path root = source / folder;
  if (!fs::exists(root)) return out;
  static const std::regex kInclude(R"re(^\s*#\s*include\s*[<"]([^>"]+)[>"])re");
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".h" && ext != ".cc") continue;
    // A nested module's files are checked as that module's.
    if (ModuleOf(fs::relative(entry.path(), source).string()) != folder) {
      continue;
    }
    std::ifstream in(entry.path());
    std::string text;
    int n = 0;
    while (std::getline(in, text)) {
      ++n;
      std::smatch m;
      if (std::regex_search(text, m, kInclude)) {
        out.push_back(
            {fs::relative(entry.path(), source).string(), n, m[1].str()});
      }
    }
  }
  return out;
}

// Why `inc`, written in module `module`, breaks the rules; empty when it
// does not.
std::string Violation(const std::string& module, const Include& inc) {
  const std::string where =
      absl::StrCat(inc.file, ":", inc.line, " includes \"", inc.target, "\": ");
  for (const std::string& prefix : Banned().at(module)) {
    if (absl::StartsWith(inc.target, prefix)) {
      return absl::StrCat(where, module, "/ may not include ", prefix, "*");
    }
  }
  const std::string target_module = ModuleOf(inc.target);
  if (target_module.empty() || target_module == module) return "";
  if (!Arrows().at(module).contains(target_module)) {
    return absl::StrCat(where, module, "/ may not include ", target_module,
                        "/ (docs/architecture.md)");
  }
  const auto offered = PublicHeaders().find(target_module);
  if (offered == PublicHeaders().end()) return "";  // kg/: all generated
  const std::string header = inc.target.substr(target_module.size() + 1);
  if (!offered->second.contains(header)) {
    return absl::StrCat(where, "not a public header of ", target_module,
                        "/ (it offers ", absl::StrJoin(offered->second, ", "),
                        ")");
  }
  return "";
}

std::vector<std::string> Violations(const std::string& module,
                                    const std::vector<Include>& includes) {
  std::vector<std::string> out;
  for (const Include& inc : includes) {
    std::string v = Violation(module, inc);
    if (!v.empty()) out.push_back(std::move(v));
  }
  return out;
}

TEST(LayeringTest, SourceTreeIsVisible) {
  // Guards the other tests against passing by scanning nothing.
  for (const auto& [module, arrows] : Arrows()) {
    EXPECT_FALSE(IncludesUnder(module).empty()) << module;
  }
}

TEST(LayeringTest, EveryModuleIncludesOnlyWhatItsArrowsAndAllowListsPermit) {
  for (const auto& [module, arrows] : Arrows()) {
    SCOPED_TRACE(module);
    EXPECT_THAT(Violations(module, IncludesUnder(module)),
                ::testing::IsEmpty());
  }
}

// The checker itself: what it must reject and accept.
TEST(LayeringTest, RejectsANonPublicHeaderAndAWrongArrow) {
  EXPECT_THAT(Violations("query", {{"query/x.cc", 3, "storage/keys.h"}}),
              ::testing::ElementsAre(
                  ::testing::HasSubstr("not a public header of storage/")));
  EXPECT_THAT(Violations("query", {{"query/x.cc", 3, "storage/store.h"}}),
              ::testing::IsEmpty());
  EXPECT_THAT(Violations("storage", {{"storage/x.cc", 1, "query/path.h"}}),
              ::testing::ElementsAre(
                  ::testing::HasSubstr("storage/ may not include query/")));
  EXPECT_THAT(Violations("client", {{"client/x.cc", 1, "storage/store.h"}}),
              ::testing::ElementsAre(
                  ::testing::HasSubstr("client/ may not include storage/")));
  EXPECT_THAT(Violations("server", {{"server/x.cc", 1, "query/path_graph.h"}}),
              ::testing::ElementsAre(
                  ::testing::HasSubstr("not a public header of query/")));
  EXPECT_THAT(
      Violations("query", {{"query/x.h", 1, "rocksdb/db.h"}}),
      ::testing::ElementsAre(::testing::HasSubstr("may not include rocksdb/")));
  EXPECT_THAT(Violations("server", {{"server/x.cc", 1, "kg/v1/kg.pb.h"}}),
              ::testing::IsEmpty());
  // A nested module is a module of its own, with its own arrows.
  EXPECT_THAT(
      Violations("query/sparql", {{"query/sparql/x.cc", 1, "storage/keys.h"}}),
      ::testing::ElementsAre(
          ::testing::HasSubstr("not a public header of storage/")));
  EXPECT_THAT(Violations("query/sparql",
                         {{"query/sparql/x.cc", 1, "server/service.h"}}),
              ::testing::ElementsAre(::testing::HasSubstr(
                  "query/sparql/ may not include server/")));
  EXPECT_THAT(Violations("query/sparql",
                         {{"query/sparql/x.cc", 1, "query/sparql/lexer.h"}}),
              ::testing::IsEmpty());
  EXPECT_THAT(
      Violations("client", {{"client/x.cc", 1, "query/sparql/lexer.h"}}),
      ::testing::ElementsAre(
          ::testing::HasSubstr("not a public header of query/sparql/")));
  EXPECT_THAT(Violations("client", {{"client/x.cc", 1, "query/path.h"}}),
              ::testing::ElementsAre(
                  ::testing::HasSubstr("client/ may not include query/")));
}

TEST(LayeringTest, StoragePublicHeadersHideRocksDbAndInternals) {
  const std::set<std::string>& offered = PublicHeaders().at("storage");
  for (const Include& inc : IncludesUnder("storage")) {
    const std::string name = fs::path(inc.file).filename().string();
    if (!offered.contains(name)) continue;
    EXPECT_FALSE(absl::StartsWith(inc.target, "rocksdb/"))
        << inc.file << ":" << inc.line << " exposes RocksDB in a public header";
    if (absl::StartsWith(inc.target, "storage/")) {
      EXPECT_TRUE(offered.contains(inc.target.substr(8)))
          << inc.file << ":" << inc.line << " exposes an internal header";
    }
  }
}

}  // namespace
}  // namespace kg
