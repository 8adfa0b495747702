/* proc_fork: fork/vfork/clone, wait4/waitpid/waitid and exit statuses (codes, deaths by
 * signal), WNOHANG, ECHILD, copy-on-write of globals, stack and a big heap buffer, vfork
 * sharing memory until _exit/execve, posix_spawn, execve errors, fd inheritance and
 * O_CLOEXEC across execve, process groups and sessions, reparenting of orphans.
 * Children report through exit codes and pipes; only exec'd copies of this program print,
 * and the parent waits for them before printing again.
 * Arguments name sections to run alone (`proc_fork cow vfork`); without any, all run. */
#include "proc.h"
#include <sched.h>
#include <spawn.h>
#include <sys/syscall.h>

extern char **environ;

static int global_var = 1;
static volatile int vfork_flag;
static const char *self;

/* ---- modes of the exec'd copy: argv[1] names the mode ---- */

static int is_exec_mode(const char *a) {
    return !strcmp(a, "exec-child") || !strcmp(a, "check-fds") || !strcmp(a, "spawned");
}

static int exec_mode(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (strcmp(argv[1], "exec-child") == 0 && argc == 4) {
        printf("exec'd child: argv[2]=%s\n", argv[2]);
        YESNO("exec'd child: getppid() == parent pid", getppid() == (pid_t)atol(argv[3]));
        return 17;
    }
    if (strcmp(argv[1], "check-fds") == 0 && argc == 4) {
        int cloexec_fd = atoi(argv[2]), plain_fd = atoi(argv[3]);
        PSHOW("exec'd child: F_GETFD of the O_CLOEXEC fd", fcntl(cloexec_fd, F_GETFD));
        PSHOW("exec'd child: F_GETFD of the inherited fd", fcntl(plain_fd, F_GETFD));
        PSHOW("exec'd child: write to the inherited pipe", write(plain_fd, "exec", 4));
        return 0;
    }
    if (strcmp(argv[1], "spawned") == 0) {
        printf("spawned child: argc=%d argv[2]=%s\n", argc, argc > 2 ? argv[2] : "(none)");
        return 23;
    }
    printf("unknown mode %s\n", argv[1]);
    return 99;
}

/* ---- parent-side sections ---- */

static void basic_fork(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        int ok = getppid() == parent && getpid() != parent;
        _exit(ok ? 42 : 1);
    }
    YESNO("fork: child pid > 0", pid > 0);
    YESNO("fork: child pid != parent pid", pid != parent);
    int st = 0;
    struct rusage ru;
    pid_t r = wait4(pid, &st, 0, &ru);
    YESNO("wait4 returned the child pid", r == pid);
    printf("WIFEXITED: %d, WEXITSTATUS: %d, WIFSIGNALED: %d\n", WIFEXITED(st) ? 1 : 0,
           WEXITSTATUS(st), WIFSIGNALED(st) ? 1 : 0);
    printf("child saw getppid() == parent pid and its own pid: %s\n",
           WEXITSTATUS(st) == 42 ? "yes" : "no");
}

static void exit_codes(void) {
    static const int codes[] = { 0, 1, 3, 127, 128, 255, 256, 257, -1 };
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (i % 2) exit(codes[i]);
            _exit(codes[i]);
        }
        char label[64];
        snprintf(label, sizeof label, "child %s(%d)", i % 2 ? "exit" : "_exit", codes[i]);
        wait_show(label, pid);
    }
    /* Returning from main in the child, through a raw exit_group too. */
    pid_t pid = fork();
    if (pid == 0) syscall(SYS_exit_group, 66);
    wait_show("child exit_group(66)", pid);
    pid = fork();
    if (pid == 0) syscall(SYS_exit, 67);
    wait_show("child exit(67) of its only thread", pid);
}

