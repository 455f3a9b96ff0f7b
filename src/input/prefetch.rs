//! How far ahead polars' Parquet scan reads, from the threads that decode what it reads.

/// polars' setting for how many Parquet row groups its scan fetches ahead of the ones it
/// decodes.
const PREFETCH: &str = "POLARS_ROW_GROUP_PREFETCH_SIZE";

/// Fetch as many Parquet row groups ahead as there are threads to decode them (at least 2,
/// at most polars' own default of 16): more are only held in memory (docs/performance.md).
/// Call before any polars thread starts; the environment still overrides it.
pub fn set_parquet_prefetch() {
    if std::env::var_os(PREFETCH).is_some() {
        return;
    }
    std::env::set_var(PREFETCH, polars_threads().clamp(2, 16).to_string());
}

/// The threads polars runs on: `POLARS_MAX_THREADS`, or the cores (16 where neither can be
/// read).
pub fn polars_threads() -> usize {
    std::env::var("POLARS_MAX_THREADS")
        .ok()
        .and_then(|t| t.trim().parse::<usize>().ok())
        .filter(|&t| t > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(16)
}
