/* socketpair: connected AF_UNIX pairs (stream, datagram, sequenced packet). Creation and its
 * errors, fstat and /proc/self/fd, byte streams gathered across writes, message boundaries
 * and truncation (MSG_TRUNC), MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, scatter/gather with
 * sendmsg/recvmsg, filling a non-blocking socket, EOF/EPIPE/ECONNRESET/ECONNREFUSED after a
 * close (SIGPIPE ignored, caught, and suppressed with MSG_NOSIGNAL), shutdown, socket options,
 * names, poll, and a forked child talking to its parent. */
#include "proc.h"
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/time.h>

/* ename() plus the socket errnos. */
static const char *sname(int e) {
    switch (e) {
    case ENOTSOCK: return "ENOTSOCK(88)";
    case EMSGSIZE: return "EMSGSIZE(90)";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT(93)";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT(94)";
    case EAFNOSUPPORT: return "EAFNOSUPPORT(97)";
    case ENOPROTOOPT: return "ENOPROTOOPT(92)";
    case ECONNRESET: return "ECONNRESET(104)";
    case ENOBUFS: return "ENOBUFS(105)";
    case EISCONN: return "EISCONN(106)";
    case ENOTCONN: return "ENOTCONN(107)";
    case ECONNREFUSED: return "ECONNREFUSED(111)";
    case EDOM: return "EDOM(33)";
    }
    return ename(e);
}

#define S(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ == -1) printf("%s: -1 %s\n", label, sname(e_)); \
    else printf("%s: %ld\n", label, r_); \
} while (0)

static int sigpipes;
static void on_sigpipe(int s) { (void)s; sigpipes++; }

static int revents(int fd, short events) {
    struct pollfd p = { fd, events, 0 };
    poll(&p, 1, 0);
    return p.revents;
}

/* "IN|OUT|HUP|RDHUP" style, deterministic. */
static const char *pollstr(int r) {
    static char buf[64];
    buf[0] = 0;
    const struct { int bit; const char *name; } bits[] = {
        { POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLERR, "ERR" },
        { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" }, { POLLRDHUP, "RDHUP" },
    };
    for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (r & bits[i].bit) {
            if (buf[0]) strcat(buf, "|");
            strcat(buf, bits[i].name);
        }
    return buf[0] ? buf : "0";
}

#define POLL(label, fd) printf("%s: %s\n", label, pollstr(revents(fd, POLLIN | POLLOUT | POLLRDHUP)))

static int getint(int fd, int opt) {
    int v = -77;
    socklen_t l = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) == -1) return -1000 - errno;
    return v;
}

static const char *tname(int t) {
    return t == SOCK_STREAM ? "stream" : t == SOCK_DGRAM ? "dgram" : "seqpacket";
}

