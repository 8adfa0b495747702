/* misc_syscalls: smaller calls real programs make, with their errors: getdents (the
 * old layout), readahead, sync_file_range, the mlock family, ioprio_get/ioprio_set,
 * get_robust_list and capget's version handshake. Runs in the harness's fixture copy. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists "." with the old getdents, 200 bytes at a time, sorted (orders differ). */
static void old_getdents(void) {
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    char buf[200], *names[256];
    int count = 0, calls = 0;
    for (;;) {
        long n = syscall(SYS_getdents, dir, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0)
                show("getdents", n);
            break;
        }
        calls++;
        for (long at = 0; at < n;) {
            unsigned short reclen = *(unsigned short *)(buf + at + 16);
            const char *name = buf + at + 18;
            unsigned char type = buf[at + reclen - 1];
            if (count < 256 && asprintf(&names[count], "%s type %u", name, type) > 0)
                count++;
            at += reclen;
        }
    }
    qsort(names, count, sizeof names[0], by_name);
    for (int i = 0; i < count; i++)
        printf("getdents entry: %s\n", names[i]);
    printf("getdents took more than one call: %s\n", calls > 1 ? "yes" : "no");
    errno = 0;
    lseek(dir, 0, SEEK_SET);
    show("getdents buffer too small", syscall(SYS_getdents, dir, buf, 10));
    int file = open("/proc/self/exe", O_RDONLY);
    show("getdents of a file", syscall(SYS_getdents, file, buf, sizeof buf));
    show("getdents bad fd", syscall(SYS_getdents, 999, buf, sizeof buf));
    close(file);
    close(dir);
}

int main(void) {
    old_getdents();

    int fd = open("/proc/self/exe", O_RDONLY), pipes[2];
    pipe(pipes);
    show("readahead", syscall(SYS_readahead, fd, 0, 4096));
    show("readahead bad fd", syscall(SYS_readahead, 999, 0, 4096));
    show("readahead pipe", syscall(SYS_readahead, pipes[0], 0, 4096));
    show("sync_file_range", syscall(SYS_sync_file_range, fd, 0, 4096, SYNC_FILE_RANGE_WRITE));
    show("sync_file_range bad flags", syscall(SYS_sync_file_range, fd, 0, 4096, 8));
    show("sync_file_range negative offset", syscall(SYS_sync_file_range, fd, (long)-1, 4096L, 0));
    show("sync_file_range pipe", syscall(SYS_sync_file_range, pipes[0], 0, 4096, 0));
    show("sync_file_range bad fd", syscall(SYS_sync_file_range, 999, 0, 4096, 0));

    char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("mlock", mlock(p, 4096));
    show("mlock unaligned", mlock(p + 100, 100));
    show("munlock", munlock(p, 4096));
    show("mlock2 MLOCK_ONFAULT", syscall(SYS_mlock2, p, 4096, 1));
    show("mlock2 bad flags", syscall(SYS_mlock2, p, 4096, 2));
    munmap(p + 2 * 4096, 4096);
    show("mlock over a hole", mlock(p, 4 * 4096));
    show("munlock over a hole", munlock(p, 4 * 4096));
    show("mlock of nothing", mlock((void *)0x10000, 4096));
    show("mlock length 0", mlock(p, 0));
    show("mlockall bad flags", mlockall(0));
    show("mlockall unknown flag", mlockall(MCL_CURRENT | 8));
    show("mlockall MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
    show("mlockall", mlockall(MCL_CURRENT));
    show("munlockall", munlockall());

    show("ioprio_get self", syscall(SYS_ioprio_get, 1, 0));
    show("ioprio_set best effort 4", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4));
    show("ioprio_get after set", syscall(SYS_ioprio_get, 1, 0));
    show("ioprio_set bad class", syscall(SYS_ioprio_set, 1, 0, (7 << 13)));
    show("ioprio_get bad which", syscall(SYS_ioprio_get, 9, 0));
    show("ioprio_get no such pid", syscall(SYS_ioprio_get, 1, 999999));

    void *head = NULL;
    size_t len = 0;
    show("get_robust_list", syscall(SYS_get_robust_list, 0, &head, &len));
    printf("robust list set: %s len %zu\n", head ? "yes" : "no", len);
    show("get_robust_list no such pid", syscall(SYS_get_robust_list, 999999, &head, &len));
    show("get_robust_list bad pointer", syscall(SYS_get_robust_list, 0, (void *)8, &len));

    struct __user_cap_header_struct hdr = {.version = 0, .pid = 0};
    show("capget version 0", syscall(SYS_capget, &hdr, NULL));
    printf("preferred version: %#x\n", hdr.version);
    struct __user_cap_data_struct data[2];
    hdr.version = _LINUX_CAPABILITY_VERSION_3;
    show("capget v3", syscall(SYS_capget, &hdr, data));
    hdr.version = _LINUX_CAPABILITY_VERSION_1;
    show("capget v1", syscall(SYS_capget, &hdr, data));
    hdr.version = _LINUX_CAPABILITY_VERSION_3;
    hdr.pid = 999999;
    show("capget no such pid", syscall(SYS_capget, &hdr, data));
    hdr.pid = -1;
    show("capget negative pid", syscall(SYS_capget, &hdr, data));
    return 0;
}
