#include "storage/sync_ledger.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kg::storage {

namespace {

namespace fs = std::filesystem;

// One spelling per path: RocksDB names a directory "d" or "d/" and its
// files "d/x"; entries are matched to directories by their parent.
std::string Normal(const std::string& path) {
  std::string p = fs::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Parent(const std::string& normal) {
  return fs::path(normal).parent_path().string();
}

// Whether `path` is inside directory `dir` (both normal).
bool Under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

// Moves the entries of `map` inside directory `from` into `to`.
template <typename Map>
void MoveUnder(Map& map, const std::string& from, const std::string& to) {
  for (auto it = map.lower_bound(from + "/");
       it != map.end() && Under(it->first, from);) {
    map[to + it->first.substr(from.size())] = std::move(it->second);
    it = map.erase(it);
  }
}

// The first `limit` bytes of the file at `path` (all of it when shorter).
std::string ReadPrefix(const std::string& path, uint64_t limit) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  std::string data(ec ? 0 : std::min(limit, size), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

absl::Status Unavailable(absl::string_view what, const std::string& path,
                         const std::error_code& ec) {
  return absl::UnavailableError(
      absl::StrCat("power loss: cannot ", what, " ", path, ": ", ec.message()));
}

}  // namespace

void SyncLedger::PowerOff() {
  absl::MutexLock lock(&mu_);
  off_.store(true);
}

std::optional<std::string> SyncLedger::Replaced(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const auto it = files_.find(path);
  return ReadPrefix(path, it == files_.end() ? UINT64_MAX : it->second->synced);
}

void SyncLedger::AddEntry(const std::string& path,
                          std::optional<std::string> replaced) {
  // An entry already pending keeps what it would bring back: the file it
  // replaced first is the one on disk.
  pending_.emplace(path, std::move(replaced));
}

void SyncLedger::RemoveEntry(const std::string& path) {
  files_.erase(path);
  const auto it = pending_.find(path);
  // A new entry removed again leaves nothing either way; one that replaced a
  // durable file still brings it back.
  if (it != pending_.end() && !it->second.has_value()) pending_.erase(it);
}

bool SyncLedger::Create(const std::string& path_in, const Op& op,
                        std::shared_ptr<File>* file) {
  const std::string path = Normal(path_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  std::error_code ec;
  // Truncating an existing file keeps its entry as durable as it was.
  const bool existed = fs::exists(path, ec);
  if (!op()) return true;
  if (!existed) AddEntry(path, std::nullopt);
  *file = std::make_shared<File>();
  files_[path] = *file;
  return true;
}

bool SyncLedger::Reopen(const std::string& path_in, const Op& op,
                        std::shared_ptr<File>* file) {
  const std::string path = Normal(path_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  const uint64_t size = existed ? fs::file_size(path, ec) : 0;
  if (!op()) return true;
  auto it = files_.find(path);
  if (it == files_.end()) {
    if (!existed) AddEntry(path, std::nullopt);
    // A file from before the ledger: durable as it is.
    it = files_.emplace(path, std::make_shared<File>(File{size, size})).first;
  }
  *file = it->second;
  return true;
}

bool SyncLedger::Reuse(const std::string& from_in, const std::string& path_in,
                       const Op& op, std::shared_ptr<File>* file) {
  const std::string from = Normal(from_in);
  const std::string path = Normal(path_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  std::optional<std::string> replaced = Replaced(path);
  if (!op()) return true;
  RemoveEntry(from);
  AddEntry(path, std::move(replaced));
  *file = std::make_shared<File>();
  files_[path] = *file;
  return true;
}

bool SyncLedger::Rename(const std::string& from_in, const std::string& to_in,
                        const Op& op) {
  const std::string from = Normal(from_in);
  const std::string to = Normal(to_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  std::optional<std::string> replaced = Replaced(to);
  if (!op()) return true;
  std::shared_ptr<File> moved;
  if (const auto it = files_.find(from); it != files_.end()) moved = it->second;
  RemoveEntry(from);
  files_.erase(to);
  AddEntry(to, std::move(replaced));
  // A file from before the ledger stays untracked: its data is durable.
  if (moved != nullptr) files_[to] = std::move(moved);
  std::error_code ec;
  if (fs::is_directory(to, ec)) {
    MoveUnder(files_, from, to);
    MoveUnder(pending_, from, to);
  }
  return true;
}

bool SyncLedger::Link(const std::string& from_in, const std::string& to_in,
                      const Op& op) {
  const std::string from = Normal(from_in);
  const std::string to = Normal(to_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  if (!op()) return true;  // a link never replaces a file
  AddEntry(to, std::nullopt);
  if (const auto it = files_.find(from); it != files_.end()) {
    files_[to] = it->second;
  }
  return true;
}

bool SyncLedger::Delete(const std::string& path_in, const Op& op) {
  const std::string path = Normal(path_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  if (op()) RemoveEntry(path);
  return true;
}

bool SyncLedger::CreateDir(const std::string& path_in, const Op& op) {
  const std::string path = Normal(path_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  if (op() && !existed) AddEntry(path, std::nullopt);
  return true;
}

bool SyncLedger::Truncate(const std::string& path_in, uint64_t size,
                          const Op& op) {
  const std::string path = Normal(path_in);
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  if (!op()) return true;
  if (const auto it = files_.find(path); it != files_.end()) {
    it->second->size = size;
    it->second->synced = std::min(it->second->synced, size);
  }
  return true;
}

bool SyncLedger::SyncDir(const std::string& dir_in, const Op& op) {
  const std::string dir = Normal(dir_in);
  // Held across the fsync, so that no entry made while it runs is taken as
  // covered by it.
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  if (!op()) return true;
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = Parent(it->first) == dir ? pending_.erase(it) : std::next(it);
  }
  return true;
}

void SyncLedger::Appended(File& file, uint64_t n) {
  absl::MutexLock lock(&mu_);
  file.size += n;
}

void SyncLedger::WroteTo(File& file, uint64_t end) {
  absl::MutexLock lock(&mu_);
  file.size = std::max(file.size, end);
}

void SyncLedger::Truncated(File& file, uint64_t size) {
  absl::MutexLock lock(&mu_);
  file.size = size;
  file.synced = std::min(file.synced, size);
}

bool SyncLedger::Sync(File& file, const Op& op) {
  uint64_t covered = 0;
  {
    absl::MutexLock lock(&mu_);
    if (off_.load()) return false;
    // Data written while the sync runs may or may not be covered by it;
    // the ledger takes it as not.
    covered = file.size;
  }
  const bool ok = op();
  absl::MutexLock lock(&mu_);
  if (off_.load()) return false;
  if (ok) file.synced = std::max(file.synced, std::min(covered, file.size));
  return true;
}

absl::StatusOr<PowerLossReport> SyncLedger::DropUnsynced(
    const PowerLossOptions& options) {
  absl::MutexLock lock(&mu_);
  std::mt19937_64 rng(options.seed);
  const auto coin = [&rng] { return (rng() & 1) == 0; };
  PowerLossReport report;
  std::error_code ec;
  // Entries whose directory was not fsynced since they were made. A
  // directory removed takes its entries along.
  std::vector<std::string> removed_dirs;
  const auto removed = [&removed_dirs](const std::string& path) {
    return std::any_of(
        removed_dirs.begin(), removed_dirs.end(),
        [&path](const std::string& dir) { return Under(path, dir); });
  };
  for (auto& [path, replaced] : pending_) {
    if (removed(path)) continue;
    if (replaced.has_value()) {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(replaced->data(),
                static_cast<std::streamsize>(replaced->size()));
      out.close();
      if (!out) {
        return absl::UnavailableError(
            absl::StrCat("power loss: cannot restore ", path));
      }
      files_.erase(path);
      ++report.files_restored;
      continue;
    }
    if (options.keep_random_part && coin()) continue;  // it reached the disk
    files_.erase(path);
    if (fs::is_directory(path, ec)) {
      fs::remove_all(path, ec);
      removed_dirs.push_back(path);
      ++report.entries_removed;
    } else if (fs::remove(path, ec)) {
      ++report.entries_removed;
    }
    if (ec) return Unavailable("remove", path, ec);
  }
  // Data that was not synced. Two names of one file are cut at one point.
  std::map<const File*, uint64_t> keep;
  for (const auto& [path, file] : files_) {
    if (!fs::exists(path, ec)) continue;  // removed behind the ledger's back
    auto [at, is_new] = keep.emplace(file.get(), file->synced);
    if (is_new && options.keep_random_part && file->size > file->synced) {
      at->second = std::uniform_int_distribution<uint64_t>(file->synced,
                                                           file->size)(rng);
    }
    const uint64_t size = fs::file_size(path, ec);
    if (ec) return Unavailable("read the size of", path, ec);
    if (size <= at->second) continue;
    fs::resize_file(path, at->second, ec);
    if (ec) return Unavailable("truncate", path, ec);
    ++report.files_truncated;
    report.bytes_dropped += size - at->second;
  }
  // After the reboot: what is on disk is durable, and the power is on.
  files_.clear();
  pending_.clear();
  off_.store(false);
  return report;
}

}  // namespace kg::storage
