#include "client/importer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "client/format.h"
#include "client/record_reader.h"

namespace kg::client {

namespace {

// A batch is sent once it holds this many bytes, whatever --batch-size
// says, to stay under the server's message limit (16 MiB by default).
constexpr size_t kMaxBatchBytes = 4 << 20;
// Skipped lines reported one by one; the rest only counted.
constexpr uint64_t kMaxSkippedShown = 20;

// Splits "statements[12].triple..." into ("statements", 12).
bool BlamedItem(absl::string_view message, std::string* kind, int* index) {
  const size_t open = message.find('[');
  const size_t close = message.find(']');
  if (open == absl::string_view::npos || close == absl::string_view::npos ||
      close < open) {
    return false;
  }
  *kind = std::string(message.substr(0, open));
  return absl::SimpleAtoi(message.substr(open + 1, close - open - 1), index);
}

// "statements[3].triple.subject: ..." without "statements[3].", once the
// item is named by its line.
std::string WithoutItemPrefix(const std::string& message) {
  const size_t close = message.find(']');
  if (close == std::string::npos) return message;
  size_t from = close + 1;
  if (from < message.size() && message[from] == '.') ++from;
  return message.substr(from);
}

template <typename T>
void EraseAt(google::protobuf::RepeatedPtrField<T>* field,
             std::vector<int64_t>* lines, int index) {
  field->DeleteSubrange(index, 1);
  lines->erase(lines->begin() + index);
}

}  // namespace

Importer::Importer(Connection& conn, ImportOptions options)
    : conn_(conn), options_(std::move(options)) {
  name_ = options_.path == "-" ? "stdin" : options_.path;
}

Importer::~Importer() = default;

int Importer::Run() {
  std::FILE* in = stdin;
  uint64_t total = 0;
  if (options_.path != "-") {
    in = std::fopen(options_.path.c_str(), "rb");
    if (in == nullptr) {
      return Fail(kExitInvalid,
                  absl::StrCat("import: cannot open ", options_.path));
    }
    struct stat st {};
    if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) total = st.st_size;
  }
  progress_ = std::make_unique<Progress>(options_.progress, total);

  int rc = kExitOk;
  grpc::Status connected = conn_.WaitForConnected();
  if (!connected.ok()) {
    rc = ReportError(connected, conn_.server());
  } else {
    context_ = conn_.StreamContext();
    stream_ = conn_.kg().IngestStatements(context_.get());
    rc = options_.format == ImportFormat::kJsonl ? ReadJsonl(in) : ReadRdf(in);
    if (rc == kExitOk) rc = Flush();
    if (rc == kExitOk) {
      stream_->WritesDone();
      grpc::Status status = stream_->Finish();
      if (!status.ok()) {
        progress_->Clear();
        rc = ReportError(status, conn_.server(), "IngestStatements");
      }
    } else if (stream_ != nullptr) {
      context_->TryCancel();
    }
  }
  if (in != stdin) std::fclose(in);
  progress_->Clear();
  if (rc == kExitOk && options_.format != ImportFormat::kJsonl &&
      result_.records == 0 && result_.plain_triples > 0) {
    return Fail(kExitInvalid,
                absl::StrCat("import: ", result_.plain_triples,
                             " data triples but no provenance records: kg "
                             "stores only statements with a document and "
                             "evidence (kg's RDF mapping: docs/cli.md)"));
  }
  if (result_.skipped > skipped_shown_) {
    std::fprintf(
        stderr, "kgctl: import: %llu more skipped lines not shown\n",
        static_cast<unsigned long long>(result_.skipped - skipped_shown_));
  }
  return rc;
}

int Importer::ReadJsonl(std::FILE* in) {
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n;
  int rc = kExitOk;
  int64_t line = 0;
  while (rc == kExitOk && (n = getline(&buf, &cap, in)) >= 0) {
    ++line;
    ++result_.lines;
    bytes_read_ += n;
    progress_->Update(bytes_read_, result_.records);
    ReadJsonlLine(absl::string_view(buf, n), line, &items_);
    rc = ProcessItems();
  }
  std::free(buf);
  if (rc == kExitOk && std::ferror(in)) {
    return Fail(kExitFailure,
                absl::StrCat("import: cannot read ", options_.path));
  }
  return rc;
}

int Importer::ProcessItems() {
  int rc = kExitOk;
  for (rdf::Item& item : items_) {
    if (rc != kExitOk) break;
    if (item.record.has_value()) {
      rc = Add(*std::move(item.record), item.line);
    } else {
      rc = LineError(item.line, item.error);
    }
  }
  items_.clear();
  return rc;
}

int Importer::ReadRdf(std::FILE* in) {
  RdfLineReader reader(options_.format == ImportFormat::kNQuads);
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n;
  int rc = kExitOk;
  int64_t line = 0;
  while (rc == kExitOk && (n = getline(&buf, &cap, in)) >= 0) {
    ++line;
    ++result_.lines;
    bytes_read_ += n;
    progress_->Update(bytes_read_, result_.records);
    reader.ReadLine(absl::string_view(buf, n), line, &items_);
    rc = ProcessItems();
  }
  std::free(buf);
  if (rc != kExitOk) return rc;
  reader.Finish(&items_);
  rc = ProcessItems();
  result_.plain_triples = reader.plain_triples();
  if (rc == kExitOk && std::ferror(in)) {
    return Fail(kExitFailure,
                absl::StrCat("import: cannot read ", options_.path));
  }
  return rc;
}

