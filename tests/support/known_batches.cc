#include "tests/support/known_batches.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"

namespace kg::testing {

namespace {

namespace v1 = ::kg::v1;

std::string Name(int client, int seq) { return absl::StrCat(client, "_", seq); }

// The document text: three ASCII sentences (offsets are code points).
std::string Text(int client, int seq) {
  const std::string n = Name(client, seq);
  return absl::StrCat("w", n, " one. w", n, " two. w", n, " three.");
}

v1::Provenance Evidence(int client, int seq, int sentence) {
  const std::string text = Text(client, seq);
  const char* words[] = {"one.", "two.", "three."};
  const std::string want =
      absl::StrCat("w", Name(client, seq), " ", words[sentence]);
  const size_t at = text.find(want);
  v1::Provenance p;
  p.set_document_id(absl::StrCat("d", Name(client, seq)));
  p.set_evidence_start(static_cast<uint32_t>(at));
  p.set_evidence_end(static_cast<uint32_t>(at + want.size()));
  p.set_evidence(want);
  p.set_confidence(0.5 + 0.01 * (seq % 50));
  return p;
}

v1::Triple Triple(int client, int seq, int which) {
  v1::Triple t;
  t.set_relation("rel");
  const std::string w = absl::StrCat("w", Name(client, seq));
  switch (which) {
    case 0:
      t.mutable_subject()->set_entity(w);
      t.mutable_object()->set_entity(absl::StrCat("hub", seq % kHubs));
      break;
    case 1:
      t.mutable_subject()->set_entity(w);
      t.mutable_object()->mutable_literal()->set_integer_value(seq);
      break;
    default:
      t.mutable_subject()->set_entity(absl::StrCat("hub", client % kHubs));
      *t.mutable_object()->mutable_quoted() = Triple(client, seq, 0);
      break;
  }
  return t;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(30));
  return ctx;
}

}  // namespace

v1::WriteStatementsRequest KnownVocabulary() {
  v1::WriteStatementsRequest req;
  v1::Relation* r = req.add_relations();
  r->set_id("rel");
  r->set_label("related to");
  for (int i = 0; i < kHubs; ++i) {
    v1::Entity* e = req.add_entities();
    e->set_id(absl::StrCat("hub", i));
    e->set_label(absl::StrCat("Hub ", i));
    e->set_type("Place");
  }
  return req;
}

v1::WriteStatementsRequest KnownBatch(int client, int seq) {
  v1::WriteStatementsRequest req;
  v1::Entity* e = req.add_entities();
  e->set_id(absl::StrCat("w", Name(client, seq)));
  e->set_label(absl::StrCat("Writer ", client, " batch ", seq));
  e->set_type("Person");
  e->add_aliases(absl::StrCat("W", client, "-", seq));
  v1::Document* d = req.add_documents();
  d->set_id(absl::StrCat("d", Name(client, seq)));
  d->set_title(absl::StrCat("Batch ", seq, " of client ", client));
  d->set_text(Text(client, seq));
  for (int i = 0; i < kStatementsPerBatch; ++i) {
    v1::StatementInput* s = req.add_statements();
    *s->mutable_triple() = Triple(client, seq, i);
    *s->add_provenance() = Evidence(client, seq, i);
  }
  return req;
}

int PartsPresent(v1::KnowledgeGraph::Stub& stub, int client, int seq,
                 std::string* missing) {
  int parts = 0;
  missing->clear();
  auto failed = [&](const grpc::Status& s, const std::string& what) {
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      absl::StrAppend(missing, what, " absent; ");
      return false;
    }
    absl::StrAppend(missing, what, ": ", s.error_message(), "; ");
    return true;
  };
  {
    v1::GetEntityRequest req;
    req.set_name(absl::StrCat("w", Name(client, seq)));
    v1::Entity e;
    grpc::Status s = stub.GetEntity(Context().get(), req, &e);
    if (s.ok() && e.aliases_size() == 1) {
      ++parts;
    } else if (s.ok()) {
      absl::StrAppend(missing, "entity without its alias; ");
    } else if (failed(s, "entity")) {
      return -1;
    }
  }
  {
    v1::GetDocumentRequest req;
    req.set_id(absl::StrCat("d", Name(client, seq)));
    req.set_include_text(true);
    v1::Document d;
    grpc::Status s = stub.GetDocument(Context().get(), req, &d);
    if (s.ok() && d.text() == Text(client, seq)) {
      ++parts;
    } else if (s.ok()) {
      absl::StrAppend(missing, "document with another text; ");
    } else if (failed(s, "document")) {
      return -1;
    }
  }
  for (int i = 0; i < kStatementsPerBatch; ++i) {
    v1::GetStatementRequest req;
    *req.mutable_statement()->mutable_quoted() = Triple(client, seq, i);
    req.set_include_provenance(true);
    v1::Statement st;
    const std::string what = absl::StrCat("statement ", i);
    grpc::Status s = stub.GetStatement(Context().get(), req, &st);
    if (!s.ok()) {
      if (failed(s, what)) return -1;
      continue;
    }
    const v1::Provenance want = Evidence(client, seq, i);
    if (st.provenance_size() == 1 &&
        st.provenance(0).document_id() == want.document_id() &&
        st.provenance(0).evidence() == want.evidence()) {
      ++parts;
    } else {
      // Statement 0 is also quoted by statement 2: present without its own
      // record only if the batch is torn.
      absl::StrAppend(missing, what, " has ", st.provenance_size(),
                      " provenance records; ");
    }
  }
  return parts;
}

}  // namespace kg::testing
