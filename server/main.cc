// kg-server: serves a kg store over gRPC (kg.v1), with health checking and
// reflection. Flags are listed by --help; docs/operations.md explains them.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/connection.h"
#include "client/importer.h"
#include "loader/fresh_rdf.h"
#include "server/descriptors.h"
#include "server/log.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve gRPC on; port 0 picks a free port");
ABSL_FLAG(std::string, http_listen, "",
          "host:port of the HTTP listener (JSON gateway, /healthz, /readyz; "
          "docs/http.md); off when empty");
ABSL_FLAG(int, slow_query_ms, 1000,
          "log queries and path searches that take longer (their request, "
          "rows, edges and caller); 0: none");
ABSL_FLAG(std::string, web_dir, KG_WEB_DIR,
          "the explorer's built page, served at / on the HTTP listener "
          "(docs/explorer.md); empty: none");
ABSL_FLAG(int, http_threads, 16,
          "HTTP requests served at once (more connections wait)");
ABSL_FLAG(std::string, data_dir, "var/data",
          "RocksDB data directory; created when missing");
ABSL_FLAG(std::vector<std::string>, etcd_endpoints, {},
          "host:port of each etcd member: joins the replica set --cluster "
          "(docs/replicas.md); alone when empty");
ABSL_FLAG(std::string, cluster, "kg", "the replica set's name, in etcd");
ABSL_FLAG(std::string, member, "",
          "this replica's name in the set (default: its advertised address)");
ABSL_FLAG(std::string, advertise_address, "",
          "host:port clients reach this replica at, told to clients sent to "
          "the writer (default: 127.0.0.1 and the port listened on)");
ABSL_FLAG(int, writer_lease_ms, 3000,
          "a writer that cannot renew its etcd lease for this long is "
          "replaced; at least 1000");
ABSL_FLAG(int64_t, log_retention_entries, 10000,
          "the writer trims the replica set's log in etcd but this many "
          "entries below what every live replica applied: a replica down "
          "for longer copies a live one's store when it starts; at least 1");
ABSL_FLAG(absl::Duration, log_trim_interval, absl::Seconds(10),
          "how often the writer trims the replica set's log");
ABSL_FLAG(std::string, peer_token_file, "",
          "in a replica set, a file holding a bearer token with the admin "
          "role on the other replicas, for copying a peer's store when the "
          "trimmed log no longer reaches this one's (docs/replicas.md)");
ABSL_FLAG(std::string, peer_tls_ca_file, "",
          "the CA (PEM) that signed the other replicas' certificates, when "
          "they serve TLS");
ABSL_FLAG(std::string, peer_tls_cert_file, "",
          "a client certificate (PEM) this replica shows the other replicas, "
          "when they require one (--tls_client_ca_file); with "
          "--peer_tls_key_file");
ABSL_FLAG(std::string, peer_tls_key_file, "",
          "the private key (PEM) of --peer_tls_cert_file");
ABSL_FLAG(std::string, seed_file, "",
          "JSON Lines file loaded when the data directory holds no store yet "
          "(./setup.sh run passes data/seed.jsonl)");
ABSL_FLAG(int, v, 1, "log verbosity: 0 errors only, 1 info, 2 debug");
ABSL_FLAG(int, max_page_size, 1000, "largest page_size a request may ask");
ABSL_FLAG(int, max_batch_items, 10000,
          "most items (entities + relations + documents + statements) in one "
          "write request or ingest batch");
ABSL_FLAG(int, max_receive_message_bytes, 16 << 20,
          "largest request message the server accepts");
ABSL_FLAG(int, default_deadline_ms, 30000,
          "deadline for calls that arrive without one, milliseconds");
ABSL_FLAG(int, max_path_hops, 12,
          "longest path a query may ask for, in hops (WordNet pairs need up "
          "to 11)");
ABSL_FLAG(int64_t, max_traversal_budget, 1000000,
          "most edges one path or neighbourhood query may expand");
ABSL_FLAG(int, max_concurrent_path_queries, 0,
          "path and neighbourhood queries that run at once; the others wait "
          "for a slot until their deadline (0: one per core)");
ABSL_FLAG(int, max_queued_path_queries, 64,
          "path and neighbourhood queries that may wait for a slot; beyond "
          "that a query is RESOURCE_EXHAUSTED at once");
