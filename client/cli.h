// Cli: kgctl's command tree (CLI11) and the glue every command shares —
// global flags, running a command with a connection, paging flags, choice
// options, examples. Each commands_*.cc file adds its commands with one
// Add*Commands function. Not thread-safe.
//
//   Cli cli;
//   AddVocabularyCommands(cli);
//   return cli.Run(argc, argv);
#ifndef KG_CLIENT_CLI_H_
#define KG_CLIENT_CLI_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/string_view.h"
#include "client/connection.h"
#include "grpcpp/support/status.h"

namespace kg::client {

// Flags that apply to every command.
struct Globals {
  std::string server = "127.0.0.1:50051";
  double timeout_seconds = 10;
  bool json = false;
  // Credentials (ConnectionOptions).
  std::string token;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  uint64_t min_log_position = 0;
};

class Cli {
 public:
  Cli();
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  CLI::App& app() { return app_; }

  // Makes `cmd` run `fn` with a connection to --server; `fn` returns the
  // exit code.
  void Bind(CLI::App* cmd, std::function<int(Connection&, const Globals&)> fn);
  // Bind, for a write: the connection first moves to the writer when
  // --server is a follower in a replica set (Connection::FollowWriter).
  void BindWrite(CLI::App* cmd,
                 std::function<int(Connection&, const Globals&)> fn);
  // Makes `cmd` run `fn` without a connection.
  void BindLocal(CLI::App* cmd, std::function<int(const Globals&)> fn);

  // Parses the command line and runs the chosen command. Returns the exit
  // code (kExitUsage for a bad command line).
  int Run(int argc, char** argv);

 private:
  CLI::App app_;
  Globals globals_;
  int rc_ = kExitOk;
};

// Adds a subcommand with a description and an examples footer.
CLI::App* AddCommand(CLI::App* parent, const std::string& name,
                     const std::string& description,
                     const std::string& examples = "");

// --limit, --page-token and --all for a paged list.
struct PageFlags {
  int32_t limit = 0;
  std::string page_token;
  bool all = false;
};
void AddPageFlags(CLI::App* cmd, PageFlags* flags);

// Fetches pages: calls `fetch(page_token, &next_token)` for the first page
// and, with --all, for every following one. Without --all, a further page
// is announced on stderr. Returns the first failure.
grpc::Status ForEachPage(
    const PageFlags& flags,
    const std::function<grpc::Status(const std::string& token,
                                     std::string* next)>& fetch);

// An option whose value must be one of `choices`; the bash completion
// offers them.
CLI::Option* AddChoice(CLI::App* cmd, const std::string& name,
                       std::string* value,
                       const std::vector<std::string>& choices,
                       const std::string& description);
// The choices of an option added by AddChoice, or null.
const std::vector<std::string>* ChoicesOf(const CLI::Option* option);

// Prints "kgctl: <message>" on stderr and returns `code`.
int Fail(int code, absl::string_view message);

// An empty answer, said on stderr in human mode ("kgctl: no statements
// match"); with --json, nothing (an empty stream says it). The exit code
// stays 0: finding nothing is an answer.
void SayNothing(bool json, absl::string_view message);

}  // namespace kg::client

#endif  // KG_CLIENT_CLI_H_
