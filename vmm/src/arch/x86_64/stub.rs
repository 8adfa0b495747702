//! The guest stub: the only code of ours that runs inside the guest. It holds no state
//! and no secrets; each entry turns the event into a VM exit with one `out`, and the
//! VMM resumes the guest by setting its registers (and, after an exception, an `iretq`
//! frame). Hand-encoded because it is a dozen instructions.

use super::layout::{kernel_virt, syscall_entry_phys, EXCEPTION_PORT, SYSCALL_PORT};

/// Offset of the `iretq` trampoline in the supervisor stub page.
pub const IRET_TRAMPOLINE_OFFSET: u64 = 0;
/// Offset of exception entry 0 in the supervisor stub page; entry `v` is at
/// `EXCEPTION_ENTRIES_OFFSET + v * EXCEPTION_ENTRY_SIZE`.
pub const EXCEPTION_ENTRIES_OFFSET: u64 = 0x100;
/// Bytes between two exception entries.
pub const EXCEPTION_ENTRY_SIZE: u64 = 16;
/// Architectural exception vectors (0..32) get an entry each.
pub const EXCEPTION_VECTORS: u8 = 32;

const OUT_AL_IMM8: u8 = 0xe6;
const UD2: [u8; 2] = [0x0f, 0x0b];
const PUSH_IMM8: u8 = 0x6a;
const IRETQ: [u8; 2] = [0x48, 0xcf];

/// Vectors for which the CPU pushes an error code itself.
pub const fn pushes_error_code(vector: u8) -> bool {
    matches!(vector, 8 | 10..=14 | 17 | 21 | 29 | 30)
}

