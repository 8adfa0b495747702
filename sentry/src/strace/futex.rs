//! `futex`: the operation name and the arguments each operation actually uses.

use super::args::{hex, ptr};
use super::structs::timespec;
use super::TraceMemory;

const OPS: [&str; 14] = [
    "WAIT",
    "WAKE",
    "FD",
    "REQUEUE",
    "CMP_REQUEUE",
    "WAKE_OP",
    "LOCK_PI",
    "UNLOCK_PI",
    "TRYLOCK_PI",
    "WAIT_BITSET",
    "WAKE_BITSET",
    "WAIT_REQUEUE_PI",
    "CMP_REQUEUE_PI",
    "LOCK_PI2",
];

const PRIVATE: u32 = 0x80;
const CLOCK_REALTIME: u32 = 0x100;

/// `FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1`: FUTEX_WAKE_OP's encoded operation.
fn wake_op(v: u32) -> String {
    const OP: [&str; 5] = ["SET", "ADD", "OR", "ANDN", "XOR"];
    const CMP: [&str; 6] = ["EQ", "NE", "LT", "LE", "GT", "GE"];
    let op = (v >> 28) & 7;
    let shift = if v & (8 << 28) != 0 {
        "FUTEX_OP_OPARG_SHIFT<<28|"
    } else {
        ""
    };
    let op = OP
        .get(op as usize)
        .map_or_else(|| op.to_string(), |n| format!("FUTEX_OP_{n}"));
    let cmp = (v >> 24) & 15;
    let cmp = CMP
        .get(cmp as usize)
        .map_or_else(|| cmp.to_string(), |n| format!("FUTEX_OP_CMP_{n}"));
    format!(
        "{shift}{op}<<28|{}<<12|{cmp}<<24|{}",
        (v >> 12) & 0xfff,
        hex(u64::from(v & 0xfff))
    )
}

fn bitset(v: u32) -> String {
    if v == u32::MAX {
        "FUTEX_BITSET_MATCH_ANY".to_string()
    } else {
        hex(u64::from(v))
    }
}

/// All of `futex(uaddr, op, val, timeout/val2, uaddr2, val3)`'s arguments.
pub fn futex_args(mem: &dyn TraceMemory, a: [u64; 6]) -> Vec<String> {
    let op = a[1] as u32;
    let cmd = op & 0x7f;
    let val = (a[2] as u32).to_string();
    let val2 = (a[3] as u32).to_string();
    let val3 = a[5] as u32;
    let Some(name) = OPS.get(cmd as usize).filter(|_| op & !0x1ff == 0) else {
        let op = format!("{} /* FUTEX_??? */", hex(u64::from(op)));
        return vec![
            ptr(a[0]),
            op,
            val,
            ptr(a[3]),
            ptr(a[4]),
            (val3 as i32).to_string(),
        ];
    };
    let mut op_name = format!("FUTEX_{name}");
    if op & PRIVATE != 0 {
        op_name.push_str("_PRIVATE");
    }
    if op & CLOCK_REALTIME != 0 {
        op_name.push_str("|FUTEX_CLOCK_REALTIME");
    }
    let mut v = vec![ptr(a[0]), op_name];
    let rest = match cmd {
        0 => vec![val, timespec(mem, a[3])],
        1 | 2 => vec![val],
        3 => vec![val, val2, ptr(a[4])],
        4 | 12 => vec![val, val2, ptr(a[4]), (val3 as i32).to_string()],
        5 => vec![val, val2, ptr(a[4]), wake_op(val3)],
        6 | 13 => vec![timespec(mem, a[3])],
        9 => vec![val, timespec(mem, a[3]), bitset(val3)],
        10 => vec![val, bitset(val3)],
        11 => vec![val, timespec(mem, a[3]), ptr(a[4])],
        _ => vec![],
    };
    v.extend(rest);
    v
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::FakeMem;
    use super::*;

    #[test]
    fn ops() {
        let m = FakeMem::default();
        let f = |a: [u64; 6]| futex_args(&m, a).join(", ");
        assert_eq!(
            f([0x4a62d0, 0x80, 1, 0, 0, 0]),
            "0x4a62d0, FUTEX_WAIT_PRIVATE, 1, NULL"
        );
        assert_eq!(
            f([0x4a62d0, 0x81, 1, 0, 0, 0]),
            "0x4a62d0, FUTEX_WAKE_PRIVATE, 1"
        );
        assert_eq!(
            f([0x4a62d0, 0x189, 0, 0, 0, 0xffff_ffff]),
            "0x4a62d0, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY"
        );
        assert_eq!(
            f([0x4a62d0, 10, 1, 0, 0, 3]),
            "0x4a62d0, FUTEX_WAKE_BITSET, 1, 0x3"
        );
        assert_eq!(
            f([0x4a62d0, 0x84, 1, 2, 0x4a62d4, 0]),
            "0x4a62d0, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, 0x4a62d4, 0"
        );
        assert_eq!(
            f([0x4a62d0, 0x86, 0, 0, 0, 0]),
            "0x4a62d0, FUTEX_LOCK_PI_PRIVATE, NULL"
        );
        assert_eq!(
            f([0x4a62d0, 0x87, 0, 0, 0, 0]),
            "0x4a62d0, FUTEX_UNLOCK_PI_PRIVATE"
        );
        assert_eq!(
            f([0x4a62d0, 99, 0, 0, 0, 0]),
            "0x4a62d0, 0x63 /* FUTEX_??? */, 0, NULL, NULL, 0"
        );
        assert_eq!(
            f([0x4a62d0, 0x85, 1, 1, 0x4a62d4, 0x0400_0001]),
            "0x4a62d0, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x4a62d4, FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1"
        );
    }
}
