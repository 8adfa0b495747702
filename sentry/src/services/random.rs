//! The sandbox's random source, behind getrandom(2), AT_RANDOM and later /dev/urandom.

/// Where random bytes come from.
#[derive(Debug, Default)]
pub struct RandomSource;

impl RandomSource {
    /// Fills `buf` with random bytes.
    pub fn fill(&self, buf: &mut [u8]) {
        if let Err(e) = crate::host::getrandom(buf) {
            // The host's getrandom only fails on invalid arguments; never hand out
            // predictable bytes silently.
            log::error!("host getrandom failed: {e}");
            std::process::exit(70);
        }
    }
}
