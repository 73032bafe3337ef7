//! Generated bindings for `paddock:plugin@0.1.0`: the host's imports and
//! the WIT types. Exports are looked up one hook at a time (`hooks`), so a
//! component may export only the hooks it implements. Private: the public
//! API speaks Paddock's own types (see `types`), converted in `call`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
});
