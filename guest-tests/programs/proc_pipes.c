/* proc_pipes: pipes between processes. Capacity (F_GETPIPE_SZ, non-blocking fills, partial
 * and atomic writes, F_SETPIPE_SZ), 1 MiB streamed through a pipe in both directions with
 * blocking reads and writes, EOF only after every writer (including a child's copy) is
 * closed, EPIPE, poll/select across processes, FIONREAD, a two-child pipeline built with
 * dup2 + execve, and a FIFO's blocking open rendezvous between two processes.
 * Arguments name sections to run alone (`proc_pipes fifo`); without any, all run. */
#include "proc.h"
#include <sys/ioctl.h>
#include <sys/select.h>

extern char **environ;
static const char *self;

static unsigned char pattern(long i) { return (unsigned char)((i * 31 + 7) % 251); }

static int set_nonblock(int fd, int on) {
    int fl = fcntl(fd, F_GETFL);
    return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* ---- modes of the exec'd copy ---- */

/* Writes `lines` numbered lines to stdout. */
static int produce(long lines) {
    char buf[32];
    for (long i = 1; i <= lines; i++) {
        int n = snprintf(buf, sizeof buf, "line %ld\n", i);
        if (write_full(1, buf, n) != n) return 1;
    }
    return 0;
}

/* Counts stdin's lines and bytes, prints them. */
static int consume(void) {
    char buf[1000];
    long n, lines = 0, bytes = 0;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        bytes += n;
        for (long i = 0; i < n; i++) lines += buf[i] == '\n';
    }
    printf("consumer: %ld lines, %ld bytes, last read %ld\n", lines, bytes, n);
    return 0;
}

/* ---- sections ---- */

