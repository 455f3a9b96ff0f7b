//! Score cells: the three scores r, f, m as one string ("545", or "10-3-5" when a metric has
//! more than 9 levels), read from rules and listed for the whole grid.

use super::Scoring;

/// Read a cell as written in a rule ("545", "5-4-5", 545) and give it in the form the output
/// uses: digits when every metric has at most 9 levels, else joined with '-'.
pub fn parse_cell(text: &str, scoring: &Scoring) -> Result<String, String> {
    let text = text.trim();
    let parts: Vec<&str> = if text.contains('-') {
        text.split('-').collect()
    } else if text.len() == 3 && text.is_ascii() {
        vec![&text[0..1], &text[1..2], &text[2..3]]
    } else {
        vec![]
    };
    let bins = scoring.bins();
    let example = if scoring.wide_cells() {
        "\"10-3-5\""
    } else {
        "\"545\""
    };
    if parts.len() != 3 {
        return Err(format!(
            "cell {text:?} is not three scores r, f, m; write it like {example}"
        ));
    }
    let mut scores = [0u32; 3];
    for (i, (part, bins)) in parts.iter().zip(bins).enumerate() {
        let metric = ["r", "f", "m"][i];
        match part.parse::<u32>() {
            Ok(v) if (1..=bins).contains(&v) => scores[i] = v,
            _ => {
                return Err(format!(
                    "cell {text:?}: {metric} score {part:?} is outside 1..{bins}"
                ))
            }
        }
    }
    Ok(cell_text(scores, scoring.wide_cells()))
}

/// Every (r, f, m) of the grid `scoring` defines, r-major: the order `rfm::by_cell` reads.
pub fn all_cells(scoring: &Scoring) -> Vec<[u32; 3]> {
    let [br, bf, bm] = scoring.bins();
    let mut cells = Vec::with_capacity((br * bf * bm) as usize);
    for r in 1..=br {
        for f in 1..=bf {
            for m in 1..=bm {
                cells.push([r, f, m]);
            }
        }
    }
    cells
}

/// The cell string of three scores.
pub fn cell_text(scores: [u32; 3], wide: bool) -> String {
    if wide {
        format!("{}-{}-{}", scores[0], scores[1], scores[2])
    } else {
        format!("{}{}{}", scores[0], scores[1], scores[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Method, MetricScoring};

    fn scoring(bins: [u32; 3]) -> Scoring {
        let ms = |bins| MetricScoring {
            method: Method::Rank,
            bins,
        };
        Scoring {
            recency: ms(bins[0]),
            frequency: ms(bins[1]),
            monetary: ms(bins[2]),
            frozen: None,
            thresholds_from: None,
            min_group_customers: None,
        }
    }

    #[test]
    fn cells_are_checked_against_bins() {
        let s = scoring([5, 5, 5]);
        assert_eq!(parse_cell("545", &s).unwrap(), "545");
        assert_eq!(parse_cell("5-4-5", &s).unwrap(), "545");
        assert!(parse_cell("565", &s).unwrap_err().contains("f score \"6\""));
        assert!(parse_cell("55", &s).is_err());
        assert!(parse_cell("055", &s).is_err());
        let wide = scoring([10, 3, 5]);
        assert_eq!(parse_cell("10-3-5", &wide).unwrap(), "10-3-5");
        assert_eq!(parse_cell("935", &wide).unwrap(), "9-3-5");
        assert!(parse_cell("10-4-5", &wide).is_err());
    }
}
