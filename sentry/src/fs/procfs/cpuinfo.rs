//! /proc/cpuinfo from the guest's CPUID (what the VM exposes, so RDRAND and RDSEED
//! only appear if CPUID shows them), one block per CPU, in Linux's format.

use std::fmt::Write;

use super::Ctx;

/// CPUID leaf 1 EDX (Linux's word 0).
#[rustfmt::skip]
const LEAF1_EDX: &[(u32, &str)] = &[
    (0, "fpu"), (1, "vme"), (2, "de"), (3, "pse"), (4, "tsc"), (5, "msr"), (6, "pae"),
    (7, "mce"), (8, "cx8"), (9, "apic"), (11, "sep"), (12, "mtrr"), (13, "pge"), (14, "mca"),
    (15, "cmov"), (16, "pat"), (17, "pse36"), (18, "pn"), (19, "clflush"), (21, "dts"),
    (22, "acpi"), (23, "mmx"), (24, "fxsr"), (25, "sse"), (26, "sse2"), (27, "ss"), (28, "ht"),
    (29, "tm"), (30, "ia64"), (31, "pbe"),
];

/// CPUID 0x80000001 EDX (word 1).
#[rustfmt::skip]
const EXT_EDX: &[(u32, &str)] = &[
    (11, "syscall"), (19, "mp"), (20, "nx"), (22, "mmxext"), (25, "fxsr_opt"),
    (26, "pdpe1gb"), (27, "rdtscp"), (29, "lm"), (30, "3dnowext"), (31, "3dnow"),
];

/// CPUID leaf 1 ECX (word 4); OSXSAVE is not shown, as on Linux.
#[rustfmt::skip]
const LEAF1_ECX: &[(u32, &str)] = &[
    (0, "pni"), (1, "pclmulqdq"), (2, "dtes64"), (3, "monitor"), (4, "ds_cpl"), (5, "vmx"),
    (6, "smx"), (7, "est"), (8, "tm2"), (9, "ssse3"), (10, "cid"), (11, "sdbg"), (12, "fma"),
    (13, "cx16"), (14, "xtpr"), (15, "pdcm"), (17, "pcid"), (18, "dca"), (19, "sse4_1"),
    (20, "sse4_2"), (21, "x2apic"), (22, "movbe"), (23, "popcnt"), (24, "tsc_deadline_timer"),
    (25, "aes"), (26, "xsave"), (28, "avx"), (29, "f16c"), (30, "rdrand"), (31, "hypervisor"),
];

/// CPUID 0x80000001 ECX (word 6).
#[rustfmt::skip]
const EXT_ECX: &[(u32, &str)] = &[
    (0, "lahf_lm"), (1, "cmp_legacy"), (2, "svm"), (3, "extapic"), (4, "cr8_legacy"),
    (5, "abm"), (6, "sse4a"), (7, "misalignsse"), (8, "3dnowprefetch"), (9, "osvw"),
    (10, "ibs"), (11, "xop"), (12, "skinit"), (13, "wdt"), (15, "lwp"), (16, "fma4"),
    (17, "tce"), (19, "nodeid_msr"), (21, "tbm"), (22, "topoext"), (23, "perfctr_core"),
    (24, "perfctr_nb"), (26, "bpext"), (27, "ptsc"), (28, "perfctr_llc"), (29, "mwaitx"),
];

/// CPUID 7.0 EBX (word 9).
#[rustfmt::skip]
const LEAF7_EBX: &[(u32, &str)] = &[
    (0, "fsgsbase"), (1, "tsc_adjust"), (2, "sgx"), (3, "bmi1"), (4, "hle"), (5, "avx2"),
    (7, "smep"), (8, "bmi2"), (9, "erms"), (10, "invpcid"), (11, "rtm"), (12, "cqm"),
    (14, "mpx"), (15, "rdt_a"), (16, "avx512f"), (17, "avx512dq"), (18, "rdseed"), (19, "adx"),
    (20, "smap"), (21, "avx512ifma"), (23, "clflushopt"), (24, "clwb"), (25, "intel_pt"),
    (26, "avx512pf"), (27, "avx512er"), (28, "avx512cd"), (29, "sha_ni"), (30, "avx512bw"),
    (31, "avx512vl"),
];

