// The generated graph kg_load and replica_bench load through the API:
// uniformly random statements between entities e0.., over relations
// r0..r7, each with one provenance record from document "gen".
#ifndef KG_BENCH_GENERATED_GRAPH_H_
#define KG_BENCH_GENERATED_GRAPH_H_

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "kg/v1/kg.grpc.pb.h"

namespace kg::bench {

namespace v1 = ::kg::v1;

inline constexpr char kText[] = "Generated evidence sentence.";

inline std::string EntityId(int i) { return absl::StrCat("e", i); }

inline v1::StatementInput RandomStatement(std::mt19937_64& rng, int entities) {
  v1::StatementInput st;
  st.mutable_triple()->mutable_subject()->set_entity(
      EntityId(static_cast<int>(rng() % entities)));
  st.mutable_triple()->set_relation(absl::StrCat("r", rng() % 8));
  st.mutable_triple()->mutable_object()->set_entity(
      EntityId(static_cast<int>(rng() % entities)));
  v1::Provenance* p = st.add_provenance();
  p->set_document_id("gen");
  p->set_evidence_start(0);
  p->set_evidence_end(sizeof(kText) - 1);
  p->set_evidence(kText);
  p->set_confidence(0.9);
  return st;
}

// One write; exits naming `what` when it fails. The statement ids.
inline std::vector<std::string> WriteOrExit(
    v1::KnowledgeGraph::Stub& stub, const v1::WriteStatementsRequest& req,
    const char* what) {
  grpc::ClientContext ctx;
  v1::WriteStatementsResponse resp;
  const grpc::Status s = stub.WriteStatements(&ctx, req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, s.error_message().c_str());
    std::exit(1);
  }
  return {resp.statement_ids().begin(), resp.statement_ids().end()};
}

// The generated graph's vocabulary: `entities` entities e0.., relations
// r0..r7 and document "gen", in calls of 5000 (under the server's batch
// limit). Exits on a failed call.
inline void WriteVocabulary(v1::KnowledgeGraph::Stub& stub, int entities) {
  for (int start = 0; start < entities; start += 5000) {
    v1::WriteStatementsRequest req;
    for (int i = start; i < std::min(start + 5000, entities); ++i) {
      v1::Entity* e = req.add_entities();
      e->set_id(EntityId(i));
      e->set_label(absl::StrCat("Entity ", i));
      e->set_type("Thing");
    }
    WriteOrExit(stub, req, "vocabulary");
  }
  v1::WriteStatementsRequest req;
  for (int r = 0; r < 8; ++r) {
    v1::Relation* rel = req.add_relations();
    rel->set_id(absl::StrCat("r", r));
    rel->set_label(absl::StrCat("relation ", r));
  }
  v1::Document* d = req.add_documents();
  d->set_id("gen");
  d->set_title("Generated");
  d->set_text(kText);
  WriteOrExit(stub, req, "vocabulary");
}

// Loads the generated graph: its vocabulary, then `statements` random
// statements between entities, in calls of 5000. Returns the statement
// ids; exits on a failed call.
inline std::vector<std::string> Load(v1::KnowledgeGraph::Stub& stub,
                                     int entities, int statements) {
  WriteVocabulary(stub, entities);
  std::vector<std::string> ids;
  std::mt19937_64 rng(1);
  for (int done = 0; done < statements;) {
    v1::WriteStatementsRequest batch;
    for (int k = 0; k < 5000 && done < statements; ++k, ++done) {
      *batch.add_statements() = RandomStatement(rng, entities);
    }
    const std::vector<std::string> written = WriteOrExit(stub, batch, "load");
    ids.insert(ids.end(), written.begin(), written.end());
  }
  return ids;
}

}  // namespace kg::bench

#endif  // KG_BENCH_GENERATED_GRAPH_H_
