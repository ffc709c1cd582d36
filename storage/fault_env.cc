#include "storage/fault_env.h"

#include <string>
#include <utility>

#include "rocksdb/file_system.h"

namespace kg::storage {

namespace {

using rocksdb::DataVerificationInfo;
using rocksdb::FileOptions;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

IOStatus Injected(FaultInjection& faults) {
  faults.CountFailure();
  // As a full disk reports it: RocksDB treats "no space" as recoverable
  // (Resume) rather than fatal.
  return IOStatus::NoSpace("injected fault (FaultInjection)");
}

// What the POSIX file system returns when open() fails with EMFILE.
IOStatus OutOfDescriptors(FaultInjection& faults) {
  faults.CountFailure();
  return IOStatus::IOError("injected fault (FaultInjection)",
                           "Too many open files");
}

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<FSWritableFile> file,
                    std::shared_ptr<FaultInjection> faults)
      : FSWritableFileOwnerWrapper(std::move(file)),
        faults_(std::move(faults)) {}

  IOStatus Append(const Slice& data, const IOOptions& options,
                  IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options,
                                                        dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            const DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options,
                                                        info, dbg);
  }
  IOStatus Flush(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FSWritableFileOwnerWrapper::Flush(options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }

 private:
  std::shared_ptr<FaultInjection> faults_;
};

IOStatus InjectedRead(FaultInjection& faults) {
  faults.CountFailure();
  return IOStatus::IOError("injected read fault (FaultInjection)");
}

class FaultRandomAccessFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file,
                        std::shared_ptr<FaultInjection> faults)
      : FSRandomAccessFileOwnerWrapper(std::move(file)),
        faults_(std::move(faults)) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& options,
                Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    if (faults_->failing_reads()) return InjectedRead(*faults_);
    return FSRandomAccessFileOwnerWrapper::Read(offset, n, options, result,
                                                scratch, dbg);
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                     const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing_reads()) {
      for (size_t i = 0; i < num_reqs; ++i)
        reqs[i].status = InjectedRead(*faults_);
      return IOStatus::OK();
    }
    return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num_reqs, options,
                                                     dbg);
  }
  IOStatus Prefetch(uint64_t offset, size_t n, const IOOptions& options,
                    IODebugContext* dbg) override {
    if (faults_->failing_reads()) return InjectedRead(*faults_);
    return FSRandomAccessFileOwnerWrapper::Prefetch(offset, n, options, dbg);
  }
  IOStatus ReadAsync(
      rocksdb::FSReadRequest& req, const IOOptions& opts,
      std::function<void(const rocksdb::FSReadRequest&, void*)> cb,
      void* cb_arg, void** io_handle, rocksdb::IOHandleDeleter* del_fn,
      IODebugContext* dbg) override {
    if (faults_->failing_reads()) return InjectedRead(*faults_);
    return FSRandomAccessFileOwnerWrapper::ReadAsync(req, opts, cb, cb_arg,
                                                     io_handle, del_fn, dbg);
  }

 private:
  std::shared_ptr<FaultInjection> faults_;
};

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultFileSystem(std::shared_ptr<FileSystem> base,
                  std::shared_ptr<FaultInjection> faults)
      : FileSystemWrapper(std::move(base)), faults_(std::move(faults)) {}

  static const char* kClassName() { return "KgFaultFileSystem"; }
  const char* Name() const override { return kClassName(); }

  IOStatus NewRandomAccessFile(const std::string& f, const FileOptions& opts,
                               std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                               IODebugContext* dbg) override {
    if (faults_->out_of_descriptors()) return OutOfDescriptors(*faults_);
    std::unique_ptr<rocksdb::FSRandomAccessFile> file;
    IOStatus s = FileSystemWrapper::NewRandomAccessFile(f, opts, &file, dbg);
    if (s.ok()) r->reset(new FaultRandomAccessFile(std::move(file), faults_));
    return s;
  }
  IOStatus NewWritableFile(const std::string& f, const FileOptions& opts,
                           std::unique_ptr<FSWritableFile>* r,
                           IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    if (faults_->out_of_descriptors()) return OutOfDescriptors(*faults_);
    std::unique_ptr<FSWritableFile> file;
    IOStatus s = FileSystemWrapper::NewWritableFile(f, opts, &file, dbg);
    if (s.ok()) r->reset(new FaultWritableFile(std::move(file), faults_));
    return s;
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& opts,
                              std::unique_ptr<FSWritableFile>* r,
                              IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    if (faults_->out_of_descriptors()) return OutOfDescriptors(*faults_);
    std::unique_ptr<FSWritableFile> file;
    IOStatus s = FileSystemWrapper::ReopenWritableFile(f, opts, &file, dbg);
    if (s.ok()) r->reset(new FaultWritableFile(std::move(file), faults_));
    return s;
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                             const FileOptions& opts,
                             std::unique_ptr<FSWritableFile>* r,
                             IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    if (faults_->out_of_descriptors()) return OutOfDescriptors(*faults_);
    std::unique_ptr<FSWritableFile> file;
    IOStatus s = FileSystemWrapper::ReuseWritableFile(f, old, opts, &file, dbg);
    if (s.ok()) r->reset(new FaultWritableFile(std::move(file), faults_));
    return s;
  }
  // A full disk has no free space: RocksDB's own recovery waits for some
  // before it retries.
  IOStatus GetFreeSpace(const std::string& path, const IOOptions& options,
                        uint64_t* free, IODebugContext* dbg) override {
    if (faults_->failing()) {
      *free = 0;
      return IOStatus::OK();
    }
    return FileSystemWrapper::GetFreeSpace(path, options, free, dbg);
  }
  IOStatus RenameFile(const std::string& src, const std::string& target,
                      const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    return FileSystemWrapper::RenameFile(src, target, options, dbg);
  }

 private:
  std::shared_ptr<FaultInjection> faults_;
};

}  // namespace

std::unique_ptr<rocksdb::Env> NewFaultInjectionEnv(
    std::shared_ptr<FaultInjection> faults) {
  auto fs = std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default(),
                                              std::move(faults));
  return rocksdb::NewCompositeEnv(fs);
}

}  // namespace kg::storage
