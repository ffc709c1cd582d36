#include "server/grpc_status.h"

#include "replica/replicated_store.h"
#include "server/log.h"

namespace kg::server {

#define KG_SAME_CODE(absl_code, grpc_code)                       \
  static_assert(static_cast<int>(absl::StatusCode::absl_code) == \
                static_cast<int>(grpc::StatusCode::grpc_code))
KG_SAME_CODE(kOk, OK);
KG_SAME_CODE(kCancelled, CANCELLED);
KG_SAME_CODE(kUnknown, UNKNOWN);
KG_SAME_CODE(kInvalidArgument, INVALID_ARGUMENT);
KG_SAME_CODE(kDeadlineExceeded, DEADLINE_EXCEEDED);
KG_SAME_CODE(kNotFound, NOT_FOUND);
KG_SAME_CODE(kAlreadyExists, ALREADY_EXISTS);
KG_SAME_CODE(kPermissionDenied, PERMISSION_DENIED);
KG_SAME_CODE(kResourceExhausted, RESOURCE_EXHAUSTED);
KG_SAME_CODE(kFailedPrecondition, FAILED_PRECONDITION);
KG_SAME_CODE(kAborted, ABORTED);
KG_SAME_CODE(kOutOfRange, OUT_OF_RANGE);
KG_SAME_CODE(kUnimplemented, UNIMPLEMENTED);
KG_SAME_CODE(kInternal, INTERNAL);
KG_SAME_CODE(kUnavailable, UNAVAILABLE);
KG_SAME_CODE(kDataLoss, DATA_LOSS);
KG_SAME_CODE(kUnauthenticated, UNAUTHENTICATED);
#undef KG_SAME_CODE

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      KG_LOG(kError) << "internal error: " << status.ToString();
      return grpc::Status(code, "internal error; see the server log");
    case absl::StatusCode::kUnavailable:
      if (status.GetPayload(replica::kWriterPayload).has_value()) {
        // The replica set's: where the writer is, or why it is not there.
        return grpc::Status(code, std::string(status.message()));
      }
      KG_LOG(kError) << "store unavailable: " << status.ToString();
      return grpc::Status(code, "the store is unavailable; retry later");
    default:
      return grpc::Status(code, std::string(status.message()));
  }
}

}  // namespace kg::server
