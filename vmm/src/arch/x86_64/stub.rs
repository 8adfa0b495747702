//! The guest stub: the only code of ours that runs inside the guest. It holds no state
//! and no secrets; each entry turns the event into a VM exit with one `out`, and the
//! VMM resumes the guest by setting its registers (and, after an exception, an `iretq`
//! frame). Hand-encoded because it is a dozen instructions.

use super::layout::{EXCEPTION_PORT, SYSCALL_PORT};

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

/// The user-accessible syscall entry page (`LSTAR` points at its start):
/// `out %al, $SYSCALL_PORT; ud2`. The VMM never resumes at the `ud2`.
pub fn syscall_page() -> [u8; 4096] {
    let mut page = [0xccu8; 4096]; // int3 filler
    let [port, _] = SYSCALL_PORT.to_le_bytes();
    page[..4].copy_from_slice(&[OUT_AL_IMM8, port, UD2[0], UD2[1]]);
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
    fn page_fault_entry_has_no_dummy_error_code() {
        let page = kernel_page();
        let at = (EXCEPTION_ENTRIES_OFFSET + 14 * EXCEPTION_ENTRY_SIZE) as usize;
        assert_eq!(&page[at..at + 4], &[PUSH_IMM8, 14, OUT_AL_IMM8, 0x11]);
        let at = (EXCEPTION_ENTRIES_OFFSET + 6 * EXCEPTION_ENTRY_SIZE) as usize;
        assert_eq!(&page[at..at + 4], &[PUSH_IMM8, 0, PUSH_IMM8, 6]);
    }
}
