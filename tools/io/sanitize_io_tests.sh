#!/bin/bash
# Builds and runs test_io and test_quant under AddressSanitizer + UBSan without CMake (the io and
# quant sources need no other component's .cpp), in build-io-dev/. Useful on a machine without
# the project's setup: copy simdjson.h and libsimdjson.so* into build-io-dev/{inc,lib} first
# (from a Debian box: /usr/include/simdjson.h, /usr/lib/x86_64-linux-gnu/libsimdjson.so.14);
# needs g++ >= 12 and GoogleTest. Usage: tools/io/sanitize_io_tests.sh   (from the repo root)
set -euo pipefail
D=build-io-dev
O=$D/obj
mkdir -p "$O" "$D/inc" "$D/lib"
if [ -f /usr/include/simdjson.h ] && [ ! -f "$D/inc/simdjson.h" ]; then
  cp /usr/include/simdjson.h "$D/inc/"
  cp -L /usr/lib/x86_64-linux-gnu/libsimdjson.so.* "$D/lib/" 2>/dev/null || true
fi
[ -f "$D/lib/libsimdjson.so" ] || ln -sf "$(ls "$D"/lib/libsimdjson.so.* | head -1 | xargs basename)" "$D/lib/libsimdjson.so"
FLAGS="-std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined"
FLAGS+=" -fno-omit-frame-pointer -Iinclude -Isrc -I$D/inc -DABSTRACTLLM_SOURCE_DIR=\"$PWD\""
FLAGS+=" -DABSTRACTLLM_FIXTURES_DIR=\"$PWD/tests/fixtures\" -DABSTRACTLLM_TESTDATA_DIR=\"$PWD/.cache/testdata\""
FLAGS+=" -DABSTRACTLLM_CLI_PATH=\"/nonexistent\""
compile() { g++ $FLAGS -c "$1" -o "$O/$(echo "$1" | tr / _).o"; }
export -f compile
export FLAGS O
ls src/engine/io/*.cpp src/engine/quant/*.cpp tests/unit/io/*.cpp tests/unit/quant/*.cpp |
  xargs -P"$(nproc)" -I{} bash -c 'compile {}'
LIBS="-L$D/lib -lsimdjson -Wl,-rpath,$PWD/$D/lib -lgtest -lgtest_main -lpthread"
g++ -fsanitize=address,undefined "$O"/src_engine_io_*.o "$O"/tests_unit_io_*.o $LIBS -o "$D/test_io"
g++ -fsanitize=address,undefined "$O"/src_engine_io_*.o "$O"/src_engine_quant_*.o \
  "$O"/tests_unit_quant_*.o $LIBS -o "$D/test_quant"
"./$D/test_io"
"./$D/test_quant"
