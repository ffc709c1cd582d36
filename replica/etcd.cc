#include "replica/etcd.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace kg::replica {
namespace {

namespace pb = ::etcdserverpb;

absl::Status FromGrpc(const grpc::Status& s, absl::string_view call) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("etcd ", call, ": ", s.error_message()));
}

Etcd::Kv FromPb(const ::mvccpb::KeyValue& kv) {
  Etcd::Kv out;
  out.key = kv.key();
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.lease = kv.lease();
  return out;
}

}  // namespace

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() =
          static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd: from the key to the end
}

struct Etcd::Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Watch::Stub> watch;
};

Etcd::Etcd(std::unique_ptr<Stubs> stubs, absl::Duration timeout)
    : stubs_(std::move(stubs)), timeout_(timeout) {}

Etcd::~Etcd() = default;

absl::StatusOr<std::unique_ptr<Etcd>> Etcd::Connect(
    const std::vector<std::string>& endpoints, absl::Duration timeout) {
  if (endpoints.empty()) {
    return absl::InvalidArgumentError("etcd_endpoints: none given");
  }
  for (const std::string& e : endpoints) {
    if (e.empty() || e.find(':') == std::string::npos ||
        e.find(',') != std::string::npos || e.find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("etcd_endpoints: '", e, "' is not host:port"));
    }
  }
  // One channel over every member: pick_first tries them in order and
  // moves on when the one in use goes away.
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("pick_first");
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  auto stubs = std::make_unique<Stubs>();
  stubs->channel = grpc::CreateCustomChannel(
      absl::StrCat("ipv4:", absl::StrJoin(endpoints, ",")),
      grpc::InsecureChannelCredentials(), args);
  stubs->kv = pb::KV::NewStub(stubs->channel);
  stubs->lease = pb::Lease::NewStub(stubs->channel);
  stubs->watch = pb::Watch::NewStub(stubs->channel);
  return std::unique_ptr<Etcd>(new Etcd(std::move(stubs), timeout));
}

