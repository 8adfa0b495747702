//! Connected AF_UNIX sockets, as socketpair(2) makes them: two endpoints, each with a
//! receive queue of the messages ("skbs") the other one sent.
//!
//! Linux's flow control is kept to the message: a sender may queue while the memory its
//! unread messages take (their `truesize`: the data plus Linux's per-buffer bookkeeping,
//! rounded as its allocators round) is below its send buffer (SO_SNDBUF, by default
//! net.core.wmem_default), so many small writes fill a socket sooner than a few large
//! ones, and it polls writable only while at most a quarter is in use. Streams split a
//! write into segments and a read gathers across them; datagrams and sequenced packets
//! keep their boundaries and a short read truncates (and drops the rest of) a message.
//!
//! Blocking is the caller's business, as for pipes: an operation that would block
//! returns EAGAIN and the end's wait queue says when to retry.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::file::OpenFile;
use super::inode::{poll_bits, FileType, Inode, Stat};
use crate::errno::{Errno, SysResult};
use crate::kernel::wait::WaitQueue;

/// net.core.wmem_default and rmem_default: a new socket's send and receive buffers.
pub const WMEM_DEFAULT: usize = 212_992;
pub const RMEM_DEFAULT: usize = 212_992;
/// net.core.wmem_max and rmem_max: the most SO_SNDBUF/SO_RCVBUF may ask for (doubled).
pub const WMEM_MAX: usize = 212_992;
pub const RMEM_MAX: usize = 212_992;
/// The least a send or receive buffer is set to.
pub const SOCK_MIN_SNDBUF: usize = 4608;
pub const SOCK_MIN_RCVBUF: usize = 2304;

/// `sk_shutdown` bits: shutdown(SHUT_RD) sets the first, SHUT_WR the second.
pub const RCV_SHUTDOWN: u8 = 1;
pub const SEND_SHUTDOWN: u8 = 2;
const SHUTDOWN_MASK: u8 = RCV_SHUTDOWN | SEND_SHUTDOWN;

/// Device number of the socket filesystem.
const SOCKFS_DEV: u64 = 0x09;

// Linux's buffer accounting on x86-64 (4 KiB pages, 64-byte cache lines).
const PAGE: usize = 4096;
/// SKB_DATA_ALIGN(sizeof(struct sk_buff)).
const SKB_STRUCT: usize = 256;
/// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)).
const SHINFO: usize = 320;
/// SKB_MAX_HEAD(0): the most data a stream buffer keeps in its linear part.
const SKB_MAX_HEAD: usize = PAGE - SHINFO;
/// SKB_MAX_ALLOC: the most data a datagram keeps in its linear part.
const SKB_MAX_ALLOC: usize = 4 * PAGE - SHINFO;
/// The paged part of one stream segment at most.
const UNIX_SKB_FRAGS_SZ: usize = 32768;
/// Pages a datagram's paged part has at most.
const MAX_SKB_FRAGS: usize = 17;

/// Memory a buffer with `head` linear bytes and `paged` bytes in pages is charged.
fn truesize(head: usize, paged: usize) -> usize {
    // The linear part comes from a small-head cache (512 bytes) or kmalloc (powers of two).
    let alloc = (head.next_multiple_of(64) + SHINFO)
        .max(512)
        .next_power_of_two();
    SKB_STRUCT + alloc + paged
}

/// A stream segment of `size` bytes: what does not fit the head goes in whole pages.
fn stream_truesize(size: usize) -> usize {
    let paged = size
        .saturating_sub(SKB_MAX_HEAD)
        .next_multiple_of(PAGE)
        .min(size);
    truesize(size - paged, paged)
}

/// A datagram of `len` bytes.
fn dgram_truesize(len: usize) -> usize {
    let paged = if len > SKB_MAX_ALLOC {
        (len - SKB_MAX_ALLOC)
            .min(MAX_SKB_FRAGS * PAGE)
            .next_multiple_of(PAGE)
    } else {
        0
    };
    truesize(len.saturating_sub(paged), paged)
}

