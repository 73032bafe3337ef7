//! Compiling (or taking from the cache), sharing and linking a component,
//! and finding, once per component, the export of every hook it implements.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Instant;

use wasmtime::component::{Component, InstancePre, types::ComponentItem};

use crate::bundle::Bundle;
use crate::cache::CompileOrigin;
use crate::error::Error;
use crate::hooks::Hook;
use crate::plugin::{ExportedInterface, HookExport, Linked, LoadStats};
use crate::sandbox::SandboxState;

use super::{HOOKS_INTERFACE, Host};

impl Host {
    pub(super) fn link(&self, bundle: &Bundle, source: &str) -> Result<(Arc<Linked>, LoadStats), Error> {
        let started = Instant::now();
        let already = self.linked().get(&bundle.component_sha256).and_then(Weak::upgrade);
        if let Some(linked) = already {
            return Ok((linked, LoadStats { origin: CompileOrigin::AlreadyLoaded, compile_time: started.elapsed() }));
        }
        let load_error = |problem: String| load_error(bundle, source, problem);
        let (component, origin) = self.compile(bundle).map_err(|e| {
            let error = format!("{e:#}");
            // The pooling allocator checks declared sizes at compile time.
            if error.contains("pooling allocator") {
                load_error(format!(
                    "the component declares more than this host's limits allow: {error}; raise \
                         `Limits::memory_bytes` / `Limits::table_elements` or make the plugin smaller"
                ))
            } else {
                load_error(format!("the component does not compile: {error}"))
            }
        })?;
        let compile_time = started.elapsed();
        let exports = self.exported_interfaces(&component);
        let component_type = component.component_type();
        let import_names: Vec<&str> = component_type.imports(&self.inner.engine).map(|(name, _)| name).collect();
        self.check_imports(&import_names, false).map_err(load_error)?;
        let instance_pre =
            self.inner.linker.instantiate_pre(&component).map_err(|e| {
                load_error(format!("the component's imports do not match what this host provides: {e:#}"))
            })?;
        let hooks = hook_exports(&instance_pre, &exports).map_err(load_error)?;
        if hooks.iter().all(Option::is_none) {
            let found: Vec<String> = exports.iter().map(|e| crate::sanitize::for_terminal(&e.name, 200)).collect();
            return Err(load_error(format!(
                "the component does not export `{HOOKS_INTERFACE}` or any other hook interface this host serves \
                 (it exports: {}); this host serves {}, each also at compatible versions (0.1.x for 0.1.0): \
                 build the plugin against that WIT with the guest SDK",
                if found.is_empty() { "nothing".to_string() } else { found.join(", ") },
                served_list()
            )));
        }
        let imports = import_names.iter().map(|name| crate::sanitize::for_terminal(name, 200)).collect();
        let linked = Arc::new(Linked { pre: instance_pre, exports, imports, hooks });
        let mut known = self.linked();
        known.retain(|_, linked| linked.strong_count() > 0);
        known.insert(bundle.component_sha256.clone(), Arc::downgrade(&linked));
        Ok((linked, LoadStats { origin, compile_time }))
    }

    fn linked(&self) -> std::sync::MutexGuard<'_, HashMap<String, Weak<Linked>>> {
        // The map holds no invariant a panicking holder could break.
        self.inner.linked.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn compile(&self, bundle: &Bundle) -> wasmtime::Result<(Component, CompileOrigin)> {
        let engine = &self.inner.engine;
        match &self.inner.config.cache {
            Some(cache) => cache.load_or_compile(engine, &bundle.component_sha256, &bundle.component),
            None => Ok((Component::new(engine, &bundle.component)?, CompileOrigin::Compiled)),
        }
    }

