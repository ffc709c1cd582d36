#!/usr/bin/python3
"""A generic gRPC client that knows nothing of kg: everything it needs comes
from the server's reflection service, like grpcurl (which Debian 12 does not
package). It uses only the grpcio and protobuf runtimes; even the reflection
protocol's messages are declared here, not generated.

    grpc_reflect.py HOST:PORT list                    services
    grpc_reflect.py HOST:PORT describe SERVICE        its methods
    grpc_reflect.py HOST:PORT call SERVICE/METHOD JSON
                                                      one call; the response
                                                      (each message of a
                                                      stream) as JSON, one a line

Environment: KG_TOKEN (sent as `authorization: Bearer <token>`), KG_TLS_CA
(PEM root CA file: connect with TLS). Exit codes: 0 ok, 1 a gRPC error
(printed as CODE: message), 2 usage.
"""

import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

import kg_channel

DEADLINE_S = 10
REFLECTION_METHOD = ("/grpc.reflection.v1alpha.ServerReflection/"
                     "ServerReflectionInfo")

_F = descriptor_pb2.FieldDescriptorProto


def _reflection_protocol():
    """The messages of grpc/reflection/v1alpha/reflection.proto that this
    client uses, declared field by field (same names and numbers)."""
    f = descriptor_pb2.FileDescriptorProto(
        name="grpc_reflect/reflection_v1alpha.proto",
        package="grpc.reflection.v1alpha", syntax="proto3")

    def message(name, *fields):
        m = f.message_type.add(name=name)
        for field_name, number, kind, type_name, repeated in fields:
            field = m.field.add(
                name=field_name, number=number, type=kind,
                label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL)
            if type_name:
                field.type_name = ".grpc.reflection.v1alpha." + type_name

    message("ServerReflectionRequest",
            ("host", 1, _F.TYPE_STRING, None, False),
            ("file_by_filename", 3, _F.TYPE_STRING, None, False),
            ("file_containing_symbol", 4, _F.TYPE_STRING, None, False),
            ("list_services", 7, _F.TYPE_STRING, None, False))
    message("ServerReflectionResponse",
            ("valid_host", 1, _F.TYPE_STRING, None, False),
            ("file_descriptor_response", 4, _F.TYPE_MESSAGE,
             "FileDescriptorResponse", False),
            ("list_services_response", 6, _F.TYPE_MESSAGE,
             "ListServiceResponse", False),
            ("error_response", 7, _F.TYPE_MESSAGE, "ErrorResponse", False))
    message("FileDescriptorResponse",
            ("file_descriptor_proto", 1, _F.TYPE_BYTES, None, True))
    message("ListServiceResponse",
            ("service", 1, _F.TYPE_MESSAGE, "ServiceResponse", True))
    message("ServiceResponse", ("name", 1, _F.TYPE_STRING, None, False))
    message("ErrorResponse",
            ("error_code", 1, _F.TYPE_INT32, None, False),
            ("error_message", 2, _F.TYPE_STRING, None, False))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return (message_class(pool, "grpc.reflection.v1alpha."
                          "ServerReflectionRequest"),
            message_class(pool, "grpc.reflection.v1alpha."
                          "ServerReflectionResponse"))


def message_class(pool, full_name):
    descriptor = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


