// Decoders: ByteLevel, Metaspace, WordPiece, BPEDecoder, Replace, ByteFallback, Fuse, Strip, CTC,
// Sequence. Each maps the list of token strings to a new list, as decode_chain in the Rust
// library; the tokenizer concatenates the final list.
#include <optional>

#include "engine/tokenizer/byte_level.hpp"
#include "engine/tokenizer/factories.hpp"
#include "engine/tokenizer/regex.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine::tok {
namespace {

class ByteLevelDec final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    const auto& t = byte_table();
    std::string bytes;
    for (const auto& tok : tokens) {
      const size_t mark = bytes.size();
      bool ok = true;
      size_t i = 0;
      while (i < tok.size()) {
        const char32_t c = next_cp(tok, i);
        if (c >= t.cp_to_byte.size() || t.cp_to_byte[c] < 0) {
          ok = false;
          break;
        }
        bytes.push_back(static_cast<char>(t.cp_to_byte[c]));
      }
      if (!ok) {  // a character outside the table: the token's own bytes
        bytes.resize(mark);
        bytes += tok;
      }
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
};

class MetaspaceDec final : public Decoder {
 public:
  MetaspaceDec(std::string rep, bool strip_first) : rep_(std::move(rep)), strip_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t k = 0; k < tokens.size(); ++k) {
      std::string out;
      const std::string& t = tokens[k];
      for (size_t pos = 0; pos < t.size();) {
        if (t.compare(pos, rep_.size(), rep_) == 0) {
          out.push_back(' ');
          pos += rep_.size();
        } else {
          out.push_back(t[pos++]);
        }
      }
      if (k == 0 && strip_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
      tokens[k] = std::move(out);
    }
  }

 private:
  std::string rep_;
  bool strip_;
};

