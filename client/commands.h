// kgctl's commands, grouped by file. Each function adds its commands to the
// tree of `cli`.
#ifndef KG_CLIENT_COMMANDS_H_
#define KG_CLIENT_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/cli.h"
#include "kg/v1/kg.pb.h"

namespace kg::client {

// entity, relation, document (commands_vocab.cc).
void AddVocabularyCommands(Cli& cli);
// statement, match, count, retract (commands_statements.cc).
void AddStatementCommands(Cli& cli);
// path, neighborhood, why, by-document, by-claimant, contested, timeline,
// prov-export (commands_query.cc).
void AddQueryCommands(Cli& cli);
// query: SPARQL (commands_sparql.cc).
void AddSparqlCommands(Cli& cli);
// health, stats, cluster, backup, verify, import, export, completion, terms
// (commands_ops.cc).
void AddOperationCommands(Cli& cli);

// INVALID_ARGUMENT "<what>: not valid UTF-8 (byte N)" unless `text` is
// valid UTF-8. The server cannot report such strings itself.
absl::Status CheckUtf8(absl::string_view what, absl::string_view text);

// The text of `kgctl terms`: the term syntax with examples.
extern const char kTermSyntaxHelp[];

// --as-of-recorded and --as-of-reported, for the commands that travel in
// time (the provenance queries, path, query).
struct AsOfFlags {
  std::string recorded;
  std::string reported;
};
void AddAsOfFlags(CLI::App* cmd, AsOfFlags* f);
// INVALID_ARGUMENT naming the flag when --as-of-recorded is no RFC 3339
// time.
absl::Status FillAsOf(const AsOfFlags& f, kg::v1::AsOf* out);

}  // namespace kg::client

#endif  // KG_CLIENT_COMMANDS_H_
