// WordPiece, WordLevel and Unigram models, and the model factory (BPE lives in bpe.cpp).
#include <cmath>
#include <limits>

#include "engine/tokenizer/factories.hpp"
#include "engine/tokenizer/unicode.hpp"
#include "engine/tokenizer/vocab.hpp"

namespace abstractllm::engine::tok {

std::unique_ptr<Model> make_bpe(json::Elem e, const std::string& where);

namespace {

void read_vocab_object(json::Elem e, const std::string& where, Vocab& v) {
  auto vocab = json::field(e, "vocab");
  if (!vocab || !vocab->is_object()) json::fail(where, "needs a \"vocab\" object");
  auto obj = vocab->get_object().value_unsafe();
  v.reserve(obj.size());
  for (auto kv : obj) {
    if (!kv.value.is_int64())
      json::fail(where + ".vocab", "id of \"" + std::string(kv.key) + "\" must be an integer");
    const int64_t id = kv.value.get_int64().value_unsafe();
    if (id < 0 || id > INT32_MAX - 1)
      json::fail(where + ".vocab", "id of \"" + std::string(kv.key) + "\" is out of range");
    v.add(kv.key, static_cast<int32_t>(id));
  }
}

class WordPiece final : public Model {
 public:
  Vocab vocab;
  std::string prefix = "##";
  int32_t unk_id = -1;
  size_t max_chars = 100;

  void tokenize(std::string_view w, std::vector<int32_t>& out) const override {
    size_t chars = 0;
    for (unsigned char c : w) chars += (c & 0xC0) != 0x80;
    if (chars > max_chars) {
      out.push_back(unk_id);
      return;
    }
    const size_t mark = out.size();
    std::string tmp;
    size_t start = 0;
    while (start < w.size()) {
      size_t end = w.size();
      int32_t found = -1;
      while (start < end) {
        std::string_view sub = w.substr(start, end - start);
        if (start > 0) {
          tmp = prefix;
          tmp += sub;
          sub = tmp;
        }
        found = vocab.find(sub);
        if (found >= 0) break;
        // Step back one character.
        size_t k = end - 1;
        while (k > start && (static_cast<unsigned char>(w[k]) & 0xC0) == 0x80) --k;
        end = k;
      }
      if (found < 0) {
        out.resize(mark);
        out.push_back(unk_id);
        return;
      }
      out.push_back(found);
      start = end;
    }
  }
  std::string_view id_to_token(int32_t id) const override { return vocab.token(id); }
  int32_t token_to_id(std::string_view t) const override { return vocab.find(t); }
  int64_t size() const override { return vocab.id_end(); }
};

class WordLevel final : public Model {
 public:
  Vocab vocab;
  int32_t unk_id = -1;
  void tokenize(std::string_view w, std::vector<int32_t>& out) const override {
    const int32_t id = vocab.find(w);
    if (id >= 0)
      out.push_back(id);
    else if (unk_id >= 0)
      out.push_back(unk_id);
  }
  std::string_view id_to_token(int32_t id) const override { return vocab.token(id); }
  int32_t token_to_id(std::string_view t) const override { return vocab.find(t); }
  int64_t size() const override { return vocab.id_end(); }
};

// Unigram: Viterbi over the pieces' log-probabilities, as the Rust library's encode_optimized.
class Unigram final : public Model {
 public:
  Vocab vocab;
  std::vector<double> scores;
  int32_t unk_id = -1;
  bool byte_fallback = false;
  double min_score = 0;
  size_t max_piece_bytes = 1;
  std::array<int32_t, 256> byte_ids{};

