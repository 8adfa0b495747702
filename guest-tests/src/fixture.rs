//! Fixture trees for the filesystem tests: a fresh directory per run under
//! `target/guest-tests/fixtures/<pid>-<n>/` (not /tmp, which is a private tmpfs inside the
//! sandbox; everything else on the host is visible read-only at the same path), filled with
//! files whose contents, modes and links are known, plus a snapshot to prove a sandbox run
//! left the host copy untouched.
//!
//! The standard tree (`Fixture::create`), relative to its root:
//!
//! | path                      | what                                               |
//! |---------------------------|----------------------------------------------------|
//! | `hello.txt`               | `"hello, world\n"`, 0644                            |
//! | `lines.txt`               | `"pear\napple\nfig\nbanana\ncherry\n"`, 0644        |
//! | `binary.bin`              | the 256 byte values 0..=255 in order, 0644         |
//! | `empty`                   | empty, 0644                                        |
//! | `big.bin`                 | 100 KiB, byte i = `(i * 7 + i / 251) % 256`, 0644   |
//! | `private.txt`             | `"secret\n"`, 0600                                  |
//! | `script.sh`               | `"#!/bin/sh\necho hi\n"`, 0755                      |
//! | `orig.txt`, `hardlink.txt`| one inode (nlink 2), `"linked\n"`, 0644             |
//! | `a/one.txt`               | `"one\n"`                                           |
//! | `a/b/two.txt`             | `"two\n"`                                           |
//! | `a/b/c/deep.txt`          | `"deep\n"`                                          |
//! | `a/b/up_link`             | symlink `../../hello.txt`                           |
//! | `emptydir/`               | empty directory (dirs are 0755)                    |
//! | `rel_link`                | symlink `hello.txt`                                 |
//! | `abs_link`                | symlink `<fixture root>/a/b/c/deep.txt` (absolute)  |
//! | `dir_link`                | symlink `a/b`                                       |
//! | `dangling`                | symlink `does_not_exist`                            |
//! | `l1`, `l2`                | symlinks `l2` and `l1` (a loop)                     |
//!
//! Every entry (symlinks and the root included) has atime = mtime = `FIXED_MTIME`, so that
//! `ls -l` and tar headers are the same in every copy.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The atime and mtime of every entry of a fresh fixture: 2020-09-13 12:26:40 UTC.
pub const FIXED_MTIME: i64 = 1_600_000_000;

/// The bytes of `big.bin`.
pub fn big_bytes() -> Vec<u8> {
    (0..100 * 1024usize)
        .map(|i| ((i * 7 + i / 251) % 256) as u8)
        .collect()
}

/// `target/guest-tests/fixtures`, with directories of dead test processes removed once.
fn fixtures_base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let base = crate::work_dir()
            .parent()
            .expect("work dir has a parent")
            .join("fixtures");
        if let Ok(entries) = fs::read_dir(&base) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let pid = name
                    .to_str()
                    .and_then(|n| n.split('-').next()?.parse::<u32>().ok());
                if let Some(pid) = pid {
                    if !Path::new(&format!("/proc/{pid}")).exists() {
                        let _ = fs::remove_dir_all(entry.path());
                    }
                }
            }
        }
        fs::create_dir_all(&base).unwrap_or_else(|e| panic!("creating {}: {e}", base.display()));
        base
    })
}

