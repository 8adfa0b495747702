//! Loading a static ELF executable into a fresh address space and building the
//! initial stack (argv, envp, auxv) the way Linux's `binfmt_elf` lays it out.

pub mod elf;
mod stack;

use crate::fs::inode::InodeRef;
use crate::mm::vma::{FileBacking, Prot, VmaKind};
use crate::mm::{
    page_align_down, page_align_up, MemoryManager, MMAP_MIN_ADDR, STACK_SIZE, STACK_TOP, TASK_SIZE,
};
use elf::{ElfError, ElfFile, ReadAt, PF_R, PF_W, PF_X};
pub use stack::{AuxValues, StackImage};

/// Where Linux puts position-independent executables (`ELF_ET_DYN_BASE` on x86-64).
const PIE_LOAD_BASE: u64 = 0x5555_5555_4000;
/// Bytes copied per step from the file, bounding the sentry's buffer.
const COPY_CHUNK: usize = 64 << 10;

/// What the first instruction needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadedProgram {
    pub entry: u64,
    /// The vDSO's data page, to fill with `Clock::vvar`.
    pub vvar: u64,
    pub stack_pointer: u64,
    pub brk_start: u64,
}

fn segment_prot(flags: u32) -> Prot {
    Prot {
        read: flags & PF_R != 0,
        write: flags & PF_W != 0,
        exec: flags & PF_X != 0,
    }
}

/// A file in the sandbox whose segments can be mapped (not copied) into memory.
pub struct FileSource {
    pub inode: InodeRef,
    /// The path /proc/[pid]/maps shows.
    pub path: String,
}

/// Maps the file-backed part of a segment from `source`, as Linux's `elf_map` does:
/// the pages holding file bytes are a private file mapping (faulted in, text pages
/// shared through the page cache), the rest of the memory size anonymous. Returns
/// false when the segment needs the copying path: its first page is shared with the
/// previous segment, or a read-only segment's last file page also holds bss (zeroing
/// it would write into a shared page).
fn map_segment_file(
    mm: &mut MemoryManager,
    source: &FileSource,
    seg: &elf::ProgramHeader,
    start: u64,
    image_end: u64,
    kind: VmaKind,
) -> bool {
    const PAGE: u64 = 4096;
    let prot = segment_prot(seg.flags);
    let (Some(mem_end), Some(file_end)) =
        (start.checked_add(seg.memsz), start.checked_add(seg.filesz))
    else {
        return false;
    };
    let first = page_align_down(start);
    let (Some(file_pages_end), Some(map_end)) = (page_align_up(file_end), page_align_up(mem_end))
    else {
        return false;
    };
    let bss_in_last_page = seg.memsz > seg.filesz && file_end % PAGE != 0;
    if seg.filesz == 0 || first < image_end || (bss_in_last_page && !prot.write) {
        return false;
    }
    let backing = FileBacking {
        inode: source.inode.clone(),
        offset: page_align_down(seg.offset),
        path: source.path.clone(),
        may_write: false,
    };
    mm.map_fixed_file(
        first,
        file_pages_end.min(map_end),
        prot,
        false,
        kind,
        Some(backing),
    );
    if file_pages_end < map_end {
        mm.map_fixed(file_pages_end, map_end, prot, false, kind);
    }
    if bss_in_last_page {
        // The file's bytes after the segment are not part of it: zero the rest of the
        // page, as Linux's padzero does (ld.so's early allocator uses what lies past
        // its own `_end` in that page). This writable page becomes the process's copy.
        let zeros = vec![0u8; (file_pages_end - file_end) as usize];
        if mm.write_as_kernel(file_end, &zeros).is_err() {
            return false;
        }
    }
    true
}

/// Maps the segments of `elf` (read from `file`) into `mm`; returns (load bias, end of
/// image). With a `source`, segments are mapped from the file where possible.
fn load_segments(
    mm: &mut MemoryManager,
    file: &(impl ReadAt + ?Sized),
    elf: &ElfFile,
    base: u64,
    kind: VmaKind,
    source: Option<&FileSource>,
) -> Result<(u64, u64), ElfError> {
    let first = elf.segments().map(|s| s.vaddr).min().unwrap_or(0);
    let bias = if elf.position_independent {
        base - page_align_down(first)
    } else {
        0
    };
    let mut image_end = 0u64;
    for seg in elf.segments() {
        let start = seg.vaddr + bias;
        let mem_end = start
            .checked_add(seg.memsz)
            .ok_or(ElfError::Malformed("segment address overflows"))?;
        let map_end =
            page_align_up(mem_end).ok_or(ElfError::Malformed("segment address overflows"))?;
        if page_align_down(start) < MMAP_MIN_ADDR || map_end > STACK_TOP - STACK_SIZE {
            return Err(ElfError::Malformed(
                "segment outside the user address range",
            ));
        }
        if source.is_some_and(|src| map_segment_file(mm, src, seg, start, image_end, kind)) {
            image_end = image_end.max(map_end);
            continue;
        }
        // Segments may share a boundary page; the first to map it keeps its rights.
        let map_start = page_align_down(start).max(image_end);
        if map_start < map_end {
            mm.map_fixed(map_start, map_end, segment_prot(seg.flags), false, kind);
        }
        let mut buf = vec![0u8; COPY_CHUNK];
        let mut done = 0u64;
        while done < seg.filesz {
            let n = (seg.filesz - done).min(COPY_CHUNK as u64) as usize;
            file.read_exact_at(&mut buf[..n], seg.offset + done)?;
            mm.write_as_kernel(start + done, &buf[..n])
                .map_err(|_| ElfError::Malformed("cannot place segment"))?;
            done += n as u64;
        }
        // The rest of the last file-backed page is bss: make sure it is zero.
        let file_end = start + seg.filesz;
        let zero_end = page_align_up(file_end).unwrap_or(file_end).min(mem_end);
        if zero_end > file_end {
            let zeros = vec![0u8; (zero_end - file_end) as usize];
            mm.write_as_kernel(file_end, &zeros)
                .map_err(|_| ElfError::Malformed("cannot place bss"))?;
        }
        image_end = image_end.max(map_end);
    }
    Ok((bias, image_end))
}