static void capacity(void) {
    int p[2];
    if (pipe(p)) { printf("pipe: %s\n", ename(errno)); return; }
    PSHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    PSHOW("F_GETPIPE_SZ of the write end", fcntl(p[1], F_GETPIPE_SZ));
    set_nonblock(p[0], 1);
    set_nonblock(p[1], 1);
    static char buf[70000];
    PSHOW("non-blocking read of an empty pipe", read(p[0], buf, 10));
    PSHOW("write 65536 bytes", write(p[1], buf, 65536));
    PSHOW("write 1 more byte", write(p[1], buf, 1));
    int avail = -1;
    PSHOW("FIONREAD", ioctl(p[0], FIONREAD, &avail));
    printf("FIONREAD says %d\n", avail);
    struct pollfd pfd = { p[1], POLLOUT, 0 };
    PSHOW("poll(write end of a full pipe, 0 ms)", poll(&pfd, 1, 0));
    PSHOW("read 4096 bytes", read(p[0], buf, 4096));
    pfd.revents = 0;
    PSHOW("poll(write end) after reading a page", poll(&pfd, 1, 0));
    printf("revents 0x%x\n", pfd.revents);
    PSHOW("write 4096 bytes", write(p[1], buf, 4096));
    PSHOW("write 1 more byte", write(p[1], buf, 1));
    long total = 0, n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
    printf("drained %ld bytes, then: %s\n", total, n < 0 ? ename(errno) : "EOF");

    /* A large non-blocking write into a pipe that has some room is partial: Linux keeps page
     * buffers, and a write merges into the last one only its tail (len % 4096), so here it
     * fills the 15 free pages (61440), not the 65436 free bytes. */
    PSHOW("write 100 bytes", write(p[1], buf, 100));
    PSHOW("non-blocking write of 65536 into a pipe holding 100", write(p[1], buf, 65536));
    while (read(p[0], buf, sizeof buf) > 0) {}
    PSHOW("write 65436 bytes", write(p[1], buf, 65436));
    PSHOW("write 200 bytes (atomic, 100 free in the last page)", write(p[1], buf, 200));
    PSHOW("write 100 bytes (fits the last page)", write(p[1], buf, 100));
    PSHOW("FIONREAD", (ioctl(p[0], FIONREAD, &avail), avail));
    while (read(p[0], buf, sizeof buf) > 0) {}

    /* F_SETPIPE_SZ rounds up to a power-of-two number of pages. */
    PSHOW("F_SETPIPE_SZ 4096", fcntl(p[1], F_SETPIPE_SZ, 4096));
    PSHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    PSHOW("write 4096 bytes", write(p[1], buf, 4096));
    PSHOW("write 1 more byte", write(p[1], buf, 1));
    PSHOW("F_SETPIPE_SZ 0 (rounds up to a page)", fcntl(p[1], F_SETPIPE_SZ, 0));
    PSHOW("F_SETPIPE_SZ 5000", fcntl(p[1], F_SETPIPE_SZ, 5000));
    PSHOW("F_SETPIPE_SZ 12289", fcntl(p[1], F_SETPIPE_SZ, 12289));
    PSHOW("write 8192 bytes", write(p[1], buf, 8192));
    PSHOW("F_SETPIPE_SZ 4096 while holding 12288 bytes", fcntl(p[1], F_SETPIPE_SZ, 4096));
    PSHOW("F_SETPIPE_SZ 65536", fcntl(p[1], F_SETPIPE_SZ, 65536));
    PSHOW("F_SETPIPE_SZ -1", fcntl(p[1], F_SETPIPE_SZ, -1));
    int dfd = open("/", O_RDONLY | O_DIRECTORY);
    PSHOW("F_GETPIPE_SZ of a directory fd", fcntl(dfd, F_GETPIPE_SZ));
    close(dfd);
    close(p[0]);
    close(p[1]);

    /* pipe2 flags. */
    PSHOW("pipe2(O_NONBLOCK|O_CLOEXEC)", pipe2(p, O_NONBLOCK | O_CLOEXEC));
    YESNO("read end O_NONBLOCK", fcntl(p[0], F_GETFL) & O_NONBLOCK);
    YESNO("write end O_NONBLOCK", fcntl(p[1], F_GETFL) & O_NONBLOCK);
    YESNO("read end O_RDONLY", (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    YESNO("write end O_WRONLY", (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    PSHOW("F_GETFD", fcntl(p[0], F_GETFD));
    PSHOW("write to the read end", write(p[0], "x", 1));
    PSHOW("read from the write end", read(p[1], buf, 1));
    PSHOW("lseek on a pipe", lseek(p[0], 0, SEEK_CUR));
    PSHOW("pread on a pipe", pread(p[0], buf, 1, 0));
    PSHOW("pipe2 bad flags", pipe2(p, O_APPEND));
    close(p[0]);
    close(p[1]);
}

static void streams(void) {
    const long total = 1 << 20;
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        static unsigned char chunk[7919];
        long sent = 0;
        while (sent < total) {
            long n = total - sent < (long)sizeof chunk ? total - sent : (long)sizeof chunk;
            for (long i = 0; i < n; i++) chunk[i] = pattern(sent + i);
            if (write_full(p[1], chunk, n) != n) _exit(1);
            sent += n;
        }
        _exit(0);
    }
    close(p[1]);
    static unsigned char buf[3000];
    long got = 0, bad = 0, n, reads = 0;
    while ((n = read(p[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < n; i++) bad += buf[i] != pattern(got + i);
        got += n;
        reads++;
    }
    printf("child -> parent: read %ld bytes, last read %ld, every byte right: %s\n", got, n,
           bad == 0 ? "yes" : "no");
    YESNO("more than one read was needed", reads > 1);
    close(p[0]);
    wait_show("writer child", pid);

    /* Parent -> child, in one big blocking write the child drains in small reads. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[1]);
        static unsigned char in[1000];
        long got = 0, bad = 0, n;
        while ((n = read(p[0], in, sizeof in)) > 0) {
            for (long i = 0; i < n; i++) bad += in[i] != pattern(got + i);
            got += n;
        }
        _exit(got == total && bad == 0 && n == 0 ? 0 : 1);
    }
    close(p[0]);
    static unsigned char out[1 << 20];
    for (long i = 0; i < total; i++) out[i] = pattern(i);
    PSHOW("single blocking write of 1 MiB", write(p[1], out, total));
    close(p[1]);
    wait_show("reader child (0: got all of it)", pid);
}

static void eof_tests(void) {
    int p[2], go[2];
    pipe(p);
    pipe(go);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(p[0]);
        char c;
        read(go[0], &c, 1); /* holds p[1] open until the parent closes go */
        _exit(0);
    }
    close(go[0]);
    close(p[1]);
    char buf[16];
    set_nonblock(p[0], 1);
    PSHOW("read with the child still holding a write end", read(p[0], buf, sizeof buf));
    struct pollfd pfd = { p[0], POLLIN, 0 };
    PSHOW("poll(0 ms) with a writer left", poll(&pfd, 1, 0));
    set_nonblock(p[0], 0);
    close(go[1]);
    PSHOW("blocking read after the last writer exits", read(p[0], buf, sizeof buf));
    pfd.revents = 0;
    PSHOW("poll after EOF", poll(&pfd, 1, 0));
    printf("revents 0x%x (POLLHUP=0x%x)\n", pfd.revents, POLLHUP);
    wait_show("child holding the write end", pid);
    close(p[0]);

    /* Data written before the writer exits is still read, then EOF. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        write(p[1], "last words", 10);
        _exit(0);
    }
    close(p[1]);
    wait_show("writer child", pid);
    pfd.fd = p[0];
    pfd.revents = 0;
    PSHOW("poll with data and no writer", poll(&pfd, 1, 0));
    printf("revents 0x%x\n", pfd.revents);
    memset(buf, 0, sizeof buf);
    PSHOW("read", read(p[0], buf, sizeof buf));
    printf("got \"%s\"\n", buf);
    PSHOW("read again: EOF", read(p[0], buf, sizeof buf));
    close(p[0]);

    /* No reader left: EPIPE (SIGPIPE ignored), POLLERR on the write end. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[1]);
        _exit(0); /* the child's copy of the read end goes away */
    }
    close(p[0]);
    wait_show("reader child", pid);
    signal(SIGPIPE, SIG_IGN);
    PSHOW("write with no reader", write(p[1], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    pfd.fd = p[1];
    pfd.events = POLLOUT;
    pfd.revents = 0;
    PSHOW("poll(write end, no reader)", poll(&pfd, 1, 0));
    printf("revents 0x%x (POLLOUT|POLLERR=0x%x)\n", pfd.revents, POLLOUT | POLLERR);
    close(p[1]);
}

static void poll_tests(void) {
    int p[2], go[2];
    pipe(p);
    pipe(go);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        close(go[1]);
        msleep(20);
        write(p[1], "ping", 4);
        char c;
        read(go[0], &c, 1); /* keeps the write end open until the parent has polled */
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    struct pollfd pfd = { p[0], POLLIN, 0 };
    PSHOW("poll(read end, 5000 ms) until the child writes", poll(&pfd, 1, 5000));
    printf("revents 0x%x (POLLIN=0x%x)\n", pfd.revents, POLLIN);
    int avail = -1;
    ioctl(p[0], FIONREAD, &avail);
    printf("FIONREAD: %d\n", avail);
    close(go[1]);
    wait_show("poll child", pid);
    char buf[8];
    PSHOW("read", read(p[0], buf, sizeof buf));
    close(p[0]);

    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        msleep(20);
        write(p[1], "sel", 3);
        _exit(0);
    }
    close(p[1]);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = { 5, 0 };
    PSHOW("select(read end, 5 s) until the child writes", select(p[0] + 1, &rd, NULL, NULL, &tv));
    YESNO("read end set", FD_ISSET(p[0], &rd));
    wait_show("select child", pid);
    close(p[0]);

    /* A child closing its end wakes a poller with POLLHUP. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        msleep(20);
        _exit(0);
    }
    close(p[1]);
    pfd.fd = p[0];
    pfd.revents = 0;
    PSHOW("poll(read end, 5000 ms) until the writer exits", poll(&pfd, 1, 5000));
    printf("revents 0x%x\n", pfd.revents);
    wait_show("exiting child", pid);
    close(p[0]);

    /* Two children writing into one pipe (small writes are atomic). */
    pipe(p);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            close(p[0]);
            char rec[64];
            memset(rec, 'a' + k, sizeof rec);
            for (int i = 0; i < 200; i++) write(p[1], rec, sizeof rec);
            _exit(0);
        }
    }
    close(p[1]);
    char rec[64];
    long recs[2] = { 0, 0 }, torn = 0, n;
    while ((n = read_full(p[0], rec, sizeof rec)) == (long)sizeof rec) {
        int k = rec[0] - 'a';
        for (int i = 1; i < 64; i++) torn += rec[i] != rec[0];
        if (k == 0 || k == 1) recs[k]++;
        else torn++;
    }
    printf("two writers: %ld and %ld records, torn: %ld, tail %ld\n", recs[0], recs[1], torn, n);
    close(p[0]);
    wait_show("writer a", kids[0]);
    wait_show("writer b", kids[1]);
}

static void pipeline(void) {
    /* producer | consumer, both exec'd copies of this program, wired with dup2. */
    int p[2];
    pipe(p);
    pid_t a = fork();
    if (a == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char *args[] = { (char *)self, "produce", "5000", NULL };
        execve(self, args, environ);
        _exit(127);
    }
    pid_t b = fork();
    if (b == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        char *args[] = { (char *)self, "consume", NULL };
        execve(self, args, environ);
        _exit(127);
    }
    close(p[0]);
    close(p[1]);
    int sa = 0, sb = 0;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0); /* the consumer printed before this returned */
    printf("producer: %s\n", status_str(sa));
    printf("consumer: %s\n", status_str(sb));

    /* The consumer exits early: the producer dies of SIGPIPE. */
    pipe(p);
    a = fork();
    if (a == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char *args[] = { (char *)self, "produce", "1000000", NULL };
        execve(self, args, environ);
        _exit(127);
    }
    close(p[1]);
    char buf[100];
    PSHOW("read 100 bytes of the producer's output", read_full(p[0], buf, sizeof buf));
    close(p[0]);
    waitpid(a, &sa, 0);
    printf("producer after the reader closed: %s\n", status_str(sa));
}

static void fifo_tests(void) {
    char dir[] = "/tmp/proc_pipes.XXXXXX";
    if (!mkdtemp(dir)) { printf("mkdtemp: %s\n", ename(errno)); return; }
    char path[64];
    snprintf(path, sizeof path, "%s/fifo", dir);
    PSHOW("mkfifo", mkfifo(path, 0600));
    PSHOW("mkfifo again", mkfifo(path, 0600));
    struct stat st;
    stat(path, &st);
    YESNO("S_ISFIFO", S_ISFIFO(st.st_mode));
    printf("mode %o, size %ld\n", st.st_mode & 07777, (long)st.st_size);
    PSHOW("open(O_WRONLY|O_NONBLOCK) with no reader", open(path, O_WRONLY | O_NONBLOCK));
    int rfd = open(path, O_RDONLY | O_NONBLOCK);
    YESNO("open(O_RDONLY|O_NONBLOCK) with no writer succeeds", rfd >= 0);
    char buf[64];
    PSHOW("read with no writer ever: EOF", read(rfd, buf, sizeof buf));
    int wfd = open(path, O_WRONLY | O_NONBLOCK);
    YESNO("open(O_WRONLY|O_NONBLOCK) with a reader succeeds", wfd >= 0);
    PSHOW("F_GETPIPE_SZ of the FIFO", fcntl(wfd, F_GETPIPE_SZ));
    PSHOW("write", write(wfd, "nb", 2));
    PSHOW("read", read(rfd, buf, sizeof buf));
    PSHOW("read with the writer open: EAGAIN", read(rfd, buf, sizeof buf));
    close(wfd);
    close(rfd);
    int rw = open(path, O_RDWR);
    YESNO("open(O_RDWR) does not block", rw >= 0);
    close(rw);

    /* Blocking opens meet: the child opens for writing, the parent for reading. */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_WRONLY);
        if (fd < 0) _exit(1);
        const char *msg = "through the fifo\n";
        write_full(fd, msg, strlen(msg));
        close(fd);
        _exit(0);
    }
    msleep(20); /* usually the child is already blocked in open by now; either way works */
    int fd = open(path, O_RDONLY);
    YESNO("blocking open(O_RDONLY) returned", fd >= 0);
    memset(buf, 0, sizeof buf);
    long n = read_full(fd, buf, sizeof buf - 1);
    buf[strcspn(buf, "\n")] = 0;
    printf("read %ld bytes: \"%s\"\n", n, buf);
    close(fd);
    wait_show("fifo writer", pid);

    /* And the other way round: the parent writes, the child reads. */
    pid = fork();
    if (pid == 0) {
        msleep(20);
        int fd = open(path, O_RDONLY);
        if (fd < 0) _exit(1);
        char in[64];
        long n = read_full(fd, in, sizeof in);
        _exit(n == 5 && memcmp(in, "12345", 5) == 0 ? 0 : 2);
    }
    fd = open(path, O_WRONLY);
    YESNO("blocking open(O_WRONLY) returned", fd >= 0);
    PSHOW("write", write(fd, "12345", 5));
    close(fd);
    wait_show("fifo reader (0: got the bytes)", pid);

    PSHOW("unlink", unlink(path));
    PSHOW("rmdir", rmdir(dir));
}

static const struct section { const char *name, *title; void (*run)(void); } sections[] = {
    { "capacity", "capacity", capacity },
    { "streams", "1 MiB between processes", streams },
    { "eof", "EOF and EPIPE", eof_tests },
    { "poll", "poll and select across processes", poll_tests },
    { "pipeline", "pipeline", pipeline },
    { "fifo", "FIFO", fifo_tests },
};

/* No arguments: every section; else only the sections named (e.g. `proc_pipes fifo`). */
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "produce") == 0) return produce(atol(argv[2]));
    if (argc == 2 && strcmp(argv[1], "consume") == 0) return consume();
    self = argv[0];
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);

    for (unsigned i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        int wanted = argc == 1;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], sections[i].name) == 0;
        if (!wanted) continue;
        printf("-- %s\n", sections[i].title);
        sections[i].run();
    }
    printf("done\n");
    return 0;
}
