// A file system that reports running out of file descriptors (EMFILE,
// ENFILE) as a retryable error. RocksDB stops writes after any I/O error;
// from an error it deems plain it recovers only on reopen, from a
// retryable one by itself, retrying until the cause is gone. A descriptor
// shortage is transient (connections close, a backup ends), so the store
// returns to serving without a restart. Internal to storage/.
#ifndef KG_STORAGE_DESCRIPTOR_ERRORS_H_
#define KG_STORAGE_DESCRIPTOR_ERRORS_H_

#include <memory>

#include "rocksdb/file_system.h"

namespace kg::storage {

std::shared_ptr<rocksdb::FileSystem> NewDescriptorErrorsRetryableFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base);

}  // namespace kg::storage

#endif  // KG_STORAGE_DESCRIPTOR_ERRORS_H_