int Importer::LineError(int64_t line, const std::string& reason) {
  progress_->Clear();
  if (!options_.skip_invalid) {
    return Fail(kExitInvalid, absl::StrCat("import: ", name_, " line ", line,
                                           ": ", OneLine(reason)));
  }
  ++result_.skipped;
  if (skipped_shown_ < kMaxSkippedShown) {
    ++skipped_shown_;
    std::fprintf(stderr, "kgctl: import: %s line %lld skipped: %s\n",
                 name_.c_str(), static_cast<long long>(line),
                 OneLine(reason).c_str());
  }
  return kExitOk;
}

int Importer::Add(kg::v1::Record record, int64_t line) {
  batch_.bytes += record.ByteSizeLong();
  kg::v1::WriteStatementsRequest& req = batch_.request;
  switch (record.record_case()) {
    case kg::v1::Record::kEntity:
      *req.add_entities() = std::move(*record.mutable_entity());
      batch_.entity_lines.push_back(line);
      break;
    case kg::v1::Record::kRelation:
      *req.add_relations() = std::move(*record.mutable_relation());
      batch_.relation_lines.push_back(line);
      break;
    case kg::v1::Record::kDocument:
      *req.add_documents() = std::move(*record.mutable_document());
      batch_.document_lines.push_back(line);
      break;
    case kg::v1::Record::kStatement:
      *req.add_statements() = std::move(*record.mutable_statement());
      batch_.statement_lines.push_back(line);
      break;
    default:
      return kExitOk;
  }
  if (batch_.items() >= options_.batch_size || batch_.bytes >= kMaxBatchBytes) {
    return Flush();
  }
  return kExitOk;
}

int Importer::StreamFailed() {
  progress_->Clear();
  grpc::Status status = stream_->Finish();
  stream_.reset();
  if (status.ok()) {
    return Fail(kExitFailure, "import: the server closed the stream early");
  }
  return ReportError(status, conn_.server(), "IngestStatements");
}

int Importer::Flush() {
  while (batch_.items() > 0) {
    kg::v1::IngestStatementsRequest req;
    req.set_batch_id(next_batch_id_++);
    req.mutable_batch()->Swap(&batch_.request);
    const bool sent = stream_->Write(req);
    req.mutable_batch()->Swap(&batch_.request);
    if (!sent) return StreamFailed();
    kg::v1::IngestStatementsResponse ack;
    if (!stream_->Read(&ack)) return StreamFailed();
    if (ack.code() == 0) {
      ++result_.batches;
      const auto& r = batch_.request;
      result_.entities += r.entities_size();
      result_.relations += r.relations_size();
      result_.documents += r.documents_size();
      result_.statements += r.statements_size();
      result_.records += batch_.items();
      result_.statements_created += ack.result().statements_created();
      result_.provenance_added += ack.result().provenance_added();
      result_.provenance_unchanged += ack.result().provenance_unchanged();
      batch_ = Batch();
      progress_->Update(bytes_read_, result_.records);
      return kExitOk;
    }
    // Rejected: nothing of the batch was written.
    int64_t first = std::numeric_limits<int64_t>::max(), last = 0;
    for (const auto* lines :
         {&batch_.entity_lines, &batch_.relation_lines, &batch_.document_lines,
          &batch_.statement_lines}) {
      for (int64_t l : *lines) {
        first = std::min(first, l);
        last = std::max(last, l);
      }
    }
    std::string kind;
    int index = -1;
    std::vector<int64_t>* lines = nullptr;
    if (BlamedItem(ack.message(), &kind, &index)) {
      if (kind == "entities") lines = &batch_.entity_lines;
      if (kind == "relations") lines = &batch_.relation_lines;
      if (kind == "documents") lines = &batch_.document_lines;
      if (kind == "statements") lines = &batch_.statement_lines;
      if (lines != nullptr && (index < 0 || index >= (int)lines->size())) {
        lines = nullptr;
      }
    }
    const auto code = static_cast<grpc::StatusCode>(ack.code());
    const bool data_error = code == grpc::StatusCode::INVALID_ARGUMENT ||
                            code == grpc::StatusCode::NOT_FOUND ||
                            code == grpc::StatusCode::ALREADY_EXISTS ||
                            code == grpc::StatusCode::FAILED_PRECONDITION ||
                            code == grpc::StatusCode::OUT_OF_RANGE;
    std::string message = OneLine(ack.message());
    if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      absl::StrAppend(&message, " (lower --batch-size)");
    }
    if (!options_.skip_invalid || !data_error) {
      progress_->Clear();
      std::string where;
      if (lines != nullptr) {
        where = absl::StrCat(" line ", (*lines)[index]);
        message = WithoutItemPrefix(message);
      }
      Fail(kExitInvalid,
           absl::StrCat("import: ", name_, where, ": ", message,
                        " (the server rejected the batch of lines ", first, "-",
                        last, "; none of it was written)"));
      const int rc = ExitCodeFor(code);
      return data_error || rc == kExitFailure ? kExitInvalid : rc;
    }
    if (lines == nullptr) {
      // Cannot tell which item: skip the whole batch.
      const uint64_t n = batch_.items();
      int rc = LineError(first, absl::StrCat("batch of lines ", first, "-",
                                             last, " rejected: ", message));
      result_.skipped += n - 1;
      batch_ = Batch();
      return rc;
    }
    const int64_t line = (*lines)[index];
    message = WithoutItemPrefix(message);
    if (kind == "entities") {
      EraseAt(batch_.request.mutable_entities(), lines, index);
    } else if (kind == "relations") {
      EraseAt(batch_.request.mutable_relations(), lines, index);
    } else if (kind == "documents") {
      EraseAt(batch_.request.mutable_documents(), lines, index);
    } else {
      EraseAt(batch_.request.mutable_statements(), lines, index);
    }
    int rc = LineError(line, message);
    if (rc != kExitOk) return rc;
  }
  return kExitOk;
}

}  // namespace kg::client
