//! The per-process descriptor table. Today its files are the host's standard streams,
//! passed through; the filesystem adds more kinds of open file.

use std::rc::Rc;

use crate::errno::{Errno, SysResult};

/// An open file description, shared by every descriptor `dup`ed from it.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenFile {
    /// One of the host's stdin, stdout, stderr, given to the sandbox.
    HostStream { host_fd: i32 },
}

#[derive(Clone, Debug)]
struct Slot {
    file: Rc<OpenFile>,
    close_on_exec: bool,
}

/// Descriptor numbers to open files.
#[derive(Debug, Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

/// Highest descriptor count (RLIMIT_NOFILE's default soft limit).
pub const FD_LIMIT: usize = 1024;

impl FdTable {
    /// A table with 0, 1 and 2 bound to the host's standard streams.
    pub fn with_host_stdio() -> Self {
        let slots = (0..3)
            .map(|fd| {
                Some(Slot {
                    file: Rc::new(OpenFile::HostStream { host_fd: fd }),
                    close_on_exec: false,
                })
            })
            .collect();
        FdTable { slots }
    }

    fn slot(&self, fd: i32) -> SysResult<&Slot> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(Option::as_ref)
            .ok_or(Errno::EBADF)
    }

    /// The open file behind `fd`.
    pub fn get(&self, fd: i32) -> SysResult<Rc<OpenFile>> {
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
        file: Rc<OpenFile>,
        min: usize,
        close_on_exec: bool,
    ) -> SysResult<i32> {
        let free = (min..FD_LIMIT)
            .find(|i| self.slots.get(*i).is_none_or(Option::is_none))
            .ok_or(Errno::EMFILE)?;
        self.put(free, file, close_on_exec);
        Ok(free as i32)
    }

    fn put(&mut self, i: usize, file: Rc<OpenFile>, close_on_exec: bool) {
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        self.slots[i] = Some(Slot {
            file,
            close_on_exec,
        });
    }

    /// dup2/dup3: makes `new` refer to `old`'s file, closing what `new` held.
    pub fn duplicate_to(&mut self, old: i32, new: i32, close_on_exec: bool) -> SysResult<i32> {
        let file = self.get(old)?;
        let i = usize::try_from(new)
            .ok()
            .filter(|i| *i < FD_LIMIT)
            .ok_or(Errno::EBADF)?;
        self.put(i, file, close_on_exec);
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dup_takes_lowest_free() {
        let mut t = FdTable::with_host_stdio();
        t.close(0).unwrap();
        let f = t.get(1).unwrap();
        assert_eq!(t.install(f.clone(), 0, false).unwrap(), 0);
        assert_eq!(t.install(f, 0, false).unwrap(), 3);
        assert_eq!(t.close(7), Err(Errno::EBADF));
        assert_eq!(t.get(-1).unwrap_err(), Errno::EBADF);
    }

    #[test]
    fn dup2_shares_the_file() {
        let mut t = FdTable::with_host_stdio();
        assert_eq!(t.duplicate_to(2, 9, true).unwrap(), 9);
        assert!(Rc::ptr_eq(&t.get(2).unwrap(), &t.get(9).unwrap()));
        assert!(t.close_on_exec(9).unwrap());
        assert_eq!(t.duplicate_to(1, FD_LIMIT as i32, false), Err(Errno::EBADF));
    }
}
