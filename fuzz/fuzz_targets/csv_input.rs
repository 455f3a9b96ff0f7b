//! A whole run on arbitrary CSV bytes with a fixed config (order_id mapped, rank scoring, a
//! `when` rule), without and with `input.rejects_path`: the run may refuse the file, it must
//! not panic or hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rfmseg::config::{from_text, Overrides};
use rfmseg::cmd::run::{run, RunOptions};

const CONFIG: &str = "
input:
  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}
segments:
  rules:
    - {name: Champions, r: [4, 5], f: [4, 5], m: [4, 5]}
    - {name: Big, when: \"monetary > 100\"}
";

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temp dir");
    let input = dir.path().join("lines.csv");
    std::fs::write(&input, data).expect("writable temp dir");
    for rejects in [false, true] {
        let mut config = CONFIG.to_string();
        if rejects {
            let path = dir.path().join("rejects.csv");
            config = config.replace(
                "input:\n",
                &format!("input:\n  rejects_path: {:?}\n", path.display().to_string()),
            );
        }
        let overrides = Overrides {
            inputs: vec![input.display().to_string()],
            output: Some(dir.path().join("out.parquet")),
            as_of: None,
        };
        let settings = from_text(config, Path::new("fuzz.yaml"), &overrides)
            .expect("the fixed config is valid");
        let _ = run(&settings, &RunOptions::default());
    }
});
