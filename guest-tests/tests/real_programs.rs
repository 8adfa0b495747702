//! Real, dynamically linked Debian programs (coreutils, grep, sed, awk, findutils, diffutils,
//! gzip, tar, perl, python3, sqlite3, bash), natively vs under `sentry run`: same args, cwd, stdin
//! and environment (plus `TZ=UTC LC_ALL=C` on both sides), then stdout, stderr and exit status
//! must be identical.
//!
//! Most runs use `Run::in_fixture()` (a fresh copy of the standard fixture tree per run);
//! the tar tests run in a per-process data directory holding an archive made natively,
//! checked unchanged after every sentry run (`guest_tests::real`). `scripts/setup.sh`
//! installs the programs. The last sections hold programs that need kernel features beyond
//! plain files (record locks, signal handlers, threads, pipes, epoll), and multithreaded
//! ones (`sort --parallel`, `xz -T2`) whose output must not depend on the scheduling.

use guest_tests::fixture;
use guest_tests::real::{bare, python, run, same, same_in_data, same_sorted};

const NUMBERS: &[u8] = b"10\n9\n100\n-3\n42\n7\n";

// ---- coreutils ----

#[test]
fn ls_long_fixture() {
    // abs_link's target names the fixture copy, which differs between the two runs.
    let out = same(run("ls", &["-l", "--ignore=abs_link"]), 0, None);
    let text = out.stdout_str();
    assert!(text.contains(" Sep 13  2020 hello.txt\n"), "{text}");
    assert!(text.contains("rel_link -> hello.txt\n"), "{text}");
}

#[test]
fn ls_long_files_full_time() {
    let args = ["-l", "--full-time", "hello.txt", "private.txt", "script.sh"];
    let out = same(run("ls", &args), 0, None);
    assert!(out
        .stdout_str()
        .contains("2020-09-13 12:26:40.000000000 +0000"));
}

#[test]
fn ls_recursive_all() {
    same(run("ls", &["-aR", "a"]), 0, None);
}

#[test]
fn ls_missing_file() {
    same(run("ls", &["-l", "nope"]), 2, Some(""));
}

#[test]
fn cat_files() {
    same(run("cat", &["hello.txt", "lines.txt"]), 0, None);
}

#[test]
fn cat_binary_and_missing() {
    let out = same(run("cat", &["binary.bin", "nope", "rel_link"]), 1, None);
    assert_eq!(out.stdout.len(), 256 + 13);
}

#[test]
fn head_n3() {
    let r = run("head", &["-n", "3", "lines.txt"]);
    same(r, 0, Some("pear\napple\nfig\n"));
}

#[test]
fn tail_n2() {
    let r = run("tail", &["-n", "2", "lines.txt"]);
    same(r, 0, Some("banana\ncherry\n"));
}

#[test]
fn tail_bytes_of_big_file() {
    let out = same(run("tail", &["-c", "1000", "big.bin"]), 0, None);
    assert_eq!(out.stdout, fixture::big_bytes()[100 * 1024 - 1000..]);
}

#[test]
fn sort_file() {
    let want = "apple\nbanana\ncherry\nfig\npear\n";
    same(run("sort", &["lines.txt"]), 0, Some(want));
}

#[test]
fn sort_reverse_numeric() {
    let r = bare("sort", &["-r", "-n"]).stdin(NUMBERS);
    same(r, 0, Some("100\n42\n10\n9\n7\n-3\n"));
}

#[test]
fn uniq_count() {
    let r = bare("uniq", &["-c"]).stdin(b"a\na\nb\nc\nc\nc\na\n");
    same(r, 0, Some("      2 a\n      1 b\n      3 c\n      1 a\n"));
}

#[test]
fn wc_lwc() {
    let args = ["-l", "-w", "-c", "lines.txt", "hello.txt", "big.bin"];
    same(run("wc", &args), 0, None);
}

#[test]
fn cut_passwd_names() {
    let out = same(run("cut", &["-d:", "-f1", "/etc/passwd"]), 0, None);
    assert!(out.stdout_str().starts_with("root\n"));
}

#[test]
fn tr_upper() {
    let r = bare("tr", &["a-z", "A-Z"]).stdin(b"Hello, World 123\n");
    same(r, 0, Some("HELLO, WORLD 123\n"));
}

#[test]
fn sha256sum_files() {
    let out = same(
        run("sha256sum", &["big.bin", "binary.bin", "empty"]),
        0,
        None,
    );
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty\n";
    assert!(out.stdout_str().contains(empty));
}

#[test]
fn md5sum_check_mode() {
    let sums =
        b"d41d8cd98f00b204e9800998ecf8427e  empty\n00000000000000000000000000000000  hello.txt\n";
    same(run("md5sum", &["-c"]).stdin(sums), 1, None);
}

