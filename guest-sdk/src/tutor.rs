//! Tutor's hooks (`paddock:tutor@0.2.0`, seed 004): implement a module's
//! `Guest` trait for your plugin type and name the module in
//! [`crate::export_hooks!`]. Templates ship in the bundle under
//! `files/templates/NAME/` (NAME: the manifest name), with
//! `NAME/hooks/SERVICE/init` for each `init` and `pre-init` service and
//! `NAME/build/IMAGE/Dockerfile` for each image built.

use crate::common::hook_bindings;

hook_bindings! {
    /// `tutor-config`: keys added (stored once rendered), defaulted and set.
    config in tutor,
    "package paddock:guest-tutor-config; world tutor-config { import paddock:common/logging@0.2.0; export paddock:tutor/config@0.2.0; }"
}

hook_bindings! {
    /// `tutor-patches`: named snippets for `{{ patch("name") }}`.
    patches in tutor,
    "package paddock:guest-tutor-patches; world tutor-patches { import paddock:common/logging@0.2.0; export paddock:tutor/patches@0.2.0; }"
}

hook_bindings! {
    /// `tutor-init`: services to initialise, in order.
    init in tutor,
    "package paddock:guest-tutor-init; world tutor-init { import paddock:common/logging@0.2.0; export paddock:tutor/init@0.2.0; }"
}

hook_bindings! {
    /// `tutor-pre-init`: services to initialise before every `init` one.
    pre_init in tutor,
    "package paddock:guest-tutor-pre-init; world tutor-pre-init { import paddock:common/logging@0.2.0; export paddock:tutor/pre-init@0.2.0; }"
}

hook_bindings! {
    /// `tutor-build-image`: images built, name and tag.
    build_image in tutor,
    "package paddock:guest-tutor-build-image; world tutor-build-image { import paddock:common/logging@0.2.0; export paddock:tutor/build-image@0.2.0; }"
}

hook_bindings! {
    /// `tutor-remote-image`: images pulled and pushed, name and tag.
    remote_image in tutor,
    "package paddock:guest-tutor-remote-image; world tutor-remote-image { import paddock:common/logging@0.2.0; export paddock:tutor/remote-image@0.2.0; }"
}

hook_bindings! {
    /// CLI commands: `tutor-commands` declares them, `tutor-run-command` runs one.
    command in tutor,
    "package paddock:guest-tutor-command; world tutor-command { import paddock:common/logging@0.2.0; export paddock:tutor/command@0.2.0; }"
}
