// Re-export: QuantParams / QuantizationConfig are defined in io (ModelConfig embeds them).
#pragma once

#include "engine/io/quantization_config.hpp"
