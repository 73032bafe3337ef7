//! A plugin whose start-up never finishes: a static constructor (run by the
//! toolchain's `__wasm_call_ctors` before any hook body) loops forever.

use paddock_guest::{ActionReport, HookContext, HookResult, Plugin, export_plugin};

extern "C" fn spin_forever() {
    loop {
        std::hint::black_box(0);
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static SPIN_AT_START: extern "C" fn() = spin_forever;

struct StartupLoop;

impl Plugin for StartupLoop {
    fn deploy(_ctx: &HookContext) -> HookResult<ActionReport> {
        Ok(ActionReport::new("start-up finished"))
    }
}

export_plugin!(StartupLoop);
