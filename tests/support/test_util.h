// Shared test helpers: status matchers with Abseil's names, and a scoped
// temporary directory.
//
//   EXPECT_THAT(store->Write(batch), IsOk());
//   EXPECT_THAT(reader->GetEntity("x"), StatusIs(absl::StatusCode::kNotFound));
#ifndef KG_TESTS_SUPPORT_TEST_UTIL_H_
#define KG_TESTS_SUPPORT_TEST_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace kg::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status: " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code,
          "has code " +
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(s.message()), result_listener);
}

// A fresh directory under ::testing::TempDir(), removed with its contents
// on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Source and build directories, fixed at configure time. The environment's
// KG_TEST_BINARY_DIR, when set, stands for the build directory where the
// tests look for kg-server and kgctl: a long run (replica_fault_test) can
// use a copy of them while the build goes on.
std::string SourceDir();
std::string BinaryDir();

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_TEST_UTIL_H_
