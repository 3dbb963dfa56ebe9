// What the x86 core can issue beside vpdpbusd: the measurements behind the VNNI decode kernel's
// shape (docs/performance.md, "What bounds it"). Each benchmark runs a mix of independent
// register-only instructions 1000 times per iteration and reports `cycles` per mix, calibrated
// against a chain of dependent vpaddd (one cycle each). On Zen 4 vpdpbusd issues two a cycle
// with a latency of 4 (BM_Dots12: 6 cycles, BM_DotChain4: 16), so eight independent ones keep
// its pipes busy in 4 cycles; an instruction kind that adds to that time competes for those
// pipes, one that does not runs beside them. x86 with AVX512-VNNI only: elsewhere each
// benchmark reports an error and runs nothing.
//
//   build/bench/bench_ops_vector_pipes
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

namespace {

#if defined(__x86_64__)

bool has_vnni_vl_gfni() {
  static const bool yes = __builtin_cpu_supports("avx512vnni") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("gfni");
  return yes;
}

constexpr int kRepeats = 1000;

// Nanoseconds per cycle, from a chain of dependent vpaddd (latency 1).
double ns_per_cycle() {
  static const double ns = [] {
    constexpr int64_t kOps = 50'000'000;
    const auto t0 = std::chrono::steady_clock::now();
    asm volatile(
        "vpxor %%xmm0, %%xmm0, %%xmm0\n"
        "mov %0, %%rcx\n"
        "1:\n"
        "vpaddd %%ymm0, %%ymm0, %%ymm0\n"
        "vpaddd %%ymm0, %%ymm0, %%ymm0\n"
        "vpaddd %%ymm0, %%ymm0, %%ymm0\n"
        "vpaddd %%ymm0, %%ymm0, %%ymm0\n"
        "dec %%rcx\n"
        "jnz 1b\n"
        :
        : "r"(kOps / 4)
        : "rcx", "xmm0", "cc");
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / kOps;
  }();
  return ns;
}

// Eight vpdpbusd into ymm0-7 (independent: each accumulates onto itself once per mix).
#define ALLM_DOTS8                                                                    \
  "vpdpbusd %%ymm14, %%ymm15, %%ymm0\n vpdpbusd %%ymm14, %%ymm15, %%ymm1\n"           \
  "vpdpbusd %%ymm14, %%ymm15, %%ymm2\n vpdpbusd %%ymm14, %%ymm15, %%ymm3\n"           \
  "vpdpbusd %%ymm14, %%ymm15, %%ymm4\n vpdpbusd %%ymm14, %%ymm15, %%ymm5\n"           \
  "vpdpbusd %%ymm14, %%ymm15, %%ymm6\n vpdpbusd %%ymm14, %%ymm15, %%ymm7\n"
// Four instructions `op` with two register sources, writing ymm8-11 (no chains).
#define ALLM_FOUR(op)                                                                     \
  op " %%ymm12, %%ymm13, %%ymm8\n " op " %%ymm12, %%ymm13, %%ymm9\n " op               \
     " %%ymm12, %%ymm13, %%ymm10\n " op " %%ymm12, %%ymm13, %%ymm11\n"
// Four instructions `op` with an immediate and one register source.
#define ALLM_FOUR_IMM(op)                                                                   \
  op " $4, %%ymm12, %%ymm8\n " op " $4, %%ymm12, %%ymm9\n " op " $4, %%ymm12, %%ymm10\n " op \
     " $4, %%ymm12, %%ymm11\n"
#define ALLM_CLOBBERS                                                                      \
  "rcx", "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
      "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

alignas(64) unsigned char g_buffer[4096];

// Runs `body` (a loop over rcx, set to kRepeats) once per benchmark iteration and reports
// cycles per mix.
template <class Body>
void run_mix(benchmark::State& state, Body body) {
  if (!has_vnni_vl_gfni()) {
    state.SkipWithError("needs AVX512-VNNI, AVX512-VL and GFNI");
    return;
  }
  const double cycle = ns_per_cycle();
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) body();
  const auto t1 = std::chrono::steady_clock::now();
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  state.counters["cycles"] =
      ns / static_cast<double>(state.iterations()) / kRepeats / cycle;
}

#define ALLM_MIX(name, text)                                                              \
  void name(benchmark::State& state) {                                                    \
    run_mix(state, [] {                                                                   \
      asm volatile(/* zero sources: no denormal inputs */                                 \
                   "vpxor %%xmm12, %%xmm12, %%xmm12\n vpxor %%xmm13, %%xmm13, %%xmm13\n"     \
                   "vpxor %%xmm14, %%xmm14, %%xmm14\n vpxor %%xmm15, %%xmm15, %%xmm15\n"     \
                   "mov %0, %%rcx\n 1:\n" text "dec %%rcx\n jnz 1b\n"                     \
                   :                                                                      \
                   : "i"(kRepeats), "r"(g_buffer)                                         \
                   : ALLM_CLOBBERS);                                                      \
    });                                                                                   \
  }                                                                                       \
  BENCHMARK(name)

ALLM_MIX(BM_Dots8, ALLM_DOTS8);
// Twelve independent vpdpbusd: more chains than latency 4 x two a cycle needs, so the time is
// the issue rate alone (6 cycles on Zen 4).
ALLM_MIX(BM_Dots12, ALLM_DOTS8 "vpdpbusd %%ymm14, %%ymm15, %%ymm8\n vpdpbusd %%ymm14, %%ymm15, %%ymm9\n"
                               "vpdpbusd %%ymm14, %%ymm15, %%ymm10\n vpdpbusd %%ymm14, %%ymm15, %%ymm11\n");
