#include "storage/entity_table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/model.h"

namespace kg::storage {

absl::StatusOr<std::unique_ptr<const EntityTable>> EntityTable::Build(
    Reader& reader, uint64_t entities_generation, size_t max_entities,
    const std::function<bool()>& should_stop) {
  std::unique_ptr<EntityTable> t(new EntityTable(entities_generation));
  const std::string xsd_string = absl::StrCat(kXsdNamespace, "string");
  // Refused before reading any, from the store's count.
  KG_ASSIGN_OR_RETURN(StoreStats stats, reader.Counts());
  if (stats.entities > max_entities) {
    return absl::ResourceExhaustedError(
        absl::StrCat("entity table: more than ", max_entities, " entities"));
  }
  std::string token;
  do {
    if (should_stop && should_stop()) {
      return absl::CancelledError("entity table: build stopped");
    }
    KG_ASSIGN_OR_RETURN(EntityPage page, reader.ListEntities(1000, token));
    if (t->entries_.size() + page.entities.size() > max_entities) {
      return absl::ResourceExhaustedError(
          absl::StrCat("entity table: more than ", max_entities, " entities"));
    }
    for (size_t i = 0; i < page.entities.size(); ++i) {
      const Entity& e = page.entities[i];
      Entry entry;
      entry.node = page.node_ids[i];
      auto [type, new_type] = t->type_index_.try_emplace(
          e.type, static_cast<uint32_t>(t->types_.size()));
      if (new_type) {
        t->types_.push_back(e.type);
        t->of_type_.emplace_back();
      }
      entry.type = type->second;
      auto [label, new_label] = t->label_index_.try_emplace(
          e.label, static_cast<uint32_t>(t->labels_.size()));
      if (new_label) {
        // The label as the literal a query names it by: its node when a
        // statement holds that literal.
        absl::StatusOr<NodeId> node = reader.NodeOf(
            Term::RdfLiteral(e.label, xsd_string, "", LiteralDirection::kNone));
        // NOT_FOUND: no such literal; INVALID_ARGUMENT: none can be (the
        // dataset's lookup takes both alike).
        if (!node.ok() && !absl::IsNotFound(node.status()) &&
            !absl::IsInvalidArgument(node.status())) {
          return node.status();
        }
        t->labels_.push_back(e.label);
        t->label_nodes_.push_back(node.ok() ? *node : 0);
      }
      entry.label = label->second;
      const uint32_t at = static_cast<uint32_t>(t->entries_.size());
      t->of_type_[entry.type].push_back(at);
      if (entry.node != 0) t->by_node_.emplace(entry.node, at);
      t->entries_.push_back(entry);
    }
    token = page.next_page_token;
  } while (!token.empty());
  // The entries in their labels' byte order, for a label prefix: the
  // distinct labels sorted, then the entries placed by their label's rank
  // (a counting sort, stable).
  if (should_stop && should_stop()) {
    return absl::CancelledError("entity table: stopped");
  }
  std::vector<uint32_t> order(t->labels_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&t](uint32_t a, uint32_t b) {
    return t->labels_[a] < t->labels_[b];
  });
  std::vector<uint32_t> first(t->labels_.size() + 1, 0);  // by rank
  std::vector<uint32_t> rank(t->labels_.size());
  for (uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  for (const Entry& e : t->entries_) ++first[rank[e.label] + 1];
  for (size_t r = 1; r < first.size(); ++r) first[r] += first[r - 1];
  t->by_label_.resize(t->entries_.size());
  for (uint32_t i = 0; i < t->entries_.size(); ++i) {
    t->by_label_[first[rank[t->entries_[i].label]]++] = i;
  }
  return std::unique_ptr<const EntityTable>(std::move(t));
}

size_t EntityTable::memory_bytes() const {
  size_t n =
      sizeof(*this) + entries_.capacity() * sizeof(Entry) +
      type_index_.capacity() * (sizeof(std::string) + sizeof(uint32_t) + 1) +
      by_node_.capacity() * (sizeof(NodeId) + sizeof(uint32_t) + 1) +
      label_nodes_.capacity() * sizeof(NodeId);
  for (const std::string& l : labels_) n += sizeof(std::string) + l.capacity();
  for (const std::string& t : types_) n += sizeof(std::string) + t.capacity();
  n += label_index_.capacity() * (sizeof(std::string) + sizeof(uint32_t) + 1);
  n += by_label_.capacity() * sizeof(uint32_t);
  for (const std::vector<uint32_t>& v : of_type_) {
    n += sizeof(v) + v.capacity() * sizeof(uint32_t);
  }
  return n;
}

absl::Span<const uint32_t> EntityTable::WithLabelPrefix(
    absl::string_view prefix) const {
  auto label_of = [this](uint32_t entry) -> absl::string_view {
    return labels_[entries_[entry].label];
  };
  const auto begin = std::lower_bound(
      by_label_.begin(), by_label_.end(), prefix,
      [&](uint32_t e, absl::string_view p) { return label_of(e) < p; });
  const auto end = std::partition_point(
      begin, by_label_.end(),
      [&](uint32_t e) { return absl::StartsWith(label_of(e), prefix); });
  return absl::MakeConstSpan(by_label_.data() + (begin - by_label_.begin()),
                             static_cast<size_t>(end - begin));
}

}  // namespace kg::storage
