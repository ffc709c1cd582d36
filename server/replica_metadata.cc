#include "server/replica_metadata.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace kg::server {
namespace {

class ReplicaMetadata : public grpc::experimental::Interceptor {
 public:
  explicit ReplicaMetadata(replica::ReplicatedStore* replica)
      : replica_(replica) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      std::multimap<std::string, std::string>* trailers =
          methods->GetSendTrailingMetadata();
      if (trailers != nullptr) {
        trailers->emplace(kLogPositionHeader,
                          absl::StrCat(replica_->applied_position()));
        std::string writer = replica_->writer_address_for_clients();
        if (!writer.empty()) {
          trailers->emplace(kWriterAddressHeader, std::move(writer));
        }
      }
    }
    methods->Proceed();
  }

 private:
  replica::ReplicatedStore* replica_;
};

class Factory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(replica::ReplicatedStore* replica) : replica_(replica) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new ReplicaMetadata(replica_);
  }

 private:
  replica::ReplicatedStore* replica_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ReplicaMetadataInterceptor(replica::ReplicatedStore* replica) {
  return std::make_unique<Factory>(replica);
}

}  // namespace kg::server
