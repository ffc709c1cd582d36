// The seed graph: a fresh store is loaded from a JSON Lines file (kg's
// import format, docs/cli.md, "Formats") before the server reports SERVING.
#ifndef KG_SERVER_SEED_H_
#define KG_SERVER_SEED_H_

#include <string>

#include "absl/status/statusor.h"
#include "kg/v1/kg.pb.h"
#include "server/service.h"

namespace kg::server {

// Reads a JSON Lines file of kg.v1.Record into one write request.
// INVALID_ARGUMENT "<path>:<line>: ..." for a line that does not parse;
// NOT_FOUND when the file cannot be read.
absl::StatusOr<kg::v1::WriteStatementsRequest> ReadJsonlBatch(
    const std::string& path);

// Loads `path` as one atomic batch when the store holds nothing yet;
// otherwise does nothing (later starts never reload). Returns whether it
// loaded.
absl::StatusOr<bool> LoadSeedIfEmpty(storage::Store& store,
                                     KnowledgeGraphService& service,
                                     const std::string& path);

}  // namespace kg::server

#endif  // KG_SERVER_SEED_H_