namespace {

void Deadline(grpc::ClientContext* ctx, absl::Time deadline) {
  ctx->set_deadline(absl::ToChronoTime(deadline));
  // An endpoint that is down does not fail the call at once: the channel
  // tries the next member until the deadline.
  ctx->set_wait_for_ready(true);
}

// Runs `call(ctx)` until it succeeds, fails otherwise than UNAVAILABLE
// (a member that went away under a call already sent), or the deadline
// passes. Only for calls that may be repeated.
template <typename Call>
grpc::Status Retried(absl::Duration timeout, Call call) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    grpc::ClientContext ctx;
    Deadline(&ctx, deadline);
    grpc::Status s = call(&ctx);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE ||
        absl::Now() + absl::Milliseconds(50) >= deadline) {
      return s;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace

namespace {

// One Range call (repeated when a member goes away): the keys it found.
absl::StatusOr<std::vector<Etcd::Kv>> RangeCall(pb::KV::Stub* kv,
                                                absl::Duration timeout,
                                                const pb::RangeRequest& req) {
  pb::RangeResponse resp;
  if (absl::Status s = FromGrpc(Retried(timeout,
                                        [&](grpc::ClientContext* ctx) {
                                          return kv->Range(ctx, req, &resp);
                                        }),
                                "range");
      !s.ok()) {
    return s;
  }
  std::vector<Etcd::Kv> out;
  out.reserve(resp.kvs_size());
  for (const auto& one : resp.kvs()) out.push_back(FromPb(one));
  return out;
}

}  // namespace

absl::StatusOr<std::optional<Etcd::Kv>> Etcd::Get(absl::string_view key) {
  pb::RangeRequest req;
  req.set_key(std::string(key));
  absl::StatusOr<std::vector<Kv>> found =
      RangeCall(stubs_->kv.get(), timeout_, req);
  if (!found.ok()) return found.status();
  if (found->empty()) return std::nullopt;
  return std::move(found->front());
}

absl::StatusOr<std::vector<Etcd::Kv>> Etcd::Range(absl::string_view from,
                                                  absl::string_view to,
                                                  int64_t limit) {
  pb::RangeRequest req;
  req.set_key(std::string(from));
  req.set_range_end(std::string(to));
  req.set_limit(limit);
  req.set_sort_order(pb::RangeRequest::ASCEND);
  req.set_sort_target(pb::RangeRequest::KEY);
  return RangeCall(stubs_->kv.get(), timeout_, req);
}

absl::StatusOr<std::optional<Etcd::Kv>> Etcd::Last(absl::string_view from,
                                                   absl::string_view to) {
  pb::RangeRequest req;
  req.set_key(std::string(from));
  req.set_range_end(std::string(to));
  req.set_limit(1);
  req.set_sort_order(pb::RangeRequest::DESCEND);
  req.set_sort_target(pb::RangeRequest::KEY);
  absl::StatusOr<std::vector<Kv>> found =
      RangeCall(stubs_->kv.get(), timeout_, req);
  if (!found.ok()) return found.status();
  if (found->empty()) return std::nullopt;
  return std::move(found->front());
}

absl::Status Etcd::Put(absl::string_view key, absl::string_view value,
                       int64_t lease) {
  pb::PutRequest req;
  req.set_key(std::string(key));
  req.set_value(std::string(value));
  req.set_lease(lease);
  pb::PutResponse resp;
  return FromGrpc(Retried(timeout_,
                          [&](grpc::ClientContext* ctx) {
                            return stubs_->kv->Put(ctx, req, &resp);
                          }),
                  "put");
}

absl::StatusOr<bool> Etcd::PutIf(
    const std::vector<Created>& conditions,
    const std::vector<std::pair<std::string, std::string>>& puts,
    int64_t lease) {
  pb::TxnRequest req;
  for (const Created& c : conditions) {
    pb::Compare* cmp = req.add_compare();
    cmp->set_result(pb::Compare::EQUAL);
    cmp->set_target(pb::Compare::CREATE);
    cmp->set_key(c.key);
    cmp->set_create_revision(c.create_revision);
  }
  for (const auto& [key, value] : puts) {
    pb::PutRequest* put = req.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
    put->set_lease(lease);
  }
  pb::TxnResponse resp;
  grpc::ClientContext ctx;  // not repeated: the caller finds out
  Deadline(&ctx, absl::Now() + timeout_);
  if (absl::Status s = FromGrpc(stubs_->kv->Txn(&ctx, req, &resp), "txn");
      !s.ok()) {
    return s;
  }
  return resp.succeeded();
}

absl::Status Etcd::Delete(absl::string_view from, absl::string_view to) {
  pb::DeleteRangeRequest req;
  req.set_key(std::string(from));
  req.set_range_end(std::string(to));
  pb::DeleteRangeResponse resp;
  return FromGrpc(Retried(timeout_,
                          [&](grpc::ClientContext* ctx) {
                            return stubs_->kv->DeleteRange(ctx, req, &resp);
                          }),
                  "delete");
}

absl::StatusOr<int64_t> Etcd::GrantLease(absl::Duration ttl) {
  const int64_t seconds = absl::ToInt64Seconds(ttl);
  if (seconds < 1) {
    return absl::InvalidArgumentError("lease: its TTL must be at least 1 s");
  }
  pb::LeaseGrantRequest req;
  req.set_ttl(seconds);
  pb::LeaseGrantResponse resp;
  grpc::ClientContext ctx;  // not repeated: a lease granted twice leaks
  Deadline(&ctx, absl::Now() + timeout_);
  if (absl::Status s =
          FromGrpc(stubs_->lease->LeaseGrant(&ctx, req, &resp), "lease grant");
      !s.ok()) {
    return s;
  }
  if (!resp.error().empty()) {
    return absl::UnavailableError(
        absl::StrCat("etcd lease grant: ", resp.error()));
  }
  return resp.id();
}

absl::StatusOr<absl::Duration> Etcd::KeepAlive(int64_t lease) {
  grpc::ClientContext ctx;
  Deadline(&ctx, absl::Now() + timeout_);
  auto stream = stubs_->lease->LeaseKeepAlive(&ctx);
  pb::LeaseKeepAliveRequest req;
  req.set_id(lease);
  pb::LeaseKeepAliveResponse resp;
  if (!stream->Write(req) || !stream->Read(&resp)) {
    stream->WritesDone();
    const grpc::Status s = stream->Finish();
    if (s.ok()) {
      return absl::UnavailableError("etcd lease keep-alive: no answer");
    }
    return FromGrpc(s, "lease keep-alive");
  }
  // One answer is all this call wants: end the stream.
  stream->WritesDone();
  ctx.TryCancel();
  stream->Finish().IgnoreError();
  if (resp.ttl() <= 0) {
    return absl::NotFoundError(
        absl::StrCat("etcd lease ", lease, ": expired or revoked"));
  }
  return absl::Seconds(resp.ttl());
}

absl::Status Etcd::RevokeLease(int64_t lease) {
  pb::LeaseRevokeRequest req;
  req.set_id(lease);
  pb::LeaseRevokeResponse resp;
  return FromGrpc(Retried(timeout_,
                          [&](grpc::ClientContext* ctx) {
                            return stubs_->lease->LeaseRevoke(ctx, req, &resp);
                          }),
                  "lease revoke");
}

namespace {

class WatchThread : public Etcd::Watch {
 public:
  WatchThread(pb::Watch::Stub* stub,
              std::vector<std::pair<std::string, std::string>> ranges,
              std::function<void(const std::string&)> changed)
      : stub_(stub), ranges_(std::move(ranges)), changed_(std::move(changed)) {
    thread_ = std::thread([this] { Run(); });
  }

  ~WatchThread() override {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    thread_.join();
  }

 private:
  void Run() {
    for (;;) {
      grpc::ClientContext ctx;
      ctx.set_wait_for_ready(true);
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        ctx_ = &ctx;
      }
      auto stream = stub_->Watch(&ctx);
      bool open = true;
      for (const auto& [from, to] : ranges_) {
        pb::WatchRequest req;
        req.mutable_create_request()->set_key(from);
        req.mutable_create_request()->set_range_end(to);
        open = open && stream->Write(req);
      }
      pb::WatchResponse resp;
      int created = 0;
      while (open && stream->Read(&resp)) {
        if (resp.created() && ++created == static_cast<int>(ranges_.size())) {
          changed_("");  // watching: what changed before is read now
        }
        for (const auto& event : resp.events()) changed_(event.kv().key());
        if (resp.canceled()) break;  // etcd ended a watch: open them again
      }
      stream->Finish().IgnoreError();
      {
        absl::MutexLock lock(&mu_);
        ctx_ = nullptr;
        // Not at once again: the member may still be on its way down.
        if (mu_.AwaitWithTimeout(absl::Condition(&stop_),
                                 absl::Milliseconds(100))) {
          return;
        }
      }
    }
  }

  pb::Watch::Stub* stub_;
  const std::vector<std::pair<std::string, std::string>> ranges_;
  const std::function<void(const std::string&)> changed_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Etcd::Watch> Etcd::WatchRanges(
    std::vector<std::pair<std::string, std::string>> ranges,
    std::function<void(const std::string& key)> changed) {
  return std::make_unique<WatchThread>(stubs_->watch.get(), std::move(ranges),
                                       std::move(changed));
}

}  // namespace kg::replica