static void creation(void) {
    int sv[2] = { -1, -1 };
    S("AF_INET stream", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    S("AF_INET6 dgram", socketpair(AF_INET6, SOCK_DGRAM, 0, sv));
    S("family 45", socketpair(45, SOCK_STREAM, 0, sv));
    S("family 99", socketpair(99, SOCK_STREAM, 0, sv));
    S("family -1", socketpair(-1, SOCK_STREAM, 0, sv));
    S("AF_UNIX type 0", socketpair(AF_UNIX, 0, 0, sv));
    S("AF_UNIX SOCK_RDM", socketpair(AF_UNIX, SOCK_RDM, 0, sv));
    S("AF_UNIX type 11", socketpair(AF_UNIX, 11, 0, sv));
    S("AF_UNIX protocol 2", socketpair(AF_UNIX, SOCK_STREAM, 2, sv));
    S("AF_UNIX bad flag", socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv));
    S("AF_UNIX bad pointer", socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)BADPTR));
    S("AF_INET bad pointer (pointer first)", socketpair(AF_INET, SOCK_STREAM, 0, (int *)BADPTR));
    S("AF_UNIX protocol 1", socketpair(AF_UNIX, SOCK_STREAM, PF_UNIX, sv));
    printf("SO_PROTOCOL: %d\n", getint(sv[0], SO_PROTOCOL));
    close(sv[0]);
    close(sv[1]);
    S("SOCK_RAW (taken as dgram)", socketpair(AF_UNIX, SOCK_RAW, 0, sv));
    printf("SO_TYPE: %d\n", getint(sv[0], SO_TYPE));
    close(sv[0]);
    close(sv[1]);

    S("stream pair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    YESNO("two new descriptors, second after first", sv[0] >= 0 && sv[1] == sv[0] + 1);
    printf("F_GETFL: %#x (O_RDWR=%#x)\n", fcntl(sv[0], F_GETFL), O_RDWR);
    printf("F_GETFD: %d\n", fcntl(sv[0], F_GETFD));
    struct stat st, st1;
    fstat(sv[0], &st);
    fstat(sv[1], &st1);
    YESNO("S_ISSOCK", S_ISSOCK(st.st_mode));
    printf("mode %o, nlink %ld, size %ld, blksize %ld\n", st.st_mode, (long)st.st_nlink,
           (long)st.st_size, (long)st.st_blksize);
    YESNO("owner is the effective user", st.st_uid == geteuid() && st.st_gid == getegid());
    YESNO("the two ends are different inodes", st.st_ino != st1.st_ino);
    char path[64], link[64], want[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
    long n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
    YESNO("/proc/self/fd link is socket:[st_ino]", strcmp(link, want) == 0);
    S("open /proc/self/fd/N", open(path, O_RDWR));
    S("lseek", lseek(sv[0], 0, SEEK_CUR));
    char buf[8];
    S("pread", pread(sv[0], buf, 1, 0));
    S("pwrite", pwrite(sv[0], buf, 1, 0));
    close(sv[0]);
    close(sv[1]);

    S("SOCK_NONBLOCK|SOCK_CLOEXEC dgram", socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
    printf("F_GETFL: %#x, F_GETFD: %d (second end %#x, %d)\n", fcntl(sv[0], F_GETFL),
           fcntl(sv[0], F_GETFD), fcntl(sv[1], F_GETFL), fcntl(sv[1], F_GETFD));
    close(sv[0]);
    close(sv[1]);

    int p[2];
    pipe(p);
    int v;
    socklen_t vl = sizeof v;
    S("send on a pipe", send(p[1], "x", 1, 0));
    S("recv on a pipe", recv(p[0], buf, 1, MSG_DONTWAIT));
    S("getsockopt on a pipe", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &vl));
    S("shutdown on a pipe", shutdown(p[0], SHUT_RD));
    S("getsockname on a pipe", getsockname(p[0], (struct sockaddr *)buf, &vl));
    S("send on a closed fd", send(77, "x", 1, 0));
    close(p[0]);
    close(p[1]);
}

static void stream(void) {
    int sv[2];
    char buf[256];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    POLL("poll fresh end", sv[0]);
    S("write 5", write(sv[0], "hello", 5));
    S("send 6", send(sv[0], " world", 6, 0));
    POLL("poll reader with data", sv[1]);
    memset(buf, 0, sizeof buf);
    S("peek 3", recv(sv[1], buf, 3, MSG_PEEK));
    printf("  peeked \"%s\"\n", buf);
    memset(buf, 0, sizeof buf);
    S("peek 100 (across both writes)", recv(sv[1], buf, 100, MSG_PEEK));
    printf("  peeked \"%s\"\n", buf);
    memset(buf, 0, sizeof buf);
    S("read 2", read(sv[1], buf, 2));
    printf("  read \"%s\"\n", buf);
    memset(buf, 0, sizeof buf);
    S("recv 100 (the rest of both writes)", recv(sv[1], buf, 100, 0));
    printf("  got \"%s\"\n", buf);
    S("recv MSG_DONTWAIT when empty", recv(sv[1], buf, 100, MSG_DONTWAIT));
    S("recv 0 bytes MSG_DONTWAIT when empty", recv(sv[1], buf, 0, MSG_DONTWAIT));
    S("read 0 bytes when empty", read(sv[1], buf, 0));
    S("recv MSG_OOB (no urgent data)", recv(sv[1], buf, 10, MSG_OOB | MSG_DONTWAIT));
    send(sv[0], "abcdef", 6, 0);
    S("recv 0 bytes with data", recv(sv[1], buf, 0, MSG_DONTWAIT));
    S("recv MSG_TRUNC 2 (ignored by streams)", recv(sv[1], buf, 2, MSG_TRUNC));
    S("recv MSG_WAITALL|MSG_DONTWAIT 100 (partial)", recv(sv[1], buf, 100, MSG_WAITALL | MSG_DONTWAIT));
    S("recv into a bad buffer (nothing queued)", recv(sv[1], BADPTR, 10, MSG_DONTWAIT));
    send(sv[0], "xyz", 3, 0);
    S("recv into a bad buffer (data stays)", recv(sv[1], BADPTR, 10, MSG_DONTWAIT));
    S("recv after", recv(sv[1], buf, 10, MSG_DONTWAIT));
    S("send from a bad buffer", send(sv[0], BADPTR, 10, 0));

    /* Addresses on a connected stream. */
    struct sockaddr_un to = { AF_UNIX, "/nonexistent" };
    S("sendto with an address", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, sizeof to));
    S("sendto with address length 0", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, 0));
    S("sendto with address length 200", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, 200));
    struct sockaddr_un from;
    memset(&from, 0x55, sizeof from);
    socklen_t fl = sizeof from;
    S("recvfrom", recvfrom(sv[1], buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    printf("  address length %d\n", (int)fl);

    /* Scatter/gather. */
    struct iovec out[3] = { { "ab", 2 }, { "", 0 }, { "cdefg", 5 } };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = out;
    m.msg_iovlen = 3;
    S("sendmsg 3 iovecs", sendmsg(sv[0], &m, 0));
    S("writev", writev(sv[0], out, 3));
    char a[3] = { 0 }, b[4] = { 0 }, c[20] = { 0 };
    struct iovec in[3] = { { a, 2 }, { b, 3 }, { c, 19 } };
    struct msghdr r;
    memset(&r, 0, sizeof r);
    r.msg_iov = in;
    r.msg_iovlen = 3;
    r.msg_name = &from;
    r.msg_namelen = sizeof from;
    r.msg_flags = 0x7777;
    S("recvmsg into 3 iovecs", recvmsg(sv[1], &r, MSG_CMSG_CLOEXEC));
    printf("  \"%s\" \"%s\" \"%s\" flags %#x namelen %d controllen %ld\n", a, b, c, r.msg_flags,
           (int)r.msg_namelen, (long)r.msg_controllen);
    m.msg_iovlen = 1025;
    S("sendmsg with 1025 iovecs", sendmsg(sv[0], &m, 0));
    S("recvmsg with 1025 iovecs", recvmsg(sv[1], &m, 0));
    m.msg_iovlen = 1;
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct cmsghdr *cm = (struct cmsghdr *)cbuf;
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = 77;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    S("sendmsg with a bad control message type", sendmsg(sv[0], &m, 0));
    cm->cmsg_len = 5;
    S("sendmsg with a short cmsg_len", sendmsg(sv[0], &m, 0));
    cm->cmsg_level = 0;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    S("sendmsg with another level's control message (ignored)", sendmsg(sv[0], &m, 0));
    S("recv it", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    m.msg_controllen = 1 << 20;
    S("sendmsg with 1 MiB of control", sendmsg(sv[0], &m, 0));
    m.msg_control = NULL;
    m.msg_controllen = 0;
    S("sendmsg MSG_CMSG_COMPAT", sendmsg(sv[0], &m, 0x80000000));
    S("sendmsg bad msghdr", sendmsg(sv[0], BADPTR, 0));

    /* A non-blocking fill: how much fits depends on Linux's buffer accounting. */
    int fl0 = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl0 | O_NONBLOCK);
    static char big[8192];
    long total = 0, k;
    while ((k = write(sv[0], big, sizeof big)) > 0) total += k;
    printf("fill ended with %s\n", k < 0 ? sname(errno) : "0");
    YESNO("more than 100000 bytes fit", total > 100000);
    YESNO("less than 1 MiB fit", total < (1 << 20));
    POLL("poll full writer", sv[0]);
    POLL("poll reader of a full socket", sv[1]);
    S("send MSG_DONTWAIT when full", send(sv[0], "x", 1, MSG_DONTWAIT));
    long drained = 0;
    while ((k = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)) > 0) drained += k;
    YESNO("drained all of it", drained == total);
    POLL("poll writer after draining", sv[0]);
    /* One big non-blocking write into an empty socket is partial. */
    static char huge[1 << 20];
    k = write(sv[0], huge, sizeof huge);
    YESNO("non-blocking 1 MiB write is partial, over 100000", k > 100000 && k < (long)sizeof huge);
    close(sv[0]);
    close(sv[1]);
}

