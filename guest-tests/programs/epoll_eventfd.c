/* epoll_eventfd: eventfd (counter and semaphore semantics, blocking and non-blocking reads
 * and writes, overflow, flags, poll readiness, what fstat and /proc/self/fd show) and epoll
 * (create flags, every epoll_ctl error, level- versus edge-triggered interests on pipes and
 * eventfds, EPOLLONESHOT, MOD, interests keyed by descriptor and open file, nested
 * instances, maxevents and timeouts, faults, epoll_wait blocking until a forked child
 * writes, EINTR, epoll_pwait's signal mask, epoll_pwait2).
 * Children never print; waits that depend on another process always end with an event, and
 * a "pinger" child signals every 20 ms so an EINTR test never depends on scheduling. */
#include "proc.h"
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

static volatile sig_atomic_t usr1_count;
static void on_usr1(int s) { (void)s; usr1_count++; }

/* A static buffer: low addresses, so that huge maxevents stay below the user limit. */
static struct epoll_event evbuf[64];

static int cmp_data(const void *a, const void *b) {
    uint64_t x = ((const struct epoll_event *)a)->data.u64;
    uint64_t y = ((const struct epoll_event *)b)->data.u64;
    return x < y ? -1 : x > y;
}

/* epoll_wait, then "label: n [0x1 data 7] ..." with the events sorted by data. */
static int show_wait(const char *label, int ep, int max, int timeout) {
    errno = 0;
    int n = epoll_wait(ep, evbuf, max, timeout);
    int e = errno;
    if (n < 0) {
        printf("%s: -1 %s\n", label, ename(e));
        return n;
    }
    qsort(evbuf, n, sizeof evbuf[0], cmp_data);
    printf("%s: %d", label, n);
    for (int i = 0; i < n; i++)
        printf(" [0x%x data %llu]", evbuf[i].events, (unsigned long long)evbuf[i].data.u64);
    printf("\n");
    return n;
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static long efd_read(int fd) {
    uint64_t v = 0;
    long n = read(fd, &v, sizeof v);
    return n == 8 ? (long)v : n;
}

static long efd_write(int fd, uint64_t v) { return write(fd, &v, sizeof v); }

static void show_link(const char *label, int fd) {
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    long n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) { printf("%s: -1 %s\n", label, ename(errno)); return; }
    buf[n] = 0;
    printf("%s: %s\n", label, buf);
}

static void show_poll(const char *label, int fd, short events) {
    struct pollfd p = { fd, events, 0 };
    int n = poll(&p, 1, 0);
    printf("%s: %d revents 0x%x\n", label, n, p.revents);
}

