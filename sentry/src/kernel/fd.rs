//! The per-process descriptor table: numbers to open file descriptions, with the
//! close-on-exec flag that belongs to the descriptor, not the description.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::errno::{Errno, SysResult};
use crate::fs::file::OpenFile;

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    close_on_exec: bool,
}

/// Descriptor numbers to open files: a handle that threads created with CLONE_FILES
/// share (`share`); `fork` makes an independent copy.
#[derive(Default)]
pub struct FdTable(Arc<Mutex<Table>>);

struct Table {
    slots: Vec<Option<Slot>>,
    /// Descriptors the table has room for without growing (Linux's `max_fds`): at
    /// least 64, grown in steps as higher descriptors are used, never shrunk.
    /// `select` ignores descriptors at or above it.
    capacity: usize,
    /// No descriptor at or above it can be made: the process's RLIMIT_NOFILE.
    limit: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            slots: Vec::new(),
            capacity: 0,
            limit: default_fd_limit().0,
        }
    }
}

/// The smallest table Linux allocates (NR_OPEN_DEFAULT).
const MIN_CAPACITY: usize = 64;

/// The capacity Linux gives a table that must hold descriptor `fd`: 64, else 128
/// times the power of two above `fd / 128` (its `alloc_fdtable`).
fn capacity_for(fd: usize) -> usize {
    if fd < MIN_CAPACITY {
        MIN_CAPACITY
    } else {
        ((fd / 128) + 1).next_power_of_two() * 128
    }
}

/// The most descriptors RLIMIT_NOFILE may ever allow (Linux's default fs.nr_open).
pub const NR_OPEN: usize = 1 << 20;

/// RLIMIT_NOFILE (soft, hard) the sandbox starts with: the host's, as the program
/// would have had natively, at most `NR_OPEN`; 1024 if it cannot be read.
pub fn default_fd_limit() -> (usize, usize) {
    static LIMIT: std::sync::OnceLock<(usize, usize)> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let (soft, hard) = crate::host::nofile_limit().unwrap_or((1024, 1024));
        let clamp = |v: u64| usize::try_from(v).unwrap_or(NR_OPEN).min(NR_OPEN);
        (clamp(soft), clamp(hard))
    })
}

impl Table {
    /// A table with 0, 1 and 2 bound to the host's standard streams.
    pub fn with_host_stdio() -> Self {
        let slots = (0..3)
            .map(|fd| {
                Some(Slot {
                    file: OpenFile::host_stream(fd),
                    close_on_exec: false,
                })
            })
            .collect();
        Table {
            slots,
            capacity: MIN_CAPACITY,
            limit: default_fd_limit().0,
        }
    }

