/* common.h: helpers shared by the guest test programs (printing results with exact errnos). */
#ifndef GT_COMMON_H
#define GT_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

/* "EINVAL(22)" for the errnos these tests expect; the number alone otherwise. */
static inline const char *errname(int e) {
    static char buf[32];
    switch (e) {
    case EPERM: return "EPERM(1)";
    case ENOENT: return "ENOENT(2)";
    case EINTR: return "EINTR(4)";
    case EBADF: return "EBADF(9)";
    case EAGAIN: return "EAGAIN(11)";
    case ENOMEM: return "ENOMEM(12)";
    case EACCES: return "EACCES(13)";
    case EFAULT: return "EFAULT(14)";
    case EEXIST: return "EEXIST(17)";
    case EINVAL: return "EINVAL(22)";
    case ENOTTY: return "ENOTTY(25)";
    case ESPIPE: return "ESPIPE(29)";
    case ENOSYS: return "ENOSYS(38)";
    case ENXIO: return "ENXIO(6)";
    case E2BIG: return "E2BIG(7)";
    case EBUSY: return "EBUSY(16)";
    case EXDEV: return "EXDEV(18)";
    case ENODEV: return "ENODEV(19)";
    case ENOTDIR: return "ENOTDIR(20)";
    case EISDIR: return "EISDIR(21)";
    case EMFILE: return "EMFILE(24)";
    case ETXTBSY: return "ETXTBSY(26)";
    case EFBIG: return "EFBIG(27)";
    case ENOSPC: return "ENOSPC(28)";
    case EROFS: return "EROFS(30)";
    case EMLINK: return "EMLINK(31)";
    case ERANGE: return "ERANGE(34)";
    case ENAMETOOLONG: return "ENAMETOOLONG(36)";
    case ENOTEMPTY: return "ENOTEMPTY(39)";
    case ELOOP: return "ELOOP(40)";
    case EOVERFLOW: return "EOVERFLOW(75)";
    case EOPNOTSUPP: return "EOPNOTSUPP(95)";
    }
    snprintf(buf, sizeof buf, "errno %d", e);
    return buf;
}

/* Prints "label: VALUE" or "label: -1 ERRNAME" (VALUE must be deterministic). */
#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ == -1) printf("%s: -1 %s\n", label, errname(e_)); \
    else printf("%s: %ld\n", label, r_); \
} while (0)

/* Prints "label: ok" or "label: -1 ERRNAME", for calls returning addresses and the like. */
#define SHOW_OK(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ == -1) printf("%s: -1 %s\n", label, errname(e_)); \
    else printf("%s: ok\n", label); \
} while (0)

#define YESNO(label, cond) printf("%s: %s\n", label, (cond) ? "yes" : "no")

#define PAGE 4096UL

/* An address that is never mapped, hidden from the compiler's bounds warnings. */
static void *volatile bad_ptr_ = (void *)16;
#define BADPTR ((void *)bad_ptr_)

#endif
