// libFuzzer target: encode arbitrary bytes (invalid UTF-8 included) with small tokenizers that
// cover both pipeline styles (byte-level BPE with a Unicode Split regex and added tokens;
// SentencePiece-style BPE with byte fallback), decode the ids back and stream them.
// Build: cmake -DABSTRACTLLM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ... --target fuzz_tokenizer_encode
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/tokenizer/byte_level.hpp"
#include "engine/tokenizer/tokenizer.hpp"
#include "engine/tokenizer/unicode.hpp"

using abstractllm::engine::Tokenizer;

namespace {

const char* kByteLevel = R"({
  "added_tokens": [{"id": 300, "content": "<|eot|>", "special": true, "normalized": false},
                   {"id": 301, "content": " <x>", "special": false, "normalized": true,
                    "lstrip": true, "rstrip": true, "single_word": true}],
  "normalizer": {"type": "NFC"},
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
  "post_processor": {"type": "ByteLevel"},
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "ignore_merges": true, "vocab": VOCAB, "merges": ["Ġ t", "e s", "Ġt es"]}
})";

std::string byte_level_json() {
  // The 256 byte-level characters as tokens 0..255, plus a few merged tokens.
  std::string vocab = "{";
  const auto& table = abstractllm::engine::tok::byte_table();
  for (int b = 0; b < 256; ++b) {
    std::string s = table.byte_to_utf8[b];
    if (s == "\"" || s == "\\") s = "\\" + s;
    vocab += "\"" + s + "\": " + std::to_string(b) + ", ";
  }
  vocab += "\"Ġt\": 256, \"es\": 257, \"Ġtes\": 258}";
  std::string j = kByteLevel;
  j.replace(j.find("VOCAB"), 5, vocab);
  return j;
}

const char* kSpm = R"({
  "added_tokens": [{"id": 0, "content": "<unk>", "special": true, "normalized": false},
                   {"id": 1, "content": "<s>", "special": true, "normalized": false}],
  "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"},
    "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
  "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
    "vocab": {"<unk>": 0, "<s>": 1, "<0xC3>": 2, "<0xA9>": 3, "<0xFF>": 4, "▁": 5, "a": 6,
              "▁a": 7}, "merges": ["▁ a"]}
})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Tokenizer byte_level = Tokenizer::from_json(byte_level_json());
  static const Tokenizer spm = Tokenizer::from_json(kSpm);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const Tokenizer* t : {&byte_level, &spm}) {
    for (bool special : {true, false}) {
      const auto ids = t->encode(text, special);
      const std::string back = t->decode(ids, !special);
      if (!abstractllm::engine::tok::is_valid_utf8(back)) __builtin_trap();
      auto stream = t->streaming_detokenizer();
      for (int32_t id : ids) {
        if (!abstractllm::engine::tok::is_valid_utf8(stream.add(id))) __builtin_trap();
      }
      stream.finish();
    }
  }
  return 0;
}