static void messages(int type) {
    int sv[2];
    char buf[256];
    printf("- %s\n", tname(type));
    socketpair(AF_UNIX, type, 0, sv);
    S("send 5", send(sv[0], "hello", 5, 0));
    S("send 6", send(sv[0], "world!", 6, 0));
    S("send 0 (an empty message)", send(sv[0], "", 0, 0));
    S("write 3", write(sv[0], "abc", 3));
    memset(buf, 0, sizeof buf);
    S("peek 100", recv(sv[1], buf, 100, MSG_PEEK));
    printf("  peeked \"%s\"\n", buf);
    memset(buf, 0, sizeof buf);
    S("recv 3 of 5 (truncates)", recv(sv[1], buf, 3, 0));
    printf("  got \"%s\"\n", buf);
    memset(buf, 0, sizeof buf);
    S("recv 100 (the next message only)", recv(sv[1], buf, 100, 0));
    printf("  got \"%s\"\n", buf);
    S("recv the empty message", recv(sv[1], buf, 100, 0));
    S("recv MSG_TRUNC into 1 byte (full length)", recv(sv[1], buf, 1, MSG_TRUNC));
    S("recv MSG_DONTWAIT when empty", recv(sv[1], buf, 100, MSG_DONTWAIT));
    S("recv MSG_OOB", recv(sv[1], buf, 100, MSG_OOB | MSG_DONTWAIT));
    S("send MSG_OOB", send(sv[0], "x", 1, MSG_OOB));

    send(sv[0], "0123456789", 10, 0);
    char a[4] = { 0 }, b[4] = { 0 };
    struct iovec in[2] = { { a, 3 }, { b, 3 } };
    struct msghdr r;
    memset(&r, 0, sizeof r);
    r.msg_iov = in;
    r.msg_iovlen = 2;
    S("recvmsg 6 of 10", recvmsg(sv[1], &r, 0));
    printf("  \"%s\" \"%s\" flags %#x (MSG_TRUNC=%#x)\n", a, b, r.msg_flags, MSG_TRUNC);
    send(sv[0], "xy", 2, 0);
    r.msg_flags = 0;
    S("recvmsg 2 of 2", recvmsg(sv[1], &r, 0));
    printf("  flags %#x\n", r.msg_flags);
    send(sv[0], "lost", 4, 0);
    S("recv 0 bytes (drops the message)", recv(sv[1], buf, 0, 0));
    S("then nothing", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    S("read 0 bytes (keeps nothing, drops nothing)", read(sv[1], buf, 0));

    static char big[300000];
    S("send 212960 (send buffer - 32)", send(sv[0], big, 212960, MSG_DONTWAIT));
    S("send 212961", send(sv[0], big, 212961, MSG_DONTWAIT));
    S("send 300000", send(sv[0], big, 300000, MSG_DONTWAIT));
    S("send 1 more MSG_DONTWAIT (buffer full)", send(sv[0], "x", 1, MSG_DONTWAIT));
    S("recv the big one", recv(sv[1], big, sizeof big, 0));
    long count = 0;
    while (send(sv[0], "x", 1, MSG_DONTWAIT) == 1) count++;
    printf("1-byte messages until %s\n", sname(errno));
    YESNO("more than 100 and fewer than 10000 fit", count > 100 && count < 10000);
    POLL("poll full writer", sv[0]);
    long got = 0;
    while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == 1) got++;
    YESNO("received them all", got == count);
    POLL("poll writer after draining", sv[0]);

    if (type == SOCK_DGRAM) {
        struct sockaddr_un to = { AF_UNIX, "/nonexistent" };
        S("sendto a missing path", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, sizeof to));
        strcpy(to.sun_path, "/tmp");
        S("sendto a directory", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, sizeof to));
        to.sun_path[0] = 0;
        S("sendto an abstract name", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, sizeof to));
        S("sendto with address length 2", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, 2));
        to.sun_family = AF_INET;
        S("sendto a non-AF_UNIX address", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, sizeof to));
    } else {
        struct sockaddr_un to = { AF_UNIX, "/nonexistent" };
        S("sendto with an address (ignored)", sendto(sv[0], "q", 1, 0, (struct sockaddr *)&to, sizeof to));
    }
    S("recv", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    close(sv[0]);
    close(sv[1]);
}

