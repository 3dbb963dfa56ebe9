#include "engine/runtime/loaded_model.hpp"

#include <algorithm>
#include <filesystem>

#include "abstractllm/errors.hpp"
#include "engine/chat/chat_template.hpp"
#include "engine/model/tiled_cache.hpp"
#include "engine/tokenizer/tokenizer.hpp"

namespace abstractllm::engine {

LoadedModel::LoadedModel() = default;
LoadedModel::~LoadedModel() = default;

std::shared_ptr<LoadedModel> LoadedModel::from_parts(std::unique_ptr<model::Model> model,
                                                     std::unique_ptr<Tokenizer> tokenizer,
                                                     std::unique_ptr<ChatTemplate> chat_template,
                                                     const LoadOptions& options) {
  if (model == nullptr) throw InvalidParameterError("model", "LoadedModel: no model given");
  std::shared_ptr<LoadedModel> m(new LoadedModel());
  m->model_ = std::move(model);
  m->tokenizer_ = std::move(tokenizer);
  m->chat_template_ = chat_template ? std::move(chat_template)
                                    : std::make_unique<ChatTemplate>(ChatTemplate::chatml());
  if (options.threads > 0) {
    m->own_pool_ = std::make_unique<ops::ThreadPool>(options.threads);
    m->pool_ = m->own_pool_.get();
  } else {
    m->pool_ = &ops::ThreadPool::global();
  }
  if (options.repack_weights) {
    model::TilingOptions tiling;
    tiling.cache_dir = options.repack_cache_dir.value_or(model::default_repack_cache_dir());
    m->tiling_ = m->model_->tile_weights(*m->pool_, tiling);
  }
  // EOS ids: config.json + generation_config.json (merged by ModelConfig) + the tokenizer's.
  if (const ModelConfig* c = m->model_->config()) {
    for (int64_t id : c->eos_token_ids) m->eos_ids_.push_back(static_cast<int32_t>(id));
  }
  if (m->tokenizer_) {
    if (auto id = m->tokenizer_->config().eos.id) m->eos_ids_.push_back(*id);
  }
  std::sort(m->eos_ids_.begin(), m->eos_ids_.end());
  m->eos_ids_.erase(std::unique(m->eos_ids_.begin(), m->eos_ids_.end()), m->eos_ids_.end());
  return m;
}

std::shared_ptr<LoadedModel> LoadedModel::load(const std::filesystem::path& folder,
                                               const LoadOptions& options) {
  if (!std::filesystem::is_directory(folder)) {
    throw ModelNotFoundError("model folder " + folder.string() + " does not exist");
  }
  auto model = model::Model::load(folder, options.weights);
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<ChatTemplate> chat_template;
  if (std::filesystem::exists(folder / "tokenizer.json") || !options.allow_missing_tokenizer) {
    tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_folder(folder));
    chat_template = std::make_unique<ChatTemplate>(ChatTemplate::from_folder(folder));
  }
  auto m = from_parts(std::move(model), std::move(tokenizer), std::move(chat_template), options);
  m->folder_ = folder;
  return m;
}

const ModelConfig& LoadedModel::config() const {
  if (model_->config() == nullptr) {
    throw InvalidRequestError("LoadedModel: this model was built without a config.json");
  }
  return *model_->config();
}

const Tokenizer& LoadedModel::tokenizer() const {
  if (!tokenizer_) {
    throw InvalidRequestError("model " + folder_.string() +
                              " was loaded without a tokenizer (no tokenizer.json)");
  }
  return *tokenizer_;
}

const ChatTemplate& LoadedModel::chat_template() const { return *chat_template_; }

int64_t LoadedModel::context_window() const {
  // A config without max_position_embeddings: the tokenizer's model_max_length, else no limit
  // is known and 0 tells the Generator not to enforce one.
  if (model_->spec().max_position > 0) return model_->spec().max_position;
  if (tokenizer_ && tokenizer_->config().model_max_length) {
    return *tokenizer_->config().model_max_length;
  }
  return 0;
}

std::size_t LoadedModel::weight_bytes() const { return model_->weight_bytes(); }

std::vector<int32_t> LoadedModel::eos_token_ids() const { return eos_ids_; }

}  // namespace abstractllm::engine
