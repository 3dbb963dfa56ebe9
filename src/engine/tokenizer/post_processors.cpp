// Post-processors: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel (ids
// unchanged: it only moves offsets), Sequence. Only single sequences are encoded here.
#include "engine/tokenizer/factories.hpp"

namespace abstractllm::engine::tok {
namespace {

class Template final : public PostProcessor {
 public:
  // Each item: a list of special ids, or empty + is_seq for the sequence itself.
  struct Item {
    bool is_seq;
    std::vector<int32_t> ids;
  };
  explicit Template(std::vector<Item> items) : items_(std::move(items)) {}
  void process(std::vector<int32_t>& ids, bool add_special) const override {
    if (!add_special) return;
    std::vector<int32_t> out;
    out.reserve(ids.size() + 4);
    for (const auto& it : items_) {
      if (it.is_seq)
        out.insert(out.end(), ids.begin(), ids.end());
      else
        out.insert(out.end(), it.ids.begin(), it.ids.end());
    }
    ids = std::move(out);
  }

 private:
  std::vector<Item> items_;
};

class Wrap final : public PostProcessor {
 public:
  Wrap(int32_t cls, int32_t sep) : cls_(cls), sep_(sep) {}
  void process(std::vector<int32_t>& ids, bool add_special) const override {
    if (!add_special) return;
    ids.insert(ids.begin(), cls_);
    ids.push_back(sep_);
  }

 private:
  int32_t cls_, sep_;
};

class Noop final : public PostProcessor {
 public:
  void process(std::vector<int32_t>&, bool) const override {}
};

class SequencePP final : public PostProcessor {
 public:
  explicit SequencePP(std::vector<std::unique_ptr<PostProcessor>> items)
      : items_(std::move(items)) {}
  void process(std::vector<int32_t>& ids, bool add_special) const override {
    for (const auto& p : items_) p->process(ids, add_special);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> items_;
};

int32_t pair_id(json::Elem e, std::string_view key, const std::string& where) {
  std::string msg(key);  // (built stepwise: GCC 12 warns falsely on "..." + std::string)
  msg += " must be [token, id]";
  auto f = json::field(e, key);
  if (!f || !f->is_array()) json::fail(where, msg);
  auto a = f->get_array().value_unsafe();
  if (a.size() != 2 || !a.at(1).is_int64()) json::fail(where, msg);
  const int64_t id = a.at(1).get_int64().value_unsafe();
  if (id < 0 || id > INT32_MAX) json::fail(where, "special token id out of range");
  return static_cast<int32_t>(id);
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(json::Elem e, const std::string& where) {
  const auto type = json::type_of(e, where);
  if (type == "TemplateProcessing") {
    auto specials = json::field(e, "special_tokens");
    std::vector<Template::Item> items;
    size_t i = 0;
    for (auto piece : json::array(e, "single", where)) {
      const std::string w = where + ".single[" + std::to_string(i++) + "]";
      if (json::field(piece, "Sequence")) {
        items.push_back({true, {}});
        continue;
      }
      auto sp = json::field(piece, "SpecialToken");
      if (!sp) json::fail(w, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      const std::string_view name = json::str(*sp, "id", w);
      std::optional<json::Elem> def;
      if (specials) def = json::field(*specials, name);
      if (!def) json::fail(w, "special token \"" + std::string(name) +
                                   "\" is not listed in special_tokens");
      Template::Item item{false, {}};
      for (auto id : json::array(*def, "ids", w)) {
        if (!id.is_int64() || id.get_int64().value_unsafe() < 0 ||
            id.get_int64().value_unsafe() > INT32_MAX)
          json::fail(w, "special token ids must be non-negative integers");
        item.ids.push_back(static_cast<int32_t>(id.get_int64().value_unsafe()));
      }
      items.push_back(std::move(item));
    }
    return std::make_unique<Template>(std::move(items));
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    return std::make_unique<Wrap>(pair_id(e, "cls", where), pair_id(e, "sep", where));
  }
  if (type == "ByteLevel") return std::make_unique<Noop>();
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PostProcessor>> items;
    size_t i = 0;
    for (auto sub : json::array(e, "processors", where))
      items.push_back(make_post_processor(sub, where + ".processors[" + std::to_string(i++) + "]"));
    return std::make_unique<SequencePP>(std::move(items));
  }
  unsupported(where, type,
              "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence");
}

}  // namespace abstractllm::engine::tok
