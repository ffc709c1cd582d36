#include "storage/fault_injection.h"

#include "storage/sync_ledger.h"

namespace kg::storage {

FaultInjection::FaultInjection() : ledger_(std::make_unique<SyncLedger>()) {}

FaultInjection::~FaultInjection() = default;

void FaultInjection::PowerOff() { ledger_->PowerOff(); }

bool FaultInjection::powered_off() const { return ledger_->powered_off(); }

absl::StatusOr<PowerLossReport> FaultInjection::DropUnsyncedData(
    const PowerLossOptions& options) {
  return ledger_->DropUnsynced(options);
}

}  // namespace kg::storage
