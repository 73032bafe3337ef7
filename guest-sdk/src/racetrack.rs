//! Racetrack's hooks (`paddock:racetrack@0.2.0`, seed 000): implement a
//! module's `Guest` trait for your plugin type and name the module in
//! [`crate::export_hooks!`].

use crate::common::hook_bindings;

hook_bindings! {
    /// `job-runtime-env-vars`: environment variables for the job's runtime.
    job_runtime_env_vars in racetrack,
    "package paddock:guest-racetrack-job-runtime-env-vars;
     world racetrack-job-runtime-env-vars {
         import paddock:common/logging@0.2.0;
         export paddock:racetrack/job-runtime-env-vars@0.2.0;
     }"
}