class WordPieceDec final : public Decoder {
 public:
  WordPieceDec(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t k = 0; k < tokens.size(); ++k) {
      std::string& t = tokens[k];
      if (k != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(0, 1, ' ');
      }
      if (cleanup_) t = cleanup(t);
    }
  }
  static std::string cleanup(std::string s) {
    static const std::pair<std::string_view, std::string_view> kRules[] = {
        {" .", "."},    {" ?", "?"},      {" !", "!"},        {" ,", ","},
        {" ' ", "'"},   {" n't", "n't"},  {" 'm", "'m"},      {" do not", " don't"},
        {" 's", "'s"},  {" 've", "'ve"},  {" 're", "'re"}};
    for (auto [from, to] : kRules) {
      std::string out;
      size_t prev = 0, pos;
      while ((pos = s.find(from, prev)) != std::string::npos) {
        out.append(s, prev, pos - prev);
        out += to;
        prev = pos + from.size();
      }
      out.append(s, prev, std::string::npos);
      s = std::move(out);
    }
    return s;
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class BpeDec final : public Decoder {
 public:
  explicit BpeDec(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t k = 0; k < tokens.size(); ++k) {
      std::string& t = tokens[k];
      std::string out;
      size_t prev = 0, pos;
      while (!suffix_.empty() && (pos = t.find(suffix_, prev)) != std::string::npos) {
        out.append(t, prev, pos - prev);
        if (k + 1 != tokens.size()) out += ' ';
        prev = pos + suffix_.size();
      }
      out.append(t, prev, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  std::string suffix_;
};

class ReplaceDec final : public Decoder {
 public:
  ReplaceDec(std::optional<Regex> re, std::string lit, std::string content)
      : re_(std::move(re)), lit_(std::move(lit)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::pair<size_t, size_t>> m;
    for (auto& t : tokens) {
      m.clear();
      if (re_) {
        re_->find_all(t, m);
      } else if (!lit_.empty()) {
        for (size_t p = t.find(lit_); p != std::string::npos; p = t.find(lit_, p + lit_.size()))
          m.emplace_back(p, p + lit_.size());
      }
      if (m.empty()) continue;
      std::string out;
      size_t prev = 0;
      for (auto [b, e] : m) {
        out.append(t, prev, b - prev);
        out += content_;
        prev = e;
      }
      out.append(t, prev, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  std::optional<Regex> re_;
  std::string lit_, content_;
};

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

class ByteFallbackDec final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string pending;
    size_t pending_n = 0;
    auto flush = [&] {
      if (!pending_n) return;
      if (is_valid_utf8(pending)) {
        out.push_back(pending);
      } else {
        for (size_t k = 0; k < pending_n; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
      pending_n = 0;
    };
    for (auto& t : tokens) {
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        const int hi = hexval(t[3]), lo = hexval(t[4]);
        if (hi >= 0 && lo >= 0) {
          pending.push_back(static_cast<char>(hi * 16 + lo));
          ++pending_n;
          continue;
        }
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDec final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDec final : public Decoder {
 public:
  StripDec(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      // Work in characters, as the Rust decoder does.
      std::vector<std::pair<size_t, size_t>> chars;
      for (size_t i = 0; i < t.size();) {
        const size_t b = i;
        i += utf8_len(static_cast<unsigned char>(t[i]));
        chars.emplace_back(b, std::min(i, t.size()));
      }
      auto is_content = [&](size_t k) {
        return t.compare(chars[k].first, chars[k].second - chars[k].first, content_) == 0;
      };
      size_t start_cut = 0;
      for (size_t k = 0; k < chars.size() && k < start_; ++k) {
        if (!is_content(k)) break;
        start_cut = k + 1;
      }
      size_t stop_cut = chars.size();
      for (size_t k = 0; k < stop_ && k < chars.size(); ++k) {
        const size_t idx = chars.size() - 1 - k;
        if (!is_content(idx)) break;
        stop_cut = idx;
      }
      if (stop_cut <= start_cut) {
        t.clear();
        continue;
      }
      const size_t b = start_cut < chars.size() ? chars[start_cut].first : t.size();
      const size_t e = stop_cut < chars.size() ? chars[stop_cut].first : t.size();
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class CtcDec final : public Decoder {
 public:
  CtcDec(std::string pad, std::string delim, bool cleanup)
      : pad_(std::move(pad)), delim_(std::move(delim)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (size_t k = 0; k < tokens.size(); ++k) {
      if (k > 0 && tokens[k] == tokens[k - 1]) continue;  // dedup consecutive
      std::string t = tokens[k];
      if (t == pad_) continue;
      if (cleanup_) {
        t = WordPieceDec::cleanup(t);
        std::string r;
        size_t prev = 0, pos;
        while (!delim_.empty() && (pos = t.find(delim_, prev)) != std::string::npos) {
          r.append(t, prev, pos - prev);
          r += ' ';
          prev = pos + delim_.size();
        }
        r.append(t, prev, std::string::npos);
        t = std::move(r);
      }
      out.push_back(std::move(t));
    }
    tokens = std::move(out);
  }

 private:
  std::string pad_, delim_;
  bool cleanup_;
};

class SequenceDec final : public Decoder {
 public:
  explicit SequenceDec(std::vector<std::unique_ptr<Decoder>> items) : items_(std::move(items)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& d : items_) d->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> items_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(json::Elem e, const std::string& where) {
  const auto type = json::type_of(e, where);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDec>();
  if (type == "Metaspace") {
    bool strip = true;
    if (auto s = json::opt_str(e, "prepend_scheme", where))
      strip = *s != "never";
    else
      strip = json::boolean(e, "add_prefix_space", where, true);
    return std::make_unique<MetaspaceDec>(
        std::string(json::str(e, "replacement", where, "\xE2\x96\x81")), strip);
  }
  if (type == "WordPiece") {
    return std::make_unique<WordPieceDec>(std::string(json::str(e, "prefix", where, "##")),
                                          json::boolean(e, "cleanup", where, true));
  }
  if (type == "BPEDecoder") {
    return std::make_unique<BpeDec>(std::string(json::str(e, "suffix", where, "</w>")));
  }
  if (type == "Replace") {
    auto pat = json::field(e, "pattern");
    if (!pat || !pat->is_object()) json::fail(where, "Replace needs a \"pattern\" object");
    const std::string content(json::str(e, "content", where));
    if (auto r = json::opt_str(*pat, "Regex", where))
      return std::make_unique<ReplaceDec>(Regex(*r, where), std::string(), content);
    return std::make_unique<ReplaceDec>(std::nullopt, std::string(json::str(*pat, "String", where)),
                                        content);
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDec>();
  if (type == "Fuse") return std::make_unique<FuseDec>();
  if (type == "Strip") {
    const auto start = json::integer(e, "start", where, 0);
    const auto stop = json::integer(e, "stop", where, 0);
    if (start < 0 || stop < 0) json::fail(where, "Strip start/stop must be >= 0");
    return std::make_unique<StripDec>(std::string(json::str(e, "content", where, " ")),
                                      static_cast<size_t>(start), static_cast<size_t>(stop));
  }
  if (type == "CTC") {
    return std::make_unique<CtcDec>(std::string(json::str(e, "pad_token", where, "<pad>")),
                                    std::string(json::str(e, "word_delimiter_token", where, "|")),
                                    json::boolean(e, "cleanup", where, true));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> items;
    size_t i = 0;
    for (auto sub : json::array(e, "decoders", where))
      items.push_back(make_decoder(sub, where + ".decoders[" + std::to_string(i++) + "]"));
    return std::make_unique<SequenceDec>(std::move(items));
  }
  unsupported(where, type,
              "ByteLevel, Metaspace, WordPiece, BPEDecoder, Replace, ByteFallback, Fuse, Strip, "
              "CTC, Sequence");
}

}  // namespace abstractllm::engine::tok
