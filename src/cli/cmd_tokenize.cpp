// `abstractllm tokenize` and `abstractllm detokenize`: a model's tokenizer.json from the command
// line. tokenize prints one JSON array of ids (like encode(add_special_tokens=True), or False
// with --no-special); detokenize prints the text of the ids exactly (no newline added).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "abstractllm/errors.hpp"
#include "cli/commands.hpp"
#include "engine/io/model_locator.hpp"
#include "engine/tokenizer/tokenizer.hpp"

namespace abstractllm::cli {
namespace {

// A folder is used as is (it may hold only the tokenizer files); anything else is a hub id
// looked up in the local Hugging Face cache.
engine::Tokenizer load_tokenizer(const std::string& model) {
  std::filesystem::path dir = model;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) dir = engine::resolve_model(model).folder;
  return engine::Tokenizer::from_folder(dir);
}

std::string read_text(const std::string& path) {
  if (path == "-")
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileProcessingError(path, "cannot open --text-file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TokenizeArgs {
  std::string model, text, text_file;
  bool no_special = false;
};

struct DetokenizeArgs {
  std::string model;
  std::vector<int64_t> ids;
  bool skip_special = false;
};

}  // namespace

void add_tokenize_commands(CLI::App& app) {
  auto ta = std::make_shared<TokenizeArgs>();
  auto* tok = app.add_subcommand("tokenize", "Print the token ids of a text as a JSON array");
  tok->add_option("--model,-m", ta->model, "Model folder (or hub id in the local HF cache)")
      ->required();
  tok->add_flag("--no-special", ta->no_special,
                "Do not add special tokens (encode with add_special_tokens=False)");
  auto* text = tok->add_option("--text,-t", ta->text, "The text to tokenize");
  auto* file = tok->add_option("--text-file,-f", ta->text_file, "Read the text from a file ('-': stdin)");
  text->excludes(file);
  tok->callback([ta, text, file] {
    if (text->count() == 0 && file->count() == 0)
      throw InvalidParameterError("--text", "give the text with --text TEXT or --text-file FILE");
    const engine::Tokenizer t = load_tokenizer(ta->model);
    const std::string input = file->count() ? read_text(ta->text_file) : ta->text;
    const auto ids = t.encode(input, !ta->no_special);
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) out += ", ";
      out += std::to_string(ids[i]);
    }
    out += "]\n";
    std::cout << out;
  });

  auto da = std::make_shared<DetokenizeArgs>();
  auto* detok = app.add_subcommand("detokenize", "Print the text of token ids");
  detok->add_option("--model,-m", da->model, "Model folder (or hub id in the local HF cache)")
      ->required();
  detok->add_flag("--skip-special", da->skip_special, "Leave special tokens out of the text");
  detok->add_option("ids", da->ids, "Token ids")->required();
  detok->callback([da] {
    const engine::Tokenizer t = load_tokenizer(da->model);
    std::vector<int32_t> ids;
    ids.reserve(da->ids.size());
    for (int64_t id : da->ids) {
      if (id < 0 || id >= t.vocab_size())
        throw InvalidParameterError("ids", "token id " + std::to_string(id) +
                                               " is outside the vocabulary [0, " +
                                               std::to_string(t.vocab_size()) + ")");
      ids.push_back(static_cast<int32_t>(id));
    }
    std::cout << t.decode(ids, da->skip_special) << std::flush;
  });
}

}  // namespace abstractllm::cli
