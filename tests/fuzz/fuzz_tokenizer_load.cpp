// libFuzzer target: load arbitrary bytes as tokenizer.json (and as tokenizer_config.json).
// Malformed JSON, missing merges, ids out of range and unknown component types must end in an
// abstractllm::Error naming the problem — never a crash, hang or other exception type. A file
// that loads is then used to encode and decode a short text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "abstractllm/errors.hpp"
#include "engine/tokenizer/tokenizer.hpp"

using abstractllm::engine::Tokenizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Split the input: the first part is tokenizer.json, an optional rest after a NUL the config.
  const size_t nul = in.find('\0');
  const std::string_view tj = in.substr(0, nul);
  const std::string_view cfg = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  try {
    const Tokenizer t = Tokenizer::from_json(tj, cfg);
    const auto ids = t.encode("Hello, wörld! 123 <s>", true);
    (void)t.decode(ids, false);
    (void)t.decode(ids, true);
    (void)t.vocab_size();
  } catch (const abstractllm::Error&) {
    // Expected for malformed input: a clear error.
  }
  return 0;
}
