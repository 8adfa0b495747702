//! Loading a static ELF executable into a fresh address space and building the
//! initial stack (argv, envp, auxv) the way Linux's `binfmt_elf` lays it out.

pub mod elf;
mod stack;

use crate::mm::vma::{Prot, VmaKind};
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

/// Maps the segments of `elf` (read from `file`) into `mm`; returns (load bias, end of image).
fn load_segments(
    mm: &mut MemoryManager,
    file: &(impl ReadAt + ?Sized),
    elf: &ElfFile,
) -> Result<(u64, u64), ElfError> {
    let first = elf.segments().map(|s| s.vaddr).min().unwrap_or(0);
    let bias = if elf.position_independent {
        PIE_LOAD_BASE - page_align_down(first)
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
        // Segments may share a boundary page; the first to map it keeps its rights.
        let map_start = page_align_down(start).max(image_end);
        if map_start < map_end {
            mm.map_fixed(
                map_start,
                map_end,
                segment_prot(seg.flags),
                false,
                VmaKind::Program,
            );
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
pub fn load(
    mm: &mut MemoryManager,
    file: &(impl ReadAt + ?Sized),
    image: &StackImage,
) -> Result<LoadedProgram, ElfError> {
    let elf = ElfFile::parse(file)?;
    let (bias, image_end) = load_segments(mm, file, &elf)?;
    let entry = elf
        .entry
        .checked_add(bias)
        .filter(|e| *e < TASK_SIZE)
        .ok_or(ElfError::Malformed("bad entry point"))?;
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
    };
    let stack_pointer = image.write(mm, STACK_TOP, &aux).map_err(|e| match e {
        stack::StackError::TooBig => ElfError::Malformed("argument list too long"),
        stack::StackError::Fault => ElfError::Malformed("cannot write the initial stack"),
    })?;
    mm.set_brk_start(image_end);
    Ok(LoadedProgram {
        entry,
        stack_pointer,
        brk_start: image_end,
    })
}
