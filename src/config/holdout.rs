//! `output.holdout:` checked: a share strictly between 0 and 1 with at most 6 decimals (so
//! each segment's count is exact integer arithmetic), a salt that is not empty, and no
//! group_by column named like the `holdout` column it adds.

use super::checker::Checker;
use super::raw::RawConfig;
use crate::columns::HOLDOUT;
use crate::settings::Holdout;

/// Decimals a share may have: millionths.
const SHARE_DECIMALS: usize = 6;

pub(super) fn check_holdout(
    raw: &RawConfig,
    group_by: &[String],
    ck: &mut Checker,
) -> Option<Holdout> {
    let h = raw.output.holdout.as_ref()?;
    let base = "output.holdout";
    let share = match h.share {
        None => {
            ck.add(
                base,
                None,
                "needs `share`, the part of each segment's customers held out (e.g. share: 0.1 for 10%)",
            );
            None
        }
        Some(s) => match share_millionths(s) {
            Ok(m) => Some(m),
            Err(why) => {
                ck.add(&format!("{base}.share"), None, why);
                None
            }
        },
    };
    let salt = match &h.salt {
        None => {
            ck.add(
                base,
                None,
                "needs `salt`, a text that fixes the draw (e.g. salt: \"2025-q1\"); a new salt draws a new set",
            );
            None
        }
        Some(s) if s.trim().is_empty() => {
            ck.add(
                &format!("{base}.salt"),
                None,
                "is empty; give a text such as \"2025-q1\" (a new salt draws a new set)",
            );
            None
        }
        Some(s) => Some(s.clone()),
    };
    for (i, g) in group_by.iter().enumerate() {
        if g == HOLDOUT {
            ck.add(
                &format!("analysis.group_by[{i}]"),
                None,
                format!(
                    "{g:?} is the column output.holdout adds; group by another column or rename it"
                ),
            );
        }
    }
    Some(Holdout {
        share_millionths: share?,
        salt: salt?,
    })
}

/// The share in millionths, or why it is not a share.
fn share_millionths(share: f64) -> Result<u32, String> {
    if !share.is_finite() || share <= 0.0 || share >= 1.0 {
        return Err(format!(
            "{share} is not a share; give a number between 0 and 1, both excluded (0.1 holds out 10% of each segment)"
        ));
    }
    // Display writes the shortest text that reads back as the same number, without an
    // exponent: the share as written (0.1, not 0.1000000000000000055...).
    let text = share.to_string();
    let decimals = text.split_once('.').map_or(0, |(_, f)| f.len());
    if decimals > SHARE_DECIMALS {
        return Err(format!(
            "{text} has {decimals} decimals; give at most {SHARE_DECIMALS} (e.g. 0.025 for 2.5%)"
        ));
    }
    Ok((share * 1e6).round() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_millionths_as_written() {
        assert_eq!(share_millionths(0.1), Ok(100_000));
        assert_eq!(share_millionths(0.3), Ok(300_000));
        assert_eq!(share_millionths(0.000001), Ok(1));
        assert_eq!(share_millionths(0.999999), Ok(999_999));
        assert!(share_millionths(0.0000001)
            .unwrap_err()
            .contains("7 decimals"));
        for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(share_millionths(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_round_half_away_from_zero_in_integers() {
        let h = |m| Holdout {
            share_millionths: m,
            salt: "s".into(),
        };
        // 0.1 * 5 = 0.5 -> 1; 0.1 * 15 = 1.5 -> 2; 0.1 * 14 = 1.4 -> 1; 0.3 * 5 = 1.5 -> 2
        // (the double nearest 0.3 is a little below it: millionths do not depend on that).
        assert_eq!(h(100_000).count(5), 1);
        assert_eq!(h(100_000).count(15), 2);
        assert_eq!(h(100_000).count(14), 1);
        assert_eq!(h(100_000).count(4), 0);
        assert_eq!(h(300_000).count(5), 2);
        assert_eq!(h(250_000).count(2), 1);
        assert_eq!(h(250_000).count(6), 2);
        assert_eq!(h(100_000).count(0), 0);
        assert_eq!(h(999_999).count(u32::MAX as u64), 4_294_963_000);
    }
}