#[test]
fn base64_encode() {
    same(run("base64", &["binary.bin"]), 0, None);
}

#[test]
fn base64_decode() {
    let r = bare("base64", &["-d"]).stdin(b"aGVsbG8sIHdvcmxkCg==\n");
    same(r, 0, Some("hello, world\n"));
}

#[test]
fn date_epoch() {
    let r = bare("date", &["-d", "@0", "-u"]);
    same(r, 0, Some("Thu Jan  1 00:00:00 UTC 1970\n"));
}

#[test]
fn date_parse_and_format() {
    let r = bare("date", &["-d", "2020-09-13 12:26:40", "+%s %A %j %Z"]);
    same(r, 0, Some("1600000000 Sunday 257 UTC\n"));
}

#[test]
fn printenv_fixed_vars() {
    // `env -i A=1 env` would need execve; printenv prints without exec.
    same(bare("printenv", &["TZ", "LC_ALL"]), 0, Some("UTC\nC\n"));
}

#[test]
fn stat_format() {
    let args = [
        "-c",
        "%s %F %a",
        "hello.txt",
        "emptydir",
        "private.txt",
        "rel_link",
    ];
    let want = "13 regular file 644\n4096 directory 755\n7 regular file 600\n9 symbolic link 777\n";
    same(run("stat", &args), 0, Some(want));
}

#[test]
fn du_apparent_bytes() {
    same(run("du", &["-s", "--apparent-size", "-b", "a"]), 0, None);
}

#[test]
fn od_hex_dump() {
    same(run("od", &["-A", "x", "-t", "x1z", "binary.bin"]), 0, None);
}

#[test]
fn printf_format() {
    let r = bare("printf", &["%05d|%s\\n", "42", "abc"]);
    same(r, 0, Some("00042|abc\n"));
}

#[test]
fn seq_1_5() {
    same(bare("seq", &["1", "5"]), 0, Some("1\n2\n3\n4\n5\n"));
}

#[test]
fn expr_add() {
    same(bare("expr", &["3", "+", "4"]), 0, Some("7\n"));
}

#[test]
fn test_is_dir() {
    same(bare("test", &["-d", "/etc"]), 0, Some(""));
}

#[test]
fn test_is_file_false() {
    same(bare("test", &["-f", "/etc"]), 1, Some(""));
}

#[test]
fn tac_file() {
    same(run("tac", &["lines.txt"]), 0, None);
}

#[test]
fn nl_file() {
    same(run("nl", &["lines.txt"]), 0, None);
}

#[test]
fn paste_files() {
    same(run("paste", &["-d,", "lines.txt", "lines.txt"]), 0, None);
}

#[test]
fn cmp_differ() {
    same(run("cmp", &["binary.bin", "big.bin"]), 1, None);
}

// ---- grep, sed, awk, find, diff ----

#[test]
fn grep_recursive() {
    let out = same(run("grep", &["-r", "e", "a"]), 0, None);
    assert!(out.stdout_str().contains("a/b/c/deep.txt:deep\n"), "{out}");
}

#[test]
fn grep_line_numbers_ignore_case() {
    let r = run("grep", &["-n", "-i", "APPLE", "lines.txt"]);
    same(r, 0, Some("2:apple\n"));
}

#[test]
fn grep_count() {
    same(run("grep", &["-c", "an", "lines.txt"]), 0, Some("1\n"));
}

#[test]
fn grep_no_match() {
    same(run("grep", &["zzz", "lines.txt"]), 1, Some(""));
}

#[test]
fn grep_missing_file() {
    same(run("grep", &["x", "nope"]), 2, Some(""));
}

#[test]
fn sed_substitute() {
    let want = "pebr\nbpple\nfig\nbbnbnb\ncherry\n";
    same(run("sed", &["s/a/b/g", "lines.txt"]), 0, Some(want));
}

#[test]
fn sed_range_and_delete() {
    let r = run("sed", &["-n", "-e", "2,4p", "-e", "/fig/d", "lines.txt"]);
    same(r, 0, Some("apple\nfig\nbanana\n"));
}

#[test]
fn awk_sum() {
    let r = bare("awk", &["{s+=$1} END {print s}"]).stdin(NUMBERS);
    same(r, 0, Some("165\n"));
}

#[test]
fn awk_fields_printf() {
    let prog = "{ printf \"%-8s %3d\\n\", $1, length($1) } END { print NR }";
    same(run("awk", &[prog, "lines.txt"]), 0, None);
}

#[test]
fn find_name_sorted() {
    let want = [
        "./a/b/c/deep.txt",
        "./a/b/two.txt",
        "./a/one.txt",
        "./hardlink.txt",
        "./hello.txt",
        "./lines.txt",
        "./orig.txt",
        "./private.txt",
    ];
    same_sorted(run("find", &[".", "-name", "*.txt"]), &want);
}

