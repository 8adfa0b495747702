//! Sandbox-wide services that a deterministic mode will replace: the clock, the random
//! source and id numbering. Nothing else in the sentry reads host time or randomness.

pub mod clock;
pub mod random;

pub use clock::Clock;
pub use random::RandomSource;

/// Process and thread ids, handed out in order from 1 (the sandbox's first process).
#[derive(Debug)]
pub struct IdAllocator {
    next: i32,
}

impl IdAllocator {
    pub fn new() -> Self {
        IdAllocator { next: 1 }
    }

    pub fn allocate(&mut self) -> i32 {
        let id = self.next;
        self.next += 1;
        id
    }
}

impl Default for IdAllocator {
    fn default() -> Self {
        Self::new()
    }
}
