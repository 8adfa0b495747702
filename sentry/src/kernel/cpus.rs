//! The VM's vCPUs. Today each running task holds one vCPU on its own host thread for
//! its whole life (several tasks run in parallel; one blocked in the sentry blocks no
//! other); a vCPU freed by an exiting task is reused by the next one, since KVM cannot
//! destroy a single vCPU. A scheduler that multiplexes tasks over fewer vCPUs (and a
//! deterministic one) would replace `acquire`/`release` without touching the syscalls.

use std::sync::{Arc, Mutex};

use vmm::{UserRegs, Vcpu, Vm, VmError};

/// vCPUs idle or in use.
pub struct Cpus {
    vm: Arc<Vm>,
    idle: Mutex<Vec<Vcpu>>,
    created: Mutex<u64>,
}

impl Cpus {
    pub fn new(vm: Arc<Vm>) -> Self {
        Cpus {
            vm,
            idle: Mutex::new(Vec::new()),
            created: Mutex::new(0),
        }
    }

    /// A vCPU about to run `regs` in the address space rooted at `cr3`. Its other
    /// state (FS/GS bases, FPU) is the caller's to set.
    pub fn acquire(&self, cr3: u64, regs: UserRegs) -> Result<Vcpu, VmError> {
        let reused = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(mut vcpu) = reused {
            vcpu.set_address_space(cr3).map_err(VmError::Vcpu)?;
            *vcpu.regs_mut() = regs;
            return Ok(vcpu);
        }
        let id = {
            let mut created = self.created.lock().unwrap_or_else(|e| e.into_inner());
            *created += 1;
            *created - 1
        };
        self.vm.create_vcpu(id, cr3, regs)
    }

    /// Returns a vCPU whose task has exited.
    pub fn release(&self, vcpu: Vcpu) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(vcpu);
    }

    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }
}
