//! Confinement: under `--root R` and `--bind HOST:GUEST[:ro|rw]` the guest sees only what it
//! is given, and the host is never modified except through an rw bind. Expectations are
//! stated explicitly (not taken from a native run). `programs/fs_escape.c` is copied into the
//! root as `/prog` (it is static, so the root needs no libc) and run as `sentry run --root R
//! -- /prog OPS...`, with the host cwd `/` (the guest starts at its root's `/`).

use guest_tests::fixture::{fresh_dir, make_dir, write_file, Snapshot};
use guest_tests::{compile, Output, Run};
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

/// A small root: etc/passwd and etc/hostname (fakes), data.txt, mnt/, sub/dir/ with an
/// absolute and a relative symlink that both aim at /etc/passwd, and the program at /prog.
fn make_root() -> PathBuf {
    let root = fresh_dir().join("rootdir");
    make_dir(&root.join("etc"));
    make_dir(&root.join("sub/dir"));
    make_dir(&root.join("mnt"));
    write_file(&root.join("etc/passwd"), b"fake passwd\n", 0o644);
    write_file(&root.join("etc/hostname"), b"fake-host\n", 0o644);
    write_file(&root.join("data.txt"), b"original\n", 0o644);
    symlink("/etc/passwd", root.join("sub/dir/abs")).unwrap();
    symlink("../../../../../etc/passwd", root.join("sub/dir/rel")).unwrap();
    symlink("/", root.join("sub/dir/to_root")).unwrap();
    fs::copy(compile("fs_escape"), root.join("prog")).unwrap();
    root
}

/// Runs `/prog OPS` in the sandbox with `--root root` plus `flags`; asserts that the root is
/// unchanged afterwards and returns the output.
fn sandbox(root: &Path, flags: &[String], ops: &[&str]) -> Output {
    let before = Snapshot::of(root);
    let mut run = Run::host("/prog")
        .sentry_flag("--root")
        .sentry_flag(root.to_str().unwrap())
        .cwd("/");
    for f in flags {
        run = run.sentry_flag(f);
    }
    let out = run.args(ops).sentry();
    before.assert_unchanged(
        root,
        &format!("sentry run --root {} {flags:?}", root.display()),
    );
    out
}

fn expect(out: &Output, lines: &[&str]) {
    let want: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(out.stdout_str(), want, "\n{out}");
    assert_eq!(out.code(), 0, "{out}");
}

#[test]
fn dotdot_stays_inside_the_root() {
    let root = make_root();
    let out = sandbox(
        &root,
        &[],
        &[
            "cd",
            "/sub/dir",
            "cat",
            "../../../../etc/hostname",
            "cat",
            "/../../../etc/passwd",
            "cd",
            "../../../../..",
            "getcwd",
            "cat",
            "data.txt",
        ],
    );
    expect(
        &out,
        &[
            "cd /sub/dir: 0",
            "cat ../../../../etc/hostname: \"fake-host\\n\"",
            "cat /../../../etc/passwd: \"fake passwd\\n\"",
            "cd ../../../../..: 0",
            "getcwd: /",
            "cat data.txt: \"original\\n\"",
        ],
    );
}

#[test]
fn symlinks_resolve_inside_the_root() {
    let root = make_root();
    let out = sandbox(
        &root,
        &[],
        &[
            "cat",
            "/sub/dir/abs",
            "cat",
            "/sub/dir/rel",
            "readlink",
            "/sub/dir/abs",
            "cat",
            "/sub/dir/to_root/etc/hostname",
            "cd",
            "/sub/dir/to_root/..",
            "getcwd",
        ],
    );
    expect(
        &out,
        &[
            "cat /sub/dir/abs: \"fake passwd\\n\"",
            "cat /sub/dir/rel: \"fake passwd\\n\"",
            "readlink /sub/dir/abs: /etc/passwd",
            "cat /sub/dir/to_root/etc/hostname: \"fake-host\\n\"",
            "cd /sub/dir/to_root/..: 0",
            "getcwd: /",
        ],
    );
}

#[test]
fn proc_root_and_cwd_lead_back_into_the_root() {
    let root = make_root();
    let out = sandbox(
        &root,
        &[],
        &[
            "readlink",
            "/proc/self/root",
            "cat",
            "/proc/self/root/etc/hostname",
            "cat",
            "/proc/self/root/../../etc/passwd",
            "cd",
            "/sub",
            "readlink",
            "/proc/self/cwd",
            "cat",
            "/proc/self/cwd/../etc/passwd",
            "readlink",
            "/proc/self/exe",
        ],
    );
    expect(
        &out,
        &[
            "readlink /proc/self/root: /",
            "cat /proc/self/root/etc/hostname: \"fake-host\\n\"",
            "cat /proc/self/root/../../etc/passwd: \"fake passwd\\n\"",
            "cd /sub: 0",
            "readlink /proc/self/cwd: /sub",
            "cat /proc/self/cwd/../etc/passwd: \"fake passwd\\n\"",
            "readlink /proc/self/exe: /prog",
        ],
    );
}

