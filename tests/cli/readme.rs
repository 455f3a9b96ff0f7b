//! The README's console examples run exactly as written: each block that starts with
//! `$ cargo run -q -- ARGS` is run with the real binary from the repository root, and its
//! output must be the block's text.

use crate::util::*;

#[test]
fn readme_console_examples_print_what_the_readme_shows() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    // The nightly example folds into a state: start it afresh, as a first reader would.
    let _ = std::fs::remove_dir_all(repo("out/nightly-state"));
    let mut checked = 0;
    for block in readme.split("```console\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut lines = block.lines();
        let command = lines.next().unwrap();
        let Some(args) = command.strip_prefix("$ cargo run -q -- ") else {
            continue;
        };
        let expected: Vec<&str> = lines.collect();
        let output = rfmseg().args(args.split_whitespace()).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let got: Vec<&str> = text.lines().map(str::trim_end).collect();
        assert_eq!(
            got, expected,
            "README example `{command}` prints something else"
        );
        checked += 1;
    }
    assert!(checked >= 3, "the README's examples were not found");
}
