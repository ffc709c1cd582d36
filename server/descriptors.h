// File descriptors: how kg-server shares its descriptor limit between
// client connections and the store, so that a flood of connections can
// never take the descriptors the store needs (docs/operations.md,
// "Descriptors").
//
//   const DescriptorPlan plan = PlanDescriptors(RaiseDescriptorLimit());
//   options.store.max_open_files = plan.store_max_open_files;
//   SetConnectionDescriptorCeiling(plan.connection_ceiling);
//
// The plan for a limit L keeps R = max(64, L / 4) descriptors out of the
// connections' reach: a connection is accepted only on a descriptor below
// L - R, and the store keeps at most R / 2 table files open, leaving the
// rest of R for its logs, manifests, flushes, compactions and backups.
#ifndef KG_SERVER_DESCRIPTORS_H_
#define KG_SERVER_DESCRIPTORS_H_

#include <cstdint>

namespace kg::server {

// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft
// limit in force afterwards.
int64_t RaiseDescriptorLimit();

struct DescriptorPlan {
  int64_t limit = 0;
  // Connections accepted on a descriptor at or above this are closed at
  // once (the process is then using at least this many descriptors).
  int64_t connection_ceiling = 0;
  // StoreOptions::max_open_files.
  int store_max_open_files = 0;
  // Descriptors kept from connections: limit - connection_ceiling.
  int64_t reserved = 0;
};

DescriptorPlan PlanDescriptors(int64_t limit);

// Descriptors the process may still open: the soft limit minus those open
// now (counted in /proc/self/fd). -1 when it cannot be told.
int64_t FreeDescriptors();

// The accept guard (accept_guard.cc, linked into kg-server only): every
// connection the process accepts on a descriptor >= `ceiling` is closed at
// once, and an accept that fails for want of descriptors drops the waiting
// connection instead of failing the listener. 0 turns the ceiling off.
void SetConnectionDescriptorCeiling(int64_t ceiling);

// Connections the guard closed at once since the process started.
uint64_t ConnectionsRefused();

}  // namespace kg::server

#endif  // KG_SERVER_DESCRIPTORS_H_