static void closing(void) {
    int sv[2];
    char buf[64];
    struct sockaddr_un peer;
    socklen_t pl;
    for (int type = SOCK_STREAM; type <= SOCK_SEQPACKET; type = type == SOCK_DGRAM ? SOCK_SEQPACKET : type + 1) {
        printf("- %s\n", tname(type));
        socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv);
        send(sv[1], "bye", 3, 0);
        close(sv[1]);
        POLL("poll after the peer closed", sv[0]);
        S("recv the last words", recv(sv[0], buf, sizeof buf, 0));
        S("recv again", recv(sv[0], buf, sizeof buf, 0));
        POLL("poll", sv[0]);
        signal(SIGPIPE, SIG_IGN);
        S("send (SIGPIPE ignored)", send(sv[0], "x", 1, 0));
        S("write (SIGPIPE ignored)", write(sv[0], "x", 1));
        signal(SIGPIPE, SIG_DFL);
        S("send MSG_NOSIGNAL (SIGPIPE default)", send(sv[0], "x", 1, MSG_NOSIGNAL));
        signal(SIGPIPE, on_sigpipe);
        sigpipes = 0;
        S("send with a SIGPIPE handler", send(sv[0], "x", 1, 0));
        printf("  SIGPIPEs: %d\n", sigpipes);
        sigpipes = 0;
        S("send 0 bytes with a SIGPIPE handler", send(sv[0], "x", 0, 0));
        printf("  SIGPIPEs: %d\n", sigpipes);
        signal(SIGPIPE, SIG_DFL);
        printf("SO_ERROR: %d\n", getint(sv[0], SO_ERROR));
        pl = sizeof peer;
        S("getpeername", getpeername(sv[0], (struct sockaddr *)&peer, &pl));
        close(sv[0]);

        /* The peer closes with data it never read. */
        socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv);
        send(sv[1], "bye", 3, 0);
        send(sv[0], "unread", 6, 0);
        close(sv[1]);
        POLL("poll after the peer closed with unread data", sv[0]);
        S("recv", recv(sv[0], buf, sizeof buf, 0));
        S("recv again", recv(sv[0], buf, sizeof buf, 0));
        S("recv again", recv(sv[0], buf, sizeof buf, 0));
        close(sv[0]);
        socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv);
        send(sv[1], "bye", 3, 0);
        send(sv[0], "unread", 6, 0);
        close(sv[1]);
        printf("SO_ERROR: %d (ECONNRESET=%d)\n", getint(sv[0], SO_ERROR), ECONNRESET);
        printf("SO_ERROR again: %d\n", getint(sv[0], SO_ERROR));
        S("send", send(sv[0], "x", 1, MSG_NOSIGNAL));
        S("recv", recv(sv[0], buf, sizeof buf, 0));
        close(sv[0]);
    }
}

