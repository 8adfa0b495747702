//! From a program file and its arguments to a new process image: `#!` lines followed
//! as Linux's binfmt_script does, the ELF loaded into a fresh address space, the
//! stack built. Shared by the sandbox's first process and execve(2).

use std::sync::Arc;

use super::task::{Credentials, FsContext};
use super::Kernel;
use crate::errno::Errno;
use crate::fs::inode::FileType;
use crate::fs::path::Dentry;
use crate::loader::{self, elf::ElfError, StackImage};
use crate::mm::MemoryManager;

/// Why a program cannot be executed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("No such file or directory")]
    NotFound,
    #[error("Permission denied")]
    NotExecutable,
    #[error("Is a directory")]
    IsDirectory,
    #[error("cannot execute: {0}")]
    BadFormat(ElfError),
    #[error("cannot execute: out of guest memory")]
    NoMemory,
}

impl ExecError {
    /// The errno execve(2) reports.
    pub fn errno(&self) -> Errno {
        match self {
            ExecError::NotFound => Errno::ENOENT,
            ExecError::NotExecutable | ExecError::IsDirectory => Errno::EACCES,
            ExecError::BadFormat(ElfError::Io(e)) => {
                Errno::new(e.raw_os_error().unwrap_or(libc::EIO))
            }
            ExecError::BadFormat(ElfError::Interpreter(_, inner)) if is_missing(inner) => {
                Errno::ENOENT
            }
            ExecError::BadFormat(ElfError::Malformed("too many levels of #! interpreters")) => {
                Errno::ELOOP
            }
            ExecError::BadFormat(_) => Errno::ENOEXEC,
            ExecError::NoMemory => Errno::ENOMEM,
        }
    }
}

fn is_missing(e: &ElfError) -> bool {
    matches!(e, ElfError::Io(io) if io.raw_os_error() == Some(libc::ENOENT))
}

/// A loaded program, ready to run.
pub struct Image {
    pub mm: MemoryManager,
    pub entry: u64,
    pub stack_pointer: u64,
    /// The program's path in the sandbox (after `#!` resolution).
    pub exe_path: Vec<u8>,
    /// argv as the program sees it (the interpreter's, for a script).
    pub argv: Vec<Vec<u8>>,
}

/// Whether `found` is something execve may run: a regular file with an execute bit.
pub fn check_executable(found: &Dentry) -> Result<(), ExecError> {
    match found.inode.file_type() {
        FileType::Directory => Err(ExecError::IsDirectory),
        FileType::Regular if found.inode.stat().is_ok_and(|s| s.mode & 0o111 != 0) => Ok(()),
        _ => Err(ExecError::NotExecutable),
    }
}

/// Follows `#!` lines: the interpreter runs with the optional argument and the
/// script's path in front of the script's arguments.
fn resolve_scripts(
    kernel: &Kernel,
    fs: &FsContext,
    mut program: Arc<Dentry>,
    argv: &mut Vec<Vec<u8>>,
) -> Result<Arc<Dentry>, ExecError> {
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
            return Err(ExecError::BadFormat(ElfError::NotElf));
        }
        let found = kernel
            .vfs
            .walker(&fs.root)
            .resolve(&fs.cwd, &interp, true)
            .map_err(|_| ExecError::NotFound)?;
        check_executable(&found)?;
        // argv[0] becomes the interpreter; the script path replaces the old argv[0].
        let script_path = program.path();
        let mut new = vec![interp];
        new.extend(arg);
        new.push(if argv.first().is_some_and(|a| a.contains(&b'/')) {
            argv[0].clone()
        } else {
            script_path
        });
        new.extend(argv.drain(1.min(argv.len())..));
        *argv = new;
        program = found;
    }
    Err(ExecError::BadFormat(ElfError::Malformed(
        "too many levels of #! interpreters",
    )))
}

/// Loads `program` (already checked executable) with `argv` and `envp` into a new
/// address space.
pub fn load(
    kernel: &Kernel,
    fs: &FsContext,
    program: Arc<Dentry>,
    mut argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    creds: Credentials,
) -> Result<Image, ExecError> {
    let program = resolve_scripts(kernel, fs, program, &mut argv)?;
    let exe_path = program.path();
    let shown = String::from_utf8_lossy(&exe_path).into_owned();
    loader::elf::ElfFile::parse(&program.inode).map_err(ExecError::BadFormat)?;
    let space = kernel
        .cpus
        .vm()
        .new_address_space()
        .map_err(|_| ExecError::NoMemory)?;
    let mut mm = MemoryManager::new(space).with_page_cache(kernel.page_cache.clone());
    mm.set_exe_label(shown.clone());
    let mut random = [0u8; 16];
    kernel.random.fill(&mut random);
    let image = StackImage {
        argv: argv.clone(),
        envp,
        execfn: exe_path.clone(),
        random,
        hwcap: kernel.hwcap,
        uid: creds.uid,
        euid: creds.euid,
        gid: creds.gid,
        egid: creds.egid,
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
        Ok(loader::FileSource {
            inode: found.inode.clone(),
            path: String::from_utf8_lossy(&found.path()).into_owned(),
        })
    };
    let source = loader::FileSource {
        inode: program.inode.clone(),
        path: shown,
    };
    let loaded = loader::load(&mut mm, &source, &image, &mut open_interpreter)
        .map_err(ExecError::BadFormat)?;
    mm.write_as_kernel(loaded.vvar, &kernel.clock.vvar().to_bytes())
        .map_err(|_| ExecError::NoMemory)?;
    Ok(Image {
        mm,
        entry: loaded.entry,
        stack_pointer: loaded.stack_pointer,
        exe_path,
        argv,
    })
}
