// KG_RETURN_IF_ERROR and KG_ASSIGN_OR_RETURN: early returns for absl::Status
// and absl::StatusOr, which this abseil (20220623) does not provide. Header
// only, with no dependency but absl: every module may include it.
//
//   KG_RETURN_IF_ERROR(store.Write(batch));
//   KG_ASSIGN_OR_RETURN(Entity e, reader.GetEntity("russia"));
#ifndef KG_COMMON_STATUS_MACROS_H_
#define KG_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status kg_status_ = (expr);      \
    if (!kg_status_.ok()) return kg_status_; \
  } while (0)

#define KG_STATUS_CONCAT_INNER_(a, b) a##b
#define KG_STATUS_CONCAT_(a, b) KG_STATUS_CONCAT_INNER_(a, b)

#define KG_ASSIGN_OR_RETURN(lhs, expr)                                      \
  KG_ASSIGN_OR_RETURN_IMPL_(KG_STATUS_CONCAT_(kg_statusor_, __LINE__), lhs, \
                            expr)

#define KG_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = *std::move(statusor)

#endif  // KG_COMMON_STATUS_MACROS_H_
