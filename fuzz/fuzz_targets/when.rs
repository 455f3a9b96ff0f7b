//! The `when:` condition parser on arbitrary text, with the columns a rule may name.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let allowed: Vec<String> = [
        "r",
        "f",
        "m",
        "recency_days",
        "frequency",
        "monetary",
        "rfm_score",
        "region",
    ]
    .map(String::from)
    .to_vec();
    let _ = rfmseg::settings::when::parse(text, &allowed).map(|w| w.to_polars());
});
