//! AF_UNIX stream and sequenced-packet sockets made by socket(2): unbound, bound to a
//! name (a socket node in the filesystem, or an abstract name), listening with a
//! queue of connections to accept, or connected. A connection is a pair of
//! `SocketEnd`s (as socketpair makes): the connecting socket keeps its inode and wait
//! queue and uses its end from then on; accept(2) hands out the other end as a socket
//! of its own.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

use super::inode::{poll_bits, FileType, Inode, Stat};
use super::socket::{connected_pair, next_ino, Cred, EndParts, Options, SockType, SocketEnd};
use crate::errno::{Errno, SysResult};
use crate::kernel::wait::WaitQueue;

/// net.core.somaxconn: the longest accept queue.
pub const SOMAXCONN: usize = 4096;

/// Where a socket is bound: the (device, inode) of its filesystem node, or an
/// abstract name (`sun_path` starting with NUL).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    Node((u64, u64)),
    Abstract(Vec<u8>),
}

/// A bound socket: connection-oriented, or datagram (`unix_dgram`).
#[derive(Clone)]
pub enum BoundSocket {
    Stream(Weak<UnixSocket>),
    Dgram(Weak<super::unix_dgram::DgramSocket>),
}

impl BoundSocket {
    fn alive(&self) -> bool {
        match self {
            BoundSocket::Stream(w) => w.strong_count() > 0,
            BoundSocket::Dgram(w) => w.strong_count() > 0,
        }
    }
}

/// The sandbox's bound sockets (one sandbox per sentry process).
static BOUND: LazyLock<Mutex<HashMap<Address, BoundSocket>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

pub(super) fn bound() -> MutexGuard<'static, HashMap<Address, BoundSocket>> {
    BOUND.lock().unwrap_or_else(|e| e.into_inner())
}

/// The socket bound at `address`, if it still lives.
pub fn bound_at(address: &Address) -> Option<BoundSocket> {
    bound().get(address).filter(|b| b.alive()).cloned()
}

/// The live stream or seqpacket socket bound at `address`.
fn listener_at(address: &Address) -> Option<Arc<UnixSocket>> {
    match bound_at(address)? {
        BoundSocket::Stream(w) => w.upgrade(),
        BoundSocket::Dgram(_) => None,
    }
}

/// Binds `socket` (registered by `entry`) at the abstract name `address` or, without
/// one, at the filesystem node `create_node` makes (EADDRINUSE if taken).
pub(super) fn bind_name(
    address: Option<Address>,
    create_node: impl FnOnce() -> SysResult<Address>,
    entry: BoundSocket,
) -> SysResult<Address> {
    let mut table = bound();
    let address = match address {
        Some(abstract_name) => {
            if table.get(&abstract_name).is_some_and(|b| b.alive()) {
                return Err(Errno::EADDRINUSE);
            }
            abstract_name
        }
        None => create_node()?,
    };
    table.insert(address.clone(), entry);
    Ok(address)
}

enum State {
    Unbound,
    /// Bound (its address and `sun_path` bytes), not listening.
    Bound(Address, Vec<u8>),
    Listening {
        address: Address,
        name: Vec<u8>,
        backlog: usize,
        /// Connections made, waiting for accept: the ends accept will hand out.
        pending: VecDeque<Arc<SocketEnd>>,
        /// Who listened (the connecting side's SO_PEERCRED).
        cred: Cred,
    },
    Connected(Arc<SocketEnd>),
}

/// A socket made by socket(2).
pub struct UnixSocket {
    kind: SockType,
    ino: u64,
    owner: (u32, u32),
    queue: Arc<WaitQueue>,
    state: Mutex<State>,
    /// Options set before connecting (they pass to the connection).
    options: Mutex<Options>,
    /// Open file descriptions of this socket (passed on to the connection's end).
    files: Mutex<usize>,
}

