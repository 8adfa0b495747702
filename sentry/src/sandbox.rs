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
use crate::kernel::exec::{self, ExecError};
use crate::kernel::process::{ProcessInfo, ProcessRegistry, ProcessState};
use crate::kernel::system::SandboxInfo;
use crate::kernel::task::{Credentials, ExitStatus, FsContext, Task};
use crate::kernel::{self, Kernel, KernelOptions, KernelParts};
use crate::loader::elf::ElfError;
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
    // Before any thread exists, so that only the forwarding thread takes them.
    crate::host::block_forwarded_signals()
        .map_err(|e| RunError::Setup(format!("cannot block host signals: {e}")))?;
    let vm = Vm::new(opts.memory)?;
    log::debug!("start-up: VM created at {:?}", started.elapsed());
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
    log::debug!("start-up: filesystem ready at {:?}", started.elapsed());
    let root = vfs.root.clone();
    let fs = FsContext {
        cwd: initial_cwd(&vfs, &root),
        root,
        umask: 0o022,
    };
    let fpu_state_size = vm
        .cpuid(0xd, 0)
        .map_or(576, |(_, ebx, _, _)| (ebx as usize).clamp(576, 4096));
    let vm = Arc::new(vm);
    let kernel = Arc::new(Kernel::new(KernelParts {
        options: KernelOptions {
            strace: opts.strace,
        },
        hwcap,
        fpu_state_size,
        clock,
        vfs,
        registry,
        vm: vm.clone(),
        pid_limit: opts.pids as usize,
    }));

    if !opts.no_syscall_server {
        kernel::syscall_server::SyscallServer::start(&kernel);
    }
    let program = resolve_program(&kernel.vfs, &fs, &opts.program)?;
    let shown = opts.program.to_string_lossy().into_owned();
    let argv: Vec<Vec<u8>> = std::iter::once(&opts.program)
        .chain(&opts.args)
        .map(|a| a.as_bytes().to_vec())
        .collect();
    let envp: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| [k.into_vec(), b"=".to_vec(), v.into_vec()].concat())
        .collect();
    let (uid, gid) = crate::host::ids();
    let creds = Credentials::of(uid, gid);

    // The first vCPU exists before the program is loaded: the clock it calibrates is
    // what the vDSO data page (written by the loader) publishes.
    let mut vcpu = kernel.cpus.acquire(0, UserRegs::default())?;
    log::debug!("start-up: vCPU created at {:?}", started.elapsed());
    match (vcpu.tsc_khz(), vcpu.tsc_offset()) {
        (Ok(khz), Ok(offset)) => kernel.clock.calibrate(khz, offset),
        (Err(e), _) | (_, Err(e)) => {
            log::warn!("no TSC clock ({e}): time calls in the vDSO use syscalls")
        }
    }
    let image =
        exec::load(&kernel, &fs, program, argv, envp.clone(), creds).map_err(|e| match e {
            ExecError::NotFound => RunError::NotFound(shown.clone()),
            ExecError::NotExecutable => RunError::NotExecutable(shown.clone()),
            ExecError::IsDirectory => RunError::IsDirectory(shown.clone()),
            ExecError::BadFormat(e) => RunError::BadExecutable(shown.clone(), e),
            ExecError::NoMemory => {
                RunError::Setup("guest memory exhausted loading the program".into())
            }
        })?;
    log::debug!("start-up: program loaded at {:?}", started.elapsed());
    vcpu.set_address_space(image.mm.page_table_root())?;
    *vcpu.regs_mut() = UserRegs {
        rip: image.entry,
        rsp: image.stack_pointer,
        rflags: 0x202,
        ..Default::default()
    };
    let pid = kernel.allocate_id();
    let exe_path = image.exe_path;
    let name = opts
        .program
        .as_bytes()
        .rsplit(|b| *b == b'/')
        .next()
        .unwrap_or_default();
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
            cmdline: nul_joined(&image.argv),
            environ: nul_joined(&envp),
            uid,
            gid,
            threads: 1,
            start_time: kernel.clock.monotonic(),
            ..Default::default()
        },
    );
    kernel.registry.register(&info);
    let mut task = Task::new(pid, creds, crate::mm::Mm::new(image.mm), fs, info);
    task.comm = comm;
    kernel.tree.insert_init(pid, task.group.clone(), &task.info);
    forward_host_signals(Arc::downgrade(&task.group));
    task.publish_files();
    task.publish_memory();
    if opts.strace {
        crate::syscall::trace_first_execve(&kernel, &task.mm, image.stack_pointer);
    }
    let setup = started.elapsed();
    let (task, status) = kernel::run(&kernel, task, &mut vcpu);
    let status = status?;
    let status = kernel::finish_first_process(&task, status);
    // Shared file mappings reach their files before the process is gone.
    task.mm.write_back(0, crate::mm::USER_VIRT_END);
    if opts.stats {
        print_stats(&kernel, &task, &vcpu, setup, started.elapsed());
    }
    // `sentry` exits right after (other processes die with it, as a pid namespace's
    // do with its init): tearing down the VM, its memory and the page cache piece by
    // piece would only delay the exit status (milliseconds on PVM). What the kernel
    // frees at our exit is left to a helper that outlives us.
    std::mem::forget((task, vcpu, kernel, vm));
    crate::host::defer_teardown_past_exit();
    Ok(status)
}

/// Delivers host signals sent to `sentry` (Ctrl-C, kill) to the first process, as
/// if sent by the kernel (si_pid 0).
fn forward_host_signals(init: std::sync::Weak<crate::kernel::thread_group::ThreadGroup>) {
    let spawned = std::thread::Builder::new()
        .name("host-signals".into())
        .spawn(move || {
            while let Ok(signo) = crate::host::wait_forwarded_signal() {
                let Some(group) = init.upgrade() else {
                    return;
                };
                log::debug!("forwarding host signal {signo} to the first process");
                group.post(
                    signo,
                    crate::kernel::signal::Posted {
                        code: crate::kernel::signal::SI_USER,
                        sender: Some((0, 0)),
                        status: 0,
                        value: None,
                    },
                );
            }
        });
    if let Err(e) = spawned {
        log::warn!("host signals will not reach the sandbox: {e}");
    }
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
    out += &format!(
        "syscalls           {syscalls:10} (served without an exit {})\n",
        kernel.syscall_server.served()
    );
    let mut rows: Vec<(&u64, &u64)> = stats.syscalls.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (nr, count) in rows {
        let name = syscalls::Sysno::new(*nr as usize)
            .map_or_else(|| format!("syscall_{nr}"), |s| s.name().to_string());
        out += &format!("  {count:10}  {name}\n");
    }
    eprint!("{out}");
}