    fn slot(&self, fd: i32) -> SysResult<&Slot> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(Option::as_ref)
            .ok_or(Errno::EBADF)
    }

    /// The open file behind `fd`.
    pub fn get(&self, fd: i32) -> SysResult<Arc<OpenFile>> {
        self.slot(fd).map(|s| s.file.clone())
    }

    pub fn close_on_exec(&self, fd: i32) -> SysResult<bool> {
        self.slot(fd).map(|s| s.close_on_exec)
    }

    pub fn set_close_on_exec(&mut self, fd: i32, value: bool) -> SysResult<()> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.slots.get_mut(i) {
            Some(Some(slot)) => {
                slot.close_on_exec = value;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// A forked child's copy: sized, as Linux's is, for its highest open descriptor.
    fn copy(&self) -> Table {
        let highest = self.slots.iter().rposition(Option::is_some).unwrap_or(0);
        Table {
            slots: self.slots.clone(),
            capacity: capacity_for(highest),
            limit: self.limit,
        }
    }

    /// Closes every close-on-exec descriptor (execve); the files closed.
    pub fn close_for_exec(&mut self) -> Vec<Arc<OpenFile>> {
        self.slots
            .iter_mut()
            .filter(|slot| slot.as_ref().is_some_and(|s| s.close_on_exec))
            .filter_map(|slot| slot.take().map(|s| s.file))
            .collect()
    }

    fn list(&self) -> Vec<(i32, Arc<OpenFile>)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as i32, s.file.clone())))
            .collect()
    }

    /// close_range(2) over `[first, last]`; with `cloexec`, marks instead of closing.
    /// The files closed.
    pub fn close_range(&mut self, first: usize, last: usize, cloexec: bool) -> Vec<Arc<OpenFile>> {
        let end = last.saturating_add(1).min(self.slots.len());
        let mut closed = Vec::new();
        for slot in self.slots.iter_mut().take(end).skip(first) {
            if cloexec {
                if let Some(s) = slot {
                    s.close_on_exec = true;
                }
            } else if let Some(s) = slot.take() {
                closed.push(s.file);
            }
        }
        closed
    }

    /// Closes `fd`.
    pub fn close(&mut self, fd: i32) -> SysResult<()> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.slots.get_mut(i) {
            Some(slot @ Some(_)) => {
                *slot = None;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Installs `file` at the lowest free descriptor >= `min`.
    pub fn install(
        &mut self,
        file: Arc<OpenFile>,
        min: usize,
        close_on_exec: bool,
    ) -> SysResult<i32> {
        let free = (min..self.limit)
            .find(|i| self.slots.get(*i).is_none_or(Option::is_none))
            .ok_or(Errno::EMFILE)?;
        self.put(free, file, close_on_exec);
        Ok(free as i32)
    }

    /// Puts `file` at `i`; the file `i` held before.
    fn put(&mut self, i: usize, file: Arc<OpenFile>, close_on_exec: bool) -> Option<Arc<OpenFile>> {
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        if i >= self.capacity {
            self.capacity = capacity_for(i);
        }
        self.slots[i]
            .replace(Slot {
                file,
                close_on_exec,
            })
            .map(|s| s.file)
    }

    /// dup2/dup3: makes `new` refer to `old`'s file, closing what `new` held (which
    /// comes back).
    pub fn duplicate_to(
        &mut self,
        old: i32,
        new: i32,
        close_on_exec: bool,
    ) -> SysResult<Option<Arc<OpenFile>>> {
        let file = self.get(old)?;
        let i = usize::try_from(new)
            .ok()
            .filter(|i| *i < self.limit)
            .ok_or(Errno::EBADF)?;
        Ok(self.put(i, file, close_on_exec))
    }
}

impl FdTable {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A table with 0, 1 and 2 bound to the host's standard streams.
    pub fn with_host_stdio() -> Self {
        FdTable(Arc::new(Mutex::new(Table::with_host_stdio())))
    }

    /// One past the highest descriptor that may be made (RLIMIT_NOFILE's soft limit).
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Applies a new RLIMIT_NOFILE soft limit (open descriptors above it stay open).
    pub fn set_limit(&self, limit: usize) {
        self.lock().limit = limit.min(NR_OPEN);
    }

    /// Descriptors the table has room for (Linux's `max_fds`).
    pub fn capacity(&self) -> usize {
        self.lock().capacity.max(MIN_CAPACITY)
    }

    /// The same table, shared (CLONE_FILES).
    pub fn share(&self) -> FdTable {
        FdTable(self.0.clone())
    }

    /// A copy for a forked child: the same open file descriptions, new numbers table.
    pub fn fork(&self) -> FdTable {
        FdTable(Arc::new(Mutex::new(self.lock().copy())))
    }

    /// Makes this task's table its own copy (execve of a thread sharing it).
    pub fn unshare(&mut self) {
        let copy = self.fork();
        *self = copy;
    }

    /// The open file behind `fd`.
    pub fn get(&self, fd: i32) -> SysResult<Arc<OpenFile>> {
        self.lock().get(fd)
    }

    pub fn close_on_exec(&self, fd: i32) -> SysResult<bool> {
        self.lock().close_on_exec(fd)
    }

    pub fn set_close_on_exec(&self, fd: i32, value: bool) -> SysResult<()> {
        self.lock().set_close_on_exec(fd, value)
    }

    /// Closes every close-on-exec descriptor (execve); the files closed.
    pub fn close_for_exec(&self) -> Vec<Arc<OpenFile>> {
        self.lock().close_for_exec()
    }

    /// Closes everything this task sees (exit); a table other threads share stays.
    pub fn close_all(&mut self) {
        *self = FdTable::default();
    }

    /// Every open descriptor with its file, in increasing order.
    pub fn iter(&self) -> Vec<(i32, Arc<OpenFile>)> {
        self.lock().list()
    }

    /// close_range(2) over `[first, last]`; with `cloexec`, marks instead of closing.
    pub fn close_range(&self, first: usize, last: usize, cloexec: bool) -> Vec<Arc<OpenFile>> {
        self.lock().close_range(first, last, cloexec)
    }

    /// Closes `fd`.
    pub fn close(&self, fd: i32) -> SysResult<()> {
        self.lock().close(fd)
    }

    /// Installs `file` at the lowest free descriptor >= `min`.
    pub fn install(&self, file: Arc<OpenFile>, min: usize, close_on_exec: bool) -> SysResult<i32> {
        self.lock().install(file, min, close_on_exec)
    }

    /// dup2/dup3: makes `new` refer to `old`'s file, closing what `new` held (which
    /// comes back).
    pub fn duplicate_to(
        &self,
        old: i32,
        new: i32,
        close_on_exec: bool,
    ) -> SysResult<Option<Arc<OpenFile>>> {
        self.lock().duplicate_to(old, new, close_on_exec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dup_takes_lowest_free() {
        let t = FdTable::with_host_stdio();
        t.close(0).unwrap();
        let f = t.get(1).unwrap();
        assert_eq!(t.install(f.clone(), 0, false).unwrap(), 0);
        assert_eq!(t.install(f, 0, false).unwrap(), 3);
        assert_eq!(t.close(7), Err(Errno::EBADF));
        assert_eq!(t.get(-1).err(), Some(Errno::EBADF));
    }

    #[test]
    fn dup2_shares_the_file() {
        let t = FdTable::with_host_stdio();
        assert!(t.duplicate_to(2, 9, true).unwrap().is_none());
        assert!(Arc::ptr_eq(&t.get(2).unwrap(), &t.get(9).unwrap()));
        assert!(t.close_on_exec(9).unwrap());
        let replaced = t.duplicate_to(0, 9, false).unwrap();
        assert!(Arc::ptr_eq(&replaced.unwrap(), &t.get(2).unwrap()));
        assert_eq!(
            t.duplicate_to(1, t.limit() as i32, false).err(),
            Some(Errno::EBADF)
        );
    }
}
