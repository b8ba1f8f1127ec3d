#!/bin/sh
# demo.sh - build Postern and run a demo instance in the foreground.
# The instance lives in ./demo (created on first run); Ctrl-C stops it.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
if [ ! -f demo/postern.conf ]; then
	build/sbin/postern init demo --domain demo.test
	echo "demo password" | build/sbin/postern -c demo user add \
		demo@demo.test --password-stdin
fi
build/sbin/postern -c demo check
echo "Starting the demo instance in the foreground (Ctrl-C stops it);"
echo "its services listen on 127.0.0.1, ports 10000 + the standard port."
echo "Demo user: demo@demo.test, password: demo password"
echo "  send it mail: swaks --server 127.0.0.1:10025 --to demo@demo.test"
echo "  read it back: build/sbin/postern -c demo user export demo@demo.test"
exec build/sbin/postern -c demo start -f
