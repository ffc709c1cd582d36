// kg_soak: a long soak of a real kg-server process under a steady mix of
// reads, writes, retractions and path queries over a working set of fixed
// size. It answers two questions: does the server's memory stay flat once
// the working set is warm, and does latency stay close to what the same
// operations take on a quiet server?
//
//   ./build/bench/kg_soak                          # 30 minutes
//   ./build/bench/kg_soak --minutes=2 --sample_seconds=10
//
// It starts build/server/kg-server as a child on 127.0.0.1 with a fresh data
// directory (the server's defaults otherwise: synced writes, its own limits)
// and loads the working set: --entities entities and --triples triples
// between them, each asserted by document d0. It then measures every
// operation alone, one call at a time (the idle baseline), and runs the
// soak: --clients synchronous clients, paced to --rate calls per second in
// all, each call picked by weight from
//
//   get      GetStatement of a random triple
//   match    MatchStatements, random subject, 10 rows with provenance
//   why      Why of a random triple, evidence included
//   write    WriteStatements: one record of a triple by a document d1..dN
//            that does not hold one yet
//   retract  RetractProvenance of such a record
//   path     FindPaths, shortest, between two random entities, <= 4 hops
//
// Writes and retractions only move records of the same triples between the
// same --documents documents (each client owns a share of the triples and
// knows which records are live), and d0's records stay, so the live graph
// never outgrows the working set and every read finds what it asks for.
// Every --sample_seconds it prints the server's resident memory (VmRSS); the
// part of it the store holds by design and bounds (GetStats: memtables, up
// to 64 MiB per column family, and the block cache, up to 256 MiB), which
// grows as the server warms up; the rest ("other"), which is what must stay
// flat; the server's CPU use, the calls made and failed, and each
// operation's p50/p99 in that window. At the end: the growth of RSS and of
// "other" after --warm_minutes, and the worst window's p99 as a multiple of
// idle. Any failed call is an error (exit status 1).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "kg/v1/kg.grpc.pb.h"

ABSL_FLAG(double, minutes, 30, "length of the soak");
ABSL_FLAG(double, sample_seconds, 30, "length of one reporting window");
ABSL_FLAG(double, warm_minutes, 5,
          "RSS growth is measured from the first window after this");
ABSL_FLAG(double, idle_seconds, 20,
          "length of the idle baseline (one call at a time)");
ABSL_FLAG(int, clients, 8, "concurrent synchronous clients");
ABSL_FLAG(double, rate, 400, "calls per second, all clients together");
ABSL_FLAG(int, entities, 5000, "entities in the working set");
ABSL_FLAG(int, triples, 50000, "triples in the working set");
ABSL_FLAG(int, documents, 8,
          "documents d1..dN whose records writes add and retractions remove");
ABSL_FLAG(std::string, server_binary, "",
          "kg-server to run; empty: server/kg-server of this build");
ABSL_FLAG(std::string, work_dir, "",
          "data directory and server log live here; empty: a fresh "
          "directory under the system's temporary directory, removed at the "
          "end");

