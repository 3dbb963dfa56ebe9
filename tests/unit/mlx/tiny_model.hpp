// Writes a tiny random-weight Llama model folder for provider tests: config.json, f32
// model.safetensors (seeded), a byte-level tokenizer.json (256 byte tokens, no merges, ChatML
// special tokens) and tokenizer_config.json with a ChatML chat template. Its text is noise, but
// it exercises the whole path (template → tokenizer → forward → sampler → detokenizer)
// deterministically and in milliseconds.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/io/safetensors.hpp"

namespace abstractllm::test {

inline constexpr int kTinyVocab = 259;  // 256 bytes + <|im_start|> <|im_end|> <|endoftext|>
inline constexpr int kImStart = 256, kImEnd = 257, kEndOfText = 258;

// GPT-2's byte → printable-unicode map, as the ByteLevel pre-tokenizer uses.
inline std::string byte_level_char(int b) {
  std::vector<int> bs;
  for (int i = '!'; i <= '~'; ++i) bs.push_back(i);
  for (int i = 0xA1; i <= 0xAC; ++i) bs.push_back(i);
  for (int i = 0xAE; i <= 0xFF; ++i) bs.push_back(i);
  int cp = -1, extra = 0;
  for (int i = 0; i < 256; ++i) {
    bool direct = std::find(bs.begin(), bs.end(), i) != bs.end();
    int mapped = direct ? i : 256 + extra++;
    if (i == b) cp = mapped;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

inline void write_tiny_model(const std::filesystem::path& dir, uint32_t seed = 1, int max_positions = 256) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const int hidden = 32, inter = 64, layers = 2, heads = 4, kv_heads = 2, head_dim = hidden / heads;
  nlohmann::json config = {{"model_type", "llama"},
                           {"architectures", {"LlamaForCausalLM"}},
                           {"hidden_size", hidden},
                           {"intermediate_size", inter},
                           {"num_hidden_layers", layers},
                           {"num_attention_heads", heads},
                           {"num_key_value_heads", kv_heads},
                           {"vocab_size", kTinyVocab},
                           {"max_position_embeddings", max_positions},
                           {"rms_norm_eps", 1e-5},
                           {"rope_theta", 10000.0},
                           {"tie_word_embeddings", true},
                           {"hidden_act", "silu"},
                           {"bos_token_id", kEndOfText},
                           {"eos_token_id", kImEnd},
                           {"torch_dtype", "float32"}};
  std::ofstream(dir / "config.json") << config.dump(2);

  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> storage;
  std::vector<engine::TensorView> views;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float std_dev, float mean = 0) {
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    std::vector<float> v(n);
    for (auto& x : v) x = mean + std_dev * normal(rng);
    storage.push_back(std::move(v));
    engine::TensorView t;
    t.name = name;
    t.dtype = engine::DType::F32;
    t.shape = std::move(shape);
    t.data = reinterpret_cast<const std::byte*>(storage.back().data());
    t.nbytes = n * sizeof(float);
    views.push_back(t);
  };
  add("model.embed_tokens.weight", {kTinyVocab, hidden}, 1.0f);
  for (int l = 0; l < layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {hidden}, 0.1f, 1.0f);
    add(p + "self_attn.q_proj.weight", {heads * head_dim, hidden}, 0.3f);
    add(p + "self_attn.k_proj.weight", {kv_heads * head_dim, hidden}, 0.3f);
    add(p + "self_attn.v_proj.weight", {kv_heads * head_dim, hidden}, 0.3f);
    add(p + "self_attn.o_proj.weight", {hidden, heads * head_dim}, 0.3f);
    add(p + "post_attention_layernorm.weight", {hidden}, 0.1f, 1.0f);
    add(p + "mlp.gate_proj.weight", {inter, hidden}, 0.3f);
    add(p + "mlp.up_proj.weight", {inter, hidden}, 0.3f);
    add(p + "mlp.down_proj.weight", {hidden, inter}, 0.3f);
  }
  add("model.norm.weight", {hidden}, 0.1f, 1.0f);
  engine::write_safetensors(dir / "model.safetensors", views, {{"format", "pt"}});

  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level_char(b)] = b;
  auto special = [](int id, const char* content) {
    return nlohmann::ordered_json{{"id", id},         {"content", content}, {"single_word", false},
                                  {"lstrip", false},  {"rstrip", false},    {"normalized", false},
                                  {"special", true}};
  };
  nlohmann::ordered_json tok = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens",
       {special(kImStart, "<|im_start|>"), special(kImEnd, "<|im_end|>"), special(kEndOfText, "<|endoftext|>")}},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", nlohmann::json::array()}}}};
  std::ofstream(dir / "tokenizer.json") << tok.dump();
  nlohmann::json tcfg = {
      {"bos_token", "<|endoftext|>"},
      {"eos_token", "<|im_end|>"},
      {"pad_token", "<|endoftext|>"},
      {"model_max_length", max_positions},
      {"tokenizer_class", "PreTrainedTokenizerFast"},
      {"chat_template",
       "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
       "'<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"}};
  std::ofstream(dir / "tokenizer_config.json") << tcfg.dump(2);
}

}  // namespace abstractllm::test
