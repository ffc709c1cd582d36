// RunUnary: finishes a unary callback rpc with the status of a function
// that fills the response, mapped to a gRPC status (grpc_status.h). The
// function runs only when `allowed` (the caller's authorization) is OK.
//
//   return RunUnary(ctx, Authorize(ctx, __func__),
//                   [&]() -> absl::Status { ...; return OkStatus(); });
#ifndef KG_SERVER_UNARY_H_
#define KG_SERVER_UNARY_H_

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpc_status.h"

namespace kg::server {

template <typename Fn>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* ctx,
                                   const absl::Status& allowed, Fn fn) {
  absl::Status status = allowed.ok() ? fn() : allowed;
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace kg::server

#endif  // KG_SERVER_UNARY_H_