/// The most bytes one stream segment takes with send buffer `sndbuf` ("keep two
/// messages in the pipe", and what one buffer's pages hold).
fn segment_max(sndbuf: usize) -> usize {
    ((sndbuf >> 1).saturating_sub(64)).min(SKB_MAX_HEAD + UNIX_SKB_FRAGS_SZ)
}

/// The socket type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    Stream,
    Dgram,
    Seqpacket,
}

impl SockType {
    /// The SOCK_* value (SO_TYPE).
    pub fn raw(self) -> i32 {
        match self {
            SockType::Stream => 1,
            SockType::Dgram => 2,
            SockType::Seqpacket => 5,
        }
    }
}

/// Who made the pair (SO_PEERCRED).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// SOL_SOCKET options an end only records (apart from the timeouts and the receive
/// low-water mark, which the syscalls honour).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Integer options by SO_* number, as last set.
    pub ints: Vec<(i32, i32)>,
    /// SO_LINGER: on or off, and seconds.
    pub linger: (bool, u32),
    /// SO_RCVTIMEO, SO_SNDTIMEO: None waits forever; zero never waits.
    pub rcvtimeo: Option<Duration>,
    pub sndtimeo: Option<Duration>,
}

impl Options {
    pub fn int(&self, name: i32) -> Option<i32> {
        self.ints.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    pub fn set_int(&mut self, name: i32, value: i32) {
        match self.ints.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.ints.push((name, value)),
        }
    }
}

/// One queued message (a stream segment or a datagram).
struct Skb {
    data: Vec<u8>,
    /// Open files passed with it (SCM_RIGHTS), delivered to whoever reads it first.
    files: Vec<Arc<OpenFile>>,
    /// Bytes of a stream segment already read.
    consumed: usize,
    /// What it is charged to its sender's send buffer.
    truesize: usize,
}

/// One endpoint's state.
struct Side {
    /// Messages the other end sent, oldest first.
    queue: VecDeque<Skb>,
    /// Memory this end's unread messages take (`sk_wmem_alloc`).
    wmem: usize,
    sndbuf: usize,
    rcvbuf: usize,
    shutdown: u8,
    /// A pending error (`sk_err`), reported once by the next operation that looks.
    err: Option<Errno>,
    /// Open file descriptions of this end.
    files: usize,
    /// Closed for good.
    dead: bool,
    /// Whether it still has a peer: a datagram socket loses it when a send finds the
    /// peer closed.
    connected: bool,
}

impl Side {
    fn new() -> Side {
        Side {
            queue: VecDeque::new(),
            wmem: 0,
            sndbuf: WMEM_DEFAULT,
            rcvbuf: RMEM_DEFAULT,
            shutdown: 0,
            err: None,
            files: 0,
            dead: false,
            connected: true,
        }
    }

    /// Linux's `unix_writable`: at most a quarter of the send buffer in use (the
    /// allocation counter starts at 1).
    fn writable(&self) -> bool {
        (self.wmem + 1) * 4 <= self.sndbuf
    }
}

/// The two ends' shared state.
struct Pair {
    kind: SockType,
    sides: Mutex<[Side; 2]>,
    /// Each end's wait queue: its readers, writers and pollers (a connected socket's
    /// is the one it had before it connected).
    queues: [Arc<WaitQueue>; 2],
}

/// Which wait queues to wake once the lock is released.
#[derive(Default)]
struct Wake([bool; 2]);

impl Pair {
    fn lock(&self) -> MutexGuard<'_, [Side; 2]> {
        self.sides.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wake(&self, wake: Wake) {
        for (i, w) in wake.0.iter().enumerate() {
            if *w {
                self.queues[i].notify();
            }
        }
    }
}

/// `(this end, the other end)`.
fn split(sides: &mut [Side; 2], side: usize) -> (&mut Side, &mut Side) {
    let [a, b] = sides;
    if side == 0 {
        (a, b)
    } else {
        (b, a)
    }
}

