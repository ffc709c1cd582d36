// EntityTable: every live entity's node id, type and label at one snapshot,
// in memory, so that a query about types and labels ("which types are
// there?", "the verbs ordered by label", "labels matching a pattern")
// reads no entity record and looks no label up in the dictionary.
//
// The store builds one with the compact adjacency (on open, and in the
// background once writes pause) and hands it to a Reader only when no
// commit since has changed the entities or the dictionary
// (Reader::entity_table()): then it is exactly the reader's. docs/storage.md
// has the design.
//
// Immutable after Build; safe to share between threads.
#ifndef KG_STORAGE_ENTITY_TABLE_H_
#define KG_STORAGE_ENTITY_TABLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/store.h"

namespace kg::storage {

class EntityTable {
 public:
  struct Entry {
    NodeId node = 0;     // the entity's node id (EntityPage::node_ids)
    uint32_t type = 0;   // index into types()
    uint32_t label = 0;  // index into the distinct labels
  };

  // The live entities `reader` sees, in id order (ListEntities'), with
  // each distinct label's node id as a plain literal (0 when the
  // dictionary does not hold that literal). `entities_generation` is the
  // adjacency's at the reader's snapshot.
  //   RESOURCE_EXHAUSTED: more than `max_entities` entities.
  //   CANCELLED: `should_stop` (may be empty) turned true.
  static absl::StatusOr<std::unique_ptr<const EntityTable>> Build(
      Reader& reader, uint64_t entities_generation, size_t max_entities,
      const std::function<bool()>& should_stop = {});

  absl::Span<const Entry> entries() const { return entries_; }
  // The entity whose node id is `node`, or null.
  const Entry* Find(NodeId node) const {
    auto it = by_node_.find(node);
    return it == by_node_.end() ? nullptr : &entries_[it->second];
  }
  // The distinct types, in the order the entities first have them.
  const std::vector<std::string>& types() const { return types_; }
  // The type's index, or nullopt when no entity has it.
  std::optional<uint32_t> TypeIndex(absl::string_view type) const {
    auto it = type_index_.find(type);
    if (it == type_index_.end()) return std::nullopt;
    return it->second;
  }
  // The entries (indices into entries()) of one type, in id order.
  absl::Span<const uint32_t> OfType(uint32_t type) const {
    return of_type_[type];
  }

  size_t label_count() const { return labels_.size(); }
  const std::string& label(uint32_t i) const { return labels_[i]; }
  // The node id of label `i` as a plain literal; 0 when the dictionary
  // holds no such literal (it is only an entity's name).
  NodeId label_node(uint32_t i) const { return label_nodes_[i]; }
  // The index of a label some entity has, or nullopt.
  std::optional<uint32_t> LabelIndex(absl::string_view label) const {
    auto it = label_index_.find(label);
    if (it == label_index_.end()) return std::nullopt;
    return it->second;
  }

  // The entries (indices into entries()) whose label starts with `prefix`
  // (bytes: UTF-8's order is its code points'), in their labels' order.
  absl::Span<const uint32_t> WithLabelPrefix(absl::string_view prefix) const;

  uint64_t entities_generation() const { return entities_generation_; }
  size_t memory_bytes() const;

 private:
  explicit EntityTable(uint64_t entities_generation)
      : entities_generation_(entities_generation) {}

  uint64_t entities_generation_;
  std::vector<Entry> entries_;
  absl::flat_hash_map<NodeId, uint32_t> by_node_;
  std::vector<std::string> types_;
  absl::flat_hash_map<std::string, uint32_t> type_index_;
  std::vector<std::vector<uint32_t>> of_type_;
  std::vector<std::string> labels_;
  std::vector<NodeId> label_nodes_;
  absl::flat_hash_map<std::string, uint32_t> label_index_;
  std::vector<uint32_t> by_label_;  // entries in their labels' order
};

}  // namespace kg::storage

#endif  // KG_STORAGE_ENTITY_TABLE_H_