/// A new, empty directory `target/guest-tests/fixtures/<pid>-<n>` (absolute path).
pub fn fresh_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = fixtures_base().join(format!("{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::canonicalize(&dir).unwrap()
}

/// Writes `path` with `bytes` and sets its mode exactly (independent of the umask).
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) {
    fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Creates a directory (and parents) with mode 0755.
pub fn make_dir(path: &Path) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// One fixture directory on the host.
#[derive(Debug)]
pub struct Fixture {
    root: PathBuf,
}

impl Fixture {
    /// A fresh copy of the standard tree (see the module docs) in a new directory.
    pub fn create() -> Fixture {
        let root = fresh_dir();
        let p = |rel: &str| root.join(rel);
        write_file(&p("hello.txt"), b"hello, world\n", 0o644);
        write_file(
            &p("lines.txt"),
            b"pear\napple\nfig\nbanana\ncherry\n",
            0o644,
        );
        write_file(&p("binary.bin"), &(0..=255u8).collect::<Vec<_>>(), 0o644);
        write_file(&p("empty"), b"", 0o644);
        write_file(&p("big.bin"), &big_bytes(), 0o644);
        write_file(&p("private.txt"), b"secret\n", 0o600);
        write_file(&p("script.sh"), b"#!/bin/sh\necho hi\n", 0o755);
        write_file(&p("orig.txt"), b"linked\n", 0o644);
        fs::hard_link(p("orig.txt"), p("hardlink.txt")).unwrap();
        make_dir(&p("a/b/c"));
        make_dir(&p("emptydir"));
        write_file(&p("a/one.txt"), b"one\n", 0o644);
        write_file(&p("a/b/two.txt"), b"two\n", 0o644);
        write_file(&p("a/b/c/deep.txt"), b"deep\n", 0o644);
        symlink("../../hello.txt", p("a/b/up_link")).unwrap();
        symlink("hello.txt", p("rel_link")).unwrap();
        symlink(p("a/b/c/deep.txt"), p("abs_link")).unwrap();
        symlink("a/b", p("dir_link")).unwrap();
        symlink("does_not_exist", p("dangling")).unwrap();
        symlink("l2", p("l1")).unwrap();
        symlink("l1", p("l2")).unwrap();
        set_fixed_times(&root);
        Fixture { root }
    }

    /// Wraps an existing directory (e.g. one from `fresh_dir` filled by a test).
    pub fn at(root: PathBuf) -> Fixture {
        Fixture { root }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(&self.root)
    }

    /// Deletes the tree (restoring write permission on directories first).
    pub fn remove(self) {
        remove_tree(&self.root);
    }
}

/// Sets atime and mtime of everything under `root` (not following symlinks) to `FIXED_MTIME`.
pub fn set_fixed_times(root: &Path) {
    let paths: Vec<PathBuf> = walk(root).iter().map(|rel| root.join(rel)).collect();
    let out = std::process::Command::new("touch")
        .args(["-h", "-d", &format!("@{FIXED_MTIME}"), "--"])
        .args(&paths)
        .output()
        .expect("running touch");
    assert!(
        out.status.success(),
        "touch -h failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Removes a directory tree even if the run left directories without write permission.
pub fn remove_tree(root: &Path) {
    if fs::remove_dir_all(root).is_ok() {
        return;
    }
    for entry in walk(root) {
        let path = root.join(&entry);
        if let Ok(md) = fs::symlink_metadata(&path) {
            if md.is_dir() {
                let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o755));
            }
        }
    }
    let _ = fs::remove_dir_all(root);
}

/// Relative paths of everything under `root` (not following symlinks), sorted, root as "".
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![PathBuf::new()];
    let mut i = 0;
    while i < out.len() {
        let rel = out[i].clone();
        i += 1;
        let full = root.join(&rel);
        let is_dir = fs::symlink_metadata(&full).is_ok_and(|m| m.is_dir());
        if !is_dir {
            continue;
        }
        if let Ok(entries) = fs::read_dir(&full) {
            let mut names: Vec<_> = entries.flatten().map(|e| rel.join(e.file_name())).collect();
            names.sort();
            out.extend(names);
        }
    }
    out.sort();
    out
}

/// What a tree looks like: for each path its type, permission bits, link count, mtime and
/// contents (files) or target (symlinks). Access times are left out: reading changes them.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    entries: BTreeMap<PathBuf, Entry>,
}

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    kind: &'static str,
    mode: u32,
    nlink: u64,
    uid: u32,
    gid: u32,
    mtime: (i64, i64),
    data: Vec<u8>,
}

impl Snapshot {
    pub fn of(root: &Path) -> Snapshot {
        let mut entries = BTreeMap::new();
        for rel in walk(root) {
            let full = root.join(&rel);
            let md = fs::symlink_metadata(&full)
                .unwrap_or_else(|e| panic!("lstat {}: {e}", full.display()));
            let ft = md.file_type();
            let (kind, data) = if ft.is_symlink() {
                let t = fs::read_link(&full).unwrap();
                ("symlink", t.into_os_string().into_encoded_bytes())
            } else if ft.is_dir() {
                ("dir", vec![])
            } else if ft.is_file() {
                ("file", fs::read(&full).unwrap_or_default())
            } else {
                ("other", vec![])
            };
            let entry = Entry {
                kind,
                mode: md.mode() & 0o7777,
                nlink: if ft.is_dir() { 0 } else { md.nlink() },
                uid: md.uid(),
                gid: md.gid(),
                mtime: (md.mtime(), md.mtime_nsec()),
                data,
            };
            entries.insert(rel, entry);
        }
        Snapshot { entries }
    }

    /// A description of every difference from `after` (empty if identical).
    pub fn diff(&self, after: &Snapshot) -> String {
        let mut out = String::new();
        for (path, e) in &self.entries {
            match after.entries.get(path) {
                None => writeln!(out, "  removed: {path:?} ({})", e.kind).unwrap(),
                Some(a) if a != e => {
                    let what = if a.kind != e.kind {
                        format!("type {} -> {}", e.kind, a.kind)
                    } else if a.data != e.data {
                        format!(
                            "contents/target changed ({} -> {} bytes)",
                            e.data.len(),
                            a.data.len()
                        )
                    } else {
                        format!(
                            "mode {:o}->{:o} nlink {}->{} owner {}:{}->{}:{} mtime {:?}->{:?}",
                            e.mode,
                            a.mode,
                            e.nlink,
                            a.nlink,
                            e.uid,
                            e.gid,
                            a.uid,
                            a.gid,
                            e.mtime,
                            a.mtime
                        )
                    };
                    writeln!(out, "  changed: {path:?}: {what}").unwrap();
                }
                Some(_) => {}
            }
        }
        for (path, a) in &after.entries {
            if !self.entries.contains_key(path) {
                writeln!(out, "  added: {path:?} ({})", a.kind).unwrap();
            }
        }
        out
    }

    /// Panics with the differences if the tree at `root` no longer matches this snapshot.
    pub fn assert_unchanged(&self, root: &Path, context: &str) {
        let diff = self.diff(&Snapshot::of(root));
        assert!(
            diff.is_empty(),
            "\n{context}: the host tree {} was modified:\n{diff}",
            root.display()
        );
    }
}
