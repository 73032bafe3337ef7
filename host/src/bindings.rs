//! Generated bindings for `paddock:plugin@0.1.0`. Private: the public API
//! speaks Paddock's own types (see `types`), converted in `hooks`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    // Exports are called as futures so that a call blocked in a WASI host
    // call (a sleep, a poll) can be abandoned at the hook's deadline, which
    // epoch interruption alone cannot do.
    exports: { default: async },
});
