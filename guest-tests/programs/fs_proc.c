/* fs_proc: procfs and sysfs seen by the program itself. Values that differ between the host
 * and the sandbox (pids, memory sizes, cpu counts, hostnames) are printed as booleans only. */
#include "fsutil.h"
#include <dirent.h>

static char text[65536];

static long slurp_text(const char *path) {
    long n = slurp(path, text, sizeof text - 1);
    text[n < 0 ? 0 : n] = 0;
    return n;
}

static int has_line_prefix(const char *prefix) {
    size_t len = strlen(prefix);
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, len) == 0) return 1;
    return 0;
}

static int cmp(const void *a, const void *b) { return atoi(*(char *const *)a) - atoi(*(char *const *)b); }

static void list_fds(const char *label) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    char *names[64];
    int n = 0, dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dfd) names[n++] = strdup(e->d_name);
    qsort(names, n, sizeof names[0], cmp);
    printf("%s:", label);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
    closedir(d);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[4096], want[4096];
    syscall(SYS_close_range, 3, ~0U, 0); /* natively, fds leaked by the test runner */

    /* cmdline is argv joined by NUL */
    long n = slurp_text("/proc/self/cmdline"), len = 0;
    for (int i = 0; i < argc; i++) {
        strcpy(want + len, argv[i]);
        len += strlen(argv[i]) + 1;
    }
    printf("cmdline length == argv bytes: %s\n", n == len ? "yes" : "no");
    YESNO("cmdline is argv joined by NUL", n == len && memcmp(text, want, len) == 0);

    /* exe, cwd, root */
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    YESNO("exe link ends with the program name",
          n > 0 && strlen(buf) >= strlen(base) && !strcmp(buf + strlen(buf) - strlen(base), base));
    YESNO("exe link is absolute", buf[0] == '/');
    struct stat a, b;
    stat("/proc/self/exe", &a);
    stat(argv[0], &b);
    YESNO("stat of exe is the program", a.st_ino == b.st_ino && a.st_size == b.st_size);
    char cwd[4096];
    getcwd(cwd, sizeof cwd);
    n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    YESNO("cwd link == getcwd", !strcmp(buf, cwd));
    show_file("/proc/self/cwd/hello.txt", "/proc/self/cwd/hello.txt");
    chdir("a");
    n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    YESNO("cwd link follows chdir", n > 2 && !strcmp(buf + n - 2, "/a"));
    chdir("..");
    n = readlink("/proc/self/root", buf, sizeof buf - 1);
    printf("root link: %.*s\n", (int)(n < 0 ? 0 : n), buf);
    snprintf(buf, sizeof buf, "/proc/%d/status", getpid());
    YESNO("/proc/<getpid()>/status exists", access(buf, R_OK) == 0);
    stat("/proc/self", &a);
    lstat("/proc/self", &b);
    YESNO("/proc/self is a symlink to a dir", S_ISLNK(b.st_mode) && S_ISDIR(a.st_mode));
    n = readlink("/proc/self", buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    YESNO("/proc/self -> getpid()", atoi(buf) == getpid());

    /* fd and fdinfo */
    list_fds("fds at start");
    int f1 = open("hello.txt", O_RDONLY), f2 = open("a/b/two.txt", O_RDWR | O_APPEND);
    list_fds("fds after 2 opens");
    snprintf(buf, sizeof buf, "/proc/self/fd/%d", f1);
    char target[4096];
    n = readlink(buf, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = 0;
    YESNO("fd link -> cwd/hello.txt", !strcmp(target, strcat(strcpy(want, cwd), "/hello.txt")));
    lseek(f1, 5, SEEK_SET);
    snprintf(buf, sizeof buf, "/proc/self/fdinfo/%d", f1);
    slurp_text(buf);
    YESNO("fdinfo has pos:\t5", has_line_prefix("pos:\t5"));
    snprintf(buf, sizeof buf, "/proc/self/fdinfo/%d", f2);
    slurp_text(buf);
    YESNO("fdinfo has flags: line", has_line_prefix("flags:\t"));
    close(f1);
    close(f2);
    list_fds("fds after closing");
    SHOW("readlink /proc/self/fd/99", readlink("/proc/self/fd/99", buf, sizeof buf));

    /* status, stat, statm, maps, environ, mounts */
    slurp_text("/proc/self/status");
    YESNO("status has Name:", has_line_prefix("Name:\t"));
    YESNO("status has Pid:", has_line_prefix("Pid:\t"));
    YESNO("status has PPid:", has_line_prefix("PPid:\t"));
    YESNO("status has Uid:", has_line_prefix("Uid:\t"));
    YESNO("status has VmRSS:", has_line_prefix("VmRSS:"));
    n = slurp_text("/proc/self/stat");
    int pid = 0;
    char comm[64] = "", state = 0;
    sscanf(text, "%d (%63[^)]) %c", &pid, comm, &state);
    YESNO("stat starts with pid (comm) R", pid == getpid() && !strncmp(comm, base, 15) && state == 'R');
    slurp_text("/proc/self/comm");
    char c15[17];
    snprintf(c15, sizeof c15, "%.15s\n", base);
    YESNO("comm is the name (15 chars max)", !strcmp(text, c15));
    long size = 0, rss = 0;
    slurp_text("/proc/self/statm");
    YESNO("statm has size and resident", sscanf(text, "%ld %ld", &size, &rss) == 2 && size > 0 && rss > 0);
    slurp_text("/proc/self/maps");
    YESNO("maps has a [stack] line", strstr(text, "[stack]\n") != NULL);
    unsigned long lo, hi;
    char perms[8];
    YESNO("maps lines parse", sscanf(text, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo < hi);
    unsigned long sp = (unsigned long)&lo;
    int in_stack = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (sscanf(l, "%lx-%lx", &lo, &hi) == 2 && lo <= sp && sp < hi) in_stack = !strncmp(strchr(l, '\n') - 7, "[stack]", 7);
    YESNO("a local variable lies in the [stack] mapping", in_stack);
    n = slurp("/proc/self/environ", text, sizeof text - 1);
    text[n < 0 ? 0 : n] = 0;
    int found = 0;
    for (long i = 0; i < n; i += strlen(text + i) + 1) found |= !strcmp(text + i, "GT_PROC=here");
    YESNO("environ has GT_PROC=here", found);
    slurp_text("/proc/self/mounts");
    YESNO("self/mounts has a / line", strstr(text, " / ") != NULL);
    slurp_text("/proc/mounts");
    YESNO("/proc/mounts has a proc line", strstr(text, " /proc proc ") != NULL);

    /* system-wide files */
    slurp_text("/proc/meminfo");
    YESNO("meminfo has MemTotal:", has_line_prefix("MemTotal:"));
    YESNO("meminfo has MemFree:", has_line_prefix("MemFree:"));
    slurp_text("/proc/cpuinfo");
    YESNO("cpuinfo has processor", has_line_prefix("processor\t"));
    double up = -1;
    slurp_text("/proc/uptime");
    YESNO("uptime parses", sscanf(text, "%lf", &up) == 1 && up >= 0);
    double l1 = -1;
    slurp_text("/proc/loadavg");
    YESNO("loadavg parses", sscanf(text, "%lf", &l1) == 1 && l1 >= 0);
    slurp_text("/proc/filesystems");
    YESNO("filesystems lists proc and tmpfs", strstr(text, "\tproc\n") && strstr(text, "\ttmpfs\n"));
    show_file("/proc/sys/kernel/ostype", "/proc/sys/kernel/ostype");
    slurp_text("/proc/sys/kernel/osrelease");
    YESNO("osrelease is a version", text[0] >= '0' && text[0] <= '9' && strchr(text, '.'));
    n = slurp_text("/proc/sys/kernel/hostname");
    YESNO("hostname is one line", n > 1 && text[n - 1] == '\n' && strchr(text, '\n') == text + n - 1);
    slurp_text("/proc/sys/kernel/pid_max");
    YESNO("pid_max > pid", atol(text) > getpid());

    /* procfs is read-only from here */
    SHOW("create in /proc", open("/proc/newfile", O_WRONLY | O_CREAT, 0644));
    SHOW("mkdir in /proc/self", mkdir("/proc/self/x", 0755));
    SHOW("open /proc/self/nonexistent", open("/proc/self/nonexistent", O_RDONLY));

    /* sysfs */
    n = slurp_text("/sys/devices/system/cpu/online");
    YESNO("cpu/online starts with 0", n > 0 && text[0] == '0');
    n = slurp_text("/sys/devices/system/cpu/possible");
    YESNO("cpu/possible starts with 0", n > 0 && text[0] == '0');
    return 0;
}
