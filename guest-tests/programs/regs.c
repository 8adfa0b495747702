/* regs: a syscall preserves every register Linux preserves (all but rax, rcx, r11), including
 * the full ymm registers and the x87/SSE control words. */
#include "common.h"
#include <stdint.h>

static uint64_t after[12];

/* Loads known values, makes a getpid syscall, and stores the registers into after[]. */
__attribute__((noinline)) static long gprs(void) {
    long ret;
    __asm__ volatile(
        "sub $128, %%rsp\n\t" /* keep clear of the red zone */
        "push %%rbp\n\t"
        "push %%rdi\n\t"
        "mov $0x1111111111111111, %%rbx\n\t"
        "mov $0x2222222222222222, %%rbp\n\t"
        "mov $0x3333333333333333, %%rdx\n\t"
        "mov $0x4444444444444444, %%rsi\n\t"
        "mov $0x5555555555555555, %%r8\n\t"
        "mov $0x6666666666666666, %%r9\n\t"
        "mov $0x7777777777777777, %%r10\n\t"
        "mov $0x8888888888888888, %%r12\n\t"
        "mov $0x9999999999999999, %%r13\n\t"
        "mov $0xaaaaaaaaaaaaaaaa, %%r14\n\t"
        "mov $0xbbbbbbbbbbbbbbbb, %%r15\n\t"
        "mov $0xcccccccccccccccc, %%rdi\n\t"
        "mov $39, %%eax\n\t" /* getpid takes no arguments */
        "syscall\n\t"
        "mov %%rdi, %%rcx\n\t"
        "pop %%rdi\n\t"
        "mov %%rbx, 0(%%rdi)\n\t"
        "mov %%rbp, 8(%%rdi)\n\t"
        "mov %%rdx, 16(%%rdi)\n\t"
        "mov %%rsi, 24(%%rdi)\n\t"
        "mov %%r8, 32(%%rdi)\n\t"
        "mov %%r9, 40(%%rdi)\n\t"
        "mov %%r10, 48(%%rdi)\n\t"
        "mov %%r12, 56(%%rdi)\n\t"
        "mov %%r13, 64(%%rdi)\n\t"
        "mov %%r14, 72(%%rdi)\n\t"
        "mov %%r15, 80(%%rdi)\n\t"
        "mov %%rcx, 88(%%rdi)\n\t"
        "pop %%rbp\n\t"
        "add $128, %%rsp\n\t"
        : "=a"(ret)
        : "D"(after)
        : "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
          "memory", "cc");
    return ret;
}

static const char *names[] = {"rbx", "rbp", "rdx", "rsi", "r8", "r9", "r10",
                              "r12", "r13", "r14", "r15", "rdi"};

__attribute__((target("avx"), noinline)) static int ymm_kept(void) {
    static uint8_t in[16][32] __attribute__((aligned(32))), out[16][32] __attribute__((aligned(32)));
    for (int r = 0; r < 16; r++)
        for (int i = 0; i < 32; i++) in[r][i] = (uint8_t)(r * 32 + i + 1);
#define LD(n) "vmovdqa " #n "*32(%0), %%ymm" #n "\n\t"
#define ST(n) "vmovdqa %%ymm" #n ", " #n "*32(%1)\n\t"
    __asm__ volatile(LD(0) LD(1) LD(2) LD(3) LD(4) LD(5) LD(6) LD(7) LD(8) LD(9) LD(10) LD(11)
                     LD(12) LD(13) LD(14) LD(15)
                     "mov $39, %%eax\n\tsyscall\n\t"
                     ST(0) ST(1) ST(2) ST(3) ST(4) ST(5) ST(6) ST(7) ST(8) ST(9) ST(10) ST(11)
                     ST(12) ST(13) ST(14) ST(15)
                     :
                     : "r"(in), "r"(out)
                     : "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
                       "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
                       "xmm13", "xmm14", "xmm15");
    return memcmp(in, out, sizeof in) == 0;
}

int main(void) {
    uint64_t expect[12] = {0x1111111111111111, 0x2222222222222222, 0x3333333333333333,
                           0x4444444444444444, 0x5555555555555555, 0x6666666666666666,
                           0x7777777777777777, 0x8888888888888888, 0x9999999999999999,
                           0xaaaaaaaaaaaaaaaa, 0xbbbbbbbbbbbbbbbb, 0xcccccccccccccccc};
    long pid = gprs();
    YESNO("syscall returned getpid()", pid == getpid());
    for (int i = 0; i < 12; i++)
        printf("%s preserved: %s\n", names[i], after[i] == expect[i] ? "yes" : "no");

    /* ymm0-15 upper and lower halves; print the same line if the CPU has no AVX */
    YESNO("ymm0-15 preserved", __builtin_cpu_supports("avx") ? ymm_kept() : 1);

    /* x87 control word and MXCSR */
    uint16_t cw = 0x0f7f, cw2 = 0;
    uint32_t mx = 0x3f80 | 0x6000, mx2 = 0, mx_orig;
    __asm__ volatile("stmxcsr %0" : "=m"(mx_orig));
    __asm__ volatile("fldcw %0\n\tldmxcsr %1" : : "m"(cw), "m"(mx));
    syscall(SYS_getppid);
    __asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(cw2), "=m"(mx2));
    __asm__ volatile("ldmxcsr %0" : : "m"(mx_orig));
    printf("x87 control word kept: %#x\n", cw2);
    printf("mxcsr kept: %#x\n", mx2 & ~0x3fU);
    return 0;
}
