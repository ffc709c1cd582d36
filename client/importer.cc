#include "client/importer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdarg>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "client/format.h"
#include "google/protobuf/util/json_util.h"
#include "serd/serd.h"

namespace kg::client {

namespace {

// A batch is sent once it holds this many bytes, whatever --batch-size
// says, to stay under the server's message limit (16 MiB by default).
constexpr size_t kMaxBatchBytes = 4 << 20;
// Skipped lines reported one by one; the rest only counted.
constexpr uint64_t kMaxSkippedShown = 20;

std::string FirstLine(absl::string_view text) {
  return OneLine(text.substr(0, text.find('\n')));
}

rdf::Term ToTerm(const SerdNode* node, const SerdNode* datatype,
                 const SerdNode* lang) {
  rdf::Term t;
  t.value.assign(reinterpret_cast<const char*>(node->buf), node->n_bytes);
  switch (node->type) {
    case SERD_BLANK:
      t.kind = rdf::Term::Kind::kBlank;
      break;
    case SERD_LITERAL:
      t.kind = rdf::Term::Kind::kLiteral;
      if (datatype != nullptr && datatype->type != SERD_NOTHING) {
        t.datatype.assign(reinterpret_cast<const char*>(datatype->buf),
                          datatype->n_bytes);
      }
      if (lang != nullptr && lang->type != SERD_NOTHING) {
        t.language.assign(reinterpret_cast<const char*>(lang->buf),
                          lang->n_bytes);
      }
      break;
    default:
      t.kind = rdf::Term::Kind::kIri;
      break;
  }
  return t;
}

SerdStatus OnStatement(void* handle, SerdStatementFlags, const SerdNode* graph,
                       const SerdNode* subject, const SerdNode* predicate,
                       const SerdNode* object, const SerdNode* datatype,
                       const SerdNode* lang) {
  auto* importer = static_cast<Importer*>(handle);
  const rdf::Term s = ToTerm(subject, nullptr, nullptr);
  const rdf::Term p = ToTerm(predicate, nullptr, nullptr);
  const rdf::Term o = ToTerm(object, datatype, lang);
  if (graph != nullptr && graph->type != SERD_NOTHING) {
    const rdf::Term g = ToTerm(graph, nullptr, nullptr);
    importer->OnTriple(s, p, o, &g);
  } else {
    importer->OnTriple(s, p, o, nullptr);
  }
  return SERD_SUCCESS;
}

SerdStatus OnError(void* handle, const SerdError* error) {
  char buf[512];
  va_list args;
  va_copy(args, *error->args);
  std::vsnprintf(buf, sizeof(buf), error->fmt, args);
  va_end(args);
  std::string message = absl::StrCat(absl::StripAsciiWhitespace(buf),
                                     " (column ", error->col, ")");
  static_cast<Importer*>(handle)->OnSyntaxError(std::move(message));
  return SERD_SUCCESS;
}

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
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  int64_t line = 0;
  while (rc == kExitOk && (n = getline(&buf, &cap, in)) >= 0) {
    ++line;
    ++result_.lines;
    bytes_read_ += n;
    absl::string_view text(buf, n);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.remove_suffix(1);
    }
    progress_->Update(bytes_read_, result_.records);
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    size_t bad = 0;
    if (!IsValidUtf8(text, &bad)) {
      rc = LineError(line, absl::StrCat("invalid UTF-8 at byte ", bad + 1));
      continue;
    }
    kg::v1::Record record;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &record,
        parse);
    if (!status.ok()) {
      rc =
          LineError(line, absl::StrCat("not a kg.v1.Record in JSON: ",
                                       FirstLine(status.message().ToString())));
      continue;
    }
    if (record.record_case() == kg::v1::Record::RECORD_NOT_SET) {
      rc = LineError(line,
                     "empty record: expected one of entity, relation, "
                     "document, statement");
      continue;
    }
    rc = Add(std::move(record), line);
  }
  std::free(buf);
  if (rc == kExitOk && std::ferror(in)) {
    return Fail(kExitFailure,
                absl::StrCat("import: cannot read ", options_.path));
  }
  return rc;
}

void Importer::OnTriple(const rdf::Term& s, const rdf::Term& p,
                        const rdf::Term& o, const rdf::Term* graph) {
  builder_.Add(s, p, o, graph, line_, &items_);
}

void Importer::OnSyntaxError(std::string message) {
  if (syntax_error_.empty()) syntax_error_ = std::move(message);
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
  SerdReader* reader = serd_reader_new(
      options_.format == ImportFormat::kNQuads ? SERD_NQUADS : SERD_NTRIPLES,
      this, nullptr, nullptr, nullptr, &OnStatement, nullptr);
  serd_reader_set_strict(reader, true);
  serd_reader_set_error_sink(reader, &OnError, this);
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n;
  int rc = kExitOk;
  std::string text;
  while (rc == kExitOk && (n = getline(&buf, &cap, in)) >= 0) {
    ++line_;
    ++result_.lines;
    bytes_read_ += n;
    text.assign(buf, n);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    progress_->Update(bytes_read_, result_.records);
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    size_t bad = 0;
    if (!IsValidUtf8(text, &bad)) {
      rc = LineError(line_, absl::StrCat("invalid UTF-8 at byte ", bad + 1));
      continue;
    }
    if (text.find('\0') != std::string::npos) {
      rc = LineError(line_, "NUL byte");
      continue;
    }
    text += '\n';
    syntax_error_.clear();
    const SerdStatus st = serd_reader_read_string(
        reader, reinterpret_cast<const uint8_t*>(text.c_str()));
    rc = ProcessItems();
    if (rc == kExitOk && (st > SERD_FAILURE || !syntax_error_.empty())) {
      rc = LineError(
          line_, absl::StrCat("RDF syntax error: ",
                              syntax_error_.empty() ? std::string("unreadable")
                                                    : syntax_error_));
    }
  }
  std::free(buf);
  serd_reader_free(reader);
  if (rc != kExitOk) return rc;
  builder_.Finish(&items_);
  rc = ProcessItems();
  result_.plain_triples = builder_.plain_triples();
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
