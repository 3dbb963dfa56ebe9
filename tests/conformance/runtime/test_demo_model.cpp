// Acceptance test of the bundled demo model (models/abstractllm-demo-chat, issue 8).
//
// Through our whole engine — tokenizer.json, the model's Jinja chat template, the MLX 4-bit
// weights, the forward pass and greedy decoding — the model must answer at least 90% of the 200
// held-out questions exactly, and within 2 points of the PyTorch model's accuracy on the same
// questions. The questions (models/abstractllm-demo-chat/eval/heldout.jsonl) never occur in the
// training data; the PyTorch accuracy and answers (eval/pytorch_eval.json) were written by
// tools/demo_model/train.py with transformers' LlamaForCausalLM, greedy, same prompt format.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/chat/chat_template.hpp"
#include "engine/runtime/generator.hpp"
#include "engine/runtime/loaded_model.hpp"
#include "engine/tokenizer/tokenizer.hpp"

namespace abstractllm::engine {
namespace {

namespace fs = std::filesystem;

const fs::path kModelDir = fs::path(ABSTRACTLLM_SOURCE_DIR) / "models" / "abstractllm-demo-chat";

// The model folder to run: the shipped one, or ABSTRACTLLM_DEMO_MODEL_DIR (e.g. the float
// Hugging Face folder before conversion, or a rebuilt model). The held-out set and the PyTorch
// results always come from the shipped eval/ folder.
fs::path model_dir() {
  const char* env = std::getenv("ABSTRACTLLM_DEMO_MODEL_DIR");
  return env != nullptr && *env != '\0' ? fs::path(env) : kModelDir;
}

struct HeldOut {
  int id = 0;
  std::string family, question, answer;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<HeldOut> read_heldout() {
  std::vector<HeldOut> items;
  std::istringstream lines(read_text(kModelDir / "eval" / "heldout.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    items.push_back({j.at("id").get<int>(), j.at("family").get<std::string>(),
                     j.at("question").get<std::string>(), j.at("answer").get<std::string>()});
  }
  return items;
}

nlohmann::json read_pytorch_eval() {
  return nlohmann::json::parse(read_text(kModelDir / "eval" / "pytorch_eval.json"));
}

// The shipped folder is what the CLI and the provider load by default: MLX format, 4-bit.
TEST(DemoModel, FolderIsMlxFourBitLlama) {
  const auto config = nlohmann::json::parse(read_text(kModelDir / "config.json"));
  EXPECT_EQ(config.at("model_type"), "llama");
  ASSERT_TRUE(config.contains("quantization")) << "config.json has no \"quantization\"";
  EXPECT_EQ(config["quantization"].at("bits"), 4);
  EXPECT_EQ(config["quantization"].at("group_size"), 64);
  for (const char* f : {"model.safetensors", "tokenizer.json", "tokenizer_config.json",
                        "README.md"}) {
    EXPECT_TRUE(fs::exists(kModelDir / f)) << f;
  }
}

// The committed held-out set and the PyTorch results describe the same 200 questions.
TEST(DemoModel, HeldOutSetMatchesPyTorchResults) {
  const auto items = read_heldout();
  const auto ref = read_pytorch_eval();
  ASSERT_EQ(items.size(), 200u);
  ASSERT_EQ(ref.at("n").get<size_t>(), items.size());
  const auto& answers = ref.at("answers");
  ASSERT_EQ(answers.size(), items.size());
  int correct = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(answers[i].at("id").get<int>(), items[i].id);
    const bool c = answers[i].at("generated").get<std::string>() == items[i].answer;
    EXPECT_EQ(answers[i].at("correct").get<bool>(), c) << "question " << items[i].id;
    correct += c;
  }
  EXPECT_EQ(ref.at("correct").get<int>(), correct);
  EXPECT_DOUBLE_EQ(ref.at("accuracy").get<double>(), correct / double(items.size()));
}

// Loading wires the model's own template and stop token, not the defaults.
TEST(DemoModel, LoadsWithItsChatTemplateAndEos) {
  const auto model = LoadedModel::load(model_dir());
  EXPECT_FALSE(model->chat_template().is_default());
  const auto im_end = model->tokenizer().token_to_id("<|im_end|>");
  ASSERT_TRUE(im_end.has_value());
  const auto eos = model->eos_token_ids();
  EXPECT_NE(std::find(eos.begin(), eos.end(), *im_end), eos.end());
  const std::string prompt = model->chat_template().apply(
      nlohmann::ordered_json::array({{{"role", "user"}, {"content", "What is 12 + 7?"}}}));
  EXPECT_EQ(prompt, "<|im_start|>user\nWhat is 12 + 7?<|im_end|>\n<|im_start|>assistant\n");
}

TEST(DemoModel, AnswersHeldOutQuestionsLikeThePyTorchModel) {
  const auto items = read_heldout();
  const auto ref = read_pytorch_eval();
  const double pytorch_accuracy = ref.at("accuracy").get<double>();
  const auto& ref_answers = ref.at("answers");

  const auto model = LoadedModel::load(model_dir());
  GenerationParams params;
  params.sampling.temperature = 0;  // greedy, as the PyTorch evaluation
  params.max_tokens = 64;

  int correct = 0, same_as_pytorch = 0;
  int64_t tokens = 0;
  std::map<std::string, std::pair<int, int>> by_family;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const std::string prompt = model->chat_template().apply(
        nlohmann::ordered_json::array({{{"role", "user"}, {"content", item.question}}}));
    // The template already holds the special tokens (transformers: add_special_tokens=False).
    const auto ids = model->tokenizer().encode(prompt, /*add_special_tokens=*/false);
    Generator generator(model);
    const auto result = generator.generate(ids, params);
    tokens += result.completion_tokens;
    const bool ok = result.text == item.answer;
    const auto& pytorch_text = ref_answers[i].at("generated").get_ref<const std::string&>();
    correct += ok;
    same_as_pytorch += result.text == pytorch_text;
    auto& fam = by_family[item.family];
    fam.first += ok;
    fam.second += 1;
    if (!ok) {
      std::printf("  miss #%d [%s] %s\n    engine:  %s\n    pytorch: %s\n    want:    %s\n",
                  item.id, item.family.c_str(), item.question.c_str(), result.text.c_str(),
                  pytorch_text.c_str(), item.answer.c_str());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double accuracy = correct / double(items.size());
  std::printf("demo model %s, greedy: %d/%zu held-out answers exact (%.1f%%); PyTorch %.1f%%; "
              "identical to PyTorch's answer: %d/%zu; %lld tokens in %.1f s\n",
              model_dir().string().c_str(), correct, items.size(), 100 * accuracy,
              100 * pytorch_accuracy, same_as_pytorch,
              items.size(), static_cast<long long>(tokens), seconds);
  for (const auto& [family, c] : by_family) {
    std::printf("  %-10s %d/%d\n", family.c_str(), c.first, c.second);
  }
  EXPECT_GE(accuracy, 0.90);
  EXPECT_LE(std::fabs(accuracy - pytorch_accuracy), 0.02 + 1e-9)
      << "engine " << accuracy << " vs PyTorch " << pytorch_accuracy;
}

}  // namespace
}  // namespace abstractllm::engine