/// Why a send failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendError {
    pub errno: Errno,
    /// Linux also raises SIGPIPE (unless MSG_NOSIGNAL).
    pub sigpipe: bool,
}

impl From<Errno> for SendError {
    fn from(errno: Errno) -> SendError {
        SendError {
            errno,
            sigpipe: false,
        }
    }
}

/// What one send attempt carries.
pub struct Message<'a> {
    /// The bytes, or the error copying them from the sender gave (reported where Linux
    /// copies, after the checks before it).
    pub data: Result<&'a [u8], Errno>,
    /// Their length (also when they could not be copied).
    pub len: usize,
    /// A retry of the same call (after waiting, or after some bytes went): the checks
    /// Linux makes once per call are not made again.
    pub continuing: bool,
    /// Open files to pass (SCM_RIGHTS), with the first bytes this send queues.
    pub files: Vec<Arc<OpenFile>>,
}

/// What one receive attempt got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// `len` bytes; for a message, `full` is its whole length (more when truncated).
    Data { len: usize, full: usize },
    /// End of file.
    Eof,
}

/// Where received bytes go: `(offset in the caller's buffer, bytes)`.
pub type Sink<'a> = dyn FnMut(usize, &[u8]) -> SysResult<()> + 'a;

/// One end of a socket pair, as an inode (so it has a descriptor, fstat, /proc/self/fd).
pub struct SocketEnd {
    pair: Arc<Pair>,
    side: usize,
    ino: u64,
    /// The peer's process and effective ids (SO_PEERCRED): who made the pair, or
    /// who connected or listened.
    peer: Cred,
    /// The inode's owner (the creator's filesystem ids).
    owner: (u32, u32),
    options: Mutex<Options>,
    /// The addresses (`sun_path` bytes, empty when unnamed) of this end and its peer.
    name: Vec<u8>,
    peer_name: Vec<u8>,
    /// Bytes of this end's messages waiting in named datagram sockets' queues (a
    /// datagram end may also send to an address: `unix_dgram`).
    pub sent_by_name: Arc<std::sync::atomic::AtomicUsize>,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// What fstat shows of a socket: sockfs inode `ino`, owned by `owner`.
pub fn sockfs_stat(ino: u64, owner: (u32, u32)) -> Stat {
    Stat {
        dev: SOCKFS_DEV,
        ino,
        mode: 0o140777,
        nlink: 1,
        uid: owner.0,
        gid: owner.1,
        blksize: 4096,
        ..Stat::default()
    }
}

/// A sockfs inode number.
pub fn next_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

/// What one end of a connection made by connect(2) starts with.
pub struct EndParts {
    pub queue: Arc<WaitQueue>,
    pub peer: Cred,
    pub owner: (u32, u32),
    pub options: Options,
    pub name: Vec<u8>,
    pub peer_name: Vec<u8>,
    pub ino: u64,
}

/// The two ends of a connection of type `kind`: the connecting socket's and the one
/// accept(2) will return.
pub fn connected_pair(
    kind: SockType,
    client: EndParts,
    server: EndParts,
) -> (Arc<SocketEnd>, Arc<SocketEnd>) {
    let pair = Arc::new(Pair {
        kind,
        sides: Mutex::new([Side::new(), Side::new()]),
        queues: [client.queue.clone(), server.queue.clone()],
    });
    let end = |side, parts: EndParts| {
        Arc::new(SocketEnd {
            pair: pair.clone(),
            side,
            ino: parts.ino,
            peer: parts.peer,
            owner: parts.owner,
            options: Mutex::new(parts.options),
            name: parts.name,
            peer_name: parts.peer_name,
            sent_by_name: Default::default(),
        })
    };
    let client_end = end(0, client);
    (client_end, end(1, server))
}

/// Two connected sockets of type `kind`, made by `creator`, owned by `owner`.
pub fn socket_pair(
    kind: SockType,
    creator: Cred,
    owner: (u32, u32),
) -> (Arc<SocketEnd>, Arc<SocketEnd>) {
    let pair = Arc::new(Pair {
        kind,
        sides: Mutex::new([Side::new(), Side::new()]),
        queues: Default::default(),
    });
    let end = |side| {
        Arc::new(SocketEnd {
            pair: pair.clone(),
            side,
            ino: next_ino(),
            peer: creator,
            owner,
            options: Mutex::new(Options::default()),
            name: Vec::new(),
            peer_name: Vec::new(),
            sent_by_name: Default::default(),
        })
    };
    (end(0), end(1))
}

impl SocketEnd {
    pub fn kind(&self) -> SockType {
        self.pair.kind
    }

