#!/usr/bin/python3
"""A kg.v1 client in Python, end to end against a seeded kg-server.

It resolves an entity by alias, stores a document and a statement with its
evidence span, finds the shortest path from the NIS to Ukraine with the
evidence of each hop, asks why() about the statement it wrote, and reads a
pattern match page by page. Every result is checked: the script exits 1
with a message naming the failed step, and a gRPC error is shown as its
code and message.

Stubs are generated from proto/ (docs/clients.md); the build puts them in
build/examples/python:

    PYTHONPATH=build/examples/python /usr/bin/python3 \\
        examples/python/kg_example.py 127.0.0.1:50051

Environment: KG_SERVER (address, when not given as the argument), KG_TOKEN
(sent as `authorization: Bearer <token>`), KG_TLS_CA (PEM root CA file:
connect with TLS).
"""

import os
import sys

import grpc

import kg_channel

try:
    from kg.v1 import kg_pb2, kg_pb2_grpc, model_pb2, query_pb2
except ImportError as e:
    sys.exit(f"kg_example.py: {e}: generate the stubs from proto/ "
             "(cmake --build build --target kg_python_stubs) and set "
             "PYTHONPATH=build/examples/python")

DEADLINE_S = 10  # every call gets a deadline

DOCUMENT_ID = "python_example_post"
# A social-media post. The emoji is one code point but two UTF-16 units and
# four UTF-8 bytes: evidence offsets count code points, which Python string
# indexes do.
TEXT = ("\U0001F4E1 OSINT update \u2014 21 Oct: Satellite imagery suggests "
        "North Korean troops are already present in Russia\u2019s Far East. "
        "More to follow.")
EVIDENCE = ("Satellite imagery suggests North Korean troops are already "
            "present in Russia\u2019s Far East.")


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def quoted(subject, relation, obj):
    """A Term naming the statement (subject relation object) by content."""
    return model_pb2.Term(quoted=model_pb2.Triple(
        subject=model_pb2.Term(entity=subject), relation=relation,
        object=model_pb2.Term(entity=obj)))


def node_name(node, statements=None):
    """An entity's id, a literal's value, or <<s r o>> for a statement node
    (by content when `statements`, id -> Statement, has it)."""
    kind = node.WhichOneof("kind")
    if kind == "entity":
        return node.entity.id
    if kind == "statement_id":
        s = (statements or {}).get(node.statement_id)
        if s is None:
            return "<<" + node.statement_id + ">>"
        return (f"<<{node_name(s.subject, statements)} {s.relation} "
                f"{node_name(s.object, statements)}>>")
    return str(getattr(node.literal, node.literal.WhichOneof("value")))


