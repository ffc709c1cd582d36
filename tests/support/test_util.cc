#include "tests/support/test_util.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

namespace kg::testing {

ScopedTempDir::ScopedTempDir() {
  std::string tmpl = ::testing::TempDir() + "kg-test-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string SourceDir() { return KG_SOURCE_DIR; }

std::string BinaryDir() {
  const char* dir = std::getenv("KG_TEST_BINARY_DIR");
  return dir != nullptr && *dir != '\0' ? dir : KG_BINARY_DIR;
}

}  // namespace kg::testing
