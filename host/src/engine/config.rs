//! What a [`Host`] is built with, and the instance pool sized from it.

use wasmtime::{Enabled, PoolingAllocationConfig};

use crate::bundle::BundleLimits;
use crate::cache::CompileCache;
use crate::grants::Grants;
use crate::sandbox::Limits;
use crate::validate::OutputRules;

#[cfg(doc)]
use super::Host;

/// Settings fixed when a [`Host`] is built.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Per-call limits applied to every hook call.
    pub limits: Limits,
    /// Size caps applied when reading bundles.
    pub bundle_limits: BundleLimits,
    /// Rules every hook result must pass.
    pub output_rules: OutputRules,
    /// Where compiled components are kept between runs; `None` compiles on
    /// every load.
    pub cache: Option<CompileCache>,
    /// What this host is willing to grant plugins that declare a capability.
    pub grants: Grants,
    /// Pre-allocate instance slots (memories, tables, stacks) in a pool
    /// sized from `limits`, so a fresh instance per call is cheap. `None`
    /// allocates on demand.
    pub instance_pool: Option<PoolSize>,
    /// Whether components that import `wasi:sockets` load at all.
    pub socket_imports: SocketImports,
}

/// What the host does with a component that imports `wasi:sockets`. Either
/// way no plugin ever opens a socket or resolves a name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketImports {
    /// Load it; every socket operation fails with `access-denied`. The
    /// default, because CPython (componentize-py) imports `wasi:sockets`
    /// whether or not the plugin uses the network.
    #[default]
    DenyAtRunTime,
    /// Refuse to load it, naming the imports: for embedders that run no
    /// Python plugins and want network use caught at load time.
    RejectAtLoad,
}

/// How many instances the pooling allocator keeps slots for. Each slot
/// reserves address space for `Limits::memory_bytes` (not resident memory).
/// A released slot keeps the pages its last instance touched, up to 1 MiB
/// per memory and table, so the next instance in it starts without page
/// faults or `madvise`: budget up to `instances` MiB of resident memory for
/// a host that runs that many different large plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSize {
    /// Component instances alive at once, across all threads.
    pub instances: u32,
}

impl Default for PoolSize {
    fn default() -> Self {
        PoolSize { instances: 1_000 }
    }
}

impl Default for HostConfig {
    /// Default limits and rules, caching in [`crate::cache::default_dir`].
    fn default() -> Self {
        HostConfig {
            limits: Limits::default(),
            bundle_limits: BundleLimits::default(),
            output_rules: OutputRules::default(),
            cache: crate::cache::default_dir().map(CompileCache::new),
            instance_pool: Some(PoolSize::default()),
            grants: Grants::default(),
            socket_imports: SocketImports::default(),
        }
    }
}

/// Pool limits sized for plugins: a component may hold several core
/// instances (the WASI adapter, the guest, shims), each with a memory and
/// tables; memories and tables are capped by the per-call limits.
pub(super) fn pooling_config(pool: PoolSize, limits: &Limits) -> PoolingAllocationConfig {
    const CORE_PER_COMPONENT: u32 = 20;
    const KEEP_RESIDENT_BYTES: usize = 1 << 20;
    let mut config = PoolingAllocationConfig::default();
    config
        .total_component_instances(pool.instances)
        .total_core_instances(pool.instances.saturating_mul(4))
        .total_memories(pool.instances.saturating_mul(2))
        .total_tables(pool.instances.saturating_mul(4))
        .total_stacks(pool.instances)
        .max_core_instances_per_component(CORE_PER_COMPONENT)
        .max_memories_per_component(CORE_PER_COMPONENT)
        .max_tables_per_component(CORE_PER_COMPONENT)
        // Keep a warm slot per plugin: a slot that last held the same
        // component reuses its mapped memory image instead of remapping it.
        .max_unused_warm_slots(pool.instances)
        // Reset the pages a small plugin touches with memset instead of
        // madvise: madvise in a multi-threaded host costs a syscall and a
        // TLB shootdown on every core, which made 2-thread calls 4x slower.
        // With PAGEMAP_SCAN (Linux 6.7+) only the resident pages are reset.
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(Enabled::Auto)
        .max_memory_size(limits.memory_bytes)
        .table_elements(limits.table_elements)
        // Interpreted-language components (Python, JavaScript) have large
        // instance records; these are address-space reservations only.
        .max_component_instance_size(8 << 20)
        .max_core_instance_size(8 << 20);
    config
}
