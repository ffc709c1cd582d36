#include "server/service.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/echo.h"
#include "google/protobuf/util/time_util.h"
#include "query/match.h"
#include "query/resolve.h"
#include "server/convert.h"
#include "server/descriptors.h"
#include "server/grpc_status.h"
#include "server/log.h"
#include "server/replica_metadata.h"
#include "server/unary.h"
#include "storage/error_context.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

// A batch's error in the request's terms: "entity_edits[0].label: ..." is
// "label: ...", and "entity_edits[0]: ..." is "<whole>: ...".
absl::Status InRequestTerms(const absl::Status& status, absl::string_view item,
                            absl::string_view whole) {
  const std::string dotted = absl::StrCat(item, ".");
  absl::string_view message = status.message();
  if (absl::ConsumePrefix(&message, dotted)) {
    return absl::Status(status.code(), message);
  }
  return storage::WithFieldRenamed(status, item, whole);
}

using kg::v1::IngestStatementsRequest;
using kg::v1::IngestStatementsResponse;

absl::Status Required(absl::string_view field, bool present) {
  if (present) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
}

// A statement named by a Term: by id, or by content with entity names
// resolved.
absl::StatusOr<std::string> StatementIdFrom(storage::Reader& reader,
                                            absl::string_view field,
                                            const kg::v1::Term& term) {
  if (term.has_statement_id()) return term.statement_id();
  if (!term.has_quoted()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must name a statement (statement_id or quoted)"));
  }
  KG_ASSIGN_OR_RETURN(storage::Term t, FromProto(field, term));
  KG_RETURN_IF_ERROR(query::ResolveTermNames(reader, field, &t));
  return storage::StatementIdOf(*t.triple(), reader.base_iri());
}

absl::StatusOr<storage::Pattern> PatternFrom(storage::Reader& reader,
                                             const kg::v1::Term* subject,
                                             const std::string& relation,
                                             const kg::v1::Term* object) {
  storage::Pattern p;
  if (subject != nullptr) {
    KG_ASSIGN_OR_RETURN(storage::Term t, FromProto("subject", *subject));
    KG_RETURN_IF_ERROR(query::ResolveTermNames(reader, "subject", &t));
    p.subject = std::move(t);
  }
  if (!relation.empty()) p.relation = relation;
  if (object != nullptr) {
    KG_ASSIGN_OR_RETURN(storage::Term t, FromProto("object", *object));
    KG_RETURN_IF_ERROR(query::ResolveTermNames(reader, "object", &t));
    p.object = std::move(t);
  }
  return p;
}

// Converts a statement, with its live provenance records when asked.
absl::Status StatementToProto(storage::Reader& reader,
                              const storage::Statement& st,
                              bool include_provenance, kg::v1::Statement* out) {
  KG_RETURN_IF_ERROR(ToProto(reader, st, out));
  if (!include_provenance) return absl::OkStatus();
  KG_ASSIGN_OR_RETURN(std::vector<storage::ProvenanceRecord> records,
                      reader.GetProvenance(st.id, /*include_retracted=*/false));
  for (const auto& r : records) ToProto(r, true, out->add_provenance());
  return absl::OkStatus();
}

