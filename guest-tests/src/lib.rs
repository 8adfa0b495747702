//! Differential test harness: builds the C programs in `programs/`, runs them natively and
//! under `sentry run`, and compares what both runs print and how they exit.
//!
//! * The sentry binary is `$SENTRY_BIN`, else `target/<profile>/sentry` next to the test
//!   executable; when that does not exist it is built (once per process) with
//!   `cargo build -p sentry` for the same profile.
//! * `programs/NAME.c` is compiled with `gcc -static -O2 -Wall` plus the flags (and libraries)
//!   named on a `// cflags: ...` line in the file, once per process, into `target/guest-tests/<pid>/`.
//! * Every run gets the same args, env, cwd and stdin (`/dev/null` unless bytes are given);
//!   a native death by signal N is reported as exit status 128+N, like the sentry does.
//! * Tests never skip: without a usable `/dev/kvm` they fail loudly.
//! * `Run::in_fixture()` gives each run (native and sentry) its own fresh copy of the fixture
//!   tree of `fixture.rs` as its cwd, and after a sentry run asserts that copy is unchanged.

pub mod fixture;
pub mod real;

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// A run that takes longer than this is killed and reported as timed out.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Where the C sources live.
pub const PROGRAMS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/programs");

/// The Debian busybox-static binary used by the busybox tests.
pub const BUSYBOX: &str = "/bin/busybox";

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exit status; a native death by signal N is normalised to 128+N.
    Code(i32),
    /// The sentry process itself was killed by this signal (a sentry crash, never a match).
    SentryKilled(i32),
    /// Killed by the harness after `TIMEOUT`.
    TimedOut,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Code(c) => write!(f, "exit status {c}"),
            Status::SentryKilled(s) => {
                write!(f, "the sentry process itself was killed by signal {s}")
            }
            Status::TimedOut => write!(f, "timed out after {TIMEOUT:?} (killed by the harness)"),
        }
    }
}

/// What one run printed and how it ended.
#[derive(Clone, Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Status,
}

impl Output {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// Panics if a `label: yes/no` check line printed by a program says `no`: the program's
    /// own expectations failed on this side (call on the native output to validate a test).
    pub fn assert_checks_pass(&self) -> &Self {
        let failed: Vec<&str> = std::str::from_utf8(&self.stdout)
            .unwrap_or("")
            .lines()
            .filter(|l| l.ends_with(": no") || l.ends_with(": NO"))
            .collect();
        assert!(failed.is_empty(), "failed checks {failed:?} in:\n{self}");
        self
    }

    /// Non-empty stderr lines.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr_str()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The exit status; panics if the run did not exit normally.
    pub fn code(&self) -> i32 {
        match self.status {
            Status::Code(c) => c,
            other => panic!("expected an exit status, got: {other}\n{self}"),
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  status: {}", self.status)?;
        writeln!(
            f,
            "  stdout ({} bytes):\n{}",
            self.stdout.len(),
            indent(&self.stdout)
        )?;
        write!(
            f,
            "  stderr ({} bytes):\n{}",
            self.stderr.len(),
            indent(&self.stderr)
        )
    }
}

fn indent(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines().map(|l| format!("    | {l}\n")).collect()
}

/// Panics unless `/dev/kvm` can be opened read-write. Called by every run.
pub fn require_kvm() {
    if let Err(e) = OpenOptions::new().read(true).write(true).open("/dev/kvm") {
        panic!(
            "\n\n*** /dev/kvm is not available: these tests need KVM; they are not skipped ***\n\
             *** (opening /dev/kvm read-write failed: {e}) ***\n\n"
        );
    }
}

/// `target/<profile>` of the running test executable (`target/<profile>/deps/name-hash`).
fn profile_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    Some(deps.parent()?.to_path_buf())
}

/// The sentry binary, built with `cargo build -p sentry` on first use if it is missing.
pub fn sentry_bin() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(find_or_build_sentry) {
        Ok(p) => p,
        Err(e) => panic!("cannot get the sentry binary: {e}"),
    }
}