/// CPUID 0xd.1 EAX (word 10).
#[rustfmt::skip]
const XSAVE_EAX: &[(u32, &str)] = &[(0, "xsaveopt"), (1, "xsavec"), (2, "xgetbv1"), (3, "xsaves")];

/// CPUID 7.0 ECX (word 16).
#[rustfmt::skip]
const LEAF7_ECX: &[(u32, &str)] = &[
    (1, "avx512vbmi"), (2, "umip"), (3, "pku"), (4, "ospke"), (5, "waitpkg"),
    (6, "avx512_vbmi2"), (8, "gfni"), (9, "vaes"), (10, "vpclmulqdq"), (11, "avx512_vnni"),
    (12, "avx512_bitalg"), (13, "tme"), (14, "avx512_vpopcntdq"), (16, "la57"), (22, "rdpid"),
    (24, "bus_lock_detect"), (25, "cldemote"), (27, "movdiri"), (28, "movdir64b"),
    (29, "enqcmd"), (30, "sgx_lc"),
];

/// CPUID 7.0 EDX (word 18).
#[rustfmt::skip]
const LEAF7_EDX: &[(u32, &str)] = &[
    (2, "avx512_4vnniw"), (3, "avx512_4fmaps"), (4, "fsrm"), (8, "avx512_vp2intersect"),
    (10, "md_clear"), (14, "serialize"), (16, "tsxldtrk"), (18, "pconfig"), (19, "arch_lbr"),
    (20, "ibt"), (22, "amx_bf16"), (23, "avx512_fp16"), (24, "amx_tile"), (25, "amx_int8"),
    (28, "flush_l1d"), (29, "arch_capabilities"),
];

/// Clock assumed when CPUID gives no frequency (leaf 0x16).
const DEFAULT_MHZ: u32 = 2000;

fn push_flags(out: &mut Vec<&'static str>, reg: u32, table: &[(u32, &'static str)]) {
    out.extend(
        table
            .iter()
            .filter(|(bit, _)| reg & (1 << bit) != 0)
            .map(|(_, name)| *name),
    );
}

fn reg_bytes(regs: &[u32]) -> Vec<u8> {
    regs.iter().flat_map(|r| r.to_le_bytes()).collect()
}

/// The identification of the CPU, decoded once for all blocks.
struct CpuId {
    max_leaf: u32,
    vendor: String,
    family: u32,
    model: u32,
    stepping: u32,
    name: String,
    mhz: u32,
    clflush: u32,
    phys_bits: u32,
    virt_bits: u32,
    flags: Vec<&'static str>,
}