impl UnixSocket {
    pub fn new(kind: SockType, owner: (u32, u32)) -> Arc<UnixSocket> {
        Arc::new(UnixSocket {
            kind,
            ino: next_ino(),
            owner,
            queue: Arc::new(WaitQueue::default()),
            state: Mutex::new(State::Unbound),
            options: Mutex::new(Options::default()),
            files: Mutex::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn kind(&self) -> SockType {
        self.kind
    }

    pub fn options(&self) -> MutexGuard<'_, Options> {
        self.options.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What /proc/self/fd shows: `socket:[inode]`.
    pub fn link_name(&self) -> Vec<u8> {
        format!("socket:[{}]", self.ino).into_bytes()
    }

    /// The end of its connection, once connected.
    pub fn connection(&self) -> Option<Arc<SocketEnd>> {
        match &*self.lock() {
            State::Connected(end) => Some(end.clone()),
            _ => None,
        }
    }

    /// Whether bind may still name it.
    pub fn unbound(&self) -> bool {
        matches!(*self.lock(), State::Unbound)
    }

    pub fn listening(&self) -> bool {
        matches!(*self.lock(), State::Listening { .. })
    }

    /// Its address (`sun_path` bytes; empty: unnamed).
    pub fn name(&self) -> Vec<u8> {
        match &*self.lock() {
            State::Unbound => Vec::new(),
            State::Bound(_, name) | State::Listening { name, .. } => name.clone(),
            State::Connected(end) => end.name().to_vec(),
        }
    }

    /// bind(2) to `address` (`name` as the caller gave it). `create_node` makes the
    /// filesystem node of a path name and gives its address (EADDRINUSE if the path
    /// exists).
    pub fn bind(
        self: &Arc<Self>,
        address: Option<Address>,
        name: Vec<u8>,
        create_node: impl FnOnce() -> SysResult<Address>,
    ) -> SysResult<()> {
        let mut state = self.lock();
        if !matches!(*state, State::Unbound) {
            return Err(Errno::EINVAL);
        }
        let address = bind_name(
            address,
            create_node,
            BoundSocket::Stream(Arc::downgrade(self)),
        )?;
        *state = State::Bound(address, name);
        Ok(())
    }

    /// listen(2), as the process of `cred`.
    pub fn listen(&self, backlog: i32, cred: Cred) -> SysResult<()> {
        // As Linux: a backlog beyond somaxconn (or negative) is somaxconn.
        let backlog = usize::try_from(backlog).unwrap_or(SOMAXCONN).min(SOMAXCONN);
        let mut state = self.lock();
        match std::mem::replace(&mut *state, State::Unbound) {
            State::Bound(address, name) => {
                *state = State::Listening {
                    address,
                    name,
                    backlog,
                    pending: VecDeque::new(),
                    cred,
                };
                Ok(())
            }
            State::Listening {
                address,
                name,
                pending,
                cred,
                ..
            } => {
                *state = State::Listening {
                    address,
                    name,
                    backlog,
                    pending,
                    cred,
                };
                Ok(())
            }
            other => {
                *state = other;
                Err(Errno::EINVAL)
            }
        }
    }

    /// Takes a pending connection, if any (EINVAL when not listening).
    pub fn take_pending(&self) -> SysResult<Option<Arc<SocketEnd>>> {
        let got = match &mut *self.lock() {
            State::Listening { pending, .. } => pending.pop_front(),
            _ => return Err(Errno::EINVAL),
        };
        if got.is_some() {
            // Room in the queue for a waiting connect.
            self.queue.notify();
        }
        Ok(got)
    }

    /// connect(2) from `self` (as `cred`) to the listener bound at `address`: done,
    /// or EAGAIN while the listener's queue is full.
    pub fn connect(&self, address: &Address, cred: Cred) -> SysResult<()> {
        let listener = listener_at(address).ok_or(Errno::ECONNREFUSED)?;
        if std::ptr::eq(Arc::as_ptr(&listener), self) {
            return Err(Errno::ECONNREFUSED);
        }
        // Two sockets' states, always locked in the same order (by address), so that
        // crossing connects cannot deadlock.
        let (mut state, mut theirs) = if Arc::as_ptr(&listener) > std::ptr::from_ref(self) {
            let mine = self.lock();
            (mine, listener.lock())
        } else {
            let theirs = listener.lock();
            (self.lock(), theirs)
        };
        let my_name = match &*state {
            State::Unbound => Vec::new(),
            State::Bound(_, name) => name.clone(),
            State::Connected(_) => return Err(Errno::EISCONN),
            State::Listening { .. } => return Err(Errno::EINVAL),
        };
        let State::Listening {
            name,
            backlog,
            pending,
            cred: listener_cred,
            ..
        } = &mut *theirs
        else {
            return Err(Errno::ECONNREFUSED);
        };
        if listener.kind != self.kind {
            return Err(Errno::ECONNREFUSED);
        }
        if pending.len() > *backlog {
            return Err(Errno::EAGAIN);
        }
        let (mine, accepted) = connected_pair(
            self.kind,
            EndParts {
                queue: self.queue.clone(),
                peer: *listener_cred,
                owner: self.owner,
                options: self.options().clone(),
                name: my_name.clone(),
                peer_name: name.clone(),
                ino: self.ino,
            },
            EndParts {
                queue: Arc::new(WaitQueue::default()),
                peer: cred,
                owner: listener.owner,
                options: listener.options().clone(),
                name: name.clone(),
                peer_name: my_name,
                ino: next_ino(),
            },
        );
        pending.push_back(accepted);
        drop(theirs);
        // The connecting socket's open descriptions now count on its end.
        for _ in 0..*self.files.lock().unwrap_or_else(|e| e.into_inner()) {
            mine.on_open();
        }
        *state = State::Connected(mine);
        drop(state);
        listener.queue.notify();
        self.queue.notify();
        Ok(())
    }

    /// Whether a live socket is bound at `address`.
    pub fn is_bound(address: &Address) -> bool {
        bound_at(address).is_some()
    }

    /// Its wait queue (accept sleeps there).
    pub fn queue(&self) -> &WaitQueue {
        &self.queue
    }

    /// The listener's queue (connect waits there for room).
    pub fn listener_queue(address: &Address) -> Option<Arc<WaitQueue>> {
        listener_at(address).map(|l| l.queue.clone())
    }
}

impl Inode for UnixSocket {
    fn file_type(&self) -> FileType {
        FileType::Socket
    }

    fn stat(&self) -> SysResult<Stat> {
        Ok(super::socket::sockfs_stat(self.ino, self.owner))
    }

    /// As Linux: a stream socket that is not connected cannot be read (EINVAL) or
    /// written (ENOTCONN).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> SysResult<usize> {
        match self.connection() {
            Some(end) => end.read_at(buf, offset),
            None => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> SysResult<usize> {
        match self.connection() {
            Some(end) => end.write_at(buf, offset),
            None => Err(Errno::ENOTCONN),
        }
    }

    fn seekable(&self) -> bool {
        false
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    /// As Linux's unix_poll: a listener is readable with connections to accept; a
    /// socket never connected is writable and hung up.
    fn poll_mask(&self) -> Option<u16> {
        use poll_bits::*;
        match &*self.lock() {
            State::Connected(end) => end.poll_mask(),
            State::Listening { pending, .. } => Some(if pending.is_empty() {
                0
            } else {
                POLLIN | POLLRDNORM
            }),
            State::Unbound | State::Bound(..) => Some(POLLOUT | POLLWRNORM | POLLWRBAND | POLLHUP),
        }
    }

    fn on_open(&self) {
        *self.files.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        if let Some(end) = self.connection() {
            end.on_open();
        }
    }

    /// The last description closed: a connection is shut down as a pair's end would
    /// be; a listener's name goes and the connections it had not accepted are reset.
    fn on_release(&self) {
        let left = {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            *files = files.saturating_sub(1);
            *files
        };
        if let Some(end) = self.connection() {
            // The end counts the descriptions itself.
            end.on_release();
            return;
        }
        if left > 0 {
            return;
        }
        let state = std::mem::replace(&mut *self.lock(), State::Unbound);
        match state {
            State::Connected(end) => {
                *self.lock() = State::Connected(end);
            }
            State::Listening {
                address, pending, ..
            } => {
                bound().remove(&address);
                for end in pending {
                    // Never opened: releasing it shuts the connecting side down.
                    end.on_release();
                }
            }
            State::Bound(address, _) => {
                bound().remove(&address);
            }
            State::Unbound => {}
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
