//! `sentry run`: find the program, build the VM and the first task, run it, report.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vmm::{UserRegs, Vm};

use crate::cli::RunOptions;
use crate::errno::Errno;
use crate::fs::inode::FileType;
use crate::fs::path::Dentry;
use crate::fs::{Vfs, VfsConfig};
use crate::kernel::process::{ProcessInfo, ProcessRegistry, ProcessState};
use crate::kernel::system::SandboxInfo;
use crate::kernel::task::{Credentials, ExitStatus, FsContext, Task};
use crate::kernel::{self, Kernel, KernelOptions};
use crate::loader::{self, elf::ElfError, StackImage};
use crate::mm::MemoryManager;
use crate::services::{Clock, RandomSource};

/// Exit status when the program cannot be executed (as a shell reports).
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit status when the program does not exist.
pub const EXIT_NOT_FOUND: i32 = 127;
/// Exit status when the sandbox itself fails (no KVM, internal error).
pub const EXIT_SANDBOX_FAILURE: i32 = 125;

/// Why `sentry run` could not run the program to completion.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("{0}: command not found")]
    NotInPath(String),
    #[error("{0}: No such file or directory")]
    NotFound(String),
    #[error("{0}: Permission denied")]
    NotExecutable(String),
    #[error("{0}: Is a directory")]
    IsDirectory(String),
    #[error("{0}: cannot execute: {1}")]
    BadExecutable(String, ElfError),
    #[error("{0}")]
    Vm(#[from] vmm::VmError),
    #[error("the virtual CPU failed: {0}")]
    Vcpu(#[from] vmm::VcpuError),
    #[error("guest memory: {0}")]
    Memory(#[from] vmm::MemoryError),
    #[error("{0}")]
    Setup(String),
}

impl RunError {
    fn exit_code(&self) -> i32 {
        match self {
            RunError::NotInPath(_) | RunError::NotFound(_) => EXIT_NOT_FOUND,
            RunError::NotExecutable(_) | RunError::IsDirectory(_) | RunError::BadExecutable(..) => {
                EXIT_CANNOT_EXECUTE
            }
            RunError::Vm(_) | RunError::Vcpu(_) | RunError::Memory(_) | RunError::Setup(_) => {
                EXIT_SANDBOX_FAILURE
            }
        }
    }
}

/// Runs the program; returns the exit status for `sentry` itself.
pub fn run(opts: &RunOptions) -> i32 {
    match run_program(opts) {
        Ok(status) => status.shell_code(),
        Err(e) => {
            let hint = match &e {
                RunError::Vm(vmm::VmError::KvmUnavailable(_)) => {
                    " (is KVM available and are you allowed to open /dev/kvm?)"
                }
                _ => "",
            };
            eprintln!("sentry: {e}{hint}");
            e.exit_code()
        }
    }
}

/// Finds `program` inside the sandbox as a shell would: a path if it has a slash,
/// else through $PATH.
fn resolve_program(vfs: &Vfs, fs: &FsContext, program: &OsStr) -> Result<Arc<Dentry>, RunError> {
    let shown = program.to_string_lossy().into_owned();
    let walker = vfs.walker(&fs.root);
    let executable = |d: &Arc<Dentry>| {
        d.inode.file_type() == FileType::Regular
            && d.inode.stat().is_ok_and(|s| s.mode & 0o111 != 0)
    };
    if program.as_bytes().contains(&b'/') {
        let found = walker
            .resolve(&fs.cwd, program.as_bytes(), true)
            .map_err(|e| match e {
                Errno::ENOENT | Errno::ENOTDIR | Errno::ELOOP | Errno::ENAMETOOLONG => {
                    RunError::NotFound(shown.clone())
                }
                _ => RunError::NotExecutable(shown.clone()),
            })?;
        return match found.inode.file_type() {
            FileType::Directory => Err(RunError::IsDirectory(shown)),
            _ if executable(&found) => Ok(found),
            _ => Err(RunError::NotExecutable(shown)),
        };
    }
    let path =
        std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
    let mut first_candidate = None;
    for dir in path.as_bytes().split(|b| *b == b':') {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let candidate = [dir, b"/", program.as_bytes()].concat();
        if let Ok(d) = walker.resolve(&fs.cwd, &candidate, true) {
            if executable(&d) {
                return Ok(d);
            }
            if d.inode.file_type() == FileType::Regular {
                first_candidate.get_or_insert(d);
            }
        }
    }
    match first_candidate {
        Some(_) => Err(RunError::NotExecutable(shown)),
        None => Err(RunError::NotInPath(shown)),
    }
}

/// Follows `#!` lines as Linux's binfmt_script does: the interpreter runs with the
/// optional argument and the script's path in front of the script's arguments.
fn resolve_scripts(
    vfs: &Vfs,
    fs: &FsContext,
    mut program: Arc<Dentry>,
    argv: &mut Vec<Vec<u8>>,
) -> Result<Arc<Dentry>, RunError> {
    /// Nested interpreters Linux accepts (BINPRM_MAX_RECURSION).
    const MAX_DEPTH: usize = 4;
    /// Bytes of a `#!` line Linux reads (BINPRM_BUF_SIZE).
    const LINE_MAX: usize = 256;
    for _ in 0..=MAX_DEPTH {
        let mut head = [0u8; LINE_MAX];
        let n = program.inode.read_at(&mut head, 0).unwrap_or(0);
        if n < 2 || &head[..2] != b"#!" {
            return Ok(program);
        }
        let shown = String::from_utf8_lossy(&program.path()).into_owned();
        let line = head[2..n].split(|b| *b == b'\n').next().unwrap_or_default();
        let line: Vec<u8> = line
            .iter()
            .copied()
            .skip_while(|b| *b == b' ' || *b == b'\t')
            .collect();
        let (interp, arg) = match line.iter().position(|b| *b == b' ' || *b == b'\t') {
            Some(i) => {
                let rest = line[i..]
                    .iter()
                    .copied()
                    .skip_while(|b| *b == b' ' || *b == b'\t');
                let arg: Vec<u8> = rest.collect::<Vec<u8>>().trim_ascii_end().to_vec();
                (line[..i].to_vec(), (!arg.is_empty()).then_some(arg))
            }
            None => (line.trim_ascii_end().to_vec(), None),
        };
        if interp.is_empty() {
            return Err(RunError::BadExecutable(shown, ElfError::NotElf));
        }
        let interp_os = OsStr::from_bytes(&interp);
        let found = resolve_program(vfs, fs, interp_os)
            .map_err(|_| RunError::NotFound(String::from_utf8_lossy(&interp).into_owned()))?;
        // argv[0] becomes the interpreter; the script path replaces the old argv[0].
        let script_path = program.path();
        let mut new = vec![interp];
        new.extend(arg);
        new.push(if argv.first().is_some_and(|a| a.contains(&b'/')) {
            argv[0].clone()
        } else {
            script_path
        });
        new.extend(argv.drain(1..));
        *argv = new;
        program = found;
    }
    Err(RunError::BadExecutable(
        String::from_utf8_lossy(&program.path()).into_owned(),
        ElfError::Malformed("too many levels of #! interpreters"),
    ))
}

/// The guest's starting directory: the host's current directory if the sandbox has it.
fn initial_cwd(vfs: &Vfs, root: &Arc<Dentry>) -> Arc<Dentry> {
    let Ok(cwd) = std::env::current_dir() else {
        return root.clone();
    };
    vfs.walker(root)
        .resolve(root, cwd.as_os_str().as_bytes(), true)
        .ok()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| root.clone())
}

fn run_program(opts: &RunOptions) -> Result<ExitStatus, RunError> {
    let started = Instant::now();
    let vm = Vm::new(opts.memory)?;
    let hwcap = vm.cpuid(1, 0).map_or(0, |(_, _, _, edx)| u64::from(edx));
    let clock = Clock::new();
    let random = RandomSource;
    let registry = Arc::new(ProcessRegistry::default());
    let system = Arc::new(SandboxInfo::new(clock.clone(), &vm));
    let vfs = Vfs::new(VfsConfig {
        root: opts.root.clone(),
        binds: opts.binds.clone(),
        clock: clock.clone(),
        budget: vm.ram().clone(),
        memory: opts.memory,
        random: Arc::new(move |buf: &mut [u8]| random.fill(buf)),
        registry: registry.clone(),
        system: system.clone(),
    })
    .map_err(RunError::Setup)?;
    let _ = system.mounts.set(vfs.mounts.proc_mounts());
    let root = vfs.root.clone();
    let fs = FsContext {
        cwd: initial_cwd(&vfs, &root),
        root,
        umask: 0o022,
    };
    let fpu_state_size = vm
        .cpuid(0xd, 0)
        .map_or(576, |(_, ebx, _, _)| (ebx as usize).clamp(576, 4096));
    let kernel = Kernel::new(
        KernelOptions {
            strace: opts.strace,
        },
        hwcap,
        fpu_state_size,
        clock,
        vfs,
        registry,
    );

    let script = resolve_program(&kernel.vfs, &fs, &opts.program)?;
    let mut argv: Vec<Vec<u8>> = std::iter::once(&opts.program)
        .chain(&opts.args)
        .map(|a| a.as_bytes().to_vec())
        .collect();
    let program = resolve_scripts(&kernel.vfs, &fs, script, &mut argv)?;
    let exe_path = program.path();
    let shown = String::from_utf8_lossy(&exe_path).into_owned();
    let file = program.inode.clone();
    loader::elf::ElfFile::parse(&file).map_err(|e| RunError::BadExecutable(shown.clone(), e))?;
    let page_cache = Arc::new(crate::mm::page_cache::PageCache::new(vm.ram().clone()));
    let mut mm = MemoryManager::new(vm.new_address_space()?).with_page_cache(page_cache);
    mm.set_exe_label(shown.clone());

    let (uid, gid) = crate::host::ids();
    let creds = Credentials {
        uid,
        euid: uid,
        gid,
        egid: gid,
    };
    let mut random = [0u8; 16];
    kernel.random.fill(&mut random);
    let envp: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| [k.into_vec(), b"=".to_vec(), v.into_vec()].concat())
        .collect();
    let image = StackImage {
        argv: argv.clone(),
        envp: envp.clone(),
        execfn: exe_path.clone(),
        random,
        hwcap: kernel.hwcap,
        uid,
        euid: uid,
        gid,
        egid: gid,
    };
    let walker = kernel.vfs.walker(&fs.root);
    let mut open_interpreter = |path: &[u8]| -> Result<loader::FileSource, ElfError> {
        let found = walker
            .resolve(&fs.cwd, path, true)
            .map_err(|e| ElfError::Io(std::io::Error::from_raw_os_error(e.into_raw())))?;
        if found.inode.file_type() != FileType::Regular {
            return Err(ElfError::Io(std::io::Error::from_raw_os_error(
                libc::EACCES,
            )));
        }
        let path = String::from_utf8_lossy(&found.path()).into_owned();
        Ok(loader::FileSource {
            inode: found.inode.clone(),
            path,
        })
    };
    let program_source = loader::FileSource {
        inode: file.clone(),
        path: shown.clone(),
    };
    let loaded = loader::load(&mut mm, &program_source, &image, &mut open_interpreter)
        .map_err(|e| RunError::BadExecutable(shown.clone(), e))?;

    let regs = UserRegs {
        rip: loaded.entry,
        rsp: loaded.stack_pointer,
        rflags: 0x202,
        ..Default::default()
    };
    let mut vcpu = vm.create_vcpu(0, mm.page_table_root(), regs)?;
    // The clock becomes a TSC formula the guest's vDSO shares (exit-free time calls).
    match (vcpu.tsc_khz(), vcpu.tsc_offset()) {
        (Ok(khz), Ok(offset)) => kernel.clock.calibrate(khz, offset),
        (Err(e), _) | (_, Err(e)) => {
            log::warn!("no TSC clock ({e}): time calls in the vDSO use syscalls")
        }
    }
    mm.write_as_kernel(loaded.vvar, &kernel.clock.vvar().to_bytes())
        .map_err(|_| RunError::Setup("cannot write the vDSO data page".into()))?;
    let pid = kernel.allocate_id();
    let name = exe_path.rsplit(|b| *b == b'/').next().unwrap_or_default();
    let comm = name[..name.len().min(crate::kernel::task::COMM_LEN)].to_vec();
    let nul_joined = |v: &[Vec<u8>]| {
        v.iter()
            .flat_map(|a| a.iter().copied().chain([0]))
            .collect::<Vec<u8>>()
    };
    let info = ProcessInfo::new(
        pid,
        ProcessState {
            comm: comm.clone(),
            exe: exe_path,
            cmdline: nul_joined(&argv),
            environ: nul_joined(&envp),
            uid,
            gid,
            threads: 1,
            start_time: kernel.clock.monotonic(),
            ..Default::default()
        },
    );
    kernel.registry.register(&info);
    let mut task = Task::new(pid, creds, mm, fs, info);
    task.comm = comm;
    task.publish_files();
    task.publish_memory();
    let setup = started.elapsed();
    let status = kernel::run(&kernel, &mut task, &mut vcpu)?;
    // Shared file mappings reach their files before the process is gone.
    task.mm.write_back(0, crate::mm::USER_VIRT_END);
    if opts.stats {
        print_stats(&kernel, &task, &vcpu, setup, started.elapsed());
    }
    // `sentry` exits right after: tearing down the VM, its memory and the page cache
    // piece by piece would only delay the exit status (milliseconds on PVM).
    std::mem::forget((task, vcpu, kernel, vm));
    Ok(status)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_stats(kernel: &Kernel, task: &Task, vcpu: &vmm::Vcpu, setup: Duration, total: Duration) {
    let v = vcpu.stats();
    let m = task.mm.stats();
    let stats = kernel.stats.lock().unwrap_or_else(|e| e.into_inner());
    let syscalls: u64 = stats.syscalls.values().sum();
    let running = total.saturating_sub(setup);
    let mut out = String::new();
    out += "--- sentry stats ---\n";
    out += &format!(
        "wall time          {:10.3} ms (setup {:.3} ms)\n",
        ms(total),
        ms(setup)
    );
    out += &format!(
        "time in guest      {:10.3} ms (inside KVM_RUN, exits included)\n",
        ms(v.time_in_guest)
    );
    out += &format!(
        "time in sentry     {:10.3} ms\n",
        ms(running.saturating_sub(v.time_in_guest))
    );
    out += &format!(
        "vm exits           {:10} (syscall {}, exception {}, interrupted {})\n",
        v.syscall_exits + v.exception_exits + v.interrupted_exits,
        v.syscall_exits,
        v.exception_exits,
        v.interrupted_exits
    );
    out += &format!(
        "page faults        {:10} (pages realized {})\n",
        m.page_faults, m.pages_realized
    );
    out += &format!("syscalls           {syscalls:10}\n");
    let mut rows: Vec<(&u64, &u64)> = stats.syscalls.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (nr, count) in rows {
        let name = syscalls::Sysno::new(*nr as usize)
            .map_or_else(|| format!("syscall_{nr}"), |s| s.name().to_string());
        out += &format!("  {count:10}  {name}\n");
    }
    eprint!("{out}");
}
