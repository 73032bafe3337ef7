//! Digital Rebar plugin providers (`paddock:rebar@0.2.0`, seed 003): a
//! long-lived component, not a hook plugin. Implement [`Provider`] for your
//! type and call [`crate::export_provider!`] once; its manifest says
//! `provider: true`. The instance, and whatever it keeps in statics, lives
//! from its first `config` until `stop`; [`objects`] keeps state the host
//! stores for it (only the object types its definition lists, and only its
//! own), [`events`] publishes events to the other providers.
//!
//! ```
//! use paddock_guest::rebar::{ActionRequest, Event, Json, Param, Provider, ProviderDefinition, ProviderError};
//!
//! struct Noop;
//!
//! impl Provider for Noop {
//!     fn define() -> ProviderDefinition {
//!         ProviderDefinition {
//!             name: "noop".into(),
//!             version: "0.1.0".into(),
//!             actions: vec![],
//!             config_params: vec![],
//!             event_selectors: vec![],
//!             object_types: vec![],
//!             content: vec![],
//!         }
//!     }
//!     fn config(_params: Vec<Param>) -> Result<(), ProviderError> { Ok(()) }
//!     fn validate() -> Result<Json, ProviderError> { Ok("true".into()) }
//!     fn action(request: ActionRequest) -> Result<Json, ProviderError> {
//!         Err(ProviderError { message: format!("no action {}", request.command), param: None })
//!     }
//!     fn publish(_event: Event) -> Result<(), ProviderError> { Ok(()) }
//!     fn stop() {}
//! }
//!
//! paddock_guest::export_provider!(Noop);
//! # fn main() {}
//! ```

#[doc(hidden)]
pub mod __bindings {
    wit_bindgen::generate!({
        path: "../wit/v0.2",
        world: "provider",
        with: {
            "paddock:common/logging@0.2.0": crate::common::__bindings::paddock::common::logging,
            "paddock:rebar/types@0.2.0": generate,
            "paddock:rebar/objects@0.2.0": generate,
            "paddock:rebar/events@0.2.0": generate,
        },
        additional_derives: [PartialEq],
        pub_export_macro: true,
        export_macro_name: "export",
    });
}

pub use __bindings::exports::paddock::rebar::provider::Guest as Provider;
pub use __bindings::paddock::rebar::types::{
    ActionRequest, ActionSpec, ConfigParam, Event, Json, Param, ParamSpec, ParamType, ProviderDefinition,
    ProviderError, StoreError, StoredObject,
};

/// The host's store of this provider's objects (Digital Rebar object types
/// and `ListObjects(prefix)`), as JSON text.
pub mod objects {
    pub use super::__bindings::paddock::rebar::objects::{create, delete, get, list, update};
}

/// Events to the other providers (Digital Rebar `Publish(type, action, key, object)`).
pub mod events {
    pub use super::__bindings::paddock::rebar::events::publish;
}

/// The value of parameter `name` in `params`, as JSON text.
pub fn param<'a>(params: &'a [Param], name: &str) -> Option<&'a str> {
    params.iter().find(|param| param.name == name).map(|param| param.value.as_str())
}

/// Exports a [`Provider`] implementation as the component's provider. Call
/// it once, at the root of the provider crate.
#[macro_export]
macro_rules! export_provider {
    ($provider:ident) => {
        $crate::rebar::__bindings::export!($provider with_types_in $crate::rebar::__bindings);
    };
}
