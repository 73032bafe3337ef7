//! The sandbox one hook call runs in: a fresh `Store` whose WASI context
//! grants nothing, with memory/table limits, a deadline and bounded capture of
//! whatever the guest writes to stdout/stderr.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::{v0_1, v0_2};
use crate::grants::PluginGrants;
use crate::manifest::BUNDLE_FILES_MOUNT;

/// Per-call resource limits. Every hook call gets them afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time a hook call (instantiation included) may take.
    pub hook_timeout: Duration,
    /// Linear memory a plugin instance may use, in bytes: all of its
    /// memories together (a component can hold several core modules).
    pub memory_bytes: usize,
    /// Elements all of a plugin instance's tables may hold, per table.
    pub table_elements: usize,
    /// Bytes a hook result may occupy when copied out of the guest.
    pub max_output_bytes: usize,
    /// Bytes of log messages a plugin may emit per call; the rest is dropped.
    pub max_log_bytes: usize,
    /// Largest single request for random bytes (`wasi:random`); larger ones
    /// trap instead of making the host allocate them.
    pub max_random_bytes: u64,
    /// Bytes of stdout/stderr kept per call (the last ones, where a panic
    /// message lands); the rest is dropped.
    pub max_console_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hook_timeout: Duration::from_secs(5),
            memory_bytes: 256 * 1024 * 1024,
            table_elements: 100_000,
            max_output_bytes: 16 * 1024 * 1024,
            max_log_bytes: 64 * 1024,
            max_random_bytes: 1024 * 1024,
            max_console_bytes: 16 * 1024,
        }
    }
}

/// Which limit stopped a guest, recorded by the limiter because the trap
/// itself does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitHit {
    Memory { requested: usize },
    Table { requested: usize },
}

/// Holds the instance's memory limit over the sum of all its memories: a
/// component may instantiate many core modules, each with its own memory,
/// and wasmtime asks about each memory on its own.
pub(crate) struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    /// Bytes of all memories of the instance, as granted so far. wasmtime
    /// reports a memory's creation as growth from 0, so this starts at 0.
    memory_in_use: usize,
    /// The last growth granted, taken back if the growth then fails.
    last_grant: usize,
    pub(crate) hit: Option<LimitHit>,
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let total = self.memory_in_use.saturating_add(growth);
        if total > self.memory_bytes {
            self.hit = Some(LimitHit::Memory { requested: total });
            return Ok(false);
        }
        self.memory_in_use = total;
        self.last_grant = growth;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory_in_use -= std::mem::take(&mut self.last_grant);
        Ok(())
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        let allow = desired <= self.table_elements;
        if !allow {
            self.hit = Some(LimitHit::Table { requested: desired });
        }
        Ok(allow)
    }
}

/// Store data for one sandboxed call.
pub(crate) struct SandboxState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) console: ConsoleCapture,
    plugin: Arc<str>,
    hook: &'static str,
    log_budget: usize,
    logs_dropped: usize,
}

impl SandboxState {
    /// Fails only if a granted bundle-files directory cannot be opened.
    pub(crate) fn new(
        limits: &Limits,
        plugin: Arc<str>,
        hook: &'static str,
        grants: &PluginGrants,
    ) -> Result<SandboxState, String> {
        let console = ConsoleCapture::new(limits.max_console_bytes);
        // Deny by default: no args, stdin or network, and only what the
        // plugin declared and the embedder allowed: env vars and a read-only
        // view of its own bundle's files. stdout/stderr go to a bounded
        // in-memory tail.
        let mut wasi = WasiCtxBuilder::new();
        wasi.envs(&grants.env)
            .max_random_size(limits.max_random_bytes)
            .stdout(console.clone())
            .stderr(console.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if let Some(dir) = &grants.bundle_files {
            wasi.preopened_dir(dir.path(), BUNDLE_FILES_MOUNT, FsPerms::ReadOnly)
                .map_err(|e| format!("cannot open its bundle files at {}: {e:#}", dir.path().display()))?;
        }
        let wasi = wasi.build();
        Ok(SandboxState {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes: limits.memory_bytes,
                table_elements: limits.table_elements,
                memory_in_use: 0,
                last_grant: 0,
                hit: None,
            },
            console,
            plugin,
            hook,
            log_budget: limits.max_log_bytes,
            logs_dropped: 0,
        })
    }

