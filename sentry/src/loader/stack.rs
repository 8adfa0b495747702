//! The initial user stack: strings at the top, then AT_RANDOM bytes and the platform
//! string, then (16-byte aligned) argc, argv[], envp[] and the auxiliary vector.

use crate::mm::MemoryManager;

const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_BASE: u64 = 7;
const AT_FLAGS: u64 = 8;
const AT_ENTRY: u64 = 9;
const AT_UID: u64 = 11;
const AT_EUID: u64 = 12;
const AT_GID: u64 = 13;
const AT_EGID: u64 = 14;
const AT_PLATFORM: u64 = 15;
const AT_HWCAP: u64 = 16;
const AT_CLKTCK: u64 = 17;
const AT_SECURE: u64 = 23;
const AT_RANDOM: u64 = 25;
const AT_HWCAP2: u64 = 26;
const AT_EXECFN: u64 = 31;

/// Clock ticks per second reported to user space (USER_HZ).
pub const CLOCK_TICKS_PER_SECOND: u64 = 100;

#[derive(Debug, PartialEq, Eq)]
pub enum StackError {
    TooBig,
    Fault,
}

/// Values that come from the loaded ELF.
#[derive(Clone, Copy, Debug)]
pub struct AuxValues {
    pub phdr: u64,
    pub phnum: u64,
    pub entry: u64,
    /// Where the interpreter was loaded (AT_BASE), 0 without one.
    pub base: u64,
    /// Where the vDSO was mapped (AT_SYSINFO_EHDR).
    pub vdso: u64,
}

/// Everything the stack holds that does not come from the ELF file.
#[derive(Clone, Debug, Default)]
pub struct StackImage {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// The path the program was executed by (AT_EXECFN).
    pub execfn: Vec<u8>,
    pub random: [u8; 16],
    pub hwcap: u64,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
}

/// Linux limits argument and environment strings to a quarter of the stack limit.
const MAX_STRINGS_BYTES: usize = (8 << 20) / 4;

impl StackImage {
    /// Writes the stack below `top`; returns the initial stack pointer (pointing at argc).
    pub fn write(
        &self,
        mm: &mut MemoryManager,
        top: u64,
        aux: &AuxValues,
    ) -> Result<u64, StackError> {
        let strings: usize = self
            .argv
            .iter()
            .chain(&self.envp)
            .map(|s| s.len() + 1)
            .sum::<usize>()
            + self.execfn.len()
            + 1;
        if strings > MAX_STRINGS_BYTES {
            return Err(StackError::TooBig);
        }
        let mut sp = top - 8; // a NULL word at the very top, as Linux leaves
        let push_bytes =
            |mm: &mut MemoryManager, sp: &mut u64, bytes: &[u8]| -> Result<u64, StackError> {
                *sp -= bytes.len() as u64;
                mm.copy_out(*sp, bytes).map_err(|_| StackError::Fault)?;
                Ok(*sp)
            };
        let with_nul = |s: &[u8]| [s, &[0u8][..]].concat();
        let execfn = push_bytes(mm, &mut sp, &with_nul(&self.execfn))?;
        // argv strings below envp strings, each list in order: build the block at once.
        let block: Vec<u8> = self
            .argv
            .iter()
            .chain(&self.envp)
            .flat_map(|s| with_nul(s))
            .collect();
        let block_start = push_bytes(mm, &mut sp, &block)?;
        let mut pointers = Vec::with_capacity(self.argv.len() + self.envp.len());
        let mut at = block_start;
        for s in self.argv.iter().chain(&self.envp) {
            pointers.push(at);
            at += s.len() as u64 + 1;
        }
        let platform = push_bytes(mm, &mut sp, b"x86_64\0")?;
        sp &= !15;
        let random = push_bytes(mm, &mut sp, &self.random)?;

        const AT_SYSINFO_EHDR: u64 = 33;
        let auxv: [(u64, u64); 19] = [
            (AT_SYSINFO_EHDR, aux.vdso),
            (AT_HWCAP, self.hwcap),
            (AT_PAGESZ, 4096),
            (AT_CLKTCK, CLOCK_TICKS_PER_SECOND),
            (AT_PHDR, aux.phdr),
            (AT_PHENT, super::elf::PHDR_SIZE as u64),
            (AT_PHNUM, aux.phnum),
            (AT_BASE, aux.base),
            (AT_FLAGS, 0),
            (AT_ENTRY, aux.entry),
            (AT_UID, u64::from(self.uid)),
            (AT_EUID, u64::from(self.euid)),
            (AT_GID, u64::from(self.gid)),
            (AT_EGID, u64::from(self.egid)),
            (AT_SECURE, 0),
            (AT_RANDOM, random),
            (AT_HWCAP2, 0),
            (AT_EXECFN, execfn),
            (AT_PLATFORM, platform),
        ];
        let mut words: Vec<u64> = Vec::new();
        words.push(self.argv.len() as u64);
        words.extend(&pointers[..self.argv.len()]);
        words.push(0);
        words.extend(&pointers[self.argv.len()..]);
        words.push(0);
        for (k, v) in auxv {
            words.extend([k, v]);
        }
        words.extend([AT_NULL, 0]);
        sp &= !15;
        if words.len() % 2 == 1 {
            sp -= 8;
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        push_bytes(mm, &mut sp, &bytes)
    }
}
