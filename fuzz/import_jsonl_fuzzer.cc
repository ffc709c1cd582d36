// Fuzz target: the kg JSON Lines import path.
//
// Input: the bytes of an import file. Every line goes through
// client::ReadJsonlLine, what `kgctl import` runs on each line, and the
// whole file through server::ReadJsonlBatch, what kg-server runs on its
// seed file.
//
// Checked on every input:
//   - no crash, no sanitizer report;
//   - every line yields a record or an error with a reason, numbered
//     within the file;
//   - a record survives a round trip through the JSON mapping unchanged
//     (but for the sign of a zero confidence, which the mapping drops and
//     kg-server does not store);
//   - when kgctl's reader accepts every line, kg-server's accepts the file
//     and reads the same batch.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/record_reader.h"
#include "google/protobuf/util/json_util.h"
#include "kg/v1/kg.pb.h"
#include "server/seed.h"

namespace kg::fuzz {
namespace {

[[noreturn]] void Die(absl::string_view what) {
  std::fprintf(stderr, "import_jsonl_fuzzer: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

// The record as the JSON mapping can carry it: protobuf prints a confidence
// of -0.0 as -0 and reads that back as 0. kg-server stores -0.0 as 0
// (server/convert.cc), so the sign never reaches an export.
kg::v1::Record WithoutNegativeZero(kg::v1::Record record) {
  if (record.has_statement()) {
    for (kg::v1::Provenance& p :
         *record.mutable_statement()->mutable_provenance()) {
      if (p.has_confidence() && p.confidence() == 0) p.set_confidence(0);
    }
  }
  return record;
}

void CheckRoundTrip(const kg::v1::Record& record) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(record, &json).ok()) {
    Die("a parsed record cannot be printed as JSON");
  }
  kg::v1::Record back;
  auto status = google::protobuf::util::JsonStringToMessage(json, &back);
  if (!status.ok()) {
    Die(absl::StrCat("a printed record does not parse: ", json, ": ",
                     status.message().ToString()));
  }
  if (Deterministic(back) != Deterministic(WithoutNegativeZero(record))) {
    Die(absl::StrCat("a record changed in a JSON round trip: ", json));
  }
}

// server::ReadJsonlBatch reads a file; give it one.
absl::StatusOr<kg::v1::WriteStatementsRequest> SeedReaderBatch(
    absl::string_view data) {
  static const std::string path = [] {
    // In memory when the machine has /dev/shm: a file is written per input.
    const char* tmp = std::getenv("TMPDIR");
    std::string p = absl::StrCat(std::filesystem::exists("/dev/shm")
                                     ? "/dev/shm"
                                     : (tmp != nullptr ? tmp : "/tmp"),
                                 "/kg_jsonl_fuzzer.XXXXXX");
    const int fd = mkstemp(p.data());
    if (fd < 0) Die("mkstemp failed");
    close(fd);
    static std::string to_remove = p;
    std::atexit([] { std::remove(to_remove.c_str()); });
    return p;
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Die("cannot write the temporary file");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
  return server::ReadJsonlBatch(path);
}

}  // namespace
}  // namespace kg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kg;  // NOLINT: a fuzz target's entry point
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();

  std::vector<client::Item> items;
  kg::v1::WriteStatementsRequest batch;
  bool all_records = true;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t line = static_cast<int64_t>(i) + 1;
    items.clear();
    client::ReadJsonlLine(lines[i], line, &items);
    if (items.size() > 1) fuzz::Die("one line yielded several items");
    for (client::Item& item : items) {
      if (item.line != line) fuzz::Die("an item has the wrong line number");
      if (std::getenv("KG_FUZZ_VERBOSE") != nullptr) {
        std::fprintf(stderr, "line %lld: %s\n", static_cast<long long>(line),
                     item.record.has_value()
                         ? item.record->ShortDebugString().c_str()
                         : item.error.c_str());
      }
      if (!item.record.has_value()) {
        if (item.error.empty()) fuzz::Die("an error without a reason");
        all_records = false;
        continue;
      }
      fuzz::CheckRoundTrip(*item.record);
      kg::v1::Record& r = *item.record;
      switch (r.record_case()) {
        case kg::v1::Record::kEntity:
          *batch.add_entities() = r.entity();
          break;
        case kg::v1::Record::kRelation:
          *batch.add_relations() = r.relation();
          break;
        case kg::v1::Record::kDocument:
          *batch.add_documents() = r.document();
          break;
        case kg::v1::Record::kStatement:
          *batch.add_statements() = r.statement();
          break;
        default:
          fuzz::Die("a record of no kind");
      }
    }
  }

  absl::StatusOr<kg::v1::WriteStatementsRequest> seed =
      fuzz::SeedReaderBatch(input);
  if (all_records && !seed.ok()) {
    fuzz::Die(absl::StrCat("kg-server rejects what kgctl reads: ",
                           seed.status().ToString()));
  }
  if (all_records && fuzz::Deterministic(*seed) != fuzz::Deterministic(batch)) {
    fuzz::Die("kgctl's and kg-server's JSON Lines readers disagree");
  }
  return 0;
}