namespace kg::bench {
namespace {

namespace v1 = ::kg::v1;

constexpr char kText[] = "Generated evidence sentence.";

enum Op { kGet, kMatch, kWhy, kWrite, kRetract, kPath, kOps };
constexpr std::array<const char*, kOps> kOpNames = {"get",   "match",   "why",
                                                    "write", "retract", "path"};
// Calls per 100 of the mix.
constexpr std::array<int, kOps> kWeights = {30, 20, 10, 15, 15, 10};

std::string EntityId(int i) { return absl::StrCat("e", i); }
std::string DocumentId(int d) { return absl::StrCat("d", d); }

struct Triple {
  int subject;
  int relation;
  int object;
};

v1::StatementInput Input(const Triple& t, int document) {
  v1::StatementInput st;
  st.mutable_triple()->mutable_subject()->set_entity(EntityId(t.subject));
  st.mutable_triple()->set_relation(absl::StrCat("r", t.relation));
  st.mutable_triple()->mutable_object()->set_entity(EntityId(t.object));
  v1::Provenance* p = st.add_provenance();
  p->set_document_id(DocumentId(document));
  p->set_evidence_start(0);
  p->set_evidence_end(sizeof(kText) - 1);
  p->set_evidence(kText);
  p->set_confidence(0.9);
  return st;
}

// The kg-server child: started with a port file, killed at the end.
class ServerChild {
 public:
  ServerChild(const std::string& binary, const std::string& dir) {
    const std::string port_file = dir + "/port";
    const std::string log = dir + "/server.log";
    const std::vector<std::string> argv = {
        binary, "--listen=127.0.0.1:0", "--data_dir=" + dir + "/data",
        "--port_file=" + port_file, "--no_auth"};
    // posix_spawn: a forked child of this threaded process must not
    // allocate before exec.
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) !=
        0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (pid_ > 0 && absl::Now() < deadline && port_ == 0) {
      std::ifstream in(port_file);
      std::string text((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
      int port = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port)) {
        port_ = port;
      } else if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;  // it exited: its log says why
        break;
      } else {
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
  }
  ~ServerChild() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }

  // Resident memory in bytes (VmRSS), 0 if unreadable.
  int64_t RssBytes() const {
    std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
    std::string text;
    while (std::getline(in, text)) {
      absl::string_view line = text;
      int64_t kb = 0;
      if (absl::ConsumePrefix(&line, "VmRSS:") &&
          absl::SimpleAtoi(
              absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"),
              &kb)) {
        return kb * 1024;
      }
    }
    return 0;
  }
  // User + system CPU time so far, in seconds.
  double CpuSeconds() const {
    std::ifstream in(absl::StrCat("/proc/", pid_, "/stat"));
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces): state is the
    // 3rd field, utime the 14th and stime the 15th.
    const size_t close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i >= 14) ticks += std::stod(field);
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// Latencies of one window, per operation.
class Window {
 public:
  void Add(Op op, double ms, bool ok) {
    absl::MutexLock lock(&mu_);
    latencies_[op].push_back(ms);
    if (!ok) ++errors_;
  }
  // Moves the window's figures out and starts a new one.
  void Take(std::array<std::vector<double>, kOps>* latencies,
            uint64_t* errors) {
    absl::MutexLock lock(&mu_);
    for (int op = 0; op < kOps; ++op) {
      (*latencies)[op].swap(latencies_[op]);
      latencies_[op].clear();
    }
    *errors = errors_;
    errors_ = 0;
  }

 private:
  absl::Mutex mu_;
  std::array<std::vector<double>, kOps> latencies_ ABSL_GUARDED_BY(mu_);
  uint64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// One client: its share of the triples and which of their records it holds.
class Client {
 public:
  Client(std::shared_ptr<grpc::Channel> channel,
         const std::vector<Triple>* triples,
         const std::vector<std::string>* ids, int index, int clients,
         int documents, uint64_t seed)
      : stub_(v1::KnowledgeGraph::NewStub(channel)),
        triples_(triples),
        ids_(ids),
        documents_(documents),
        rng_(seed) {
    for (size_t t = index; t < triples->size(); t += clients) {
      owned_.push_back(static_cast<int>(t));
    }
  }

  Op Pick() {
    int roll = static_cast<int>(rng_() % 100);
    for (int op = 0; op < kOps; ++op) {
      if (roll < kWeights[op]) return static_cast<Op>(op);
      roll -= kWeights[op];
    }
    return kGet;
  }

