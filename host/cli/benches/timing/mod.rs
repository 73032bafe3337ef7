//! Fixed-count timing loops and the report's number formats, shared by the
//! benches that report medians, p99s and ratios (`hooks`, `providers`).

use std::time::{Duration, Instant};

/// The median and p99 of one timed loop.
pub struct Stats {
    pub median: Duration,
    pub p99: Duration,
}

/// Times `f` `iterations` times after a short warm-up.
pub fn measure(iterations: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..iterations.div_ceil(10) {
        f();
    }
    let samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    stats_of(samples)
}

/// Times `baseline` and `subject` in alternation, `iterations` each, so
/// that drift on a shared machine hits both alike.
pub fn measure_alternating(iterations: usize, mut baseline: impl FnMut(), mut subject: impl FnMut()) -> (Stats, Stats) {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    for _ in 0..iterations.div_ceil(10) {
        baseline();
        subject();
    }
    let (mut baseline_samples, mut subject_samples) = (Vec::new(), Vec::new());
    for _ in 0..iterations {
        baseline_samples.push(time(&mut baseline));
        subject_samples.push(time(&mut subject));
    }
    (stats_of(baseline_samples), stats_of(subject_samples))
}

fn stats_of(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    Stats { median: samples[samples.len() / 2], p99: samples[(samples.len() * 99 / 100).min(samples.len() - 1)] }
}

/// A duration in the unit that keeps it readable.
pub fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

/// `a / b`, as `2.5x`; below 1 with more digits (`0.04x`, `0.002x`), so
/// a small ratio does not read as nothing.
pub fn ratio(a: Duration, b: Duration) -> String {
    let ratio = a.as_secs_f64() / b.as_secs_f64();
    let digits = if ratio >= 1.0 {
        1
    } else if ratio >= 0.01 {
        2
    } else {
        3
    };
    format!("{ratio:.digits$}x")
}