ABSL_FLAG(int, max_waiting_reads, 8,
          "in a replica set, calls that may wait at once for this replica to "
          "apply their kg-min-log-position; beyond that RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_import_bytes, int64_t{4} << 30,
          "bytes of requests one ImportStatements call (kgctl import) may "
          "stage before it commits them as one write (docs/rdf.md)");
ABSL_FLAG(uint64_t, bulk_import_statements, 20000,
          "an import of at least this many statements commits as SST files "
          "ingested at once instead of through the write-ahead log; 0: never "
          "(docs/rdf.md)");
ABSL_FLAG(absl::Duration, bulk_import_idle_timeout, absl::Seconds(60),
          "an import past --bulk_import_statements holds other writes off "
          "until it ends; one that sends nothing for this long while a write "
          "waits is abandoned (ABORTED, nothing written)");
ABSL_FLAG(int, write_threads, 16,
          "threads that run writes, retractions and ingest batches off "
          "gRPC's callback threads; also the most writes that share one "
          "commit (at least 1)");
ABSL_FLAG(int64_t, max_query_memory_bytes, int64_t{64} << 20,
          "bytes of answers one query may hold before they are sent; beyond "
          "it the query ends with RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_total_query_memory_bytes, int64_t{256} << 20,
          "bytes of answers all queries together may hold before they are "
          "sent");
ABSL_FLAG(int, handshake_timeout_ms, 10000,
          "close a connection that has not sent its HTTP/2 preface (and "
          "finished TLS) this long after it was accepted");
ABSL_FLAG(int, drain_seconds, 10,
          "on SIGINT/SIGTERM, how long in-flight calls may take to finish");
ABSL_FLAG(std::string, http_port_file, "",
          "write the HTTP listener's port to this file once it listens (as "
          "--port_file does for gRPC)");
ABSL_FLAG(std::string, port_file, "",
          "if set, write the bound port there once serving (for scripts and "
          "tests that listen on port 0)");
ABSL_FLAG(std::string, tokens_file, "",
          "bearer tokens with roles, one `NAME ROLE sha256:HEX` per line "
          "(docs/operations.md); required unless --no_auth");
ABSL_FLAG(bool, no_auth, false,
          "serve without bearer tokens; refused unless --listen is a loopback "
          "address");
ABSL_FLAG(std::string, tls_cert_file, "",
          "TLS certificate chain (PEM); with --tls_key_file the server "
          "speaks TLS only");
ABSL_FLAG(std::string, tls_key_file, "", "TLS private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "if set, clients must present a certificate signed by this CA "
          "(PEM)");
ABSL_FLAG(bool, allow_insecure_remote, false,
          "allow plaintext (no TLS) on an address that is not loopback");
ABSL_FLAG(bool, verify, false,
          "verify the store in --data_dir (checksums and cross-index "
          "invariants) without serving, print the report, and exit: 0 when "
          "it is sound, 1 when problems were found, 2 when it cannot be "
          "checked. The directory must not be in use by a running server.");
ABSL_FLAG(std::string, base_iri, "https://kg.invalid/",
          "base IRI of kg's names (<base>entity/<id>, ...), chosen when the "
          "store is created and kept in it; ignored for an existing store "
          "(docs/rdf.md)");
ABSL_FLAG(bool, sync_writes, true,
          "fsync the write-ahead log before acknowledging each write");
ABSL_FLAG(bool, compact_adjacency, true,
          "keep a compact copy of the graph's edges for path queries "
          "(~30 bytes per statement), rebuilt a second after writes pause");
ABSL_FLAG(uint64_t, entity_table_max_entities, 2'000'000,
          "with --compact_adjacency, keep every entity's type and label in "
          "memory for SPARQL (~200 bytes an entity) when there are at most "
          "this many entities; 0: never (docs/storage.md)");
ABSL_FLAG(std::string, load, "",
          "load FILE into the store in --data_dir and exit without serving: "
          "one write, all of the file or on any error nothing, through the "
          "same import as `kgctl import` (docs/rdf.md), with kgctl's exit "
          "codes: 0 loaded, 2 unreadable file or bad flag, 4 bad data, 5 "
          "store unavailable (an I/O error), 1 other errors. --seed_file is "
          "not loaded. The directory must not be in use by a running "
          "server.");
ABSL_FLAG(std::string, load_format, "",
          "--load: jsonl, nt, nq, ttl or trig (default: from the file name, "
          "else jsonl)");
ABSL_FLAG(std::string, load_document, "",
          "--load, RDF: the document the default graph's triples come from "
          "(default: the file's name as a slug)");
