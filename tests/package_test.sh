#!/bin/sh
# package_test.sh SOURCE_DIR - build the .deb from a copy of the tree,
# lintian must report no error, install it on this machine, start the
# installed master as the unit's ExecStart does (on a test instance of
# its own ports), reload it, stop it, and purge the package.
# Needs root and debhelper, dpkg-dev, fakeroot, lintian (scripts/deps.sh
# package); exits 77 (skipped) without them.
set -eu
src=$1
if [ "$(id -u)" -ne 0 ] || ! command -v dpkg-buildpackage >/dev/null ||
    ! command -v lintian >/dev/null || ! command -v dh >/dev/null; then
	echo "skipped: needs root, dpkg-dev, debhelper and lintian"
	exit 77
fi
if dpkg-query -W -f='${Status}' postern 2>/dev/null | grep -q installed; then
	echo "skipped: a postern package is already installed here"
	exit 77
fi
work=$(mktemp -d)
pid=""
installed=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && sleep 1
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$installed" ] && dpkg --purge postern >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "0 passed, 1 failed"
	exit 1
}

# Out of tree: only the files git knows, no build directories.
mkdir "$work/postern"
(cd "$src" && git ls-files -co --exclude-standard | grep -v '^build' |
    tar -cf - -T -) | tar -xf - -C "$work/postern"
(cd "$work/postern" && dpkg-buildpackage -us -uc -b -j2) \
    > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build"; }
deb=$(ls "$work"/postern_*.deb)

lintian "$work"/postern_*.changes > "$work/lintian.log" 2>&1 || true
cat "$work/lintian.log"
grep -q '^E:' "$work/lintian.log" && fail "lintian errors"

dpkg -i "$deb" > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
installed=yes
for u in postern postern-mail postern-auth postern-crypt; do
	getent passwd "$u" >/dev/null || fail "user $u not created"
done
for f in /etc/postern/postern.conf /etc/postern/master.conf \
    /etc/postern/tls/cert.pem /etc/postern/tls/key.pem; do
	[ -f "$f" ] || fail "$f missing"
done
/usr/sbin/postern check > "$work/check.log" 2>&1 ||
    { cat "$work/check.log"; fail "postern check of /etc/postern"; }

# The unit's command line, pointed at a test instance: this machine may
# run other mail servers on the standard ports.
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/postern.service)
[ -n "$exec_start" ] || fail "no ExecStart in the installed unit"
inst="$work/instance"
base=$((30000 + ($$ % 300) * 100))
/usr/sbin/postern init "$inst" --port-base "$base" > /dev/null ||
    fail "postern init"
$exec_start -c "$inst" > "$work/master.log" 2>&1 &
pid=$!
up() {
	i=0
	while [ $i -lt 60 ]; do
		/usr/sbin/postern -c "$inst" status > /dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
up || { cat "$work/master.log"; fail "installed master did not answer status"; }
kill -HUP "$pid"
sleep 1
up || { cat "$work/master.log"; fail "master gone after SIGHUP"; }
grep -q 'reload done' "$work/master.log" ||
    { cat "$work/master.log"; fail "no reload in the log"; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || { cat "$work/master.log"; fail "master exited $rc"; }

dpkg --purge postern > /dev/null 2>&1 || fail "dpkg --purge"
installed=""
[ ! -e /etc/postern/postern.conf ] || fail "purge left /etc/postern/postern.conf"
echo "1 passed, 0 failed"
