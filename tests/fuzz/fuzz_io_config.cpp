// libFuzzer target: config.json parsing (ModelConfig, quantization block) on arbitrary text.
// Any input must give a ModelConfig whose invariants hold, or throw one of the documented
// errors (ModelLoadingError, UnsupportedModelError) — never crash or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "abstractllm/errors.hpp"
#include "engine/io/model_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace abstractllm::engine;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const ModelConfig c = ModelConfig::from_json_text(text, "fuzz/config.json");
    if (c.hidden_size <= 0 || c.num_hidden_layers <= 0 || c.head_dim <= 0 ||
        c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0 ||
        static_cast<int64_t>(c.layer_types.size()) != c.num_hidden_layers) {
      std::abort();
    }
    (void)c.attention_scale();
    (void)c.rotary_dim();
    if (c.quantization.present) {
      (void)c.quantization.for_module("model.layers.0.mlp.down_proj");
      (void)c.quantization.to_json().dump();
    }
  } catch (const abstractllm::ModelLoadingError&) {
  } catch (const abstractllm::UnsupportedModelError&) {
  }
  return 0;
}