fn find_or_build_sentry() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("SENTRY_BIN") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("SENTRY_BIN={} does not exist", p.display()))
        };
    }
    let profile_dir = profile_dir()
        .ok_or("cannot derive target/<profile> from the test executable path; set SENTRY_BIN")?;
    let bin = profile_dir.join("sentry");
    if bin.is_file() {
        return Ok(bin);
    }
    let profile = profile_dir
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or("debug")
        .to_string();
    let target_dir = profile_dir
        .parent()
        .ok_or("target/<profile> has no parent")?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace dir")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "-p", "sentry", "--target-dir"])
        .arg(target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    eprintln!(
        "guest-tests: {} is missing; running {:?}",
        bin.display(),
        cmd
    );
    let out = cmd.output().map_err(|e| format!("running cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo build -p sentry` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if !bin.is_file() {
        return Err(format!(
            "`cargo build -p sentry` succeeded but {} does not exist",
            bin.display()
        ));
    }
    Ok(bin)
}

/// A directory private to this test process: compiled programs, scratch files, the cwd of runs.
///
/// It lives in `target/guest-tests`, unless the workspace is under /tmp: the sandbox
/// mounts a fresh tmpfs there, so programs and fixtures must sit elsewhere to be seen
/// at the same path inside (then `/var/tmp/sentry-guest-tests`).
pub fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let in_target = profile_dir()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .map(|target| target.join("guest-tests"))
            .filter(|dir| !dir.starts_with("/tmp"));
        let base = in_target.unwrap_or_else(|| PathBuf::from("/var/tmp/sentry-guest-tests"));
        remove_stale_dirs(&base);
        let dir = base.join(std::process::id().to_string());
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        dir
    })
}