  // Makes one call; false when it failed.
  bool Call(Op op) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    const std::string& id = (*ids_)[rng_() % ids_->size()];
    switch (op) {
      case kGet: {
        v1::GetStatementRequest req;
        req.mutable_statement()->set_statement_id(id);
        v1::Statement resp;
        return Report(op, stub_->GetStatement(&ctx, req, &resp));
      }
      case kMatch: {
        v1::MatchStatementsRequest req;
        req.mutable_subject()->set_entity(
            EntityId((*triples_)[rng_() % triples_->size()].subject));
        req.set_page_size(10);
        req.set_include_provenance(true);
        v1::MatchStatementsResponse resp;
        grpc::Status s = stub_->MatchStatements(&ctx, req, &resp);
        return Report(op, s) && resp.statements_size() > 0;
      }
      case kWhy: {
        v1::WhyRequest req;
        req.mutable_statement()->set_statement_id(id);
        v1::WhyResponse resp;
        return Report(op, stub_->Why(&ctx, req, &resp));
      }
      case kWrite: {
        // A record of one of this client's triples by a document that has
        // none on it yet.
        const int t = owned_[rng_() % owned_.size()];
        const int d = 1 + static_cast<int>(rng_() % documents_);
        const uint64_t key = Key(t, d);
        if (std::find(live_.begin(), live_.end(), key) != live_.end()) {
          return Call(kRetract);
        }
        v1::WriteStatementsRequest req;
        *req.add_statements() = Input((*triples_)[t], d);
        v1::WriteStatementsResponse resp;
        if (!Report(op, stub_->WriteStatements(&ctx, req, &resp))) {
          return false;
        }
        live_.push_back(key);
        return true;
      }
      case kRetract: {
        if (live_.empty()) return Call(kWrite);
        const size_t at = rng_() % live_.size();
        const uint64_t key = live_[at];
        v1::RetractProvenanceRequest req;
        req.set_statement_id((*ids_)[key >> 16]);
        req.set_document_id(DocumentId(static_cast<int>(key & 0xffff)));
        v1::RetractProvenanceResponse resp;
        grpc::Status s = stub_->RetractProvenance(&ctx, req, &resp);
        if (!Report(op, s) || resp.provenance_retracted() != 1) return false;
        live_[at] = live_.back();
        live_.pop_back();
        return true;
      }
      case kPath: {
        v1::FindPathsRequest req;
        req.mutable_from()->set_entity(
            EntityId((*triples_)[rng_() % triples_->size()].subject));
        req.mutable_to()->set_entity(
            EntityId((*triples_)[rng_() % triples_->size()].object));
        req.mutable_options()->set_max_hops(4);
        auto reader = stub_->FindPaths(&ctx, req);
        v1::FindPathsResponse resp;
        bool summary = false;
        while (reader->Read(&resp)) summary = resp.has_summary();
        return Report(op, reader->Finish()) && summary;
      }
      case kOps:
        break;
    }
    return false;
  }

 private:
  static uint64_t Key(int triple, int document) {
    return (static_cast<uint64_t>(triple) << 16) | document;
  }
  static bool Report(Op op, const grpc::Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "kg_soak: %s failed: %d %s\n", kOpNames[op],
                   s.error_code(), s.error_message().c_str());
    }
    return s.ok();
  }

  std::unique_ptr<v1::KnowledgeGraph::Stub> stub_;
  const std::vector<Triple>* triples_;
  const std::vector<std::string>* ids_;
  const int documents_;
  std::mt19937_64 rng_;
  std::vector<int> owned_;
  // (triple << 16 | document) of the records this client added and has not
  // retracted. A vector: the soak wants cheap random picks.
  std::vector<uint64_t> live_;
};

