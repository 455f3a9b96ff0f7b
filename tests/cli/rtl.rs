//! Right-to-left segment names: terminal tables sized by display width with each name
//! isolated for the bidirectional algorithm, and the HTML report set right to left in a real
//! browser with its chart labels inside their charts.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::util::*;

const ISOLATE: char = '\u{2068}';
const POP: char = '\u{2069}';

#[test]
fn terminal_tables_align_names_by_display_width_and_isolate_right_to_left_ones() {
    // A Persian name, one with the zero-width non-joiner Persian writes inside words, one with
    // a combining accent, and a plain one: their characters, bytes and columns all differ.
    let s = Scratch::new();
    let cfg = s.write(
        "c.yaml",
        "input:\n  columns: {customer_id: customer_id, order_date: order_date, amount: amount, order_id: order_id}\nsegments:\n  default: Lost\n  rules:\n    - {name: قهرمانان, r: [4, 5], f: [4, 5]}\n    - {name: \"می\u{200c}خرند\", r: [4, 5]}\n    - {name: \"Cafe\u{301}\", f: [3, 5]}\n",
    );
    let out = s.path("out.parquet");
    let run = rfmseg()
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--input", "data-samples/orders.csv", "--output"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    let rows: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("segment "))
        .skip(1)
        .take(4)
        .collect();
    assert_eq!(rows.len(), 4, "{stderr}");
    // The customers column ends at the same display column on every row.
    let ends: Vec<usize> = rows
        .iter()
        .map(|row| {
            let upto = row.find('%').expect("a share") - 5;
            row[..upto].width()
        })
        .collect();
    assert!(ends.iter().all(|&e| e == ends[0]), "{ends:?}:\n{stderr}");
    let persian: Vec<&&str> = rows.iter().filter(|r| r.contains("قهرمانان")).collect();
    assert_eq!(persian.len(), 1);
    assert!(persian[0].contains(&format!("{ISOLATE}قهرمانان{POP}")));
    assert!(rows
        .iter()
        .any(|r| r.contains(&format!("{ISOLATE}می\u{200c}خرند{POP}"))));
    let latin: Vec<&&str> = rows.iter().filter(|r| r.contains("Cafe")).collect();
    assert!(
        !latin[0].contains(ISOLATE),
        "only right-to-left names are isolated"
    );

    // check's grid and the report's table, the same way.
    let check = rfmseg()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8(check.stdout).unwrap();
    let grid: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("r=") && !l.contains(':'))
        .collect();
    assert_eq!(grid.len(), 5, "{text}");
    assert!(grid.iter().all(|l| l.width() == grid[0].width()), "{text}");
    let report = rfmseg()
        .args(["report", "--segments"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8(report.stdout).unwrap();
    let table: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["قهرمانان", "خرند", "Cafe", "Lost"]
                .iter()
                .any(|n| l.contains(n))
        })
        .filter(|l| l.contains('%'))
        .collect();
    assert!(table.len() >= 4, "{text}");
    let first_number = |l: &str| {
        let stripped: String = l.chars().filter(|&c| c != ISOLATE && c != POP).collect();
        let at = stripped.find(|c: char| c.is_ascii_digit()).unwrap();
        stripped[..at].width()
    };
    assert!(
        table
            .iter()
            .all(|l| first_number(l) == first_number(table[0])),
        "{text}"
    );
}

/// Run `config` by region in June and in March on the sample and write the report with
/// movement as HTML, with a probe script added that records, after the page has laid out,
/// each element holding right-to-left text: HTML elements with their computed direction,
/// SVG text with its box and its chart's width.
fn probed_report(s: &Scratch, config: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo(config))
        .unwrap()
        .replace("# group_by: [store_id]", "group_by: [region]")
        .replace("# group_by: [region]", "group_by: [region]");
    let cfg = s.write("config.yaml", &text);
    let (june, march) = (s.path("june.parquet"), s.path("march.parquet"));
    for (out, as_of) in [(&june, "2024-06-30"), (&march, "2024-03-31")] {
        rfmseg()
            .args(["run", "--quiet", "--config"])
            .arg(&cfg)
            .args(["--as-of", as_of, "--output"])
            .arg(out)
            .assert()
            .success();
    }
    let page = s.path("report.html");
    rfmseg()
        .args(["report", "--segments"])
        .arg(&june)
        .arg("--previous")
        .arg(&march)
        .arg("--config")
        .arg(&cfg)
        .arg("--html")
        .arg(&page)
        .assert()
        .success();
    let probe = r#"<script>
window.addEventListener('load', () => {
  const out = {html: [], svg: []};
  document.querySelectorAll('[dir=auto], bdi').forEach(e => {
    out.html.push({text: e.textContent.trim(), direction: getComputedStyle(e).direction});
  });
  document.querySelectorAll('svg text').forEach(t => {
    const b = t.getBBox();
    out.svg.push({text: t.textContent.trim(), x: b.x, width: b.width, chart: t.ownerSVGElement.viewBox.baseVal.width});
  });
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body>"#;
    let html = std::fs::read_to_string(&page)
        .unwrap()
        .replace("</body>", probe);
    s.write("probed.html", &html)
}

/// The probe's record of `page`, from the DOM headless chromium dumps once it has loaded.
fn probe(chromium: &Path, s: &Scratch, page: &Path) -> Value {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", s.path("profile").display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed on {}",
        page.display()
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

fn right_to_left(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[test]
fn the_persian_scheme_renders_right_to_left_in_a_headless_browser() {
    let s = Scratch::new();
    let persian = probed_report(&s, "config/fa-rfm.yaml");
    let Some(chromium) = external(
        "the_persian_scheme_renders_right_to_left_in_a_headless_browser",
        External::Chromium,
    ) else {
        return;
    };
    let seen = probe(&chromium, &s, &persian);
    // Every name, description and group label is laid out right to left...
    let html = seen["html"].as_array().unwrap();
    let persian_elements: Vec<&Value> = html
        .iter()
        .filter(|e| right_to_left(e["text"].as_str().unwrap()))
        .collect();
    assert!(persian_elements.len() >= 22, "{html:?}");
    for e in &persian_elements {
        assert_eq!(e["direction"], "rtl", "{e}");
    }
    // ...and every chart label with Persian text is drawn, inside its chart.
    let labels: Vec<&Value> = seen["svg"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| right_to_left(t["text"].as_str().unwrap()))
        .collect();
    assert!(
        labels.len() >= 33,
        "segment names in the charts: {labels:?}"
    );
    for t in labels {
        let (x, w, chart) = (
            t["x"].as_f64().unwrap(),
            t["width"].as_f64().unwrap(),
            t["chart"].as_f64().unwrap(),
        );
        let chars = t["text"].as_str().unwrap().chars().count() as f64;
        assert!(w > 3.0 * chars, "a label drawn too narrow to read: {t}");
        assert!(x >= 0.0 && x + w <= chart, "a label outside its chart: {t}");
    }

    // The same probe on the English scheme: left to right, so the check above can fail.
    let s = Scratch::new();
    let english = probed_report(&s, "config/rfm.yaml");
    let seen = probe(&chromium, &s, &english);
    let html = seen["html"].as_array().unwrap();
    assert!(html.len() >= 22);
    assert!(html.iter().all(|e| e["direction"] == "ltr"), "{html:?}");
}
