#include "server/seed.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "storage/error_context.h"
#include "storage/status_macros.h"

namespace kg::server {

absl::StatusOr<kg::v1::WriteStatementsRequest> ReadJsonlBatch(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  kg::v1::WriteStatementsRequest batch;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    kg::v1::Record record;
    google::protobuf::util::JsonParseOptions options;
    const auto status =
        google::protobuf::util::JsonStringToMessage(line, &record, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": ", status.message().as_string()));
    }
    switch (record.record_case()) {
      case kg::v1::Record::kEntity:
        *batch.add_entities() = record.entity();
        break;
      case kg::v1::Record::kRelation:
        *batch.add_relations() = record.relation();
        break;
      case kg::v1::Record::kDocument:
        *batch.add_documents() = record.document();
        break;
      case kg::v1::Record::kStatement:
        *batch.add_statements() = record.statement();
        break;
      case kg::v1::Record::RECORD_NOT_SET:
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", n, ": the record is empty"));
    }
  }
  return batch;
}

absl::StatusOr<bool> LoadSeedIfEmpty(storage::Store& store,
                                     KnowledgeGraphService& service,
                                     const std::string& path) {
  KG_ASSIGN_OR_RETURN(storage::StoreStats stats, store.NewReader()->Stats());
  if (stats.terms > 0) return false;
  KG_ASSIGN_OR_RETURN(kg::v1::WriteStatementsRequest batch,
                      ReadJsonlBatch(path));
  absl::StatusOr<storage::WriteResult> result = service.ApplyBatch(batch);
  if (!result.ok()) {
    return storage::WithContext(result.status(), absl::StrCat("seed ", path));
  }
  return true;
}

}  // namespace kg::server
