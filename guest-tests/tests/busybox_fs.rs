//! Busybox applets over the fixture tree (`guest_tests::fixture`): native `busybox X` vs
//! `sentry run -- busybox X`, each run in its own fresh copy. Listings whose order is the
//! directory's (find, grep -r, tar) are compared as sorted lines or sorted entries.

use guest_tests::{busybox, Output, Run};

fn run(args: &[&str]) -> Run {
    Run::host(busybox())
        .args(args)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .in_fixture()
}

/// Byte-identical stdout, stderr and status; returns the native output, checked against
/// `status` and (if given) `stdout`.
fn same(args: &[&str], status: i32, stdout: Option<&str>) -> Output {
    let native = run(args).assert_same();
    assert_eq!(native.code(), status, "native busybox {args:?}:\n{native}");
    if let Some(want) = stdout {
        assert_eq!(native.stdout_str(), want, "native busybox {args:?}");
    }
    native
}

/// Same status and stderr; stdout equal as a sorted list of lines.
fn same_sorted(args: &[&str], want: &[&str]) {
    let r = run(args);
    let (native, sentry) = (r.native(), r.sentry());
    let sorted = |o: &Output| {
        let mut l: Vec<String> = o.stdout_str().lines().map(str::to_string).collect();
        l.sort();
        l
    };
    assert_eq!(native.code(), 0, "native busybox {args:?}:\n{native}");
    assert_eq!(sorted(&native), want, "native busybox {args:?}");
    assert_eq!(
        (sorted(&sentry), &sentry.stderr, sentry.status),
        (sorted(&native), &native.stderr, native.status),
        "busybox {args:?} differs\n--- native:\n{native}\n--- sentry:\n{sentry}"
    );
}

#[test]
fn ls_one_per_line() {
    let out = same(&["ls", "-1", "--color=never"], 0, None);
    assert!(
        out.stdout_str().starts_with("a\nabs_link\nbig.bin\n"),
        "{out}"
    );
}

#[test]
fn ls_recursive() {
    same(
        &["ls", "-R", "--color=never", "a"],
        0,
        Some("a:\nb\none.txt\n\na/b:\nc\ntwo.txt\nup_link\n\na/b/c:\ndeep.txt\n"),
    );
}

#[test]
fn ls_long_files_with_fixed_times() {
    let out = same(
        &[
            "ls",
            "-l",
            "--color=never",
            "hello.txt",
            "private.txt",
            "script.sh",
            "orig.txt",
            "rel_link",
            "dangling",
            "empty",
        ],
        0,
        None,
    );
    let text = out.stdout_str();
    assert!(text.contains("-rw-------    1 "), "{text}");
    assert!(
        text.contains("Sep 13  2020 rel_link -> hello.txt"),
        "{text}"
    );
}

#[test]
fn find_sorted() {
    same_sorted(
        &["find", "a", "emptydir"],
        &[
            "a",
            "a/b",
            "a/b/c",
            "a/b/c/deep.txt",
            "a/b/two.txt",
            "a/b/up_link",
            "a/one.txt",
            "emptydir",
        ],
    );
    same_sorted(
        &["find", ".", "-type", "l"],
        &[
            "./a/b/up_link",
            "./abs_link",
            "./dangling",
            "./dir_link",
            "./l1",
            "./l2",
            "./rel_link",
        ],
    );
}

#[test]
fn grep_recursive_sorted() {
    same_sorted(
        &["grep", "-r", "o", "a"],
        &[
            "a/b/two.txt:two",
            "a/b/up_link:hello, world",
            "a/one.txt:one",
        ],
    );
}

#[test]
fn cat_through_links() {
    same(
        &[
            "cat",
            "hello.txt",
            "rel_link",
            "abs_link",
            "a/b/up_link",
            "dir_link/two.txt",
        ],
        0,
        Some("hello, world\nhello, world\ndeep\nhello, world\ntwo\n"),
    );
}

#[test]
fn cat_errors() {
    let out = same(&["cat", "missing", "a", "dangling", "l1"], 1, Some(""));
    assert_eq!(out.stderr_lines().len(), 4, "{out}");
}

#[test]
fn sort_head_tail_wc() {
    same(
        &["sort", "lines.txt"],
        0,
        Some("apple\nbanana\ncherry\nfig\npear\n"),
    );
    same(&["head", "-n", "2", "lines.txt"], 0, Some("pear\napple\n"));
    same(
        &["tail", "-n", "2", "lines.txt"],
        0,
        Some("banana\ncherry\n"),
    );
    same(&["tail", "-c", "3", "binary.bin"], 0, None);
    same(
        &["wc", "-c", "big.bin", "binary.bin", "empty"],
        0,
        Some("   102400 big.bin\n      256 binary.bin\n        0 empty\n   102656 total\n"),
    );
}