/// Removes `base/<pid>` directories left behind by test processes that no longer exist.
fn remove_stale_dirs(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A fresh, unique path inside `work_dir()` (the file is not created).
pub fn scratch_path(stem: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    work_dir().join(format!("{stem}.{}", NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// Compiles `programs/NAME.c` (once per process) and returns the static binary's path.
/// Extra gcc flags come from a `// cflags: ...` line in the source.
pub fn compile(name: &str) -> PathBuf {
    type Slot = Arc<OnceLock<Result<PathBuf, String>>>;
    static CACHE: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let slot = {
        let mut map = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(name.to_string()).or_default().clone()
    };
    match slot.get_or_init(|| compile_uncached(name)) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn compile_uncached(name: &str) -> Result<PathBuf, String> {
    let src = Path::new(PROGRAMS_DIR).join(format!("{name}.c"));
    let text = fs::read_to_string(&src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let extra: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("// cflags:"))
        .flat_map(str::split_whitespace)
        .collect();
    let out = work_dir().join(name);
    let result = Command::new("gcc")
        .args(["-static", "-O2", "-Wall", "-o"])
        .arg(&out)
        .arg(&src)
        .args(&extra) // after the source, so that libraries such as -lm resolve
        .output()
        .map_err(|e| format!("cannot run gcc ({e}); run scripts/setup.sh"))?;
    if !result.status.success() {
        return Err(format!(
            "gcc failed to compile {} ({}); run scripts/setup.sh if libc6-dev is missing:\n{}",
            src.display(),
            result.status,
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    Ok(out)
}

/// Path of busybox-static; panics with a hint when it is not installed.
pub fn busybox() -> PathBuf {
    let p = PathBuf::from(BUSYBOX);
    assert!(
        p.is_file(),
        "{BUSYBOX} is missing: run scripts/setup.sh (installs busybox-static)"
    );
    p
}

/// One program invocation, run natively and/or under the sentry with identical inputs.
#[derive(Clone, Debug)]
pub struct Run {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    sentry_flags: Vec<OsString>,
    fixture: bool,
    cwd: Option<PathBuf>,
}

impl Run {
    /// `programs/NAME.c`, compiled on first use.
    pub fn program(name: &str) -> Run {
        require_kvm();
        Run::host(compile(name))
    }

    /// Any binary on the host (e.g. busybox), given by path.
    pub fn host(path: impl Into<PathBuf>) -> Run {
        require_kvm();
        Run {
            program: path.into(),
            args: vec![],
            env: vec![],
            stdin: None,
            sentry_flags: vec![],
            fixture: false,
            cwd: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.program
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Run {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for both runs (on top of the inherited environment).
    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Bytes given on stdin (a regular file, so reads are deterministic). Default: /dev/null.
    pub fn stdin(mut self, bytes: &[u8]) -> Run {
        self.stdin = Some(bytes.to_vec());
        self
    }

    /// Extra `sentry run` options placed before `--` (e.g. `--strace`).
    pub fn sentry_flag(mut self, flag: &str) -> Run {
        self.sentry_flags.push(flag.into());
        self
    }

    /// Each run gets a fresh copy of the standard fixture tree (`fixture::Fixture::create`) as
    /// its current directory; after a sentry run the harness asserts that copy is exactly as
    /// created (files, contents, modes, link counts, symlink targets, mtimes): the sandbox's
    /// writes must stay in the sandbox. Native runs may change their copy freely.
    pub fn in_fixture(mut self) -> Run {
        self.fixture = true;
        self
    }

    /// Runs in this directory instead of the harness work dir (ignored with `in_fixture`).
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Run {
        self.cwd = Some(dir.into());
        self
    }

    /// Runs the program directly on the host.
    pub fn native(&self) -> Output {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        self.execute(cmd, false)
    }

    /// Runs the program under `sentry run [flags] -- program args`.
    pub fn sentry(&self) -> Output {
        let mut cmd = Command::new(sentry_bin());
        cmd.arg("run")
            .args(&self.sentry_flags)
            .arg("--")
            .arg(&self.program)
            .args(&self.args);
        self.execute(cmd, true)
    }

    /// Runs a host command (e.g. `strace`) wrapped around the program, with the same inputs.
    pub fn native_wrapped(&self, wrapper: &[&str]) -> Output {
        let mut cmd = Command::new(wrapper[0]);
        cmd.args(&wrapper[1..]).arg(&self.program).args(&self.args);
        self.execute(cmd, false)
    }

    fn execute(&self, mut cmd: Command, is_sentry: bool) -> Output {
        if !self.fixture {
            cmd.current_dir(self.cwd.as_deref().unwrap_or(work_dir()));
            return self.execute_in(cmd, is_sentry);
        }
        let fx = fixture::Fixture::create();
        let before = fx.snapshot();
        cmd.current_dir(fx.path());
        let out = self.execute_in(cmd, is_sentry);
        if is_sentry {
            let diff = before.diff(&fx.snapshot());
            assert!(
                diff.is_empty(),
                "\nsentry run of {} {:?} modified its host fixture {}:\n{diff}--- sentry:\n{out}",
                self.program.display(),
                self.args,
                fx.path().display()
            );
        }
        fx.remove();
        out
    }

    fn execute_in(&self, mut cmd: Command, is_sentry: bool) -> Output {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        match &self.stdin {
            None => cmd.stdin(Stdio::null()),
            Some(bytes) => {
                let path = scratch_path("stdin");
                File::create(&path)
                    .and_then(|mut f| f.write_all(bytes))
                    .expect("writing stdin file");
                cmd.stdin(File::open(&path).expect("opening stdin file"))
            }
        };
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!("spawning {cmd:?}: {e} (missing tools? run scripts/setup.sh)")
        });
        wait_with_timeout(child, is_sentry)
    }

    /// Asserts stdout, stderr and status are identical natively and under the sentry.
    /// Returns the native output for further checks.
    pub fn assert_same(&self) -> Output {
        self.compare(true)
    }

    /// Like `assert_same` but ignores stderr (for programs whose stderr is nondeterministic).
    pub fn assert_same_stdout(&self) -> Output {
        self.compare(false)
    }

    fn compare(&self, with_stderr: bool) -> Output {
        let native = self.native();
        let sentry = self.sentry();
        let same = native.stdout == sentry.stdout
            && native.status == sentry.status
            && (!with_stderr || native.stderr == sentry.stderr);
        let crashed = sentry.stderr_str().contains("panicked");
        if !same || crashed {
            panic!(
                "\n{} differs between native and sentry{}\n\
                 native: {:?} {:?}\n\
                 sentry: {:?} run {:?} -- {:?} {:?}\n{}\n--- native:\n{native}\n--- sentry:\n{sentry}\n",
                self.program.display(),
                if with_stderr { "" } else { " (stderr not compared)" },
                self.program,
                self.args,
                sentry_bin(),
                self.sentry_flags,
                self.program,
                self.args,
                first_difference(&native, &sentry, with_stderr),
            );
        }
        native
    }
}

/// A one-line hint naming the first thing that differs.
fn first_difference(native: &Output, sentry: &Output, with_stderr: bool) -> String {
    if native.status != sentry.status {
        return format!(
            "status: native {} vs sentry {}",
            native.status, sentry.status
        );
    }
    let mut streams = vec![("stdout", &native.stdout, &sentry.stdout)];
    if with_stderr {
        streams.push(("stderr", &native.stderr, &sentry.stderr));
    }
    for (name, a, b) in streams {
        let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        let (mut la, mut lb) = (a.lines(), b.lines());
        for n in 1.. {
            match (la.next(), lb.next()) {
                (None, None) => break,
                (x, y) if x == y => continue,
                (x, y) => return format!("{name} line {n}: native {x:?} vs sentry {y:?}"),
            }
        }
        if a != b {
            return format!("{name}: differs in trailing newline or invalid UTF-8");
        }
    }
    "sentry stderr mentions a panic".to_string()
}

fn wait_with_timeout(mut child: Child, is_sentry: bool) -> Output {
    let mut out_pipe = child.stdout.take().expect("stdout piped");
    let mut err_pipe = child.stderr.take().expect("stderr piped");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait().expect("waiting for child") {
            Some(st) => {
                break match (st.code(), st.signal()) {
                    (Some(c), _) => Status::Code(c),
                    (None, Some(sig)) if is_sentry => Status::SentryKilled(sig),
                    (None, Some(sig)) => Status::Code(128 + sig),
                    (None, None) => panic!("child ended with neither code nor signal: {st:?}"),
                };
            }
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break Status::TimedOut;
            }
            None => thread::sleep(Duration::from_millis(5)),
        }
    };
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    Output {
        stdout,
        stderr,
        status,
    }
}

/// `Run::program(name).args(args).assert_same()`.
pub fn assert_same(name: &str, args: &[&str]) -> Output {
    Run::program(name).args(args).assert_same()
}

/// `assert_same(name, &[])`, and the native run exited 0 and printed each of `lines`
/// as a whole line (so that the test cannot pass by both sides printing nothing
/// useful); the native output.
pub fn assert_same_with_lines(name: &str, lines: &[&str]) -> Output {
    let native = assert_same(name, &[]);
    assert_eq!(native.code(), 0, "native {name}:\n{native}");
    let out = native.stdout_str();
    for line in lines {
        assert!(
            out.lines().any(|l| l == *line),
            "native {name} lacks {line:?}:\n{out}"
        );
    }
    native
}

/// `Run::program(name).args(args).assert_same_stdout()`: stderr is not compared.
pub fn assert_same_stdout(name: &str, args: &[&str]) -> Output {
    Run::program(name).args(args).assert_same_stdout()
}

/// Runs a host binary (e.g. busybox) natively and under the sentry; compares everything.
pub fn assert_same_host(path: impl Into<PathBuf>, args: &[&str]) -> Output {
    Run::host(path).args(args).assert_same()
}