static void shutdowns(void) {
    int sv[2];
    char buf[64];
    for (int type = SOCK_STREAM; type <= SOCK_SEQPACKET; type = type == SOCK_DGRAM ? SOCK_SEQPACKET : type + 1) {
        for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
            printf("- %s, shutdown(%s)\n", tname(type), how == SHUT_RD ? "SHUT_RD" : how == SHUT_WR ? "SHUT_WR" : "SHUT_RDWR");
            socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv);
            send(sv[1], "pre", 3, 0);
            S("shutdown", shutdown(sv[0], how));
            POLL("  poll this end", sv[0]);
            POLL("  poll the peer", sv[1]);
            S("  recv queued data", recv(sv[0], buf, sizeof buf, 0));
            S("  recv again", recv(sv[0], buf, sizeof buf, 0));
            S("  send from this end", send(sv[0], "a", 1, MSG_NOSIGNAL));
            S("  send from the peer", send(sv[1], "b", 1, MSG_NOSIGNAL));
            S("  peer recv", recv(sv[1], buf, sizeof buf, 0));
            close(sv[0]);
            close(sv[1]);
        }
    }
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    S("shutdown(3)", shutdown(sv[0], 3));
    S("shutdown(-1)", shutdown(sv[0], -1));
    S("shutdown twice", (shutdown(sv[0], SHUT_WR), shutdown(sv[0], SHUT_WR)));
    S("blocking recv on the peer: EOF", recv(sv[1], buf, sizeof buf, 0));
    close(sv[0]);
    close(sv[1]);
}