#[test]
fn checksums() {
    let out = same(&["sha256sum", "binary.bin", "big.bin", "empty"], 0, None);
    assert!(out.stdout_str().starts_with(
        "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880  binary.bin\n"
    ));
    same(&["md5sum", "hello.txt"], 0, None);
    same(&["cmp", "orig.txt", "hardlink.txt"], 0, Some(""));
}

#[test]
fn stat_format() {
    same(
        &[
            "stat",
            "-c",
            "%n %s %a %F %h",
            "hello.txt",
            "private.txt",
            "script.sh",
            "hardlink.txt",
            "big.bin",
        ],
        0,
        Some(
            "hello.txt 13 644 regular file 1\nprivate.txt 7 600 regular file 1\n\
             script.sh 18 755 regular file 1\nhardlink.txt 7 644 regular file 2\n\
             big.bin 102400 644 regular file 1\n",
        ),
    );
    same(&["readlink", "rel_link"], 0, Some("hello.txt\n"));
    same(&["readlink", "a/b/up_link"], 0, Some("../../hello.txt\n"));
    same(&["readlink", "hello.txt"], 1, Some(""));
}

#[test]
fn cp_mv_rm_mkdir_succeed() {
    same(&["cp", "hello.txt", "copy.txt"], 0, Some(""));
    same(&["cp", "-r", "a", "a_copy"], 0, Some(""));
    same(&["cp", "big.bin", "/dev/stdout"], 0, None);
    same(&["mv", "hello.txt", "a/b/c/"], 0, Some(""));
    same(&["mv", "a", "emptydir"], 0, Some(""));
    same(&["rm", "-r", "a", "hello.txt", "rel_link"], 0, Some(""));
    same(&["rm", "-rf", "."], 1, Some(""));
    same(&["mkdir", "-p", "x/y/z", "a/b/new"], 0, Some(""));
    same(&["rmdir", "emptydir"], 0, Some(""));
    same(&["ln", "-s", "hello.txt", "newlink"], 0, Some(""));
    same(&["touch", "new_file", "hello.txt"], 0, Some(""));
    same(&["tee", "teed.txt"], 0, None);
}

#[test]
fn cp_mv_rm_mkdir_errors() {
    for args in [
        &["cp", "missing", "x"][..],
        &["cp", "a", "x"],
        &["mv", "missing", "x"],
        &["mv", "a", "a/b"],
        &["rm", "a"],
        &["rm", "missing"],
        &["rmdir", "a"],
        &["mkdir", "hello.txt"],
        &["mkdir", "missing/x"],
        &["ln", "hello.txt", "orig.txt"],
    ] {
        let out = same(args, 1, Some(""));
        assert_eq!(out.stderr_lines().len(), 1, "{args:?}: {out}");
    }
}

/// The (name, header-less contents) of each member of a ustar archive, sorted by name; the
/// headers themselves are compared too, minus the checksum-independent order.
fn tar_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    let mut off = 0;
    while off + 512 <= bytes.len() && bytes[off] != 0 {
        let h = &bytes[off..off + 512];
        let field = |a: usize, b: usize| {
            String::from_utf8_lossy(&h[a..b])
                .trim_end_matches('\0')
                .trim()
                .to_string()
        };
        let size = u64::from_str_radix(&field(124, 136), 8).unwrap_or(0) as usize;
        let name = format!("{}{}", field(345, 500), field(0, 100));
        let data_end = off + 512 + size.div_ceil(512) * 512;
        let mut entry = h.to_vec();
        entry.extend_from_slice(&bytes[off + 512..(off + 512 + size).min(bytes.len())]);
        out.push((name, entry));
        off = data_end;
    }
    out.sort();
    out
}

#[test]
fn tar_create_listing() {
    let r = run(&["tar", "-cf", "-", "a", "hello.txt", "rel_link"]);
    let (native, sentry) = (r.native(), r.sentry());
    assert_eq!(native.code(), 0, "{native}");
    let (n, s) = (tar_members(&native.stdout), tar_members(&sentry.stdout));
    let names: Vec<&str> = n.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "a/",
            "a/b/",
            "a/b/c/",
            "a/b/c/deep.txt",
            "a/b/two.txt",
            "a/b/up_link",
            "a/one.txt",
            "hello.txt",
            "rel_link",
        ]
    );
    assert_eq!(sentry.status, native.status, "{sentry}");
    assert!(
        n == s,
        "tar members differ\n--- native:\n{native}\n--- sentry:\n{sentry}"
    );
}