static void several_children(void) {
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = fork();
        if (pids[i] == 0) _exit(10 + i);
    }
    int seen[3] = { 0, 0, 0 }, right_code = 1;
    for (int i = 0; i < 3; i++) {
        int st = 0;
        pid_t r = wait(&st);
        for (int j = 0; j < 3; j++)
            if (r == pids[j]) {
                seen[j]++;
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 10 + j) right_code = 0;
            }
    }
    YESNO("wait() x3 returned each child once", seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    YESNO("wait() x3 statuses match their children", right_code);
    int st;
    PSHOW("wait() with no children", wait(&st));
    PSHOW("waitpid(-1, WNOHANG) with no children", waitpid(-1, &st, WNOHANG));
    PSHOW("waitpid(own pid)", waitpid(getpid(), &st, 0));
    PSHOW("waitpid(999999)", waitpid(999999, &st, 0));
    PSHOW("waitpid bad options", waitpid(-1, &st, 0x40000));
}

static void killed_children(void) {
    /* SIGKILL of a child blocked in pause(). */
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    PSHOW("kill(child, SIGKILL)", kill(pid, SIGKILL));
    int st = 0;
    YESNO("waitpid returned the killed child", waitpid(pid, &st, 0) == pid);
    printf("SIGKILL: WIFEXITED %d, WIFSIGNALED %d, WTERMSIG %d\n", WIFEXITED(st) ? 1 : 0,
           WIFSIGNALED(st) ? 1 : 0, WIFSIGNALED(st) ? WTERMSIG(st) : 0);

    /* A child that raises SIGSEGV, and one that really faults. */
    pid = fork();
    if (pid == 0) {
        no_core();
        raise(SIGSEGV);
        _exit(1);
    }
    st = 0;
    waitpid(pid, &st, 0);
    printf("raise(SIGSEGV): WIFSIGNALED %d, WTERMSIG %d\n", WIFSIGNALED(st) ? 1 : 0,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    pid = fork();
    if (pid == 0) {
        no_core();
        *(volatile int *)BADPTR = 1;
        _exit(1);
    }
    st = 0;
    waitpid(pid, &st, 0);
    printf("write to an unmapped address: WIFSIGNALED %d, WTERMSIG %d\n", WIFSIGNALED(st) ? 1 : 0,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    pid = fork();
    if (pid == 0) {
        no_core();
        abort();
    }
    st = 0;
    waitpid(pid, &st, 0);
    printf("abort(): WIFSIGNALED %d, WTERMSIG %d\n", WIFSIGNALED(st) ? 1 : 0,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void wnohang(void) {
    int p[2];
    if (pipe(p)) { printf("pipe: %s\n", ename(errno)); return; }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        char c;
        long n = read(p[0], &c, 1); /* blocks until the parent closes its write end */
        _exit(n == 0 ? 5 : 6);
    }
    close(p[0]);
    int st = 12345;
    PSHOW("waitpid(child, WNOHANG) while it runs", waitpid(pid, &st, WNOHANG));
    PSHOW("waitpid(-1, WNOHANG) while it runs", waitpid(-1, &st, WNOHANG));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    PSHOW("waitid(P_ALL, WEXITED|WNOHANG) while it runs", waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
    printf("waitid WNOHANG left si_pid 0: %s\n", si.si_pid == 0 ? "yes" : "no");
    close(p[1]);
    st = 0;
    YESNO("blocking waitpid returned the child", waitpid(pid, &st, 0) == pid);
    printf("child after reading EOF: %s\n", status_str(st));
    PSHOW("waitpid(reaped child, WNOHANG)", waitpid(pid, &st, WNOHANG));
}

static void waitid_tests(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(9);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    PSHOW("waitid(P_PID, WEXITED|WNOWAIT)", waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    printf("WNOWAIT: si_signo %d, si_code %d, si_status %d, si_pid matches: %s\n", si.si_signo,
           si.si_code, si.si_status, si.si_pid == pid ? "yes" : "no");
    memset(&si, 0, sizeof si);
    PSHOW("waitid(P_PID, WEXITED) after WNOWAIT", waitid(P_PID, pid, &si, WEXITED));
    printf("exited: si_signo %d, si_code %d (CLD_EXITED=%d), si_status %d, si_pid matches: %s\n",
           si.si_signo, si.si_code, CLD_EXITED, si.si_status, si.si_pid == pid ? "yes" : "no");
    YESNO("si_uid is our uid", si.si_uid == getuid());
    PSHOW("waitid(P_PID) again", waitid(P_PID, pid, &si, WEXITED));
    PSHOW("waitid without WEXITED etc", waitid(P_ALL, 0, &si, 0));

    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof si);
    PSHOW("waitid(P_PID) of a killed child", waitid(P_PID, pid, &si, WEXITED));
    printf("killed: si_code %d (CLD_KILLED=%d), si_status %d\n", si.si_code, CLD_KILLED,
           si.si_status);

    pid = fork();
    if (pid == 0) {
        no_core();
        raise(SIGQUIT);
        _exit(1);
    }
    memset(&si, 0, sizeof si);
    PSHOW("waitid(P_ALL) of a child killed by SIGQUIT", waitid(P_ALL, 0, &si, WEXITED));
    printf("SIGQUIT: si_code is CLD_KILLED or CLD_DUMPED: %s, si_status %d\n",
           si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED ? "yes" : "no", si.si_status);

    /* waitpid(-pgid) and waitid(P_PGID) for a child in its own process group. */
    int p[2];
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[1]);
        setpgid(0, 0);
        char c;
        read(p[0], &c, 1);
        _exit(4);
    }
    close(p[0]);
    PSHOW("setpgid(child, child) from the parent", setpgid(pid, pid));
    int st = 0;
    PSHOW("waitpid(0, WNOHANG): the child is in another group", waitpid(0, &st, WNOHANG));
    close(p[1]);
    memset(&si, 0, sizeof si);
    YESNO("waitid(P_PGID, child's group) returned the child",
          waitid(P_PGID, pid, &si, WEXITED) == 0 && si.si_pid == pid);
    printf("P_PGID: si_status %d\n", si.si_status);
}

static void copy_on_write(void) {
    volatile int local = 10; /* in memory, on the stack */
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        int before[2] = { global_var, local };
        global_var = 100;
        local = 200;
        msleep(20); /* the parent writes its copies meanwhile */
        int after[4] = { before[0], before[1], global_var, local };
        write_full(p[1], after, sizeof after);
        _exit(0);
    }
    close(p[1]);
    global_var = 2;
    local = 3;
    int got[4] = { 0, 0, 0, 0 };
    long n = read_full(p[0], got, sizeof got);
    close(p[0]);
    wait_show("COW child", pid);
    printf("child read %ld bytes: saw global %d, stack %d before writing; %d and %d after\n", n,
           got[0], got[1], got[2], got[3]);
    printf("parent sees global %d, stack %d\n", global_var, local);

    /* An 8 MiB heap buffer: the parent rewrites half of it while the child checks and rewrites
     * all of its copy. */
    size_t size = 8 << 20;
    unsigned char *buf = malloc(size);
    if (!buf) { printf("malloc failed\n"); return; }
    memset(buf, 'A', size);
    pid = fork();
    if (pid == 0) {
        int ok = 1;
        msleep(10);
        for (size_t i = 0; i < size; i++) ok &= buf[i] == 'A';
        memset(buf, 'B', size);
        for (size_t i = 0; i < size; i += 4096) ok &= buf[i] == 'B';
        _exit(ok ? 0 : 1);
    }
    memset(buf, 'C', size / 2);
    wait_show("heap child (0: saw all 'A', then its own 'B')", pid);
    int ok = 1;
    for (size_t i = 0; i < size / 2; i++) ok &= buf[i] == 'C';
    for (size_t i = size / 2; i < size; i++) ok &= buf[i] == 'A';
    YESNO("parent's heap buffer unchanged by the child", ok);
    free(buf);
}

static void vfork_tests(void) {
    /* vfork shares memory and suspends the parent until the child's _exit. */
    vfork_flag = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
        vfork_flag = 1234;
        _exit(8);
    }
    YESNO("vfork: child pid > 0", pid > 0);
    printf("vfork: parent resumed after the child's write: flag %d\n", vfork_flag);
    wait_show("vfork child", pid);

    /* vfork + execve of this program. */
    char ppid[32];
    snprintf(ppid, sizeof ppid, "%d", (int)getpid());
    char *args[] = { (char *)self, "exec-child", "hello-from-vfork", ppid, NULL };
    pid = vfork();
    if (pid == 0) {
        execve(self, args, environ);
        _exit(127);
    }
    wait_show("vfork+execve child", pid);

    /* fork + execve. */
    args[2] = "hello-from-fork";
    pid = fork();
    if (pid == 0) {
        execve(self, args, environ);
        _exit(127);
    }
    wait_show("fork+execve child", pid);

    /* vfork + a failing execve: the child reports through shared memory like posix_spawn. */
    vfork_flag = 0;
    pid = vfork();
    if (pid == 0) {
        char *none[] = { "/nonexistent/prog", NULL };
        execve(none[0], none, environ);
        vfork_flag = errno;
        _exit(127);
    }
    printf("vfork child's execve errno: %s\n", ename(vfork_flag));
    wait_show("vfork child after the failed execve", pid);

    /* posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)). */
    char *sargs[] = { (char *)self, "spawned", "by-posix_spawn", NULL };
    pid = 0;
    int sr = posix_spawn(&pid, self, NULL, NULL, sargs, environ);
    if (sr == 0) wait_show("posix_spawn child", pid); /* before printing: the child prints */
    printf("posix_spawn of this program returned: %s\n", sr ? ename(sr) : "0");
    char *nargs[] = { "/nonexistent/prog", NULL };
    int r = posix_spawn(&pid, nargs[0], NULL, NULL, nargs, environ);
    printf("posix_spawn of a missing path: %s\n", r ? ename(r) : "0");
    if (r == 0) wait_show("posix_spawn of a missing path", pid);

    /* A raw clone(SIGCHLD) is a fork. */
    pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) syscall(SYS_exit_group, 33);
    YESNO("clone(SIGCHLD): child pid > 0", pid > 0);
    wait_show("clone(SIGCHLD) child", pid);
}

