// health, stats, cluster, backup, verify, import, export, completion and
// terms.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/checkpoint_download.h"
#include "client/commands.h"
#include "client/completion.h"
#include "client/exporter.h"
#include "client/format.h"
#include "client/importer.h"
#include "client/progress.h"
#include "google/protobuf/struct.pb.h"

namespace kg::client {

const char kTermSyntaxHelp[] =
    R"(Terms: how kgctl arguments name entities, statements and literals.

  north_korea                 an entity by id
  "North Korea"  DPRK         an entity by label or alias (ignoring case);
                              a name matching several entities is an error
                              that lists them
  entity:NAME                 an entity, even if NAME looks like something
                              else (entity:int:5 is the entity "int:5")
  s0123456789abcdef0123456789abcdef
                              a statement by id ("s" + 32 hex digits)
  int:12000                   an integer literal (64-bit)
  dec:1.5                     a decimal literal
  date:2024  date:2024-06  date:2024-06-13
                              a date literal
  str:text  str:"two words"   a string literal
  <<subject relation object>> a statement by its content (quoting does not
                              assert it); nesting is allowed:
                              <<nis reported <<north_korea deployed_troops_to russia>>>>

A whole argument is one term, so a name with spaces needs only the shell's
quotes: kgctl entity get "North Korea". Inside << >> parts are separated by
spaces; write a name with spaces in double quotes (\" and \\ escape):
  kgctl statement get '<<"North Korea" deployed_troops_to russia>>'
)";

namespace {

void AddHealth(Cli& cli) {
  CLI::App* cmd = AddCommand(&cli.app(), "health",
                             "is the server serving? (exit 0 when SERVING)",
                             "  kgctl health\n");
  cli.Bind(cmd, [](Connection& conn, const Globals& g) {
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.health().Check(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    if (g.json) {
      PrintJson(resp);
    } else {
      std::printf("%s\n",
                  grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                      resp.status())
                      .c_str());
    }
    return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING
               ? kExitOk
               : kExitUnavailable;
  });
}

void AddStats(Cli& cli) {
  CLI::App* cmd = AddCommand(&cli.app(), "stats",
                             "counts of entities, statements, ... and disk use",
                             "  kgctl stats\n  kgctl stats --json\n");
  cli.Bind(cmd, [](Connection& conn, const Globals& g) {
    kg::v1::GetStatsRequest req;
    kg::v1::GetStatsResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().GetStats(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    if (g.json) {
      PrintJson(resp.stats());
      return kExitOk;
    }
    const auto& s = resp.stats();
    std::printf("entities            %12llu\n",
                static_cast<unsigned long long>(s.entities()));
    std::printf("relations           %12llu\n",
                static_cast<unsigned long long>(s.relations()));
    std::printf("documents           %12llu\n",
                static_cast<unsigned long long>(s.documents()));
    std::printf("statements          %12llu\n",
                static_cast<unsigned long long>(s.statements()));
    std::printf("provenance records  %12llu\n",
                static_cast<unsigned long long>(s.provenance_records()));
    std::printf("bytes on disk       %12llu\n",
                static_cast<unsigned long long>(s.bytes_on_disk()));
    std::printf("memtable bytes      %12llu\n",
                static_cast<unsigned long long>(s.memtable_bytes()));
    std::printf("block cache bytes   %12llu\n",
                static_cast<unsigned long long>(s.block_cache_bytes()));
    return kExitOk;
  });
}

void AddCluster(Cli& cli) {
  CLI::App* cluster = AddCommand(&cli.app(), "cluster",
                                 "the replica set the server is in: status");
  cluster->require_subcommand(1);
  CLI::App* cmd =
      AddCommand(cluster, "status",
                 "members, the writer, and how far each applied the log",
                 "  kgctl cluster status\n  kgctl cluster status --json\n");
  cli.Bind(cmd, [](Connection& conn, const Globals& g) {
    kg::v1::GetClusterStatusResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().GetClusterStatus(
        ctx.get(), kg::v1::GetClusterStatusRequest(), &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    if (g.json) {
      PrintJson(resp);
      return kExitOk;
    }
    std::printf("replica set '%s', answered by %s\n", resp.cluster().c_str(),
                resp.member().c_str());
    if (resp.writer_member().empty()) {
      std::printf("writer      none elected (an election is under way)\n");
    } else {
      std::printf("writer      %s at %s (term %lld)\n",
                  resp.writer_member().c_str(), resp.writer_address().c_str(),
                  static_cast<long long>(resp.term()));
    }
    std::printf("log start   %llu\n",
                static_cast<unsigned long long>(resp.log_start()));
    std::printf("log end     %llu\n\n",
                static_cast<unsigned long long>(resp.log_end()));
    size_t member_width = 6;
    size_t address_width = 7;
    for (const kg::v1::ClusterMember& m : resp.members()) {
      member_width = std::max(member_width, m.member().size());
      address_width = std::max(address_width, m.address().size());
    }
    std::printf("%-*s  %-*s  %12s  %8s  %s\n", static_cast<int>(member_width),
                "MEMBER", static_cast<int>(address_width), "ADDRESS", "APPLIED",
                "LAG", "ROLE");
    for (const kg::v1::ClusterMember& m : resp.members()) {
      std::printf("%-*s  %-*s  %12llu  %8llu  %s\n",
                  static_cast<int>(member_width), m.member().c_str(),
                  static_cast<int>(address_width), m.address().c_str(),
                  static_cast<unsigned long long>(m.applied_position()),
                  static_cast<unsigned long long>(m.lag()),
                  m.writer() ? "writer" : "follower");
    }
    return kExitOk;
  });
}

// Prints a verification report; returns the exit code it means: 0 when
// the store is sound, 1 when problems were found.
int PrintVerification(const kg::v1::VerifyStoreResponse& r,
                      const std::string& what) {
  const kg::v1::VerifyCounts& c = r.checked();
  auto n = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "checked %s: %llu terms, %llu entities, %llu names, %llu relations, "
      "%llu documents, %llu statements, %llu index entries, %llu provenance "
      "records, %llu by-document entries\n",
      what.c_str(), n(c.terms()), n(c.entities()), n(c.names()),
      n(c.relations()), n(c.documents()), n(c.statements()),
      n(c.index_entries()), n(c.provenance_records()),
      n(c.document_provenance()));
  for (const std::string& p : r.problems()) {
    std::printf("problem: %s\n", p.c_str());
  }
  if (r.problems_total() > static_cast<uint64_t>(r.problems_size())) {
    std::printf("... and %llu more problems\n",
                n(r.problems_total() - r.problems_size()));
  }
  if (!r.content_sha256().empty()) {
    std::printf("content sha256: %s\n", r.content_sha256().c_str());
  }
  std::printf("%s\n", r.ok() ? "OK" : "FAILED");
  return r.ok() ? kExitOk : kExitFailure;
}

// kgctl backup --local: the checkpoint fetched into `dir` here.
int FetchBackup(Connection& conn, const std::string& dir, const Globals& g) {
  Progress progress(isatty(STDERR_FILENO) != 0, /*total_bytes=*/0, "messages");
  uint64_t messages = 0;
  absl::StatusOr<DownloadedCheckpoint> got = DownloadCheckpoint(
      conn, dir, [&](uint64_t bytes) { progress.Update(bytes, ++messages); });
  progress.Clear();
  if (!got.ok()) return ReportError(ToGrpc(got.status()), conn.server());
  if (g.json) {
    google::protobuf::Struct out;
    auto& fields = *out.mutable_fields();
    fields["directory"].set_string_value(dir);
    fields["files"].set_number_value(got->files);
    fields["bytes"].set_number_value(static_cast<double>(got->bytes));
    fields["log_position"].set_number_value(
        static_cast<double>(got->log_position));
    PrintJson(out);
    return kExitOk;
  }
  std::printf("backup fetched into %s: %u files, %s\n", dir.c_str(), got->files,
              FormatBytes(got->bytes).c_str());
  return kExitOk;
}

void AddBackup(Cli& cli) {
  auto dir = std::make_shared<std::string>();
  auto verify = std::make_shared<bool>(false);
  auto local = std::make_shared<bool>(false);
  CLI::App* cmd = AddCommand(
      &cli.app(), "backup",
      "write an online, consistent checkpoint of the store into a new "
      "directory on the server's machine, or with --local on this one "
      "(start a server on it to restore)",
      "  kgctl backup /var/backups/kg-2024-10-20\n"
      "  kgctl backup --verify /var/backups/kg-2024-10-20\n"
      "  kgctl --server kg.example:50051 backup --local ./kg-2024-10-20\n");
  cmd->add_option("DIR", *dir,
                  "absolute path on the server (with --local: any path on "
                  "this machine); must not exist, its parent must")
      ->required();
  cmd->add_flag("--verify", *verify,
                "verify the backup once written (exit 1 when it has "
                "problems)");
  cmd->add_flag("--local", *local,
                "fetch the checkpoint over the connection into DIR on this "
                "machine, each file checked against its SHA-256");
  cmd->get_option("--local")->excludes(cmd->get_option("--verify"));
  cli.Bind(cmd, [dir, verify, local](Connection& conn, const Globals& g) {
    if (*local) return FetchBackup(conn, *dir, g);
    kg::v1::CreateBackupRequest req;
    req.set_directory(*dir);
    req.set_verify(*verify);
    kg::v1::CreateBackupResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().CreateBackup(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    const bool sound = !*verify || resp.verification().ok();
    if (g.json) {
      PrintJson(resp);
      return sound ? kExitOk : kExitFailure;
    }
    std::printf(
        "backup written to %s on the server: %llu statements, %llu "
        "provenance records, %llu documents\n",
        resp.directory().c_str(),
        static_cast<unsigned long long>(resp.stats().statements()),
        static_cast<unsigned long long>(resp.stats().provenance_records()),
        static_cast<unsigned long long>(resp.stats().documents()));
    if (*verify) return PrintVerification(resp.verification(), "the backup");
    return kExitOk;
  });
}

void AddVerify(Cli& cli) {
  auto backup = std::make_shared<std::string>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "verify",
      "check the store's checksums and that its indexes agree with each "
      "other (exit 0 when sound, 1 when problems were found); the live "
      "store, or a backup directory on the server's machine",
      "  kgctl verify\n"
      "  kgctl verify --backup /var/backups/kg-2024-10-20\n"
      "  kgctl --timeout 600 verify   # a large store takes a while\n");
  cmd->add_option("--backup", *backup,
                  "absolute path of a store directory on the server (a "
                  "backup) to verify instead of the live store");
  cli.Bind(cmd, [backup](Connection& conn, const Globals& g) {
    kg::v1::VerifyStoreRequest req;
    req.set_directory(*backup);
    kg::v1::VerifyStoreResponse resp;
    auto ctx = conn.Context();
    grpc::Status status = conn.kg().VerifyStore(ctx.get(), req, &resp);
    if (!status.ok()) return ReportError(status, conn.server());
    if (g.json) {
      PrintJson(resp);
      return resp.ok() ? kExitOk : kExitFailure;
    }
    return PrintVerification(
        resp, backup->empty() ? "the live store" : "backup " + *backup);
  });
}

void AddImport(Cli& cli) {
  struct Flags {
    std::string file;
    std::string format;
    int batch_size = 1000;
    bool skip_invalid = false;
    bool quiet = false;
    bool replace = false;
    bool shared_names = false;
    std::string document;
    std::string base;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "import",
      "load a file as one write: all of it, or on any error nothing "
      "(progress on stderr when it is a terminal; docs/rdf.md)",
      "  kgctl import data/seed.jsonl\n"
      "  kgctl import wordnet.nt --document wordnet\n"
      "  kgctl import dataset.trig --base http://example.org/\n"
      "  zcat big.jsonl.gz | kgctl import - --format jsonl --skip-invalid\n");
  cmd->add_option("FILE", f->file, "file to read; - reads stdin")->required();
  AddChoice(cmd, "--format", &f->format, {"jsonl", "nt", "nq", "ttl", "trig"},
            "kg JSON Lines, N-Triples, N-Quads, Turtle or TriG (default: "
            "from the file name, else jsonl)");
  cmd->add_option("--document", f->document,
                  "RDF: the document the default graph's triples come from "
                  "(default: the file's name as a slug; named graphs are "
                  "documents of their own)");
  cmd->add_option("--base", f->base,
                  "RDF: base IRI for relative IRIs (default: the file's "
                  "file:// URL)");
  cmd->add_option("--batch-size", f->batch_size,
                  "records per batch (the server allows 10000 by default)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("--skip-invalid", f->skip_invalid,
                "skip bad lines and rejected items, count and report them");
  cmd->add_flag("--quiet,-q", f->quiet, "no progress bar");
  cmd->add_flag("--replace", f->replace,
                "JSON Lines: entities and relations that exist with other "
                "content are replaced (else the import fails naming what "
                "differs)");
  cmd->add_flag("--shared-names", f->shared_names,
                "JSON Lines: let an entity's label or aliases also name "
                "other entities");
  cli.BindWrite(cmd, [f](Connection& conn, const Globals& g) {
    ImportOptions options;
    options.replace_vocabulary = f->replace;
    options.shared_names = f->shared_names;
    options.path = f->file;
    options.format = ImportFormatFor(f->format, f->file);
    options.document = f->document;
    options.base = f->base;
    options.batch_size = f->batch_size;
    options.skip_invalid = f->skip_invalid;
    options.progress = !f->quiet && isatty(STDERR_FILENO);
    Importer importer(conn, options);
    const int rc = importer.Run();
    const ImportResult& r = importer.result();
    if (g.json) {
      // Keys in a fixed order, for scripts that diff the output.
      google::protobuf::Value file;
      file.set_string_value(f->file);
      std::string json =
          absl::StrCat("{\"file\":", ToJson(file),
                       ",\"ok\":", rc == kExitOk ? "true" : "false");
      for (const auto& [name, value] :
           std::vector<std::pair<const char*, uint64_t>>{
               {"lines", r.lines},
               {"records", r.records},
               {"entities", r.entities},
               {"relations", r.relations},
               {"documents", r.documents},
               {"statements", r.statements},
               {"skipped", r.skipped},
               {"batches", r.batches},
               {"statements_created", r.statements_created},
               {"provenance_added", r.provenance_added},
               {"provenance_unchanged", r.provenance_unchanged}}) {
        absl::StrAppend(&json, ",\"", name, "\":", value);
      }
      std::printf("%s}\n", json.c_str());
    } else if (rc == kExitOk) {
      std::printf("%s\n", ImportSummary(r).c_str());
    }
    return rc;
  });
}

void AddExport(Cli& cli) {
  struct Flags {
    std::string format = "jsonl";
    std::string output;
    std::string default_graph;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = AddCommand(
      &cli.app(), "export",
      "write the whole store: kg JSON Lines (lossless, deterministic), or "
      "RDF 1.2 as N-Triples, N-Quads, Turtle or TriG (docs/rdf.md)",
      "  kgctl export > kg.jsonl\n"
      "  kgctl export --format ttl --output kg.ttl\n"
      "  kgctl export --format nq --default-graph wordnet > wordnet.nq\n");
  AddChoice(cmd, "--format", &f->format, {"jsonl", "nt", "nq", "ttl", "trig"},
            "output format")
      ->capture_default_str();
  cmd->add_option("--default-graph", f->default_graph,
                  "N-Quads, TriG: write this document's statements in the "
                  "default graph instead of its named graph");
  cmd->add_option("--output,-o", f->output,
                  "write to this file (replaced only when complete) instead "
                  "of stdout");
  cli.Bind(cmd, [f](Connection& conn, const Globals&) {
    const ExportFormat format = f->format == "nt"     ? ExportFormat::kNTriples
                                : f->format == "nq"   ? ExportFormat::kNQuads
                                : f->format == "ttl"  ? ExportFormat::kTurtle
                                : f->format == "trig" ? ExportFormat::kTriG
                                                      : ExportFormat::kJsonl;
    std::FILE* out = stdout;
    const std::string tmp = f->output + ".tmp";
    if (!f->output.empty()) {
      out = std::fopen(tmp.c_str(), "wb");
      if (out == nullptr) {
        return Fail(kExitFailure, absl::StrCat("export: cannot write ", tmp));
      }
    }
    Exporter exporter(conn, format, out, f->default_graph);
    grpc::Status status = exporter.Run();
    if (std::fflush(out) != 0 && status.ok()) {
      status =
          grpc::Status(grpc::StatusCode::INTERNAL, "cannot write the output");
    }
    if (f->output.empty()) {
      if (!status.ok()) return ReportError(status, conn.server());
      return kExitOk;
    }
    const bool closed = std::fclose(out) == 0;
    if (status.ok() && !closed) {
      status =
          grpc::Status(grpc::StatusCode::INTERNAL, "cannot write the output");
    }
    if (!status.ok() || std::rename(tmp.c_str(), f->output.c_str()) != 0) {
      std::remove(tmp.c_str());
      if (status.ok()) {
        return Fail(kExitFailure, absl::StrCat("export: cannot rename ", tmp,
                                               " to ", f->output));
      }
      return ReportError(status, conn.server());
    }
    const ExportCounts& c = exporter.counts();
    std::fprintf(stderr,
                 "kgctl: exported %s entities, %s relations, %s documents, %s "
                 "statements, %s provenance records to %s\n",
                 Thousands(c.entities).c_str(), Thousands(c.relations).c_str(),
                 Thousands(c.documents).c_str(),
                 Thousands(c.statements).c_str(),
                 Thousands(c.provenance).c_str(), f->output.c_str());
    return kExitOk;
  });
}

void AddCompletion(Cli& cli) {
  auto shell = std::make_shared<std::string>("bash");
  CLI::App* cmd =
      AddCommand(&cli.app(), "completion", "print the shell completion script",
                 "  source <(kgctl completion bash)\n"
                 "  kgctl completion bash > /etc/bash_completion.d/kgctl\n");
  AddChoice(cmd, "SHELL", shell.get(), {"bash"}, "shell")->required();
  CLI::App* root = &cli.app();
  cli.BindLocal(cmd, [root, shell](const Globals&) {
    std::fputs(BashCompletion(*root).c_str(), stdout);
    return kExitOk;
  });
}

void AddTerms(Cli& cli) {
  CLI::App* cmd =
      AddCommand(&cli.app(), "terms", "explain the term syntax of arguments");
  cli.BindLocal(cmd, [](const Globals&) {
    std::fputs(kTermSyntaxHelp, stdout);
    return kExitOk;
  });
}

}  // namespace

void AddOperationCommands(Cli& cli) {
  AddHealth(cli);
  AddStats(cli);
  AddCluster(cli);
  AddBackup(cli);
  AddVerify(cli);
  AddImport(cli);
  AddExport(cli);
  AddCompletion(cli);
  AddTerms(cli);
}

}  // namespace kg::client