    /// What /proc/self/fd shows: `socket:[inode]`.
    pub fn link_name(&self) -> Vec<u8> {
        format!("socket:[{}]", self.ino).into_bytes()
    }

    /// SO_PEERCRED.
    pub fn peer_cred(&self) -> Cred {
        self.peer
    }

    /// This end's address (`sun_path` bytes; empty: unnamed).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The peer's address.
    pub fn peer_name(&self) -> &[u8] {
        &self.peer_name
    }

    /// This end's wait queue.
    pub fn queue(&self) -> &WaitQueue {
        &self.pair.queues[self.side]
    }

    pub fn options(&self) -> MutexGuard<'_, Options> {
        self.options.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on (this end, the other end), then wakes whom it asked for.
    fn with<T>(&self, f: impl FnOnce(&mut Side, &mut Side, &mut Wake) -> T) -> T {
        let mut wake = Wake::default();
        let mut sides = self.pair.lock();
        let (me, peer) = split(&mut sides, self.side);
        let r = f(me, peer, &mut wake);
        drop(sides);
        self.pair.wake(wake);
        r
    }

    /// Bytes one stream segment takes at most (a send copies this much at a time).
    pub fn segment_size(&self) -> usize {
        self.with(|me, _, _| segment_max(me.sndbuf))
    }

    /// The longest datagram a send accepts.
    pub fn max_datagram(&self) -> usize {
        self.with(|me, _, _| me.sndbuf.saturating_sub(32))
    }

    /// What a datagram sent to a name meets on this end before the name is looked up:
    /// its pending error, or EPIPE once it is shut down for sending.
    pub fn check_named_send(&self) -> SysResult<()> {
        self.with(|me, _, _| {
            if let Some(e) = me.err.take() {
                return Err(e);
            }
            if me.shutdown & SEND_SHUTDOWN != 0 {
                return Err(Errno::EPIPE);
            }
            Ok(())
        })
    }

    pub fn sndbuf(&self) -> usize {
        self.with(|me, _, _| me.sndbuf)
    }

    pub fn rcvbuf(&self) -> usize {
        self.with(|me, _, _| me.rcvbuf)
    }

    /// SO_SNDBUF (already doubled and bounded by the caller).
    pub fn set_sndbuf(&self, size: usize) {
        let side = self.side;
        self.with(|me, _, wake| {
            me.sndbuf = size;
            if me.writable() {
                wake.0[side] = true;
            }
        })
    }

    /// SO_RCVBUF (recorded: Linux's unix sockets do not limit by it).
    pub fn set_rcvbuf(&self, size: usize) {
        self.with(|me, _, _| me.rcvbuf = size)
    }

    /// SO_ERROR: the pending error, cleared.
    pub fn take_error(&self) -> Option<Errno> {
        self.with(|me, _, _| me.err.take())
    }

    /// Whether the end still has a peer (getpeername).
    pub fn connected(&self) -> bool {
        self.with(|me, _, _| me.connected)
    }

    /// shutdown(2) with `how` + 1 (RCV_SHUTDOWN, SEND_SHUTDOWN or both): a stream or
    /// sequenced-packet peer sees the mirror image.
    pub fn shutdown(&self, mode: u8) {
        let kind = self.pair.kind;
        self.with(|me, peer, wake| {
            me.shutdown |= mode & SHUTDOWN_MASK;
            if kind != SockType::Dgram && me.connected {
                let mut peer_mode = 0;
                if mode & RCV_SHUTDOWN != 0 {
                    peer_mode |= SEND_SHUTDOWN;
                }
                if mode & SEND_SHUTDOWN != 0 {
                    peer_mode |= RCV_SHUTDOWN;
                }
                peer.shutdown |= peer_mode;
            }
            *wake = Wake([true, true]);
        })
    }

