// EtcdCluster: a real etcd cluster (Debian's etcd-server) on 127.0.0.1
// for the replica tests, each member's data under a directory of the test.
#ifndef KG_TESTS_SUPPORT_ETCD_CLUSTER_H_
#define KG_TESTS_SUPPORT_ETCD_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/support/process.h"

namespace kg::testing {

class EtcdCluster {
 public:
  // Starts `members` members and waits (up to 30 s) until the cluster
  // answers. Ports are picked free by the kernel (bound to port 0 and
  // released just before etcd takes them): etcd cannot report a port it
  // chose itself.
  EtcdCluster(const std::string& dir, int members);
  ~EtcdCluster();
  bool started() const { return started_; }
  // "127.0.0.1:port" of each member's client URL.
  std::vector<std::string> endpoints() const;
  // SIGKILLs member `i`; Restart starts it again on its data, and says
  // whether it answers within 10 s.
  void Kill(int i);
  bool Restart(int i);
  // The member that is Raft leader, as the running members tell it (etcd's
  // Maintenance.Status); -1 when none agrees within `timeout`.
  int Leader(absl::Duration timeout = absl::Seconds(10)) const;
  int size() const { return static_cast<int>(members_.size()); }

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::unique_ptr<Subprocess> process;
  };
  void Start(int i, bool fresh);
  bool WaitUntilServing();

  std::string dir_;
  std::vector<Member> members_;
  bool started_ = false;
};

// A TCP port on 127.0.0.1 free at the time of the call.
int FreeLoopbackPort();

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_ETCD_CLUSTER_H_