class Example:
    def __init__(self, channel):
        self.kg = kg_pb2_grpc.KnowledgeGraphStub(channel)
        self.md = kg_channel.call_metadata()

    def call(self, rpc, request):
        return rpc(request, timeout=DEADLINE_S, metadata=self.md)

    def resolve(self):
        print("== resolve 'pyongyang' (an alias, any case)")
        response = self.call(self.kg.ResolveEntity,
                             kg_pb2.ResolveEntityRequest(name="pyongyang"))
        for e in response.candidates:
            print(f"  {e.id}: {e.label} ({e.type}), aliases: "
                  f"{', '.join(e.aliases)}")
        check([e.id for e in response.candidates] == ["north_korea"],
              "expected exactly north_korea")

        print("== resolve 'Atlantis' (expect NOT_FOUND)")
        try:
            self.call(self.kg.ResolveEntity,
                      kg_pb2.ResolveEntityRequest(name="Atlantis"))
        except grpc.RpcError as e:
            print(f"  {e.code().name}: {e.details()}")
            check(e.code() == grpc.StatusCode.NOT_FOUND,
                  f"expected NOT_FOUND, got {e.code().name}")
            return
        raise CheckFailed("resolving 'Atlantis' succeeded")

    def write(self):
        print(f"== store document {DOCUMENT_ID} and a statement with "
              "provenance")
        document = model_pb2.Document(
            id=DOCUMENT_ID, title="OSINT update on North Korean troops",
            publisher="OSINT Watch", published="2024-10-21", text=TEXT)
        # Same id and text again is fine (a rerun); another text is
        # ALREADY_EXISTS.
        stored = self.call(self.kg.CreateDocument,
                           kg_pb2.CreateDocumentRequest(document=document))
        print(f"  document {stored.id}: {stored.title!r} ({len(TEXT)} code "
              f"points, {len(TEXT.encode())} bytes)")

        start = TEXT.index(EVIDENCE)
        statement = model_pb2.StatementInput(
            triple=quoted("north_korea", "present_in", "russia").quoted,
            provenance=[model_pb2.Provenance(
                document_id=DOCUMENT_ID, evidence_start=start,
                evidence_end=start + len(EVIDENCE), evidence=EVIDENCE,
                hedge=model_pb2.HEDGE_BELIEVED, confidence=0.6,
                valid_time=model_pb2.ValidTime(start="2024-10"))])
        result = self.call(self.kg.WriteStatements,
                           kg_pb2.WriteStatementsRequest(
                               statements=[statement]))
        check(len(result.statement_ids) == 1, "expected one statement id")
        print(f"  statement {result.statement_ids[0]}: north_korea "
              f"present_in russia, evidence [{start}, "
              f"{start + len(EVIDENCE)})")
        print(f"  provenance added {result.provenance_added}, unchanged "
              f"{result.provenance_unchanged}")
        # A rerun writes the same record again: skipped, not duplicated.
        check(result.provenance_added + result.provenance_unchanged == 1,
              "expected the record to be added or found unchanged")
        return result.statement_ids[0]

    def path(self):
        print("== shortest path NIS -> Ukraine, walking claims")
        request = kg_pb2.FindPathsRequest(
            **{"from": model_pb2.Term(entity="NIS")},
            to=model_pb2.Term(entity="Ukraine"),
            options=query_pb2.PathOptions(
                mode=query_pb2.PATH_MODE_SHORTEST, walk_claims=True,
                provenance=query_pb2.PROVENANCE_DETAIL_SUMMARY))
        paths, summary = [], None
        # Server streaming: one message per path, then the summary.
        for message in self.call(self.kg.FindPaths, request):
            if message.HasField("path"):
                paths.append(message.path)
            else:
                summary = message.summary
        check(summary is not None, "the stream ended without a summary")
        check(len(paths) == 1, f"expected one path, got {len(paths)}")
        hops = paths[0].hops
        statements = {hop.statement.id: hop.statement for hop in hops}
        for i, hop in enumerate(hops, 1):
            best = hop.summary.best
            s = hop.statement
            print(f"  {i}. {node_name(getattr(hop, 'from'), statements)} -> "
                  f"{node_name(hop.to, statements)}")
            print(f"     statement: {node_name(s.subject, statements)} "
                  f"{s.relation} {node_name(s.object, statements)}")
            if best.document_id:
                print(f"     evidence: {best.document_id} "
                      f"[{best.evidence_start}, {best.evidence_end}) "
                      f"\"{best.evidence}\"")
        print(f"  {len(hops)} hops, {summary.expanded_edges} edges expanded")
        check(node_name(getattr(hops[0], "from")) == "nis",
              "the path does not start at nis")
        check(node_name(hops[-1].to) == "ukraine",
              "the path does not end at ukraine")
        check(any(h.summary.best.evidence for h in hops),
              "no hop carries evidence")

    def why(self, statement_id):
        print("== why <<north_korea present_in russia>>?")
        response = self.call(self.kg.Why, kg_pb2.WhyRequest(
            statement=quoted("north_korea", "present_in", "russia")))
        check(response.statement.id == statement_id,
              "why() answered about another statement")
        print(f"  {response.summary}")
        for record in response.provenance:
            print(f"  stated by {record.document_id} "
                  f"({model_pb2.Hedge.Name(record.hedge)}, "
                  f"{record.confidence:g}): \"{record.evidence}\"")
        for side, claims in (("supports", response.supporting),
                             ("opposes", response.opposing)):
            for claim in claims:
                evidence = claim.provenance[0].evidence \
                    if claim.provenance else ""
                print(f"  {side}: {node_name(claim.claimant)} "
                      f"{claim.relation}: \"{evidence}\"")
        check(any(r.document_id == DOCUMENT_ID and r.evidence == EVIDENCE
                  for r in response.provenance),
              f"our record from {DOCUMENT_ID} is missing")
        check(any(node_name(c.claimant) == "south_korean_officials"
                  for c in response.supporting),
              "the seed's claim by south_korean_officials is missing")

    def match(self):
        print("== match (north_korea, *, *), 5 statements a page")
        subject = model_pb2.Term(entity="north_korea")
        seen, pages, token = [], 0, ""
        while True:
            page = self.call(self.kg.MatchStatements,
                             kg_pb2.MatchStatementsRequest(
                                 subject=subject, include_quoted=True,
                                 page_size=5, page_token=token))
            pages += 1
            seen.extend(page.statements)
            print(f"  page {pages}: " + ", ".join(
                f"{s.relation} {node_name(s.object)}"
                for s in page.statements))
            token = page.next_page_token
            if not token:  # an empty token ends the list
                break
        count = self.call(self.kg.CountStatements, kg_pb2.CountStatementsRequest(
            subject=subject, exact=True)).count
        print(f"  {len(seen)} statements in {pages} pages; "
              f"CountStatements says {count}")
        check(len(seen) == count, "the pages disagree with CountStatements")
        check(len({s.id for s in seen}) == len(seen),
              "a statement came twice")
        check(pages > 1, "expected more than one page")


def main(argv):
    address = argv[1] if len(argv) > 1 else os.environ.get("KG_SERVER")
    if not address:
        print("usage: kg_example.py HOST:PORT (or set KG_SERVER)",
              file=sys.stderr)
        return 2
    step = "connect"
    try:
        with kg_channel.connect(address) as channel:
            example = Example(channel)
            step = "resolve"
            example.resolve()
            step = "write"
            statement_id = example.write()
            step = "path"
            example.path()
            step = "why"
            example.why(statement_id)
            step = "match"
            example.match()
    except grpc.RpcError as e:
        print(f"kg_example.py: {step}: {e.code().name}: {e.details()}",
              file=sys.stderr)
        return 1
    except CheckFailed as e:
        print(f"kg_example.py: {step}: check failed: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # KG_TLS_CA unreadable
        print(f"kg_example.py: {step}: {e}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