/// Machine code placed at guest address `base`, with short jumps to named points and
/// RIP-relative operands.
struct Code {
    base: u64,
    bytes: Vec<u8>,
    labels: Vec<(&'static str, usize)>,
    jumps: Vec<(usize, &'static str)>,
}

impl Code {
    fn new(base: u64) -> Self {
        Code {
            base,
            bytes: Vec::new(),
            labels: Vec::new(),
            jumps: Vec::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// An instruction `opcode disp32 imm` whose memory operand is `target`, RIP-relative
    /// (the displacement counts from the end of the instruction).
    fn rip_relative(&mut self, opcode: &[u8], target: u64, imm: &[u8]) -> &mut Self {
        self.emit(opcode);
        let end = self.base + (self.bytes.len() + 4 + imm.len()) as u64;
        let disp = i32::try_from(target.wrapping_sub(end) as i64)
            .expect("stub operand out of RIP-relative reach");
        self.emit(&disp.to_le_bytes()).emit(imm)
    }

    fn label(&mut self, name: &'static str) -> &mut Self {
        self.labels.push((name, self.bytes.len()));
        self
    }

    /// A short conditional or unconditional jump (`opcode rel8`) to `target`.
    fn jump(&mut self, opcode: u8, target: &'static str) -> &mut Self {
        self.bytes.extend_from_slice(&[opcode, 0]);
        self.jumps.push((self.bytes.len() - 1, target));
        self
    }

    fn mark(&self, name: &str) -> u64 {
        self.labels
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, at)| *at as u64)
    }

    fn finish(mut self) -> Vec<u8> {
        for (at, target) in &self.jumps {
            let to = self
                .labels
                .iter()
                .find(|(name, _)| name == target)
                .map(|(_, at)| *at)
                .expect("stub jump to an undefined label");
            let rel = i8::try_from(to as isize - (*at as isize + 1))
                .expect("stub jump out of rel8 range");
            self.bytes[*at] = rel as u8;
        }
        self.bytes
    }
}

const JE: u8 = 0x74;
const JNE: u8 = 0x75;

/// The syscall entry code (`LSTAR` points at its start); see `crate::mailbox` for the
/// protocol. The exit path is `out %al, $SYSCALL_PORT` with the registers exactly as
/// `syscall` left them; the VMM never resumes at the `ud2` after it. Each vCPU has its
/// own copy, reaching its own mailbox RIP-relative, so a disabled mailbox costs one
/// compare and is never written.
fn syscall_entry(vcpu: u64) -> (Vec<u8>, SyscallEntryMarks) {
    use crate::mailbox::{mailbox_virt, offset, DONE, IDLE, REQUEST};
    let field = |offset: u8| mailbox_virt(vcpu) + u64::from(offset);
    let arg = |i: u8| field(offset::ARGS + 8 * i);
    let [port, _] = SYSCALL_PORT.to_le_bytes();
    let mut c = Code::new(kernel_virt(syscall_entry_phys(vcpu)));
    c.rip_relative(&[0x83, 0x3d], field(offset::ENABLED), &[0]) // cmpl $0, ENABLED
        .jump(JE, "exit")
        .label("posting")
        .rip_relative(&[0x48, 0x89, 0x05], field(offset::NR), &[]) // mov %rax, NR
        .rip_relative(&[0x48, 0x89, 0x3d], arg(0), &[]) // mov %rdi
        .rip_relative(&[0x48, 0x89, 0x35], arg(1), &[]) // mov %rsi
        .rip_relative(&[0x48, 0x89, 0x15], arg(2), &[]) // mov %rdx
        .rip_relative(&[0x4c, 0x89, 0x15], arg(3), &[]) // mov %r10
        .rip_relative(&[0x4c, 0x89, 0x05], arg(4), &[]) // mov %r8
        .rip_relative(&[0x4c, 0x89, 0x0d], arg(5), &[]) // mov %r9
        .rip_relative(&[0x48, 0x89, 0x0d], field(offset::RIP), &[]) // mov %rcx, RIP
        .rip_relative(&[0x4c, 0x89, 0x1d], field(offset::RFLAGS), &[]) // mov %r11, RFLAGS
        .rip_relative(&[0xc7, 0x05], field(offset::STATE), &REQUEST.to_le_bytes())
        .rip_relative(&[0x8b, 0x0d], field(offset::SPIN_LIMIT), &[]) // mov SPIN_LIMIT, %ecx
        .label("spin")
        .emit(&[0xf3, 0x90]) // pause
        .rip_relative(&[0x44, 0x8b, 0x1d], field(offset::STATE), &[]) // mov STATE, %r11d
        .emit(&[0x41, 0x83, 0xfb, DONE as u8]) // cmp $DONE, %r11d
        .jump(JE, "done")
        .emit(&[0x41, 0x83, 0xfb, REQUEST as u8]) // cmp $REQUEST, %r11d
        .jump(JNE, "restore")
        .emit(&[0xff, 0xc9]) // dec %ecx
        .jump(JNE, "spin")
        .label("restore")
        .rip_relative(&[0x48, 0x8b, 0x0d], field(offset::RIP), &[]) // mov RIP, %rcx
        .rip_relative(&[0x4c, 0x8b, 0x1d], field(offset::RFLAGS), &[]) // mov RFLAGS, %r11
        .rip_relative(&[0x48, 0x8b, 0x05], field(offset::NR), &[]) // mov NR, %rax
        .label("exit")
        .emit(&[OUT_AL_IMM8, port])
        .emit(&UD2)
        // Served: return to the program with the result, its RSP and flags restored.
        // Only at CPL3: at CPL0 this return would stay in supervisor mode.
        .label("done")
        .emit(&[0x8c, 0xc9]) // mov %cs, %ecx
        .emit(&[0xf6, 0xc1, 0x03]) // test $3, %cl
        .jump(JE, "restore")
        .rip_relative(&[0xc7, 0x05], field(offset::STATE), &IDLE.to_le_bytes())
        .label("committed")
        // The two-word stack in the mailbox lets `popfq` load the flags without
        // touching the program's stack; nothing after it changes flags.
        .rip_relative(&[0x4c, 0x8b, 0x1d], field(offset::RFLAGS), &[]) // mov RFLAGS, %r11
        .rip_relative(&[0x4c, 0x89, 0x1d], field(offset::RETURN_STACK), &[]) // mov %r11, RS
        .rip_relative(&[0x48, 0x89, 0x25], field(offset::RETURN_STACK + 8), &[]) // mov %rsp, RS+8
        .label("rsp_saved")
        .rip_relative(&[0x48, 0x8b, 0x0d], field(offset::RIP), &[]) // mov RIP, %rcx
        .rip_relative(&[0x48, 0x8d, 0x25], field(offset::RETURN_STACK), &[]) // lea RS, %rsp
        .rip_relative(&[0x48, 0x8b, 0x05], field(offset::RESULT), &[]) // mov RESULT, %rax
        .emit(&[0x9d]) // popfq
        .emit(&[0x5c]) // pop %rsp
        .emit(&[0xff, 0xe1]) // jmp *%rcx
        .label("end");
    let marks = SyscallEntryMarks {
        posting: c.mark("posting"),
        exit: c.mark("exit"),
        done: c.mark("done"),
        committed: c.mark("committed"),
        rsp_saved: c.mark("rsp_saved"),
        end: c.mark("end"),
    };
    (c.finish(), marks)
}

/// Offsets in the syscall entry that tell what a vCPU stopped inside it had done
/// (`Vcpu::run` turns such a stop into the exit it stands for).
#[derive(Clone, Copy, Debug)]
pub struct SyscallEntryMarks {
    /// Before it: nothing written, the registers are as `syscall` left them.
    pub posting: u64,
    /// From here to `done`: the exit (`out`), the registers as `syscall` left them.
    pub exit: u64,
    /// The served path; before `committed` the mailbox still says DONE.
    pub done: u64,
    /// From here on the call is complete: the mailbox holds the program's state.
    pub committed: u64,
    /// From here on RSP is no longer the program's (it is saved in the mailbox).
    pub rsp_saved: u64,
    /// One past the last instruction.
    pub end: u64,
}

/// The marks of `syscall_page`'s code (the same for every vCPU).
pub fn syscall_entry_marks() -> SyscallEntryMarks {
    static MARKS: std::sync::OnceLock<SyscallEntryMarks> = std::sync::OnceLock::new();
    *MARKS.get_or_init(|| syscall_entry(0).1)
}

/// vCPU `vcpu`'s user-accessible syscall entry page: `syscall_entry`, then `int3`.
pub fn syscall_page(vcpu: u64) -> [u8; 4096] {
    let mut page = [0xccu8; 4096];
    let (code, _) = syscall_entry(vcpu);
    page[..code.len()].copy_from_slice(&code);
    page
}

/// The supervisor stub page: the `iretq` trampoline, then one entry per exception
/// vector: `[push $0;] push $vector; out %al, $EXCEPTION_PORT; ud2`, which leaves
/// `vector, error code, rip, cs, rflags, rsp, ss` on the exception stack.
pub fn kernel_page() -> [u8; 4096] {
    let mut page = [0xccu8; 4096];
    let tramp = IRET_TRAMPOLINE_OFFSET as usize;
    page[tramp..tramp + 2].copy_from_slice(&IRETQ);
    let [port, _] = EXCEPTION_PORT.to_le_bytes();
    for vector in 0..EXCEPTION_VECTORS {
        let mut code = Vec::with_capacity(10);
        if !pushes_error_code(vector) {
            code.extend_from_slice(&[PUSH_IMM8, 0]);
        }
        code.extend_from_slice(&[PUSH_IMM8, vector, OUT_AL_IMM8, port, UD2[0], UD2[1]]);
        let at = (EXCEPTION_ENTRIES_OFFSET + u64::from(vector) * EXCEPTION_ENTRY_SIZE) as usize;
        page[at..at + code.len()].copy_from_slice(&code);
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_entry_marks_are_in_order() {
        let (code, m) = syscall_entry(3);
        assert_eq!(m.end, syscall_entry_marks().end);
        assert!(0 < m.posting && m.posting < m.exit && m.exit < m.done);
        assert!(m.done < m.committed && m.committed < m.rsp_saved && m.rsp_saved < m.end);
        assert_eq!(m.end as usize, code.len());
        // The exit is `out %al, $SYSCALL_PORT`; the last instruction `jmp *%rcx`.
        assert_eq!(code[m.exit as usize], OUT_AL_IMM8);
        assert_eq!(&code[code.len() - 2..], &[0xff, 0xe1]);
    }

    #[test]
    fn page_fault_entry_has_no_dummy_error_code() {
        let page = kernel_page();
        let at = (EXCEPTION_ENTRIES_OFFSET + 14 * EXCEPTION_ENTRY_SIZE) as usize;
        assert_eq!(&page[at..at + 4], &[PUSH_IMM8, 14, OUT_AL_IMM8, 0x11]);
        let at = (EXCEPTION_ENTRIES_OFFSET + 6 * EXCEPTION_ENTRY_SIZE) as usize;
        assert_eq!(&page[at..at + 4], &[PUSH_IMM8, 0, PUSH_IMM8, 6]);
    }
}
