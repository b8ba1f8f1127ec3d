#!/bin/sh
# install_test.sh BUILD_DIR CONFIG_DIR - `cmake --install` into a DESTDIR
# puts each file where GNUInstallDirs says, and nothing else.  The
# configuration goes to CONFIG_DIR, the directory compiled into the
# binaries (an absolute path fixed when the build was configured).
set -eu
build=$1
conf=.$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR=$stage cmake --install "$build" --prefix /usr > /dev/null
found=$(cd "$stage" && find . -type f | LC_ALL=C sort | tr '\n' ' ')
want="$conf/master.conf $conf/postern.conf ./usr/lib/systemd/system/postern.service ./usr/lib/sysusers.d/postern.conf \
./usr/lib/tmpfiles.d/postern.conf \
./usr/libexec/postern/authd ./usr/libexec/postern/cryptd \
./usr/libexec/postern/expire \
./usr/libexec/postern/imapd ./usr/libexec/postern/local ./usr/libexec/postern/master \
./usr/libexec/postern/pop3d ./usr/libexec/postern/qmgr ./usr/libexec/postern/smtp \
./usr/libexec/postern/smtpd \
./usr/sbin/postern \
./usr/share/man/man1/postern.1 ./usr/share/man/man5/master.conf.5 \
./usr/share/man/man5/postern.conf.5 ./usr/share/man/man7/postern-crypto.7 \
./usr/share/man/man8/authd.8 ./usr/share/man/man8/cryptd.8 \
./usr/share/man/man8/expire.8 \
./usr/share/man/man8/imapd.8 ./usr/share/man/man8/local.8 \
./usr/share/man/man8/master.8 ./usr/share/man/man8/pop3d.8 \
./usr/share/man/man8/qmgr.8 ./usr/share/man/man8/smtp.8 \
./usr/share/man/man8/smtpd.8"
want=$(for f in $want; do echo "$f"; done | LC_ALL=C sort | tr '\n' ' ')
if [ "$found" != "$want" ]; then
	echo "installed: $found"
	echo "expected:  $want"
	echo "0 passed, 1 failed"
	exit 1
fi
# No path of the build tree may reach an installed file (reproducible,
# relocatable packages), and the unit runs the installed master.
if grep -rl "$(cd "$build" && pwd -P)" "$stage" >/dev/null 2>&1; then
	echo "build path in: $(grep -rl "$(cd "$build" && pwd -P)" "$stage")"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! grep -q '^ExecStart=/.*/libexec/postern/master -f$' \
    "$stage/usr/lib/systemd/system/postern.service"; then
	echo "postern.service does not start libexec/postern/master -f"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
