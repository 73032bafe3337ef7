//! Generated bindings for `paddock:plugin@0.1.0`. Private: the public API
//! speaks Paddock's own types (see `types`), converted in `hooks`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
});