ABSL_FLAG(std::string, load_base, "",
          "--load, RDF: base IRI for relative IRIs (default: the file's "
          "file:// URL)");
ABSL_FLAG(bool, load_fresh, true,
          "--load, RDF, into an empty store: take the fast path (parsed on "
          "every core, written as SST files with no write transaction) when "
          "the file is data and kg's entity and relation descriptions; "
          "anything else, and false, goes through the import (docs/rdf.md)");

ABSL_FLAG(uint64_t, load_piece_bytes, uint64_t{4} << 20,
          "--load, the fast path, N-Triples and N-Quads: the file is parsed "
          "in pieces of about this many bytes (cut at line ends), a task "
          "each (at least 65536)");

ABSL_FLAG(uint64_t, load_memory_bytes, 0,
          "--load, the fast path, N-Triples and N-Quads: a file too large "
          "to load in about this much memory is loaded in parts, each "
          "within it, all or nothing still (0: half of this machine's "
          "memory; at least 268435456)");
ABSL_FLAG(uint64_t, load_part_bytes, 0,
          "--load, the fast path: load the file in parts of about this many "
          "of its bytes (0: as --load_memory_bytes gives)");

namespace {

// The file bytes of one part of a fresh load (FreshRdfOptions::part_bytes)
// that fits in `memory` bytes: the store's own take (its block cache and
// write buffers, at most `cache`), and about kBytesPerFileByte for each
// byte of the part (docs/benchmarks.md §24).
uint64_t PartBytesFor(uint64_t memory, uint64_t cache) {
  constexpr uint64_t kBytesPerFileByte = 3;
  const uint64_t own = cache + (uint64_t{128} << 20);
  return memory > own ? (memory - own) / kBytesPerFileByte : 0;
}

// kg-server --load: the store opened with nothing listening, and kgctl's
// importer run against the service through an in-process channel, so that
// an offline load and `kgctl import` are one code path (and one atomic
// ImportStatements call: a large file goes in as SST files).
int LoadOffline(kg::server::ServerOptions options) {
  const std::string format = absl::GetFlag(FLAGS_load_format);
  if (!format.empty() && format != "jsonl" && format != "nt" &&
      format != "nq" && format != "ttl" && format != "trig") {
    std::fprintf(stderr,
                 "kg-server: --load_format: '%s' is not one of jsonl, nt, "
                 "nq, ttl, trig\n",
                 format.c_str());
    return kg::client::kExitUsage;
  }
  if (absl::GetFlag(FLAGS_load_piece_bytes) < 65536) {
    std::fprintf(stderr,
                 "kg-server: --load_piece_bytes: must be at least 65536\n");
    return kg::client::kExitUsage;
  }
  uint64_t memory = absl::GetFlag(FLAGS_load_memory_bytes);
  if (memory == 0) {
    memory = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
             static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 2;
  }
  if (memory < (uint64_t{256} << 20)) {
    std::fprintf(stderr,
                 "kg-server: --load_memory_bytes: must be at least "
                 "268435456 (256 MiB)\n");
    return kg::client::kExitUsage;
  }
  options.listen_address.clear();
  options.http_listen_address.clear();
  options.seed_file.clear();  // the one file is --load's
  // Nothing is served: no adjacency is kept for paths (the next start
  // builds it), and the block cache takes at most a quarter of the memory.
  options.store.adjacency = false;
  options.store.compact_adjacency = false;
  options.store.block_cache_bytes =
      std::min<uint64_t>(options.store.block_cache_bytes, memory / 4);
  options.security = kg::server::SecurityOptions();
  absl::StatusOr<std::unique_ptr<kg::server::KgServer>> server =
      kg::server::KgServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "kg-server: %s\n",
                 std::string(server.status().message()).c_str());
    return kg::client::kExitFailure;
  }
  kg::client::SetProgramName("kg-server");
  std::unique_ptr<kg::client::Connection> conn =
      kg::client::Connection::InProcess((*server)->InProcessChannel(),
                                        "kg-server", absl::Seconds(60));
  kg::client::ImportOptions import;
  import.path = absl::GetFlag(FLAGS_load);
  import.format = kg::client::ImportFormatFor(format, import.path);
  import.document = absl::GetFlag(FLAGS_load_document);
  import.base = absl::GetFlag(FLAGS_load_base);
  import.progress = isatty(STDERR_FILENO);
  if (import.format != kg::client::ImportFormat::kJsonl &&
      absl::GetFlag(FLAGS_load_fresh)) {
    kg::loader::FreshRdfOptions fresh;
    fresh.path = import.path;
    fresh.format = import.format == kg::client::ImportFormat::kNTriples
                       ? kg::rdf::Format::kNTriples
                   : import.format == kg::client::ImportFormat::kNQuads
                       ? kg::rdf::Format::kNQuads
                   : import.format == kg::client::ImportFormat::kTurtle
                       ? kg::rdf::Format::kTurtle
                       : kg::rdf::Format::kTriG;
    fresh.document = import.document;
    fresh.piece_bytes = absl::GetFlag(FLAGS_load_piece_bytes);
    fresh.part_bytes = absl::GetFlag(FLAGS_load_part_bytes);
    if (fresh.part_bytes == 0) {
      fresh.part_bytes = std::max<uint64_t>(
          PartBytesFor(memory, options.store.block_cache_bytes),
          fresh.piece_bytes);
    }
    fresh.base = import.base;
    fresh.progress = import.progress;
    std::string why_not;
    absl::Status failed;
    std::optional<kg::loader::FreshRdfResult> loaded =
        kg::loader::LoadRdfFresh(*(*server)->store(), fresh, &why_not, &failed);
    if (!failed.ok()) {
      std::fprintf(stderr,
                   "kg-server: --load: %s (nothing was written; the load was "
                   "in parts, --load_memory_bytes: --load_fresh=false has "
                   "the import name the line, in one transaction as large as "
                   "the file)\n",
                   std::string(failed.message()).c_str());
      (*server)->Shutdown(absl::ZeroDuration());
      return kg::client::ExitCodeFor(
          static_cast<grpc::StatusCode>(failed.code()));
    }
    if (loaded.has_value()) {
      std::printf("%s: %s\n", options.data_dir.c_str(),
                  kg::loader::FreshRdfSummary(*loaded).c_str());
      (*server)->Shutdown(absl::ZeroDuration());
      return kg::client::kExitOk;
    }
    std::fprintf(stderr,
                 "kg-server: --load: not a fresh load (%s); importing\n",
                 why_not.c_str());
  }
  kg::client::Importer importer(*conn, import);
  const int rc = importer.Run();
  if (rc == kg::client::kExitOk) {
    std::printf("%s: %s\n", options.data_dir.c_str(),
                kg::client::ImportSummary(importer.result()).c_str());
  }
  // A clean stop flushes: the next start has no log to replay.
  (*server)->Shutdown(absl::ZeroDuration());
  return rc;
}

