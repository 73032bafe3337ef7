//! Generated bindings of the `provider` world (`wit/v0.2/paddock.wit`).
//! Private: the public API speaks the types of [`super::definition`].

wasmtime::component::bindgen!({
    path: "../wit/v0.2",
    world: "provider",
    exports: { default: async },
    with: {
        "paddock:common/logging@0.2.0": crate::bindings::v0_2::paddock::common::logging,
    },
});
