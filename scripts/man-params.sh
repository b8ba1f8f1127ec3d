#!/bin/sh
# man-params.sh BUILD_DIR - regenerate the PARAMETERS entries of
# man/postern.conf.5 from the parameter tables (`postern config -m`).
# Run it after adding or changing a parameter; the test suite fails while
# the page and the tables disagree.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
page=man/postern.conf.5
tmp=$(mktemp)
# Show the paths of a /usr build, whatever prefix this build has.
"$build/sbin/postern" config -m | sed -e 's|/usr/local/etc/|/etc/|g' \
	-e 's|/usr/local/var/run/|/run/|g' -e 's|/usr/local/var/|/var/|g' \
	-e 's|/usr/local/|/usr/|g' > "$tmp"
awk -v gen="$tmp" '
	/^\.SH PARAMETERS/ { print; inpar = 1; next }
	inpar && /^\.TP/ && !done { while ((getline l < gen) > 0) print l;
		done = 1; skip = 1; next }
	inpar && /^\.SH / { inpar = 0; skip = 0 }
	skip { next }
	{ print }
' "$page" > "$page.new"
mv "$page.new" "$page"
rm -f "$tmp"
