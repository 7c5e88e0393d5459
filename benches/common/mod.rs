//! What the benchmarks share: reading criterion's medians back and printing
//! them with their ratios.

fn median_ns(group: &str, id: &str) -> Option<f64> {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
    let path = format!("{target}/criterion/{group}/{id}/new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// Prints the medians of one group and the ratios `(a, b, target)`.
pub fn report_group(group: &str, ids: &[&str], ratios: &[(usize, usize, &str)]) {
    let medians: Vec<Option<f64>> = ids.iter().map(|id| median_ns(group, id)).collect();
    println!("\nmedians ({group}):");
    for (id, m) in ids.iter().zip(&medians) {
        match m {
            Some(ns) => println!("  {id:<26} {ns:8.3} ns"),
            None => println!("  {id:<26} (not run)"),
        }
    }
    println!("ratios:");
    for &(a, b, target) in ratios {
        if let (Some(x), Some(y)) = (medians[a], medians[b]) {
            println!(
                "  {:<26} / {:<24} = {:5.2}   (target {target})",
                ids[a],
                ids[b],
                x / y
            );
        }
    }
}

/// The instruction-count mode of a bench binary: `ARN_COUNT` names what to
/// run and `ARN_COUNT_N` how many times (default 100 000), for the
/// callgrind drivers.
#[allow(dead_code)] // used by the benches with a callgrind driver
pub fn count_mode() -> Option<(String, u64)> {
    let mode = std::env::var("ARN_COUNT").ok()?;
    let n = std::env::var("ARN_COUNT_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    Some((mode, n))
}
