#!/bin/sh
# Installs what the guest tests need: gcc + static glibc (to build the C test programs),
# busybox-static (a real static binary to run), strace (the reference for --strace) and the
# dynamically linked programs of guest-tests/tests/real_programs.rs, by absolute path, and
# make (guest-tests/tests/toolchain.rs builds with gcc and make inside the sandbox).
# Idempotent: does nothing when everything is already present. Run as root (or with sudo).
set -eu

missing=""
command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$missing libc6-dev"
# /bin/busybox from the (dynamic) busybox package would not do: it must be busybox-static.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' \
    || missing="$missing busybox-static"
command -v strace >/dev/null 2>&1 || missing="$missing strace"
# toolchain.rs: gcc and make run inside the sandbox.
command -v make >/dev/null 2>&1 || missing="$missing make"
# go.rs builds a static Go program (the Go runtime's threads, futexes and signals).
command -v go >/dev/null 2>&1 || missing="$missing golang-go"
# real_programs.rs: each program (always run as /usr/bin/NAME) and its Debian package.
for pair in ls:coreutils grep:grep sed:sed awk:mawk find:findutils diff:diffutils \
    gzip:gzip xz:xz-utils tar:tar perl:perl-base python3:python3 sqlite3:sqlite3; do
    [ -x "/usr/bin/${pair%%:*}" ] || missing="$missing ${pair#*:}"
done

if [ -z "$missing" ]; then
    echo "setup: everything the guest tests need is already installed"
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "setup: missing:$missing; run this script as root (sudo is not available)" >&2
    exit 1
fi

echo "setup: installing:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
