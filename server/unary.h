// RunUnary: finishes a unary callback rpc with the status of a function
// that fills the response, mapped to a gRPC status (grpc_status.h). The
// function runs only when `allowed` (the caller's authorization) is OK.
// RunUnaryOn runs it on a WritePool instead of the gRPC callback thread:
// for the calls that wait on the disk.
//
//   return RunUnary(ctx, Authorize(ctx, __func__),
//                   [&]() -> absl::Status { ...; return OkStatus(); });
//   return RunUnaryOn(pool, ctx, Authorize(ctx, __func__),
//                     [=]() -> absl::Status { ... });
#ifndef KG_SERVER_UNARY_H_
#define KG_SERVER_UNARY_H_

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpc_status.h"
#include "server/write_pool.h"

namespace kg::server {

template <typename Fn>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* ctx,
                                   const absl::Status& allowed, Fn fn) {
  absl::Status status = allowed.ok() ? fn() : allowed;
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// `fn` runs later, on `pool`: it must not capture locals by reference (the
// request, response and context live until the reactor finishes).
template <typename Fn>
grpc::ServerUnaryReactor* RunUnaryOn(WritePool& pool,
                                     grpc::CallbackServerContext* ctx,
                                     const absl::Status& allowed, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  pool.Run([ctx, reactor, fn = std::move(fn)]() mutable {
    // A call that ended while it waited (cancelled, past its deadline, the
    // server draining) is not applied: its client has been told it failed.
    if (ctx->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                                   "the call ended before it ran"));
      return;
    }
    reactor->Finish(ToGrpcStatus(fn()));
  });
  return reactor;
}

}  // namespace kg::server

#endif  // KG_SERVER_UNARY_H_
