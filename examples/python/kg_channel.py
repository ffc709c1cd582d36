"""The channel every kg example opens: plaintext, or TLS when KG_TLS_CA
names a PEM root CA file; and the call metadata that carries KG_TOKEN as
`authorization: Bearer <token>`.

    channel = kg_channel.connect(address)   # OSError: KG_TLS_CA unreadable
    stub.GetStats(request, metadata=kg_channel.call_metadata())
"""

import os

import grpc


def connect(address):
    ca_file = os.environ.get("KG_TLS_CA")
    if not ca_file:
        return grpc.insecure_channel(address)
    with open(ca_file, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    return grpc.secure_channel(address, credentials)


def call_metadata():
    token = os.environ.get("KG_TOKEN")
    return [("authorization", "Bearer " + token)] if token else []
