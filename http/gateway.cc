#include "http/gateway.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/impl/codegen/sync_stream.h"
#include "grpcpp/support/byte_buffer.h"

namespace kg::http {

namespace {

namespace pb = google::protobuf;

using grpc::ByteBuffer;

// The generated message of `descriptor`, empty.
std::unique_ptr<pb::Message> NewMessage(const pb::Descriptor* descriptor) {
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
}

// Parses one JSON request into the wire form; INVALID_ARGUMENT naming what
// is wrong (protobuf's JSON parser names the field).
grpc::Status JsonToBuffer(const pb::Descriptor* type, absl::string_view json,
                          absl::string_view what, ByteBuffer* out) {
  std::unique_ptr<pb::Message> message = NewMessage(type);
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const std::string text = absl::StripAsciiWhitespace(json).empty()
                               ? std::string("{}")
                               : std::string(json);
  const auto parsed =
      pb::util::JsonStringToMessage(text, message.get(), options);
  if (!parsed.ok()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat(what, ": not a ", type->full_name(),
                     " in JSON: ", std::string(parsed.message())));
  }
  std::string wire;
  message->SerializeToString(&wire);
  grpc::Slice slice(wire);
  *out = ByteBuffer(&slice, 1);
  return grpc::Status::OK;
}

// The response in JSON (proto3's canonical mapping: lowerCamelCase names).
std::string BufferToJson(const pb::Descriptor* type, const ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string wire;
  if (buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      wire.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  std::unique_ptr<pb::Message> message = NewMessage(type);
  std::string json;
  if (!message->ParseFromString(wire) ||
      !pb::util::MessageToJsonString(*message, &json).ok()) {
    return ErrorJson(
        grpc::Status(grpc::StatusCode::INTERNAL,
                     "the response could not be turned into JSON"));
  }
  return json;
}

void Configure(const CallOptions& options, grpc::ClientContext* ctx) {
  if (!options.authorization.empty()) {
    ctx->AddMetadata("authorization", options.authorization);
  }
  if (options.timeout) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + *options.timeout));
  }
  if (!options.min_log_position.empty()) {
    ctx->AddMetadata("kg-min-log-position", options.min_log_position);
  }
}

// A replica's trailers (proto/kg/v1/kg.proto, "Replica sets"), for HTTP
// headers of the same names.
std::vector<std::pair<std::string, std::string>> ReplicaHeaders(
    const grpc::ClientContext& ctx) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* key : {"kg-log-position", "kg-writer-address"}) {
    const auto& trailers = ctx.GetServerTrailingMetadata();
    const auto it = trailers.find(key);
    if (it != trailers.end()) {
      out.emplace_back(key, std::string(it->second.data(), it->second.size()));
    }
  }
  return out;
}

// The request lines of a client-streaming body: JSON Lines, blank lines
// skipped.
std::vector<absl::string_view> Lines(absl::string_view body) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (!absl::StripAsciiWhitespace(line).empty()) lines.push_back(line);
  }
  return lines;
}

// A stream already read to its end (bidirectional calls, whose answers
// are collected while the request lines are written).
class ReadStream : public ResponseStream {
 public:
  ReadStream(std::vector<std::string> lines, grpc::Status status)
      : lines_(std::move(lines)), status_(std::move(status)) {}
  bool Next(std::string* line, grpc::Status* status) override {
    if (next_ < lines_.size()) {
      *line = std::move(lines_[next_++]);
      return true;
    }
    *status = status_;
    return false;
  }
  void Cancel() override {}

 private:
  std::vector<std::string> lines_;
  size_t next_ = 0;
  grpc::Status status_;
};

// A server-streaming call read as it arrives.
class LiveStream : public ResponseStream {
 public:
  LiveStream(std::unique_ptr<grpc::ClientContext> ctx,
             std::unique_ptr<grpc::ClientReader<ByteBuffer>> reader,
             const pb::Descriptor* type)
      : ctx_(std::move(ctx)), reader_(std::move(reader)), type_(type) {}
  ~LiveStream() override {
    if (!finished_) {
      ctx_->TryCancel();
      ByteBuffer ignored;
      while (reader_->Read(&ignored)) {
      }
      (void)reader_->Finish();  // cancelled: its status says only that
    }
  }
  // Makes `line` the next one again (after a look at the first).
  void Unread(std::string line) { pending_ = std::move(line); }
  bool Next(std::string* line, grpc::Status* status) override {
    if (pending_) {
      *line = std::move(*pending_);
      pending_.reset();
      return true;
    }
    ByteBuffer buffer;
    if (!finished_ && reader_->Read(&buffer)) {
      *line = BufferToJson(type_, buffer);
      return true;
    }
    if (!finished_) {
      finished_ = true;
      status_ = reader_->Finish();
    }
    *status = status_;
    return false;
  }
  void Cancel() override { ctx_->TryCancel(); }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<ByteBuffer>> reader_;
  const pb::Descriptor* type_;
  std::optional<std::string> pending_;
  bool finished_ = false;
  grpc::Status status_;
};

}  // namespace

int HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    default:
      return 500;
  }
}

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : absl::StrCat("CODE_", i);
}

std::string ErrorJson(const grpc::Status& status) {
  // The message as a JSON string, through protobuf's own escaping.
  pb::Value message;
  message.set_string_value(status.error_message());
  std::string quoted;
  if (!pb::util::MessageToJsonString(message, &quoted).ok()) quoted = "\"\"";
  return absl::StrCat("{\"code\":\"", CodeName(status.error_code()),
                      "\",\"message\":", quoted, "}");
}

