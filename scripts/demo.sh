#!/bin/sh
# demo.sh - build Postern and run a demo instance in the foreground.
# The instance lives in ./demo (created on first run); Ctrl-C stops it.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
[ -f demo/postern.conf ] || build/sbin/postern init demo --domain demo.test
build/sbin/postern -c demo check
echo "Starting the demo instance in the foreground (Ctrl-C stops it);"
echo "its services listen on 127.0.0.1, ports 10000 + the standard port."
exec build/sbin/postern -c demo start -f