    /// Resets the per-call state of an instance that is being reused.
    pub(crate) fn begin_call(&mut self, limits: &Limits, hook: &'static str) {
        self.hook = hook;
        self.log_budget = limits.max_log_bytes;
        self.logs_dropped = 0;
        self.limiter.hit = None;
        self.console.clear();
    }

    /// Reports log lines dropped for exceeding the budget, once per call.
    pub(crate) fn finish_logging(&self) {
        if self.logs_dropped > 0 {
            tracing::warn!(
                target: "paddock::plugin",
                plugin = %self.plugin,
                hook = self.hook,
                "dropped {} log messages over the per-call log budget",
                self.logs_dropped
            );
        }
    }
}

impl WasiView for SandboxState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl v0_1::paddock::plugin::types::Host for SandboxState {}
// Interfaces of types only: nothing to provide, but the linker wants them.
impl v0_2::paddock::common::types::Host for SandboxState {}
impl v0_2::paddock::common::resources::Host for SandboxState {}
impl v0_2::paddock::orbit::plan::Host for SandboxState {}
impl v0_2::paddock::racetrack::jobs::Host for SandboxState {}
impl v0_2::paddock::devstack::contract::Host for SandboxState {}

/// A guest's log level, whichever WIT version it logs through.
#[derive(Debug, Clone, Copy)]
enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl SandboxState {
    /// Routes one guest log message to `tracing`, within the per-call budget.
    fn log(&mut self, level: LogLevel, message: String) {
        let cost = message.len().max(1);
        if cost > self.log_budget {
            self.log_budget = 0;
            self.logs_dropped += 1;
            return;
        }
        self.log_budget -= cost;
        let message = crate::sanitize::for_terminal(&message, 2_000);
        let plugin = &*self.plugin;
        let hook = self.hook;
        match level {
            LogLevel::Trace => tracing::trace!(target: "paddock::plugin", plugin, hook, "{message}"),
            LogLevel::Debug => tracing::debug!(target: "paddock::plugin", plugin, hook, "{message}"),
            LogLevel::Info => tracing::info!(target: "paddock::plugin", plugin, hook, "{message}"),
            LogLevel::Warn => tracing::warn!(target: "paddock::plugin", plugin, hook, "{message}"),
            LogLevel::Error => tracing::error!(target: "paddock::plugin", plugin, hook, "{message}"),
        }
    }
}

/// The logging interface of a WIT version, routed to [`SandboxState::log`].
macro_rules! logging_host {
    ($($module:ident)::+) => {
        impl $($module)::+::Host for SandboxState {
            fn log(&mut self, level: $($module)::+::Level, message: String) {
                use $($module)::+::Level as Wit;
                let level = match level {
                    Wit::Trace => LogLevel::Trace,
                    Wit::Debug => LogLevel::Debug,
                    Wit::Info => LogLevel::Info,
                    Wit::Warn => LogLevel::Warn,
                    Wit::Error => LogLevel::Error,
                };
                SandboxState::log(self, level, message)
            }
        }
    };
}

logging_host!(v0_1::paddock::plugin::logging);
logging_host!(v0_2::paddock::common::logging);

/// Keeps the last `capacity` bytes written to a guest's stdout and stderr.
/// Writes never fail, so a guest flooding its output neither traps nor grows
/// host memory.
#[derive(Clone)]
pub(crate) struct ConsoleCapture {
    tail: Arc<Mutex<VecDeque<u8>>>,
    capacity: usize,
}

impl ConsoleCapture {
    fn new(capacity: usize) -> ConsoleCapture {
        ConsoleCapture { tail: Arc::new(Mutex::new(VecDeque::new())), capacity }
    }

    fn append(&self, bytes: &[u8]) {
        let mut tail = self.tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let keep = bytes.len().min(self.capacity);
        tail.extend(&bytes[bytes.len() - keep..]);
        let excess = tail.len().saturating_sub(self.capacity);
        tail.drain(..excess);
    }

    fn clear(&self) {
        self.tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }

    /// What the guest wrote last, as text.
    pub(crate) fn text(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (a, b) = tail.as_slices();
        String::from_utf8_lossy(&[a, b].concat()).into_owned()
    }
}

impl IsTerminal for ConsoleCapture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ConsoleCapture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for ConsoleCapture {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ConsoleCapture {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for ConsoleCapture {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_keeps_only_the_tail() {
        let console = ConsoleCapture::new(8);
        console.append(b"0123456789");
        console.append(b"ab");
        assert_eq!(console.text(), "456789ab");
    }
}
