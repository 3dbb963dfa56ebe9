// Model::load: config.json → ModelSpec; safetensors → validated WeightMatrix views.
//
// Every tensor the architecture needs is checked for presence, shape, dtype and quantization
// metadata here, once, so the forward pass can trust its inputs. Errors name the tensor, the
// folder and what was expected.
#include <cstring>
#include <sstream>
#include <string>

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"
#include "engine/io/model_config.hpp"
#include "engine/io/weights.hpp"
#include "engine/model/model.hpp"
#include "engine/model/spec_from_config.hpp"
#include "engine/quant/quantized_weight.hpp"

namespace abstractllm::engine::model {

namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < shape.size(); ++i) o << (i ? ", " : "") << shape[i];
  o << ']';
  return o.str();
}

class Loader {
 public:
  Loader(const WeightStore& store, const ModelConfig& config, std::string prefix)
      : store_(store), config_(config), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& tensor, const std::string& what) const {
    throw ModelLoadingError("model " + store_.folder().string() + ": tensor '" + tensor + "' " +
                            what);
  }

  // A linear (or embedding) module with the expected logical shape [rows, cols].
  ops::WeightMatrix matrix(const std::string& module, int64_t rows, int64_t cols) const {
    const std::string path = prefix_ + module;
    quant::LinearWeight lw = quant::resolve_linear(store_, path, config_.quantization);
    if (lw.rows != rows || lw.cols != cols) {
      fail(path + ".weight", "has logical shape [" + std::to_string(lw.rows) + ", " +
                                 std::to_string(lw.cols) + "], expected [" +
                                 std::to_string(rows) + ", " + std::to_string(cols) +
                                 "] (out, in) from config.json");
    }
    ops::WeightMatrix w;
    w.rows = rows;
    w.cols = cols;
    w.data = lw.weight->data;
    if (!lw.quantized) {
      switch (lw.weight->dtype) {
        case DType::F32: w.format = ops::WeightFormat::F32; break;
        case DType::F16: w.format = ops::WeightFormat::F16; break;
        case DType::BF16: w.format = ops::WeightFormat::BF16; break;
        default:
          fail(path + ".weight", "has dtype " + std::string(dtype_name(lw.weight->dtype)) +
                                     ", expected F32, F16 or BF16 (or U32 with .scales)");
      }
      return w;
    }
    w.format = ops::WeightFormat::Affine;
    w.bits = lw.params.bits;
    w.group_size = lw.params.group_size;
    switch (lw.scales->dtype) {
      case DType::F32: w.scale_type = ops::ScaleType::F32; break;
      case DType::F16: w.scale_type = ops::ScaleType::F16; break;
      case DType::BF16: w.scale_type = ops::ScaleType::BF16; break;
      default:
        fail(path + ".scales", "has dtype " + std::string(dtype_name(lw.scales->dtype)) +
                                   ", expected F32, F16 or BF16");
    }
    if (lw.biases == nullptr || lw.biases->dtype != lw.scales->dtype) {
      fail(path + ".biases", "must exist with the dtype of .scales (affine quantization)");
    }
    w.scales = lw.scales->data;
    w.biases = lw.biases->data;
    return w;
  }

  bool has(const std::string& tensor) const { return store_.has(prefix_ + tensor); }

  // A float vector (norm weight, bias) of length n, converted to f32.
  std::vector<float> vec(const std::string& tensor, int64_t n) const {
    const std::string name = prefix_ + tensor;
    const TensorView* t = store_.find(name);
    if (t == nullptr) fail(name, "is missing (expected a vector of " + std::to_string(n) + ")");
    if (t->ndim() != 1 || t->dim(0) != n) {
      fail(name, "has shape " + shape_str(t->shape) + ", expected [" + std::to_string(n) + "]");
    }
    std::vector<float> out(static_cast<size_t>(n));
    switch (t->dtype) {
      case DType::F32:
        std::memcpy(out.data(), t->data, static_cast<size_t>(n) * sizeof(float));
        break;
      case DType::F16:
      case DType::BF16:
        for (int64_t i = 0; i < n; ++i) {
          uint16_t h;
          std::memcpy(&h, t->data + i * 2, 2);
          out[static_cast<size_t>(i)] = t->dtype == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
        }
        break;
      default:
        fail(name, "has dtype " + std::string(dtype_name(t->dtype)) +
                       ", expected F32, F16 or BF16");
    }
    return out;
  }

  std::vector<float> optional_vec(const std::string& tensor, int64_t n, bool required) const {
    if (!required && !has(tensor)) return {};
    return vec(tensor, n);
  }

 private:
  const WeightStore& store_;
  const ModelConfig& config_;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<Model> Model::load(const std::filesystem::path& folder, FileLoad how) {
  auto config = std::make_shared<ModelConfig>(ModelConfig::from_folder(folder));
  config->quantization.require_supported((folder / "config.json").string());
  ModelSpec spec = spec_from_config(*config);
  auto store = std::make_shared<WeightStore>(WeightStore::open(folder, how));

  // mlx-vlm style gemma3 checkpoints keep the text model under "language_model.".
  std::string prefix;
  if (!store->has("model.embed_tokens.weight") &&
      store->has("language_model.model.embed_tokens.weight")) {
    prefix = "language_model.";
  }
  Loader ld(*store, *config, prefix);
  const int64_t H = spec.hidden, I = spec.intermediate, hd = spec.head_dim;
  const int64_t q_dim = spec.n_heads * hd, kv_dim = spec.n_kv_heads * hd;

  ModelWeights w;
  w.embed = ld.matrix("model.embed_tokens", spec.vocab, H);
  if (ld.has("lm_head.weight")) {
    w.lm_head = ld.matrix("lm_head", spec.vocab, H);
    spec.tie_embeddings = false;
  } else {
    // mlx-lm does not store a tied lm_head; gemma checkpoints are always tied.
    w.lm_head = w.embed;
    spec.tie_embeddings = true;
  }
  w.final_norm = ld.vec("model.norm.weight", H);
  // Gemma's √hidden embedding multiplier is a tensor of the weights' dtype in transformers and
  // a bf16 constant in mlx-lm: round it like the stored embedding (exact for f32 models).
  if (spec.embed_scale != 1.0f) {
    const bool bf16 = w.embed.format == ops::WeightFormat::BF16 ||
                      (w.embed.format == ops::WeightFormat::Affine &&
                       w.embed.scale_type == ops::ScaleType::BF16);
    const bool f16 = w.embed.format == ops::WeightFormat::F16 ||
                     (w.embed.format == ops::WeightFormat::Affine &&
                      w.embed.scale_type == ops::ScaleType::F16);
    if (bf16) spec.embed_scale = bf16_to_f32(f32_to_bf16(spec.embed_scale));
    if (f16) spec.embed_scale = f16_to_f32(f32_to_f16(spec.embed_scale));
  }
  w.layers.resize(static_cast<size_t>(spec.n_layers()));
  for (int64_t i = 0; i < spec.n_layers(); ++i) {
    LayerWeights& L = w.layers[static_cast<size_t>(i)];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    if (spec.fused_qkv) {
      L.qkv = ld.matrix(p + "self_attn.qkv_proj", q_dim + 2 * kv_dim, H);
    } else {
      L.q = ld.matrix(p + "self_attn.q_proj", q_dim, H);
      L.k = ld.matrix(p + "self_attn.k_proj", kv_dim, H);
      L.v = ld.matrix(p + "self_attn.v_proj", kv_dim, H);
      L.q_bias = ld.optional_vec(p + "self_attn.q_proj.bias", q_dim, spec.qkv_bias);
      L.k_bias = ld.optional_vec(p + "self_attn.k_proj.bias", kv_dim, spec.qkv_bias);
      L.v_bias = ld.optional_vec(p + "self_attn.v_proj.bias", kv_dim, spec.qkv_bias);
    }
    L.o = ld.matrix(p + "self_attn.o_proj", H, q_dim);
    L.o_bias = ld.optional_vec(p + "self_attn.o_proj.bias", H, spec.o_bias);
    if (spec.qk_norm) {
      L.q_norm = ld.vec(p + "self_attn.q_norm.weight", hd);
      L.k_norm = ld.vec(p + "self_attn.k_norm.weight", hd);
    }
    if (spec.fused_gate_up) {
      L.gate_up = ld.matrix(p + "mlp.gate_up_proj", 2 * I, H);
    } else {
      L.gate = ld.matrix(p + "mlp.gate_proj", I, H);
      L.up = ld.matrix(p + "mlp.up_proj", I, H);
    }
    L.down = ld.matrix(p + "mlp.down_proj", H, I);
    L.input_norm = ld.vec(p + "input_layernorm.weight", H);
    L.post_attention_norm = ld.vec(p + "post_attention_layernorm.weight", H);
    if (spec.sandwich_norms) {
      L.pre_ffn_norm = ld.vec(p + "pre_feedforward_layernorm.weight", H);
      L.post_ffn_norm = ld.vec(p + "post_feedforward_layernorm.weight", H);
    }
  }
  w.weight_bytes = static_cast<std::size_t>(store->total_bytes());
  for (const SafetensorsFile& f : store->files()) w.images.push_back(f.image());
  w.storage = store;
  auto m = std::make_unique<Model>(std::move(spec), std::move(w));
  m->config_ = std::move(config);
  m->folder_ = folder;
  return m;
}

}  // namespace abstractllm::engine::model
