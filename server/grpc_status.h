// absl::Status <-> grpc::Status. The codes share numbers, so the conversion
// is a cast guarded by static_asserts. Messages of INTERNAL and DATA_LOSS
// errors are logged and replaced: internal details are never sent.
#ifndef KG_SERVER_GRPC_STATUS_H_
#define KG_SERVER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace kg::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace kg::server

#endif  // KG_SERVER_GRPC_STATUS_H_
