//! A fake guest memory for the formatter's unit tests.

use super::TraceMemory;
use std::collections::BTreeMap;

/// Sparse memory mapped in whole 4 KiB pages, like a guest's: bytes not `put` on a
/// mapped page read as zero, and unmapped pages fail.
#[derive(Default)]
pub struct FakeMem {
    bytes: BTreeMap<u64, u8>,
}

impl FakeMem {
    /// Maps `data` at `addr`.
    pub fn put(&mut self, addr: u64, data: &[u8]) {
        let end = addr + data.len() as u64;
        for a in (addr & !0xfff)..((end + 0xfff) & !0xfff) {
            self.bytes.entry(a).or_insert(0);
        }
        for (i, b) in data.iter().enumerate() {
            self.bytes.insert(addr + i as u64, *b);
        }
    }
}

impl TraceMemory for FakeMem {
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        // The formatter must never ask for more than a page at once (bounded reads).
        assert!(len <= 4096, "oversized read of {len} bytes");
        (0..len as u64)
            .map(|i| {
                addr.checked_add(i)
                    .and_then(|a| self.bytes.get(&a).copied())
            })
            .collect()
    }
}
