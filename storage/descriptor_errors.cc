#include "storage/descriptor_errors.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"

namespace kg::storage {

namespace {

using rocksdb::FileOptions;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

// RocksDB's POSIX file system puts strerror(errno) in the message; it keeps
// no errno. "Too many open files" is EMFILE, "... in system" ENFILE.
IOStatus Classified(IOStatus s) {
  if (s.IsIOError() && !s.GetRetryable() &&
      absl::StrContains(s.ToString(), "Too many open files")) {
    s.SetRetryable(true);
  }
  return s;
}

// Only opening a file takes a descriptor.
class DescriptorErrorsFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit DescriptorErrorsFileSystem(std::shared_ptr<FileSystem> base)
      : FileSystemWrapper(std::move(base)) {}

  static const char* kClassName() { return "KgDescriptorErrorsFileSystem"; }
  const char* Name() const override { return kClassName(); }

  IOStatus NewSequentialFile(const std::string& f, const FileOptions& opts,
                             std::unique_ptr<rocksdb::FSSequentialFile>* r,
                             IODebugContext* dbg) override {
    return Classified(FileSystemWrapper::NewSequentialFile(f, opts, r, dbg));
  }
  IOStatus NewRandomAccessFile(const std::string& f, const FileOptions& opts,
                               std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                               IODebugContext* dbg) override {
    return Classified(FileSystemWrapper::NewRandomAccessFile(f, opts, r, dbg));
  }
  IOStatus NewWritableFile(const std::string& f, const FileOptions& opts,
                           std::unique_ptr<rocksdb::FSWritableFile>* r,
                           IODebugContext* dbg) override {
    return Classified(FileSystemWrapper::NewWritableFile(f, opts, r, dbg));
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& opts,
                              std::unique_ptr<rocksdb::FSWritableFile>* r,
                              IODebugContext* dbg) override {
    return Classified(FileSystemWrapper::ReopenWritableFile(f, opts, r, dbg));
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                             const FileOptions& opts,
                             std::unique_ptr<rocksdb::FSWritableFile>* r,
                             IODebugContext* dbg) override {
    return Classified(
        FileSystemWrapper::ReuseWritableFile(f, old, opts, r, dbg));
  }
  IOStatus NewRandomRWFile(const std::string& f, const FileOptions& opts,
                           std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                           IODebugContext* dbg) override {
    return Classified(FileSystemWrapper::NewRandomRWFile(f, opts, r, dbg));
  }
  IOStatus NewDirectory(const std::string& name, const IOOptions& io_opts,
                        std::unique_ptr<rocksdb::FSDirectory>* r,
                        IODebugContext* dbg) override {
    return Classified(FileSystemWrapper::NewDirectory(name, io_opts, r, dbg));
  }
  IOStatus LockFile(const std::string& f, const IOOptions& opts,
                    rocksdb::FileLock** l, IODebugContext* dbg) override {
    return Classified(FileSystemWrapper::LockFile(f, opts, l, dbg));
  }
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewDescriptorErrorsRetryableFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<DescriptorErrorsFileSystem>(std::move(base));
}

}  // namespace kg::storage
