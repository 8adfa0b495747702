//! AF_UNIX datagram sockets made by socket(2): each has its own receive queue, is
//! reached by its name (sendto, or the peer connect set), and tells the receiver who
//! sent each message. (Pairs from socketpair(2) are `SocketEnd`s.)

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::file::OpenFile;
use super::inode::{poll_bits, FileType, Inode, Stat};
use super::socket::{next_ino, Options, WMEM_DEFAULT};
use super::unix::{bind_name, bound, bound_at, Address, BoundSocket};
use crate::errno::{Errno, SysResult};
use crate::kernel::wait::WaitQueue;

/// net.unix.max_dgram_qlen: messages a receiver holds before senders must wait.
const MAX_DGRAM_QLEN: usize = 10;

/// One message in a receive queue.
struct Datagram {
    data: Vec<u8>,
    /// The sender's name (`sun_path` bytes; empty: unnamed).
    from: Vec<u8>,
    files: Vec<Arc<OpenFile>>,
    /// What it counts against its sender's send buffer until it is read or dropped
    /// (held for its `Drop`).
    _charge: Charge,
}

/// Bytes a message holds of its sender's send buffer (given back when it goes), so
/// that no sender can make the sentry hold more than a buffer's worth of its data.
struct Charge {
    sender: Arc<AtomicUsize>,
    bytes: usize,
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.sender.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct State {
    /// Its address and `sun_path` bytes, once bound.
    name: Option<(Address, Vec<u8>)>,
    /// Where sends without an address go (connect), and that name.
    peer: Option<(Address, Vec<u8>)>,
    inbox: VecDeque<Datagram>,
    /// shutdown(2) bits: RCV_SHUTDOWN, SEND_SHUTDOWN.
    shutdown: u8,
}

/// What a receive got: the bytes copied, the message's whole length, its sender.
pub struct Received {
    pub len: usize,
    pub full: usize,
    pub from: Vec<u8>,
}

/// A datagram socket made by socket(2).
pub struct DgramSocket {
    ino: u64,
    owner: (u32, u32),
    /// Readers, pollers, and senders waiting for room in this socket's queue.
    queue: WaitQueue,
    state: Mutex<State>,
    options: Mutex<Options>,
    files: Mutex<usize>,
    /// Bytes of its messages not yet read by their receivers.
    in_flight: Arc<AtomicUsize>,
}

impl DgramSocket {
    pub fn new(owner: (u32, u32)) -> Arc<DgramSocket> {
        Arc::new(DgramSocket {
            ino: next_ino(),
            owner,
            queue: WaitQueue::default(),
            state: Mutex::new(State::default()),
            options: Mutex::new(Options::default()),
            files: Mutex::new(0),
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn options(&self) -> MutexGuard<'_, Options> {
        self.options.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn queue(&self) -> &WaitQueue {
        &self.queue
    }

    /// What /proc/self/fd shows: `socket:[inode]`.
    pub fn link_name(&self) -> Vec<u8> {
        format!("socket:[{}]", self.ino).into_bytes()
    }

    /// Its name (empty: unnamed).
    pub fn name(&self) -> Vec<u8> {
        self.lock()
            .name
            .as_ref()
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }

    /// The name of the socket connect chose, if any.
    pub fn peer_name(&self) -> Option<Vec<u8>> {
        self.lock().peer.as_ref().map(|(_, n)| n.clone())
    }

    /// bind(2); see `UnixSocket::bind`.
    pub fn bind(
        self: &Arc<Self>,
        address: Option<Address>,
        name: Vec<u8>,
        create_node: impl FnOnce() -> SysResult<Address>,
    ) -> SysResult<()> {
        let mut state = self.lock();
        if state.name.is_some() {
            return Err(Errno::EINVAL);
        }
        let address = bind_name(
            address,
            create_node,
            BoundSocket::Dgram(Arc::downgrade(self)),
        )?;
        state.name = Some((address, name));
        Ok(())
    }

    /// connect(2): sends without an address go to the datagram socket at `address`
    /// (named `name`); None disconnects (AF_UNSPEC).
    pub fn connect(&self, target: Option<(Address, Vec<u8>)>) -> SysResult<()> {
        if let Some((address, _)) = &target {
            Self::receiver(address)?;
        }
        self.lock().peer = target;
        Ok(())
    }

    /// The datagram socket bound at `address` (ECONNREFUSED when none lives there, or a
    /// socket of another type does).
    fn receiver(address: &Address) -> SysResult<Arc<DgramSocket>> {
        match bound_at(address) {
            Some(BoundSocket::Dgram(w)) => w.upgrade().ok_or(Errno::ECONNREFUSED),
            Some(BoundSocket::Stream(_)) => Err(Errno::EPROTOTYPE),
            None => Err(Errno::ECONNREFUSED),
        }
    }

    /// The peer connect set (ENOTCONN without one).
    pub fn peer(&self) -> SysResult<Address> {
        self.lock()
            .peer
            .as_ref()
            .map(|(a, _)| a.clone())
            .ok_or(Errno::ENOTCONN)
    }

    /// One send attempt of `data` to `to`: queued, or EAGAIN while the receiver's queue
    /// is full. `files` go with it (SCM_RIGHTS).
    pub fn send_to(
        &self,
        to: &Address,
        data: &[u8],
        files: Vec<Arc<OpenFile>>,
    ) -> SysResult<usize> {
        if self.lock().shutdown & super::socket::SEND_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
        if data.len() > WMEM_DEFAULT.saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        let receiver = Self::receiver(to)?;
        receiver.deliver(data, self.name(), files, &self.in_flight)
    }

    /// One send attempt of `data` to `to` from a sender without a name or a queue of
    /// its own (an end of a datagram socketpair given an address): as `send_to`, with
    /// the message charged to `charge`.
    pub fn send_unnamed(
        to: &Address,
        data: &[u8],
        files: Vec<Arc<OpenFile>>,
        charge: &Arc<AtomicUsize>,
    ) -> SysResult<usize> {
        Self::receiver(to)?.deliver(data, Vec::new(), files, charge)
    }

    /// Queues a message from `from` (a name, or empty), charged to its sender's
    /// `charge`; EAGAIN while this queue is full or the sender's buffer is.
    fn deliver(
        &self,
        data: &[u8],
        from: Vec<u8>,
        files: Vec<Arc<OpenFile>>,
        charge: &Arc<AtomicUsize>,
    ) -> SysResult<usize> {
        {
            let mut theirs = self.lock();
            if theirs.shutdown & super::socket::RCV_SHUTDOWN != 0 {
                return Err(Errno::EPIPE);
            }
            // As Linux, full once it holds more than the limit; and the sender waits
            // while its unread messages fill its send buffer.
            if theirs.inbox.len() > MAX_DGRAM_QLEN || charge.load(Ordering::Relaxed) >= WMEM_DEFAULT
            {
                return Err(Errno::EAGAIN);
            }
            charge.fetch_add(data.len(), Ordering::Relaxed);
            theirs.inbox.push_back(Datagram {
                data: data.to_vec(),
                from,
                files,
                _charge: Charge {
                    sender: charge.clone(),
                    bytes: data.len(),
                },
            });
        }
        self.queue.notify();
        Ok(data.len())
    }

    /// Whether a message charged to `charge` would find room in this queue now.
    pub fn has_room_for(&self, charge: &AtomicUsize) -> bool {
        self.lock().inbox.len() <= MAX_DGRAM_QLEN && charge.load(Ordering::Relaxed) < WMEM_DEFAULT
    }

    /// The datagram socket bound at `to`, whose queue a sender waits on for room.
    pub fn receiver_queue(to: &Address) -> Option<Arc<DgramSocket>> {
        Self::receiver(to).ok()
    }

    /// Whether a send to `receiver` would find room (or fail at once, not wait).
    pub fn can_send_to(&self, receiver: &DgramSocket) -> bool {
        std::ptr::eq(self, receiver)
            || (receiver.lock().inbox.len() <= MAX_DGRAM_QLEN
                && self.in_flight.load(Ordering::Relaxed) < WMEM_DEFAULT)
    }

    /// Whether a receive would not wait: a message queued, or shut down for reading.
    pub fn can_recv(&self) -> bool {
        let state = self.lock();
        !state.inbox.is_empty() || state.shutdown & super::socket::RCV_SHUTDOWN != 0
    }

    /// One receive attempt: the first message, truncated to `buf`'s length (peeked at,
    /// or taken with its files). EAGAIN when there is none; end of file once shut
    /// down for reading.
    pub fn recv(
        &self,
        buf: &mut [u8],
        peek: bool,
        files: &mut Vec<Arc<OpenFile>>,
    ) -> SysResult<Option<Received>> {
        let mut state = self.lock();
        let Some(front) = state.inbox.front() else {
            return if state.shutdown & super::socket::RCV_SHUTDOWN != 0 {
                Ok(None)
            } else {
                Err(Errno::EAGAIN)
            };
        };
        let len = front.data.len().min(buf.len());
        buf[..len].copy_from_slice(&front.data[..len]);
        let got = Received {
            len,
            full: front.data.len(),
            from: front.from.clone(),
        };
        if peek {
            files.extend(front.files.iter().cloned());
        } else if let Some(mut taken) = state.inbox.pop_front() {
            files.append(&mut taken.files);
            drop(state);
            // The sender's charge goes first: then there is room for a waiting sender.
            drop(taken);
            self.queue.notify();
        }
        Ok(Some(got))
    }

    /// shutdown(2) with Linux's RCV_SHUTDOWN/SEND_SHUTDOWN bits.
    pub fn shutdown(&self, bits: u8) {
        self.lock().shutdown |= bits;
        self.queue.notify();
    }
}

impl Inode for DgramSocket {
    fn file_type(&self) -> FileType {
        FileType::Socket
    }

    fn stat(&self) -> SysResult<Stat> {
        Ok(super::socket::sockfs_stat(self.ino, self.owner))
    }

    /// read(2): a receive without flags (passed descriptors are dropped).
    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        Ok(self.recv(buf, false, &mut Vec::new())?.map_or(0, |r| r.len))
    }

    /// write(2): a send to the connected peer.
    fn write_at(&self, buf: &[u8], _offset: u64) -> SysResult<usize> {
        let peer = self.peer()?;
        self.send_to(&peer, buf, Vec::new())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    /// As Linux's unix_dgram_poll: readable with a message queued; writable unless the
    /// connected peer's queue is full.
    fn poll_mask(&self) -> Option<u16> {
        use poll_bits::*;
        let (has_data, shutdown, peer) = {
            let st = self.lock();
            (!st.inbox.is_empty(), st.shutdown, st.peer.clone())
        };
        let mut mask = 0;
        if has_data {
            mask |= POLLIN | POLLRDNORM;
        }
        if shutdown & super::socket::RCV_SHUTDOWN != 0 {
            mask |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        if shutdown == super::socket::RCV_SHUTDOWN | super::socket::SEND_SHUTDOWN {
            mask |= POLLHUP;
        }
        let full = peer
            .and_then(|(a, _)| Self::receiver(&a).ok())
            .is_some_and(|r| r.lock().inbox.len() > MAX_DGRAM_QLEN);
        if !full {
            mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
        }
        Some(mask)
    }

    fn on_open(&self) {
        *self.files.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    /// The last description closed: its name goes, what it had not read is dropped.
    fn on_release(&self) {
        let left = {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            *files = files.saturating_sub(1);
            *files
        };
        if left > 0 {
            return;
        }
        let mut state = self.lock();
        if let Some((address, _)) = state.name.take() {
            bound().remove(&address);
        }
        state.inbox.clear();
        drop(state);
        // Senders waiting for room look again: the name is gone (ECONNREFUSED).
        self.queue.notify();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
