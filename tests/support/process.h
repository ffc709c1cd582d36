// Subprocess: runs one of our binaries for end-to-end tests, with its
// stdout and stderr captured into files. Not thread-safe.
#ifndef KG_TESTS_SUPPORT_PROCESS_H_
#define KG_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace kg::testing {

class Subprocess {
 public:
  // Starts argv[0] with the arguments; output goes to files in `out_dir`.
  Subprocess(const std::vector<std::string>& argv, const std::string& out_dir);
  ~Subprocess();  // kills the process if still running

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+signal for a signal), or
  // nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
  bool exited_ = false;
};

// Runs a command to completion (at most `timeout`) and returns its exit code
// and output.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunCommand(const std::vector<std::string>& argv,
                     const std::string& out_dir,
                     absl::Duration timeout = absl::Seconds(60));

// Reads a whole file; "" when missing.
std::string ReadFile(const std::string& path);

// Waits until `path` exists and is non-empty, up to `timeout`.
bool WaitForFile(const std::string& path, absl::Duration timeout);

// A running kg-server on 127.0.0.1 with a port picked by the kernel.
class ServerProcess {
 public:
  // Starts build/server/kg-server with --data_dir=data_dir plus `extra`
  // flags (and --no_auth, unless `extra` has a --tokens_file) and waits
  // until it reports its port. `launcher`, when given, runs the server
  // (for example {"prlimit", "--nofile=256:256", "--"}).
  ServerProcess(const std::string& data_dir, const std::string& work_dir,
                const std::vector<std::string>& extra = {},
                const std::vector<std::string>& launcher = {});
  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  Subprocess& process() { return *process_; }

 private:
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

// Bytes of RocksDB write-ahead log (*.log) in a store's directory.
int64_t WalBytes(const std::string& data_dir);

std::string ServerBinary();
std::string KgctlBinary();

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_PROCESS_H_