#[test]
fn host_paths_outside_the_root_do_not_exist() {
    let root = make_root();
    let outside_dir = fresh_dir();
    let outside = outside_dir.join("outside.txt");
    write_file(&outside, b"outside\n", 0o644);
    let before = Snapshot::of(&outside_dir);
    let o = outside.to_str().unwrap();
    let d = outside_dir.to_str().unwrap();
    let out = sandbox(
        &root,
        &[],
        &[
            "cat",
            o,
            "link",
            o,
            "/sub/stolen",
            "link",
            "/data.txt",
            &format!("{d}/planted"),
        ],
    );
    expect(
        &out,
        &[
            &format!("cat {o}: -1 ENOENT(2)"),
            &format!("link {o} /sub/stolen: -1 ENOENT(2)"),
            &format!("link /data.txt {d}/planted: -1 ENOENT(2)"),
        ],
    );
    before.assert_unchanged(&outside_dir, "outside the root");
    assert_eq!(fs::metadata(&outside).unwrap().nlink(), 1);
}

#[test]
fn writes_to_the_read_only_root_stay_in_the_sandbox() {
    let root = make_root();
    let out = sandbox(
        &root,
        &[],
        &[
            "write",
            "/data.txt",
            "changed\n",
            "cat",
            "/data.txt",
            "write",
            "/etc/new",
            "new\n",
            "cat",
            "/etc/new",
            "mkdir",
            "/newdir",
            "link",
            "/data.txt",
            "/newdir/l",
            "cat",
            "/newdir/l",
        ],
    );
    expect(
        &out,
        &[
            "write /data.txt: 0",
            "cat /data.txt: \"changed\\n\"",
            "write /etc/new: 0",
            "cat /etc/new: \"new\\n\"",
            "mkdir /newdir: 0",
            "link /data.txt /newdir/l: 0",
            "cat /newdir/l: \"changed\\n\"",
        ],
    );
    // `sandbox` asserted the root is unchanged; say it once more about the file itself.
    assert_eq!(fs::read(root.join("data.txt")).unwrap(), b"original\n");
    assert!(!root.join("etc/new").exists() && !root.join("newdir").exists());
}

fn bind_dir() -> PathBuf {
    let dir = fresh_dir().join("bound");
    make_dir(&dir);
    write_file(&dir.join("existing.txt"), b"from the host\n", 0o644);
    dir
}

#[test]
fn read_only_bind_gives_erofs() {
    let root = make_root();
    let host = bind_dir();
    let before = Snapshot::of(&host);
    let flag = format!("--bind={}:/mnt:ro", host.display());
    let out = sandbox(
        &root,
        &[flag],
        &[
            "cat",
            "/mnt/existing.txt",
            "write",
            "/mnt/new.txt",
            "x",
            "write",
            "/mnt/existing.txt",
            "x",
            "mkdir",
            "/mnt/d",
            "link",
            "/mnt/existing.txt",
            "/mnt/l",
        ],
    );
    expect(
        &out,
        &[
            "cat /mnt/existing.txt: \"from the host\\n\"",
            "write /mnt/new.txt: -1 EROFS(30)",
            "write /mnt/existing.txt: -1 EROFS(30)",
            "mkdir /mnt/d: -1 EROFS(30)",
            "link /mnt/existing.txt /mnt/l: -1 EROFS(30)",
        ],
    );
    before.assert_unchanged(&host, "the ro bind");
}

#[test]
fn read_write_bind_reaches_the_host() {
    let root = make_root();
    let host = bind_dir();
    let flag = format!("--bind={}:/mnt:rw", host.display());
    let out = sandbox(
        &root,
        &[flag],
        &[
            "write",
            "/mnt/new.txt",
            "from the guest\n",
            "mkdir",
            "/mnt/d",
            "cat",
            "/mnt/existing.txt",
            "cat",
            "/mnt/../etc/hostname",
        ],
    );
    expect(
        &out,
        &[
            "write /mnt/new.txt: 0",
            "mkdir /mnt/d: 0",
            "cat /mnt/existing.txt: \"from the host\\n\"",
            "cat /mnt/../etc/hostname: \"fake-host\\n\"",
        ],
    );
    assert_eq!(fs::read(host.join("new.txt")).unwrap(), b"from the guest\n");
    assert!(host.join("d").is_dir());
    assert_eq!(
        fs::read(host.join("existing.txt")).unwrap(),
        b"from the host\n"
    );
}
