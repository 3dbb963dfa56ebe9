// IEEE half (f16) and bfloat16 (bf16) <-> f32 conversions, bit-exact and portable (no F16C
// requirement), plus bulk "any float dtype -> f32" helpers used by loaders and the converter.
//
// Rounding: f32 -> f16 and f32 -> bf16 round to nearest, ties to even (what numpy, PyTorch and
// MLX do); NaN stays NaN (quiet), overflow becomes +-inf, f16 subnormals are handled exactly.
#pragma once

#include <cstdint>
#include <cstring>

namespace abstractllm::engine {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// bf16 is the top half of an f32: widening is a shift.
inline float bf16_to_f32(uint16_t b) { return f32_from_bits(static_cast<uint32_t>(b) << 16); }

inline uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep sign, force a quiet payload bit
    return static_cast<uint16_t>((u >> 16) | 0x0040u);
  }
  // Round to nearest even: add 0x7fff plus the lowest kept bit.
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) {  // inf / NaN
    return f32_from_bits(sign | 0x7f800000u | (mant << 13));
  }
  if (exp != 0) {  // normal: rebias 15 -> 127
    return f32_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
  }
  if (mant == 0) return f32_from_bits(sign);  // +-0
  // Subnormal: value = mant * 2^-24, exactly representable in f32.
  const float mag = static_cast<float>(mant) * 5.9604644775390625e-08f;
  return sign ? -mag : mag;
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t u = f32_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {
    // Result is f16 subnormal (or zero): value / 2^-24 rounded to nearest even integer.
    if (abs < 0x33000000u) return sign;  // < 2^-25: rounds to zero (exactly 2^-25 ties to 0)
    const uint32_t e = abs >> 23;              // biased exponent, 102..112
    const uint32_t m = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - e;           // so that result = m >> shift (before rounding)
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  // Normal: rebias and round the 13 dropped mantissa bits to nearest even (may carry into exp).
  uint32_t v = abs - 0x38000000u;  // exponent 127 -> 15
  v += 0x0fffu + ((v >> 13) & 1u);
  return static_cast<uint16_t>(sign | (v >> 13));
}

}  // namespace abstractllm::engine
