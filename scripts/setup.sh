#!/bin/sh
# Installs what the guest tests need: gcc + static glibc (to build the C test programs),
# busybox-static (a real static binary to run) and strace (the reference for --strace).
# Idempotent: does nothing when everything is already present. Run as root (or with sudo).
set -eu

missing=""
command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$missing libc6-dev"
# /bin/busybox from the (dynamic) busybox package would not do: it must be busybox-static.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' \
    || missing="$missing busybox-static"
command -v strace >/dev/null 2>&1 || missing="$missing strace"

if [ -z "$missing" ]; then
    echo "setup: gcc, libc6-dev, busybox-static and strace are already installed"
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
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y gcc libc6-dev busybox-static strace
