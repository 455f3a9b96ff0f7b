//! Progress of long runs, and the two engines: the display shows only after
//! `RFMSEG_PROGRESS_AFTER` seconds (2 by default), so these tests set it to 0.

use predicates::prelude::*;

use crate::util::*;

fn sample_run(s: &Scratch) -> assert_cmd::Command {
    let mut cmd = rfmseg();
    cmd.args(["run", "--config", "config/rfm.yaml", "--output"])
        .arg(s.path("o.parquet"));
    cmd
}

#[test]
fn a_quick_run_shows_no_progress() {
    let s = Scratch::new();
    sample_run(&s)
        .assert()
        .success()
        .stderr(predicate::str::starts_with("read 4,553 lines"))
        .stderr(predicate::str::contains("rfmseg: [").not());
}

#[test]
fn without_a_terminal_progress_is_plain_log_lines_before_the_summary() {
    let s = Scratch::new();
    let out = sample_run(&s)
        .env("RFMSEG_PROGRESS_AFTER", "0")
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("rfmseg: [") && first.contains(" lines read"),
        "{text}"
    );
    let summary = text.find("read 4,553 lines").expect("summary printed");
    let last_progress = text.rfind("rfmseg: [").unwrap();
    assert!(
        last_progress < summary,
        "progress stops before the summary:\n{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no terminal codes in a log:\n{text}"
    );
}

#[test]
fn quiet_shows_no_progress() {
    let s = Scratch::new();
    sample_run(&s)
        .arg("--quiet")
        .env("RFMSEG_PROGRESS_AFTER", "0")
        .assert()
        .success()
        .stderr("");
}

#[test]
fn on_a_terminal_progress_is_one_live_line_cleared_before_the_summary() {
    // `script` (util-linux) runs the binary on a pseudo-terminal.
    let s = Scratch::new();
    let bin = assert_cmd::cargo::cargo_bin("rfmseg");
    let command = format!(
        "{} run --config config/rfm.yaml --output {}",
        bin.display(),
        s.path("o.parquet").display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(repo(""))
        .env("RFMSEG_PROGRESS_AFTER", "0")
        .output()
        .expect("`script` (util-linux) runs a command on a terminal");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let live = text.find("[00:00:00] ").expect(&text);
    assert!(text[live..].contains("lines read"), "{text}");
    let cleared = text.rfind("\u{1b}[2K").expect("the live line is cleared");
    let summary = text.find("read 4,553 lines").expect("summary printed");
    assert!(live < cleared && cleared < summary, "{text}");
    assert!(
        !text.contains("rfmseg: ["),
        "no log lines on a terminal:\n{text}"
    );
}

#[test]
fn engines_and_partitions_write_the_same_file() {
    let s = Scratch::new();
    let grouped = s.write(
        "grouped.yaml",
        &std::fs::read_to_string(repo("config/rfm.yaml"))
            .unwrap()
            .replace("# group_by: [region]", "group_by: [region]")
            .replace("method: rank", "method: quantile"),
    );
    for config in [
        repo("config/rfm.yaml"),
        repo("config/loyalty.yaml"),
        grouped,
    ] {
        let variants: [&[&str]; 3] = [
            &["--engine", "streaming"],
            &["--engine", "in-memory"],
            &["--partitions", "3"],
        ];
        let files = variants.map(|flags| {
            let out = s.path(&format!("{}.parquet", flags.join("")));
            rfmseg()
                .args(["run", "--quiet", "--config"])
                .arg(&config)
                .args(flags)
                .arg("--output")
                .arg(&out)
                .assert()
                .success();
            read_parquet(&out)
        });
        assert!(files[0].height() > 100);
        for (flags, file) in variants.iter().zip(&files).skip(1) {
            assert!(
                files[0].equals_missing(file),
                "{} with {flags:?} differs",
                config.display()
            );
        }
    }
}
