// A one-line progress bar on stderr, drawn only when stderr is a terminal (convert, synth).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace abstractllm::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label)
      : label_(std::move(label)), tty_(::isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() { finish(); }

  void update(uint64_t done, uint64_t total, const std::string& item) {
    if (!tty_ || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double frac = static_cast<double>(done) / static_cast<double>(total);
    const int width = 30;
    const int fill = static_cast<int>(frac * width);
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double mbps = secs > 0 ? static_cast<double>(done) / 1e6 / secs : 0;
    std::string shown = item.size() > 40 ? "..." + item.substr(item.size() - 37) : item;
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %.2f/%.2f GB %.0f MB/s %-40s", label_.c_str(),
                 std::string(static_cast<size_t>(fill), '#').c_str(),
                 std::string(static_cast<size_t>(width - fill), '.').c_str(),
                 static_cast<int>(frac * 100), static_cast<double>(done) / 1e9,
                 static_cast<double>(total) / 1e9, mbps, shown.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace abstractllm::cli