#[test]
fn find_type_f_exact() {
    same(run("find", &["a", "-type", "f"]), 0, None);
}

#[test]
fn find_follow_broken_links() {
    let r = run("find", &["-L", ".", "-maxdepth", "1", "-type", "l"]);
    same(r, 1, None);
}

#[test]
fn diff_normal() {
    let r = run("diff", &["a/one.txt", "a/b/two.txt"]);
    same(r, 1, Some("1c1\n< one\n---\n> two\n"));
}

#[test]
fn diff_unified_with_times() {
    same(run("diff", &["-u", "lines.txt", "hello.txt"]), 1, None);
}

// ---- gzip, tar ----

#[test]
fn gzip_no_name_exact() {
    let out = same(run("gzip", &["-c", "-n", "-9", "big.bin"]), 0, None);
    assert_eq!(&out.stdout[..2], b"\x1f\x8b");
}

#[test]
fn gzip_decompress_stdin() {
    let gz = run("gzip", &["-c", "-n", "lines.txt"]).native();
    assert_eq!(gz.code(), 0, "{gz}");
    let r = bare("gzip", &["-d", "-c"]).stdin(&gz.stdout);
    same(r, 0, Some("pear\napple\nfig\nbanana\ncherry\n"));
}

#[test]
fn tar_list_verbose() {
    let out = same_in_data("tar", &["-tvf", "archive.tar"], 0, None);
    let text = out.stdout_str();
    assert!(text.contains("root/root"), "{text}");
    assert!(text.contains("hardlink.txt link to orig.txt"), "{text}");
}

#[test]
fn tar_extract_to_stdout() {
    let args = ["-xOf", "archive.tar", "a/b/c/deep.txt", "hello.txt"];
    same_in_data("tar", &args, 0, Some("hello, world\ndeep\n"));
}

// ---- perl, python3, sqlite3 ----

#[test]
fn perl_map_join() {
    let r = bare(
        "perl",
        &["-e", "print join(\",\", map { $_*2 } 1..5), \"\\n\""],
    );
    same(r, 0, Some("2,4,6,8,10\n"));
}

#[test]
fn perl_file_regex_hash() {
    let code = "while (<>) { chomp; $h{length $_} .= $_ if /[aeiou]/ } \
                printf \"%d=%s\\n\", $_, $h{$_} for sort { $a <=> $b } keys %h";
    let want = "3=fig\n4=pear\n5=apple\n6=bananacherry\n";
    same(run("perl", &["-e", code, "lines.txt"]), 0, Some(want));
}

#[test]
fn python_json() {
    python(
        "import json; d = json.loads('{\"b\": [1, 2.5, null], \"a\": \"x\"}'); \
         print(json.dumps(d, sort_keys=True))",
        "{\"a\": \"x\", \"b\": [1, 2.5, null]}\n",
    );
}

#[test]
fn python_hashlib() {
    python(
        "import hashlib; print(hashlib.sha256(b'abc').hexdigest()[:16], \
         hashlib.md5(b'').hexdigest())",
        "ba7816bf8f01cfea d41d8cd98f00b204e9800998ecf8427e\n",
    );
}

#[test]
fn python_re() {
    python(
        "import re; print(re.findall(r'(\\w)(\\d+)', 'a1 b22 c333'), re.sub('o+', '0', 'foo boo'))",
        "[('a', '1'), ('b', '22'), ('c', '333')] f0 b0\n",
    );
}

#[test]
fn python_sqlite_memory() {
    python(
        "import sqlite3; c = sqlite3.connect(':memory:'); \
         c.execute('create table t (k text, v int)'); \
         c.executemany('insert into t values (?, ?)', [('a', 3), ('b', 4), ('a', 5)]); \
         print(c.execute('select k, sum(v) from t group by k order by k').fetchall())",
        "[('a', 8), ('b', 4)]\n",
    );
}

#[test]
fn python_datetime() {
    python(
        "import datetime as d; t = d.datetime.fromtimestamp(1600000000, d.timezone.utc); \
         print(t.isoformat(), (t + d.timedelta(days=100)).strftime('%A %d %B %Y'))",
        "2020-09-13T12:26:40+00:00 Tuesday 22 December 2020\n",
    );
}

#[test]
fn python_math() {
    python(
        "import math; print(math.factorial(20), round(math.pi, 6), math.gcd(84, 36), \
         math.sqrt(2) ** 2 == 2, math.isqrt(10**20 + 1))",
        "2432902008176640000 3.141593 12 False 10000000000\n",
    );
}

