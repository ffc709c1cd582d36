#include "client/record_reader.h"

#include <cstdarg>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/connection.h"
#include "client/format.h"
#include "google/protobuf/util/json_util.h"
#include "serd/serd.h"

namespace kg::client {

namespace {

std::string FirstLine(absl::string_view text) {
  return OneLine(text.substr(0, text.find('\n')));
}

absl::string_view WithoutLineBreak(absl::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

void AddError(int64_t line, std::string reason, std::vector<rdf::Item>* out) {
  out->push_back(rdf::Item{line, std::nullopt, std::move(reason)});
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
  auto* reader = static_cast<RdfLineReader*>(handle);
  // serd's N-Triples reader takes a bare word such as `hello` as a prefixed
  // name (CURIE), which neither N-Triples nor N-Quads allows.
  for (const SerdNode* node : {graph, subject, predicate, object}) {
    if (node != nullptr && node->type == SERD_CURIE) {
      reader->OnSyntaxError(absl::StrCat(
          "'",
          absl::string_view(reinterpret_cast<const char*>(node->buf),
                            node->n_bytes),
          "' is a prefixed name; N-Triples and N-Quads write IRIs as <...>"));
      return SERD_ERR_BAD_SYNTAX;
    }
  }
  std::optional<rdf::Term> g;
  if (graph != nullptr && graph->type != SERD_NOTHING) {
    g = ToTerm(graph, nullptr, nullptr);
  }
  reader->OnTriple(ToTerm(subject, nullptr, nullptr),
                   ToTerm(predicate, nullptr, nullptr),
                   ToTerm(object, datatype, lang), std::move(g));
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
  static_cast<RdfLineReader*>(handle)->OnSyntaxError(std::move(message));
  return SERD_SUCCESS;
}

}  // namespace

void ReadJsonlLine(absl::string_view text, int64_t line,
                   std::vector<rdf::Item>* out) {
  text = WithoutLineBreak(text);
  if (absl::StripAsciiWhitespace(text).empty()) return;
  size_t bad = 0;
  if (!IsValidUtf8(text, &bad)) {
    return AddError(line, absl::StrCat("invalid UTF-8 at byte ", bad + 1), out);
  }
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  kg::v1::Record record;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &record, parse);
  if (!status.ok()) {
    return AddError(line,
                    absl::StrCat("not a kg.v1.Record in JSON: ",
                                 FirstLine(status.message().ToString())),
                    out);
  }
  if (record.record_case() == kg::v1::Record::RECORD_NOT_SET) {
    return AddError(line,
                    "empty record: expected one of entity, relation, "
                    "document, statement",
                    out);
  }
  out->push_back(rdf::Item{line, std::move(record), ""});
}

RdfLineReader::RdfLineReader(bool quads)
    : reader_(serd_reader_new(quads ? SERD_NQUADS : SERD_NTRIPLES, this,
                              nullptr, nullptr, nullptr, &OnStatement,
                              nullptr)) {
  serd_reader_set_strict(reader_, true);
  serd_reader_set_error_sink(reader_, &OnError, this);
}

RdfLineReader::~RdfLineReader() { serd_reader_free(reader_); }

void RdfLineReader::ReadLine(absl::string_view text, int64_t line,
                             std::vector<rdf::Item>* out) {
  text = WithoutLineBreak(text);
  if (absl::StripAsciiWhitespace(text).empty()) return;
  size_t bad = 0;
  if (!IsValidUtf8(text, &bad)) {
    return AddError(line, absl::StrCat("invalid UTF-8 at byte ", bad + 1), out);
  }
  if (text.find('\0') != absl::string_view::npos) {
    return AddError(line, "NUL byte", out);
  }
  text_.assign(text.data(), text.size());
  text_ += '\n';
  syntax_error_.clear();
  triples_.clear();
  const SerdStatus st = serd_reader_read_string(
      reader_, reinterpret_cast<const uint8_t*>(text_.c_str()));
  // serd's N-Quads reader stops at what cannot start a statement ("hello",
  // or ". junk" after one) with SERD_FAILURE and no message.
  if (st != SERD_SUCCESS || !syntax_error_.empty()) {
    // Nothing of a bad line counts, not even a triple serd completed
    // before the error.
    triples_.clear();
    return AddError(
        line,
        absl::StrCat("RDF syntax error: ", syntax_error_.empty()
                                               ? std::string("not a statement")
                                               : syntax_error_),
        out);
  }
  triples_read_ += triples_.size();
  for (const Triple& t : triples_) {
    builder_.Add(t.s, t.p, t.o, t.graph.has_value() ? &*t.graph : nullptr, line,
                 out);
  }
  triples_.clear();
}

void RdfLineReader::Finish(std::vector<rdf::Item>* out) {
  builder_.Finish(out);
}

void RdfLineReader::OnTriple(rdf::Term s, rdf::Term p, rdf::Term o,
                             std::optional<rdf::Term> graph) {
  triples_.push_back(
      Triple{std::move(s), std::move(p), std::move(o), std::move(graph)});
}

void RdfLineReader::OnSyntaxError(std::string message) {
  if (syntax_error_.empty()) syntax_error_ = std::move(message);
}

}  // namespace kg::client
