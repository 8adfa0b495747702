//! Helpers for `tests/real_programs.rs`: Debian's dynamically linked programs under
//! `/usr/bin`, run natively and under the sentry with `TZ=UTC LC_ALL=C`, compared exactly
//! (or as sorted lines), plus a per-process data directory holding a tar archive made
//! natively with fixed owner and mtime.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::fixture::{self, Fixture, Snapshot, FIXED_MTIME};
use crate::{Output, Run};

/// `PROG ARGS` (PROG under /usr/bin) with `TZ=UTC LC_ALL=C`, in a fresh fixture copy.
pub fn run(prog: &str, args: &[&str]) -> Run {
    bare(prog, args).in_fixture()
}

/// Like `run` but in the harness work dir (for programs that touch no files).
pub fn bare(prog: &str, args: &[&str]) -> Run {
    Run::host(Path::new("/usr/bin").join(prog))
        .args(args)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
}

/// Asserts byte-identical stdout, stderr and status, then that the native run exited with
/// `status` and (if given) printed exactly `stdout`. Returns the native output.
pub fn same(r: Run, status: i32, stdout: Option<&str>) -> Output {
    let native = r.assert_same();
    assert_eq!(native.code(), status, "native {:?}:\n{native}", r.path());
    if let Some(want) = stdout {
        assert_eq!(native.stdout_str(), want, "native {:?}", r.path());
    }
    native
}

/// `/usr/bin/python3 -c CODE`, compared exactly; the native stdout must be `want`.
pub fn python(code: &str, want: &str) {
    same(bare("python3", &["-c", code]), 0, Some(want));
}

/// A directory (made once per process) with `archive.tar`: `hello.txt lines.txt a rel_link
/// orig.txt hardlink.txt` of a fixture copy, made by the host's tar with fixed owner and mtime.
pub fn data_dir() -> &'static (PathBuf, Snapshot) {
    static DIR: OnceLock<(PathBuf, Snapshot)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = fixture::fresh_dir();
        let src = Fixture::create();
        let out = Command::new("/usr/bin/tar")
            .arg("-cf")
            .arg(dir.join("archive.tar"))
            .arg(format!("--mtime=@{FIXED_MTIME}"))
            .args(["--owner=root:0", "--group=root:0", "--sort=name", "-C"])
            .arg(src.path())
            .args(["hello.txt", "lines.txt", "a", "rel_link", "orig.txt"])
            .arg("hardlink.txt")
            .output()
            .expect("running tar");
        assert!(out.status.success(), "tar -cf: {out:?}");
        src.remove();
        fixture::set_fixed_times(&dir);
        let snap = Snapshot::of(&dir);
        (dir, snap)
    })
}

/// `same` for a run in `data_dir()`, which the sentry run must leave unchanged.
pub fn same_in_data(prog: &str, args: &[&str], status: i32, stdout: Option<&str>) -> Output {
    let (dir, snap) = data_dir();
    let out = same(bare(prog, args).cwd(dir), status, stdout);
    snap.assert_unchanged(dir, "data dir");
    out
}

/// Same status and stderr, stdout equal as sorted lines (for a listing in directory order);
/// the native run must exit 0 and print exactly the lines `want` (sorted).
pub fn same_sorted(r: Run, want: &[&str]) {
    let (native, sentry) = (r.native(), r.sentry());
    let sorted = |o: &Output| {
        let mut l: Vec<String> = o.stdout_str().lines().map(str::to_string).collect();
        l.sort();
        l
    };
    assert_eq!(native.code(), 0, "native {:?}:\n{native}", r.path());
    assert_eq!(sorted(&native), want, "native {:?}", r.path());
    assert_eq!(
        (sorted(&sentry), &sentry.stderr, sentry.status),
        (sorted(&native), &native.stderr, native.status),
        "{:?} differs\n--- native:\n{native}\n--- sentry:\n{sentry}",
        r.path()
    );
}
