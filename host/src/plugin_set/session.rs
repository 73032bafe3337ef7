//! Running one hook across the set, plugin by plugin, in order: warm
//! instances for a [`Session`], one fresh instance at a time for the set's
//! own methods.

use std::time::{Duration, Instant};

use crate::call::{self, CallTarget, LiveInstance};
use crate::hooks::{Hook, HookDecl, HookInput, HookRun, HookVisitor, MissingInput, RunContext};
use crate::outcome::{FailureCause, Outcome, Status};

use super::{FailurePolicy, PluginSet};

/// Hook calls that reuse one instance per plugin: for an embedder running
/// several hooks for one deployment. Plugin state (globals, memory) persists
/// between the calls of a session, so use one session per deployment, never
/// across tenants. A failed call never poisons later ones: an instance that
/// trapped is dropped and the next call gets a new one.
pub struct Session<'a> {
    pub(super) set: &'a PluginSet,
    pub(super) instances: Vec<Option<LiveInstance>>,
    /// Whether instances outlive their call (a session) or not (the
    /// set's own methods).
    pub(super) keep_warm: bool,
}

impl Session<'_> {
    /// Runs hook `H` on every plugin: `session.call::<hooks::Deploy>(&deployment)`.
    pub fn call<H: HookDecl>(&mut self, input: &H::Input) -> Vec<Outcome<H::Output>> {
        self.timed_call::<H>(input).0
    }

    /// [`Session::call`], with how long each plugin's call took (zero for
    /// one skipped without an instance or not run).
    fn timed_call<H: HookDecl>(&mut self, input: &H::Input) -> (Vec<Outcome<H::Output>>, Vec<Duration>) {
        let set = self.set;
        let mut aborted = false;
        let mut outcomes = Vec::with_capacity(set.entries.len());
        let mut durations = Vec::with_capacity(set.entries.len());
        for (index, entry) in set.entries.iter().enumerate() {
            let started = Instant::now();
            let status = if aborted {
                Status::NotRun
            } else {
                let target = CallTarget { plugin: &entry.plugin, id: &entry.id, parameters: &entry.parameters };
                let mut status = call::call_hook::<H>(&set.host, &target, input, &mut self.instances[index]);
                if is_host_capacity(&status) && self.instances.iter().any(Option::is_some) {
                    // A warm session over more plugins than the pool has
                    // slots: give back this session's own instances and try
                    // again, rather than blame the plugin for the host's size.
                    self.instances.iter_mut().for_each(|slot| *slot = None);
                    status = call::call_hook::<H>(&set.host, &target, input, &mut self.instances[index]);
                }
                if !self.keep_warm {
                    self.instances[index] = None;
                }
                status
            };
            if let Status::Failed(failure) = &status {
                tracing::debug!("{failure}");
                aborted = set.policy == FailurePolicy::Abort;
            }
            durations.push(started.elapsed());
            outcomes.push(Outcome {
                plugin: entry.plugin.name().to_string(),
                id: entry.id.clone(),
                version: entry.plugin.version().clone(),
                priority: entry.plugin.manifest().priority(),
                status,
            });
        }
        (outcomes, durations)
    }

    /// Runs a hook chosen at run time, with its input taken from `context`.
    pub fn run(&mut self, hook: Hook, context: &RunContext) -> Result<HookRun, MissingInput> {
        struct Run<'s, 'a> {
            session: &'s mut Session<'a>,
            context: &'s RunContext,
        }
        impl HookVisitor for Run<'_, '_> {
            type Output = Result<HookRun, MissingInput>;
            fn visit<H: HookDecl>(self) -> Result<HookRun, MissingInput> {
                let input = H::Input::from_context(self.context)
                    .ok_or(MissingInput { hook: H::HOOK, field: <H::Input as HookInput>::CONTEXT_FIELD })?;
                let (outcomes, durations) = self.session.timed_call::<H>(&input);
                Ok(HookRun::new::<H>(outcomes).with_durations(durations))
            }
        }
        hook.visit(Run { session: self, context })
    }
}

fn is_host_capacity<T>(status: &Status<T>) -> bool {
    matches!(status, Status::Failed(failure) if matches!(failure.cause, FailureCause::HostCapacity(_)))
}