// Writes the working set; returns the statement id of every triple.
absl::StatusOr<std::vector<std::string>> Load(
    v1::KnowledgeGraph::Stub& stub, int entities, int documents,
    const std::vector<Triple>& triples) {
  auto write = [&](const v1::WriteStatementsRequest& req,
                   std::vector<std::string>* ids) -> absl::Status {
    grpc::ClientContext ctx;
    v1::WriteStatementsResponse resp;
    grpc::Status s = stub.WriteStatements(&ctx, req, &resp);
    if (!s.ok()) return absl::InternalError(s.error_message());
    if (ids)
      ids->insert(ids->end(), resp.statement_ids().begin(),
                  resp.statement_ids().end());
    return absl::OkStatus();
  };
  for (int start = 0; start < entities; start += 5000) {
    v1::WriteStatementsRequest req;
    for (int i = start; i < std::min(entities, start + 5000); ++i) {
      v1::Entity* e = req.add_entities();
      e->set_id(EntityId(i));
      e->set_label(absl::StrCat("Entity ", i));
      e->set_type("Thing");
    }
    if (absl::Status s = write(req, nullptr); !s.ok()) return s;
  }
  v1::WriteStatementsRequest vocabulary;
  for (int r = 0; r < 8; ++r) {
    v1::Relation* rel = vocabulary.add_relations();
    rel->set_id(absl::StrCat("r", r));
    rel->set_label(absl::StrCat("relation ", r));
  }
  for (int d = 0; d <= documents; ++d) {
    v1::Document* doc = vocabulary.add_documents();
    doc->set_id(DocumentId(d));
    doc->set_title(absl::StrCat("Document ", d));
    doc->set_text(kText);
  }
  if (absl::Status s = write(vocabulary, nullptr); !s.ok()) return s;
  std::vector<std::string> ids;
  for (size_t start = 0; start < triples.size(); start += 5000) {
    v1::WriteStatementsRequest req;
    for (size_t t = start; t < std::min(triples.size(), start + 5000); ++t) {
      *req.add_statements() = Input(triples[t], 0);
    }
    if (absl::Status s = write(req, &ids); !s.ok()) return s;
  }
  if (ids.size() != triples.size()) {
    return absl::InternalError(absl::StrCat(
        "wrote ", triples.size(), " triples, got ", ids.size(), " ids"));
  }
  return ids;
}

struct Row {
  std::string label;
  double rss_mb = 0;
  // What the store holds in memory by design, growing as it warms up to
  // their bounds (GetStats): unflushed writes and cached table blocks.
  double memtable_mb = 0;
  double cache_mb = 0;
  double cpu_percent = 0;
  double calls_per_second = 0;
  uint64_t errors = 0;
  std::array<double, kOps> p50{};
  std::array<double, kOps> p99{};
};

void PrintHeader() {
  std::printf("%-7s %7s %8s %6s %8s %5s %7s %6s", "window", "rss_MB",
              "memtable", "cache", "other_MB", "cpu%", "calls/s", "errors");
  for (const char* name : kOpNames) {
    std::printf(" %15s", absl::StrCat(name, " p50/p99").c_str());
  }
  std::printf("   (ms)\n");
}

void Print(const Row& row) {
  std::printf("%-7s %7.1f %8.1f %6.1f %8.1f %5.0f %7.0f %6llu",
              row.label.c_str(), row.rss_mb, row.memtable_mb, row.cache_mb,
              row.rss_mb - row.memtable_mb - row.cache_mb, row.cpu_percent,
              row.calls_per_second,
              static_cast<unsigned long long>(row.errors));
  for (int op = 0; op < kOps; ++op) {
    std::printf(" %15s",
                absl::StrFormat("%.2f/%.2f", row.p50[op], row.p99[op]).c_str());
  }
  std::printf("\n");
  std::fflush(stdout);
}

