// Write batches with known content for the crash and backup tests: batch
// (client, seq) is a pure function of its two numbers, so a checker can
// recompute what must (or must not) be in a store and ask the server.
//
// Each batch creates entity w<client>_<seq>, document d<client>_<seq> and
// three statements, each with one provenance record from that document:
//   (w rel hub<seq % 3>)      (w rel <seq>)      (hub<client % 3> rel <<w rel
//   hub>>)
// — five parts; a store holds all five or none.
#ifndef KG_TESTS_SUPPORT_KNOWN_BATCHES_H_
#define KG_TESTS_SUPPORT_KNOWN_BATCHES_H_

#include <string>

#include "kg/v1/kg.grpc.pb.h"

namespace kg::testing {

inline constexpr int kPartsPerBatch = 5;
inline constexpr int kStatementsPerBatch = 3;
inline constexpr int kHubs = 3;

// Relation "rel" and entities hub0..hub2; write it once before any batch.
kg::v1::WriteStatementsRequest KnownVocabulary();

kg::v1::WriteStatementsRequest KnownBatch(int client, int seq);

// How many of the batch's parts the server holds (0..kPartsPerBatch), each
// checked in full (the statements with their provenance record); the
// missing ones are described in `missing`. -1 when a call fails otherwise
// than NOT_FOUND (the failure is in `missing`).
int PartsPresent(kg::v1::KnowledgeGraph::Stub& stub, int client, int seq,
                 std::string* missing);

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_KNOWN_BATCHES_H_
