#!/bin/sh
# man_lint.sh SOURCE_DIR - every man page is clean under mandoc -Tlint
# (warnings included), every daemon has its page in section 8, and every
# page in man/ is installed.
set -eu
src=$1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

for page in "$src"/man/*.[1-8]; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1) && [ -z "$out" ] &&
		ok || bad "$out"
done
# Every daemon (a directory whose CMakeLists says add_daemon) has a page.
for cm in "$src"/*/CMakeLists.txt; do
	for d in $(sed -n 's/^add_daemon(\([a-z0-9_]*\).*/\1/p' "$cm"); do
		[ -f "$src/man/$d.8" ] && ok || bad "daemon $d has no man/$d.8"
	done
done
# Every page is installed.
for page in "$src"/man/*.[1-8]; do
	n=$(basename "$page")
	grep -qw "$n" "$src/man/CMakeLists.txt" && ok ||
		bad "man/$n is not installed by man/CMakeLists.txt"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
