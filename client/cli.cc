#include "client/cli.h"

#include <cstdio>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kg::client {

namespace {

constexpr char kTermsFooter[] =
    R"(Terms (entity, statement or literal arguments; `kgctl terms` explains):
  north_korea  "North Korea"  s<32 hex>  int:12000  dec:1.5  date:2024-06
  str:text  <<subject relation object>>)";

constexpr char kFooter[] =
    R"(Terms (entity, statement or literal arguments; `kgctl terms` explains):
  north_korea  "North Korea"  s<32 hex>  int:12000  dec:1.5  date:2024-06
  str:text  <<subject relation object>>

Exit codes:
  0 ok
  1 other error (also: the server does not implement the call)
  2 usage error (bad command line, malformed term)
  3 not found
  4 invalid input: rejected by the server (invalid argument, already
    exists, failed precondition, limit reached) or a bad line in an
    imported file
  5 server unavailable or timed out
  6 unauthenticated or permission denied

Environment:
  KG_SERVER    server address, like --server
  KG_TOKEN     bearer token, like --token (keeps it out of `ps`)
  KG_TLS_CA    CA file for TLS, like --tls-ca; also KG_TLS_CERT, KG_TLS_KEY

Examples:
  kgctl health
  kgctl stats --json
  kgctl entity get "North Korea"
  kgctl match --subject nis --relation reported
  kgctl path nis ukraine --walk-claims
  kgctl import data.jsonl
  KG_SERVER=10.0.0.5:50051 kgctl export --format nt --output kg.nt)";

std::map<const CLI::Option*, std::vector<std::string>>& Choices() {
  static auto* choices =
      new std::map<const CLI::Option*, std::vector<std::string>>();
  return *choices;
}

}  // namespace

Cli::Cli() : app_("kgctl: query and load a kg knowledge-graph server") {
  app_.footer(kFooter);
  app_.require_subcommand(1);
  // Global flags may follow the command: `kgctl entity list --json`.
  app_.fallthrough();
  app_.add_option("--server", globals_.server, "kg-server address host:port")
      ->envname("KG_SERVER")
      ->capture_default_str();
  app_.add_option("--timeout", globals_.timeout_seconds,
                  "seconds to wait for each call")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app_.add_flag("--json", globals_.json,
                "print the protobuf JSON mapping, one object per line");
  const std::string security = "Security (docs/operations.md)";
  app_.add_option("--token", globals_.token,
                  "bearer token sent with every call (prefer KG_TOKEN)")
      ->envname("KG_TOKEN")
      ->group(security);
  app_.add_option("--tls-ca", globals_.tls_ca_file,
                  "speak TLS; the CA certificate (PEM) that signed the "
                  "server's")
      ->envname("KG_TLS_CA")
      ->group(security);
  app_.add_option("--tls-cert", globals_.tls_cert_file,
                  "client certificate (PEM), for servers that require one")
      ->envname("KG_TLS_CERT")
      ->group(security);
  app_.add_option("--tls-key", globals_.tls_key_file,
                  "private key (PEM) of --tls-cert")
      ->envname("KG_TLS_KEY")
      ->group(security);
  app_.add_option("--tls-server-name", globals_.tls_server_name,
                  "name the server's certificate must carry, when it is not "
                  "the host in --server")
      ->group(security);
  app_.add_option("--min-log-position", globals_.min_log_position,
                  "read your writes in a replica set: a replica answers once "
                  "it applied this log position (docs/replicas.md)")
      ->group("Replica sets");
}

void Cli::Bind(CLI::App* cmd,
               std::function<int(Connection&, const Globals&)> fn) {
  cmd->callback([this, fn = std::move(fn)] {
    ConnectionOptions options;
    options.server = globals_.server;
    options.timeout = absl::Seconds(globals_.timeout_seconds);
    options.token = globals_.token;
    options.tls_ca_file = globals_.tls_ca_file;
    options.tls_cert_file = globals_.tls_cert_file;
    options.tls_key_file = globals_.tls_key_file;
    options.tls_server_name = globals_.tls_server_name;
    options.min_log_position = globals_.min_log_position;
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        Connection::Open(options);
    if (!conn.ok()) {
      std::fprintf(stderr, "kgctl: usage: %s\n",
                   OneLine(conn.status().message()).c_str());
      rc_ = kExitUsage;
      return;
    }
    rc_ = fn(**conn, globals_);
  });
}

