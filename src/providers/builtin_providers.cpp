// Registers the providers built into the library. This file is compiled into an OBJECT library
// so its static initializer is always linked (a static library would let the linker drop it).
namespace abstractllm::providers {
namespace {
struct BuiltinProviders {
  BuiltinProviders() {}
} const kBuiltinProviders;
}  // namespace
}  // namespace abstractllm::providers
