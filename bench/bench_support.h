// What the benchmarks in bench/ share: where they write, and how much
// memory they used.
//
// Every benchmark writes only under one directory: $TMPDIR when it is set,
// else /tmp (docs/benchmarks.md, "Where benchmarks write").
#ifndef KG_BENCH_BENCH_SUPPORT_H_
#define KG_BENCH_BENCH_SUPPORT_H_

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace kg::bench {

// $TMPDIR, or /tmp when it is unset or empty.
inline std::string WorkRoot() {
  const char* tmp = getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? std::string(tmp) : "/tmp";
}

// A fresh directory <WorkRoot()>/<prefix>XXXXXX, removed with everything in
// it on destruction unless kept. ok() is false when it could not be made.
class TempDir {
 public:
  explicit TempDir(absl::string_view prefix) {
    std::string name = absl::StrCat(WorkRoot(), "/", prefix, "XXXXXX");
    if (mkdtemp(name.data()) != nullptr) path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // Leaves the directory on disk.
  void Keep() { path_.clear(); }
  std::string Sub(absl::string_view name) const {
    return absl::StrCat(path_, "/", name);
  }

 private:
  std::string path_;
};

// Peak resident set of the process so far, in MiB (VmHWM).
inline double PeakRssMib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    long kib = 0;  // NOLINT(runtime/int): the type sscanf's %ld fills
    if (std::sscanf(line.c_str(), "VmHWM: %ld kB", &kib) == 1) {
      return static_cast<double>(kib) / 1024.0;
    }
  }
  return 0.0;
}

}  // namespace kg::bench

#endif  // KG_BENCH_BENCH_SUPPORT_H_