void Cli::BindWrite(CLI::App* cmd,
                    std::function<int(Connection&, const Globals&)> fn) {
  Bind(cmd, [fn = std::move(fn)](Connection& conn, const Globals& g) {
    conn.FollowWriter();
    return fn(conn, g);
  });
}

void Cli::BindLocal(CLI::App* cmd, std::function<int(const Globals&)> fn) {
  cmd->callback([this, fn = std::move(fn)] { rc_ = fn(globals_); });
}

int Cli::Run(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends print and succeed; errors are one line.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app_.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    std::string command;
    for (const CLI::App* sub = &app_; sub != nullptr;) {
      const std::vector<const CLI::App*> parsed =
          sub->get_subcommands([](const CLI::App* a) { return a->parsed(); });
      sub = parsed.empty() ? nullptr : parsed.front();
      if (sub != nullptr) absl::StrAppend(&command, " ", sub->get_name());
    }
    std::fprintf(stderr, "kgctl: usage: %s (see kgctl%s --help)\n",
                 OneLine(e.what()).c_str(), command.c_str());
    return kExitUsage;
  }
  std::fflush(stdout);
  return rc_;
}

CLI::App* AddCommand(CLI::App* parent, const std::string& name,
                     const std::string& description,
                     const std::string& examples) {
  CLI::App* cmd = parent->add_subcommand(name, description);
  if (!examples.empty()) {
    std::string footer = absl::StrCat("Examples:\n", examples);
    // Commands whose arguments are terms say how to write them.
    if (absl::StrContains(examples, "<<")) {
      absl::StrAppend(&footer, "\n", kTermsFooter);
    }
    cmd->footer(footer);
  }
  return cmd;
}

void AddPageFlags(CLI::App* cmd, PageFlags* flags) {
  cmd->add_option("--limit", flags->limit,
                  "results per page (default: the server's, 100)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--page-token", flags->page_token,
                  "continue after a previous page");
  cmd->add_flag("--all", flags->all, "follow page tokens to the end");
}

grpc::Status ForEachPage(
    const PageFlags& flags,
    const std::function<grpc::Status(const std::string& token,
                                     std::string* next)>& fetch) {
  std::string token = flags.page_token;
  while (true) {
    std::string next;
    grpc::Status status = fetch(token, &next);
    if (!status.ok()) return status;
    if (next.empty()) return grpc::Status::OK;
    if (!flags.all) {
      std::fflush(stdout);
      std::fprintf(stderr,
                   "kgctl: more results: add --all, or --page-token=%s\n",
                   next.c_str());
      return grpc::Status::OK;
    }
    token = std::move(next);
  }
}

CLI::Option* AddChoice(CLI::App* cmd, const std::string& name,
                       std::string* value,
                       const std::vector<std::string>& choices,
                       const std::string& description) {
  // IsMember lists the choices in --help.
  CLI::Option* opt =
      cmd->add_option(name, *value, description)->check(CLI::IsMember(choices));
  Choices()[opt] = choices;
  return opt;
}

const std::vector<std::string>* ChoicesOf(const CLI::Option* option) {
  auto it = Choices().find(option);
  return it == Choices().end() ? nullptr : &it->second;
}

int Fail(int code, absl::string_view message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", ProgramName(), std::string(message).c_str());
  return code;
}

void SayNothing(bool json, absl::string_view message) {
  if (json) return;
  std::fflush(stdout);
  std::fprintf(stderr, "kgctl: %s\n", std::string(message).c_str());
}

}  // namespace kg::client