// kg-server --verify: the offline check of a store directory (a backup, or
// the data directory of a stopped server).
int VerifyOffline(const std::string& dir) {
  absl::StatusOr<kg::storage::VerifyReport> report =
      kg::storage::Store::VerifyDirectory(dir);
  if (!report.ok()) {
    std::fprintf(stderr, "kg-server: cannot verify %s: %s\n", dir.c_str(),
                 std::string(report.status().message()).c_str());
    return 2;
  }
  const kg::storage::VerifyReport& r = *report;
  std::printf(
      "checked %s: %llu terms, %llu entities, %llu names, %llu relations, "
      "%llu documents, %llu statements, %llu index entries, %llu provenance "
      "records, %llu by-document entries\n",
      dir.c_str(), static_cast<unsigned long long>(r.terms),
      static_cast<unsigned long long>(r.entities),
      static_cast<unsigned long long>(r.names),
      static_cast<unsigned long long>(r.relations),
      static_cast<unsigned long long>(r.documents),
      static_cast<unsigned long long>(r.statements),
      static_cast<unsigned long long>(r.index_entries),
      static_cast<unsigned long long>(r.provenance_records),
      static_cast<unsigned long long>(r.document_provenance));
  for (const std::string& p : r.problems)
    std::printf("problem: %s\n", p.c_str());
  if (r.problems_total > r.problems.size()) {
    std::printf(
        "... and %llu more problems\n",
        static_cast<unsigned long long>(r.problems_total - r.problems.size()));
  }
  if (r.ok()) std::printf("content sha256: %s\n", r.content_sha256.c_str());
  std::printf("%s\n", r.ok() ? "OK" : "FAILED");
  return r.ok() ? 0 : 1;
}

