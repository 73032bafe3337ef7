//! Compiling (or taking from the cache), sharing and linking a component,
//! and finding, once per component, the export of every hook it implements.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Instant;

use wasmtime::component::{Component, ComponentExportIndex, InstancePre, types::ComponentItem};

use crate::bundle::Bundle;
use crate::cache::CompileOrigin;
use crate::error::Error;
use crate::hooks::Hook;
use crate::plugin::{ExportedInterface, Linked, LoadStats};
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
        let served = Hook::interfaces();
        if !exports.iter().any(|export| served.iter().any(|interface| serves(interface, &export.name))) {
            let found: Vec<&str> = exports.iter().map(|e| e.name.as_str()).collect();
            let served = served.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
            return Err(load_error(format!(
                "the component does not export `{HOOKS_INTERFACE}` or a compatible version of any interface \
                 this host serves (it exports: {}); this host serves {served}, each also at compatible \
                 versions (0.1.x for 0.1.0): build the plugin against that WIT with the guest SDK",
                if found.is_empty() { "nothing".to_string() } else { found.join(", ") }
            )));
        }
        let component_type = component.component_type();
        let import_names: Vec<&str> = component_type.imports(&self.inner.engine).map(|(name, _)| name).collect();
        // Listed all at once so the author can fix them in one go (the
        // linker reports only the first).
        let unprovided: Vec<String> = import_names
            .iter()
            .filter(|name| !self.provides(name))
            .map(|name| crate::sanitize::for_terminal(name, 200))
            .collect();
        if !unprovided.is_empty() {
            return Err(load_error(format!(
                "the component imports interfaces this host does not provide: {}; plugins may import only {}",
                unprovided.join(", "),
                self.provided_packages()
                    .map(|(package, version)| format!("{package}@{version}x"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let instance_pre =
            self.inner.linker.instantiate_pre(&component).map_err(|e| {
                load_error(format!("the component's imports do not match what this host provides: {e:#}"))
            })?;
        let hooks = hook_exports(&instance_pre, &exports).map_err(load_error)?;
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

    fn compile(&self, bundle: &Bundle) -> wasmtime::Result<(Component, CompileOrigin)> {
        let engine = &self.inner.engine;
        match &self.inner.config.cache {
            Some(cache) => cache.load_or_compile(engine, &bundle.component_sha256, &bundle.component),
            None => Ok((Component::new(engine, &bundle.component)?, CompileOrigin::Compiled)),
        }
    }

    fn exported_interfaces(&self, component: &Component) -> Vec<ExportedInterface> {
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
/// some of the hooks.
fn hook_exports(
    pre: &InstancePre<SandboxState>,
    exports: &[ExportedInterface],
) -> Result<Vec<Option<ComponentExportIndex>>, String> {
    let component = pre.component();
    let instance_type = pre.instance_type();
    Hook::ALL
        .iter()
        .map(|hook| {
            let interface = exports
                .iter()
                .find(|export| serves(hook.interface(), &export.name))
                .and_then(|export| component.get_export(None, export.name.as_str()))
                .map(|(_, index)| index);
            (hook, interface)
        })
        .map(|(hook, interface)| {
            match interface.as_ref().and_then(|interface| component.get_export(Some(interface), hook.name())) {
                None => Ok(None),
                Some((ComponentItem::ComponentFunc(func), index)) => {
                    hook.typecheck(&func, &instance_type).map(|()| Some(index)).map_err(|e| {
                        format!("its `{hook}` export does not have the type `{}` gives it: {e:#}", hook.interface())
                    })
                }
                Some(_) => Err(format!("its `{hook}` export is not a function")),
            }
        })
        .collect()
}

/// Whether an exported interface `name` is a version of the interface
/// `served` (`package/interface@version`) this host can call: the same
/// package and interface at a semver-compatible version (for 0.x, the same
/// minor: `0.1.1` but not `0.2.0`). The linker matches imports this way;
/// exports follow the same rule.
fn serves(served: &str, name: &str) -> bool {
    let (served, served_version) = served.split_once('@').unwrap_or((served, ""));
    let Some((exported, version)) = name.split_once('@') else {
        return false;
    };
    let (Ok(served_version), Ok(version)) = (semver::Version::parse(served_version), semver::Version::parse(version))
    else {
        return false;
    };
    exported == served
        && semver::Comparator {
            op: semver::Op::Caret,
            major: served_version.major,
            minor: Some(served_version.minor),
            patch: Some(0),
            pre: semver::Prerelease::EMPTY,
        }
        .matches(&version)
}

pub(super) fn load_error(bundle: &Bundle, source: &str, problem: String) -> Error {
    Error::Load {
        plugin: bundle.manifest.name().to_string(),
        version: bundle.manifest.version().to_string(),
        origin: source.to_string(),
        problem,
    }
}
