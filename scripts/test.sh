#!/bin/sh
# test.sh - build Postern with AddressSanitizer and UBSan, warnings as
# errors, and run the whole test suite (unit and integration) with ctest.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
	-DSANITIZE=address,undefined -DWERROR=ON
cmake --build build-asan -j"$(nproc)"
cd build-asan
exec ctest --output-on-failure --timeout 600 -j2
