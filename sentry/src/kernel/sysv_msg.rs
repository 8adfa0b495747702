//! System V message queues (msgget, msgsnd, msgrcv, msgctl). A queue holds typed
//! messages in order; senders wait while it is full, receivers while nothing of the
//! type they ask for is there, both on the queue's wait queue, which every change
//! (and removal) notifies.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::sysv_ipc::IpcPerm;
use crate::kernel::wait::WaitQueue;

/// Largest message (MSGMAX), default queue capacity in bytes (MSGMNB), most queues.
pub const MSGMAX: usize = 8192;
pub const MSGMNB: usize = 16384;
pub const MSGMNI: usize = 32000;

pub struct Message {
    pub mtype: i64,
    pub text: Vec<u8>,
}

pub struct QueueState {
    pub perm: IpcPerm,
    pub messages: VecDeque<Message>,
    /// Bytes of text queued, and the most allowed (msg_qbytes).
    pub bytes: usize,
    pub qbytes: usize,
    pub lspid: i32,
    pub lrpid: i32,
    pub stime: u64,
    pub rtime: u64,
    pub ctime: u64,
    /// IPC_RMID: waiters wake with EIDRM.
    pub removed: bool,
}

impl QueueState {
    /// Where the message msgrcv's `msgtyp` selects is: 0 the first, > 0 the first of
    /// that type (or of any other with `except`), < 0 the first of the lowest type
    /// up to -msgtyp.
    pub fn find(&self, msgtyp: i64, except: bool) -> Option<usize> {
        let mut found: Option<(usize, i64)> = None;
        for (i, m) in self.messages.iter().enumerate() {
            let fits = match msgtyp {
                0 => true,
                t if t > 0 => (m.mtype == t) != except,
                t => m.mtype <= t.saturating_neg(),
            };
            if !fits {
                continue;
            }
            if msgtyp >= 0 {
                return Some(i);
            }
            if found.is_none_or(|(_, lowest)| m.mtype < lowest) {
                found = Some((i, m.mtype));
            }
        }
        found.map(|(i, _)| i)
    }
}

pub struct MsgQueue {
    state: Mutex<QueueState>,
    /// Notified at every send, receive, change and removal.
    pub queue: WaitQueue,
}

impl MsgQueue {
    pub fn new(state: QueueState) -> Arc<MsgQueue> {
        Arc::new(MsgQueue {
            state: Mutex::new(state),
            queue: WaitQueue::default(),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sandbox's queues by id (ids are table indexes).
#[derive(Default)]
pub struct MsgTable {
    queues: Mutex<BTreeMap<i32, Arc<MsgQueue>>>,
}

impl MsgTable {
    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<i32, Arc<MsgQueue>>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn free_id(queues: &BTreeMap<i32, Arc<MsgQueue>>) -> Option<i32> {
        (0..MSGMNI as i32).find(|id| !queues.contains_key(id))
    }
}
