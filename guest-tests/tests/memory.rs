//! Memory management: brk, mmap/munmap/mprotect, mremap, madvise, sparse mappings, and
//! programs that must die with SIGSEGV (status 139 on both sides).

use guest_tests::{assert_same, Run};

fn checked(name: &str) {
    let native = assert_same(name, &[]);
    native.assert_checks_pass();
    assert_eq!(native.code(), 0, "native run of {name} failed:\n{native}");
}

#[test]
fn brk() {
    checked("brk");
}

#[test]
fn mmap_munmap_mprotect() {
    checked("mmap");
}

#[test]
fn sparse_512mib() {
    let native = assert_same("sparse", &[]);
    assert!(native.stdout_str().contains("sum: 108\n"), "{native}");
}

#[test]
fn mremap() {
    checked("mremap");
}

#[test]
fn madvise_dontneed() {
    checked("madvise");
}

fn segv(name: &str, last_line: &str) {
    let native = assert_same(name, &[]);
    assert_eq!(
        native.code(),
        139,
        "native run of {name} should die with SIGSEGV:\n{native}"
    );
    assert!(native.stdout_str().ends_with(last_line), "{native}");
}

#[test]
fn segv_write_readonly() {
    segv("segv_write_readonly", "read: 0\n");
}

#[test]
fn segv_unmapped() {
    segv("segv_unmapped", "writing to 0x10\n");
}

#[test]
fn segv_after_munmap() {
    segv("segv_after_munmap", "munmap: 0\n");
}

#[test]
fn segv_after_mprotect() {
    segv("segv_after_mprotect", "still readable: 42\n");
}

#[test]
fn segv_exec_nx() {
    segv("segv_exec_nx", "calling a non-executable page\n");
}

#[test]
fn map_count_limit() {
    let native = assert_same("map_count", &[]);
    assert!(
        native.stdout_str().contains("stopped by: ENOMEM(12)\n"),
        "{native}"
    );
}

#[test]
fn grows_down_mappings_and_stack_grow() {
    let native = assert_same("growsdown", &[]);
    native.assert_checks_pass();
}

#[test]
fn private_file_mappings_are_private() {
    let native = assert_same("mmap_file", &[]);
    native.assert_checks_pass();
}

#[test]
fn shared_file_mappings_share_pages_with_read_write_and_each_other() {
    let native = Run::program("shared_file_mapping")
        .in_fixture()
        .assert_same();
    native.assert_checks_pass();
    assert!(
        native
            .stdout_str()
            .contains("the parent's mapping sees the child's store: yes"),
        "{native}"
    );
}

#[test]
fn memory_mapped_without_an_exit_is_registered_with_kvm() {
    // Small mmaps are populated at once, and the syscall server answers them without
    // a VM exit: a frame past a memory-slot boundary must be registered by then.
    guest_tests::assert_same_with_lines("mmap_touch", &["75 MiB mapped and written: yes"]);
}

#[test]
fn sysv_shared_memory_segments() {
    let native = guest_tests::assert_same_with_lines(
        "sysv_shm",
        &[
            "second attachment sees the first: yes",
            "the child saw nattch 4",
            "the parent sees the child's store: yes",
            "after the child: size 10000 mode 600 nattch 2 cpid==me 1 uid==me 1 key==0 1",
            "removed, still attached: size 10000 mode 1640 nattch 1 cpid==me 1 uid==me 1 key==0 1",
            "gone: stat error Invalid argument",
            "IPC_EXCL again: error File exists",
            "key after IPC_RMID: error No such file or directory",
        ],
    );
    native.assert_checks_pass();
}
