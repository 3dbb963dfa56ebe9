// Normalizers: NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents, Replace, Prepend,
// BertNormalizer, Sequence. They work on whole strings: only ids are produced, so the Rust
// library's offset alignments are not needed.
#include <optional>

#include "engine/tokenizer/factories.hpp"
#include "engine/tokenizer/regex.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine::tok {
namespace {

class Unicode final : public Normalizer {
 public:
  explicit Unicode(NormForm f) : form_(f) {}
  void normalize(std::string& s) const override { s = tok::normalize(s, form_); }

 private:
  NormForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& s) const override { s = to_lower(s); }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& s) const override {
    size_t b = 0, e = s.size();
    if (left_) {
      while (b < e) {
        size_t i = b;
        if (!is_whitespace(next_cp(s, i))) break;
        b = i;
      }
    }
    if (right_) {
      while (e > b) {
        size_t start = e - 1;
        while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        size_t i = start;
        if (!is_whitespace(next_cp(s, i))) break;
        e = start;
      }
    }
    s = s.substr(b, e - b);
  }

 private:
  bool left_, right_;
};

std::string strip_marks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    const char32_t c = next_cp(s, i);
    if (!is_combining_mark(c)) out.append(s.substr(start, i - start));
  }
  return out;
}

class StripAccents final : public Normalizer {
 public:
  void normalize(std::string& s) const override { s = strip_marks(s); }
};

class Replace final : public Normalizer {
 public:
  Replace(std::optional<Regex> re, std::string literal, std::string content)
      : re_(std::move(re)), literal_(std::move(literal)), content_(std::move(content)) {}
  void normalize(std::string& s) const override {
    std::string out;
    if (re_) {
      std::vector<std::pair<size_t, size_t>> m;
      re_->find_all(s, m);
      if (m.empty()) return;
      size_t prev = 0;
      for (auto [b, e] : m) {
        out.append(s, prev, b - prev);
        out += content_;
        prev = e;
      }
      out.append(s, prev, std::string::npos);
    } else {
      if (literal_.empty()) return;
      size_t prev = 0, pos = s.find(literal_);
      if (pos == std::string::npos) return;
      out.reserve(s.size() + s.size() / 4);
      while (pos != std::string::npos) {
        out.append(s, prev, pos - prev);
        out += content_;
        prev = pos + literal_.size();
        pos = s.find(literal_, prev);
      }
      out.append(s, prev, std::string::npos);
    }
    s = std::move(out);
  }

 private:
  std::optional<Regex> re_;
  std::string literal_, content_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& s) const override {
    if (!s.empty()) s.insert(0, prepend_);
  }

 private:
  std::string prepend_;
};

class Bert final : public Normalizer {
 public:
  Bert(bool clean, bool chinese, bool strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip), lower_(lower) {}
  void normalize(std::string& s) const override {
    if (clean_ || chinese_) {
      std::string out;
      out.reserve(s.size());
      size_t i = 0;
      while (i < s.size()) {
        const size_t start = i;
        const char32_t c = next_cp(s, i);
        if (clean_) {
          if (c == 0 || c == 0xFFFD || is_control(c)) continue;
          if (c == '\t' || c == '\n' || c == '\r' || is_whitespace(c)) {
            out.push_back(' ');
            continue;
          }
        }
        if (chinese_ && is_cjk(c)) {
          out.push_back(' ');
          out.append(s, start, i - start);
          out.push_back(' ');
          continue;
        }
        out.append(s, start, i - start);
      }
      s = std::move(out);
    }
    if (strip_) s = strip_marks(tok::normalize(s, NormForm::kNFD));
    if (lower_) s = to_lower(s);
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> items) : items_(std::move(items)) {}
  void normalize(std::string& s) const override {
    for (const auto& n : items_) n->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

}  // namespace

void unsupported(const std::string& where, std::string_view type, std::string_view supported) {
  throw UnsupportedModelError("tokenizer.json: " + where + ": unsupported type \"" +
                              std::string(type) + "\" (supported: " + std::string(supported) +
                              ")");
}

std::unique_ptr<Normalizer> make_normalizer(json::Elem e, const std::string& where) {
  const auto type = json::type_of(e, where);
  if (type == "NFC") return std::make_unique<Unicode>(NormForm::kNFC);
  if (type == "NFD") return std::make_unique<Unicode>(NormForm::kNFD);
  if (type == "NFKC") return std::make_unique<Unicode>(NormForm::kNFKC);
  if (type == "NFKD") return std::make_unique<Unicode>(NormForm::kNFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") {
    return std::make_unique<Strip>(json::boolean(e, "strip_left", where, true),
                                   json::boolean(e, "strip_right", where, true));
  }
  if (type == "Prepend") return std::make_unique<Prepend>(std::string(json::str(e, "prepend", where)));
  if (type == "Replace") {
    auto pat = json::field(e, "pattern");
    if (!pat || !pat->is_object()) json::fail(where, "Replace needs a \"pattern\" object");
    const std::string content(json::str(e, "content", where));
    if (auto r = json::opt_str(*pat, "Regex", where)) {
      return std::make_unique<Replace>(Regex(*r, where), std::string(), content);
    }
    return std::make_unique<Replace>(std::nullopt, std::string(json::str(*pat, "String", where)),
                                     content);
  }
  if (type == "BertNormalizer") {
    const bool lower = json::boolean(e, "lowercase", where, true);
    return std::make_unique<Bert>(json::boolean(e, "clean_text", where, true),
                                  json::boolean(e, "handle_chinese_chars", where, true),
                                  json::boolean(e, "strip_accents", where, lower), lower);
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> items;
    size_t i = 0;
    for (auto sub : json::array(e, "normalizers", where)) {
      items.push_back(make_normalizer(sub, where + ".normalizers[" + std::to_string(i++) + "]"));
    }
    return std::make_unique<Sequence>(std::move(items));
  }
  if (type == "Precompiled" || type == "Nmt") {
    throw UnsupportedModelError("tokenizer.json: " + where + ": normalizer \"" + std::string(type) +
                                "\" (SentencePiece precompiled charsmap) is not supported yet");
  }
  unsupported(where, type,
              "NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, "
              "BertNormalizer, Sequence");
}

}  // namespace abstractllm::engine::tok
