// Keeps the module arrows of STYLE.md true: every #include in a folder must
// point where that folder may look. Debian installs all headers in
// /usr/include, so the linker alone cannot catch a stray include.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_util.h"

namespace kg {
namespace {

namespace fs = std::filesystem;

struct Include {
  std::string file;
  int line;
  std::string target;
};

std::vector<Include> IncludesUnder(const std::string& folder) {
  std::vector<Include> out;
  const fs::path root = fs::path(testing::SourceDir()) / folder;
  if (!fs::exists(root)) return out;
  static const std::regex kInclude(R"re(^\s*#\s*include\s*[<"]([^>"]+)[>"])re");
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".h" && ext != ".cc") continue;
    std::ifstream in(entry.path());
    std::string text;
    int n = 0;
    while (std::getline(in, text)) {
      ++n;
      std::smatch m;
      if (std::regex_search(text, m, kInclude)) {
        out.push_back({entry.path().string(), n, m[1].str()});
      }
    }
  }
  return out;
}

// Fails for every include under `folder` that starts with a banned prefix.
void ExpectNoIncludes(const std::string& folder,
                      const std::vector<std::string>& banned) {
  const std::vector<Include> includes = IncludesUnder(folder);
  for (const Include& inc : includes) {
    for (const std::string& prefix : banned) {
      EXPECT_FALSE(absl::StartsWith(inc.target, prefix))
          << inc.file << ":" << inc.line << " includes \"" << inc.target
          << "\", but " << folder << "/ may not include " << prefix << "*";
    }
  }
}

const std::vector<std::string> kGrpcAndProto = {
    "grpc", "grpcpp/", "google/protobuf/", "kg/v1/", "src/proto/"};

TEST(LayeringTest, SourceTreeIsVisible) {
  // Guards the other tests against passing by scanning nothing.
  EXPECT_FALSE(IncludesUnder("storage").empty());
  EXPECT_FALSE(IncludesUnder("server").empty());
  EXPECT_FALSE(IncludesUnder("client").empty());
}

TEST(LayeringTest, StorageKnowsNothingOfGrpcQueriesOrServer) {
  std::vector<std::string> banned = kGrpcAndProto;
  for (const char* p : {"query/", "server/", "client/"}) banned.push_back(p);
  ExpectNoIncludes("storage", banned);
}

TEST(LayeringTest, StoragePublicHeadersHideRocksDb) {
  for (const Include& inc : IncludesUnder("storage")) {
    const std::string name = fs::path(inc.file).filename().string();
    if (name != "store.h" && name != "model.h") continue;
    EXPECT_FALSE(absl::StartsWith(inc.target, "rocksdb/"))
        << inc.file << ":" << inc.line << " exposes RocksDB in a public header";
  }
}

TEST(LayeringTest, QueryUsesOnlyStorageInterfaces) {
  std::vector<std::string> banned = kGrpcAndProto;
  for (const char* p : {"server/", "client/", "rocksdb/"}) banned.push_back(p);
  ExpectNoIncludes("query", banned);
}

TEST(LayeringTest, ServerDoesNotIncludeClient) {
  ExpectNoIncludes("server", {"client/"});
}

TEST(LayeringTest, ClientTalksOnlyThroughTheProto) {
  ExpectNoIncludes("client", {"server/", "storage/", "query/", "rocksdb/"});
}

}  // namespace
}  // namespace kg
