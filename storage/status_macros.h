// storage/'s callers include the macros from here; they live in
// common/status_macros.h, which every module may include.
#ifndef KG_STORAGE_STATUS_MACROS_H_
#define KG_STORAGE_STATUS_MACROS_H_

#include "common/status_macros.h"  // IWYU pragma: export

#endif  // KG_STORAGE_STATUS_MACROS_H_
