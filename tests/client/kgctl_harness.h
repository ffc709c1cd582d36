// Helpers for kgctl's end-to-end tests: run the real kgctl binary, compare
// its output with golden files, parse --json lines back into messages.
//
// Golden files live in tests/testdata/kgctl/. Regenerate them on purpose,
// then review the diff:
//   KG_UPDATE_GOLDEN=1 ctest --test-dir build -R kgctl
#ifndef KG_TESTS_CLIENT_KGCTL_HARNESS_H_
#define KG_TESTS_CLIENT_KGCTL_HARNESS_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg::testing {

// Runs kgctl against `server` with `args`; a fixed terminal width
// (`columns`) so that wrapped output is the same everywhere.
inline RunResult Kgctl(const std::string& server,
                       const std::vector<std::string>& args,
                       const std::string& work_dir, int columns = 100) {
  setenv("COLUMNS", std::to_string(columns).c_str(), 1);
  unsetenv("KG_SERVER");
  std::vector<std::string> argv = {KgctlBinary(), "--server", server};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, work_dir, absl::Seconds(30));
}

inline std::string GoldenPath(const std::string& name) {
  return SourceDir() + "/tests/testdata/kgctl/" + name;
}

// Compares `actual` with the golden file `name`, or rewrites the file when
// KG_UPDATE_GOLDEN=1.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = GoldenPath(name);
  const char* update = std::getenv("KG_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path))
      << "missing golden file " << path
      << "; create it with KG_UPDATE_GOLDEN=1 and review it";
  EXPECT_EQ(actual, ReadFile(path))
      << "output differs from " << path
      << "; if the change is intended, regenerate with KG_UPDATE_GOLDEN=1 "
         "and review the diff";
}

// Parses every non-empty line of `out` as a T in the protobuf JSON mapping.
template <typename T>
std::vector<T> ParseJsonLines(const std::string& out) {
  std::vector<T> result;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    T message;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(line.data(), line.size()), &message);
    EXPECT_TRUE(status.ok()) << status.ToString() << " in: " << line;
    result.push_back(std::move(message));
  }
  return result;
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace kg::testing

#endif  // KG_TESTS_CLIENT_KGCTL_HARNESS_H_