    pub(crate) fn exported_interfaces(&self, component: &Component) -> Vec<ExportedInterface> {
        let engine = &self.inner.engine;
        component
            .component_type()
            .exports(engine)
            .filter_map(|(name, export)| match export.ty {
                ComponentItem::ComponentInstance(instance) => Some(ExportedInterface {
                    name: name.to_string(),
                    functions: instance
                        .exports(engine)
                        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
                        .map(|(func, _)| func.to_string())
                        .collect(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// Finds, once per component, the export of every hook it implements and
/// checks its type, so that calls need no look-up and a hook the component
/// lacks is skipped without instantiating it. A component may export only
/// some of the hooks; every Paddock interface it exports must be one this
/// host serves, at a version it can call.
fn hook_exports(
    pre: &InstancePre<SandboxState>,
    exports: &[ExportedInterface],
) -> Result<Vec<Option<HookExport>>, String> {
    for export in exports.iter().filter(|export| export.name.starts_with("paddock:")) {
        let (name, _) = split_version(&export.name);
        if !Hook::interfaces().iter().any(|served| split_version(served).0 == name) {
            return Err(format!(
                "it exports `{}`, which this host does not serve; this host serves {}: build the plugin \
                 with a guest SDK of this Paddock version, or run it on a newer host",
                crate::sanitize::for_terminal(&export.name, 200),
                served_list()
            ));
        }
    }
    let component = pre.component();
    let instance_type = pre.instance_type();
    let mut found = Vec::with_capacity(Hook::ALL.len());
    for hook in Hook::ALL {
        let mut implemented = None;
        for (location, served) in hook.locations().iter().enumerate() {
            let Some(export) =
                exports.iter().find(|export| split_version(&export.name).0 == split_version(served.interface()).0)
            else {
                continue;
            };
            let compatibility = compatibility(served.interface(), &export.name);
            if compatibility == Compatibility::OtherMajor {
                return Err(version_refusal(&export.name, served.interface(), "a different major version"));
            }
            let function = component
                .get_export(None, export.name.as_str())
                .and_then(|(_, interface)| component.get_export(Some(&interface), served.function()));
            match function {
                None => continue,
                Some((ComponentItem::ComponentFunc(func), index)) => {
                    if let Err(error) = (served.typecheck)(&func, &instance_type) {
                        return Err(match compatibility {
                            Compatibility::Patch => format!(
                                "its `{hook}` export (in `{}`) does not have the type `{}` gives it: {error:#}",
                                export.name,
                                served.interface()
                            ),
                            _ => version_refusal(&export.name, served.interface(), "a changed interface"),
                        });
                    }
                    implemented = Some(HookExport { location, index });
                    break;
                }
                Some(_) => return Err(format!("its `{hook}` export (in `{}`) is not a function", export.name)),
            }
        }
        found.push(implemented);
    }
    Ok(found)
}

/// A manifest's `hooks:` must name exactly the hooks the component
/// exports: the Python and JavaScript builds make the component's world
/// from it, and an operator reads it to know what a plugin does.
pub(super) fn check_declared_hooks(bundle: &Bundle, linked: &Linked) -> Result<(), String> {
    let Some(declared) = bundle.manifest().declared_hooks() else {
        return Ok(());
    };
    let names = |hooks: &[Hook]| hooks.iter().map(|hook| format!("`{hook}`")).collect::<Vec<_>>().join(", ");
    let mut hooks = Vec::with_capacity(declared.len());
    for name in declared {
        let hook = name.parse::<Hook>().map_err(|unknown| format!("plugin-manifest.yaml field `hooks`: {unknown}"))?;
        hooks.push(hook);
    }
    let implemented = linked.implemented();
    let undeclared: Vec<Hook> = implemented.iter().copied().filter(|hook| !hooks.contains(hook)).collect();
    let missing: Vec<Hook> = hooks.iter().copied().filter(|hook| !implemented.contains(hook)).collect();
    if missing.is_empty() && undeclared.is_empty() {
        return Ok(());
    }
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("declares {} but the component does not export it", names(&missing)));
    }
    if !undeclared.is_empty() {
        problems.push(format!("does not declare {}, which the component exports", names(&undeclared)));
    }
    Err(format!(
        "plugin-manifest.yaml field `hooks` {}; list exactly the hooks the plugin implements ({}), or remove the field",
        problems.join(" and "),
        if implemented.is_empty() { "none".to_string() } else { names(&implemented) }
    ))
}

/// `package/interface` and the version of `package/interface@version`.
fn split_version(name: &str) -> (&str, &str) {
    name.split_once('@').unwrap_or((name, ""))
}

/// How an exported interface's version relates to the one served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compatibility {
    /// Semver-compatible (for 0.x, the same minor: `0.1.1` for `0.1.0`):
    /// the types must match.
    Patch,
    /// Another minor version of the same major: callable when the
    /// interface is unchanged, which the type check decides.
    Minor,
    /// Another major version, or no version at all: never called.
    OtherMajor,
}

fn compatibility(served: &str, exported: &str) -> Compatibility {
    let parse = |name| semver::Version::parse(split_version(name).1).ok();
    let (Some(served), Some(exported)) = (parse(served), parse(exported)) else {
        return Compatibility::OtherMajor;
    };
    let caret = semver::Comparator {
        op: semver::Op::Caret,
        major: served.major,
        minor: Some(served.minor),
        patch: Some(0),
        pre: semver::Prerelease::EMPTY,
    };
    if caret.matches(&exported) {
        Compatibility::Patch
    } else if exported.major == served.major && exported.pre.is_empty() {
        Compatibility::Minor
    } else {
        Compatibility::OtherMajor
    }
}

fn version_refusal(exported: &str, served: &str, why: &str) -> String {
    format!(
        "it targets `{}`, {why} from the `{served}` this host serves (this host serves {}); rebuild the plugin \
         against one of those with this Paddock's guest SDK",
        crate::sanitize::for_terminal(exported, 200),
        served_list()
    )
}

/// The interfaces served, for error messages.
fn served_list() -> String {
    Hook::interfaces().iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

pub(super) fn load_error(bundle: &Bundle, source: &str, problem: String) -> Error {
    Error::Load {
        plugin: bundle.manifest.name().to_string(),
        version: bundle.manifest.version().to_string(),
        origin: source.to_string(),
        problem,
    }
}
