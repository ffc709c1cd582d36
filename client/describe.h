// Describer: turns response messages into the text of kgctl's human output.
// It looks up what a message names only by id — statements (to show a
// quoted statement as <<subject relation object>>), relations (to know a
// claim's polarity) and documents (their dates) — and caches what it
// fetched. Lookups that fail fall back to the bare id. Not thread-safe.
#ifndef KG_CLIENT_DESCRIBE_H_
#define KG_CLIENT_DESCRIBE_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "client/connection.h"
#include "kg/v1/kg.pb.h"

namespace kg::client {

class Describer {
 public:
  explicit Describer(Connection& conn) : conn_(conn) {}

  // A node in term syntax (see term_syntax.h); a statement node as
  // <<subject relation object>>.
  std::string Node(const kg::v1::Node& node);
  // Like Node, with an entity's label: "nis (National Intelligence Service)".
  std::string NodeWithLabel(const kg::v1::Node& node);
  // <<subject relation object>> of a statement.
  std::string Triple(const kg::v1::Statement& s);
  // <<subject relation object>> of a statement id; the id when unknown.
  std::string StatementById(const std::string& id);

  // The relation with this id, or null when the server does not know it.
  const kg::v1::Relation* Relation(const std::string& id);
  // Document metadata, or null.
  const kg::v1::Document* Document(const std::string& id);
  // "seed_article (2024-10-18)".
  std::string DocumentName(const std::string& id);
  // For a claim (its relation has a polarity): the claimant, its subject.
  // Empty for other statements.
  std::string Claimant(const kg::v1::Statement& s);

  // The evidence of `p` in quotes, wrapped under `indent`, then a line
  // naming who says it: "-- claimant nis, seed_article (2024-10-18)
  // [424, 572), believed, confidence 0.7". `claimant` empty: the
  // document's own voice ("-- stated by <publisher> in <document> ...").
  std::string Evidence(const kg::v1::Provenance& p, absl::string_view claimant,
                       absl::string_view indent, int width);

 private:
  std::string NodeAt(const kg::v1::Node& node, int depth);
  std::string StatementAt(const std::string& id, int depth);
  std::string TripleAt(const kg::v1::Statement& s, int depth);

  Connection& conn_;
  absl::flat_hash_map<std::string, std::optional<kg::v1::Statement>>
      statements_;
  absl::flat_hash_map<std::string, std::optional<kg::v1::Document>> documents_;
  std::optional<absl::flat_hash_map<std::string, kg::v1::Relation>> relations_;
};

}  // namespace kg::client

#endif  // KG_CLIENT_DESCRIBE_H_