class Reflection:
    def __init__(self, channel, metadata):
        self.request_class, self.response_class = _reflection_protocol()
        self.info = channel.stream_stream(
            REFLECTION_METHOD,
            request_serializer=self.request_class.SerializeToString,
            response_deserializer=self.response_class.FromString)
        self.metadata = metadata

    def ask(self, **fields):
        responses = list(self.info(iter([self.request_class(**fields)]),
                                   timeout=DEADLINE_S,
                                   metadata=self.metadata))
        if len(responses) != 1:
            raise SystemExit(f"grpc_reflect.py: expected one reflection "
                             f"response, got {len(responses)}")
        response = responses[0]
        if response.HasField("error_response"):
            error = response.error_response
            code = grpc.StatusCode(next(c for c in grpc.StatusCode
                                        if c.value[0] == error.error_code))
            raise ReflectionError(code, error.error_message)
        return response

    def services(self):
        return [s.name for s in
                self.ask(list_services="*").list_services_response.service]

    def pool_for(self, symbol):
        """A descriptor pool holding the file that defines `symbol` and
        every file it imports, as the server describes them."""
        files = {}
        todo = [("file_containing_symbol", symbol)]
        while todo:
            kind, name = todo.pop()
            response = self.ask(**{kind: name})
            for blob in response.file_descriptor_response.file_descriptor_proto:
                proto = descriptor_pb2.FileDescriptorProto.FromString(blob)
                files[proto.name] = proto
            todo.extend(("file_by_filename", dep) for proto in
                        list(files.values()) for dep in proto.dependency
                        if dep not in files and
                        ("file_by_filename", dep) not in todo)
        pool = descriptor_pool.DescriptorPool()
        added = set()

        def add(name):  # imports first
            if name in added:
                return
            for dep in files[name].dependency:
                add(dep)
            pool.Add(files[name])
            added.add(name)

        for name in files:
            add(name)
        return pool


class ReflectionError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def describe(reflection, service_name):
    service = reflection.pool_for(service_name).FindServiceByName(
        service_name)
    lines = []
    for method in service.methods:
        def stream(flag):
            return "stream " if flag else ""
        lines.append(
            f"rpc {method.name}("
            f"{stream(method.client_streaming)}{method.input_type.full_name})"
            f" returns ({stream(method.server_streaming)}"
            f"{method.output_type.full_name})")
    return lines


def call(channel, reflection, metadata, target, request_json):
    service_name, _, method_name = target.rpartition("/")
    if not service_name:
        service_name, _, method_name = target.rpartition(".")
    pool = reflection.pool_for(service_name)
    method = pool.FindServiceByName(service_name).methods_by_name.get(
        method_name)
    if method is None:
        raise SystemExit(f"grpc_reflect.py: {service_name} has no method "
                         f"{method_name}")
    if method.client_streaming:
        raise SystemExit("grpc_reflect.py: client streaming is not supported")
    request_class = message_class(pool, method.input_type.full_name)
    response_class = message_class(pool, method.output_type.full_name)
    request = json_format.Parse(request_json, request_class())
    path = f"/{service_name}/{method_name}"
    kind = (channel.unary_stream if method.server_streaming
            else channel.unary_unary)
    rpc = kind(path, request_serializer=request_class.SerializeToString,
               response_deserializer=response_class.FromString)
    responses = rpc(request, timeout=DEADLINE_S, metadata=metadata)
    if not method.server_streaming:
        responses = [responses]
    for response in responses:
        print(json_format.MessageToJson(response, indent=None,
                                        preserving_proto_field_name=True))


def main(argv):
    if len(argv) < 3 or argv[2] not in ("list", "describe", "call") or \
            len(argv) != {"list": 3, "describe": 4, "call": 5}[argv[2]]:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    address, command = argv[1], argv[2]
    try:
        channel = kg_channel.connect(address)
    except OSError as e:
        print(f"grpc_reflect.py: KG_TLS_CA: {e}", file=sys.stderr)
        return 1
    metadata = kg_channel.call_metadata()
    try:
        with channel:
            reflection = Reflection(channel, metadata)
            if command == "list":
                print("\n".join(sorted(reflection.services())))
            elif command == "describe":
                print("\n".join(describe(reflection, argv[3])))
            else:
                call(channel, reflection, metadata, argv[3], argv[4])
    except grpc.RpcError as e:
        print(f"grpc_reflect.py: {e.code().name}: {e.details()}",
              file=sys.stderr)
        return 1
    except ReflectionError as e:
        print(f"grpc_reflect.py: {e.code.name}: {e.message}", file=sys.stderr)
        return 1
    except json_format.ParseError as e:
        print(f"grpc_reflect.py: request: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
