// Fuzz target: kg.v1 request decoding, validation and the calls behind it.
//
// Input: one selector byte, then the serialized request. The selector
// (modulo the number of rpcs) picks the rpc in kRpcs below; the rest is
// decoded as that rpc's request message exactly as gRPC decodes it, and
// sent through a real in-process gRPC channel to KnowledgeGraphService on
// a real RocksDB store seeded with data/seed.jsonl. So every input runs
// the service's own validation, conversion and storage code.
//
// Checked on every input:
//   - no crash, no sanitizer report;
//   - the status is never UNKNOWN, INTERNAL or DATA_LOSS (every bad input
//     must map to a canonical code), and an error has a message;
//   - a write that fails leaves the store unchanged (its counts equal the
//     counts before the call);
//   - a WriteStatements that succeeds moved the store's statement and
//     provenance counts by what it reports, and each statement id it
//     returns can be read back.
// A write that succeeds changed the store; it is then reset to the seeded
// state, so every input runs against the same store and a crash reproduces
// from its input alone.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "kg/v1/kg.grpc.pb.h"
#include "server/seed.h"
#include "server/service.h"
#include "storage/store.h"

namespace kg::fuzz {
namespace {

namespace fs = std::filesystem;
using Stub = kg::v1::KnowledgeGraph::Stub;

[[noreturn]] void Die(absl::string_view what) {
  std::fprintf(stderr, "request_fuzzer: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

storage::StoreStats Stats(storage::Store& store) {
  absl::StatusOr<storage::StoreStats> s = store.NewReader()->Stats();
  if (!s.ok()) Die(absl::StrCat("Stats failed: ", s.status().ToString()));
  return *s;
}

// The counts a failed write must leave alone (bytes_on_disk may move).
std::string Counts(storage::Store& store) {
  const storage::StoreStats s = Stats(store);
  return absl::StrCat("entities=", s.entities, " relations=", s.relations,
                      " documents=", s.documents, " statements=", s.statements,
                      " provenance=", s.provenance_records, " terms=", s.terms);
}

// A seeded store behind an in-process gRPC server; Reset() brings it back
// to the seeded state.
class Harness {
 public:
  Harness() {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = absl::StrCat(
        fs::exists("/dev/shm") ? "/dev/shm" : (tmp != nullptr ? tmp : "/tmp"),
        "/kg_request_fuzzer.XXXXXX");
    if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp failed");
    root_ = dir;
    pristine_ = root_ + "/pristine";
    live_ = root_ + "/live";
    {
      auto store = storage::Store::Open(Options(), root_ + "/seeding");
      if (!store.ok()) Die(store.status().ToString());
      server::KnowledgeGraphService service(store->get(), Limits(), &no_auth_);
      auto seeded = server::LoadSeedIfEmpty(**store, service,
                                            KG_SOURCE_DIR "/data/seed.jsonl");
      if (!seeded.ok() || !*seeded) Die("cannot seed the store");
      absl::Status st = (*store)->Checkpoint(pristine_);
      if (!st.ok()) Die(st.ToString());
    }
    fs::remove_all(root_ + "/seeding");
    Start();
    seeded_counts_ = Counts(*store_);
  }

  ~Harness() {
    Stop();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void Reset() {
    Stop();
    Start();
    if (Counts(*store_) != seeded_counts_) Die("reset store differs");
  }

  Stub& stub() { return *stub_; }
  storage::Store& store() { return *store_; }

 private:
  static storage::StoreOptions Options() {
    storage::StoreOptions o;
    o.sync_writes = false;
    o.block_cache_bytes = 8 << 20;
    return o;
  }
  static server::ServiceLimits Limits() {
    server::ServiceLimits l;
    l.max_batch_items = 1000;
    l.max_traversal_budget = 20000;
    l.default_deadline = absl::Seconds(5);
    return l;
  }

  void Start() {
    std::error_code ec;
    fs::remove_all(live_, ec);
    fs::copy(pristine_, live_, fs::copy_options::recursive, ec);
    if (ec) Die(absl::StrCat("copy: ", ec.message()));
    auto store = storage::Store::Open(Options(), live_);
    if (!store.ok()) Die(store.status().ToString());
    store_ = *std::move(store);
    // Auth is tested in tests/server/auth_test.cc; here every request
    // reaches decoding and validation.
    service_ = std::make_unique<server::KnowledgeGraphService>(
        store_.get(), Limits(), &no_auth_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) Die("cannot start the gRPC server");
    stub_ = kg::v1::KnowledgeGraph::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }

  void Stop() {
    stub_.reset();
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    service_.reset();
    store_.reset();
  }

  std::string root_, pristine_, live_;
  std::string seeded_counts_;
  const server::Authenticator no_auth_ = server::Authenticator::Disabled();
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<server::KnowledgeGraphService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
};

// KG_FUZZ_VERBOSE=1: print each call's outcome (for writing seeds).
bool Verbose() {
  static const bool verbose = std::getenv("KG_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

void CheckStatus(absl::string_view rpc, const grpc::Status& status) {
  if (Verbose()) {
    std::fprintf(stderr, "request_fuzzer: %.*s: code %d %s\n",
                 static_cast<int>(rpc.size()), rpc.data(), status.error_code(),
                 status.error_message().c_str());
  }
  switch (status.error_code()) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
      Die(absl::StrCat(rpc, " answered ", status.error_code(), ": ",
                       status.error_message()));
    default:
      break;
  }
  if (!status.ok() && status.error_message().empty()) {
    Die(absl::StrCat(rpc, " failed with code ", status.error_code(),
                     " and no message"));
  }
}

std::unique_ptr<grpc::ClientContext> NewContext() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

template <typename Method>
struct UnaryTraits;
template <typename Req, typename Resp>
struct UnaryTraits<grpc::Status (Stub::*)(grpc::ClientContext*, const Req&,
                                          Resp*)> {
  using Request = Req;
  using Response = Resp;
};

// Decodes `bytes` as the rpc's request and makes the unary call. Returns
// whether the call succeeded; false too when the bytes are not a request
// (gRPC would refuse them before the service sees them).
template <auto kMethod>
bool Unary(absl::string_view rpc, absl::string_view bytes, Stub& stub,
           storage::Store&) {
  using Traits = UnaryTraits<decltype(kMethod)>;
  typename Traits::Request request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return false;
  }
  typename Traits::Response response;
  auto ctx = NewContext();
  grpc::Status status = (stub.*kMethod)(ctx.get(), request, &response);
  CheckStatus(rpc, status);
  return status.ok();
}

// A server-streaming rpc (FindPaths, Query), read to its end.
template <typename Request, typename Response,
          std::unique_ptr<grpc::ClientReader<Response>> (Stub::*kMethod)(
              grpc::ClientContext*, const Request&)>
bool Stream(absl::string_view rpc, absl::string_view bytes, Stub& stub,
            storage::Store&) {
  Request request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return false;
  }
  auto ctx = NewContext();
  auto reader = (stub.*kMethod)(ctx.get(), request);
  Response response;
  while (reader->Read(&response)) {
  }
  grpc::Status status = reader->Finish();
  CheckStatus(rpc, status);
  return status.ok();
}

// WriteStatements, checked further when it succeeds: the counts it reports
// are what the store's counts moved by, and every statement id it returns
// can be read back.
bool WriteStatements(absl::string_view rpc, absl::string_view bytes, Stub& stub,
                     storage::Store& store) {
  kg::v1::WriteStatementsRequest request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return false;
  }
  const storage::StoreStats before = Stats(store);
  kg::v1::WriteStatementsResponse response;
  auto ctx = NewContext();
  grpc::Status status = stub.WriteStatements(ctx.get(), request, &response);
  CheckStatus(rpc, status);
  if (!status.ok()) return false;
  const storage::StoreStats after = Stats(store);
  if (after.statements - before.statements != response.statements_created() ||
      after.provenance_records - before.provenance_records !=
          response.provenance_added()) {
    Die(absl::StrCat("WriteStatements reported ", response.statements_created(),
                     " statements and ", response.provenance_added(),
                     " provenance records created; the store's counts moved "
                     "by ",
                     after.statements - before.statements, " and ",
                     after.provenance_records - before.provenance_records));
  }
  if (response.statement_ids_size() != request.statements_size()) {
    Die("WriteStatements returned one id per statement not");
  }
  for (const std::string& id : response.statement_ids()) {
    kg::v1::GetStatementRequest get;
    get.mutable_statement()->set_statement_id(id);
    kg::v1::Statement got;
    auto get_ctx = NewContext();
    grpc::Status read = stub.GetStatement(get_ctx.get(), get, &got);
    if (!read.ok() || got.id() != id) {
      Die(absl::StrCat("statement ", id, " was written but GetStatement says ",
                       read.error_code(), " ", read.error_message()));
    }
  }
  return true;
}

struct Rpc {
  const char* name;
  bool writes;
  bool (*call)(absl::string_view rpc, absl::string_view bytes, Stub& stub,
               storage::Store& store);
};

// DO NOT REORDER: the seed corpus and the regressions name rpcs by index
// (fuzz/make_request_corpus.sh has the same list). Append new rpcs.
const Rpc kRpcs[] = {
    {"WriteStatements", true, &WriteStatements},
    {"CreateEntity", true, &Unary<&Stub::CreateEntity>},
    {"UpdateEntity", true, &Unary<&Stub::UpdateEntity>},
    {"CreateRelation", true, &Unary<&Stub::CreateRelation>},
    {"CreateDocument", true, &Unary<&Stub::CreateDocument>},
    {"RetractProvenance", true, &Unary<&Stub::RetractProvenance>},
    {"MatchStatements", false, &Unary<&Stub::MatchStatements>},
    {"CountStatements", false, &Unary<&Stub::CountStatements>},
    {"GetStatement", false, &Unary<&Stub::GetStatement>},
    {"ListStatements", false, &Unary<&Stub::ListStatements>},
    {"FindPaths", false,
     &Stream<kg::v1::FindPathsRequest, kg::v1::FindPathsResponse,
             &Stub::FindPaths>},
    {"GetNeighborhood", false, &Unary<&Stub::GetNeighborhood>},
    {"Why", false, &Unary<&Stub::Why>},
    {"ListByDocument", false, &Unary<&Stub::ListByDocument>},
    {"ListByClaimant", false, &Unary<&Stub::ListByClaimant>},
    {"ListContested", false, &Unary<&Stub::ListContested>},
    {"GetClaimTimeline", false, &Unary<&Stub::GetClaimTimeline>},
    {"ExportProvenance", false, &Unary<&Stub::ExportProvenance>},
    {"SearchEntities", false, &Unary<&Stub::SearchEntities>},
    {"ResolveEntity", false, &Unary<&Stub::ResolveEntity>},
    {"GetEntity", false, &Unary<&Stub::GetEntity>},
    {"ListEntities", false, &Unary<&Stub::ListEntities>},
    {"GetRelation", false, &Unary<&Stub::GetRelation>},
    {"GetDocument", false, &Unary<&Stub::GetDocument>},
    {"ListDocuments", false, &Unary<&Stub::ListDocuments>},
    {"Query", false,
     &Stream<kg::v1::QueryRequest, kg::v1::QueryResponse, &Stub::Query>},
};

}  // namespace
}  // namespace kg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kg::fuzz::kRpcs;
  static kg::fuzz::Harness* harness = [] {
    // Invalid UTF-8 in a string field is refused (as gRPC refuses it);
    // protobuf's log line for each would drown libFuzzer's output.
    google::protobuf::SetLogHandler(nullptr);
    static kg::fuzz::Harness* h = new kg::fuzz::Harness();
    std::atexit([] { delete h; });  // removes its temporary directory
    return h;
  }();
  if (size == 0) return 0;
  const kg::fuzz::Rpc& rpc = kRpcs[data[0] % std::size(kRpcs)];
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  const std::string before =
      rpc.writes ? kg::fuzz::Counts(harness->store()) : "";
  const bool ok = rpc.call(rpc.name, bytes, harness->stub(), harness->store());
  if (!rpc.writes) return 0;
  if (ok) {
    harness->Reset();
    return 0;
  }
  const std::string after = kg::fuzz::Counts(harness->store());
  if (after != before) {
    kg::fuzz::Die(absl::StrCat(
        rpc.name, " failed but changed the store: ", before, " -> ", after));
  }
  return 0;
}