/// Loads `file` into `mm` and builds the initial stack from `image`.
/// The sandbox's vDSO image (built from sentry/vdso/vdso.c).
const VDSO: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

/// Maps the vDSO with its data page ("vvar") just below it; returns (vDSO base, vvar
/// address). The sentry fills the vvar page once its clock is calibrated.
fn map_vdso(mm: &mut MemoryManager) -> Result<(u64, u64), ElfError> {
    const PAGE: u64 = 4096;
    let elf = ElfFile::parse(VDSO)?;
    let span = image_span(&elf).ok_or(ElfError::Malformed("vDSO layout"))?;
    let vvar = mm
        .free_area(span + PAGE)
        .map_err(|_| ElfError::Malformed("no room for the vDSO"))?;
    let read_only = Prot {
        read: true,
        write: false,
        exec: false,
    };
    mm.map_fixed(vvar, vvar + PAGE, read_only, false, VmaKind::Vvar);
    load_segments(mm, VDSO, &elf, vvar + PAGE, VmaKind::Vdso, None)?;
    Ok((vvar + PAGE, vvar))
}

/// Opens the program's interpreter (PT_INTERP) by path, inside the sandbox.
pub type OpenInterpreter<'a> = &'a mut dyn FnMut(&[u8]) -> Result<FileSource, ElfError>;

/// The span of addresses the loadable segments cover, page aligned.
fn image_span(elf: &ElfFile) -> Option<u64> {
    let first = page_align_down(elf.segments().map(|s| s.vaddr).min()?);
    let end = elf
        .segments()
        .filter_map(|s| s.vaddr.checked_add(s.memsz))
        .max()?;
    page_align_up(end)?.checked_sub(first)
}

/// Loads the dynamic loader where mmap would put it; returns (load base, entry).
fn load_interpreter(
    mm: &mut MemoryManager,
    path: &[u8],
    open: OpenInterpreter,
) -> Result<(u64, u64), ElfError> {
    let shown = String::from_utf8_lossy(path).into_owned();
    let wrap = |e: ElfError| ElfError::Interpreter(shown.clone(), Box::new(e));
    let source = open(path).map_err(wrap)?;
    let file = &source.inode;
    let elf = ElfFile::parse(file).map_err(wrap)?;
    if !elf.position_independent || elf.interpreter.is_some() {
        return Err(wrap(ElfError::Malformed(
            "the interpreter must be a static ET_DYN object",
        )));
    }
    let span = image_span(&elf).ok_or_else(|| wrap(ElfError::Malformed("bad segment layout")))?;
    let base = mm
        .free_area(span)
        .map_err(|_| wrap(ElfError::Malformed("no room for the interpreter")))?;
    mm.set_interpreter_label(shown.clone());
    let (bias, _) =
        load_segments(mm, file, &elf, base, VmaKind::Interpreter, Some(&source)).map_err(wrap)?;
    let entry = elf
        .entry
        .checked_add(bias)
        .ok_or_else(|| wrap(ElfError::Malformed("bad entry point")))?;
    Ok((base, entry))
}

pub fn load(
    mm: &mut MemoryManager,
    program: &FileSource,
    image: &StackImage,
    open_interpreter: OpenInterpreter,
) -> Result<LoadedProgram, ElfError> {
    let file = &program.inode;
    let elf = ElfFile::parse(file)?;
    let (bias, image_end) = load_segments(
        mm,
        file,
        &elf,
        PIE_LOAD_BASE,
        VmaKind::Program,
        Some(program),
    )?;
    let entry = elf
        .entry
        .checked_add(bias)
        .filter(|e| *e < TASK_SIZE)
        .ok_or(ElfError::Malformed("bad entry point"))?;
    let (interp_base, first_instruction) = match &elf.interpreter {
        Some(path) => load_interpreter(mm, path, open_interpreter)?,
        None => (0, entry),
    };
    let (vdso, vvar) = map_vdso(mm)?;
    mm.map_fixed(
        STACK_TOP - STACK_SIZE,
        STACK_TOP,
        Prot::RW,
        false,
        VmaKind::Stack,
    );
    let aux = AuxValues {
        phdr: elf.phdr_vaddr().map_or(0, |p| p + bias),
        phnum: u64::from(elf.phnum),
        entry,
        base: interp_base,
        vdso,
    };
    let stack_pointer = image.write(mm, STACK_TOP, &aux).map_err(|e| match e {
        stack::StackError::TooBig => ElfError::Malformed("argument list too long"),
        stack::StackError::Fault => ElfError::Malformed("cannot write the initial stack"),
    })?;
    mm.set_brk_start(image_end);
    Ok(LoadedProgram {
        entry: first_instruction,
        vvar,
        stack_pointer,
        brk_start: image_end,
    })
}