static void execve_errors(void) {
    char *args[] = { "x", NULL };
    PSHOW("execve of a missing path", execve("/nonexistent/prog", args, environ));
    PSHOW("execve of a missing relative path", execve("no-such-prog", args, environ));
    PSHOW("execve of a directory", execve("/", args, environ));
    char through[4096];
    snprintf(through, sizeof through, "%s/x", self);
    PSHOW("execve through a file as a directory", execve(through, args, environ));
    PSHOW("execve NULL path", execve(BADPTR, args, environ));
    PSHOW("execve of an empty path", execve("", args, environ));
    char dir[] = "/tmp/proc_fork.XXXXXX";
    if (!mkdtemp(dir)) { printf("mkdtemp: %s\n", ename(errno)); return; }
    char noexec[64], garbage[64];
    snprintf(noexec, sizeof noexec, "%s/noexec", dir);
    snprintf(garbage, sizeof garbage, "%s/garbage", dir);
    int fd = open(noexec, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "\x7f" "ELF", 4);
    close(fd);
    fd = open(garbage, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    write(fd, "this is not a program\n", 22);
    close(fd);
    PSHOW("execve of a file without x bits", execve(noexec, args, environ));
    PSHOW("execve of garbage with x bits", execve(garbage, args, environ));
    unlink(noexec);
    unlink(garbage);
    rmdir(dir);
    printf("still running after failed execves: yes\n");
}

static void fd_inheritance(void) {
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        write(p[1], "from child", 10);
        int hi = dup2(p[1], 40);
        write(hi, " via 40", 7);
        _exit(0);
    }
    close(p[1]);
    char buf[64];
    long n = read_full(p[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("parent read from the child's inherited fd: %ld \"%s\"\n", n, buf);
    close(p[0]);
    wait_show("fd child", pid);

    /* O_CLOEXEC survives fork but not execve. */
    int ce[2], plain[2];
    pipe2(ce, O_CLOEXEC);
    pipe(plain);
    pid = fork();
    if (pid == 0) {
        int ok = fcntl(ce[1], F_GETFD) == FD_CLOEXEC && fcntl(plain[1], F_GETFD) == 0;
        if (!ok) _exit(3);
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", ce[1]);
        snprintf(b, sizeof b, "%d", plain[1]);
        char *args[] = { (char *)self, "check-fds", a, b, NULL };
        execve(self, args, environ);
        _exit(127);
    }
    close(ce[1]);
    close(plain[1]);
    wait_show("check-fds child (3: flags wrong after fork)", pid);
    n = read_full(plain[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("read from the inherited pipe: %ld \"%s\"\n", n, buf);
    PSHOW("read from the O_CLOEXEC pipe: EOF", read(ce[0], buf, sizeof buf));
    close(ce[0]);
    close(plain[0]);

    /* File offsets are shared between parent and child. */
    char path[] = "/tmp/proc_fork_off.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { printf("mkstemp: %s\n", ename(errno)); return; }
    unlink(path);
    write(fd, "abc", 3);
    pid = fork();
    if (pid == 0) {
        write(fd, "defgh", 5);
        _exit(0);
    }
    wait_show("offset child", pid);
    PSHOW("parent's offset after the child's write", lseek(fd, 0, SEEK_CUR));
    close(fd);
}

static void groups_and_sessions(void) {
    YESNO("getpgrp() == getpgid(0)", getpgrp() == getpgid(0));
    YESNO("getpgid(getpid()) == getpgrp()", getpgid(getpid()) == getpgrp());
    YESNO("getsid(0) == getsid(getpid())", getsid(0) == getsid(getpid()));
    PSHOW("getpgid(999999)", getpgid(999999));
    PSHOW("getsid(999999)", getsid(999999));
    PSHOW("setpgid(999999, 0)", setpgid(999999, 0));
    PSHOW("setpgid(0, -1)", setpgid(0, -1));

    /* A child inherits the group and session, then makes its own group. */
    pid_t pgrp = getpgrp(), sid = getsid(0);
    pid_t pid = fork();
    if (pid == 0) {
        int bits = 0;
        if (getpgrp() == pgrp) bits |= 1;
        if (getsid(0) == sid) bits |= 2;
        if (setpgid(0, 0) == 0) bits |= 4;
        if (getpgid(0) == getpid()) bits |= 8;
        if (getsid(0) == sid) bits |= 16; /* still in the same session */
        _exit(bits);
    }
    int st = wait_show("setpgid child (31: inherited group and session, own group after)", pid);
    (void)st;

    /* setsid in a child (not a group leader) makes a new session and group. */
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        pid_t r = setsid();
        int bits = 0;
        if (r == getpid()) bits |= 1;
        if (getsid(0) == getpid()) bits |= 2;
        if (getpgrp() == getpid()) bits |= 4;
        if (setsid() == -1 && errno == EPERM) bits |= 8; /* already a group leader */
        if (setpgid(0, 0) == -1 && errno == EPERM) bits |= 16; /* a session leader */
        write(ready[1], "r", 1);
        char c;
        read(go[0], &c, 1);
        _exit(bits);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    read(ready[0], &c, 1);
    YESNO("getsid(child) == child after its setsid", getsid(pid) == pid);
    YESNO("getpgid(child) == child after its setsid", getpgid(pid) == pid);
    PSHOW("setpgid(child in another session, own group)", setpgid(pid, getpgrp()));
    close(go[1]);
    close(ready[0]);
    wait_show("setsid child (31: new session and group, setsid and setpgid then EPERM)", pid);

    /* setsid fails in a group leader. */
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        _exit(setsid() == -1 && errno == EPERM ? 0 : 1);
    }
    wait_show("setsid in a group leader fails with EPERM (0)", pid);

    /* A child moved into a group made by its sibling. */
    int p[2];
    pipe(p);
    pid_t a = fork();
    if (a == 0) {
        close(p[1]);
        setpgid(0, 0);
        read(p[0], &c, 1);
        _exit(0);
    }
    setpgid(a, a);
    pid_t b = fork();
    if (b == 0) {
        close(p[1]);
        read(p[0], &c, 1);
        _exit(0);
    }
    close(p[0]);
    PSHOW("setpgid(second child, first child's group)", setpgid(b, a));
    YESNO("getpgid(second child) == first child", getpgid(b) == a);
    PSHOW("setpgid(child, 999999): no such group", setpgid(b, 999999));
    close(p[1]);
    wait_show("group child 1", a);
    wait_show("group child 2", b);
    PSHOW("setpgid of a reaped child", setpgid(b, b));
}

/* Last: in a pid namespace the orphan may become the top process's child. */
static void orphans(void) {
    int p[2], ack[2];
    pipe(p);
    pid_t mid = fork();
    if (mid == 0) {
        close(p[0]);
        pipe(ack);
        pid_t me = getpid();
        pid_t g = fork();
        if (g == 0) {
            close(ack[0]);
            int before = getppid() == me;
            close(ack[1]); /* lets the middle process exit */
            /* Wait (up to 10 s) for the middle process to exit. */
            int tries = 0;
            while (getppid() == me && tries++ < 1000) msleep(10);
            pid_t now = getppid();
            /* The new parent is init, a subreaper, or (in a pid namespace whose init is the
             * top process) the top process: only that it changed is deterministic. */
            char r[3] = { before ? 'y' : 'n', now != me ? 'y' : 'n', now > 0 ? 'y' : 'n' };
            write(p[1], r, 3);
            _exit(0);
        }
        close(ack[1]);
        char c;
        read(ack[0], &c, 1); /* EOF once the grandchild has looked at its parent */
        _exit(g > 0 ? 0 : 1);
    }
    close(p[1]);
    wait_show("middle process", mid);
    char r[3] = { '?', '?', '?' };
    long n = read_full(p[0], r, 3);
    close(p[0]);
    printf("grandchild reported: %ld bytes\n", n);
    printf("grandchild's getppid() was the middle process: %s\n", r[0] == 'y' ? "yes" : "no");
    printf("reparented: %s\n", r[1] == 'y' ? "yes" : "no");
    printf("new parent pid > 0: %s\n", r[2] == 'y' ? "yes" : "no");
}

static const struct section { const char *name, *title; void (*run)(void); } sections[] = {
    { "fork", "fork and wait4", basic_fork },
    { "exit", "exit codes", exit_codes },
    { "children", "several children, ECHILD", several_children },
    { "signaled", "deaths by signal", killed_children },
    { "wnohang", "WNOHANG", wnohang },
    { "waitid", "waitid", waitid_tests },
    { "cow", "copy-on-write", copy_on_write },
    { "vfork", "vfork, execve, posix_spawn, clone", vfork_tests },
    { "execve", "execve errors", execve_errors },
    { "fds", "fds across fork and execve", fd_inheritance },
    { "groups", "process groups and sessions", groups_and_sessions },
    { "orphans", "orphans", orphans },
};

/* No arguments: every section; else only the sections named (e.g. `proc_fork cow vfork`). */
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && is_exec_mode(argv[1])) return exec_mode(argc, argv);
    self = argv[0];
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