Row Summarise(std::string label, const ServerChild& server,
              v1::KnowledgeGraph::Stub& stub,
              const std::array<std::vector<double>, kOps>& latencies,
              uint64_t errors, double seconds, double cpu_seconds) {
  Row row;
  row.label = std::move(label);
  row.rss_mb = server.RssBytes() / 1e6;
  grpc::ClientContext ctx;
  v1::GetStatsRequest req;
  v1::GetStatsResponse resp;
  if (grpc::Status s = stub.GetStats(&ctx, req, &resp); s.ok()) {
    row.memtable_mb = resp.stats().memtable_bytes() / 1e6;
    row.cache_mb = resp.stats().block_cache_bytes() / 1e6;
  } else {
    std::fprintf(stderr, "kg_soak: GetStats failed: %s\n",
                 s.error_message().c_str());
    ++errors;
  }
  row.cpu_percent = 100 * cpu_seconds / seconds;
  size_t calls = 0;
  for (int op = 0; op < kOps; ++op) {
    calls += latencies[op].size();
    row.p50[op] = Percentile(latencies[op], 0.50);
    row.p99[op] = Percentile(latencies[op], 0.99);
  }
  row.calls_per_second = calls / seconds;
  row.errors = errors;
  return row;
}

int Main() {
  std::string binary = absl::GetFlag(FLAGS_server_binary);
  if (binary.empty()) {
    binary = (std::filesystem::canonical("/proc/self/exe").parent_path() /
              ".." / "server" / "kg-server")
                 .string();
  }
  std::string dir = absl::GetFlag(FLAGS_work_dir);
  const bool own_dir = dir.empty();
  if (own_dir) {
    dir = (std::filesystem::temp_directory_path() /
           absl::StrCat("kg_soak_", getpid()))
              .string();
  }
  std::filesystem::create_directories(dir);
  int status = 0;
  {
    ServerChild server(binary, dir);
    if (server.port() == 0) {
      std::fprintf(stderr, "kg_soak: %s did not start; see %s/server.log\n",
                   binary.c_str(), dir.c_str());
      return 1;
    }
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                            grpc::InsecureChannelCredentials());
    auto stub = v1::KnowledgeGraph::NewStub(channel);

    const int entities = absl::GetFlag(FLAGS_entities);
    const int documents = absl::GetFlag(FLAGS_documents);
    std::mt19937_64 rng(1);
    std::vector<Triple> triples;
    for (int t = 0; t < absl::GetFlag(FLAGS_triples); ++t) {
      triples.push_back({static_cast<int>(rng() % entities),
                         static_cast<int>(rng() % 8),
                         static_cast<int>(rng() % entities)});
    }
    const absl::Time load_start = absl::Now();
    absl::StatusOr<std::vector<std::string>> ids =
        Load(*stub, entities, documents, triples);
    if (!ids.ok()) {
      std::fprintf(stderr, "kg_soak: load failed: %s\n",
                   ids.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "kg_soak: server pid %d on port %d; loaded %d entities, %zu "
        "triples in %.1f s; %d clients at %.0f calls/s for %.0f min\n",
        server.pid(), server.port(), entities, triples.size(),
        absl::ToDoubleSeconds(absl::Now() - load_start),
        absl::GetFlag(FLAGS_clients), absl::GetFlag(FLAGS_rate),
        absl::GetFlag(FLAGS_minutes));
    PrintHeader();

    // Idle: each operation alone, one call at a time, in turn.
    Row idle;
    {
      Client client(channel, &triples, &*ids, 0, 1, documents, 99);
      std::array<std::vector<double>, kOps> latencies;
      uint64_t errors = 0;
      const double cpu0 = server.CpuSeconds();
      const absl::Time start = absl::Now();
      const absl::Time end =
          start + absl::Seconds(absl::GetFlag(FLAGS_idle_seconds));
      for (int i = 0; absl::Now() < end; ++i) {
        const Op op = static_cast<Op>(i % kOps);
        const absl::Time sent = absl::Now();
        if (!client.Call(op)) ++errors;
        latencies[op].push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
        absl::SleepFor(absl::Milliseconds(2));
      }
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      idle = Summarise("idle", server, *stub, latencies, errors, seconds,
                       server.CpuSeconds() - cpu0);
      Print(idle);
      status |= errors > 0;
    }

    // The soak.
    const int clients = absl::GetFlag(FLAGS_clients);
    const absl::Duration interval =
        absl::Seconds(clients / absl::GetFlag(FLAGS_rate));
    const absl::Time soak_start = absl::Now();
    const absl::Time soak_end =
        soak_start + absl::Minutes(absl::GetFlag(FLAGS_minutes));
    Window window;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        Client client(channel, &triples, &*ids, c, clients, documents,
                      1000 + c);
        // Paced: call k of this client is due at start + k * interval, so a
        // slow call does not lower the offered rate (and is not hidden).
        absl::Time due = soak_start + interval * c / clients;
        while (due < soak_end) {
          absl::SleepFor(due - absl::Now());
          const Op op = client.Pick();
          const absl::Time sent = absl::Now();
          const bool ok = client.Call(op);
          window.Add(op, absl::ToDoubleMilliseconds(absl::Now() - sent), ok);
          due += interval;
        }
      });
    }
    const absl::Duration sample =
        absl::Seconds(absl::GetFlag(FLAGS_sample_seconds));
    const absl::Time warm =
        soak_start + absl::Minutes(absl::GetFlag(FLAGS_warm_minutes));
    double warm_rss = 0;
    double last_rss = 0;
    double max_rss = 0;
    double warm_other = 0;
    double last_other = 0;
    std::array<double, kOps> worst_ratio{};
    uint64_t total_errors = 0;
    double cpu0 = server.CpuSeconds();
    absl::Time window_start = soak_start;
    while (window_start < soak_end) {
      const absl::Time window_end = std::min(window_start + sample, soak_end);
      absl::SleepFor(window_end - absl::Now());
      std::array<std::vector<double>, kOps> latencies;
      uint64_t errors = 0;
      window.Take(&latencies, &errors);
      const double cpu = server.CpuSeconds();
      const double elapsed = absl::ToDoubleSeconds(absl::Now() - soak_start);
      Row row = Summarise(
          absl::StrFormat("%d:%02d", static_cast<int>(elapsed) / 60,
                          static_cast<int>(elapsed) % 60),
          server, *stub, latencies, errors,
          absl::ToDoubleSeconds(window_end - window_start), cpu - cpu0);
      cpu0 = cpu;
      Print(row);
      total_errors += errors;
      const double other = row.rss_mb - row.memtable_mb - row.cache_mb;
      if (window_end >= warm && warm_rss == 0) {
        warm_rss = row.rss_mb;
        warm_other = other;
      }
      last_rss = row.rss_mb;
      last_other = other;
      max_rss = std::max(max_rss, row.rss_mb);
      for (int op = 0; op < kOps; ++op) {
        if (idle.p99[op] > 0) {
          worst_ratio[op] =
              std::max(worst_ratio[op], row.p99[op] / idle.p99[op]);
        }
      }
      window_start = window_end;
    }
    for (std::thread& t : threads) t.join();
    if (warm_rss == 0) {
      warm_rss = last_rss;
      warm_other = last_other;
    }

    std::printf(
        "summary: %llu errors; RSS %.1f MB once warm (%.0f min), "
        "%.1f MB at the end (%+.1f%%), %.1f MB at most\n",
        static_cast<unsigned long long>(total_errors), warm_rss,
        absl::GetFlag(FLAGS_warm_minutes), last_rss,
        100 * (last_rss - warm_rss) / warm_rss, max_rss);
    std::printf(
        "summary: RSS less memtables and block cache %.1f MB once "
        "warm, %.1f MB at the end (%+.1f%%)\n",
        warm_other, last_other, 100 * (last_other - warm_other) / warm_other);
    std::printf("summary: worst window's p99 / idle p99:");
    for (int op = 0; op < kOps; ++op) {
      std::printf(" %s %.1fx", kOpNames[op], worst_ratio[op]);
    }
    std::printf("\n");
    status |= total_errors > 0;
  }
  if (own_dir) std::filesystem::remove_all(dir);
  return status;
}

}  // namespace
}  // namespace kg::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return kg::bench::Main();
}
