//! `run --state` against a full run: random lines split into random batches (by date, or
//! anyhow, so that an order's lines and a customer's returns land in several batches), each
//! batch written as CSV or Parquet and folded in turn; after every fold the output must equal
//! a run over the union of the batches so far, row for row. Then the state is scored again
//! without new input at another as_of and window (a backfill), and the last batch is folded
//! again (skipped), against full runs too.

use proptest::prelude::*;
use rfmseg::cmd::run::{run, Outcome, RunOptions};
use rfmseg::config::Overrides;

use crate::property::{csv, effective, in_runs, line, params, parquet, yaml};
use crate::reference::{Line, Params};
use crate::util::*;

/// Run `config` over `inputs` (with `state`: folded into it) at `as_of`: the output read back,
/// or the error's text.
fn output(
    s: &Scratch,
    config: &str,
    inputs: &[std::path::PathBuf],
    state: Option<&std::path::Path>,
    as_of: Option<String>,
    name: &str,
) -> Result<polars::prelude::DataFrame, String> {
    let cfg = s.write(&format!("{name}.yaml"), config);
    let out = s.path(&format!("{name}.parquet"));
    let _ = std::fs::remove_file(&out);
    let overrides = Overrides {
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        output: Some(out.clone()),
        as_of,
    };
    let settings = rfmseg::config::load(&cfg, &overrides).map_err(|e| format!("config: {e}"))?;
    let options = RunOptions {
        state: state.map(|d| d.to_path_buf()),
        ..Default::default()
    };
    match run(&settings, &options).map_err(|e| e.to_string())? {
        Outcome::Done(_) => Ok(read_parquet(&out)),
        Outcome::Explained(_) => Err("explained".into()),
    }
}

/// The same result: equal frames, or both runs refused (the messages may name other files).
fn same(
    state: &Result<polars::prelude::DataFrame, String>,
    full: &Result<polars::prelude::DataFrame, String>,
    what: &str,
    config: &str,
) -> Result<(), TestCaseError> {
    match (state, full) {
        (Ok(a), Ok(b)) => {
            prop_assert!(
                a.equals_missing(b),
                "{what}: the state's output differs from the full run's\nconfig:\n{config}\nstate:\n{a}\nfull:\n{b}"
            );
        }
        (Err(_), Err(_)) => {}
        (a, b) => {
            return Err(TestCaseError::fail(format!(
                "{what}: one run failed\nconfig:\n{config}\nstate: {:?}\nfull: {:?}",
                a.as_ref().map(|d| d.height()),
                b.as_ref().map(|d| d.height())
            )))
        }
    }
    Ok(())
}

/// `lines` cut into batches at `cuts` (shares of the length, in per cent), after a stable
/// sort by date when `by_date`.
fn batches(mut lines: Vec<Line>, cuts: &[usize], by_date: bool) -> Vec<Vec<Line>> {
    if by_date {
        lines.sort_by_key(|l| l.date);
    }
    let n = lines.len();
    let mut at: Vec<usize> = cuts.iter().map(|c| c * n / 100).collect();
    at.sort();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in at.into_iter().chain([n]) {
        out.push(lines[start..cut.max(start)].to_vec());
        start = cut.max(start);
    }
    out
}

fn write_batch(s: &Scratch, k: usize, lines: &[Line], as_parquet: bool) -> std::path::PathBuf {
    if as_parquet {
        let path = s.path(&format!("batches/b{k}.parquet"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        parquet(lines, &path, false, None);
        path
    } else {
        s.write(&format!("batches/b{k}.csv"), &csv(lines))
    }
}

/// The config of `p` with another window (none, or `window` days).
fn with_window(p: &Params, window: Option<u32>) -> String {
    yaml(&Params {
        window,
        ..p.clone()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_fold_gives_the_full_run_over_the_batches_so_far(
        lines in in_runs(prop::collection::vec(line(), 1..70)),
        p in params(),
        cuts in prop::collection::vec(0..100usize, 0..4),
        by_date in any::<bool>(),
        formats in prop::collection::vec(any::<bool>(), 5),
        fresh_orders in any::<bool>(),
        backfill in prop::option::of(3..28u32),
        window in prop::option::of(1..20u32),
    ) {
        let p = effective(&p);
        let config = yaml(&p);
        let s = Scratch::new();
        let dir = s.path("state");
        let mut so_far = Vec::new();
        let mut parts = batches(lines, &cuts, by_date);
        if fresh_orders {
            // Each batch's order ids after every earlier batch's (as nightly exports number
            // them): the customers snapshot is then merged, not made again.
            for (k, part) in parts.iter_mut().enumerate() {
                for line in part.iter_mut() {
                    line.order = format!("b{k}-{}", line.order);
                }
            }
        }
        for (k, part) in parts.iter().enumerate() {
            let file = write_batch(&s, k, part, formats[k % formats.len()]);
            so_far.push(file.clone());
            let folded = output(&s, &config, &[file], Some(&dir), None, "state");
            let full = output(&s, &config, &so_far, None, None, "full");
            same(&folded, &full, &format!("after batch {} of {}", k + 1, parts.len()), &config)?;
        }
        // Scored again from the state alone, at another as_of and window.
        let other = with_window(&p, window);
        let as_of = backfill.map(|d| crate::property::day(d).to_string());
        let folded = output(&s, &other, &[], Some(&dir), as_of.clone(), "state-again");
        let full = output(&s, &other, &so_far, None, as_of, "full-again");
        same(&folded, &full, "scored again at another as_of and window", &other)?;
        // The last batch again, under another name: skipped, the same output.
        let last = so_far.last().unwrap();
        let copy = s.path(&format!("copy-of-last.{}", last.extension().unwrap().to_string_lossy()));
        std::fs::copy(last, &copy).unwrap();
        let folded = output(&s, &config, &[copy], Some(&dir), None, "state-rerun");
        let full = output(&s, &config, &so_far, None, None, "full-rerun");
        same(&folded, &full, "the last batch folded again", &config)?;
    }
}
