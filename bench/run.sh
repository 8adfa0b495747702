#!/usr/bin/env bash
# Benchmarks: the same workloads natively, under `sentry run`, and under gVisor's
# `runsc do` (ptrace platform), in one run, reported as ratios to native.
# Usage: bench/run.sh [ROUNDS]     (installs runsc through apt-get if it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}

cargo build --release -q -p sentry
sentry=target/release/sentry
# Not under /tmp: the sandbox's /tmp is its own tmpfs.
work=target/bench
mkdir -p "$work"
gcc -static -O2 -o "$work/getppid_loop" bench/getppid_loop.c
gcc -static -O2 -o "$work/spawn_loop" bench/spawn_loop.c
gcc -static -O2 -pthread -o "$work/spin_threads" bench/spin_threads.c
printf 'int main(void) { return 0; }\n' > "$work/hello.c"
if ! command -v runsc >/dev/null; then
    echo "bench: installing runsc (Debian package) to compare with gVisor" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q runsc >/dev/null || true
fi
busybox=$(command -v busybox)

# Median wall time in milliseconds of `rounds` runs of the command (timed from a
# single Python process, so no shell or `date` process is inside the measurement).
median_ms() {
    python3 - "$rounds" "$@" <<'PY'
import subprocess, sys, time
rounds, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(rounds):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
times.sort()
print(f"{times[len(times) // 2] * 1000:.2f}")
PY
}

row() {
    local name=$1; shift
    local native sentry_ms exits_ms runsc_ms
    "$sentry" run -- "$@" >/dev/null 2>&1 || { echo "bench: sentry run -- $* failed" >&2; exit 1; }
    native=$(median_ms "$@")
    sentry_ms=$(median_ms "$sentry" run -- "$@")
    # The same without the syscall server: every syscall a VM exit.
    exits_ms=$(median_ms "$sentry" run --no-syscall-server -- "$@")
    if command -v runsc >/dev/null; then
        runsc_ms=$(median_ms runsc --network=none --platform=ptrace do "$@")
        # runsc's sandbox processes wind down after it returns: let them, so that they
        # do not slow the next row's measurements.
        sleep 2
    else
        runsc_ms=nan
    fi
    awk -v n="$name" -v a="$native" -v b="$sentry_ms" -v e="$exits_ms" -v c="$runsc_ms" 'BEGIN {
        printf "%-28s %10.2f %10.2f %10.2f %10.2f %9.1fx %9.1fx %9.2f\n", n, a, b, e, c, b/a, c/a, c/b }'
}

printf '%-28s %10s %10s %10s %10s %10s %10s %9s\n' workload native_ms sentry_ms exits_only runsc_ms sentry/nat runsc/nat runsc/sentry
row "busybox true (static)" "$busybox" true
row "/bin/true (dynamic)" /bin/true
row "python3 -c pass" /usr/bin/python3 -c pass
row "getppid x 100000" "$work/getppid_loop" 100000
row "fork+exec+wait x 100" "$work/spawn_loop" 100 "$busybox" true
row "pipeline seq|sort|head 10k" "$busybox" sh -c 'seq 1 10000 | sort -rn | head -3'
row "gcc -c (cc1 + as)" /usr/bin/gcc -c -o /dev/null "$work/hello.c"
# Thread scaling: the same CPU work per thread; 2 threads on 2 CPUs should take as
# long as 1 (compare the two rows' sentry/nat columns).
row "CPU-bound, 1 thread" "$work/spin_threads" 1
row "CPU-bound, 2 threads" "$work/spin_threads" 2
echo
echo "sentry --stats for each workload (time split, exits, faults, syscalls):"
for cmd in "$busybox true" "/bin/true" "/usr/bin/python3 -c pass" "$work/getppid_loop 100000" \
    "$work/spawn_loop 100 $busybox true"; do
    echo "== $cmd"
    # shellcheck disable=SC2086
    "$sentry" run --stats -- $cmd 2>&1 >/dev/null | sed -n '2,8p'
done