    /// Whether a send would do something other than EAGAIN now.
    pub fn can_send(&self) -> bool {
        let kind = self.pair.kind;
        self.with(|me, _, _| {
            me.err.is_some()
                || me.shutdown & SEND_SHUTDOWN != 0
                || me.wmem < me.sndbuf
                || (kind == SockType::Dgram && !me.connected)
        })
    }

    /// Whether a blocking receive would do something other than wait now.
    pub fn can_recv(&self) -> bool {
        self.with(|me, _, _| {
            !me.queue.is_empty() || me.err.is_some() || me.shutdown & RCV_SHUTDOWN != 0
        })
    }

    /// One send attempt, as Linux's unix_stream_sendmsg / unix_dgram_sendmsg make it:
    /// a stream queues what fits (in segments) and returns the count, a message goes
    /// whole or not at all; EAGAIN when there is no room.
    pub fn send(&self, msg: &Message) -> Result<usize, SendError> {
        let kind = self.pair.kind;
        let other = 1 - self.side;
        self.with(|me, peer, wake| match kind {
            SockType::Stream => send_stream(me, peer, msg, &mut wake.0[other]),
            _ => send_message(kind, me, peer, msg, &mut wake.0[other]),
        })
    }

    /// One receive attempt of at most `max` bytes, handed to `sink` (a failing sink
    /// ends it: the stream bytes it refused stay queued, a message is gone, as in
    /// Linux). `blocking`: whether the caller would wait (a datagram socket shut down
    /// for reading reports end of file only then).
    pub fn recv(
        &self,
        max: usize,
        peek: bool,
        blocking: bool,
        sink: &mut Sink,
        files: &mut Vec<Arc<OpenFile>>,
    ) -> SysResult<Received> {
        let kind = self.pair.kind;
        let other = 1 - self.side;
        self.with(|me, peer, wake| {
            let (r, freed) = match kind {
                SockType::Stream => recv_stream(me, peek, max, sink, files),
                _ => recv_message(kind, me, peek, blocking, max, sink, files),
            };
            // The sender's memory came back: it may write again (unix_write_space).
            if freed > 0 {
                peer.wmem = peer.wmem.saturating_sub(freed);
                if peer.writable() {
                    wake.0[other] = true;
                }
            }
            r
        })
    }
}

/// A partial count wins over a later error.
fn partial(sent: usize, errno: Errno, sigpipe: bool) -> Result<usize, SendError> {
    if sent > 0 {
        Ok(sent)
    } else {
        Err(SendError { errno, sigpipe })
    }
}

fn send_stream(
    me: &mut Side,
    peer: &mut Side,
    msg: &Message,
    wake_peer: &mut bool,
) -> Result<usize, SendError> {
    if !msg.continuing && me.shutdown & SEND_SHUTDOWN != 0 {
        return Err(SendError {
            errno: Errno::EPIPE,
            sigpipe: true,
        });
    }
    let mut sent = 0;
    while sent < msg.len {
        // sock_alloc_send_pskb.
        if let Some(e) = me.err.take() {
            return partial(sent, e, false);
        }
        if me.shutdown & SEND_SHUTDOWN != 0 {
            return partial(sent, Errno::EPIPE, false);
        }
        if me.wmem >= me.sndbuf {
            return partial(sent, Errno::EAGAIN, false);
        }
        let size = (msg.len - sent).min(segment_max(me.sndbuf));
        let bytes = match msg.data {
            Ok(d) => match d.get(sent..sent + size) {
                Some(b) => b,
                None => return partial(sent, Errno::EFAULT, false),
            },
            Err(e) => return partial(sent, e, false),
        };
        if peer.dead || peer.shutdown & RCV_SHUTDOWN != 0 {
            return partial(sent, Errno::EPIPE, true);
        }
        let truesize = stream_truesize(size);
        // Passed files ride on the first segment.
        let files = if sent == 0 {
            msg.files.clone()
        } else {
            Vec::new()
        };
        peer.queue.push_back(Skb {
            data: bytes.to_vec(),
            files,
            consumed: 0,
            truesize,
        });
        me.wmem += truesize;
        *wake_peer = true;
        sent += size;
    }
    Ok(sent)
}

fn send_message(
    kind: SockType,
    me: &mut Side,
    peer: &mut Side,
    msg: &Message,
    wake_peer: &mut bool,
) -> Result<usize, SendError> {
    if kind == SockType::Seqpacket && !msg.continuing {
        if let Some(e) = me.err.take() {
            return Err(e.into());
        }
    }
    if !me.connected {
        return Err(Errno::ENOTCONN.into());
    }
    if msg.len > me.sndbuf.saturating_sub(32) {
        return Err(Errno::EMSGSIZE.into());
    }
    // sock_alloc_send_pskb.
    if let Some(e) = me.err.take() {
        return Err(e.into());
    }
    if me.shutdown & SEND_SHUTDOWN != 0 {
        return Err(Errno::EPIPE.into());
    }
    if me.wmem >= me.sndbuf {
        return Err(Errno::EAGAIN.into());
    }
    let data = msg.data?;
    if peer.dead {
        if kind == SockType::Seqpacket {
            return Err(Errno::EPIPE.into());
        }
        // The peer is gone: the socket disconnects, and what it had received is lost.
        me.connected = false;
        me.queue.clear();
        return Err(Errno::ECONNREFUSED.into());
    }
    if peer.shutdown & RCV_SHUTDOWN != 0 {
        return Err(Errno::EPIPE.into());
    }
    let bytes = data.get(..msg.len).ok_or(Errno::EFAULT)?;
    let truesize = dgram_truesize(bytes.len());
    peer.queue.push_back(Skb {
        data: bytes.to_vec(),
        files: msg.files.clone(),
        consumed: 0,
        truesize,
    });
    me.wmem += truesize;
    *wake_peer = true;
    Ok(bytes.len())
}

/// A stream read: across segments, up to `max` bytes. Returns the result and the
/// memory freed (charged to the peer).
fn recv_stream(
    me: &mut Side,
    peek: bool,
    max: usize,
    sink: &mut Sink,
    files: &mut Vec<Arc<OpenFile>>,
) -> (SysResult<Received>, usize) {
    if me.queue.is_empty() {
        if let Some(e) = me.err.take() {
            return (Err(e), 0);
        }
        if me.shutdown & RCV_SHUTDOWN != 0 {
            return (Ok(Received::Eof), 0);
        }
        return (Err(Errno::EAGAIN), 0);
    }
    let mut n = 0;
    for skb in me.queue.iter() {
        if n == max {
            break;
        }
        let rest = skb.data.get(skb.consumed..).unwrap_or_default();
        let take = rest.len().min(max - n);
        if let Err(e) = sink(n, &rest[..take]) {
            if n == 0 {
                return (Err(e), 0);
            }
            break;
        }
        n += take;
        // As Linux, a read ends with a segment that passed files (it gets them).
        if !skb.files.is_empty() {
            break;
        }
    }
    let mut freed = 0;
    if peek {
        // A peek gets copies of the files of what it saw.
        let mut seen = 0;
        for skb in me.queue.iter() {
            if seen >= n {
                break;
            }
            seen += skb.data.len().saturating_sub(skb.consumed);
            files.extend(skb.files.iter().cloned());
        }
    } else {
        let mut left = n;
        while left > 0 {
            let Some(front) = me.queue.front_mut() else {
                break;
            };
            files.append(&mut front.files);
            let avail = front.data.len().saturating_sub(front.consumed);
            if left < avail {
                front.consumed += left;
                break;
            }
            left -= avail;
            if let Some(skb) = me.queue.pop_front() {
                freed += skb.truesize;
            }
        }
    }
    (Ok(Received::Data { len: n, full: n }), freed)
}

/// A message read: the first message, truncated to `max` bytes.
fn recv_message(
    kind: SockType,
    me: &mut Side,
    peek: bool,
    blocking: bool,
    max: usize,
    sink: &mut Sink,
    files: &mut Vec<Arc<OpenFile>>,
) -> (SysResult<Received>, usize) {
    if let Some(e) = me.err.take() {
        return (Err(e), 0);
    }
    if me.queue.is_empty() {
        // Linux: end of file for a blocking reader of a socket shut down for reading,
        // and for any reader of a sequenced-packet one.
        if me.shutdown & RCV_SHUTDOWN != 0 && (blocking || kind == SockType::Seqpacket) {
            return (Ok(Received::Eof), 0);
        }
        return (Err(Errno::EAGAIN), 0);
    }
    if peek {
        let Some(front) = me.queue.front() else {
            return (Err(Errno::EAGAIN), 0);
        };
        let n = front.data.len().min(max);
        let r = sink(0, &front.data[..n]).map(|()| Received::Data {
            len: n,
            full: front.data.len(),
        });
        files.extend(front.files.iter().cloned());
        return (r, 0);
    }
    let Some(mut skb) = me.queue.pop_front() else {
        return (Err(Errno::EAGAIN), 0);
    };
    files.append(&mut skb.files);
    let n = skb.data.len().min(max);
    let r = sink(0, &skb.data[..n]).map(|()| Received::Data {
        len: n,
        full: skb.data.len(),
    });
    (r, skb.truesize)
}

impl Inode for SocketEnd {
    fn file_type(&self) -> FileType {
        FileType::Socket
    }

