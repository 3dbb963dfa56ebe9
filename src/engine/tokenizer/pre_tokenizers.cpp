// Pre-tokenizers: Split, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Digits,
// BertPreTokenizer, CharDelimiterSplit, Sequence. Splitting follows NormalizedString::split of
// the Rust library: matches and gaps are grouped by the delimiter behaviour, empties dropped.
#include <functional>
#include <optional>

#include "engine/tokenizer/byte_level.hpp"
#include "engine/tokenizer/factories.hpp"
#include "engine/tokenizer/regex.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine::tok {
namespace {

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Span {
  size_t b, e;
  bool match;
};

// Groups [b,e) spans covering a piece by behaviour and appends the resulting sub-pieces.
void emit(const Piece& parent, std::vector<Span>& spans, Behavior bh, std::vector<Piece>& out) {
  std::vector<Span> g;
  g.reserve(spans.size());
  switch (bh) {
    case Behavior::kRemoved:
      for (const auto& s : spans)
        if (!s.match) g.push_back(s);
      break;
    case Behavior::kIsolated:
      g = spans;
      break;
    case Behavior::kMergedWithPrevious: {
      bool prev_match = false;
      for (const auto& s : spans) {
        if (s.match && !prev_match && !g.empty()) {
          g.back().e = s.e;
        } else {
          g.push_back({s.b, s.e, false});
        }
        prev_match = s.match;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool prev_match = false;
      for (size_t k = spans.size(); k-- > 0;) {
        const auto& s = spans[k];
        if (s.match && !prev_match && !g.empty()) {
          g.back().b = s.b;
        } else {
          g.push_back({s.b, s.e, false});
        }
        prev_match = s.match;
      }
      std::reverse(g.begin(), g.end());
      break;
    }
    case Behavior::kContiguous: {
      bool prev_match = false;
      for (const auto& s : spans) {
        if (s.match == prev_match && !g.empty()) {
          g.back().e = s.e;
        } else {
          g.push_back({s.b, s.e, false});
        }
        prev_match = s.match;
      }
      break;
    }
  }
  for (const auto& s : g) {
    if (s.e <= s.b) continue;
    Piece p;
    p.text = parent.text.substr(s.b, s.e - s.b);
    p.at_origin = parent.at_origin && s.b == 0;
    out.push_back(std::move(p));
  }
}

// Turns match ranges into covering spans (gaps are non-matches); `invert` flips them.
void to_spans(size_t len, const std::vector<std::pair<size_t, size_t>>& m, bool invert,
              std::vector<Span>& spans) {
  spans.clear();
  size_t prev = 0;
  for (auto [b, e] : m) {
    if (prev != b) spans.push_back({prev, b, invert});
    spans.push_back({b, e, !invert});
    prev = e;
  }
  if (prev != len) spans.push_back({prev, len, invert});
}

// Applies fn to every unresolved piece, replacing it by the pieces fn appends.
template <class F>
void split_each(std::vector<Piece>& pieces, F&& fn) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * 2);
  for (auto& p : pieces) {
    if (p.id >= 0) {
      out.push_back(std::move(p));
      continue;
    }
    fn(p, out);
  }
  pieces = std::move(out);
}

// Char-predicate pattern: every matching character is a match of its own.
void char_matches(std::string_view s, const std::function<bool(char32_t)>& pred,
                  std::vector<std::pair<size_t, size_t>>& m) {
  m.clear();
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = i;
    if (pred(next_cp(s, i))) m.emplace_back(b, i);
  }
}

class Split final : public PreTokenizer {
 public:
  Split(Regex re, Behavior bh, bool invert) : re_(std::move(re)), bh_(bh), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<std::pair<size_t, size_t>> m;
    std::vector<Span> spans;
    split_each(pieces, [&](Piece& p, std::vector<Piece>& out) {
      re_.find_all(p.text, m);
      to_spans(p.text.size(), m, invert_, spans);
      emit(p, spans, bh_, out);
    });
  }

 private:
  Regex re_;
  Behavior bh_;
  bool invert_;
};

class CharSplit final : public PreTokenizer {
 public:
  CharSplit(std::function<bool(char32_t)> pred, Behavior bh) : pred_(std::move(pred)), bh_(bh) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<std::pair<size_t, size_t>> m;
    std::vector<Span> spans;
    split_each(pieces, [&](Piece& p, std::vector<Piece>& out) {
      char_matches(p.text, pred_, m);
      to_spans(p.text.size(), m, false, spans);
      emit(p, spans, bh_, out);
    });
  }

 private:
  std::function<bool(char32_t)> pred_;
  Behavior bh_;
};

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool prefix, bool use_regex) : prefix_(prefix) {
    if (use_regex) re_.emplace(kGpt2Pattern, "pre_tokenizer ByteLevel");
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<std::pair<size_t, size_t>> m;
    std::vector<Span> spans;
    split_each(pieces, [&](Piece& p, std::vector<Piece>& out) {
      if (prefix_ && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, 1, ' ');
      const size_t first = out.size();
      if (re_) {
        re_->find_all(p.text, m);
        to_spans(p.text.size(), m, false, spans);
        emit(p, spans, Behavior::kIsolated, out);
      } else if (!p.text.empty()) {
        out.push_back(std::move(p));
      }
      for (size_t k = first; k < out.size(); ++k) out[k].text = bytes_to_chars(out[k].text);
    });
  }

 private:
  bool prefix_;
  std::optional<Regex> re_;
};

