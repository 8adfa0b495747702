//! `sentry run`: find the program, build the VM and the first task, run it, report.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use vmm::{UserRegs, Vm};

use crate::cli::RunOptions;
use crate::kernel::task::{Credentials, ExitStatus, Task};
use crate::kernel::{self, Kernel, KernelOptions};
use crate::loader::{self, elf::ElfError, StackImage};
use crate::mm::MemoryManager;

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
}

impl RunError {
    fn exit_code(&self) -> i32 {
        match self {
            RunError::NotInPath(_) | RunError::NotFound(_) => EXIT_NOT_FOUND,
            RunError::NotExecutable(_) | RunError::IsDirectory(_) | RunError::BadExecutable(..) => {
                EXIT_CANNOT_EXECUTE
            }
            RunError::Vm(_) | RunError::Vcpu(_) | RunError::Memory(_) => EXIT_SANDBOX_FAILURE,
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

/// Finds `program` as a shell would: a path if it has a slash, else through $PATH.
fn resolve_program(program: &OsStr) -> Result<PathBuf, RunError> {
    let shown = program.to_string_lossy().into_owned();
    let candidates: Vec<PathBuf> = if program.as_bytes().contains(&b'/') {
        vec![PathBuf::from(program)]
    } else {
        let path = std::env::var_os("PATH")
            .unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .filter(|p| p.is_file())
            .collect()
    };
    let Some(first) = candidates.first() else {
        return Err(RunError::NotInPath(shown));
    };
    for candidate in &candidates {
        if let Ok(meta) = candidate.metadata() {
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return Ok(candidate.clone());
            }
        }
    }
    match first.metadata() {
        Err(_) => Err(RunError::NotFound(shown)),
        Ok(m) if m.is_dir() => Err(RunError::IsDirectory(shown)),
        Ok(_) => Err(RunError::NotExecutable(shown)),
    }
}

fn run_program(opts: &RunOptions) -> Result<ExitStatus, RunError> {
    let started = Instant::now();
    let path = resolve_program(&opts.program)?;
    let shown = path.to_string_lossy().into_owned();
    let file = std::fs::File::open(&path).map_err(|_| RunError::NotExecutable(shown.clone()))?;
    // Validate the executable before paying for a VM.
    loader::elf::ElfFile::parse(&file).map_err(|e| RunError::BadExecutable(shown.clone(), e))?;

    let vm = Vm::new(opts.memory)?;
    let hwcap = vm.cpuid(1, 0).map_or(0, |(_, _, _, edx)| u64::from(edx));
    let kernel = Kernel::new(
        KernelOptions {
            strace: opts.strace,
        },
        hwcap,
    );
    let mut mm = MemoryManager::new(vm.new_address_space()?);

    let (uid, gid) = crate::host::ids();
    let creds = Credentials {
        uid,
        euid: uid,
        gid,
        egid: gid,
    };
    let mut random = [0u8; 16];
    kernel.random.fill(&mut random);
    let image = StackImage {
        argv: std::iter::once(&opts.program)
            .chain(&opts.args)
            .map(|a| a.as_bytes().to_vec())
            .collect(),
        envp: std::env::vars_os()
            .map(|(k, v)| [k.into_vec(), b"=".to_vec(), v.into_vec()].concat())
            .collect(),
        execfn: path.as_os_str().as_bytes().to_vec(),
        random,
        hwcap: kernel.hwcap,
        uid,
        euid: uid,
        gid,
        egid: gid,
    };
    let loaded = loader::load(&mut mm, &file, &image)
        .map_err(|e| RunError::BadExecutable(shown.clone(), e))?;
    drop(file);

    let regs = UserRegs {
        rip: loaded.entry,
        rsp: loaded.stack_pointer,
        rflags: 0x202,
        ..Default::default()
    };
    let mut vcpu = vm.create_vcpu(0, mm.page_table_root(), regs)?;
    let mut task = Task::new(kernel.allocate_id(), creds, mm);
    let name = path.file_name().map_or(&[][..], |n| n.as_bytes());
    task.comm = name[..name.len().min(crate::kernel::task::COMM_LEN)].to_vec();
    let setup = started.elapsed();
    let status = kernel::run(&kernel, &mut task, &mut vcpu)?;
    if opts.stats {
        print_stats(&kernel, &task, &vcpu, setup, started.elapsed());
    }
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