#[test]
fn python_reads_fixture() {
    let code = "import os; print(sorted(os.listdir('a')), os.stat('big.bin').st_size, \
                open('hello.txt').read().strip(), os.readlink('dir_link'))";
    let want = "['b', 'one.txt'] 102400 hello, world a/b\n";
    same(run("python3", &["-c", code]), 0, Some(want));
}

#[test]
fn python_exception_exit() {
    let r = bare("python3", &["-c", "raise SystemExit('bye')"]);
    same(r, 1, Some(""));
}

#[test]
fn sqlite3_cli_memory() {
    let sql = "create table t(x); insert into t values (1),(2),(3); select sum(x), group_concat(x) from t;";
    same(bare("sqlite3", &[":memory:", sql]), 0, Some("6|1,2,3\n"));
}

#[test]
fn sqlite3_cli_file_db() {
    // A database file in the cwd (the sandbox's writes go to its overlay).
    let sql = "create table t(x); insert into t values (7); select x * 6 from t;";
    same(run("sqlite3", &["t.db", sql]), 0, Some("42\n"));
}

// ---- beyond plain files ----

#[test]
fn xz_compress_stdin() {
    let r = bare("xz", &["-c", "-6"]).stdin(&fixture::big_bytes());
    let out = same(r, 0, None);
    assert_eq!(&out.stdout[..6], b"\xfd7zXZ\x00");
}

#[test]
fn python_flock_and_lockf() {
    let code = "import fcntl; f = open('lock', 'w'); fcntl.flock(f, fcntl.LOCK_EX); \
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print('locked')";
    same(run("python3", &["-c", code]), 0, Some("locked\n"));
}

#[test]
fn python_signal_handler() {
    python(
        "import os, signal; signal.signal(signal.SIGUSR1, lambda *a: print('got')); \
         os.kill(os.getpid(), signal.SIGUSR1); print('after')",
        "got\nafter\n",
    );
}

#[test]
fn python_thread() {
    python(
        "import threading; r = []; t = threading.Thread(target=r.append, args=(5,)); \
         t.start(); t.join(); print(r)",
        "[5]\n",
    );
}

#[test]
fn python_asyncio() {
    python(
        "import asyncio; print(asyncio.run(asyncio.sleep(0.01, result=5)))",
        "5\n",
    );
}

// ---- multithreaded programs ----

/// Deterministic pseudo-random lines of numbers (an LCG), `n` of them.
fn number_lines(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::new();
    for _ in 0..n {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        out.extend_from_slice(format!("{}\n", x >> 40).as_bytes());
    }
    out
}

#[test]
fn sort_parallel_two_threads() {
    let input = number_lines(200_000);
    let out = same(
        bare("sort", &["--parallel=2", "-S", "1M", "-n"]).stdin(&input),
        0,
        None,
    );
    assert_eq!(out.stdout.len(), input.len());
}

#[test]
fn xz_two_threads() {
    // Several blocks (-1: 3 MiB blocks), so both threads compress.
    let input: Vec<u8> = number_lines(1_200_000);
    assert!(input.len() > 8 << 20);
    let out = same(bare("xz", &["-T2", "-1", "-c"]).stdin(&input), 0, None);
    assert!(out.stdout.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]));
}

#[test]
fn python_proc_self_task_lists_threads() {
    python(
        "import threading, os\n\
         ev = threading.Event(); ts = [threading.Thread(target=ev.wait) for _ in range(3)]\n\
         [t.start() for t in ts]; print(len(os.listdir('/proc/self/task')))\n\
         ev.set(); [t.join() for t in ts]",
        "4\n",
    );
}

// ---- bash ----

/// Process substitution: bash hands the command a pipe as /dev/fd/N, which it opens
/// again (an anonymous pipe's open never waits for the other side).
#[test]
fn bash_process_substitution() {
    same(
        bare(
            "bash",
            &[
                "-c",
                "cat <(echo a); diff <(echo a) <(echo b); echo $?; \
                 exec 5< <(echo five); cat /dev/fd/5; \
                 r=$(cat /proc/self/fd/0 < <(echo via-proc)); echo $r",
            ],
        ),
        0,
        Some("a\n1c1\n< a\n---\n> b\n1\nfive\nvia-proc\n"),
    );
}

/// A multiprocessing Manager: a server process on an AF_UNIX socket in a temporary
/// directory, its clients connecting from the parent.
#[test]
fn python_multiprocessing_manager() {
    python(
        "import multiprocessing as mp\n\
         with mp.Manager() as mgr:\n    \
             d = mgr.dict(); d['a'] = 1; l = mgr.list([1, 2]); l.append(3)\n    \
             print(dict(d), list(l))",
        "{'a': 1} [1, 2, 3]\n",
    );
}