class IngestReactor : public grpc::ServerBidiReactor<IngestStatementsRequest,
                                                     IngestStatementsResponse> {
 public:
  IngestReactor(KnowledgeGraphService* service, const absl::Status& allowed)
      : service_(service) {
    if (!allowed.ok()) {
      Finish(ToGrpcStatus(allowed));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending, or the call ended
      Finish(grpc::Status::OK);
      return;
    }
    // The batch waits for its commit on the write pool, not on this
    // callback thread.
    service_->writes().Run([this] {
      response_.Clear();
      response_.set_batch_id(request_.batch_id());
      absl::StatusOr<storage::WriteResult> result =
          service_->ApplyBatch(request_.batch());
      if (result.ok()) {
        ToProto(*result, response_.mutable_result());
      } else {
        grpc::Status status = ToGrpcStatus(result.status());
        response_.set_code(status.error_code());
        response_.set_message(status.error_message());
      }
      StartWrite(&response_);
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                          "the acknowledgement could not be sent"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  KnowledgeGraphService* service_;
  IngestStatementsRequest request_;
  IngestStatementsResponse response_;
};

// ImportStatements: stages every batch of the stream in one storage
// WriteBatch and writes it once the client ends the stream, so the import
// is one atomic write (docs/rdf.md, "The import guarantee").
class ImportReactor
    : public grpc::ServerReadReactor<kg::v1::ImportStatementsRequest> {
 public:
  ImportReactor(KnowledgeGraphService* service,
                grpc::CallbackServerContext* ctx, const absl::Status& allowed,
                kg::v1::ImportStatementsResponse* response)
      : service_(service), ctx_(ctx), response_(response) {
    if (!allowed.ok()) {
      Finish(ToGrpcStatus(allowed));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client ended the stream (commit) or the call ended (nothing).
      if (ctx_->IsCancelled()) {
        Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                            "the import was cancelled; nothing was written"));
        return;
      }
      pool().Run([this] { Finish(ToGrpcStatus(Commit())); });
      return;
    }
    // Converting reads the store (names): on the write pool, not here.
    pool().Run([this] {
      const absl::Status staged = Stage();
      if (!staged.ok()) {
        Finish(ToGrpcStatus(staged));
        return;
      }
      StartRead(&request_);
    });
  }

  void OnDone() override {
    if (loader_ != nullptr) {
      // Freeing a load's transaction (up to gigabytes), and the store's
      // lock its loader takes to let writes go, are not for gRPC's threads.
      service_->bulk_writes().Run([this] { delete this; });
      return;
    }
    delete this;
  }

 private:
  WritePool& pool() {
    return loader_ != nullptr ? service_->bulk_writes() : service_->writes();
  }

  // Where each batch's items start in staged_, per kind.
  struct Offsets {
    size_t entities = 0, relations = 0, documents = 0, statements = 0;
  };

  absl::Status Stage() {
    const std::string where = absl::StrCat("batches[", batches_, "]");
    ++batches_;
    bytes_ += static_cast<int64_t>(request_.ByteSizeLong());
    const int64_t limit = service_->limits().max_import_bytes;
    if (bytes_ > limit) {
      return absl::ResourceExhaustedError(absl::StrCat(
          where, ": the import exceeds ", limit,
          " bytes (--max_import_bytes); nothing was written. Import the file "
          "in parts, or raise the limit"));
    }
    if (loader_ != nullptr) {
      storage::WriteBatch part;
      KG_RETURN_IF_ERROR(Convert(where, &part));
      return AddPart(part, where);
    }
    offsets_.push_back(
        Offsets{staged_.entities.size(), staged_.relations.size(),
                staged_.documents.size(), staged_.statements.size()});
    KG_RETURN_IF_ERROR(Convert(where, &staged_));
    // A large import goes into the store as SST files, ingested at once
    // (Store::BeginBulkLoad): the same validation and the same keys,
    // without writing every key through the write-ahead log and the
    // memtables. From here on each batch is applied as it comes, while
    // the client sends the next; writes wait until the import ends.
    const uint64_t bulk_from = service_->limits().bulk_import_statements;
    if (bulk_from > 0 && staged_.statements.size() >= bulk_from) {
      return StartBulk();
    }
    return absl::OkStatus();
  }

  // Converts this request's batch, appending to `out`; errors name the
  // request's items as batch `where`'s.
  absl::Status Convert(const std::string& where, storage::WriteBatch* out) {
    const size_t first_entity = out->entities.size();
    absl::Status converted = service_->ConvertBatch(
        request_.batch(),
        [this](absl::string_view id) { return entity_ids_.contains(id); }, out);
    for (const char* kind :
         {"entities", "relations", "documents", "statements"}) {
      converted = storage::WithFieldRenamed(converted, kind,
                                            absl::StrCat(where, ".", kind));
    }
    KG_RETURN_IF_ERROR(converted);
    for (size_t i = first_entity; i < out->entities.size(); ++i) {
      entity_ids_.insert(out->entities[i].id);
    }
    return absl::OkStatus();
  }

  // Begins the bulk load with the batches staged so far, each its own part.
  absl::Status StartBulk() {
    absl::StatusOr<std::unique_ptr<storage::BulkLoader>> loader =
        service_->store().BeginBulkLoad();
    KG_RETURN_IF_ERROR(loader.status());
    loader_ = *std::move(loader);
    storage::WriteBatch staged = std::move(staged_);
    staged_ = storage::WriteBatch();
    for (size_t b = 0; b < offsets_.size(); ++b) {
      const Offsets& from = offsets_[b];
      const Offsets to =
          b + 1 < offsets_.size()
              ? offsets_[b + 1]
              : Offsets{staged.entities.size(), staged.relations.size(),
                        staged.documents.size(), staged.statements.size()};
      storage::WriteBatch part;
      part.entity_mode = staged.entity_mode;
      part.shared_names = staged.shared_names;
      MoveRange(staged.entities, from.entities, to.entities, &part.entities);
      MoveRange(staged.relations, from.relations, to.relations,
                &part.relations);
      MoveRange(staged.documents, from.documents, to.documents,
                &part.documents);
      MoveRange(staged.statements, from.statements, to.statements,
                &part.statements);
      KG_RETURN_IF_ERROR(AddPart(part, absl::StrCat("batches[", b, "]")));
    }
    offsets_.clear();
    return absl::OkStatus();
  }

  template <typename T>
  static void MoveRange(std::vector<T>& from, size_t begin, size_t end,
                        std::vector<T>* to) {
    to->assign(std::make_move_iterator(from.begin() + begin),
               std::make_move_iterator(from.begin() + end));
  }

  absl::Status AddPart(const storage::WriteBatch& part,
                       const std::string& name) {
    storage::WriteResult result;
    KG_RETURN_IF_ERROR(loader_->Add(part, name, &result));
    totals_.statements_created += result.statements_created;
    totals_.provenance_added += result.provenance_added;
    totals_.provenance_unchanged += result.provenance_unchanged;
    totals_.statements_moved += result.statements_moved;
    totals_.provenance_moved += result.provenance_moved;
    return absl::OkStatus();
  }

  absl::Status Commit() {
    storage::WriteResult totals;
    if (loader_ != nullptr) {
      KG_RETURN_IF_ERROR(loader_->Commit());
      loader_.reset();
      totals = totals_;
    } else {
      absl::StatusOr<storage::WriteResult> result =
          service_->store().Write(staged_);
      if (!result.ok()) return BatchOf(result.status());
      totals = *std::move(result);
      totals.statement_ids.clear();
    }
    ToProto(totals, response_->mutable_result());
    response_->set_batches(batches_);
    return absl::OkStatus();
  }

  // "statements[1234]..." of the staged write as "batches[2].statements[234]"
  // of the stream; so is the item a duplicate names ("entities[3]:
  // duplicates entities[1] ...").
  absl::Status BatchOf(const absl::Status& status) const {
    const absl::string_view m = status.message();
    for (const auto& [kind, member] :
         {std::pair{"entities", &Offsets::entities},
          std::pair{"relations", &Offsets::relations},
          std::pair{"documents", &Offsets::documents},
          std::pair{"statements", &Offsets::statements}}) {
      const std::string prefix = absl::StrCat(kind, "[");
      if (!absl::StartsWith(m, prefix)) continue;
      const size_t close = m.find(']');
      size_t index = 0;
      if (close == absl::string_view::npos ||
          !absl::SimpleAtoi(m.substr(prefix.size(), close - prefix.size()),
                            &index)) {
        break;
      }
      // Clang 14 cannot capture structured bindings; name them here.
      const auto in_stream = [this, kind = kind, member = member](size_t i) {
        size_t batch = 0;
        for (size_t b = 0; b < offsets_.size(); ++b) {
          if (offsets_[b].*member <= i) batch = b;
        }
        return absl::StrCat("batches[", batch, "].", kind, "[",
                            i - offsets_[batch].*member, "]");
      };
      absl::Status renamed = storage::WithFieldRenamed(
          status, absl::StrCat(kind, "[", index, "]"), in_stream(index));
      const std::string duplicates = absl::StrCat(": duplicates ", prefix);
      const absl::string_view r = renamed.message();
      const size_t at = r.find(duplicates);
      size_t first = 0;
      if (at != absl::string_view::npos) {
        const size_t digits = at + duplicates.size();
        const size_t end = r.find(']', digits);
        if (end != absl::string_view::npos &&
            absl::SimpleAtoi(r.substr(digits, end - digits), &first)) {
          renamed =
              absl::Status(renamed.code(),
                           absl::StrCat(r.substr(0, at), ": duplicates ",
                                        in_stream(first), r.substr(end + 1)));
        }
      }
      return renamed;
    }
    return status;
  }

  KnowledgeGraphService* service_;
  grpc::CallbackServerContext* ctx_;
  kg::v1::ImportStatementsResponse* response_;
  kg::v1::ImportStatementsRequest request_;
  size_t batches_ = 0;  // received so far
  // Before the bulk load begins: the batches joined, and where each starts.
  storage::WriteBatch staged_;
  std::vector<Offsets> offsets_;
  // From then on: the load, and the counts of the parts it took.
  std::unique_ptr<storage::BulkLoader> loader_;
  storage::WriteResult totals_;
  absl::flat_hash_set<std::string> entity_ids_;
  int64_t bytes_ = 0;
};

}  // namespace

