#include "client/record_reader.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/connection.h"
#include "client/format.h"
#include "google/protobuf/util/json_util.h"

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

void AddError(int64_t line, std::string reason, std::vector<Item>* out) {
  out->push_back(Item{line, std::nullopt, std::move(reason)});
}

}  // namespace

void ReadJsonlLine(absl::string_view text, int64_t line,
                   std::vector<Item>* out) {
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
  out->push_back(Item{line, std::move(record), ""});
}

}  // namespace kg::client
