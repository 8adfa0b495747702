//! ELF64 header and program-header parsing, with every field a hostile file could
//! get wrong checked before it is used.

use std::io;

/// Why a file cannot be executed.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    #[error("not an ELF executable")]
    NotElf,
    #[error("32-bit ELF executables are not supported")]
    Elf32,
    #[error("ELF executable for another machine (e_machine {0})")]
    WrongMachine(u16),
    #[error("ELF file is not an executable (type {0})")]
    NotExecutable(u16),
    #[error("cannot load the interpreter {0}: {1}")]
    Interpreter(String, Box<ElfError>),
    #[error("malformed ELF: {0}")]
    Malformed(&'static str),
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
}

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
const EHDR_SIZE: usize = 64;
pub const PHDR_SIZE: usize = 56;
/// More program headers than any real program has; bounds what we read.
const MAX_PHDRS: u16 = 512;

/// A program header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

/// The parts of an ELF file the loader needs.
#[derive(Clone, Debug)]
pub struct ElfFile {
    /// ET_DYN (position independent) rather than ET_EXEC.
    pub position_independent: bool,
    pub entry: u64,
    pub phoff: u64,
    pub phnum: u16,
    pub headers: Vec<ProgramHeader>,
    /// PT_INTERP: the dynamic loader's path.
    pub interpreter: Option<Vec<u8>>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Reads `len` bytes at `offset` of the file.
pub trait ReadAt {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    fn len(&self) -> io::Result<u64>;
}

impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        Ok(<[u8]>::len(self) as u64)
    }
}

impl ElfFile {
    /// Parses and validates the headers of `file`.
    pub fn parse(file: &(impl ReadAt + ?Sized)) -> Result<ElfFile, ElfError> {
        let file_len = file.len()?;
        let mut ehdr = [0u8; EHDR_SIZE];
        if file_len < 4 {
            return Err(ElfError::NotElf);
        }
        let head = EHDR_SIZE.min(file_len as usize);
        file.read_exact_at(&mut ehdr[..head], 0)?;
        if &ehdr[..4] != b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        if head < EHDR_SIZE {
            return Err(ElfError::Malformed("truncated ELF header"));
        }
        match ehdr[4] {
            1 => return Err(ElfError::Elf32),
            2 => {}
            _ => return Err(ElfError::Malformed("bad ELF class")),
        }
        if ehdr[5] != 1 {
            return Err(ElfError::Malformed("not little-endian"));
        }
        let machine = u16_at(&ehdr, 18);
        if machine != EM_X86_64 {
            return Err(ElfError::WrongMachine(machine));
        }
        let position_independent = match u16_at(&ehdr, 16) {
            ET_EXEC => false,
            ET_DYN => true,
            other => return Err(ElfError::NotExecutable(other)),
        };
        let entry = u64_at(&ehdr, 24);
        let phoff = u64_at(&ehdr, 32);
        let phentsize = u16_at(&ehdr, 54);
        let phnum = u16_at(&ehdr, 56);
        if usize::from(phentsize) != PHDR_SIZE || phnum == 0 || phnum > MAX_PHDRS {
            return Err(ElfError::Malformed("bad program header table"));
        }
        let table_len = u64::from(phnum) * PHDR_SIZE as u64;
        if phoff
            .checked_add(table_len)
            .is_none_or(|end| end > file_len)
        {
            return Err(ElfError::Malformed("program headers past end of file"));
        }
        let mut table = vec![0u8; table_len as usize];
        file.read_exact_at(&mut table, phoff)?;
        let headers: Vec<ProgramHeader> = table
            .chunks_exact(PHDR_SIZE)
            .map(|p| ProgramHeader {
                kind: u32_at(p, 0),
                flags: u32_at(p, 4),
                offset: u64_at(p, 8),
                vaddr: u64_at(p, 16),
                filesz: u64_at(p, 32),
                memsz: u64_at(p, 40),
            })
            .collect();
        for h in headers.iter().filter(|h| h.kind == PT_LOAD) {
            if h.memsz < h.filesz {
                return Err(ElfError::Malformed("segment memsz smaller than filesz"));
            }
            if h.offset
                .checked_add(h.filesz)
                .is_none_or(|end| end > file_len)
            {
                return Err(ElfError::Malformed("segment past end of file"));
            }
            if h.vaddr.checked_add(h.memsz).is_none() {
                return Err(ElfError::Malformed("segment address overflows"));
            }
            if h.vaddr % 4096 != h.offset % 4096 {
                return Err(ElfError::Malformed(
                    "segment offset and address disagree modulo the page size",
                ));
            }
        }
        if !headers.iter().any(|h| h.kind == PT_LOAD) {
            return Err(ElfError::Malformed("no loadable segment"));
        }
        let mut interpreter = None;
        if let Some(interp) = headers.iter().find(|h| h.kind == PT_INTERP) {
            let len = interp.filesz.min(4096) as usize;
            let mut name = vec![0u8; len];
            file.read_exact_at(&mut name, interp.offset)
                .map_err(|_| ElfError::Malformed("interpreter path past end of file"))?;
            let name: Vec<u8> = name.split(|b| *b == 0).next().unwrap_or_default().to_vec();
            if name.is_empty() {
                return Err(ElfError::Malformed("empty interpreter path"));
            }
            interpreter = Some(name);
        }
        Ok(ElfFile {
            position_independent,
            entry,
            phoff,
            phnum,
            headers,
            interpreter,
        })
    }

