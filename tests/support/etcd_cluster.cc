#include "tests/support/etcd_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "replica/etcd.h"

namespace kg::testing {

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

EtcdCluster::EtcdCluster(const std::string& dir, int members) : dir_(dir) {
  for (int i = 0; i < members; ++i) {
    Member& m = members_.emplace_back();
    m.name = absl::StrCat("m", i);
    m.client_port = FreeLoopbackPort();
    m.peer_port = FreeLoopbackPort();
  }
  for (int i = 0; i < members; ++i) Start(i, /*fresh=*/true);
  started_ = WaitUntilServing();
}

EtcdCluster::~EtcdCluster() {
  for (Member& m : members_) m.process.reset();  // killed
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (const Member& m : members_) {
    out.push_back(absl::StrCat("127.0.0.1:", m.client_port));
  }
  return out;
}

void EtcdCluster::Start(int i, bool fresh) {
  Member& m = members_[i];
  std::vector<std::string> initial;
  for (const Member& other : members_) {
    initial.push_back(
        absl::StrCat(other.name, "=http://127.0.0.1:", other.peer_port));
  }
  const std::string client = absl::StrCat("http://127.0.0.1:", m.client_port);
  const std::string peer = absl::StrCat("http://127.0.0.1:", m.peer_port);
  const std::string out_dir = absl::StrCat(dir_, "/", m.name, "-out");
  std::filesystem::create_directories(out_dir);
  m.process = std::make_unique<Subprocess>(
      std::vector<std::string>{
          "/usr/bin/etcd", "--name", m.name, "--data-dir",
          absl::StrCat(dir_, "/", m.name), "--listen-client-urls", client,
          "--advertise-client-urls", client, "--listen-peer-urls", peer,
          "--initial-advertise-peer-urls", peer, "--initial-cluster",
          absl::StrJoin(initial, ","), "--initial-cluster-state",
          fresh ? "new" : "existing", "--initial-cluster-token", "kg-test",
          "--logger", "zap", "--log-level", "warn",
          // Elections within a second on a loaded test machine.
          "--heartbeat-interval", "100", "--election-timeout", "1000"},
      out_dir);
}

bool EtcdCluster::WaitUntilServing() {
  absl::StatusOr<std::unique_ptr<replica::Etcd>> etcd =
      replica::Etcd::Connect(endpoints(), absl::Seconds(2));
  if (!etcd.ok()) return false;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if ((*etcd)->Put("/kg-test/ready", "1").ok()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

void EtcdCluster::Kill(int i) {
  members_[i].process->Signal(SIGKILL);
  members_[i].process->Wait(absl::Seconds(10));
}

bool EtcdCluster::Restart(int i) {
  Start(i, /*fresh=*/false);
  auto stub = etcdserverpb::Maintenance::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", members_[i].client_port),
                          grpc::InsecureChannelCredentials()));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    etcdserverpb::StatusResponse status;
    if (stub->Status(&ctx, etcdserverpb::StatusRequest(), &status).ok()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

int EtcdCluster::Leader(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  do {
    for (size_t i = 0; i < members_.size(); ++i) {
      auto stub = etcdserverpb::Maintenance::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", members_[i].client_port),
          grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
      etcdserverpb::StatusResponse status;
      if (stub->Status(&ctx, etcdserverpb::StatusRequest(), &status).ok() &&
          status.leader() != 0 &&
          status.leader() == status.header().member_id()) {
        return static_cast<int>(i);
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  return -1;
}

}  // namespace kg::testing
