//! Changing user and group ids (setuid(2) and relatives), with Linux's rules: a
//! process whose effective id is 0 may set any id; others may only move among their
//! real, effective and saved ids. Ids are the sandbox's own: nothing reaches the host.

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::Ctx;

/// "Leave unchanged" in the set*id calls.
const UNCHANGED: u32 = u32::MAX;

/// Which id family a call changes.
#[derive(Clone, Copy)]
enum Family {
    User,
    Group,
}

/// (real, effective, saved) of `family`.
fn ids(ctx: &Ctx, family: Family) -> [u32; 3] {
    let c = &ctx.task.creds;
    match family {
        Family::User => [c.uid, c.euid, c.suid],
        Family::Group => [c.gid, c.egid, c.sgid],
    }
}

fn set_ids(ctx: &mut Ctx, family: Family, new: [u32; 3]) {
    let c = &mut ctx.task.creds;
    match family {
        Family::User => [c.uid, c.euid, c.suid] = new,
        Family::Group => [c.gid, c.egid, c.sgid] = new,
    }
    // The filesystem id follows the effective id.
    c.fsuid = c.euid;
    c.fsgid = c.egid;
}

fn privileged(ctx: &Ctx) -> bool {
    ctx.task.creds.euid == 0
}

/// setres*id: each of `wanted` is UNCHANGED or becomes the new id, if allowed.
fn set_res(ctx: &mut Ctx, family: Family, wanted: [u32; 3]) -> SysResult<u64> {
    let current = ids(ctx, family);
    if !privileged(ctx)
        && wanted
            .iter()
            .any(|w| *w != UNCHANGED && !current.contains(w))
    {
        return Err(Errno::EPERM);
    }
    let mut new = current;
    for (slot, w) in new.iter_mut().zip(wanted) {
        if w != UNCHANGED {
            *slot = w;
        }
    }
    set_ids(ctx, family, new);
    Ok(0)
}

/// setre*id: the saved id becomes the new effective id when the real id is set, or
/// the effective id is set to something other than the old real id.
fn set_re(ctx: &mut Ctx, family: Family, real: u32, effective: u32) -> SysResult<u64> {
    let [old_real, old_eff, old_saved] = ids(ctx, family);
    if !privileged(ctx) {
        let real_ok = real == UNCHANGED || real == old_real || real == old_eff;
        let eff_ok = effective == UNCHANGED || [old_real, old_eff, old_saved].contains(&effective);
        if !real_ok || !eff_ok {
            return Err(Errno::EPERM);
        }
    }
    let new_real = if real == UNCHANGED { old_real } else { real };
    let new_eff = if effective == UNCHANGED {
        old_eff
    } else {
        effective
    };
    let new_saved = if real != UNCHANGED || (effective != UNCHANGED && effective != old_real) {
        new_eff
    } else {
        old_saved
    };
    set_ids(ctx, family, [new_real, new_eff, new_saved]);
    Ok(0)
}

/// set*id: privileged, all three; otherwise only the effective id, to the real or
/// saved one.
fn set_one(ctx: &mut Ctx, family: Family, id: u32) -> SysResult<u64> {
    if id == UNCHANGED {
        return Err(Errno::EINVAL);
    }
    let [real, _, saved] = ids(ctx, family);
    if privileged(ctx) {
        set_ids(ctx, family, [id, id, id]);
        return Ok(0);
    }
    if id != real && id != saved {
        return Err(Errno::EPERM);
    }
    let mut new = ids(ctx, family);
    new[1] = id;
    set_ids(ctx, family, new);
    Ok(0)
}

fn get_res(ctx: &mut Ctx, family: Family, a: &Args) -> SysResult<u64> {
    for (i, id) in ids(ctx, family).iter().enumerate() {
        ctx.task.mm.write_u32(a.u64(i), *id)?;
    }
    Ok(0)
}

pub fn sys_setuid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_one(ctx, Family::User, a.u32(0))
}

pub fn sys_setgid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_one(ctx, Family::Group, a.u32(0))
}

pub fn sys_setreuid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_re(ctx, Family::User, a.u32(0), a.u32(1))
}

pub fn sys_setregid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_re(ctx, Family::Group, a.u32(0), a.u32(1))
}

pub fn sys_setresuid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_res(ctx, Family::User, [a.u32(0), a.u32(1), a.u32(2)])
}

pub fn sys_setresgid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_res(ctx, Family::Group, [a.u32(0), a.u32(1), a.u32(2)])
}

pub fn sys_getresuid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    get_res(ctx, Family::User, a)
}

pub fn sys_getresgid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    get_res(ctx, Family::Group, a)
}

/// setfsuid/setfsgid: return the old id; change it only to one of the process's ids
/// (or anything when privileged).
fn set_fs(ctx: &mut Ctx, family: Family, id: u32) -> SysResult<u64> {
    let c = ctx.task.creds;
    let (old, all) = match family {
        Family::User => (c.fsuid, [c.uid, c.euid, c.suid, c.fsuid]),
        Family::Group => (c.fsgid, [c.gid, c.egid, c.sgid, c.fsgid]),
    };
    if id != UNCHANGED && (privileged(ctx) || all.contains(&id)) {
        match family {
            Family::User => ctx.task.creds.fsuid = id,
            Family::Group => ctx.task.creds.fsgid = id,
        }
    }
    Ok(u64::from(old))
}

pub fn sys_setfsuid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_fs(ctx, Family::User, a.u32(0))
}

pub fn sys_setfsgid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_fs(ctx, Family::Group, a.u32(0))
}

/// capget(2). Capabilities are not a kernel object here: a task with effective uid 0
/// has them all, others none, as the sandbox's permission checks treat them. Takes
/// Linux's version handshake: an unknown version gets the preferred one written back
/// and EINVAL (0 when no data was asked for).
pub fn sys_capget(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const VERSION_1: u32 = 0x1998_0330;
    const VERSION_2: u32 = 0x2007_1026;
    const VERSION_3: u32 = 0x2008_0522;
    /// CAP_CHOWN .. CAP_CHECKPOINT_RESTORE (40).
    const ALL_CAPS: u64 = (1 << 41) - 1;
    let (header, data) = (a.u64(0), a.u64(1));
    let mut raw = [0u8; 8];
    ctx.task.mm.copy_in(header, &mut raw)?;
    let version = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let pid = i32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
    let words = match version {
        VERSION_1 => 1,
        VERSION_2 | VERSION_3 => 2,
        _ => {
            ctx.task.mm.write_u32(header, VERSION_3)?;
            return if data == 0 { Ok(0) } else { Err(Errno::EINVAL) };
        }
    };
    if data == 0 {
        return Ok(0);
    }
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0 && pid != ctx.task.pid && pid != ctx.task.tid {
        return Err(Errno::ESRCH);
    }
    let caps = if ctx.task.creds.euid == 0 {
        ALL_CAPS
    } else {
        0
    };
    let mut out = Vec::with_capacity(12 * words);
    for word in 0..words {
        let bits = (caps >> (32 * word)) as u32;
        // effective, permitted, inheritable
        for value in [bits, bits, 0] {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    ctx.task.mm.copy_out(data, &out)?;
    Ok(0)
}
