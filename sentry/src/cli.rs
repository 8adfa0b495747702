//! The command line: `sentry run [OPTIONS] -- PROGRAM [ARGS...]` and `sentry syscalls`.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand};

use crate::syscall::{lookup, Support};

#[derive(Parser, Debug)]
#[command(
    name = "sentry",
    version,
    about = "Run a Linux x86-64 program in a KVM sandbox whose kernel is the sentry"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run PROGRAM in a new sandbox; exits with its exit status (128+N if killed by signal N).
    Run(RunOptions),
    /// Print every x86-64 syscall with its support level.
    Syscalls,
}

#[derive(Args, Debug, Clone)]
pub struct RunOptions {
    /// Print each syscall to stderr in strace(1)'s format.
    #[arg(long)]
    pub strace: bool,
    /// Print counts of syscalls, VM exits and page faults, and time split, at exit.
    #[arg(long)]
    pub stats: bool,
    /// Host directory the sandbox sees as `/`, read-only (writes stay in memory).
    #[arg(long, default_value = "/")]
    pub root: std::path::PathBuf,
    /// Expose a host directory: HOST:GUEST[:ro|rw] (read-only unless rw). Repeatable.
    #[arg(long = "bind", value_name = "HOST:GUEST[:ro|rw]")]
    pub binds: Vec<crate::fs::Bind>,
    /// Take every syscall through a VM exit: no syscall server thread polling the
    /// guests' mailboxes (slower; for comparison).
    #[arg(long)]
    pub no_syscall_server: bool,
    /// Guest memory size (e.g. 512M, 2G); the guest can never use more.
    #[arg(long, default_value = "2G", value_parser = parse_size)]
    pub memory: u64,
    /// Most processes alive at once in the sandbox (fork fails with EAGAIN beyond).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=200))]
    pub pids: u64,
    /// The program: a path, or a name looked up in $PATH.
    #[arg(required = true)]
    pub program: OsString,
    /// Arguments passed to the program.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

/// Parses `123`, `64K`, `512M`, `2G` into bytes, rounded up to 2 MiB.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: u64 = digits.parse().map_err(|_| format!("invalid size '{s}'"))?;
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err(format!("invalid size unit in '{s}'")),
    };
    const MIN: u64 = 16 << 20;
    const MAX: u64 = 1 << 40;
    let bytes = n
        .checked_shl(shift)
        .filter(|b| b >> shift == n)
        .ok_or_else(|| format!("size '{s}' too large"))?;
    let bytes = bytes.div_ceil(2 << 20) * (2 << 20);
    if !(MIN..=MAX).contains(&bytes) {
        return Err(format!("memory size must be between 16M and 1T, got '{s}'"));
    }
    Ok(bytes)
}

/// `sentry syscalls`: the table, one syscall per line.
pub fn print_syscall_table() {
    println!("{:>4}  {:<24} support", "nr", "name");
    for sysno in syscalls::Sysno::iter() {
        let nr = sysno.id();
        let support = match lookup(nr as u64).map(|d| d.support) {
            Some(Support::Full) => "implemented".to_string(),
            Some(Support::Partial(note)) => format!("partial: {note}"),
            None => "ENOSYS".to_string(),
        };
        println!("{nr:>4}  {:<24} {support}", sysno.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("17M"), Ok(18 << 20));
        assert!(parse_size("1M").is_err());
        assert!(parse_size("99999999999999G").is_err());
        assert!(parse_size("12X").is_err());
    }
}
