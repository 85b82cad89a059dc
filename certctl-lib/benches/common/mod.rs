//! Latency statistics shared by the library's bench binaries.

use std::time::Duration;

/// The `p` quantile (0..=1) of sorted samples.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints n, mean, p50, p99 and max of `samples` under `name`.
#[allow(dead_code)] // not every bench prints this way
pub fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<52} n={:<6} mean={:>9.3?} p50={:>9.3?} p99={:>9.3?} max={:>9.3?}",
        samples.len(),
        mean,
        pct(&samples, 0.5),
        pct(&samples, 0.99),
        samples[samples.len() - 1]
    );
}
