//! Exports the Paddock hooks but also imports interfaces the host does not
//! provide: two from unknown packages and outgoing HTTP. The host must refuse
//! it at load and name all three.

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

/// Outgoing HTTP as WASI 0.3 names it. Only the name matters to the host's
/// check, so this stands in for the real types without vendoring their WIT;
/// a 0.2 name would be merged with the 0.2 WIT that Rust's std links.
mod http {
    wit_bindgen::generate!({
        inline: "package wasi:http@0.3.0; interface handler { handle: func(url: string) -> string; } world imports { import handler; }",
        world: "imports",
    });
}

struct Foreign;

impl Plugin for Foreign {
    fn deploy(ctx: &HookContext) -> HookResult<ActionReport> {
        unknown::example::unknown::telemetry::send(&ctx.plugin_id);
        http::wasi::http::handler::handle("http://metadata.internal/");
        Ok(ActionReport::new(vault::acme::secrets::vault::read("db-password")))
    }
}

export_plugin!(Foreign);
