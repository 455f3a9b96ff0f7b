//! Faults: a run killed at any moment, a full disk, an unreadable input. The output path
//! holds either the earlier file or a whole new one, never a partial file; leftovers of
//! killed runs are removed by the next run; errors say what happened.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::*;

use crate::util::*;

/// The rfmseg binary's path (for runs that are killed or run under setpriv).
fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("rfmseg")
}

/// Order lines as Parquet: `lines` lines, 3 per order, about `lines / 3` customers (many
/// customers make the output, and so its write, large).
fn write_orders(path: &Path, lines: usize) {
    let customers = (lines / 3).max(1);
    let mut customer = Vec::with_capacity(lines);
    let mut order = Vec::with_capacity(lines);
    let mut date = Vec::with_capacity(lines);
    let mut amount = Vec::with_capacity(lines);
    for i in 0..lines {
        let c = (i * 7919 + i / 5) % customers;
        customer.push(format!("C{c:08}"));
        order.push((i / 3) as i64);
        date.push(19_000 + ((i * 31 + c) % 700) as i32);
        amount.push(((i * 37) % 10_000) as f64 / 100.0 - if i % 50 == 0 { 60.0 } else { 0.0 });
    }
    let mut df = df!(
        "order_id" => order,
        "customer_id" => customer,
        "order_date" => Series::new("order_date".into(), date).cast(&DataType::Date).unwrap(),
        "amount" => amount,
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

fn run_command(config: &Path, input: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(["run", "--quiet", "--config"])
        .arg(config)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// A scratch folder with `lines` order lines (`orders.parquet`), 300 more (`small.parquet`),
/// the test config, and the output path `out/segments.parquet` (folder created).
struct Setup {
    s: Scratch,
    input: PathBuf,
    small: PathBuf,
    cfg: PathBuf,
    dir: PathBuf,
    out: PathBuf,
}

fn setup(lines: usize) -> Setup {
    let s = Scratch::new();
    let input = s.path("orders.parquet");
    write_orders(&input, lines);
    let small = s.path("small.parquet");
    write_orders(&small, 300);
    let cfg = s.write("config.yaml", &config(""));
    let dir = s.path("out");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("segments.parquet");
    Setup {
        s,
        input,
        small,
        cfg,
        dir,
        out,
    }
}

/// A small deterministic generator (xorshift64*), so a failing kill schedule can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Poll until `pred` holds or `child` exits; true when `pred` held first.
fn wait_for(child: &mut std::process::Child, pred: impl Fn() -> bool) -> bool {
    loop {
        if pred() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// What a kill left at the output path.
#[derive(Debug, Default)]
struct Outcomes {
    earlier_kept: u32,
    new_complete: u32,
    temp_left: u32,
    finished_first: u32,
}

#[test]
fn a_run_killed_at_random_moments_leaves_the_earlier_file_or_a_whole_new_one() {
    let Setup {
        s,
        input,
        small,
        cfg,
        dir,
        out,
    } = setup(1_500_000);

    // The earlier file: a valid output of another input.
    assert!(run_command(&cfg, &small, &out).status().unwrap().success());
    let earlier = std::fs::read(&out).unwrap();

    // The new file a whole run writes, and when its temporary file appears and goes.
    let reference = s.path("reference.parquet");
    let started = Instant::now();
    let mut child = run_command(&cfg, &input, &reference).spawn().unwrap();
    assert!(wait_for(&mut child, || !temp_files(s.root()).is_empty()));
    let write_starts = started.elapsed();
    assert!(child.wait().unwrap().success());
    let total = started.elapsed();
    let write_takes = total - write_starts;
    let new_data = read_parquet(&reference);
    let new_rows = new_data.height() as i64;
    assert!(new_rows > 100_000, "{new_rows}");

    // 30 kills: 15 at uniform moments of the whole run, 15 at uniform moments of the write
    // (after the temporary file appears), where a partial file could be made.
    let mut rng = Rng(0x5eed_f00d_cafe_beef);
    let mut seen = Outcomes::default();
    for k in 0..30 {
        std::fs::write(&out, &earlier).unwrap();
        // Leftovers of earlier kills are there until a run reaches its write.
        let before = temp_files(&dir);
        let fresh = || temp_files(&dir).iter().any(|f| !before.contains(f));
        let mut child = run_command(&cfg, &input, &out).spawn().unwrap();
        let t0 = Instant::now();
        if k % 2 == 0 {
            let at = total.mul_f64(rng.unit() * 1.05);
            while t0.elapsed() < at && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_micros(500));
            }
        } else {
            let delay = write_takes.mul_f64(rng.unit());
            if wait_for(&mut child, fresh) {
                std::thread::sleep(delay);
            }
        }
        if child.try_wait().unwrap().is_some() {
            seen.finished_first += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        if fresh() {
            seen.temp_left += 1;
        }
        let now = std::fs::read(&out).unwrap();
        if now == earlier {
            seen.earlier_kept += 1;
            continue;
        }
        // Not the earlier file: it must be a whole new one (footer, schema, rows,
        // provenance by the parquet crate; every value by polars).
        let f = footer(&out).unwrap_or_else(|e| panic!("kill {k}: a partial file: {e}"));
        assert_eq!(f.rows, new_rows, "kill {k}");
        assert_eq!(f.columns, contract_arrow_columns(), "kill {k}");
        assert_eq!(f.key_values["rfmseg.format"], "rfmseg-provenance/1");
        assert!(read_parquet(&out).equals_missing(&new_data), "kill {k}");
        seen.new_complete += 1;
    }
    eprintln!(
        "kill test: run {total:?} (write {write_takes:?}); 30 kills: {} left the earlier file, {} a whole new file; {} left temporary files; {} came after the run finished",
        seen.earlier_kept, seen.new_complete, seen.temp_left, seen.finished_first
    );
    assert_eq!(seen.earlier_kept + seen.new_complete, 30);
    assert!(
        seen.temp_left > 0,
        "no kill interrupted a write, so the test showed nothing: {seen:?}"
    );

    // The next run removes the leftovers and writes the whole file. A later run of the 30 may
    // have removed them already (each run cleans up before it writes): then kill runs as soon
    // as their temporary file appears until one is left.
    for _ in 0..20 {
        if !temp_files(&dir).is_empty() {
            break;
        }
        let mut child = run_command(&cfg, &input, &out).spawn().unwrap();
        wait_for(&mut child, || !temp_files(&dir).is_empty());
        let _ = child.kill();
        child.wait().unwrap();
    }
    assert!(!temp_files(&dir).is_empty());
    assert!(run_command(&cfg, &input, &out).status().unwrap().success());
    assert_eq!(temp_files(&dir), Vec::<String>::new());
    assert!(read_parquet(&out).equals_missing(&new_data));
}

/// The start time of process `pid`, as rfmseg puts it in its temporary names.
fn start_time(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

#[test]
fn leftovers_of_gone_writers_are_removed_and_a_live_writers_file_is_kept() {
    let t = setup(600_000);
    // A live writer (a process that stays up) and a gone one (no process has this PID: it
    // is above the kernel's limit).
    let mut live = Command::new("sleep").arg("60").spawn().unwrap();
    let live_temp = t.dir.join(format!(
        ".segments.parquet.rfmseg-tmp-{}-{}",
        live.id(),
        start_time(live.id())
    ));
    let gone_temp = t.dir.join(".segments.parquet.rfmseg-tmp-4194305-12345");
    for p in [&live_temp, &gone_temp] {
        std::fs::write(p, "partial").unwrap();
    }
    assert!(run_command(&t.cfg, &t.small, &t.out)
        .status()
        .unwrap()
        .success());
    assert!(
        !gone_temp.exists(),
        "the gone writer's leftover was not removed"
    );
    assert!(live_temp.exists(), "the live writer's file was removed");
    live.kill().unwrap();
    live.wait().unwrap();
    assert!(run_command(&t.cfg, &t.small, &t.out)
        .status()
        .unwrap()
        .success());
    assert_eq!(temp_files(&t.dir), Vec::<String>::new());

    // Two real runs on one target: B starts while A writes; both succeed, and the target
    // is a whole file of one of them (the last rename wins).
    let mut a = run_command(&t.cfg, &t.input, &t.out).spawn().unwrap();
    assert!(
        wait_for(&mut a, || !temp_files(&t.dir).is_empty()),
        "run A finished before its write could be caught"
    );
    assert!(run_command(&t.cfg, &t.small, &t.out)
        .status()
        .unwrap()
        .success());
    assert!(a.wait().unwrap().success(), "run B broke run A's write");
    let f = footer(&t.out).unwrap();
    let inputs = &f.key_values["rfmseg.inputs"];
    let rows = read_parquet(&t.out).height() as i64;
    assert_eq!(f.rows, rows);
    assert!(
        inputs.contains("orders.parquet") || inputs.contains("small.parquet"),
        "{inputs}"
    );
    assert_eq!(temp_files(&t.dir), Vec::<String>::new());
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Result<Mount, String> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(Mount(dir.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_partial_file() {
    let s = Scratch::new();
    let input = s.path("orders.parquet");
    write_orders(&input, 60_000);
    let cfg = s.write("config.yaml", &config(""));
    let disk = s.path("disk");
    let mount = match Mount::tmpfs(&disk, "64k") {
        Ok(m) => m,
        Err(why) => {
            skipped(&format!(
                "a_full_disk_is_a_clear_error_and_leaves_no_partial_file: cannot mount a tmpfs here ({why}); run the tests as root on Linux to check a full disk"
            ));
            return;
        }
    };
    let out = disk.join("segments.parquet");
    std::fs::write(&out, b"earlier output").unwrap();
    let output = run_command(&cfg, &input, &out)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "rfmseg: error: output {}: no space left",
            out.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), b"earlier output");
    let mut left: Vec<_> = std::fs::read_dir(&disk)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["segments.parquet"], "a partial file was left");
    drop(mount);
}

#[test]
fn an_unreadable_input_is_a_clear_error_and_leaves_no_file() {
    let s = Scratch::new();
    let cfg = s.write("config.yaml", &config(""));
    let csv = s.path("orders.csv");
    std::fs::copy(repo("tests/fixtures/small/orders.csv"), &csv).unwrap();
    let parquet = s.path("orders.parquet");
    write_orders(&parquet, 300);
    let out = s.path("segments.parquet");
    std::fs::write(&out, b"earlier output").unwrap();
    for input in [&csv, &parquet] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(input, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads any file: run it without the capabilities that allow that.
        let mut cmd = if is_root() {
            if Command::new("setpriv").arg("--version").output().is_err() {
                skipped("an_unreadable_input_is_a_clear_error_and_leaves_no_file: running as root without setpriv, so no file is unreadable");
                return;
            }
            let mut c = Command::new("setpriv");
            c.args(["--bounding-set", "-dac_override,-dac_read_search", "--"])
                .arg(binary());
            c
        } else {
            Command::new(binary())
        };
        let output = cmd
            .args(["run", "--config"])
            .arg(&cfg)
            .arg("--input")
            .arg(input)
            .arg("--output")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("rfmseg: error: input {}: ", input.display()))
                && stderr.contains("ermission denied"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(std::fs::read(&out).unwrap(), b"earlier output");
        assert_eq!(
            s.files(),
            [
                "config.yaml",
                "orders.csv",
                "orders.parquet",
                "segments.parquet"
            ]
        );
        std::fs::set_permissions(input, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}