static void eventfd_basics(void) {
    int fd = eventfd(3, 0);
    YESNO("eventfd(3, 0) gives a descriptor", fd >= 0);
    PSHOW("F_GETFL & O_ACCMODE", fcntl(fd, F_GETFL) & O_ACCMODE);
    PSHOW("F_GETFL & O_NONBLOCK", fcntl(fd, F_GETFL) & O_NONBLOCK);
    PSHOW("F_GETFD", fcntl(fd, F_GETFD));
    show_link("readlink /proc/self/fd/N", fd);
    struct stat st;
    PSHOW("fstat", fstat(fd, &st));
    printf("st_mode & 0777: 0%o, st_size %ld, st_nlink %ld\n", st.st_mode & 0777,
           (long)st.st_size, (long)st.st_nlink);
    int fd2 = eventfd(0, 0);
    struct stat st2;
    fstat(fd2, &st2);
    YESNO("two eventfds share the anonymous inode", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    close(fd2);
    show_poll("poll(eventfd holding 3)", fd, POLLIN | POLLOUT);
    PSHOW("read", efd_read(fd));
    show_poll("poll(eventfd holding 0)", fd, POLLIN | POLLOUT);
    PSHOW("write 5", efd_write(fd, 5));
    PSHOW("write 7", efd_write(fd, 7));
    PSHOW("read (sum)", efd_read(fd));
    char small[4] = { 0 };
    PSHOW("read 4 bytes", read(fd, small, 4));
    PSHOW("write 4 bytes", write(fd, small, 4));
    PSHOW("write 0xffffffffffffffff", efd_write(fd, UINT64_MAX));
    uint64_t big[2] = { 0 };
    PSHOW("read into 16 bytes (8 read)", (efd_write(fd, 4), read(fd, big, sizeof big)));
    printf("value read: %llu\n", (unsigned long long)big[0]);
    PSHOW("lseek", lseek(fd, 0, SEEK_CUR));
    errno = 0;
    void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("mmap: %s\n", m == MAP_FAILED ? ename(errno) : "mapped");
    close(fd);

    PSHOW("eventfd2 with flag 0x8", eventfd(0, 0x8));
    PSHOW("eventfd2 with O_APPEND", eventfd(0, O_APPEND));
    fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    PSHOW("EFD_CLOEXEC: F_GETFD", fcntl(fd, F_GETFD));
    PSHOW("EFD_NONBLOCK: F_GETFL", fcntl(fd, F_GETFL));
    PSHOW("non-blocking read of 0", efd_read(fd));
    PSHOW("write 0", efd_write(fd, 0));
    PSHOW("non-blocking read after writing 0", efd_read(fd));
    PSHOW("write 0xfffffffffffffffe", efd_write(fd, UINT64_MAX - 1));
    show_poll("poll(full eventfd)", fd, POLLIN | POLLOUT);
    PSHOW("write 1 to a full eventfd", efd_write(fd, 1));
    PSHOW("write 0 to a full eventfd", efd_write(fd, 0));
    long v = efd_read(fd);
    YESNO("read gives 0xfffffffffffffffe", (uint64_t)v == UINT64_MAX - 1);
    PSHOW("write 0xfffffffffffffffd", efd_write(fd, UINT64_MAX - 2));
    PSHOW("write 2 (would pass the maximum)", efd_write(fd, 2));
    PSHOW("write 1 (reaches the maximum)", efd_write(fd, 1));
    close(fd);

    fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    PSHOW("semaphore read 1", efd_read(fd));
    PSHOW("semaphore read 2", efd_read(fd));
    PSHOW("semaphore read 3", efd_read(fd));
    PSHOW("semaphore read 4", efd_read(fd));
    PSHOW("semaphore write 2", efd_write(fd, 2));
    PSHOW("semaphore read", efd_read(fd));
    close(fd);

    fd = syscall(SYS_eventfd, 9);
    PSHOW("eventfd (old syscall) read", efd_read(fd));
    PSHOW("eventfd (old syscall) F_GETFL", fcntl(fd, F_GETFL));
    close(fd);
}

/* A blocking read waits for a forked child's write; a blocking write waits for room. */
static void eventfd_blocking(void) {
    int fd = eventfd(0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        msleep(20);
        efd_write(fd, 42);
        _exit(0);
    }
    PSHOW("blocking read, a child writes 42 after 20 ms", efd_read(fd));
    wait_show("writer child", pid);

    PSHOW("write 0xfffffffffffffffe", efd_write(fd, UINT64_MAX - 1));
    pid = fork();
    if (pid == 0) {
        msleep(20);
        _exit(efd_read(fd) == (long)(UINT64_MAX - 1) ? 0 : 1);
    }
    PSHOW("blocking write of 5 to a full eventfd, a child reads after 20 ms", efd_write(fd, 5));
    wait_show("reader child", pid);
    PSHOW("then read", efd_read(fd));
    close(fd);
}

static void epoll_create_and_ctl_errors(void) {
    PSHOW("epoll_create(0)", epoll_create(0));
    PSHOW("epoll_create(-1)", epoll_create(-1));
    int ep = epoll_create(1);
    YESNO("epoll_create(1) gives a descriptor", ep >= 0);
    PSHOW("F_GETFD", fcntl(ep, F_GETFD));
    PSHOW("F_GETFL", fcntl(ep, F_GETFL));
    show_link("readlink /proc/self/fd/N", ep);
    close(ep);
    PSHOW("epoll_create1(1)", epoll_create1(1));
    PSHOW("epoll_create1(O_NONBLOCK)", epoll_create1(O_NONBLOCK));
    ep = epoll_create1(EPOLL_CLOEXEC);
    PSHOW("EPOLL_CLOEXEC: F_GETFD", fcntl(ep, F_GETFD));
    char buf[16];
    PSHOW("read from an epoll fd", read(ep, buf, sizeof buf));
    PSHOW("write to an epoll fd", write(ep, buf, sizeof buf));
    PSHOW("lseek on an epoll fd", lseek(ep, 0, SEEK_CUR));

    int p[2];
    pipe(p);
    int efd = eventfd(0, 0);
    PSHOW("ADD bad epfd", add(99, p[0], EPOLLIN, 1));
    PSHOW("ADD bad fd", add(ep, 99, EPOLLIN, 1));
    PSHOW("ADD with a pipe as epfd", add(p[1], p[0], EPOLLIN, 1));
    PSHOW("ADD epfd to itself", add(ep, ep, EPOLLIN, 1));
    int reg = open("/tmp/epoll_eventfd.reg", O_RDWR | O_CREAT | O_TRUNC, 0600);
    PSHOW("ADD a regular file", add(ep, reg, EPOLLIN, 1));
    close(reg);
    unlink("/tmp/epoll_eventfd.reg");
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    PSHOW("ADD a directory", add(ep, dir, EPOLLIN, 1));
    close(dir);
    int dn = open("/dev/null", O_RDWR);
    PSHOW("ADD /dev/null", add(ep, dn, EPOLLIN, 1));
    close(dn);
    int opath = open("/tmp", O_PATH);
    PSHOW("ADD an O_PATH fd", add(ep, opath, EPOLLIN, 1));
    close(opath);
    PSHOW("ADD with a bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], BADPTR));
    PSHOW("MOD not added", mod(ep, p[0], EPOLLIN, 1));
    PSHOW("DEL not added", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    PSHOW("ADD", add(ep, p[0], EPOLLIN, 1));
    PSHOW("ADD again", add(ep, p[0], EPOLLIN, 1));
    PSHOW("unknown op 4", epoll_ctl(ep, 4, p[0], &(struct epoll_event){ 0 }));
    PSHOW("MOD", mod(ep, p[0], EPOLLIN | EPOLLOUT, 2));
    PSHOW("MOD with EPOLLEXCLUSIVE", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 2));
    PSHOW("DEL with a NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    PSHOW("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    PSHOW("ADD EPOLLEXCLUSIVE|EPOLLONESHOT", add(ep, efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 1));
    PSHOW("ADD EPOLLEXCLUSIVE|EPOLLIN", add(ep, efd, EPOLLIN | EPOLLEXCLUSIVE, 1));
    PSHOW("MOD an exclusive interest", mod(ep, efd, EPOLLIN, 1));
    int ep2 = epoll_create1(0);
    PSHOW("ADD an epoll fd with EPOLLEXCLUSIVE", add(ep, ep2, EPOLLIN | EPOLLEXCLUSIVE, 1));
    PSHOW("ADD ep2 to ep", add(ep, ep2, EPOLLIN, 1));
    PSHOW("ADD ep to ep2 (a loop)", add(ep2, ep, EPOLLIN, 1));

    PSHOW("epoll_wait maxevents 0", epoll_wait(ep, evbuf, 0, 0));
    PSHOW("epoll_wait maxevents -1", syscall(SYS_epoll_wait, ep, evbuf, -1, 0));
    PSHOW("epoll_wait maxevents INT_MAX/12+1",
          syscall(SYS_epoll_wait, ep, evbuf, 0x7fffffff / 12 + 1, 0));
    PSHOW("epoll_wait maxevents INT_MAX/12", syscall(SYS_epoll_wait, ep, evbuf, 0x7fffffff / 12, 0));
    PSHOW("epoll_wait bad epfd", epoll_wait(99, evbuf, 1, 0));
    PSHOW("epoll_wait on a pipe", epoll_wait(p[0], evbuf, 1, 0));
    PSHOW("epoll_wait with a kernel address", epoll_wait(ep, (void *)0xffff800000000000UL, 1, 0));
    PSHOW("epoll_wait with nothing ready, timeout 0", epoll_wait(ep, evbuf, 8, 0));
    close(ep2);
    close(ep);
    close(efd);
    close(p[0]);
    close(p[1]);
}

static void level_and_edge_pipe(void) {
    int p[2];
    pipe2(p, O_NONBLOCK);
    char buf[64];
    int lt = epoll_create1(0), et = epoll_create1(0);
    add(lt, p[0], EPOLLIN, 10);
    add(et, p[0], EPOLLIN | EPOLLET, 20);
    show_wait("LT empty pipe", lt, 8, 0);
    show_wait("ET empty pipe", et, 8, 0);
    write(p[1], "abc", 3);
    show_wait("LT after write", lt, 8, 0);
    show_wait("LT again", lt, 8, 0);
    show_wait("ET after write", et, 8, 0);
    show_wait("ET again (no new edge)", et, 8, 0);
    write(p[1], "d", 1);
    show_wait("ET after another write", et, 8, 0);
    show_wait("ET again", et, 8, 0);
    PSHOW("read everything", read(p[0], buf, sizeof buf));
    show_wait("LT drained", lt, 8, 0);
    show_wait("ET drained", et, 8, 0);
    write(p[1], "e", 1);
    show_wait("ET after a write to the drained pipe", et, 8, 0);
    read(p[0], buf, sizeof buf);
    write(p[1], "f", 1);
    show_wait("ET after draining and writing again before waiting", et, 8, 0);

    int out = epoll_create1(0);
    add(out, p[1], EPOLLOUT, 30);
    show_wait("write end, EPOLLOUT", out, 8, 0);
    add(out, p[0], EPOLLIN | EPOLLOUT, 31);
    show_wait("both ends", out, 8, 0);
    close(p[1]);
    show_wait("read end after the writer closed (data left)", lt, 8, 0);
    read(p[0], buf, sizeof buf);
    show_wait("read end after the writer closed, drained", lt, 8, 0);
    show_wait("ET read end after the writer closed", et, 8, 0);

    pipe(p);
    add(out, p[1], EPOLLOUT, 40);
    close(p[0]);
    show_wait("write end after the reader closed", out, 8, 0);
    close(p[1]);
    close(out);
    close(lt);
    close(et);
}

static void level_and_edge_eventfd(void) {
    int fd = eventfd(0, EFD_NONBLOCK);
    int lt = epoll_create1(0), et = epoll_create1(0), out = epoll_create1(0);
    add(lt, fd, EPOLLIN, 1);
    add(et, fd, EPOLLIN | EPOLLET, 2);
    add(out, fd, EPOLLOUT | EPOLLET, 3);
    show_wait("LT eventfd at 0", lt, 8, 0);
    show_wait("ET eventfd at 0", et, 8, 0);
    show_wait("ET EPOLLOUT", out, 8, 0);
    show_wait("ET EPOLLOUT again", out, 8, 0);
    efd_write(fd, 1);
    show_wait("LT after write", lt, 8, 0);
    show_wait("LT again", lt, 8, 0);
    show_wait("ET after write", et, 8, 0);
    show_wait("ET again", et, 8, 0);
    efd_write(fd, 1);
    show_wait("ET after another write (counter was not 0)", et, 8, 0);
    efd_write(fd, 0);
    show_wait("ET after writing 0", et, 8, 0);
    show_wait("ET EPOLLOUT after writes (no new edge)", out, 8, 0);
    PSHOW("read", efd_read(fd));
    show_wait("ET EPOLLOUT after a read", out, 8, 0);
    show_wait("LT after read", lt, 8, 0);
    show_wait("ET after read", et, 8, 0);
    close(fd);

    fd = eventfd(3, EFD_NONBLOCK | EFD_SEMAPHORE);
    int sem = epoll_create1(0);
    add(sem, fd, EPOLLIN | EPOLLET, 4);
    show_wait("ET semaphore holding 3", sem, 8, 0);
    PSHOW("semaphore read", efd_read(fd));
    show_wait("ET after a read that leaves 2 (reads wake writers only)", sem, 8, 0);
    efd_write(fd, 1);
    show_wait("ET after a write", sem, 8, 0);
    close(sem);
    close(fd);
    close(lt);
    close(et);
    close(out);
}

static void oneshot_mod_and_keys(void) {
    int ep = epoll_create1(0);
    int fd = eventfd(0, EFD_NONBLOCK);
    add(ep, fd, EPOLLIN | EPOLLONESHOT, 5);
    show_wait("ONESHOT nothing yet", ep, 8, 0);
    efd_write(fd, 1);
    show_wait("ONESHOT after write", ep, 8, 0);
    show_wait("ONESHOT again (disabled)", ep, 8, 0);
    efd_write(fd, 1);
    show_wait("ONESHOT after another write (still disabled)", ep, 8, 0);
    PSHOW("ADD while disabled", add(ep, fd, EPOLLIN, 5));
    PSHOW("MOD re-arms", mod(ep, fd, EPOLLIN | EPOLLONESHOT, 6));
    show_wait("ONESHOT after MOD", ep, 8, 0);
    PSHOW("MOD to level-triggered with new data", mod(ep, fd, EPOLLIN, 7));
    show_wait("after MOD", ep, 8, 0);
    show_wait("after MOD again", ep, 8, 0);
    PSHOW("MOD to EPOLLOUT only", mod(ep, fd, EPOLLOUT, 8));
    show_wait("EPOLLOUT", ep, 8, 0);
    PSHOW("MOD to no events", mod(ep, fd, 0, 9));
    show_wait("no events", ep, 8, 0);
    PSHOW("MOD to EPOLLET|EPOLLIN", mod(ep, fd, EPOLLIN | EPOLLET, 10));
    show_wait("ET after MOD (ready: reported)", ep, 8, 0);
    show_wait("ET after MOD again", ep, 8, 0);
    PSHOW("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
    show_wait("after DEL", ep, 8, 0);

    /* Interests are keyed by descriptor number and open file: a dup keeps the file open
     * after the descriptor is closed, and the interest goes on reporting. */
    PSHOW("ADD fd", add(ep, fd, EPOLLIN, 11));
    int dupfd = dup(fd);
    close(fd);
    show_wait("after closing fd (a dup keeps the file)", ep, 8, 0);
    PSHOW("DEL the closed fd", epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
    PSHOW("MOD through the dup", mod(ep, dupfd, EPOLLIN, 12));
    int other = eventfd(1, 0);
    YESNO("a new file takes the closed fd number", other == fd);
    PSHOW("ADD the new file under the same number", add(ep, other, EPOLLIN, 13));
    show_wait("both", ep, 8, 0);
    close(dupfd);
    show_wait("after closing the dup (the first interest is gone)", ep, 8, 0);
    close(other);
    show_wait("after closing everything", ep, 8, 0);
    close(ep);
}

static void many_and_nested(void) {
    int ep = epoll_create1(0);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = eventfd(1, EFD_NONBLOCK);
        add(ep, fds[i], EPOLLIN, 100 + i);
    }
    show_wait("three ready", ep, 8, 0);
    uint64_t seen = 0;
    for (int i = 0; i < 3; i++) {
        if (epoll_wait(ep, evbuf, 1, 0) == 1) seen |= 1u << (evbuf[0].data.u64 - 100);
    }
    YESNO("maxevents 1 three times: each reported once (round robin)", seen == 7);
    show_wait("maxevents 2", ep, 2, 0);

    int outer = epoll_create1(0);
    int inner = epoll_create1(0);
    int fd = eventfd(0, EFD_NONBLOCK);
    add(inner, fd, EPOLLIN, 200);
    PSHOW("ADD inner epoll to outer", add(outer, inner, EPOLLIN, 300));
    show_wait("outer, inner not ready", outer, 8, 0);
    show_poll("poll(inner epoll), not ready", inner, POLLIN | POLLOUT);
    efd_write(fd, 1);
    show_poll("poll(inner epoll), ready", inner, POLLIN | POLLOUT);
    show_wait("outer, inner ready", outer, 8, 0);
    show_wait("inner", inner, 8, 0);
    efd_read(fd);
    show_wait("outer, inner drained", outer, 8, 0);

    /* Blocking in the outer instance until a child writes to the eventfd. */
    pid_t pid = fork();
    if (pid == 0) {
        msleep(20);
        efd_write(fd, 1);
        _exit(0);
    }
    show_wait("outer blocks until a child writes to the inner eventfd", outer, 8, -1);
    wait_show("child", pid);
    close(fd);
    close(inner);
    close(outer);
    for (int i = 0; i < 3; i++) close(fds[i]);
    close(ep);
}

static void faults(void) {
    int ep = epoll_create1(0);
    int fd = eventfd(1, EFD_NONBLOCK);
    add(ep, fd, EPOLLIN | EPOLLONESHOT, 77);
    PSHOW("epoll_wait into an unmapped buffer, timeout 0", epoll_wait(ep, BADPTR, 1, 0));
    show_wait("the one-shot event was not lost", ep, 8, 0);
    show_wait("and then it is disabled", ep, 8, 0);
    int empty = epoll_create1(0);
    PSHOW("nothing ready, unmapped buffer", epoll_wait(empty, BADPTR, 1, 0));
    close(empty);
    close(fd);
    close(ep);
}

static void blocking(void) {
    int p[2];
    pipe(p);
    int ep = epoll_create1(0);
    add(ep, p[0], EPOLLIN, 50);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    show_wait("timeout 30 ms with nothing ready", ep, 8, 30);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    YESNO("waited at least 25 ms", ms >= 25);

    pid_t pid = fork();
    if (pid == 0) {
        msleep(20);
        write(p[1], "x", 1);
        _exit(0);
    }
    show_wait("blocks until a child writes after 20 ms", ep, 8, -1);
    wait_show("writer child", pid);
    char c;
    read(p[0], &c, 1);

    /* A child adds a file to the shared instance while the parent waits. */
    int efd = eventfd(0, 0);
    pid = fork();
    if (pid == 0) {
        msleep(20);
        add(ep, efd, EPOLLIN, 51);
        msleep(20);
        efd_write(efd, 1);
        _exit(0);
    }
    show_wait("a child adds an eventfd to the shared instance, then writes", ep, 8, -1);
    wait_show("child", pid);
    epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL);
    close(efd);

    /* The writer closes: the reader sees EPOLLHUP. */
    pid = fork();
    if (pid == 0) {
        msleep(20);
        _exit(0);
    }
    close(p[1]);
    show_wait("blocks until the last writer (a child) exits", ep, 8, -1);
    wait_show("child", pid);
    close(p[0]);
    close(ep);
}

static pid_t start_pinger(int *stop) {
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        for (;;) {
            struct pollfd pfd = { p[0], POLLIN, 0 };
            if (poll(&pfd, 1, 20) != 0) _exit(0);
            kill(getppid(), SIGUSR1);
        }
    }
    close(p[0]);
    *stop = p[1];
    return pid;
}

static void stop_pinger(pid_t pid, int stop) {
    close(stop);
    int st;
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {}
}

static void signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    int p[2];
    pipe(p);
    int ep = epoll_create1(0);
    add(ep, p[0], EPOLLIN, 60);

    int stop;
    pid_t pinger = start_pinger(&stop);
    usr1_count = 0;
    PSHOW("epoll_wait interrupted by a signal (SA_RESTART does not restart it)",
          epoll_wait(ep, evbuf, 8, -1));
    YESNO("the handler ran", usr1_count > 0);
    usr1_count = 0;
    errno = 0;
    int r = syscall(SYS_epoll_pwait2, ep, evbuf, 8, NULL, NULL, 8);
    printf("epoll_pwait2 without a timeout, interrupted: %d %s\n", r, ename(errno));
    stop_pinger(pinger, stop);

    /* epoll_pwait with SIGUSR1 blocked: a child sends SIGUSR1, then writes 40 ms later.
     * The signal waits, the write ends the wait, and the signal is handled once the old
     * mask is back (or before the call, if it came first: the output is the same). */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    usr1_count = 0;
    pid_t writer = fork();
    if (writer == 0) {
        kill(getppid(), SIGUSR1);
        msleep(40);
        write(p[1], "x", 1);
        _exit(0);
    }
    PSHOW("epoll_pwait with SIGUSR1 blocked, a child signals then writes",
          epoll_pwait(ep, evbuf, 8, -1, &block));
    YESNO("SIGUSR1 handled after epoll_pwait returned", usr1_count > 0);
    wait_show("writer child", writer);
    sigprocmask(SIG_SETMASK, NULL, &old);
    YESNO("SIGUSR1 not blocked afterwards", !sigismember(&old, SIGUSR1));
    PSHOW("epoll_pwait with a bad sigset size",
          syscall(SYS_epoll_pwait, ep, evbuf, 8, 0, &block, 4));
    PSHOW("epoll_pwait with a bad sigset pointer", syscall(SYS_epoll_pwait, ep, evbuf, 8, 0, BADPTR, 8));

    struct timespec ts = { 0, 30 * 1000000 };
    PSHOW("epoll_pwait2 with 30 ms, data ready", syscall(SYS_epoll_pwait2, ep, evbuf, 8, &ts, NULL, 8));
    char c;
    read(p[0], &c, 1);
    PSHOW("epoll_pwait2 with 30 ms, nothing ready", syscall(SYS_epoll_pwait2, ep, evbuf, 8, &ts, NULL, 8));
    struct timespec bad = { 0, 1000000000 };
    PSHOW("epoll_pwait2 with tv_nsec 1e9", syscall(SYS_epoll_pwait2, ep, evbuf, 8, &bad, NULL, 8));
    struct timespec neg = { -1, 0 };
    PSHOW("epoll_pwait2 with tv_sec -1", syscall(SYS_epoll_pwait2, ep, evbuf, 8, &neg, NULL, 8));
    PSHOW("epoll_pwait2 with a bad timeout pointer", syscall(SYS_epoll_pwait2, ep, evbuf, 8, BADPTR, NULL, 8));
    struct timespec zero = { 0, 0 };
    PSHOW("epoll_pwait2 with a zero timeout", syscall(SYS_epoll_pwait2, ep, evbuf, 8, &zero, NULL, 8));
    close(ep);
    close(p[0]);
    close(p[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    eventfd_basics();
    eventfd_blocking();
    epoll_create_and_ctl_errors();
    level_and_edge_pipe();
    level_and_edge_eventfd();
    oneshot_mod_and_keys();
    many_and_nested();
    faults();
    blocking();
    signals();
    printf("done\n");
    return 0;
}