enum class Prepend { kAlways, kFirst, kNever };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(std::string rep, Prepend scheme, bool split)
      : rep_(std::move(rep)), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<std::pair<size_t, size_t>> m;
    std::vector<Span> spans;
    split_each(pieces, [&](Piece& p, std::vector<Piece>& out) {
      std::string s;
      s.reserve(p.text.size() + rep_.size());
      for (char c : p.text) {
        if (c == ' ')
          s += rep_;
        else
          s += c;
      }
      const bool starts = s.compare(0, rep_.size(), rep_) == 0;
      if (!starts && (scheme_ == Prepend::kAlways || (scheme_ == Prepend::kFirst && p.at_origin)))
        s.insert(0, rep_);
      p.text = std::move(s);
      if (!split_) {
        if (!p.text.empty()) out.push_back(std::move(p));
        return;
      }
      m.clear();
      for (size_t pos = p.text.find(rep_); pos != std::string::npos;
           pos = p.text.find(rep_, pos + rep_.size()))
        m.emplace_back(pos, pos + rep_.size());
      to_spans(p.text.size(), m, false, spans);
      emit(p, spans, Behavior::kMergedWithNext, out);
    });
  }

 private:
  std::string rep_;
  Prepend scheme_;
  bool split_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> items) : items_(std::move(items)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : items_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

Behavior parse_behavior(std::string_view s, const std::string& where) {
  if (s == "Removed") return Behavior::kRemoved;
  if (s == "Isolated") return Behavior::kIsolated;
  if (s == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::kMergedWithNext;
  if (s == "Contiguous") return Behavior::kContiguous;
  json::fail(where, "unknown split behavior \"" + std::string(s) +
                        "\" (expected Removed, Isolated, MergedWithPrevious, MergedWithNext, "
                        "Contiguous)");
}

bool is_bert_punct(char32_t c) { return is_punctuation(c); }

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(json::Elem e, const std::string& where) {
  const auto type = json::type_of(e, where);
  if (type == "Split") {
    auto pat = json::field(e, "pattern");
    if (!pat || !pat->is_object()) json::fail(where, "Split needs a \"pattern\" object");
    const auto bh = parse_behavior(json::str(e, "behavior", where), where);
    const bool invert = json::boolean(e, "invert", where, false);
    if (auto r = json::opt_str(*pat, "Regex", where))
      return std::make_unique<Split>(Regex(*r, where), bh, invert);
    return std::make_unique<Split>(Regex::literal(json::str(*pat, "String", where), where), bh,
                                   invert);
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(json::boolean(e, "add_prefix_space", where, true),
                                       json::boolean(e, "use_regex", where, true));
  }
  if (type == "Metaspace") {
    std::string rep(json::str(e, "replacement", where, "\xE2\x96\x81"));
    if (rep.empty()) json::fail(where, "Metaspace replacement must not be empty");
    Prepend scheme = Prepend::kAlways;
    if (auto s = json::opt_str(e, "prepend_scheme", where)) {
      if (*s == "always") scheme = Prepend::kAlways;
      else if (*s == "first") scheme = Prepend::kFirst;
      else if (*s == "never") scheme = Prepend::kNever;
      else json::fail(where, "prepend_scheme must be always, first or never");
    } else if (!json::boolean(e, "add_prefix_space", where, true)) {
      scheme = Prepend::kNever;
    }
    return std::make_unique<Metaspace>(std::move(rep), scheme,
                                       json::boolean(e, "split", where, true));
  }
  if (type == "Whitespace") {
    return std::make_unique<Split>(Regex(R"(\w+|[^\w\s]+)", where), Behavior::kRemoved, true);
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<CharSplit>(is_whitespace, Behavior::kRemoved);
  }
  if (type == "Punctuation") {
    return std::make_unique<CharSplit>(
        is_bert_punct, parse_behavior(json::str(e, "behavior", where, "Isolated"), where));
  }
  if (type == "Digits") {
    return std::make_unique<CharSplit>(is_numeric,
                                       json::boolean(e, "individual_digits", where, false)
                                           ? Behavior::kIsolated
                                           : Behavior::kContiguous);
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> items;
    items.push_back(std::make_unique<CharSplit>(is_whitespace, Behavior::kRemoved));
    items.push_back(std::make_unique<CharSplit>(is_bert_punct, Behavior::kIsolated));
    return std::make_unique<Sequence>(std::move(items));
  }
  if (type == "CharDelimiterSplit") {
    const auto d = json::str(e, "delimiter", where);
    size_t i = 0;
    if (d.empty()) json::fail(where, "CharDelimiterSplit needs a one-character delimiter");
    const char32_t c = next_cp(d, i);
    return std::make_unique<CharSplit>([c](char32_t x) { return x == c; }, Behavior::kRemoved);
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> items;
    size_t i = 0;
    for (auto sub : json::array(e, "pretokenizers", where)) {
      items.push_back(
          make_pre_tokenizer(sub, where + ".pretokenizers[" + std::to_string(i++) + "]"));
    }
    return std::make_unique<Sequence>(std::move(items));
  }
  unsupported(where, type,
              "Split, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Digits, "
              "BertPreTokenizer, CharDelimiterSplit, Sequence");
}

}  // namespace abstractllm::engine::tok
