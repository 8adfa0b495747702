//! Sockets: connected AF_UNIX pairs from socketpair(2) (`programs/socketpair.c`), natively vs
//! under the sentry. The native output must also hold the key lines below, so the test cannot
//! pass by both sides printing nothing useful.

use guest_tests::assert_same;

#[test]
fn socketpair() {
    let native = assert_same("socketpair", &[]);
    assert_eq!(native.code(), 0, "native socketpair:\n{native}");
    native.assert_checks_pass();
    let out = native.stdout_str();
    for line in [
        "stream pair: 0",
        "mode 140777, nlink 1, size 0, blksize 4096",
        "/proc/self/fd link is socket:[st_ino]: yes",
        "AF_UNIX type 0: -1 ESOCKTNOSUPPORT(94)",
        "send on a pipe: -1 ENOTSOCK(88)",
        "peek 100 (across both writes): 11",
        "recv 100 (the rest of both writes): 9",
        "recv MSG_DONTWAIT when empty: -1 EAGAIN(11)",
        "sendto with an address: -1 EISCONN(106)",
        "fill ended with EAGAIN(11)",
        "more than 100000 bytes fit: yes",
        "recv 3 of 5 (truncates): 3",
        "recv 100 (the next message only): 6",
        "recv MSG_TRUNC into 1 byte (full length): 3",
        "  \"012\" \"345\" flags 0x20 (MSG_TRUNC=0x20)",
        "send 212961: -1 EMSGSIZE(90)",
        "poll after the peer closed: IN|OUT|HUP|RDHUP",
        "send with a SIGPIPE handler: -1 EPIPE(32)",
        "  SIGPIPEs: 1",
        "send MSG_NOSIGNAL (SIGPIPE default): -1 EPIPE(32)",
        "recv again: -1 ECONNRESET(104)",
        "SO_ERROR: 104 (ECONNRESET=104)",
        "send (SIGPIPE ignored): -1 ECONNREFUSED(111)",
        "getpeername: -1 ENOTCONN(107)",
        "stream: SO_TYPE 1, SO_DOMAIN 1, SO_PROTOCOL 0, SO_ERROR 0, SO_ACCEPTCONN 0",
        "dgram: SO_TYPE 2, SO_DOMAIN 1, SO_PROTOCOL 0, SO_ERROR 0, SO_ACCEPTCONN 0",
        "SO_SNDBUF 212992, SO_RCVBUF 212992",
        "set 4096: SO_SNDBUF 8192, SO_RCVBUF 8192",
        "  length 2, family 1 (AF_UNIX=1), next byte 0x55 (untouched)",
        "sent \"hello child\", the child answered 11 bytes: \"HELLO CHILD\"",
        "one recv MSG_WAITALL of 1 MiB: 1048576",
        "1 MiB child (0: got every byte): exited 0",
        "datagram 5: 10 \"msg-5!!!!!\"",
        "blocked send, the reader closes unread: -1 ECONNRESET(104)",
        "child writing to a closed stream: killed by signal 13",
        "done",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "native socketpair output lacks {line:?}:\n{out}"
        );
    }
}

#[test]
fn sigpipe_only_for_stream_sockets() {
    guest_tests::assert_same_with_lines(
        "socket_sigpipe",
        &[
            "stream write after peer close: -1 Broken pipe sigpipe 1",
            "seqpacket write after peer close: -1 Broken pipe sigpipe 0",
            "dgram write after SHUT_WR: -1 Broken pipe sigpipe 0",
        ],
    );
}

#[test]
fn read_and_write_honour_socket_timeouts() {
    guest_tests::assert_same_with_lines(
        "socket_timeouts",
        &[
            "read with SO_RCVTIMEO 200ms: -1 Resource temporarily unavailable, waited about 200ms",
            "read interrupted (SA_RESTART, timeout set): -1 Interrupted system call",
            "write with SO_SNDTIMEO on a full socket: -1 Resource temporarily unavailable",
        ],
    );
}

/// `programs/unix_listen.c`: socket(2), bind (path, abstract, autobind), listen,
/// connect, accept4, and their errors.
#[test]
fn unix_bind_listen_connect_accept() {
    guest_tests::assert_same_with_lines(
        "unix_listen",
        &[
            "bind again: -1 errno 98",
            "the path is a socket: yes",
            "connect before listen: -1 errno 111",
            "accept with none pending: -1 EAGAIN(11)",
            "child: got 5 bytes 'world', server is gt-unix.sock",
            "server read 5: hello, sender address length 0",
            "child: recvfrom names gt-unix.sock",
            "SO_PEERCRED is the child: yes",
            "recv it: 3",
            "autobound name length 8, abstract: yes",
            "connect to a missing path: -1 ENOENT(2)",
            "done",
        ],
    );
}

/// `programs/scm_rights.c`: passing descriptors (SCM_RIGHTS).
#[test]
fn scm_rights_passes_descriptors() {
    let native = guest_tests::assert_same_with_lines(
        "scm_rights",
        &[
            "received 1 bytes, 1 descriptor(s), flags 0x0",
            "room for one: 1 descriptor(s), MSG_CTRUNC set",
            "no room: 0 descriptor(s), 1 byte(s), MSG_CTRUNC set",
            "send a bad descriptor: -1 EBADF(9)",
            "first read: 2 bytes, 1 descriptor(s)",
            "done",
        ],
    );
    native.assert_checks_pass();
}

/// `programs/unix_dgram.c`: named AF_UNIX datagram sockets.
#[test]
fn unix_datagram_sockets() {
    guest_tests::assert_same_with_lines(
        "unix_dgram",
        &[
            "a got 5: hello from a name of length 13, abstract yes",
            "from an unbound socket: 1 bytes, name length 0",
            "from the socketpair end: 4 bytes (pair), name length 0",
            "the peer got 4 bytes",
            "sendto a after SHUT_WR: -1 errno 32",
            "peer gt-dgram.sock",
            "queued before the receiver was full: 11 (Resource temporarily unavailable)",
            "recv 4 with MSG_TRUNC: 10",
            "100000-byte messages queued: 3 (Resource temporarily unavailable)",
            "another after one was read: 100000",
            "sendto a missing path: -1 ENOENT(2)",
            "sendto a closed socket's path: -1 errno 111",
            "blocked sender: sent 11, then -1 Connection refused",
            "done",
        ],
    );
}
