//! What every 0.2 hook shares (`paddock:common@0.2.0`): the plugin's
//! context, the deployment, reports, errors and logging.

#[doc(hidden)]
pub mod __bindings {
    wit_bindgen::generate!({
        path: "../wit/v0.2",
        inline: "package paddock:guest-common;
                 world common {
                     import paddock:common/types@0.2.0;
                     import paddock:common/resources@0.2.0;
                     import paddock:common/logging@0.2.0;
                     import paddock:orbit/plan@0.2.0;
                     import paddock:racetrack/jobs@0.2.0;
                     import paddock:devstack/contract@0.2.0;
                 }",
        additional_derives: [PartialEq],
        generate_all,
    });
}

pub use __bindings::paddock::common::resources::{CloudformationStack, ContainerRun, DesiredResource, HelmRelease};
pub use __bindings::paddock::common::types::{ActionReport, Deployment, HookError, ParamValue, PluginContext};

/// What every hook returns.
pub type HookResult<T> = Result<T, HookError>;

context_helpers!(PluginContext, HookError, ActionReport, ParamValue);

/// Structured logging to the host, which prints it under the plugin's name.
pub mod log {
    log_functions!(crate::common::__bindings::paddock::common::logging);
}

/// The bindings of one hook's interface, as a world that exports only it:
/// a plugin's component exports the union of the worlds of the hooks it
/// names in [`crate::export_hooks!`], and nothing else.
macro_rules! hook_bindings {
    ($(#[$doc:meta])* $module:ident in $package:ident, $world:literal $(, uses [$($uses:literal: $types:path),+])?) => {
        $(#[$doc])*
        pub mod $module {
            #[doc(hidden)]
            pub mod __bindings {
                wit_bindgen::generate!({
                    path: "../wit/v0.2",
                    inline: $world,
                    with: {
                        "paddock:common/types@0.2.0": crate::common::__bindings::paddock::common::types,
                        "paddock:common/logging@0.2.0": crate::common::__bindings::paddock::common::logging,
                        $($($uses: $types,)+)?
                    },
                    pub_export_macro: true,
                    export_macro_name: "export",
                });
            }

            pub use __bindings::exports::paddock::$package::$module::*;
        }
    };
}
pub(crate) use hook_bindings;
