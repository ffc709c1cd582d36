#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/test_util.h"

namespace kg::testing {

namespace {
int g_counter = 0;
}  // namespace

Subprocess::Subprocess(const std::vector<std::string>& argv,
                       const std::string& out_dir) {
  const int n = ++g_counter;
  out_path_ = absl::StrCat(out_dir, "/proc", n, ".out");
  err_path_ = absl::StrCat(out_dir, "/proc", n, ".err");
  // posix_spawn, not fork + exec: the tests run gRPC and RocksDB threads,
  // and a forked child that allocates (building argv, say) can block
  // forever on an allocator lock another thread held at the fork. That
  // hung an example client and a kgctl run in CI under ASan.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) ==
      0) {
    pid_ = pid;
  } else {
    exited_ = true;  // nothing ran; Wait reports 127 as a failed exec would
  }
  posix_spawn_file_actions_destroy(&actions);
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Subprocess::Signal(int sig) {
  if (pid_ > 0 && !exited_) kill(pid_, sig);
}

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return 127;  // posix_spawn failed, as exec's 127
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (absl::Now() > deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

std::string Subprocess::Stdout() const { return ReadFile(out_path_); }
std::string Subprocess::Stderr() const { return ReadFile(err_path_); }

RunResult RunCommand(const std::vector<std::string>& argv,
                     const std::string& out_dir, absl::Duration timeout) {
  Subprocess p(argv, out_dir);
  RunResult r;
  std::optional<int> code = p.Wait(timeout);
  r.exit_code = code.value_or(-1);
  r.out = p.Stdout();
  r.err = p.Stderr();
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WaitForFile(const std::string& path, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (!ReadFile(path).empty()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

ServerProcess::ServerProcess(const std::string& data_dir,
                             const std::string& work_dir,
                             const std::vector<std::string>& extra,
                             const std::vector<std::string>& launcher) {
  const std::string port_file = absl::StrCat(work_dir, "/port-", ++g_counter);
  std::vector<std::string> argv = launcher;
  argv.insert(argv.end(),
              {ServerBinary(), "--listen=127.0.0.1:0", "--data_dir=" + data_dir,
               "--port_file=" + port_file});
  // Tests serve loopback without tokens unless they bring a tokens file.
  if (std::none_of(extra.begin(), extra.end(), [](const std::string& flag) {
        return absl::StartsWith(flag, "--tokens_file");
      })) {
    argv.push_back("--no_auth");
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Subprocess>(argv, work_dir);
  if (process_->pid() <= 0) return;  // it could not be started
  // The port file appears once the server is serving; a server that fails
  // to start exits instead.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    std::string text = ReadFile(port_file);
    int port = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port) && port > 0) {
      port_ = port;
      return;
    }
    siginfo_t info{};
    // WNOWAIT leaves the exit status for Subprocess::Wait.
    if (waitid(P_PID, process_->pid(), &info, WEXITED | WNOHANG | WNOWAIT) ==
            0 &&
        info.si_pid != 0) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

int64_t WalBytes(const std::string& data_dir) {
  int64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().extension() == ".log") bytes += entry.file_size();
  }
  return bytes;
}

std::string ServerBinary() { return BinaryDir() + "/server/kg-server"; }
std::string KgctlBinary() { return BinaryDir() + "/client/kgctl"; }

}  // namespace kg::testing