  void tokenize(std::string_view s, std::vector<int32_t>& out) const override {
    if (s.empty()) return;
    const double unk_score = min_score - 10.0;
    struct Node {
      double score = 0;
      int64_t start = -1;
      int32_t id = -1;
    };
    std::vector<Node> best(s.size() + 1);
    best[0].start = 0;
    size_t pos = 0;
    while (pos < s.size()) {
      const size_t mblen = std::min(utf8_len(static_cast<unsigned char>(s[pos])), s.size() - pos);
      if (best[pos].start < 0 && pos != 0) {
        pos += mblen;
        continue;
      }
      const double here = best[pos].score;
      bool single = false;
      const size_t limit = std::min(max_piece_bytes, s.size() - pos);
      for (size_t len = 1; len <= limit; ++len) {
        const size_t endp = pos + len;
        if (endp < s.size() && (static_cast<unsigned char>(s[endp]) & 0xC0) == 0x80) continue;
        const int32_t id = vocab.find(s.substr(pos, len));
        if (id < 0) continue;
        const double cand = scores[id] + here;
        Node& t = best[endp];
        if (t.start < 0 || cand > t.score) t = {cand, static_cast<int64_t>(pos), id};
        if (len == mblen) single = true;
      }
      if (!single) {
        Node& t = best[pos + mblen];
        const double cand = unk_score + here;
        if (t.start < 0 || cand > t.score) t = {cand, static_cast<int64_t>(pos), unk_id};
      }
      pos += mblen;
    }
    // Backtrack, then fuse consecutive unknowns into one piece.
    std::vector<std::pair<size_t, size_t>> spans;
    std::vector<int32_t> ids;
    for (size_t e = s.size(); e > 0;) {
      const Node& n = best[e];
      if (n.start < 0) break;
      spans.emplace_back(static_cast<size_t>(n.start), e);
      ids.push_back(n.id);
      e = static_cast<size_t>(n.start);
    }
    for (size_t k = spans.size(); k-- > 0;) {
      const bool unk = ids[k] == unk_id;
      size_t b = spans[k].first, e = spans[k].second;
      while (unk && k > 0 && ids[k - 1] == unk_id) {
        --k;
        e = spans[k].second;
      }
      std::string_view piece = s.substr(b, e - b);
      const int32_t id = unk ? vocab.find(piece) : ids[k];
      if (id >= 0) {
        out.push_back(id);
        continue;
      }
      if (byte_fallback) {
        bool all = true;
        for (unsigned char c : piece) all = all && byte_ids[c] >= 0;
        if (all) {
          for (unsigned char c : piece) out.push_back(byte_ids[c]);
          continue;
        }
      }
      if (unk_id >= 0) out.push_back(unk_id);
    }
  }
  std::string_view id_to_token(int32_t id) const override { return vocab.token(id); }
  int32_t token_to_id(std::string_view t) const override { return vocab.find(t); }
  int64_t size() const override { return vocab.id_end(); }
};

}  // namespace

std::unique_ptr<Model> make_model(json::Elem e, const std::string& where) {
  if (!e.is_object()) json::fail(where, "expected an object");
  std::string_view type;
  if (auto t = json::opt_str(e, "type", where)) {
    type = *t;
  } else if (json::field(e, "merges")) {
    type = "BPE";  // old files omit the model type
  } else {
    json::fail(where, "missing \"type\"");
  }
  if (type == "BPE") return make_bpe(e, where);
  if (type == "WordPiece") {
    auto m = std::make_unique<WordPiece>();
    read_vocab_object(e, where, m->vocab);
    m->prefix = std::string(json::str(e, "continuing_subword_prefix", where, "##"));
    m->max_chars = static_cast<size_t>(
        std::max<int64_t>(0, json::integer(e, "max_input_chars_per_word", where, 100)));
    const auto unk = json::str(e, "unk_token", where, "[UNK]");
    m->unk_id = m->vocab.find(unk);
    if (m->unk_id < 0)
      json::fail(where, "unk_token \"" + std::string(unk) + "\" is not in the vocabulary");
    return m;
  }
  if (type == "WordLevel") {
    auto m = std::make_unique<WordLevel>();
    read_vocab_object(e, where, m->vocab);
    if (auto unk = json::opt_str(e, "unk_token", where)) m->unk_id = m->vocab.find(*unk);
    return m;
  }
  if (type == "Unigram") {
    auto m = std::make_unique<Unigram>();
    auto arr = json::array(e, "vocab", where);
    m->vocab.reserve(arr.size());
    m->min_score = std::numeric_limits<double>::infinity();
    int32_t id = 0;
    for (auto item : arr) {
      const std::string w = where + ".vocab[" + std::to_string(id) + "]";
      if (!item.is_array()) json::fail(w, "expected [piece, score]");
      auto pair = item.get_array().value_unsafe();
      if (pair.size() != 2 || !pair.at(0).is_string() || !pair.at(1).is_number())
        json::fail(w, "expected [piece, score]");
      const std::string_view piece = pair.at(0).get_string().value_unsafe();
      const double score = pair.at(1).get_double().value_unsafe();
      m->vocab.add(piece, id);
      m->scores.push_back(score);
      m->min_score = std::min(m->min_score, score);
      m->max_piece_bytes = std::max(m->max_piece_bytes, piece.size());
      ++id;
    }
    if (id == 0) m->min_score = 0;
    const int64_t unk = json::integer(e, "unk_id", where, -1);
    if (unk >= id) json::fail(where, "unk_id " + std::to_string(unk) + " is out of range");
    m->unk_id = static_cast<int32_t>(unk);
    m->byte_fallback = json::boolean(e, "byte_fallback", where, false);
    for (int b = 0; b < 256; ++b) {
      static const char* hex = "0123456789ABCDEF";
      const char name[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
      m->byte_ids[b] = m->vocab.find(std::string_view(name, 6));
    }
    return m;
  }
  unsupported(where, type, "BPE, WordPiece, WordLevel, Unigram");
}

}  // namespace abstractllm::engine::tok
