#include "storage/fault_env.h"

#include <string>
#include <utility>

#include "rocksdb/file_system.h"
#include "storage/sync_ledger.h"

namespace kg::storage {

namespace {

using rocksdb::DataVerificationInfo;
using rocksdb::FileOptions;
using rocksdb::FSDirectory;
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

// Every change to the disk fails once the power is off (PowerOff).
IOStatus PoweredOff(FaultInjection& faults) {
  faults.CountFailure();
  return IOStatus::IOError("power off (FaultInjection)");
}

// Why a change must not happen now, or OK.
IOStatus Refused(FaultInjection& faults) {
  if (faults.failing()) return Injected(faults);
  if (faults.powered_off()) return PoweredOff(faults);
  return IOStatus::OK();
}

// Reports what is written and synced to the ledger, which drops what was
// not synced on a power loss (sync_ledger.h).
class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<FSWritableFile> file,
                    std::shared_ptr<FaultInjection> faults,
                    std::shared_ptr<SyncLedger::File> state)
      : FSWritableFileOwnerWrapper(std::move(file)),
        faults_(std::move(faults)),
        state_(std::move(state)) {}

  IOStatus Append(const Slice& data, const IOOptions& options,
                  IODebugContext* dbg) override {
    if (IOStatus r = Refused(*faults_); !r.ok()) return r;
    IOStatus s = FSWritableFileOwnerWrapper::Append(data, options, dbg);
    if (s.ok()) faults_->ledger().Appended(*state_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    if (IOStatus r = Refused(*faults_); !r.ok()) return r;
    IOStatus s = FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    if (s.ok()) faults_->ledger().Appended(*state_, data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            IODebugContext* dbg) override {
    if (IOStatus r = Refused(*faults_); !r.ok()) return r;
    IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset,
                                                              options, dbg);
    if (s.ok()) faults_->ledger().WroteTo(*state_, offset + data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            const DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    if (IOStatus r = Refused(*faults_); !r.ok()) return r;
    IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(
        data, offset, options, info, dbg);
    if (s.ok()) faults_->ledger().WroteTo(*state_, offset + data.size());
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options,
                    IODebugContext* dbg) override {
    if (IOStatus r = Refused(*faults_); !r.ok()) return r;
    IOStatus s = FSWritableFileOwnerWrapper::Truncate(size, options, dbg);
    if (s.ok()) faults_->ledger().Truncated(*state_, size);
    return s;
  }
  IOStatus Flush(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus r = Refused(*faults_); !r.ok()) return r;
    return FSWritableFileOwnerWrapper::Flush(options, dbg);
  }
  // Makes nothing durable (sync_ledger.h).
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (IOStatus r = Refused(*faults_); !r.ok()) return r;
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    IOStatus s;
    if (!faults_->ledger().Sync(*state_, [&] {
          s = FSWritableFileOwnerWrapper::Sync(options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    IOStatus s;
    if (!faults_->ledger().Sync(*state_, [&] {
          s = FSWritableFileOwnerWrapper::Fsync(options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  // Close passes through even with the power off: it releases the file and
  // makes nothing durable.

 private:
  std::shared_ptr<FaultInjection> faults_;
  std::shared_ptr<SyncLedger::File> state_;
};

// A directory whose fsyncs make its new entries durable in the ledger.
class FaultDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<FSDirectory> dir, std::string name,
                 std::shared_ptr<FaultInjection> faults)
      : FSDirectoryWrapper(std::move(dir)),
        name_(std::move(name)),
        faults_(std::move(faults)) {}

  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    IOStatus s;
    if (!faults_->ledger().SyncDir(name_, [&] {
          s = FSDirectoryWrapper::Fsync(options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  IOStatus FsyncWithDirOptions(
      const IOOptions& options, IODebugContext* dbg,
      const rocksdb::DirFsyncOptions& dir_fsync_options) override {
    if (faults_->failing()) return Injected(*faults_);
    IOStatus s;
    if (!faults_->ledger().SyncDir(name_, [&] {
          s = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg,
                                                      dir_fsync_options);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }

 private:
  const std::string name_;
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
    return OpenWritable(
        [&](const SyncLedger::Op& op,
            std::shared_ptr<SyncLedger::File>* state) {
          return faults_->ledger().Create(f, op, state);
        },
        [&](std::unique_ptr<FSWritableFile>* file) {
          return FileSystemWrapper::NewWritableFile(f, opts, file, dbg);
        },
        r);
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& opts,
                              std::unique_ptr<FSWritableFile>* r,
                              IODebugContext* dbg) override {
    return OpenWritable(
        [&](const SyncLedger::Op& op,
            std::shared_ptr<SyncLedger::File>* state) {
          return faults_->ledger().Reopen(f, op, state);
        },
        [&](std::unique_ptr<FSWritableFile>* file) {
          return FileSystemWrapper::ReopenWritableFile(f, opts, file, dbg);
        },
        r);
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                             const FileOptions& opts,
                             std::unique_ptr<FSWritableFile>* r,
                             IODebugContext* dbg) override {
    return OpenWritable(
        [&](const SyncLedger::Op& op,
            std::shared_ptr<SyncLedger::File>* state) {
          return faults_->ledger().Reuse(old, f, op, state);
        },
        [&](std::unique_ptr<FSWritableFile>* file) {
          return FileSystemWrapper::ReuseWritableFile(f, old, opts, file, dbg);
        },
        r);
  }
  // Not tracked by the ledger: RocksDB writes through one only to stamp a
  // sequence number into an ingested file, which kg does not ask for.
  IOStatus NewRandomRWFile(const std::string& f, const FileOptions& opts,
                           std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                           IODebugContext* dbg) override {
    if (IOStatus refused = Refused(*faults_); !refused.ok()) return refused;
    return FileSystemWrapper::NewRandomRWFile(f, opts, r, dbg);
  }
  IOStatus NewDirectory(const std::string& name, const IOOptions& io_opts,
                        std::unique_ptr<FSDirectory>* r,
                        IODebugContext* dbg) override {
    std::unique_ptr<FSDirectory> dir;
    IOStatus s = FileSystemWrapper::NewDirectory(name, io_opts, &dir, dbg);
    if (s.ok()) r->reset(new FaultDirectory(std::move(dir), name, faults_));
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
    IOStatus s;
    if (!faults_->ledger().Rename(src, target, [&] {
          s = FileSystemWrapper::RenameFile(src, target, options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  IOStatus LinkFile(const std::string& src, const std::string& target,
                    const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    IOStatus s;
    if (!faults_->ledger().Link(src, target, [&] {
          s = FileSystemWrapper::LinkFile(src, target, options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  // Deleting is not failed by set_failing: a full disk still lets a file
  // go, and RocksDB's recovery from one deletes files.
  IOStatus DeleteFile(const std::string& f, const IOOptions& options,
                      IODebugContext* dbg) override {
    IOStatus s;
    if (!faults_->ledger().Delete(f, [&] {
          s = FileSystemWrapper::DeleteFile(f, options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  IOStatus Truncate(const std::string& f, size_t size, const IOOptions& options,
                    IODebugContext* dbg) override {
    if (faults_->failing()) return Injected(*faults_);
    IOStatus s;
    if (!faults_->ledger().Truncate(f, size, [&] {
          s = FileSystemWrapper::Truncate(f, size, options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  // Directories are entries in their parent, as files are (sync_ledger.h).
  IOStatus CreateDir(const std::string& d, const IOOptions& options,
                     IODebugContext* dbg) override {
    IOStatus s;
    if (!faults_->ledger().CreateDir(d, [&] {
          s = FileSystemWrapper::CreateDir(d, options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  IOStatus CreateDirIfMissing(const std::string& d, const IOOptions& options,
                              IODebugContext* dbg) override {
    IOStatus s;
    if (!faults_->ledger().CreateDir(d, [&] {
          s = FileSystemWrapper::CreateDirIfMissing(d, options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }
  IOStatus DeleteDir(const std::string& d, const IOOptions& options,
                     IODebugContext* dbg) override {
    IOStatus s;
    if (!faults_->ledger().Delete(d, [&] {
          s = FileSystemWrapper::DeleteDir(d, options, dbg);
          return s.ok();
        })) {
      return PoweredOff(*faults_);
    }
    return s;
  }

 private:
  // Opens a writable file: `ledger_open` is the ledger's Create, Reopen or
  // Reuse, which runs the real open (`base_open`) and tracks the file unless
  // the power is off.
  template <typename LedgerOpen, typename BaseOpen>
  IOStatus OpenWritable(const LedgerOpen& ledger_open,
                        const BaseOpen& base_open,
                        std::unique_ptr<FSWritableFile>* r) {
    if (faults_->failing()) return Injected(*faults_);
    if (faults_->out_of_descriptors()) return OutOfDescriptors(*faults_);
    std::unique_ptr<FSWritableFile> file;
    std::shared_ptr<SyncLedger::File> state;
    IOStatus s;
    const auto open = [&] {
      s = base_open(&file);
      return s.ok();
    };
    if (!ledger_open(open, &state)) return PoweredOff(*faults_);
    if (s.ok()) {
      r->reset(new FaultWritableFile(std::move(file), faults_, state));
    }
    return s;
  }

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