fn decode(ctx: &Ctx) -> CpuId {
    let cpuid = |f: u32, i: u32| ctx.system.cpuid(f, i);
    let (max_leaf, vendor) = match cpuid(0, 0) {
        Some((a, b, c, d)) => (
            a,
            String::from_utf8_lossy(&reg_bytes(&[b, d, c])).into_owned(),
        ),
        None => (0, "unknown".to_string()),
    };
    let max_ext = cpuid(0x8000_0000, 0).map_or(0, |r| r.0);
    let leaf = |f: u32, i: u32| {
        let max = if f >= 0x8000_0000 { max_ext } else { max_leaf };
        if f <= max {
            cpuid(f, i).unwrap_or_default()
        } else {
            (0, 0, 0, 0)
        }
    };
    let (eax1, ebx1, ecx1, edx1) = leaf(1, 0);
    let mut family = (eax1 >> 8) & 0xf;
    let mut model = (eax1 >> 4) & 0xf;
    if family == 0xf {
        family += (eax1 >> 20) & 0xff;
    }
    if family >= 6 {
        model += ((eax1 >> 16) & 0xf) << 4;
    }
    let mut name_bytes = Vec::new();
    for f in 0x8000_0002..=0x8000_0004 {
        let (a, b, c, d) = leaf(f, 0);
        name_bytes.extend(reg_bytes(&[a, b, c, d]));
    }
    let name = String::from_utf8_lossy(&name_bytes)
        .trim_matches(|c| c == '\0' || c == ' ')
        .to_string();
    let (_, _, ext_ecx, ext_edx) = leaf(0x8000_0001, 0);
    let (_, ebx7, ecx7, edx7) = leaf(7, 0);
    let (xsave_eax, ..) = leaf(0xd, 1);
    let mut flags = Vec::new();
    push_flags(&mut flags, edx1, LEAF1_EDX);
    push_flags(&mut flags, ext_edx, EXT_EDX);
    push_flags(&mut flags, ecx1, LEAF1_ECX);
    push_flags(&mut flags, ext_ecx, EXT_ECX);
    push_flags(&mut flags, ebx7, LEAF7_EBX);
    push_flags(&mut flags, xsave_eax, XSAVE_EAX);
    push_flags(&mut flags, ecx7, LEAF7_ECX);
    push_flags(&mut flags, edx7, LEAF7_EDX);
    let mhz = match leaf(0x16, 0).0 & 0xffff {
        0 => DEFAULT_MHZ,
        m => m,
    };
    let clflush = match (ebx1 >> 8) & 0xff {
        0 => 64,
        n => n * 8,
    };
    let (phys_bits, virt_bits) = match leaf(0x8000_0008, 0).0 {
        0 => (36, 48),
        a => (a & 0xff, (a >> 8) & 0xff),
    };
    CpuId {
        max_leaf,
        vendor,
        family,
        model,
        stepping: eax1 & 0xf,
        name: if name.is_empty() {
            "unknown".to_string()
        } else {
            name
        },
        mhz,
        clflush,
        phys_bits,
        virt_bits,
        flags,
    }
}

/// /proc/cpuinfo.
pub(super) fn cpuinfo(ctx: &Ctx) -> Vec<u8> {
    let id = decode(ctx);
    let cpus = ctx.system.cpus().max(1);
    let flags = id.flags.join(" ");
    let mut s = String::new();
    for cpu in 0..cpus {
        let _ = write!(
            s,
            "processor\t: {cpu}\nvendor_id\t: {}\ncpu family\t: {}\nmodel\t\t: {}\n\
             model name\t: {}\nstepping\t: {}\ncpu MHz\t\t: {}.000\nphysical id\t: 0\n\
             siblings\t: {cpus}\ncore id\t\t: {cpu}\ncpu cores\t: {cpus}\napicid\t\t: {cpu}\n\
             initial apicid\t: {cpu}\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: {}\n\
             wp\t\t: yes\nflags\t\t: {flags}\nbugs\t\t:\nbogomips\t: {}.00\n\
             clflush size\t: {}\ncache_alignment\t: 64\n\
             address sizes\t: {} bits physical, {} bits virtual\npower management:\n\n",
            id.vendor,
            id.family,
            id.model,
            id.name,
            id.stepping,
            id.mhz,
            id.max_leaf,
            u64::from(id.mhz) * 2,
            id.clflush,
            id.phys_bits,
            id.virt_bits,
        );
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::*;

    #[test]
    fn decodes_cpuid() {
        let (c, _) = ctx();
        let text = String::from_utf8(cpuinfo(&c)).unwrap();
        let blocks: Vec<&str> = text.split("\n\n").filter(|b| !b.is_empty()).collect();
        assert_eq!(blocks.len(), 2);
        let b = blocks[1];
        assert!(
            b.starts_with("processor\t: 1\nvendor_id\t: GenuineIntel\n"),
            "{b}"
        );
        assert!(b.contains("\ncpu family\t: 6\nmodel\t\t: 85\n"), "{b}");
        assert!(
            b.contains("\nmodel name\t: Test CPU @ 2.00GHz\nstepping\t: 7\n"),
            "{b}"
        );
        assert!(b.contains("\nclflush size\t: 64\n"), "{b}");
        assert!(
            b.contains("\naddress sizes\t: 46 bits physical, 48 bits virtual\n"),
            "{b}"
        );
        let flags = b.lines().find(|l| l.starts_with("flags")).unwrap();
        assert_eq!(
            flags,
            "flags\t\t: fpu sse2 syscall lm pni avx hypervisor avx2 rdseed"
        );
        assert!(!flags.contains("rdrand"));
    }
}