static void options(void) {
    int sv[2];
    socklen_t l;
    for (int type = SOCK_STREAM; type <= SOCK_SEQPACKET; type = type == SOCK_DGRAM ? SOCK_SEQPACKET : type + 1) {
        socketpair(AF_UNIX, type, 0, sv);
        printf("%s: SO_TYPE %d, SO_DOMAIN %d, SO_PROTOCOL %d, SO_ERROR %d, SO_ACCEPTCONN %d\n",
               tname(type), getint(sv[0], SO_TYPE), getint(sv[0], SO_DOMAIN),
               getint(sv[0], SO_PROTOCOL), getint(sv[0], SO_ERROR), getint(sv[0], SO_ACCEPTCONN));
        close(sv[0]);
        close(sv[1]);
    }
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    printf("SO_SNDBUF %d, SO_RCVBUF %d\n", getint(sv[0], SO_SNDBUF), getint(sv[0], SO_RCVBUF));
    printf("SO_RCVLOWAT %d, SO_SNDLOWAT %d, SO_PASSCRED %d, SO_KEEPALIVE %d\n",
           getint(sv[0], SO_RCVLOWAT), getint(sv[0], SO_SNDLOWAT), getint(sv[0], SO_PASSCRED),
           getint(sv[0], SO_KEEPALIVE));
    int sizes[] = { 0, 1000, 2303, 4096, 100000 };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int v = sizes[i];
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
        setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
        printf("set %d: SO_SNDBUF %d, SO_RCVBUF %d\n", v, getint(sv[0], SO_SNDBUF),
               getint(sv[0], SO_RCVBUF));
    }
    /* A small send buffer holds less. */
    int v = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    static char big[100000];
    S("send 100000 MSG_DONTWAIT with an 8 KiB send buffer", send(sv[0], big, sizeof big, MSG_DONTWAIT));
    S("recv it", recv(sv[1], big, sizeof big, MSG_DONTWAIT));
    v = 1;
    S("set SO_PASSCRED", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof v));
    v = 5;
    S("set SO_KEEPALIVE 5", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
    printf("SO_PASSCRED %d, SO_KEEPALIVE %d\n", getint(sv[0], SO_PASSCRED), getint(sv[0], SO_KEEPALIVE));
    S("set SO_TYPE", setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof v));
    S("set SO_ERROR", setsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, sizeof v));
    S("set option 9999", setsockopt(sv[0], SOL_SOCKET, 9999, &v, sizeof v));
    S("set with optlen 2", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, 2));
    S("set with optlen -1", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, -1));
    S("set from a bad pointer", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, BADPTR, 4));
    S("set at level SOL_IP", setsockopt(sv[0], 0, 1, &v, sizeof v));
    l = sizeof v;
    S("get at level SOL_TCP", getsockopt(sv[0], 6, 1, &v, &l));
    S("get option 9999", getsockopt(sv[0], SOL_SOCKET, 9999, &v, &l));
    v = 0;
    l = 2;
    S("get SO_TYPE with optlen 2", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l));
    printf("  value %d, optlen %d\n", v, (int)l);
    l = 8;
    S("get SO_TYPE with optlen 8", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l));
    printf("  value %d, optlen %d\n", v, (int)l);
    l = -1;
    S("get with optlen -1", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l));
    S("get with a bad optlen pointer", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, BADPTR));
    struct ucred uc;
    l = sizeof uc;
    S("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &l));
    YESNO("  pid, uid and gid are ours", uc.pid == getpid() && uc.uid == geteuid() && uc.gid == getegid());
    printf("  optlen %d\n", (int)l);
    struct linger lg = { 1, 7 };
    S("set SO_LINGER", setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    S("set SO_LINGER with optlen 4", setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, 4));
    memset(&lg, 0, sizeof lg);
    l = sizeof lg;
    S("get SO_LINGER", getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, &l));
    printf("  on %d, seconds %d, optlen %d\n", lg.l_onoff, lg.l_linger, (int)l);

    struct timeval tv = { 0, 500000 };
    S("set SO_RCVTIMEO 0.5 s", setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    memset(&tv, 0, sizeof tv);
    l = sizeof tv;
    S("get SO_RCVTIMEO", getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, &l));
    printf("  %ld s %ld us, optlen %d\n", (long)tv.tv_sec, (long)tv.tv_usec, (int)l);
    char buf[16];
    S("recv times out", recv(sv[1], buf, sizeof buf, 0));
    tv.tv_usec = 1000000;
    S("set SO_RCVTIMEO with 1000000 us", setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    S("set SO_RCVTIMEO with optlen 8", setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, 8));

    /* SO_RCVLOWAT: a stream recv waits for that many bytes. */
    v = 4;
    S("set SO_RCVLOWAT 4", setsockopt(sv[1], SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v));
    send(sv[0], "ab", 2, 0);
    S("recv MSG_DONTWAIT below the low-water mark (partial)", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    close(sv[0]);
    close(sv[1]);
}