absl::StatusOr<std::unique_ptr<JsonGateway>> JsonGateway::Create(
    std::shared_ptr<grpc::Channel> channel,
    const std::vector<std::string>& services) {
  std::unique_ptr<JsonGateway> gateway(new JsonGateway(std::move(channel)));
  for (const std::string& name : services) {
    const pb::ServiceDescriptor* service =
        pb::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) {
      return absl::NotFoundError(absl::StrCat("no service ", name));
    }
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* m = service->method(i);
      std::string path =
          absl::StrCat("/", service->full_name(), "/", m->name());
      gateway->methods_[path] = Method{path, m};
    }
  }
  return gateway;
}

bool JsonGateway::Knows(absl::string_view path) const {
  return methods_.find(path) != methods_.end();
}

std::vector<std::string> JsonGateway::Paths() const {
  std::vector<std::string> paths;
  for (const auto& [path, method] : methods_) paths.push_back(path);
  return paths;
}

JsonGateway::Answer JsonGateway::Start(absl::string_view path,
                                       absl::string_view body,
                                       const CallOptions& options) const {
  Answer answer;
  auto it = methods_.find(path);
  if (it == methods_.end()) {
    answer.status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 absl::StrCat("no rpc ", path));
    return answer;
  }
  const Method& method = it->second;
  const pb::MethodDescriptor* m = method.descriptor;
  const pb::Descriptor* in = m->input_type();
  const pb::Descriptor* out = m->output_type();
  auto ctx = std::make_unique<grpc::ClientContext>();
  Configure(options, ctx.get());
  using grpc::internal::RpcMethod;

  if (!m->client_streaming() && !m->server_streaming()) {
    ByteBuffer request, response;
    answer.status = JsonToBuffer(in, body, "body", &request);
    if (!answer.status.ok()) return answer;
    answer.status = grpc::internal::BlockingUnaryCall<ByteBuffer, ByteBuffer>(
        channel_.get(),
        RpcMethod(method.path.c_str(), RpcMethod::NORMAL_RPC, channel_),
        ctx.get(), request, &response);
    if (answer.status.ok()) answer.object = BufferToJson(out, response);
    answer.replica_headers = ReplicaHeaders(*ctx);
    return answer;
  }

  if (!m->client_streaming()) {  // server streaming
    ByteBuffer request;
    answer.status = JsonToBuffer(in, body, "body", &request);
    if (!answer.status.ok()) return answer;
    std::unique_ptr<grpc::ClientReader<ByteBuffer>> reader(
        grpc::internal::ClientReaderFactory<ByteBuffer>::Create(
            channel_.get(),
            RpcMethod(method.path.c_str(), RpcMethod::SERVER_STREAMING,
                      channel_),
            ctx.get(), request));
    auto stream =
        std::make_unique<LiveStream>(std::move(ctx), std::move(reader), out);
    // A look at the first line: a call that fails before it answers
    // anything gets the failure's HTTP status, not 200 and an error line.
    grpc::Status status;
    std::string first;
    if (stream->Next(&first, &status)) {
      stream->Unread(std::move(first));
    } else if (!status.ok()) {
      answer.status = status;
      return answer;
    }
    answer.streaming = true;
    answer.lines = std::move(stream);
    return answer;
  }

  // Client streaming: every line parses before the call starts, so a bad
  // line writes nothing.
  std::vector<absl::string_view> lines = Lines(body);
  std::vector<ByteBuffer> requests(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    answer.status = JsonToBuffer(
        in, lines[i], absl::StrCat("body line ", i + 1), &requests[i]);
    if (!answer.status.ok()) return answer;
  }
  if (!m->server_streaming()) {
    ByteBuffer response;
    std::unique_ptr<grpc::ClientWriter<ByteBuffer>> writer(
        grpc::internal::ClientWriterFactory<ByteBuffer>::Create(
            channel_.get(),
            RpcMethod(method.path.c_str(), RpcMethod::CLIENT_STREAMING,
                      channel_),
            ctx.get(), &response));
    for (ByteBuffer& r : requests) {
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    answer.status = writer->Finish();
    if (answer.status.ok()) answer.object = BufferToJson(out, response);
    answer.replica_headers = ReplicaHeaders(*ctx);
    return answer;
  }

  // Bidirectional: one request, then what it answered, in turn (kg's
  // IngestStatements acknowledges each batch before the next is read).
  std::unique_ptr<grpc::ClientReaderWriter<ByteBuffer, ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<ByteBuffer, ByteBuffer>::Create(
          channel_.get(),
          RpcMethod(method.path.c_str(), RpcMethod::BIDI_STREAMING, channel_),
          ctx.get()));
  std::vector<std::string> answers;
  for (ByteBuffer& r : requests) {
    if (!stream->Write(r)) break;
    ByteBuffer response;
    if (!stream->Read(&response)) break;
    answers.push_back(BufferToJson(out, response));
  }
  stream->WritesDone();
  ByteBuffer response;
  while (stream->Read(&response))
    answers.push_back(BufferToJson(out, response));
  grpc::Status status = stream->Finish();
  answer.replica_headers = ReplicaHeaders(*ctx);
  if (answers.empty() && !status.ok()) {
    answer.status = status;
    return answer;
  }
  answer.streaming = true;
  answer.lines = std::make_unique<ReadStream>(std::move(answers), status);
  return answer;
}

}  // namespace kg::http
