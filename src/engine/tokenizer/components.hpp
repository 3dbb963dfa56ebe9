// The pipeline stages of a tokenizer.json, as small polymorphic components. Each is immutable
// after loading, so one Tokenizer serves many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace abstractllm::engine::tok {

// A piece of text between pipeline stages. `id` >= 0 marks an added token already resolved
// (later stages pass it through). `at_origin`: the piece starts at offset 0 of the input,
// which Metaspace's prepend_scheme "first" needs.
struct Piece {
  std::string text;
  int32_t id = -1;
  bool at_origin = false;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& s) const = 0;  // s is valid UTF-8 in and out
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits (and may transform) every piece whose id < 0; drops pieces that become empty.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of one pre-tokenized word.
  virtual void tokenize(std::string_view word, std::vector<int32_t>& out) const = 0;
  virtual std::string_view id_to_token(int32_t id) const = 0;  // empty if unknown
  virtual int32_t token_to_id(std::string_view token) const = 0;  // -1 if unknown
  virtual int64_t size() const = 0;  // number of ids (max id + 1)
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Adds special tokens around a single sequence when add_special is set.
  virtual void process(std::vector<int32_t>& ids, bool add_special) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

}  // namespace abstractllm::engine::tok