    /// Loadable segments.
    pub fn segments(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.headers.iter().filter(|h| h.kind == PT_LOAD)
    }

    /// Address (before relocation) of the program headers in memory, for AT_PHDR.
    pub fn phdr_vaddr(&self) -> Option<u64> {
        if let Some(p) = self.headers.iter().find(|h| h.kind == PT_PHDR) {
            return Some(p.vaddr);
        }
        self.segments()
            .find(|s| s.offset <= self.phoff && self.phoff < s.offset + s.filesz)
            .map(|s| s.vaddr + (self.phoff - s.offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal_elf() -> Vec<u8> {
        let mut f = vec![0u8; 0x1000];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        f[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        f[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
        f[56..58].copy_from_slice(&1u16.to_le_bytes());
        let p = 64;
        f[p..p + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        f[p + 4..p + 8].copy_from_slice(&(PF_R | PF_X).to_le_bytes());
        f[p + 16..p + 24].copy_from_slice(&0x400000u64.to_le_bytes());
        f[p + 32..p + 40].copy_from_slice(&0x1000u64.to_le_bytes());
        f[p + 40..p + 48].copy_from_slice(&0x1000u64.to_le_bytes());
        f
    }

    #[test]
    fn parses_minimal_executable() {
        let elf = ElfFile::parse(&minimal_elf()[..]).unwrap();
        assert_eq!(elf.entry, 0x401000);
        assert_eq!(elf.segments().count(), 1);
        assert_eq!(elf.phdr_vaddr(), Some(0x400040));
    }

    #[test]
    fn rejects_hostile_headers() {
        assert!(matches!(
            ElfFile::parse(&b"#!/bin/sh\n"[..]),
            Err(ElfError::NotElf)
        ));
        let mut f = minimal_elf();
        f[4] = 1;
        assert!(matches!(ElfFile::parse(&f[..]), Err(ElfError::Elf32)));
        let mut f = minimal_elf();
        f[64 + 32..64 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            ElfFile::parse(&f[..]),
            Err(ElfError::Malformed(_))
        ));
        let mut f = minimal_elf();
        f[56..58].copy_from_slice(&60000u16.to_le_bytes());
        assert!(matches!(
            ElfFile::parse(&f[..]),
            Err(ElfError::Malformed(_))
        ));
        let f = minimal_elf();
        assert!(matches!(
            ElfFile::parse(&f[..40]),
            Err(ElfError::Malformed(_))
        ));
    }
}
