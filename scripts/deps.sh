#!/bin/sh
# deps.sh - install the Debian packages Postern needs, if any is missing.
#   scripts/deps.sh build   what building needs
#   scripts/deps.sh test    that, plus what the test suite uses
# As root it runs apt-get; otherwise it prints the apt-get line to run.
set -eu

build="build-essential cmake pkg-config libssl-dev libdb-dev libsodium-dev
libspf2-dev libopendkim-dev libopendmarc-dev openssl publicsuffix"
test="python3 swaks libnet-ssleay-perl mandoc procps isync mutt
fetchmail dnsmasq-base python3-dkim python3-nacl opendkim
debhelper fakeroot lintian"

want=$build
[ "${1:-build}" = test ] && want="$build $test"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "Postern needs these Debian packages; as root, run:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