static void names(void) {
    int sv[2];
    struct sockaddr_un a;
    socklen_t l;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    memset(&a, 0x55, sizeof a);
    l = sizeof a;
    S("getsockname", getsockname(sv[0], (struct sockaddr *)&a, &l));
    printf("  length %d, family %d (AF_UNIX=%d), next byte %#x (untouched)\n", (int)l, a.sun_family,
           AF_UNIX, (unsigned char)a.sun_path[0]);
    memset(&a, 0x55, sizeof a);
    l = 1;
    S("getsockname into 1 byte", getsockname(sv[0], (struct sockaddr *)&a, &l));
    printf("  length %d, first byte %#x, second %#x\n", (int)l, ((unsigned char *)&a)[0],
           ((unsigned char *)&a)[1]);
    l = 0;
    S("getsockname into 0 bytes (bad address unused)", getsockname(sv[0], BADPTR, &l));
    printf("  length %d\n", (int)l);
    l = -1;
    S("getsockname with length -1", getsockname(sv[0], (struct sockaddr *)&a, &l));
    S("getsockname with a bad length pointer", getsockname(sv[0], (struct sockaddr *)&a, BADPTR));
    l = sizeof a;
    S("getpeername", getpeername(sv[1], (struct sockaddr *)&a, &l));
    printf("  length %d, family %d\n", (int)l, a.sun_family);
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    close(sv[1]);
    S("dgram send to a closed peer", send(sv[0], "x", 1, 0));
    l = sizeof a;
    S("getpeername after", getpeername(sv[0], (struct sockaddr *)&a, &l));
    l = sizeof a;
    S("getsockname after", getsockname(sv[0], (struct sockaddr *)&a, &l));
    close(sv[0]);
}

static unsigned char pattern(long i) { return (unsigned char)((i * 13 + 5) % 251); }