// True for flags defined in this program's own sources (server/).
bool DefinedInServer(absl::string_view filename) {
  return absl::StrContains(filename, "server/");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "kg-server --listen=127.0.0.1:50051 --data_dir=var/data");
  // Abseil's --help lists only flags defined in <program>.cc or
  // <program>_main.cc; ours live in server/, so --help printed "No flags
  // matched." Name the folder instead.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = &DefinedInServer;
  usage.contains_helpshort_flags = &DefinedInServer;
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  kg::server::SetLogVerbosity(absl::GetFlag(FLAGS_v));
  if (absl::GetFlag(FLAGS_verify)) {
    return VerifyOffline(absl::GetFlag(FLAGS_data_dir));
  }

  // Signals are taken by sigwait below, never by gRPC's threads. A --load
  // keeps their default: an interrupted load leaves the store as it was.
  const bool load = !absl::GetFlag(FLAGS_load).empty();
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (!load) pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Descriptors: the soft limit raised to the hard one, then shared so
  // that connections can never take what the store needs.
  const kg::server::DescriptorPlan descriptors =
      kg::server::PlanDescriptors(kg::server::RaiseDescriptorLimit());
  kg::server::SetConnectionDescriptorCeiling(descriptors.connection_ceiling);

  kg::server::ServerOptions options;
  options.store.max_open_files = descriptors.store_max_open_files;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.http_listen_address = absl::GetFlag(FLAGS_http_listen);
  options.http_threads = absl::GetFlag(FLAGS_http_threads);
  options.web_root = absl::GetFlag(FLAGS_web_dir);
  options.slow_query = absl::Milliseconds(absl::GetFlag(FLAGS_slow_query_ms));
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.seed_file = absl::GetFlag(FLAGS_seed_file);
  if (!absl::GetFlag(FLAGS_etcd_endpoints).empty()) {
    kg::replica::ReplicaOptions replica;
    replica.etcd_endpoints = absl::GetFlag(FLAGS_etcd_endpoints);
    replica.cluster = absl::GetFlag(FLAGS_cluster);
    replica.address = absl::GetFlag(FLAGS_advertise_address);
    replica.member = absl::GetFlag(FLAGS_member);
    if (replica.member.empty()) replica.member = replica.address;
    if (replica.member.empty()) {
      std::fprintf(stderr,
                   "kg-server: --member: required with --etcd_endpoints "
                   "unless --advertise_address names this replica\n");
      return 2;
    }
    if (absl::GetFlag(FLAGS_writer_lease_ms) < 1000) {
      std::fprintf(stderr,
                   "kg-server: --writer_lease_ms: must be at least 1000\n");
      return 2;
    }
    replica.lease_ttl =
        absl::Milliseconds(absl::GetFlag(FLAGS_writer_lease_ms));
    if (absl::GetFlag(FLAGS_log_retention_entries) < 1) {
      std::fprintf(stderr,
                   "kg-server: --log_retention_entries: must be at least 1\n");
      return 2;
    }
    replica.log_retention =
        static_cast<uint64_t>(absl::GetFlag(FLAGS_log_retention_entries));
    if (absl::GetFlag(FLAGS_log_trim_interval) <= absl::ZeroDuration()) {
      std::fprintf(stderr,
                   "kg-server: --log_trim_interval: must be positive\n");
      return 2;
    }
    replica.trim_interval = absl::GetFlag(FLAGS_log_trim_interval);
    options.peers.token_file = absl::GetFlag(FLAGS_peer_token_file);
    options.peers.tls_ca_file = absl::GetFlag(FLAGS_peer_tls_ca_file);
    options.peers.tls_cert_file = absl::GetFlag(FLAGS_peer_tls_cert_file);
    options.peers.tls_key_file = absl::GetFlag(FLAGS_peer_tls_key_file);
    options.replica = std::move(replica);
  }
  options.limits.max_page_size = absl::GetFlag(FLAGS_max_page_size);
  options.limits.max_batch_items = absl::GetFlag(FLAGS_max_batch_items);
  options.limits.default_deadline =
      absl::Milliseconds(absl::GetFlag(FLAGS_default_deadline_ms));
  options.limits.max_path_hops = absl::GetFlag(FLAGS_max_path_hops);
  options.limits.max_traversal_budget =
      absl::GetFlag(FLAGS_max_traversal_budget);
  options.limits.max_concurrent_path_queries =
      absl::GetFlag(FLAGS_max_concurrent_path_queries);
  options.limits.max_queued_path_queries =
      absl::GetFlag(FLAGS_max_queued_path_queries);
  options.limits.write_threads = absl::GetFlag(FLAGS_write_threads);
  options.limits.max_waiting_reads = absl::GetFlag(FLAGS_max_waiting_reads);
  options.limits.max_import_bytes = absl::GetFlag(FLAGS_max_import_bytes);
  options.limits.bulk_import_statements =
      absl::GetFlag(FLAGS_bulk_import_statements);
  options.store.bulk_load_idle_timeout =
      absl::GetFlag(FLAGS_bulk_import_idle_timeout);
  options.limits.max_query_memory_bytes =
      absl::GetFlag(FLAGS_max_query_memory_bytes);
  options.limits.max_total_query_memory_bytes =
      absl::GetFlag(FLAGS_max_total_query_memory_bytes);
  options.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_receive_message_bytes);
  if (absl::GetFlag(FLAGS_handshake_timeout_ms) < 1) {
    std::fprintf(stderr,
                 "kg-server: --handshake_timeout_ms: must be at least 1\n");
    return 1;
  }
  options.handshake_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_handshake_timeout_ms));
  options.store.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  options.store.base_iri = absl::GetFlag(FLAGS_base_iri);
  options.store.compact_adjacency = absl::GetFlag(FLAGS_compact_adjacency);
  options.store.entity_table_max_entities =
      absl::GetFlag(FLAGS_entity_table_max_entities);
  options.security.tokens_file = absl::GetFlag(FLAGS_tokens_file);
  options.security.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.security.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.security.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.security.allow_insecure_remote =
      absl::GetFlag(FLAGS_allow_insecure_remote);
  if (load) return LoadOffline(options);
  // Serving without tokens is a decision the operator states.
  if (options.security.tokens_file.empty() != absl::GetFlag(FLAGS_no_auth)) {
    std::fprintf(stderr, "kg-server: %s\n",
                 options.security.tokens_file.empty()
                     ? "--tokens_file: required; pass --tokens_file=FILE "
                       "(docs/operations.md), or --no_auth to serve a "
                       "loopback address without tokens"
                     : "--no_auth: conflicts with --tokens_file");
    return 1;
  }

  absl::StatusOr<std::unique_ptr<kg::server::KgServer>> server =
      kg::server::KgServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "kg-server: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<kg::storage::StoreStats> stats =
      (*server)->store()->NewReader()->Stats();
  if (stats.ok()) {
    KG_LOG(kInfo) << "kg-server listening on " << options.listen_address
                  << " (port " << (*server)->port() << "), data "
                  << options.data_dir << ": " << stats->entities
                  << " entities, " << stats->statements << " statements, "
                  << stats->provenance_records << " provenance records, "
                  << stats->documents << " documents"
                  << ((*server)->seeded() ? " (seed loaded)" : "") << "; "
                  << (options.security.tls_cert_file.empty() ? "plaintext"
                      : options.security.tls_client_ca_file.empty()
                          ? "TLS"
                          : "TLS with client certificates")
                  << ", "
                  << (options.security.tokens_file.empty()
                          ? "no auth (--no_auth)"
                          : "bearer tokens from " +
                                options.security.tokens_file)
                  << "; " << descriptors.limit << " file descriptors ("
                  << descriptors.reserved << " kept from connections, "
                  << descriptors.store_max_open_files << " for open tables)";
  }

  if ((*server)->http_port() != 0) {
    KG_LOG(kInfo) << "HTTP on " << options.http_listen_address << " (port "
                  << (*server)->http_port() << "; docs/http.md)";
  }
  // The HTTP port first: a test that waits for --port_file then finds both.
  for (const auto& [flag, name, port] :
       {std::tuple{&FLAGS_http_port_file, "--http_port_file",
                   (*server)->http_port()},
        std::tuple{&FLAGS_port_file, "--port_file", (*server)->port()}}) {
    const std::string port_file = absl::GetFlag(*flag);
    if (port_file.empty()) continue;
    const std::string tmp = port_file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr || std::fprintf(f, "%d\n", port) < 0 ||
        std::fclose(f) != 0 ||
        std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      std::fprintf(stderr, "kg-server: cannot write %s %s\n", name,
                   port_file.c_str());
      return 1;
    }
  }

  int sig = 0;
  sigwait(&signals, &sig);
  KG_LOG(kInfo) << "received " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
                << ", draining for up to " << absl::GetFlag(FLAGS_drain_seconds)
                << "s";
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_drain_seconds)));
  KG_LOG(kInfo) << "kg-server stopped cleanly";
  return 0;
}
