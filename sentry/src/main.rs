//! `sentry`: runs an unmodified x86-64 Linux program in a KVM virtual machine whose
//! every syscall and fault is served by this userspace kernel.
#![deny(unsafe_code)]

mod cli;
mod errno;
mod fs;
mod host;
mod kernel;
mod loader;
mod mm;
mod sandbox;
mod services;

mod strace;
mod syscall;

use clap::Parser;

fn main() {
    // A bug in the sentry must still end with one line and a shell-like code.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("sentry: internal error{place}: {msg}");
        std::process::exit(sandbox::EXIT_SANDBOX_FAILURE);
    }));
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error"))
        .format_timestamp_micros()
        .init();
    let cli = cli::Cli::parse();
    let code = match cli.command {
        cli::Command::Run(opts) => sandbox::run(&opts),
        cli::Command::Syscalls => {
            cli::print_syscall_table();
            0
        }
    };
    std::process::exit(code);
}