static void with_child(void) {
    int sv[2];
    char buf[64];
    /* An echo server in the child: it upper-cases what it reads until EOF. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        long n;
        while ((n = read(sv[1], buf, sizeof buf)) > 0) {
            for (long i = 0; i < n; i++)
                if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
            if (write_full(sv[1], buf, n) != n) _exit(2);
        }
        _exit(n == 0 ? 0 : 1);
    }
    close(sv[1]);
    const char *words[] = { "ping", "hello child", "bye" };
    for (int i = 0; i < 3; i++) {
        long len = strlen(words[i]);
        write_full(sv[0], words[i], len);
        memset(buf, 0, sizeof buf);
        long n = recv(sv[0], buf, len, MSG_WAITALL);
        printf("sent \"%s\", the child answered %ld bytes: \"%s\"\n", words[i], n, buf);
    }
    struct pollfd p = { sv[0], POLLIN, 0 };
    S("poll with nothing to read (0 ms)", poll(&p, 1, 0));
    shutdown(sv[0], SHUT_WR);
    S("recv after SHUT_WR: the child exits, EOF", recv(sv[0], buf, sizeof buf, 0));
    close(sv[0]);
    wait_show("echo child", pid);

    /* 1 MiB each way: blocking writes larger than the buffer, reads in odd sizes. */
    const long total = 1 << 20;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        static unsigned char in[1 << 20];
        long got = 0, n;
        while (got < total && (n = read(sv[1], in + got, 3001)) > 0) got += n;
        long bad = 0;
        for (long i = 0; i < got; i++) bad += in[i] != pattern(i);
        for (long i = 0; i < got; i++) in[i] = pattern(i + 1);
        if (send(sv[1], in, got, 0) != got) _exit(3);
        _exit(got == total && bad == 0 ? 0 : 1);
    }
    close(sv[1]);
    static unsigned char out[1 << 20], back[1 << 20];
    for (long i = 0; i < total; i++) out[i] = pattern(i);
    S("one blocking send of 1 MiB", send(sv[0], out, total, 0));
    S("one recv MSG_WAITALL of 1 MiB", recv(sv[0], back, total, MSG_WAITALL));
    long bad = 0;
    for (long i = 0; i < total; i++) bad += back[i] != pattern(i + 1);
    YESNO("every byte back right", bad == 0);
    close(sv[0]);
    wait_show("1 MiB child (0: got every byte)", pid);

    /* Datagrams between processes keep their boundaries. */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        for (int i = 1; i <= 5; i++) {
            char msg[16];
            int len = snprintf(msg, sizeof msg, "msg-%d%.*s", i, i, "!!!!!");
            if (send(sv[1], msg, len, 0) != len) _exit(1);
        }
        _exit(0);
    }
    close(sv[1]);
    for (int i = 0; i < 5; i++) {
        memset(buf, 0, sizeof buf);
        long n = recv(sv[0], buf, sizeof buf, 0);
        printf("datagram %d: %ld \"%s\"\n", i + 1, n, buf);
    }
    close(sv[0]);
    wait_show("datagram child", pid);

    /* A blocked reader is woken by data, then by the peer's close (EOF). */
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        msleep(30);
        send(sv[1], "late", 4, 0);
        msleep(30);
        _exit(0);
    }
    close(sv[1]);
    memset(buf, 0, sizeof buf);
    S("blocking recv until the child sends", recv(sv[0], buf, sizeof buf, 0));
    printf("  got \"%s\"\n", buf);
    S("blocking recv until the child exits", recv(sv[0], buf, sizeof buf, 0));
    close(sv[0]);
    wait_show("seqpacket child", pid);

    /* poll woken by the child. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        msleep(30);
        send(sv[1], "x", 1, 0);
        char c;
        read(sv[1], &c, 1); /* until the parent closes */
        _exit(0);
    }
    close(sv[1]);
    p.fd = sv[0];
    p.events = POLLIN;
    p.revents = 0;
    S("poll(5000 ms) until the child sends", poll(&p, 1, 5000));
    printf("  revents %s\n", pollstr(p.revents));
    close(sv[0]);
    wait_show("poll child", pid);

    /* A sender blocked on a full socket: the reader closes without reading. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int fl = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
    while (send(sv[0], out, 4096, 0) > 0) {}
    fcntl(sv[0], F_SETFL, fl);
    pid = fork();
    if (pid == 0) {
        msleep(30);
        _exit(0); /* drops the child's copy of sv[1] */
    }
    close(sv[1]);
    sigpipes = 0;
    signal(SIGPIPE, on_sigpipe);
    S("blocked send, the reader closes unread", send(sv[0], out, 10, 0));
    printf("  SIGPIPEs: %d\n", sigpipes);
    S("send again", send(sv[0], out, 10, 0));
    printf("  SIGPIPEs: %d\n", sigpipes);
    signal(SIGPIPE, SIG_DFL);
    close(sv[0]);
    wait_show("closing child", pid);

    /* SIGPIPE kills a writer that does not handle it. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        write(sv[0], "x", 1);
        _exit(0);
    }
    wait_show("child writing to a closed stream", pid);
    pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        _exit(send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE ? 7 : 1);
    }
    wait_show("child sending MSG_NOSIGNAL (7: EPIPE)", pid);
    close(sv[0]);
}

static const struct section { const char *name, *title; void (*run)(void); } sections[] = {
    { "creation", "creation", creation },
    { "stream", "stream", stream },
    { "dgram", "datagrams", NULL },
    { "seqpacket", "sequenced packets", NULL },
    { "close", "after a close", closing },
    { "shutdown", "shutdown", shutdowns },
    { "options", "options", options },
    { "names", "names", names },
    { "fork", "with a child", with_child },
};

/* No arguments: every section; else only the sections named. */
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    no_core();
    for (unsigned i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        int wanted = argc == 1;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], sections[i].name) == 0;
        if (!wanted) continue;
        printf("-- %s\n", sections[i].title);
        if (sections[i].run) sections[i].run();
        else messages(strcmp(sections[i].name, "dgram") == 0 ? SOCK_DGRAM : SOCK_SEQPACKET);
    }
    printf("done\n");
    return 0;
}