namespace {

int PathSlots(const ServiceLimits& limits) {
  if (limits.max_concurrent_path_queries > 0) {
    return limits.max_concurrent_path_queries;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

KnowledgeGraphService::KnowledgeGraphService(storage::Store* store,
                                             ServiceLimits limits,
                                             const Authenticator* auth,
                                             replica::ReplicatedStore* replica)
    : store_(store),
      replica_(replica),
      limits_(limits),
      auth_(auth),
      path_slots_(PathSlots(limits), limits.max_queued_path_queries),
      query_memory_(limits.max_query_memory_bytes,
                    limits.max_total_query_memory_bytes),
      writes_(limits.write_threads) {}

absl::Status KnowledgeGraphService::Authorize(grpc::CallbackServerContext* ctx,
                                              absl::string_view method) const {
  absl::Status status = auth_->Authorize(ctx->client_metadata(), method);
  if (!status.ok()) {
    KG_LOG(kDebug) << "denied " << method << " from " << ctx->peer() << ": "
                   << status.message();
  }
  return status;
}

absl::Status KnowledgeGraphService::Admit(grpc::CallbackServerContext* ctx,
                                          absl::string_view method) const {
  KG_RETURN_IF_ERROR(Authorize(ctx, method));
  const auto& metadata = ctx->client_metadata();
  const auto header = metadata.find(kMinLogPositionHeader);
  if (header == metadata.end()) return absl::OkStatus();
  const absl::string_view text(header->second.data(), header->second.size());
  uint64_t position;
  if (!absl::SimpleAtoi(text, &position)) {
    return absl::InvalidArgumentError(
        absl::StrCat("kg-min-log-position: must be a log position (a decimal "
                     "number), got \"",
                     absl::CEscape(text.substr(0, 40)), "\""));
  }
  if (position == 0) return absl::OkStatus();
  if (replica_ == nullptr) {
    return absl::FailedPreconditionError(
        "kg-min-log-position: this server is not in a replica set; its reads "
        "see every write it acknowledged");
  }
  if (replica_->applied_position() >= position) return absl::OkStatus();
  // A wait holds this gRPC thread: a few at once, no more.
  if (waiting_reads_.fetch_add(1) >= limits_.max_waiting_reads) {
    --waiting_reads_;
    return absl::ResourceExhaustedError(
        absl::StrCat("kg-min-log-position: ", limits_.max_waiting_reads,
                     " calls already wait for this replica to apply a position "
                     "(--max_waiting_reads); retry, or read from the writer"));
  }
  const absl::Time deadline = std::min(absl::FromChrono(ctx->deadline()),
                                       absl::Now() + limits_.default_deadline);
  const absl::Status reached = replica_->AwaitApplied(
      position, deadline, [ctx] { return ctx->IsCancelled(); });
  --waiting_reads_;
  return reached;
}

absl::StatusOr<size_t> KnowledgeGraphService::PageSize(
    int32_t requested) const {
  if (requested < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  if (requested > limits_.max_page_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: at most ", limits_.max_page_size, ", got ", requested));
  }
  return requested == 0 ? limits_.default_page_size : requested;
}

// ---- Entities ----

absl::Status KnowledgeGraphService::WriteEntity(
    bool has_entity, const kg::v1::Entity& entity,
    storage::WriteBatch::EntityMode mode, bool shared_names,
    kg::v1::Entity* response) {
  KG_RETURN_IF_ERROR(Required("entity", has_entity));
  storage::WriteBatch batch;
  batch.entity_mode = mode;
  batch.shared_names = shared_names;
  batch.entities.push_back(FromProto(entity));
  // The only item is entities[0]; name the request's field.
  KG_RETURN_IF_ERROR(storage::WithFieldRenamed(store_->Write(batch).status(),
                                               "entities[0]", "entity"));
  // What is stored now: a create of an identical entity changed nothing.
  KG_ASSIGN_OR_RETURN(storage::Entity stored,
                      store_->NewReader()->GetEntity(batch.entities[0].id));
  ToProto(stored, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* KnowledgeGraphService::CreateEntity(
    Ctx* ctx, const kg::v1::CreateEntityRequest* request,
    kg::v1::Entity* response) {
  return RunUnaryOn(
      writes_, ctx, Admit(ctx, __func__), [this, request, response] {
        return WriteEntity(request->has_entity(), request->entity(),
                           storage::WriteBatch::EntityMode::kCreate,
                           request->shared_names(), response);
      });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::UpdateEntity(
    Ctx* ctx, const kg::v1::UpdateEntityRequest* request,
    kg::v1::Entity* response) {
  return RunUnaryOn(
      writes_, ctx, Admit(ctx, __func__),
      [this, request, response]() -> absl::Status {
        const bool edits = !request->id().empty() || request->has_label() ||
                           request->has_type() ||
                           request->add_aliases_size() > 0 ||
                           request->remove_aliases_size() > 0;
        if (request->has_entity()) {
          if (edits) {
            return absl::InvalidArgumentError(
                "entity: give either the whole entity or id with the changes "
                "(label, type, add_aliases, remove_aliases), not both");
          }
          return WriteEntity(true, request->entity(),
                             storage::WriteBatch::EntityMode::kUpdate,
                             request->shared_names(), response);
        }
        if (request->id().empty()) {
          return absl::InvalidArgumentError(
              "id: required (or entity, to replace a whole entity)");
        }
        storage::EntityEdit edit;
        edit.id = request->id();
        if (request->has_label()) edit.label = request->label();
        if (request->has_type()) edit.type = request->type();
        edit.add_aliases.assign(request->add_aliases().begin(),
                                request->add_aliases().end());
        edit.remove_aliases.assign(request->remove_aliases().begin(),
                                   request->remove_aliases().end());
        storage::WriteBatch batch;
        batch.shared_names = request->shared_names();
        batch.entity_edits.push_back(std::move(edit));
        absl::Status written = store_->Write(batch).status();
        if (!written.ok()) {
          // The request's fields have the edit's names, unprefixed.
          return InRequestTerms(written, "entity_edits[0]", "id");
        }
        KG_ASSIGN_OR_RETURN(storage::Entity stored,
                            store_->NewReader()->GetEntity(request->id()));
        ToProto(stored, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::MergeEntities(
    Ctx* ctx, const kg::v1::MergeEntitiesRequest* request,
    kg::v1::MergeEntitiesResponse* response) {
  return RunUnaryOn(
      writes_, ctx, Admit(ctx, __func__),
      [this, request, response]() -> absl::Status {
        auto reader = store_->NewReader();
        KG_ASSIGN_OR_RETURN(
            storage::Entity from,
            query::ResolveEntity(*reader, "from", request->from()));
        KG_ASSIGN_OR_RETURN(
            storage::Entity into,
            query::ResolveEntity(*reader, "into", request->into()));
        storage::WriteBatch batch;
        batch.merges.push_back({from.id, into.id});
        absl::StatusOr<storage::WriteResult> result = store_->Write(batch);
        if (!result.ok()) {
          return InRequestTerms(result.status(), "merges[0]", "from");
        }
        KG_ASSIGN_OR_RETURN(storage::Entity stored,
                            store_->NewReader()->GetEntity(into.id));
        ToProto(stored, response->mutable_entity());
        response->set_merged_id(from.id);
        response->set_statements_moved(result->statements_moved);
        response->set_provenance_moved(result->provenance_moved);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::DeleteEntity(
    Ctx* ctx, const kg::v1::DeleteEntityRequest* request,
    kg::v1::Entity* response) {
  return RunUnaryOn(
      writes_, ctx, Admit(ctx, __func__),
      [this, request, response]() -> absl::Status {
        auto reader = store_->NewReader();
        KG_ASSIGN_OR_RETURN(
            storage::Entity e,
            query::ResolveEntity(*reader, "name", request->name()));
        storage::WriteBatch batch;
        batch.entity_deletes.push_back(e.id);
        absl::Status written = store_->Write(batch).status();
        if (!written.ok()) {
          return storage::WithFieldRenamed(written, "entity_deletes[0]",
                                           "name");
        }
        ToProto(e, response);
        return absl::OkStatus();
      });
}

namespace {

// The history of the entity `name` names: an id (of any entity, merged and
// deleted ones too), or a current label or alias.
absl::StatusOr<storage::EntityHistory> HistoryOf(storage::Reader& reader,
                                                 const std::string& name) {
  absl::StatusOr<storage::EntityHistory> by_id = reader.GetEntityHistory(name);
  if (by_id.ok() ||
      (by_id.status().code() != absl::StatusCode::kNotFound &&
       by_id.status().code() != absl::StatusCode::kInvalidArgument)) {
    return by_id;
  }
  KG_ASSIGN_OR_RETURN(storage::Entity e,
                      query::ResolveEntity(reader, "name", name));
  return reader.GetEntityHistory(e.id);
}

}  // namespace

grpc::ServerUnaryReactor* KnowledgeGraphService::GetEntityHistory(
    Ctx* ctx, const kg::v1::GetEntityHistoryRequest* request,
    kg::v1::GetEntityHistoryResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    if (request->name().empty()) {
      return absl::InvalidArgumentError("name: must not be empty");
    }
    auto reader = store_->NewReader();
    KG_ASSIGN_OR_RETURN(storage::EntityHistory h,
                        HistoryOf(*reader, request->name()));
    for (const storage::EntityVersion& v : h.versions) {
      ToProto(v, response->add_versions());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::GetEntity(
    Ctx* ctx, const kg::v1::GetEntityRequest* request,
    kg::v1::Entity* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    auto reader = store_->NewReader();
    if (!request->has_as_of()) {
      KG_ASSIGN_OR_RETURN(
          storage::Entity e,
          query::ResolveEntity(*reader, "name", request->name()));
      ToProto(e, response);
      return absl::OkStatus();
    }
    if (!request->as_of().reported_by().empty()) {
      return absl::InvalidArgumentError(
          "as_of.reported_by: an entity's names have no reported date; give "
          "as_of.recorded_at");
    }
    KG_ASSIGN_OR_RETURN(query::TimeTravel when,
                        TimeTravelFrom(request->as_of()));
    if (!when.recorded_at) {
      return absl::InvalidArgumentError("as_of.recorded_at: required");
    }
    if (request->name().empty()) {
      return absl::InvalidArgumentError("name: must not be empty");
    }
    KG_ASSIGN_OR_RETURN(storage::EntityHistory h,
                        HistoryOf(*reader, request->name()));
    const storage::EntityVersion* v = h.AsOf(*when.recorded_at);
    if (v == nullptr || v->state == storage::EntityVersion::State::kDeleted) {
      return absl::NotFoundError(absl::StrCat("as_of.recorded_at: entity '",
                                              EchoValue(h.current().entity.id),
                                              "' did not exist then"));
    }
    if (v->state == storage::EntityVersion::State::kMerged) {
      return absl::NotFoundError(absl::StrCat(
          "as_of.recorded_at: entity '", EchoValue(h.current().entity.id),
          "' had been merged into '", EchoValue(v->merged_into), "' by then"));
    }
    ToProto(v->entity, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ResolveEntity(
    Ctx* ctx, const kg::v1::ResolveEntityRequest* request,
    kg::v1::ResolveEntityResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    if (request->name().empty()) {
      return absl::InvalidArgumentError("name: must not be empty");
    }
    auto reader = store_->NewReader();
    // The reader names the field "name", as the request does.
    KG_ASSIGN_OR_RETURN(std::vector<storage::Entity> found,
                        reader->FindByName(request->name()));
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat("name: no entity named '",
                                              EchoValue(request->name()), "'"));
    }
    for (const auto& e : found) ToProto(e, response->add_candidates());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::SearchEntities(
    Ctx* ctx, const kg::v1::SearchEntitiesRequest* request,
    kg::v1::SearchEntitiesResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(size_t limit, PageSize(request->page_size()));
    auto reader = store_->NewReader();
    KG_ASSIGN_OR_RETURN(storage::EntityPage page,
                        reader->SearchByPrefix(request->prefix(), limit,
                                               request->page_token()));
    for (const auto& e : page.entities) ToProto(e, response->add_entities());
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ListEntities(
    Ctx* ctx, const kg::v1::ListEntitiesRequest* request,
    kg::v1::ListEntitiesResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(size_t limit, PageSize(request->page_size()));
    KG_ASSIGN_OR_RETURN(
        storage::EntityPage page,
        store_->NewReader()->ListEntities(limit, request->page_token()));
    for (const auto& e : page.entities) ToProto(e, response->add_entities());
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

// ---- Relations ----

grpc::ServerUnaryReactor* KnowledgeGraphService::CreateRelation(
    Ctx* ctx, const kg::v1::CreateRelationRequest* request,
    kg::v1::Relation* response) {
  return RunUnaryOn(
      writes_, ctx, Admit(ctx, __func__),
      [this, request, response]() -> absl::Status {
        KG_RETURN_IF_ERROR(Required("relation", request->has_relation()));
        KG_ASSIGN_OR_RETURN(storage::Relation r,
                            FromProto("relation", request->relation()));
        storage::WriteBatch batch;
        batch.entity_mode = request->replace()
                                ? storage::WriteBatch::EntityMode::kReplace
                                : storage::WriteBatch::EntityMode::kCreate;
        batch.relations.push_back(r);
        absl::StatusOr<storage::WriteResult> result = store_->Write(batch);
        if (!result.ok()) {
          return storage::WithFieldRenamed(result.status(), "relations[0]",
                                           "relation");
        }
        ToProto(r, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::GetRelation(
    Ctx* ctx, const kg::v1::GetRelationRequest* request,
    kg::v1::Relation* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    absl::StatusOr<storage::Relation> r =
        store_->NewReader()->GetRelation(request->id());
    if (!r.ok()) {
      return storage::WithFieldRenamed(r.status(), "relation_id", "id");
    }
    ToProto(*r, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ListRelations(
    Ctx* ctx, const kg::v1::ListRelationsRequest*,
    kg::v1::ListRelationsResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(std::vector<storage::Relation> all,
                        store_->NewReader()->ListRelations());
    for (const auto& r : all) ToProto(r, response->add_relations());
    return absl::OkStatus();
  });
}

// ---- Documents ----

grpc::ServerUnaryReactor* KnowledgeGraphService::CreateDocument(
    Ctx* ctx, const kg::v1::CreateDocumentRequest* request,
    kg::v1::Document* response) {
  return RunUnaryOn(
      writes_, ctx, Admit(ctx, __func__),
      [this, request, response]() -> absl::Status {
        KG_RETURN_IF_ERROR(Required("document", request->has_document()));
        KG_ASSIGN_OR_RETURN(storage::Document d,
                            FromProto("document", request->document()));
        storage::WriteBatch batch;
        batch.documents.push_back(d);
        absl::StatusOr<storage::WriteResult> result = store_->Write(batch);
        if (!result.ok()) {
          return storage::WithFieldRenamed(result.status(), "documents[0]",
                                           "document");
        }
        d.text.clear();
        ToProto(d, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::GetDocument(
    Ctx* ctx, const kg::v1::GetDocumentRequest* request,
    kg::v1::Document* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    absl::StatusOr<storage::Document> d =
        store_->NewReader()->GetDocument(request->id());
    if (!d.ok()) {
      return storage::WithFieldRenamed(d.status(), "document_id", "id");
    }
    if (!request->include_text()) d->text.clear();
    ToProto(*d, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ListDocuments(
    Ctx* ctx, const kg::v1::ListDocumentsRequest* request,
    kg::v1::ListDocumentsResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(size_t limit, PageSize(request->page_size()));
    KG_ASSIGN_OR_RETURN(storage::DocumentPage page,
                        store_->NewReader()->ListDocuments(
                            false, limit, request->page_token()));
    for (const auto& d : page.documents) ToProto(d, response->add_documents());
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

// ---- Statements ----

absl::StatusOr<storage::WriteResult> KnowledgeGraphService::ApplyBatch(
    const kg::v1::WriteStatementsRequest& request) {
  storage::WriteBatch batch;
  KG_RETURN_IF_ERROR(ConvertBatch(
      request, [](absl::string_view) { return false; }, &batch));
  return store_->Write(batch);
}

absl::Status KnowledgeGraphService::ConvertBatch(
    const kg::v1::WriteStatementsRequest& request,
    const std::function<bool(absl::string_view)>& defined,
    storage::WriteBatch* out) {
  const int64_t items = int64_t{request.entities_size()} +
                        request.relations_size() + request.documents_size() +
                        request.statements_size();
  if (items > limits_.max_batch_items) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "statements: the batch has ", items, " items; at most ",
        limits_.max_batch_items, " (--max_batch_items) are allowed"));
  }
  storage::WriteBatch& batch = *out;
  if (request.replace_vocabulary()) {
    batch.entity_mode = storage::WriteBatch::EntityMode::kReplace;
  }
  if (request.shared_names()) batch.shared_names = true;
  // Errors name the items of this request, whatever `out` holds already.
  const size_t first_entity = batch.entities.size();
  for (const auto& e : request.entities())
    batch.entities.push_back(FromProto(e));
  absl::flat_hash_set<std::string> new_ids;
  for (size_t i = first_entity; i < batch.entities.size(); ++i) {
    new_ids.insert(batch.entities[i].id);
  }
  for (int i = 0; i < request.relations_size(); ++i) {
    KG_ASSIGN_OR_RETURN(
        storage::Relation r,
        FromProto(absl::StrCat("relations[", i, "]"), request.relations(i)));
    batch.relations.push_back(std::move(r));
  }
  for (int i = 0; i < request.documents_size(); ++i) {
    KG_ASSIGN_OR_RETURN(
        storage::Document d,
        FromProto(absl::StrCat("documents[", i, "]"), request.documents(i)));
    batch.documents.push_back(std::move(d));
  }
  auto reader = store_->NewReader();
  const auto is_new = [&](absl::string_view id) {
    return new_ids.contains(id) || defined(id);
  };
  for (int i = 0; i < request.statements_size(); ++i) {
    const std::string field = absl::StrCat("statements[", i, "]");
    const kg::v1::StatementInput& in = request.statements(i);
    KG_RETURN_IF_ERROR(
        Required(absl::StrCat(field, ".triple"), in.has_triple()));
    storage::StatementInput st;
    KG_ASSIGN_OR_RETURN(st.triple,
                        FromProto(absl::StrCat(field, ".triple"), in.triple()));
    KG_RETURN_IF_ERROR(
        query::ResolveTermNames(*reader, absl::StrCat(field, ".triple.subject"),
                                &st.triple.subject, is_new));
    KG_RETURN_IF_ERROR(
        query::ResolveTermNames(*reader, absl::StrCat(field, ".triple.object"),
                                &st.triple.object, is_new));
    for (int j = 0; j < in.provenance_size(); ++j) {
      KG_ASSIGN_OR_RETURN(storage::ProvenanceInput p,
                          FromProto(absl::StrCat(field, ".provenance[", j, "]"),
                                    in.provenance(j)));
      st.provenance.push_back(std::move(p));
    }
    batch.statements.push_back(std::move(st));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* KnowledgeGraphService::WriteStatements(
    Ctx* ctx, const kg::v1::WriteStatementsRequest* request,
    kg::v1::WriteStatementsResponse* response) {
  return RunUnaryOn(writes_, ctx, Admit(ctx, __func__),
                    [this, request, response]() -> absl::Status {
                      KG_ASSIGN_OR_RETURN(storage::WriteResult r,
                                          ApplyBatch(*request));
                      ToProto(r, response);
                      return EchoStatements(*request, response);
                    });
}

absl::Status KnowledgeGraphService::EchoStatements(
    const kg::v1::WriteStatementsRequest& request,
    kg::v1::WriteStatementsResponse* response) {
  auto reader = store_->NewReader();
  for (int i = 0; i < response->statement_ids_size(); ++i) {
    absl::StatusOr<storage::Statement> st =
        reader->GetStatement(response->statement_ids(i));
    if (!st.ok()) return st.status();
    kg::v1::Statement* out = response->add_statements();
    KG_RETURN_IF_ERROR(
        StatementToProto(*reader, *st, /*include_provenance=*/true, out));
    // Only the records this request gave (as stored: spans located).
    const kg::v1::StatementInput& in = request.statements(i);
    auto given = [&](const kg::v1::Provenance& p) {
      for (const kg::v1::Provenance& q : in.provenance()) {
        if (q.document_id() == p.document_id() &&
            q.evidence() == p.evidence()) {
          return true;
        }
      }
      return false;
    };
    google::protobuf::RepeatedPtrField<kg::v1::Provenance> kept;
    for (const kg::v1::Provenance& p : out->provenance()) {
      if (given(p)) *kept.Add() = p;
    }
    out->mutable_provenance()->Swap(&kept);
  }
  return absl::OkStatus();
}

grpc::ServerBidiReactor<IngestStatementsRequest, IngestStatementsResponse>*
KnowledgeGraphService::IngestStatements(Ctx* ctx) {
  return new IngestReactor(this, Admit(ctx, __func__));
}

grpc::ServerReadReactor<kg::v1::ImportStatementsRequest>*
KnowledgeGraphService::ImportStatements(
    Ctx* ctx, kg::v1::ImportStatementsResponse* response) {
  return new ImportReactor(this, ctx, Admit(ctx, __func__), response);
}

grpc::ServerUnaryReactor* KnowledgeGraphService::GetStatement(
    Ctx* ctx, const kg::v1::GetStatementRequest* request,
    kg::v1::Statement* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    auto reader = store_->NewReader();
    KG_ASSIGN_OR_RETURN(std::string id, StatementIdFrom(*reader, "statement",
                                                        request->statement()));
    absl::StatusOr<storage::Statement> st = reader->GetStatement(id);
    if (!st.ok()) {
      return storage::WithFieldRenamed(st.status(), "statement_id",
                                       "statement");
    }
    return StatementToProto(*reader, *st, request->include_provenance(),
                            response);
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::MatchStatements(
    Ctx* ctx, const kg::v1::MatchStatementsRequest* request,
    kg::v1::MatchStatementsResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(size_t limit, PageSize(request->page_size()));
    auto reader = store_->NewReader();
    KG_ASSIGN_OR_RETURN(
        storage::Pattern pattern,
        PatternFrom(*reader,
                    request->has_subject() ? &request->subject() : nullptr,
                    request->relation(),
                    request->has_object() ? &request->object() : nullptr));
    storage::MatchOptions options;
    options.limit = limit;
    options.page_token = request->page_token();
    if (!request->document_id().empty()) {
      options.document_id = request->document_id();
    }
    options.min_confidence = request->min_confidence();
    options.include_quoted = request->include_quoted();
    KG_ASSIGN_OR_RETURN(storage::MatchPage page,
                        query::MatchBothWays(*reader, pattern, options));
    for (const storage::Statement& s : page.statements) {
      KG_RETURN_IF_ERROR(StatementToProto(*reader, s,
                                          request->include_provenance(),
                                          response->add_statements()));
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ListStatements(
    Ctx* ctx, const kg::v1::ListStatementsRequest* request,
    kg::v1::ListStatementsResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(size_t limit, PageSize(request->page_size()));
    auto reader = store_->NewReader();
    KG_ASSIGN_OR_RETURN(storage::MatchPage page,
                        reader->ListStatements(limit, request->page_token(),
                                               request->include_quoted()));
    for (const storage::Statement& s : page.statements) {
      KG_RETURN_IF_ERROR(StatementToProto(*reader, s,
                                          request->include_provenance(),
                                          response->add_statements()));
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::CountStatements(
    Ctx* ctx, const kg::v1::CountStatementsRequest* request,
    kg::v1::CountStatementsResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    auto reader = store_->NewReader();
    KG_ASSIGN_OR_RETURN(
        storage::Pattern pattern,
        PatternFrom(*reader,
                    request->has_subject() ? &request->subject() : nullptr,
                    request->relation(),
                    request->has_object() ? &request->object() : nullptr));
    // Counted as MatchStatements matches: symmetric relations both ways.
    KG_ASSIGN_OR_RETURN(
        uint64_t n, query::CountBothWays(*reader, pattern, request->exact()));
    response->set_count(n);
    response->set_exact(request->exact());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::RetractProvenance(
    Ctx* ctx, const kg::v1::RetractProvenanceRequest* request,
    kg::v1::RetractProvenanceResponse* response) {
  return RunUnaryOn(
      writes_, ctx, Admit(ctx, __func__),
      [this, request, response]() -> absl::Status {
        KG_ASSIGN_OR_RETURN(
            storage::RetractResult r,
            store_->Retract(request->statement_id(), request->document_id()));
        response->set_provenance_retracted(r.provenance_retracted);
        response->set_statement_removed(r.statement_removed);
        return absl::OkStatus();
      });
}

// ---- Operations ----

grpc::ServerUnaryReactor* KnowledgeGraphService::GetStats(
    Ctx* ctx, const kg::v1::GetStatsRequest*,
    kg::v1::GetStatsResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(storage::StoreStats stats,
                        store_->NewReader()->Stats());
    ToProto(stats, response->mutable_stats());
    response->mutable_stats()->set_base_iri(store_->base_iri());
    *response->mutable_now() =
        google::protobuf::util::TimeUtil::GetCurrentTime();
    return absl::OkStatus();
  });
}

namespace {

// The longest path a request may name, and the longest name in it
// (Linux's PATH_MAX and NAME_MAX): longer ones are the client's mistake,
// not an I/O error of the store.
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxNameBytes = 255;

// A directory named by a request: an absolute path without NUL bytes, so
// that what it names does not depend on the server's working directory.
absl::Status ValidateDirectory(absl::string_view field,
                               const std::string& dir) {
  if (dir.empty()) return Required(field, false);
  if (dir.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": contains a NUL byte"));
  }
  if (dir.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must be an absolute path on the server's machine, got '",
        EchoValue(dir), "'"));
  }
  if (dir.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": a path of ", dir.size(), " bytes; at most ", kMaxPathBytes));
  }
  for (absl::string_view name : absl::StrSplit(dir, '/')) {
    if (name.size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": a name of ", name.size(),
                       " bytes in the path; at most ", kMaxNameBytes));
    }
  }
  return absl::OkStatus();
}

// Verification stops when the call is cancelled or past its deadline, and
// so when Shutdown's drain time is up.
std::function<bool()> CallEnded(grpc::CallbackServerContext* ctx) {
  return [ctx] {
    return ctx->IsCancelled() ||
           absl::FromChrono(ctx->deadline()) < absl::Now();
  };
}

absl::Status VerifyDirectoryInto(grpc::CallbackServerContext* ctx,
                                 const std::string& dir,
                                 kg::v1::VerifyStoreResponse* response) {
  absl::StatusOr<storage::VerifyReport> report =
      storage::Store::VerifyDirectory(dir, CallEnded(ctx));
  // Storage's messages start with "directory: ", the request's field.
  if (!report.ok()) return report.status();
  ToProto(*report, response);
  response->set_directory(dir);
  return absl::OkStatus();
}

}  // namespace

namespace {

// A backup flushes the store and opens files in the live store's
// directory; if the process is short of descriptors, a file the flush
// cannot open turns the live store read-only until it resumes. So a backup
// is not started then: better a refused backup than a refused write.
absl::Status CheckBackupDescriptors() {
  constexpr int64_t kBackupDescriptors = 32;
  const int64_t free = FreeDescriptors();
  if (free < 0 || free >= kBackupDescriptors) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "backup not started: only ", free,
      " file descriptors are free and a backup needs ", kBackupDescriptors,
      "; try again once connections have closed (docs/operations.md, "
      "\"Descriptors\")"));
}

}  // namespace

grpc::ServerUnaryReactor* KnowledgeGraphService::CreateBackup(
    Ctx* ctx, const kg::v1::CreateBackupRequest* request,
    kg::v1::CreateBackupResponse* response) {
  return RunUnaryOn(maintenance_, ctx, Admit(ctx, __func__),
                    [this, ctx, request, response]() -> absl::Status {
                      const std::string& dir = request->directory();
                      KG_RETURN_IF_ERROR(ValidateDirectory("directory", dir));
                      std::error_code ec;
                      if (std::filesystem::exists(dir, ec)) {
                        return absl::FailedPreconditionError(absl::StrCat(
                            "directory: ", EchoValue(dir), " already exists"));
                      }
                      std::filesystem::path path =
                          std::filesystem::path(dir).lexically_normal();
                      if (!path.has_filename())
                        path = path.parent_path();  // "/a/b/"
                      const std::filesystem::path parent = path.parent_path();
                      if (!std::filesystem::is_directory(parent, ec)) {
                        return absl::FailedPreconditionError(absl::StrCat(
                            "directory: the parent directory ",
                            EchoValue(parent.string()), " does not exist"));
                      }
                      KG_RETURN_IF_ERROR(CheckBackupDescriptors());
                      KG_RETURN_IF_ERROR(store_->Checkpoint(dir));
                      response->set_directory(dir);
                      KG_ASSIGN_OR_RETURN(storage::StoreStats stats,
                                          store_->NewReader()->Stats());
                      ToProto(stats, response->mutable_stats());
                      if (request->verify()) {
                        KG_RETURN_IF_ERROR(VerifyDirectoryInto(
                            ctx, dir, response->mutable_verification()));
                      }
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::VerifyStore(
    Ctx* ctx, const kg::v1::VerifyStoreRequest* request,
    kg::v1::VerifyStoreResponse* response) {
  return RunUnaryOn(maintenance_, ctx, Admit(ctx, __func__),
                    [this, ctx, request, response]() -> absl::Status {
                      const std::string& dir = request->directory();
                      if (!dir.empty()) {
                        KG_RETURN_IF_ERROR(ValidateDirectory("directory", dir));
                        return VerifyDirectoryInto(ctx, dir, response);
                      }
                      KG_ASSIGN_OR_RETURN(storage::VerifyReport report,
                                          store_->Verify(CallEnded(ctx)));
                      ToProto(report, response);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::GetClusterStatus(
    Ctx* ctx, const kg::v1::GetClusterStatusRequest*,
    kg::v1::GetClusterStatusResponse* response) {
  // Reads etcd: on a pool, not a gRPC thread.
  return RunUnaryOn(
      cluster_, ctx, Admit(ctx, __func__), [this, response]() -> absl::Status {
        if (replica_ == nullptr) {
          return absl::FailedPreconditionError(
              "this server is not in a replica set (kg-server "
              "--etcd_endpoints, docs/replicas.md)");
        }
        absl::StatusOr<replica::ClusterView> view = replica_->Cluster();
        if (!view.ok() &&
            view.status().code() == absl::StatusCode::kUnavailable) {
          KG_LOG(kError) << "GetClusterStatus: " << view.status().message();
          absl::Status unavailable = absl::UnavailableError(
              "the replica set's etcd cannot be reached; retry (the server "
              "log has the details)");
          unavailable.SetPayload(replica::kWriterPayload, absl::Cord());
          return unavailable;
        }
        if (!view.ok()) return view.status();  // logged as internal
        response->set_cluster(view->cluster);
        response->set_member(view->member);
        if (view->writer.has_value()) {
          response->set_writer_member(view->writer->member);
          response->set_writer_address(view->writer->address);
          response->set_term(view->writer->term);
        }
        response->set_log_end(view->log_end);
        response->set_log_start(view->log_start);
        for (const replica::ReplicaLog::Member& m : view->members) {
          kg::v1::ClusterMember* out = response->add_members();
          out->set_member(m.member);
          out->set_address(m.address);
          out->set_applied_position(m.applied);
          out->set_lag(view->log_end > m.applied ? view->log_end - m.applied
                                                 : 0);
          out->set_writer(view->writer.has_value() &&
                          view->writer->member == m.member);
        }
        return absl::OkStatus();
      });
}

}  // namespace kg::server
