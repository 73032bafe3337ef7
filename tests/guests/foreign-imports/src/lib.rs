//! Exports the Paddock hooks but also imports two interfaces from packages
//! the host does not know: the host must refuse it at load and name both.

use paddock_guest::{ActionReport, HookContext, HookResult, Plugin, export_plugin};

mod unknown {
    wit_bindgen::generate!({
        inline: "package example:unknown@1.0.0; interface telemetry { send: func(data: string); } world imports { import telemetry; }",
        world: "imports",
    });
}

mod vault {
    wit_bindgen::generate!({
        inline: "package acme:secrets@2.1.0; interface vault { read: func(key: string) -> string; } world imports { import vault; }",
        world: "imports",
    });
}

struct Foreign;

impl Plugin for Foreign {
    fn deploy(ctx: &HookContext) -> HookResult<ActionReport> {
        unknown::example::unknown::telemetry::send(&ctx.plugin_id);
        Ok(ActionReport::new(vault::acme::secrets::vault::read("db-password")))
    }
}

export_plugin!(Foreign);