    fn stat(&self) -> SysResult<Stat> {
        Ok(sockfs_stat(self.ino, self.owner))
    }

    /// read(2): a receive without flags. An empty read returns 0 at once, as Linux's
    /// does (without consuming a message).
    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let max = buf.len();
        let mut sink = |off: usize, bytes: &[u8]| -> SysResult<()> {
            let dst = buf.get_mut(off..off + bytes.len()).ok_or(Errno::EFAULT)?;
            dst.copy_from_slice(bytes);
            Ok(())
        };
        // read(2) has no room for passed descriptors: their files are dropped.
        let mut files = Vec::new();
        match self.recv(max, false, true, &mut sink, &mut files)? {
            Received::Data { len, .. } => Ok(len),
            Received::Eof => Ok(0),
        }
    }

    /// write(2): a send without flags. An empty write of a datagram socket is only the
    /// I/O layer's check of the descriptor: it sends nothing.
    fn write_at(&self, buf: &[u8], _offset: u64) -> SysResult<usize> {
        if buf.is_empty() && self.pair.kind != SockType::Stream {
            return Ok(0);
        }
        self.send(&Message {
            data: Ok(buf),
            len: buf.len(),
            continuing: false,
            files: Vec::new(),
        })
        .map_err(|e| e.errno)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(self.queue())
    }

