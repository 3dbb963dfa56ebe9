// Builders of pipeline components from their tokenizer.json objects. Unknown "type" values
// throw UnsupportedModelError naming the component; malformed ones ModelLoadingError.
#pragma once

#include <memory>
#include <string>

#include "engine/tokenizer/components.hpp"
#include "engine/tokenizer/json_util.hpp"

namespace abstractllm::engine::tok {

std::unique_ptr<Normalizer> make_normalizer(json::Elem e, const std::string& where);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(json::Elem e, const std::string& where);
std::unique_ptr<Model> make_model(json::Elem e, const std::string& where);
std::unique_ptr<Decoder> make_decoder(json::Elem e, const std::string& where);
// Post-processors refer to special tokens by id; `model` resolves their strings when needed.
std::unique_ptr<PostProcessor> make_post_processor(json::Elem e, const std::string& where);

[[noreturn]] void unsupported(const std::string& where, std::string_view type,
                              std::string_view supported);

}  // namespace abstractllm::engine::tok
