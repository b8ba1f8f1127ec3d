#!/bin/sh
# install_test.sh BUILD_DIR - `cmake --install` into a DESTDIR puts each
# file where GNUInstallDirs says, and nothing else.
set -eu
build=$1
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR=$stage cmake --install "$build" --prefix /usr > /dev/null
found=$(cd "$stage" && find . -type f | sort | tr '\n' ' ')
want="./usr/libexec/postern/authd ./usr/libexec/postern/cryptd \
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
./usr/share/man/man8/smtpd.8 "
if [ "$found" != "$want" ]; then
	echo "installed: $found"
	echo "expected:  $want"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
