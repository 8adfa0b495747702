/* tls: __thread variables (initialised and zero), the FS base, and ARCH_SET_FS/ARCH_GET_GS. */
#include "common.h"
#include <asm/prctl.h>
#include <pthread.h>

__thread int tinit = 42;
__thread long tzero;
__thread char tbuf[8192];
int global = 42;

static long raw2(long nr, long a, long b) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

static unsigned long fake_tcb[64];

/* Switches FS to fake_tcb and back using raw syscalls only (libc needs the real FS). */
__attribute__((noinline)) static void swap_fs(unsigned long real, unsigned long out[3]) {
    fake_tcb[0] = (unsigned long)fake_tcb;
    fake_tcb[2] = 0x1234;
    out[0] = raw2(SYS_arch_prctl, ARCH_SET_FS, (long)fake_tcb);
    raw2(SYS_getppid, 0, 0); /* the FS base must survive a syscall */
    __asm__ volatile("mov %%fs:0, %0\n\tmov %%fs:16, %1" : "=r"(out[1]), "=r"(out[2]));
    raw2(SYS_arch_prctl, ARCH_SET_FS, (long)real);
}

int main(void) {
    printf("initialised TLS: %d\n", tinit);
    printf("zero TLS: %ld\n", tzero);
    int zero = 1;
    for (int i = 0; i < (int)sizeof tbuf; i++) zero &= tbuf[i] == 0;
    YESNO("8 KiB TLS array is zero", zero);
    YESNO("TLS address differs from global", (void *)&tinit != (void *)&global);
    tinit += 1;
    tzero = 7;
    tbuf[100] = 'x';
    printf("after writes: %d %ld %c global=%d\n", tinit, tzero, tbuf[100], global);

    unsigned long fs = 0, self = 0, gs = 1;
    SHOW("ARCH_GET_FS", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    YESNO("fs base == pthread_self()", fs == (unsigned long)pthread_self());
    YESNO("%fs:0 == fs base", self == fs);
    YESNO("TLS block below the TCB", (unsigned long)&tinit < fs);

    unsigned long out[3];
    swap_fs(fs, out);
    printf("ARCH_SET_FS: %ld\n", (long)out[0]);
    YESNO("%fs:0 after ARCH_SET_FS is the new TCB", out[1] == (unsigned long)fake_tcb);
    printf("%%fs:16 after ARCH_SET_FS: %#lx\n", out[2]);
    SHOW("ARCH_GET_FS after restore", syscall(SYS_arch_prctl, ARCH_GET_FS, &self));
    YESNO("fs base restored", self == fs);
    printf("TLS still works: %d\n", tinit);

    SHOW("ARCH_GET_GS", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
    printf("initial gs base: %lu\n", gs);
    SHOW("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, &gs));
    SHOW("ARCH_SET_FS non-canonical", syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL));
    SHOW("ARCH_GET_FS bad pointer", syscall(SYS_arch_prctl, ARCH_GET_FS, BADPTR));
    return 0;
}
