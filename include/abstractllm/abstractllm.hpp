// abstractllm: one C++ interface to large language models, with a local engine for MLX-format
// models. Include this header for the whole public API.
#pragma once

#include "abstractllm/config.hpp"
#include "abstractllm/enums.hpp"
#include "abstractllm/errors.hpp"
#include "abstractllm/factory.hpp"
#include "abstractllm/llm.hpp"
#include "abstractllm/media.hpp"
#include "abstractllm/stream.hpp"
#include "abstractllm/types.hpp"
