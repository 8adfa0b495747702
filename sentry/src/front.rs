//! `sentry run` as two host processes. The process the user started (the front) forks
//! the sandbox first thing and then only waits for the exit status, which the sandbox
//! sends just before it exits. Tearing down a KVM VM (the MMU notifier of its address
//! space, memory slots, KVM's worker thread) takes most of a millisecond here, as long
//! as a small program's whole run: the sandbox does it after the front has reported.
//!
//! Signals: the front forwards the ones a process sent to it (`kill`) to the sandbox,
//! which forwards them to the guest. Those a terminal sends (Ctrl-C) reach the whole
//! process group, so the sandbox has them already. If the front dies, the kernel
//! kills the sandbox (PR_SET_PDEATHSIG).

use std::io::{Read, Write};

use crate::host;
use crate::sandbox::EXIT_SANDBOX_FAILURE;

/// Where the sandbox process sends its exit status.
pub struct StatusPipe(std::io::PipeWriter);

impl StatusPipe {
    /// Sends the exit status after closing the standard streams, so that readers of
    /// the output and waiters on `sentry` both finish now.
    pub fn report(mut self, code: i32) {
        host::close_standard_streams();
        let _ = self.0.write_all(&[code.clamp(0, 255) as u8]);
    }
}

/// Splits off the sandbox process. Returns in the sandbox (with the pipe to report
/// through); in the front, never returns: it exits with the sandbox's status. Must
/// run before any thread exists. If the split fails, the sandbox runs in this process.
pub fn split() -> Option<StatusPipe> {
    // Blocked before the fork so that the sandbox inherits the mask too (its own
    // forwarding thread takes them from there).
    if let Err(e) = host::block_forwarded_signals() {
        log::debug!("no front process: {e}");
        return None;
    }
    let (mut reader, writer) = match std::io::pipe() {
        Ok(pipe) => pipe,
        Err(e) => {
            log::debug!("no front process: {e}");
            return None;
        }
    };
    let front = host::pid();
    match host::fork() {
        Ok(None) => {
            drop(reader);
            host::die_with_parent(front);
            Some(StatusPipe(writer))
        }
        Ok(Some(sandbox)) => {
            drop(writer);
            forward_signals_to(sandbox);
            let mut code = [0u8; 1];
            let status = match reader.read(&mut code) {
                Ok(1) => i32::from(code[0]),
                // The sandbox ended without reporting (it crashed or was killed).
                _ => host::wait_child(sandbox).unwrap_or(EXIT_SANDBOX_FAILURE),
            };
            std::process::exit(status);
        }
        Err(e) => {
            log::debug!("no front process: {e}");
            None
        }
    }
}

/// Forwards signals processes send to the front to the sandbox process.
fn forward_signals_to(sandbox: u32) {
    let spawned = std::thread::Builder::new()
        .name("front-signals".into())
        .spawn(move || {
            while let Ok((signo, from_process)) = host::wait_forwarded_signal_info() {
                if from_process {
                    host::kill(sandbox, signo);
                }
            }
        });
    if let Err(e) = spawned {
        log::warn!("signals sent to sentry will not reach the sandbox: {e}");
    }
}
