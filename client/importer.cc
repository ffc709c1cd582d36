#include "client/importer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli.h"
#include "client/format.h"
#include "client/rdf_mapping.h"
#include "client/record_reader.h"

namespace kg::client {

namespace {

// A batch is sent once it holds this many bytes, whatever --batch-size
// says, to stay under the server's message limit (16 MiB by default).
constexpr size_t kMaxBatchBytes = 4 << 20;
// Skipped lines reported one by one; the rest only counted.
constexpr uint64_t kMaxSkippedShown = 20;
// With skip_invalid, how often the import is sent again without the items
// the server rejected.
constexpr int kMaxRetries = 50;

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
std::string WithoutItemPrefix(absl::string_view message) {
  const size_t close = message.find(']');
  if (close == absl::string_view::npos) return std::string(message);
  size_t from = close + 1;
  if (from < message.size() && message[from] == '.') ++from;
  return std::string(message.substr(from));
}

// "wordnet" for ".../WordNet-3.0.nt".
rdf::Format RdfFormat(ImportFormat f) {
  switch (f) {
    case ImportFormat::kNQuads:
      return rdf::Format::kNQuads;
    case ImportFormat::kTurtle:
      return rdf::Format::kTurtle;
    case ImportFormat::kTriG:
      return rdf::Format::kTriG;
    default:
      return rdf::Format::kNTriples;
  }
}

// "line 12, column 5: what" -> (12, 5, "what").
void SplitPosition(absl::string_view message, int64_t* line, int64_t* column,
                   std::string* what) {
  *what = std::string(message);
  if (!absl::ConsumePrefix(&message, "line ")) return;
  const size_t comma = message.find(", column ");
  if (comma == absl::string_view::npos) return;
  const size_t colon = message.find(": ", comma);
  if (colon == absl::string_view::npos) return;
  if (!absl::SimpleAtoi(message.substr(0, comma), line)) return;
  if (!absl::SimpleAtoi(message.substr(comma + 9, colon - comma - 9), column)) {
    return;
  }
  *what = std::string(message.substr(colon + 2));
}

}  // namespace

std::string SlugOfFile(absl::string_view path) {
  if (path == "-") return "stdin";
  path = path.substr(path.rfind('/') + 1);
  path = path.substr(0, path.find('.'));
  std::string out;
  for (char c : path) {
    const char l = absl::ascii_tolower(c);
    if (absl::ascii_isalnum(l)) {
      out += l;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "import" : out.substr(0, 128);
}

std::string FileUrl(absl::string_view path) {
  if (path == "-") return "";
  char buf[4096];
  std::string abs(path);
  if (!absl::StartsWith(path, "/") && getcwd(buf, sizeof(buf)) != nullptr) {
    abs = absl::StrCat(buf, "/", path);
  }
  std::string out = "file://";
  for (unsigned char c : abs) {
    if (absl::ascii_isalnum(c) || absl::StrContains("/-._~", c)) {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

ImportFormat ImportFormatFor(const std::string& flag, const std::string& path) {
  const std::string format = !flag.empty()                   ? flag
                             : absl::EndsWith(path, ".nt")   ? "nt"
                             : absl::EndsWith(path, ".nq")   ? "nq"
                             : absl::EndsWith(path, ".ttl")  ? "ttl"
                             : absl::EndsWith(path, ".trig") ? "trig"
                                                             : "jsonl";
  return format == "nt"     ? ImportFormat::kNTriples
         : format == "nq"   ? ImportFormat::kNQuads
         : format == "ttl"  ? ImportFormat::kTurtle
         : format == "trig" ? ImportFormat::kTriG
                            : ImportFormat::kJsonl;
}

std::string ImportSummary(const ImportResult& r) {
  std::string line = absl::StrCat(
      "imported ", Thousands(r.records), " records (", Thousands(r.entities),
      " entities, ", Thousands(r.relations), " relations, ",
      Thousands(r.documents), " documents, ", Thousands(r.statements),
      " statements) in one write of ", Thousands(r.batches),
      " batches: ", Thousands(r.statements_created), " statements created, ",
      Thousands(r.provenance_added), " provenance records added, ",
      Thousands(r.provenance_unchanged), " unchanged");
  if (r.skipped > 0)
    absl::StrAppend(&line, "; ", Thousands(r.skipped), " skipped");
  if (!r.default_document.empty()) {
    absl::StrAppend(&line, "; default graph: document ", r.default_document);
  }
  return line;
}

Importer::Importer(Connection& conn, ImportOptions options)
    : conn_(conn), options_(std::move(options)) {
  name_ = options_.path == "-" ? "stdin" : options_.path;
}

Importer::~Importer() {
  if (mapped_ != nullptr) munmap(mapped_, mapped_size_);
}

int Importer::Run() {
  // The whole input, mapped (a file) or read (stdin): RDF is read twice.
  if (options_.path == "-") {
    input_.assign(std::istreambuf_iterator<char>(std::cin),
                  std::istreambuf_iterator<char>());
    data_ = input_;
  } else {
    const int fd = open(options_.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      // A file that cannot be opened is a bad command line, not bad data.
      return Fail(
          kExitUsage,
          absl::StrCat("import: cannot open ", options_.path, ": ",
                       errno == ENOENT ? "no such file" : strerror(errno)));
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return Fail(kExitUsage, absl::StrCat("import: ", options_.path,
                                           " is not a regular file"));
    }
    if (st.st_size > 0) {
      mapped_size_ = static_cast<size_t>(st.st_size);
      mapped_ = mmap(nullptr, mapped_size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (mapped_ == MAP_FAILED) {
        mapped_ = nullptr;
        close(fd);
        return Fail(kExitFailure,
                    absl::StrCat("import: cannot read ", options_.path));
      }
      madvise(mapped_, mapped_size_, MADV_SEQUENTIAL);
      data_ =
          absl::string_view(static_cast<const char*>(mapped_), mapped_size_);
    }
    close(fd);
  }
  progress_ = std::make_unique<Progress>(options_.progress, 0);

  grpc::Status connected = conn_.WaitForConnected();
  if (!connected.ok()) return ReportError(connected, conn_.server());
  if (options_.format != ImportFormat::kJsonl) {
    // kg's names in the file are IRIs under the store's base.
    kg::v1::GetStatsResponse stats;
    auto ctx = conn_.Context();
    grpc::Status s =
        conn_.kg().GetStats(ctx.get(), kg::v1::GetStatsRequest(), &stats);
    if (!s.ok()) return ReportError(s, conn_.server(), "GetStats");
    base_iri_ = stats.stats().base_iri().empty() ? kDefaultBaseIri
                                                 : stats.stats().base_iri();
    result_.default_document = options_.document.empty()
                                   ? SlugOfFile(options_.path)
                                   : options_.document;
  }
  int rc = kRetry;
  while (rc == kRetry) {
    const ImportResult before = result_;
    rc = Attempt();
    if (rc == kRetry) {
      if (++retries_ > kMaxRetries) {
        rc = Fail(
            kExitInvalid,
            absl::StrCat("import: the server rejected more than ", kMaxRetries,
                         " items; nothing was written. Fix the file "
                         "and import it again"));
        break;
      }
      // Counts start again; skipped lines are remembered.
      const uint64_t skipped = result_.skipped;
      result_ = before;
      result_.skipped = skipped;
    }
  }
  progress_->Clear();
  if (result_.skipped > skipped_shown_) {
    std::fprintf(
        stderr, "%s: import: %llu more skipped lines not shown\n",
        ProgramName(),
        static_cast<unsigned long long>(result_.skipped - skipped_shown_));
  }
  return rc;
}

int Importer::Attempt() {
  context_ = conn_.StreamContext();
  response_.Clear();
  stream_ = conn_.kg().ImportStatements(context_.get(), &response_);
  batch_.Clear();
  batch_bytes_ = 0;
  lines_ = BatchLines();
  sent_.clear();
  int rc = options_.format == ImportFormat::kJsonl ? ReadJsonl() : ReadRdf();
  if (rc == kExitOk) rc = Send();
  if (rc == kExitOk) return Commit();
  // Nothing is committed: ending the call without WritesDone cancels it.
  context_->TryCancel();
  (void)stream_->Finish();
  stream_.reset();
  return rc;
}

int Importer::ReadJsonl() {
  std::vector<Item> items;
  int64_t line = 0;
  absl::string_view rest = data_;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const absl::string_view text = rest.substr(0, nl);
    rest = nl == absl::string_view::npos ? absl::string_view()
                                         : rest.substr(nl + 1);
    ++line;
    ++result_.lines;
    if (skip_lines_.contains(line)) continue;
    items.clear();
    ReadJsonlLine(text, line, &items);
    for (Item& item : items) {
      const int rc = item.record.has_value()
                         ? Add(*std::move(item.record), item.line)
                         : LineError(item.line, 0, item.error);
      if (rc != kExitOk) return rc;
    }
  }
  return kExitOk;
}

int Importer::ReadRdf() {
  const rdf::Format format = RdfFormat(options_.format);
  const bool line_based =
      format == rdf::Format::kNTriples || format == rdf::Format::kNQuads;
  rdf::ReadOptions read;
  read.base = options_.base.empty() ? FileUrl(options_.path) : options_.base;
  read.skip_invalid = options_.skip_invalid && line_based;
  const KgIris iris(base_iri_);
  RdfImport mapper(iris, result_.default_document);
  int rc = kExitOk;
  // A syntax error, or a line the mapping refuses.
  auto on_error = [&](const rdf::Position& at, const absl::Status& error) {
    int64_t line = at.line, column = at.column;
    std::string what;
    SplitPosition(error.message(), &line, &column, &what);
    if (rc == kExitOk) rc = LineError(line, column, what);
  };
  const auto stop = absl::CancelledError("stopped");

  // Pass 1: kg's own descriptions (entities, ..., statement reifiers).
  absl::Status read_status = rdf::Read(
      format, data_, read,
      [&](const rdf::Quad& q, const rdf::Position& at) -> absl::Status {
        ++result_.triples;
        if (skip_lines_.contains(at.line)) return absl::OkStatus();
        absl::Status s = mapper.Collect(q, at.line);
        if (!s.ok()) {
          if (rc == kExitOk) rc = LineError(at.line, at.column, s.message());
          if (rc != kExitOk) return stop;
        }
        return absl::OkStatus();
      },
      on_error);
  if (rc != kExitOk) return rc;
  if (!read_status.ok()) {
    if (!options_.skip_invalid) {
      on_error(rdf::Position{0, 0}, read_status);
      return rc == kExitOk ? kExitInvalid : rc;
    }
    // Turtle and TriG cannot resume after a syntax error.
    return Fail(kExitInvalid,
                absl::StrCat("import: ", name_, " ", read_status.message(),
                             " (", rdf::FormatName(format),
                             " cannot resume after a syntax error, even with "
                             "--skip-invalid; nothing was written)"));
  }
  absl::Status finished = mapper.Finish(
      [&](kg::v1::Record record, int64_t line) -> absl::Status {
        rc = Add(std::move(record), line);
        return rc == kExitOk ? absl::OkStatus() : stop;
      },
      [&](int64_t line) { return skip_lines_.contains(line); });
  if (rc != kExitOk) return rc;
  if (!finished.ok()) {
    // "line N: what": a description that is incomplete.
    int64_t line = 0;
    std::string what(finished.message());
    absl::string_view m = finished.message();
    if (absl::ConsumePrefix(&m, "line ")) {
      const size_t colon = m.find(": ");
      if (colon != absl::string_view::npos &&
          absl::SimpleAtoi(m.substr(0, colon), &line)) {
        what = std::string(m.substr(colon + 2));
      }
    }
    // Skipped: read again without it.
    return LineError(line, 0, what) == kExitOk ? kRetry : kExitInvalid;
  }

  // Pass 2: every other triple is data.
  result_.triples = 0;
  kg::v1::StatementInput statement;
  std::string new_document;
  read_status = rdf::Read(
      format, data_, read,
      [&](const rdf::Quad& q, const rdf::Position& at) -> absl::Status {
        ++result_.triples;
        if (skip_lines_.contains(at.line)) return absl::OkStatus();
        absl::StatusOr<bool> data =
            mapper.Data(q, at.line, &statement, &new_document);
        if (!data.ok()) {
          rc = LineError(at.line, at.column, data.status().message());
          return rc == kExitOk ? absl::OkStatus() : stop;
        }
        if (!*data) return absl::OkStatus();
        if (!new_document.empty()) {
          kg::v1::Record document;
          document.mutable_document()->set_id(new_document);
          rc = Add(std::move(document), at.line);
          if (rc != kExitOk) return stop;
        }
        kg::v1::Record record;
        *record.mutable_statement() = std::move(statement);
        rc = Add(std::move(record), at.line);
        return rc == kExitOk ? absl::OkStatus() : stop;
      },
      [](const rdf::Position&, const absl::Status&) {});  // seen in pass 1
  if (rc != kExitOk) return rc;
  absl::Status restated = mapper.CheckRestated();
  if (!restated.ok()) {
    return Fail(kExitInvalid,
                absl::StrCat("import: ", name_, " ", restated.message(),
                             "; nothing was written"));
  }
  return kExitOk;
}

int Importer::LineError(int64_t line, int64_t column,
                        absl::string_view reason) {
  progress_->Clear();
  const std::string where =
      column > 0 ? absl::StrCat(" line ", line, ", column ", column)
                 : absl::StrCat(" line ", line);
  if (!options_.skip_invalid) {
    return Fail(kExitInvalid,
                absl::StrCat("import: ", name_, where, ": ", OneLine(reason),
                             " (nothing was written)"));
  }
  if (!skip_lines_.insert(line).second) return kExitOk;  // seen before
  ++result_.skipped;
  if (skipped_shown_ < kMaxSkippedShown) {
    ++skipped_shown_;
    std::fprintf(stderr, "%s: import: %s%s skipped: %s\n", ProgramName(),
                 name_.c_str(), where.c_str(), OneLine(reason).c_str());
  }
  return kExitOk;
}

int Importer::Add(kg::v1::Record record, int64_t line) {
  batch_bytes_ += record.ByteSizeLong();
  switch (record.record_case()) {
    case kg::v1::Record::kEntity:
      *batch_.add_entities() = std::move(*record.mutable_entity());
      lines_.entities.push_back(line);
      break;
    case kg::v1::Record::kRelation:
      *batch_.add_relations() = std::move(*record.mutable_relation());
      lines_.relations.push_back(line);
      break;
    case kg::v1::Record::kDocument:
      *batch_.add_documents() = std::move(*record.mutable_document());
      lines_.documents.push_back(line);
      break;
    case kg::v1::Record::kStatement:
      *batch_.add_statements() = std::move(*record.mutable_statement());
      lines_.statements.push_back(line);
      break;
    default:
      return kExitOk;
  }
  const int items = batch_.entities_size() + batch_.relations_size() +
                    batch_.documents_size() + batch_.statements_size();
  if (items >= options_.batch_size || batch_bytes_ >= kMaxBatchBytes) {
    return Send();
  }
  return kExitOk;
}

int Importer::Send() {
  const int items = batch_.entities_size() + batch_.relations_size() +
                    batch_.documents_size() + batch_.statements_size();
  if (items == 0) return kExitOk;
  kg::v1::ImportStatementsRequest req;
  req.mutable_batch()->Swap(&batch_);
  req.mutable_batch()->set_replace_vocabulary(options_.replace_vocabulary);
  req.mutable_batch()->set_shared_names(options_.shared_names);
  result_.entities += req.batch().entities_size();
  result_.relations += req.batch().relations_size();
  result_.documents += req.batch().documents_size();
  result_.statements += req.batch().statements_size();
  result_.records += items;
  ++result_.batches;
  sent_.push_back(std::move(lines_));
  lines_ = BatchLines();
  batch_.Clear();
  batch_bytes_ = 0;
  progress_->Update(0, result_.records);
  if (!stream_->Write(req)) {
    // The server ended the call early: its status says why.
    progress_->Clear();
    const grpc::Status status = stream_->Finish();
    stream_.reset();
    if (status.ok()) {
      return Fail(kExitFailure, "import: the server closed the stream early");
    }
    return Rejected(status);
  }
  return kExitOk;
}

int Importer::Commit() {
  stream_->WritesDone();
  const grpc::Status status = stream_->Finish();
  stream_.reset();
  progress_->Clear();
  if (!status.ok()) return Rejected(status);
  Connection::ReportWritten(*context_);
  const kg::v1::WriteStatementsResponse& r = response_.result();
  result_.statements_created = r.statements_created();
  result_.provenance_added = r.provenance_added();
  result_.provenance_unchanged = r.provenance_unchanged();
  return kExitOk;
}

int Importer::Rejected(const grpc::Status& status) {
  // "batches[3].statements[5]...: what" names the item.
  const std::string full = status.error_message();  // a copy, not a view
  absl::string_view message = full;
  int64_t line = -1;
  std::string what = full;
  int batch = -1;
  if (absl::ConsumePrefix(&message, "batches[")) {
    const size_t close = message.find(']');
    std::string kind;
    int index = -1;
    if (close != absl::string_view::npos &&
        absl::SimpleAtoi(message.substr(0, close), &batch) &&
        absl::ConsumePrefix(&message, message.substr(0, close + 1)) &&
        absl::ConsumePrefix(&message, ".") &&
        BlamedItem(message, &kind, &index) && batch >= 0 &&
        batch < static_cast<int>(sent_.size())) {
      const BatchLines& b = sent_[batch];
      const std::vector<int64_t>* lines = kind == "entities"     ? &b.entities
                                          : kind == "relations"  ? &b.relations
                                          : kind == "documents"  ? &b.documents
                                          : kind == "statements" ? &b.statements
                                                                 : nullptr;
      if (lines != nullptr && index >= 0 &&
          index < static_cast<int>(lines->size())) {
        line = (*lines)[index];
        what = WithoutItemPrefix(message);
      }
    }
  }
  const grpc::StatusCode code = status.error_code();
  const bool data_error = code == grpc::StatusCode::INVALID_ARGUMENT ||
                          code == grpc::StatusCode::NOT_FOUND ||
                          code == grpc::StatusCode::ALREADY_EXISTS ||
                          code == grpc::StatusCode::FAILED_PRECONDITION ||
                          code == grpc::StatusCode::OUT_OF_RANGE;
  if (line >= 0 && data_error && options_.skip_invalid) {
    LineError(line, 0, what);
    return kRetry;
  }
  if (line >= 0) {
    Fail(kExitInvalid,
         absl::StrCat("import: ", name_, " line ", line, ": ", OneLine(what),
                      " (the server rejected it; nothing was "
                      "written)"));
    return data_error ? kExitInvalid : ExitCodeFor(code);
  }
  return ReportError(status, conn_.server(), "ImportStatements");
}

}  // namespace kg::client
