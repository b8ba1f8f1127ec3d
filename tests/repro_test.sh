#!/bin/sh
# repro_test.sh SOURCE_DIR - two builds of the same tree, from copies at
# different paths and in different build directories, install files of
# identical content: no timestamp or build path reaches the binaries,
# the man pages or the configuration.
set -eu
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in one two-longer-path; do
	mkdir -p "$work/$n/src"
	(cd "$src" && git ls-files -co --exclude-standard | grep -v '^build' |
	    tar -cf - -T -) | tar -xf - -C "$work/$n/src"
	cmake -S "$work/$n/src" -B "$work/$n/obj-$n" \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	    > "$work/$n.log" 2>&1 &&
	    cmake --build "$work/$n/obj-$n" -j2 >> "$work/$n.log" 2>&1 &&
	    DESTDIR="$work/$n/stage" cmake --install "$work/$n/obj-$n" \
	    >> "$work/$n.log" 2>&1 || { tail -20 "$work/$n.log"; exit 1; }
	(cd "$work/$n/stage" && find . -type f | LC_ALL=C sort |
	    xargs sha256sum) > "$work/$n.sums"
done
if ! cmp -s "$work/one.sums" "$work/two-longer-path.sums"; then
	diff "$work/one.sums" "$work/two-longer-path.sums" || true
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$(wc -l < "$work/one.sums") files identical"
echo "1 passed, 0 failed"
