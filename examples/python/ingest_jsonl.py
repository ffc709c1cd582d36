#!/usr/bin/python3
"""Bulk-loads a kg JSON Lines file (one kg.v1.Record a line, the format of
`kgctl export`; docs/cli.md) through the IngestStatements stream, as an
analysis pipeline would.

Batches of BATCH_SIZE records (default 500) are pipelined on one stream;
the server applies each atomically and acknowledges it in order with its
own status. The first rejected batch stops the load with the lines it held:
the batches before it are written, none of it is.

    PYTHONPATH=build/examples/python /usr/bin/python3 \\
        examples/python/ingest_jsonl.py 127.0.0.1:50051 data.jsonl [BATCH_SIZE]

Environment: KG_TOKEN (sent as `authorization: Bearer <token>`), KG_TLS_CA
(PEM root CA file: connect with TLS). Exit codes: 0 loaded, 1 an error,
2 usage.
"""

import os
import sys

import grpc
from google.protobuf import json_format

import kg_channel

try:
    from kg.v1 import kg_pb2, kg_pb2_grpc, model_pb2
except ImportError as e:
    sys.exit(f"ingest_jsonl.py: {e}: generate the stubs from proto/ "
             "(cmake --build build --target kg_python_stubs) and set "
             "PYTHONPATH=build/examples/python")

CONNECT_TIMEOUT_S = 10


class BadLine(Exception):
    pass


def batches(path, batch_size, spans, errors):
    """Yields IngestStatementsRequests; spans[batch_id] = (first, last)
    line of each batch, for error messages. A bad line ends the stream
    (gRPC reads this generator on its own thread, so the error goes into
    `errors`)."""
    try:
        yield from _batches(path, batch_size, spans)
    except (BadLine, OSError, UnicodeDecodeError) as e:
        errors.append(e)


def _batches(path, batch_size, spans):
    batch, items, first, last, batch_id = None, 0, 0, 0, 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json_format.Parse(line, model_pb2.Record())
            except json_format.ParseError as e:
                reason = str(e).splitlines()[0]
                raise BadLine(f"{path} line {number}: {reason}") from e
            kind = record.WhichOneof("record")
            if kind is None:
                raise BadLine(f"{path} line {number}: an empty record")
            if items == 0:
                batch, first = kg_pb2.WriteStatementsRequest(), number
            # Record.entity goes to WriteStatementsRequest.entities, ...
            target = {"entity": batch.entities, "relation": batch.relations,
                      "document": batch.documents,
                      "statement": batch.statements}[kind]
            target.append(getattr(record, kind))
            items, last = items + 1, number
            if items == batch_size:
                batch_id += 1
                spans[batch_id] = (first, last)
                yield kg_pb2.IngestStatementsRequest(batch_id=batch_id,
                                                     batch=batch)
                items = 0
    if items:
        batch_id += 1
        spans[batch_id] = (first, last)
        yield kg_pb2.IngestStatementsRequest(batch_id=batch_id, batch=batch)


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: ingest_jsonl.py HOST:PORT FILE [BATCH_SIZE]",
              file=sys.stderr)
        return 2
    address, path = argv[1], argv[2]
    batch_size = int(argv[3]) if len(argv) == 4 and argv[3].isdigit() else 0
    if len(argv) == 3:
        batch_size = 500
    if batch_size < 1:
        print("ingest_jsonl.py: BATCH_SIZE must be a positive number",
              file=sys.stderr)
        return 2
    if not os.path.isfile(path):
        print(f"ingest_jsonl.py: {path}: no such file", file=sys.stderr)
        return 1
    try:
        channel = kg_channel.connect(address)
    except OSError as e:
        print(f"ingest_jsonl.py: KG_TLS_CA: {e}", file=sys.stderr)
        return 1
    metadata = kg_channel.call_metadata()

    spans, errors, totals = {}, [], {"batches": 0, "statements_created": 0,
                         "provenance_added": 0, "provenance_unchanged": 0}
    try:
        with channel:
            # A bulk load has no overall deadline, but connecting does.
            grpc.channel_ready_future(channel).result(
                timeout=CONNECT_TIMEOUT_S)
            stub = kg_pb2_grpc.KnowledgeGraphStub(channel)
            acks = stub.IngestStatements(
                batches(path, batch_size, spans, errors), metadata=metadata)
            for ack in acks:
                totals["batches"] += 1
                if ack.batch_id != totals["batches"]:
                    raise SystemExit(f"ingest_jsonl.py: acknowledgement for "
                                     f"batch {ack.batch_id} out of order")
                if ack.code != 0:
                    first, last = spans[ack.batch_id]
                    acks.cancel()
                    print(f"ingest_jsonl.py: {path}: batch {ack.batch_id} "
                          f"(lines {first}-{last}) rejected, none of it "
                          f"written: {_code(ack.code).name}"
                          f": {ack.message}", file=sys.stderr)
                    return 1
                for key in list(totals)[1:]:
                    totals[key] += getattr(ack.result, key)
    except grpc.FutureTimeoutError:
        print(f"ingest_jsonl.py: no connection to {address} within "
              f"{CONNECT_TIMEOUT_S} s", file=sys.stderr)
        return 1
    except grpc.RpcError as e:
        print(f"ingest_jsonl.py: {e.code().name}: {e.details()}",
              file=sys.stderr)
        return 1
    if errors:
        print(f"ingest_jsonl.py: {errors[0]} (written before it: "
              f"{totals['batches']} batches)", file=sys.stderr)
        return 1
    if totals["batches"] != len(spans):
        print(f"ingest_jsonl.py: {len(spans)} batches sent, "
              f"{totals['batches']} acknowledged", file=sys.stderr)
        return 1
    print(", ".join(f"{key} {value}" for key, value in totals.items()))
    return 0


def _code(value):
    return next(c for c in grpc.StatusCode if c.value[0] == value)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
