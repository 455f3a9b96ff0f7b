//! `rfmseg check`: the rules on the grid (worked out by hand), the bundled schemes, the data side.

use predicates::prelude::*;

use crate::util::*;

fn check(config: &str, extra: &[&str]) -> (i32, String) {
    let out = rfmseg()
        .args(["check", "--config", config])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn bundled_schemes_are_complete_and_pass_strict() {
    for config in [
        "config/rfm.yaml",
        "config/rf-grid.yaml",
        "config/loyalty.yaml",
    ] {
        let (code, text) = check(config, &["--strict"]);
        assert_eq!(code, 0, "{config}:\n{text}");
        assert!(text.contains(": no cell falls to it"), "{config}:\n{text}");
        assert!(
            text.contains("unreachable rules: none"),
            "{config}:\n{text}"
        );
        assert!(text.contains("ok: nothing to fix"), "{config}:\n{text}");
    }
}

#[test]
fn every_config_in_the_config_folder_passes_strict() {
    // config/ holds the schemes a user should pick; a table broken on purpose lives in
    // tests/fixtures.
    let mut configs: Vec<String> = std::fs::read_dir(repo("config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .map(|p| format!("config/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    configs.sort();
    assert!(
        configs.iter().any(|c| c == "config/rfm.yaml"),
        "{configs:?}"
    );
    for config in &configs {
        let (code, text) = check(config, &["--strict"]);
        assert_eq!(code, 0, "{config} fails check --strict:\n{text}");
    }
}

#[test]
fn the_r_rfm_box_table_leaves_36_cells_and_3_rules_out() {
    // Worked by hand, first match wins: New Customers (411, 511) and Promising (311, 411) lie
    // inside Potential Loyalist; Can't Lose Them (144, 145, 154, 155) inside At Risk.
    let (code, text) = check("tests/fixtures/r-rfm-vignette.yaml", &[]);
    assert_eq!(code, 0, "without --strict findings do not fail:\n{text}");
    assert!(
        text.contains(
            "default (Others): 36 of 125 cells match no rule: 113 114 115 131 141 151 213"
        ),
        "{text}"
    );
    assert!(text.contains("unreachable: New Customers never matches: earlier rules take all its cells: Potential Loyalist (2 cells)"), "{text}");
    assert!(text.contains("unreachable: Promising never matches: earlier rules take all its cells: Potential Loyalist (2 cells)"), "{text}");
    assert!(text.contains("unreachable: Can't Lose Them never matches: earlier rules take all its cells: At Risk (4 cells)"), "{text}");
    assert!(text.contains("overlap: Champions and Loyal Customers both claim 8 cells (444 445 454 455 544 545 554 555)"), "{text}");
    let (code, text) = check("tests/fixtures/r-rfm-vignette.yaml", &["--strict"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("check --strict failed: 36 cells can fall to the default segment; rule New Customers is unreachable"), "{text}");
}

#[test]
fn rf_grid_is_the_tutorial_seg_map_cell_by_cell() {
    // The tutorial's regexes over the "RF" string, applied in its order.
    let seg_map: [(&str, &str); 10] = [
        ("[1-2][1-2]", "Hibernating"),
        ("[1-2][3-4]", "At Risk"),
        ("[1-2]5", "Can't Lose Them"),
        ("3[1-2]", "About To Sleep"),
        ("33", "Need Attention"),
        ("[3-4][4-5]", "Loyal Customers"),
        ("41", "Promising"),
        ("51", "New Customers"),
        ("[4-5][2-3]", "Potential Loyalists"),
        ("5[4-5]", "Champions"),
    ];
    let matches = |pattern: &str, rf: &str| {
        let mut p = pattern.chars().peekable();
        let mut s = rf.chars();
        while let Some(c) = p.next() {
            let ch = s.next().unwrap();
            if c == '[' {
                let lo = p.next().unwrap();
                p.next();
                let hi = p.next().unwrap();
                p.next();
                if ch < lo || ch > hi {
                    return false;
                }
            } else if c != ch {
                return false;
            }
        }
        true
    };
    let (_, text) = check("config/rf-grid.yaml", &[]);
    let settings = rfmseg::config::load(&repo("config/rf-grid.yaml"), &Default::default()).unwrap();
    let grid = rfmseg::segment::grid::analyse(&settings.segments, &settings.scoring).unwrap();
    for cell in &grid.cells {
        let rf = format!("{}{}", cell.scores[0], cell.scores[1]);
        let expected: Vec<&str> = seg_map
            .iter()
            .filter(|(p, _)| matches(p, &rf))
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(expected.len(), 1, "{rf} is in exactly one region");
        let rfmseg::segment::grid::Winner::Rule(i) = cell.winner else {
            panic!("{rf} has no segment:\n{text}")
        };
        assert_eq!(grid.names[i], expected[0], "cell {}", cell.text);
    }
}

#[test]
fn r_rfm_config_is_the_r_readme_table_cell_by_cell() {
    // R's rfm 0.3.0 README and vignette, as written there: rfm_segment() gives each customer
    // the first segment whose three [lower, upper] ranges hold its scores (it skips customers
    // that already have one), "Others" when none does.
    let names = [
        "Champions",
        "Potential Loyalist",
        "Loyal Customers",
        "Promising",
        "New Customers",
        "Can't Lose Them",
        "At Risk",
        "Need Attention",
        "About To Sleep",
        "Lost",
    ];
    let recency_lower = [5, 3, 2, 3, 4, 1, 1, 1, 2, 1];
    let recency_upper = [5, 5, 4, 4, 5, 2, 2, 3, 3, 1];
    let frequency_lower = [5, 3, 2, 1, 1, 3, 2, 3, 1, 1];
    let frequency_upper = [5, 5, 4, 3, 3, 4, 5, 5, 3, 5];
    let monetary_lower = [5, 2, 2, 3, 1, 4, 4, 3, 1, 1];
    let monetary_upper = [5, 5, 4, 5, 5, 5, 5, 5, 4, 5];
    let r_segment = |[r, f, m]: [u32; 3]| -> &str {
        (0..names.len())
            .find(|&i| {
                (recency_lower[i]..=recency_upper[i]).contains(&r)
                    && (frequency_lower[i]..=frequency_upper[i]).contains(&f)
                    && (monetary_lower[i]..=monetary_upper[i]).contains(&m)
            })
            .map_or("Others", |i| names[i])
    };
    let settings = rfmseg::config::load(&repo("config/r-rfm.yaml"), &Default::default()).unwrap();
    for ms in [
        &settings.scoring.recency,
        &settings.scoring.frequency,
        &settings.scoring.monetary,
    ] {
        assert_eq!(ms.method, rfmseg::settings::Method::RRfm);
        assert_eq!(ms.bins, 5);
    }
    assert_eq!(
        settings.analysis.frequency,
        rfmseg::settings::Frequency::Lines
    );
    assert_eq!(
        settings.analysis.monetary,
        rfmseg::settings::Monetary::Total
    );
    let grid = rfmseg::segment::grid::analyse(&settings.segments, &settings.scoring).unwrap();
    assert_eq!(grid.cells.len(), 125);
    let mut others = 0;
    for cell in &grid.cells {
        let rfmseg::segment::grid::Winner::Rule(i) = cell.winner else {
            panic!("{} falls to the default", cell.text)
        };
        let expected = r_segment(cell.scores);
        others += usize::from(expected == "Others");
        assert_eq!(grid.names[i], expected, "cell {}", cell.text);
    }
    assert_eq!(others, 10);
    assert_eq!(settings.segments.default, "Others");
}

#[test]
fn check_input_reports_r_rfm_edges_and_its_empty_levels() {
    // Frequencies 1, 2, 3, 3, 4, 5, 6, 8 (that many lines of 10.00 each), all bought on
    // as_of: quantiles 2.4, 3, 4.2, 5.6, R's edges 3.4, 4, 5.2, 6.6: f = 1 1 1 1 3 3 4 5, so
    // frequency score 2 is empty. Monetary 10 times that: quantiles 24, 30, 42, 56, edges
    // 25, 31, 43, 57 (56.00000000000001 + 1, shown 57.00): 1 added to currency units moves
    // little, m = 1 1 2 2 3 4 5 5, no level empty. Every recency is 0, below the edge 0 + 1:
    // every r is 5.
    let s = Scratch::new();
    let mut lines = String::from("customer_id,order_date,amount\n");
    for (c, f) in [1, 2, 3, 3, 4, 5, 6, 8].iter().enumerate() {
        for _ in 0..*f {
            lines += &format!("C{c},2024-06-30,10.00\n");
        }
    }
    let input = s.write("lines.csv", &lines);
    let cfg = s.write(
        "c.yaml",
        "scoring: {method: r-rfm}\nsegments: {default: Rest, rules: [{name: Top, f: [4, 5]}]}\n",
    );
    let (code, text) = check(cfg.to_str().unwrap(), &["--input", input.to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "an empty level does not fail without --strict:\n{text}"
    );
    for line in [
        "data: 8 customers scored",
        "recency (r-rfm, days, value >= edge): 1, 1, 1, 1",
        "frequency (r-rfm, value >= edge): 3.40, 4, 5.20, 6.60",
        "monetary (r-rfm, value >= edge): 25, 31, 43, 57.00",
        "frequency score 2 is empty: 25% of customers have frequency 3",
        "recency score 1 is empty",
        "recency score 4 is empty",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains("monetary score"), "{text}");
    let (code, text) = check(
        cfg.to_str().unwrap(),
        &["--strict", "--input", input.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("frequency score 2 is empty"), "{text}");
}

#[test]
fn hand_made_table_on_a_two_level_grid() {
    let s = Scratch::new();
    let cfg = s.write(
        "c.yaml",
        r#"scoring: {bins: 2}
segments:
  default: Rest
  rules:
    - {name: A, r: 2}
    - {name: B, r: 2, f: 2}
    - {name: C, cells: ["111"]}
    - {name: D, when: "rfm_score >= 5"}
    - {name: E, when: "monetary > 100"}
"#,
    );
    // Cells rfm: A takes every r=2 cell (211 212 221 222), so B (221 222) is unreachable.
    // C takes 111. D (score >= 5: 122 212 221 222) keeps 122. E depends on data: it may take
    // 112 and 121, which fall to the default otherwise.
    let (code, text) = check(cfg.to_str().unwrap(), &["--strict"]);
    assert_eq!(code, 1, "{text}");
    for line in [
        "5 rules on the 2 x 2 x 2 score grid (8 cells)",
        "default (Rest): no cell falls to it",
        "default (Rest) unless a data-dependent rule matches: 2 cells: 112 121",
        "unreachable: B never matches: earlier rules take all its cells: A (2 cells)",
        "overlap: A and D both claim 1 cell (212); A wins (it comes first)",
        "overlap: A, B and D all claim 2 cells (221 222); A wins (it comes first)",
        "data-dependent: E's `when` uses metric or group columns",
        "legend (cells won): A A (4), B B (0), C C (1), D D (1), E E (0), - Rest (0)",
        "check --strict failed: 2 cells can fall to the default segment; rule B is unreachable",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

#[test]
fn data_side_reports_empty_levels_and_segment_sizes() {
    let (code, text) = check("config/rfm.yaml", &["--input", "data-samples/orders.csv"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("data: 780 customers scored"), "{text}");
    assert!(
        text.contains("frequency score 2 is empty: 50% of customers have frequency 1"),
        "{text}"
    );
    assert!(text.contains("Champions"), "{text}");
    // check writes nothing, not even the config's output.path.
    let s = Scratch::new();
    let text = std::fs::read_to_string(repo("config/rfm.yaml")).unwrap();
    let out = s.path("never.parquet");
    let cfg = s.write(
        "c.yaml",
        &text.replace("out/segments.parquet", out.to_str().unwrap()),
    );
    let (code, _) = check(
        cfg.to_str().unwrap(),
        &["--input", "data-samples/orders.csv"],
    );
    assert_eq!(code, 0);
    assert_eq!(s.files(), ["c.yaml"]);
    let (code, text) = check(
        "config/rfm.yaml",
        &["--strict", "--input", "data-samples/orders.csv"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("frequency score 2 is empty"), "{text}");
    assert!(text.contains("recency (rank, days): "), "{text}");
}

#[test]
fn check_refuses_an_invalid_config() {
    rfmseg()
        .args(["check", "--config", "tests/fixtures/bad/config.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("3 problems in config"));
}

#[test]
fn putler_table_as_published_names_every_cell_like_the_default_config() {
    let (code, text) = check("config/putler.yaml", &["--strict"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("overlap: About To Sleep and Hibernating both claim 3 cells (231 241 251); About To Sleep wins"), "{text}");
    let names = |path: &str| {
        let settings = rfmseg::config::load(&repo(path), &Default::default()).unwrap();
        let grid = rfmseg::segment::grid::analyse(&settings.segments, &settings.scoring).unwrap();
        grid.cells
            .iter()
            .map(|c| match c.winner {
                rfmseg::segment::grid::Winner::Rule(i) => grid.names[i].clone(),
                _ => "none".to_string(),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(names("config/putler.yaml"), names("config/rfm.yaml"));
}

#[test]
fn the_persian_scheme_gives_every_cell_the_segment_of_the_default_config() {
    let winners = |path: &str| {
        let settings = rfmseg::config::load(&repo(path), &Default::default()).unwrap();
        let grid = rfmseg::segment::grid::analyse(&settings.segments, &settings.scoring).unwrap();
        let rules: Vec<usize> = grid
            .cells
            .iter()
            .map(|c| match c.winner {
                rfmseg::segment::grid::Winner::Rule(i) => i,
                _ => usize::MAX,
            })
            .collect();
        (rules, settings.segments.rules.len())
    };
    // The same rule (by position) wins every cell; the Persian rules are all named in Persian.
    assert_eq!(winners("config/fa-rfm.yaml"), winners("config/rfm.yaml"));
    let settings = rfmseg::config::load(&repo("config/fa-rfm.yaml"), &Default::default()).unwrap();
    assert!(settings.segments.rules.iter().all(|r| r
        .name
        .chars()
        .all(|c| c == ' ' || ('\u{0600}'..='\u{06FF}').contains(&c))
        && r.description
            .as_deref()
            .is_some_and(|d| d.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)))));
}

#[test]
fn overlaps_name_every_claimant_and_the_real_winner() {
    // Worked by hand on the 2 x 2 x 2 grid: each cell is claimed by the rules whose score is 2
    // (A: r, B: f, C: m) or, for D, r = 1; the first claimant wins.
    let s = Scratch::new();
    let cfg = s.write(
        "c.yaml",
        "scoring: {bins: 2}\nsegments: {rules: [{name: A, r: 2}, {name: B, f: 2}, {name: C, m: 2}, {name: D, r: 1}]}\n",
    );
    let (code, text) = check(cfg.to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{text}");
    let overlaps: Vec<&str> = text.lines().filter(|l| l.contains("overlap:")).collect();
    assert_eq!(
        overlaps,
        [
            "  overlap: C and D both claim 1 cell (112); C wins (it comes first)",
            "  overlap: B and D both claim 1 cell (121); B wins (it comes first)",
            "  overlap: B, C and D all claim 1 cell (122); B wins (it comes first)",
            "  overlap: A and C both claim 1 cell (212); A wins (it comes first)",
            "  overlap: A and B both claim 1 cell (221); A wins (it comes first)",
            "  overlap: A, B and C all claim 1 cell (222); A wins (it comes first)",
        ]
    );
}

#[test]
fn data_side_with_nobody_in_the_window_says_so() {
    let s = Scratch::new();
    let cfg = s.write("c.yaml", "input: {columns: {order_id: order_id}}\nanalysis: {as_of: 2020-01-01}\nsegments: {rules: [{name: A, r: [1, 5]}]}\n");
    let (code, text) = check(
        cfg.to_str().unwrap(),
        &["--strict", "--input", "data-samples/orders.csv"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("data: 0 customers scored"), "{text}");
    assert!(
        text.contains("no customer has a purchase line in the observation window"),
        "{text}"
    );
    assert!(!text.contains("inf"), "{text}");
    assert!(!text.contains("score 1 is empty"), "{text}");
}

#[test]
fn the_11_segment_box_table_leaves_44_cells_and_4_rules_out() {
    let (code, text) = check(
        "tests/fixtures/rfm-11-segment-box-table.yaml",
        &["--strict"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("default (Others): 44 of 125 cells match no rule: 112 113 114 115 121 131"),
        "{text}"
    );
    for name in [
        "New Customers",
        "Promising",
        "Can't Lose Them",
        "Hibernating",
    ] {
        assert!(
            text.contains(&format!("unreachable: {name} never matches")),
            "{name}:\n{text}"
        );
    }
    assert!(text.contains("unreachable: Hibernating never matches: earlier rules take all its cells: Potential Loyalist (4 cells), About To Sleep (4 cells)"), "{text}");
    assert!(text.contains("overlap: About To Sleep, At Risk and Hibernating all claim 4 cells (222 223 232 233); About To Sleep wins"), "{text}");
}

#[test]
fn rules_that_are_literals_on_the_grid_do_not_break_the_analysis() {
    // Regression: conditions that do not depend on the scores come back as one broadcast
    // value; reading them per cell panicked.
    let s = Scratch::new();
    let cfg = s.write(
        "c.yaml",
        "scoring: {bins: 2}\nsegments: {rules: [{name: Big, when: \"monetary > 100\"}, {name: All, when: \"TRUE\"}]}\n",
    );
    let (code, text) = check(cfg.to_str().unwrap(), &["--strict"]);
    assert_eq!(code, 0, "{text}");
    // Big depends on the data, All takes whatever Big leaves: no cell can fall to the default.
    assert!(
        text.contains("default (Other): no cell falls to it"),
        "{text}"
    );
    assert!(
        !text.contains("unless a data-dependent rule matches"),
        "{text}"
    );
    assert!(text.contains("data-dependent: Big's `when`"), "{text}");
}
