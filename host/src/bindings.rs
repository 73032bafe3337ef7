//! Generated bindings, one module per WIT tree the host serves: the frozen
//! `paddock:plugin@0.1.0` (`wit/paddock.wit`) and the packages by tool from
//! 0.2 on (`wit/v0.2/`). Only the imports (logging) and the WIT types are
//! used: exports are looked up one hook at a time (see `hooks`), so a
//! component exports only the hooks it implements. Private: the public API
//! speaks Paddock's own types (see `types`), converted in `hooks`.

/// `paddock:plugin@0.1.0`.
pub(crate) mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
    });
}

/// `paddock:common`, `paddock:orbit`, `paddock:racetrack` ... at 0.2.
pub(crate) mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../wit/v0.2",
        world: "served",
    });
}
