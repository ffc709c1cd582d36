// Conversions between kg.v1 messages and storage/ values. Functions from
// proto check what only the proto can get wrong (missing messages, unknown
// enum values, unparsable dates) and name the field; storage validates the
// values themselves. Functions to proto never fail, except the two that
// read the store to fill entity nodes: those return the reader's error.
#ifndef KG_SERVER_CONVERT_H_
#define KG_SERVER_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kg/v1/kg.pb.h"
#include "query/provenance_as_of.h"
#include "storage/store.h"

namespace kg::server {

storage::Entity FromProto(const kg::v1::Entity& e);
absl::StatusOr<storage::Relation> FromProto(absl::string_view field,
                                            const kg::v1::Relation& r);
absl::StatusOr<storage::Document> FromProto(absl::string_view field,
                                            const kg::v1::Document& d);
// Entity names stay names; query::ResolveTermNames turns them into ids.
absl::StatusOr<storage::Term> FromProto(absl::string_view field,
                                        const kg::v1::Term& t);
absl::StatusOr<storage::Triple> FromProto(absl::string_view field,
                                          const kg::v1::Triple& t);
absl::StatusOr<storage::ProvenanceInput> FromProto(absl::string_view field,
                                                   const kg::v1::Provenance& p);
absl::StatusOr<std::optional<storage::Date>> ParseDateField(
    absl::string_view field, absl::string_view text);

void ToProto(const storage::Entity& e, kg::v1::Entity* out);
void ToProto(const storage::EntityVersion& v, kg::v1::EntityVersion* out);
void ToProto(const storage::Relation& r, kg::v1::Relation* out);
void ToProto(const storage::Document& d, kg::v1::Document* out);
void ToProto(const storage::Literal& l, kg::v1::Literal* out);
void ToProto(const storage::ProvenanceRecord& r, bool include_evidence,
             kg::v1::Provenance* out);
void ToProto(const storage::StoreStats& s, kg::v1::Stats* out);
void ToProto(const storage::VerifyReport& r, kg::v1::VerifyStoreResponse* out);
void ToProto(const storage::WriteResult& r,
             kg::v1::WriteStatementsResponse* out);
// Entity nodes are filled from the reader (label, type, aliases).
absl::Status ToProto(storage::Reader& reader, const storage::TermValue& t,
                     kg::v1::Node* out);
absl::Status ToProto(storage::Reader& reader, const storage::Statement& s,
                     kg::v1::Statement* out);

// A request's as_of as the engines' time travel; INVALID_ARGUMENT naming
// "as_of.recorded_at" for an instant out of range.
absl::StatusOr<query::TimeTravel> TimeTravelFrom(const kg::v1::AsOf& as_of);

}  // namespace kg::server

#endif  // KG_SERVER_CONVERT_H_
