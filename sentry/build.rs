//! Builds the guest vDSO (vdso/vdso.c) into a small shared object that the sentry
//! maps into every process. It needs a C compiler (gcc, as the README's setup installs).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("vdso.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    println!("cargo:rerun-if-changed=vdso/vdso.c");
    println!("cargo:rerun-if-changed=vdso/vdso.lds");
    println!("cargo:rerun-if-changed=vdso/layout.lds");
    println!("cargo:rerun-if-env-changed=CC");
    let status = Command::new(&cc)
        .args([
            "-O2",
            "-fPIC",
            "-shared",
            "-nostdlib",
            "-fno-stack-protector",
            "-fno-asynchronous-unwind-tables",
            "-fno-exceptions",
            "-Wl,-soname=linux-vdso.so.1",
            "-Wl,--hash-style=both",
            "-Wl,--version-script=vdso/vdso.lds",
            "-Wl,-T,vdso/layout.lds",
            "-Wl,-z,max-page-size=4096",
            "-Wl,-z,noexecstack",
            "-Wl,--build-id=none",
            "-o",
        ])
        .arg(&out)
        .arg("vdso/vdso.c")
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("building the vDSO with {cc} failed ({s}); run scripts/setup.sh"),
        Err(e) => {
            panic!("cannot run the C compiler {cc} to build the vDSO: {e}; run scripts/setup.sh")
        }
    }
}