    /// As Linux's unix_poll and unix_dgram_poll (the peer of a pair never listens, and a
    /// pair's peer is always connected back, so the queue-full test never applies).
    fn poll_mask(&self) -> Option<u16> {
        use poll_bits::*;
        Some(self.with(|me, _, _| {
            let mut mask = 0;
            if me.err.is_some() {
                mask |= POLLERR;
            }
            if me.shutdown == SHUTDOWN_MASK {
                mask |= POLLHUP;
            }
            if me.shutdown & RCV_SHUTDOWN != 0 {
                mask |= POLLRDHUP | POLLIN | POLLRDNORM;
            }
            if !me.queue.is_empty() {
                mask |= POLLIN | POLLRDNORM;
            }
            if me.writable() {
                mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
            }
            mask
        }))
    }

    fn on_open(&self) {
        self.with(|me, _, _| me.files += 1);
    }

    /// The last descriptor is closed: the socket goes. What it had not read is dropped
    /// (its sender's memory comes back); a stream or sequenced-packet peer is shut down
    /// both ways, and told ECONNRESET if that data was lost.
    fn on_release(&self) {
        let kind = self.pair.kind;
        self.with(|me, peer, wake| {
            me.files = me.files.saturating_sub(1);
            if me.files > 0 || me.dead {
                return;
            }
            me.dead = true;
            me.shutdown = SHUTDOWN_MASK;
            me.connected = false;
            let unread = !me.queue.is_empty();
            let freed: usize = me.queue.drain(..).map(|skb| skb.truesize).sum();
            peer.wmem = peer.wmem.saturating_sub(freed);
            if kind != SockType::Dgram {
                peer.shutdown = SHUTDOWN_MASK;
                if unread {
                    peer.err = Some(Errno::ECONNRESET);
                }
            }
            *wake = Wake([true, true]);
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(kind: SockType) -> (Arc<SocketEnd>, Arc<SocketEnd>) {
        let (a, b) = socket_pair(kind, Cred::default(), (0, 0));
        a.on_open();
        b.on_open();
        (a, b)
    }

    fn msg(data: &[u8]) -> Message<'_> {
        Message {
            data: Ok(data),
            len: data.len(),
            continuing: false,
            files: Vec::new(),
        }
    }

    #[test]
    fn truesize_matches_linux() {
        assert_eq!(stream_truesize(1), 768);
        assert_eq!(stream_truesize(256), 1280);
        assert_eq!(stream_truesize(4096), 4864);
        assert_eq!(stream_truesize(36544), 37120);
        assert_eq!(dgram_truesize(4096), 8448);
        assert_eq!(dgram_truesize(16384), 20736);
        assert_eq!(segment_max(WMEM_DEFAULT), 36544);
    }

    #[test]
    fn small_writes_fill_the_buffer_as_in_linux() {
        for kind in [SockType::Stream, SockType::Dgram, SockType::Seqpacket] {
            let (a, _b) = pair(kind);
            let mut n = 0;
            while a.send(&msg(b"x")).is_ok() {
                n += 1;
            }
            assert_eq!(n, 278, "{kind:?}");
        }
        let (a, _b) = pair(SockType::Stream);
        let big = vec![0u8; 300_000];
        assert_eq!(a.write_at(&big, 0), Ok(219_264));
        assert_eq!(a.write_at(&big, 0), Err(Errno::EAGAIN));
    }

    #[test]
    fn datagrams_keep_boundaries_and_truncate() {
        let (a, b) = pair(SockType::Dgram);
        assert_eq!(a.write_at(b"hello", 0), Ok(5));
        assert_eq!(a.write_at(b"world!", 0), Ok(6));
        let mut buf = [0u8; 3];
        assert_eq!(b.read_at(&mut buf, 0), Ok(3));
        assert_eq!(&buf, b"hel");
        let mut buf = [0u8; 16];
        assert_eq!(b.read_at(&mut buf, 0), Ok(6));
        assert_eq!(b.read_at(&mut buf, 0), Err(Errno::EAGAIN));
    }

    #[test]
    fn close_gives_eof_epipe_and_econnreset() {
        let (a, b) = pair(SockType::Stream);
        assert_eq!(a.write_at(b"abc", 0), Ok(3));
        assert_eq!(b.write_at(b"unread", 0), Ok(6));
        b.on_release();
        let mut buf = [0u8; 8];
        assert_eq!(a.read_at(&mut buf, 0), Ok(6));
        assert_eq!(a.read_at(&mut buf, 0), Err(Errno::ECONNRESET));
        assert_eq!(a.read_at(&mut buf, 0), Ok(0));
        assert_eq!(
            a.send(&msg(b"x")),
            Err(SendError {
                errno: Errno::EPIPE,
                sigpipe: true
            })
        );
        let (a, b) = pair(SockType::Dgram);
        b.on_release();
        assert_eq!(a.write_at(b"x", 0), Err(Errno::ECONNREFUSED));
        assert_eq!(a.write_at(b"x", 0), Err(Errno::ENOTCONN));
    }
}
