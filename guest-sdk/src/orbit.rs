//! AWS Orbit Workbench's hooks (`paddock:orbit@0.2.0`, seed 001): implement
//! a module's `Guest` trait for your plugin type and name the module in
//! [`crate::export_hooks!`].

use crate::common::hook_bindings;

hook_bindings! {
    /// `dockerfile-injection`: Dockerfile instructions for the team's image.
    dockerfile_injection in orbit,
    "package paddock:guest-orbit-dockerfile-injection;
     world orbit-dockerfile-injection {
         import paddock:common/logging@0.2.0;
         export paddock:orbit/dockerfile-injection@0.2.0;
     }"
}

hook_bindings! {
    /// `bootstrap-injection`: a shell script run when the team's deployment boots.
    bootstrap_injection in orbit,
    "package paddock:guest-orbit-bootstrap-injection;
     world orbit-bootstrap-injection {
         import paddock:common/logging@0.2.0;
         export paddock:orbit/bootstrap-injection@0.2.0;
     }"
}

hook_bindings! {
    /// `deploy`: supplementary actions when the team is deployed.
    deploy in orbit,
    "package paddock:guest-orbit-deploy;
     world orbit-deploy {
         import paddock:common/logging@0.2.0;
         export paddock:orbit/deploy@0.2.0;
     }"
}

hook_bindings! {
    /// `destroy`: supplementary actions when the team is destroyed.
    destroy in orbit,
    "package paddock:guest-orbit-destroy;
     world orbit-destroy {
         import paddock:common/logging@0.2.0;
         export paddock:orbit/destroy@0.2.0;
     }"
}
