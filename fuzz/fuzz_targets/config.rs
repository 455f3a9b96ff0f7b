//! The config loader on arbitrary text: YAML syntax, unknown keys, every check, the `when`
//! conditions. It may refuse the text; it must not panic or hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rfmseg::config::{from_text, Overrides};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // No thresholds_from file is read from the fuzzer's guesses.
    if text.contains("thresholds_from") {
        return;
    }
    let _ = from_text(text.to_string(), Path::new("fuzz.yaml"), &Overrides::default());
});