ALLM_MIX(BM_Dots8_Vpand4, ALLM_DOTS8 ALLM_FOUR("vpand"));
ALLM_MIX(BM_Dots8_Vpaddd4, ALLM_DOTS8 ALLM_FOUR("vpaddd"));
ALLM_MIX(BM_Dots8_Vpunpckldq4, ALLM_DOTS8 ALLM_FOUR("vpunpckldq"));
ALLM_MIX(BM_Dots8_Vpsrlw4, ALLM_DOTS8 ALLM_FOUR_IMM("vpsrlw"));
ALLM_MIX(BM_Dots8_Vpslld4, ALLM_DOTS8 ALLM_FOUR_IMM("vpslld"));
ALLM_MIX(BM_Dots8_Vphaddd4, ALLM_DOTS8 ALLM_FOUR("vphaddd"));
ALLM_MIX(BM_Dots8_Vperm2i128x4,
         ALLM_DOTS8 "vperm2i128 $0x20, %%ymm12, %%ymm13, %%ymm8\n"
                    "vperm2i128 $0x20, %%ymm12, %%ymm13, %%ymm9\n"
                    "vperm2i128 $0x20, %%ymm12, %%ymm13, %%ymm10\n"
                    "vperm2i128 $0x20, %%ymm12, %%ymm13, %%ymm11\n");
ALLM_MIX(BM_Dots8_Vfmadd4, ALLM_DOTS8 ALLM_FOUR("vfmadd231ps"));
ALLM_MIX(BM_Dots8_Vcvtph2ps4,
         ALLM_DOTS8 "vcvtph2ps %%xmm12, %%ymm8\n vcvtph2ps %%xmm12, %%ymm9\n"
                    "vcvtph2ps %%xmm12, %%ymm10\n vcvtph2ps %%xmm12, %%ymm11\n");
ALLM_MIX(BM_Dots8_Vgf2p8affineqb4,
         ALLM_DOTS8 "vgf2p8affineqb $0, %%ymm12, %%ymm13, %%ymm8\n"
                    "vgf2p8affineqb $0, %%ymm12, %%ymm13, %%ymm9\n"
                    "vgf2p8affineqb $0, %%ymm12, %%ymm13, %%ymm10\n"
                    "vgf2p8affineqb $0, %%ymm12, %%ymm13, %%ymm11\n");
// Loads from L1: twelve 32-byte loads, and six 64-byte ones (the same bytes).
ALLM_MIX(BM_Loads12x32,
         "vmovdqu64 (%1), %%ymm8\n vmovdqu64 32(%1), %%ymm9\n vmovdqu64 64(%1), %%ymm10\n"
         "vmovdqu64 96(%1), %%ymm11\n vmovdqu64 128(%1), %%ymm8\n vmovdqu64 160(%1), %%ymm9\n"
         "vmovdqu64 192(%1), %%ymm10\n vmovdqu64 224(%1), %%ymm11\n vmovdqu64 256(%1), %%ymm8\n"
         "vmovdqu64 288(%1), %%ymm9\n vmovdqu64 320(%1), %%ymm10\n vmovdqu64 352(%1), %%ymm11\n");
ALLM_MIX(BM_Loads6x64,
         "vmovdqu64 (%1), %%zmm8\n vmovdqu64 64(%1), %%zmm9\n vmovdqu64 128(%1), %%zmm10\n"
         "vmovdqu64 192(%1), %%zmm11\n vmovdqu64 256(%1), %%zmm8\n vmovdqu64 320(%1), %%zmm9\n");
// Eight vpdpbusd reading their second source from memory, plus four plain 32-byte loads.
ALLM_MIX(BM_Dots8Mem_Loads4,
         "vpdpbusd (%1), %%ymm15, %%ymm0\n vpdpbusd 32(%1), %%ymm15, %%ymm1\n"
         "vpdpbusd 64(%1), %%ymm15, %%ymm2\n vpdpbusd 96(%1), %%ymm15, %%ymm3\n"
         "vpdpbusd 128(%1), %%ymm15, %%ymm4\n vpdpbusd 160(%1), %%ymm15, %%ymm5\n"
         "vpdpbusd 192(%1), %%ymm15, %%ymm6\n vpdpbusd 224(%1), %%ymm15, %%ymm7\n"
         "vmovdqu64 256(%1), %%ymm8\n vmovdqu64 288(%1), %%ymm9\n vmovdqu64 320(%1), %%ymm10\n"
         "vmovdqu64 352(%1), %%ymm11\n");
// One chain of dependent vpdpbusd: its latency.
ALLM_MIX(BM_DotChain4,
         "vpdpbusd %%ymm14, %%ymm15, %%ymm0\n vpdpbusd %%ymm14, %%ymm15, %%ymm0\n"
         "vpdpbusd %%ymm14, %%ymm15, %%ymm0\n vpdpbusd %%ymm14, %%ymm15, %%ymm0\n");

#else

void BM_NotX86(benchmark::State& state) {
  state.SkipWithError("x86 only");
  for (auto _ : state) {
  }
}
BENCHMARK(BM_NotX86);

#endif

}  // namespace

BENCHMARK_MAIN();
