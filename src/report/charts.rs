//! The report's charts, drawn by plotters as SVG text to inline in the HTML page: no font file,
//! image or script is needed (the browser renders the text; plotters escapes it).

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::format::{count, money};
use crate::error::{Error, Result};
use crate::review::distribution::Histogram;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = std::result::Result<(), Box<dyn std::error::Error>>;

const FONT: &str = "sans-serif";
/// Width of every chart, in pixels.
const WIDTH: u32 = 960;
/// Room for category labels (segment and group names) left of a chart.
const LABEL_AREA: u32 = 200;
/// Text on light and on dark cells.
const INK: RGBColor = RGBColor(34, 34, 34);
const PAPER: RGBColor = RGBColor(255, 255, 255);
/// Customers and revenue in the share chart.
const CUSTOMER_BAR: RGBColor = RGBColor(160, 178, 198);
const REVENUE_BAR: RGBColor = RGBColor(31, 78, 121);

/// Segment colours, in report order (repeating after 12).
const PALETTE: [RGBColor; 12] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
    RGBColor(99, 99, 99),
    RGBColor(180, 151, 231),
];

/// The colour of the segment at `index` in report order.
pub fn segment_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// A colour as CSS: "#4e79a7".
pub fn css(color: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", color.0, color.1, color.2)
}

/// From near white (0) to dark blue (1).
fn shade(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(mix(239, 8), mix(243, 48), mix(255, 107))
}

/// Draw a `size` SVG with `draw`; its errors name the chart.
fn svg(title: &str, size: (u32, u32), draw: impl FnOnce(&Area) -> Drawn) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&PAPER)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| Error::Chart {
                chart: title.to_string(),
                message: e.to_string(),
            })?;
    }
    Ok(out)
}

/// A category axis of `n` rows or columns: slot `i` spans `i..i + 1`, with one tick (and
/// label) at its middle.
#[derive(Debug, Clone, Copy)]
struct Categories(usize);

impl Ranged for Categories {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (span * value / self.0.max(1) as f64).round() as i32
    }

    /// Every slot's middle, whatever the hint: a category axis has no grid lines (the charts
    /// disable its mesh), only labels.
    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.0).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.0.max(1) as f64
    }
}

fn categories(n: usize) -> Categories {
    Categories(n)
}

/// The name at a category tick; rows are numbered from the top.
fn row_name(names: &[String], y: f64) -> String {
    let from_bottom = y.floor().max(0.0) as usize;
    names
        .len()
        .checked_sub(from_bottom + 1)
        .and_then(|i| names.get(i))
        .cloned()
        .unwrap_or_default()
}

/// The vertical span of row `i` (0 = top) of `n`, inset by `pad` on both sides.
fn row_span(n: usize, i: usize, pad: f64) -> (f64, f64) {
    let bottom = (n - 1 - i) as f64;
    (bottom + pad, bottom + 1.0 - pad)
}

fn text_style(size: u32, color: &'static RGBColor, h: HPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(color)
        .pos(Pos::new(h, VPos::Center))
}

/// A segment's share of customers and of revenue, side by side.
pub struct ShareBar {
    /// Segment name.
    pub name: String,
    /// Share of customers, 0..1.
    pub customers: f64,
    /// Share of revenue, 0..1 (None: no revenue).
    pub revenue: Option<f64>,
}

/// Per segment: the share of customers and the share of revenue, as paired bars.
pub fn segment_shares(bars: &[ShareBar]) -> Result<String> {
    let title = "Share of customers and of revenue, by segment";
    let n = bars.len();
    let names: Vec<String> = bars.iter().map(|b| b.name.clone()).collect();
    let largest = bars
        .iter()
        .flat_map(|b| [b.customers, b.revenue.unwrap_or(0.0)])
        .fold(0.0, f64::max);
    let x_max = ((largest * 10.0).ceil() * 10.0).clamp(10.0, 100.0);
    svg(title, (WIDTH, 110 + 44 * n as u32), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(LABEL_AREA)
            .build_cartesian_2d(0f64..x_max, categories(n))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .y_label_formatter(&|y| row_name(&names, *y))
            .x_label_formatter(&|x| format!("{x:.0}%"))
            .x_desc("percent of all customers (light) and of all revenue (dark)")
            .label_style((FONT, 16))
            .draw()?;
        let pct = |v: f64| (v * 100.0).max(0.0);
        for (revenue, color) in [(false, CUSTOMER_BAR), (true, REVENUE_BAR)] {
            let value = |b: &ShareBar| {
                if revenue {
                    b.revenue.unwrap_or(0.0)
                } else {
                    b.customers
                }
            };
            let (top_pad, bottom_pad) = if revenue { (0.5, 0.12) } else { (0.12, 0.5) };
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    let (y0, y1) = row_span(n, i, 0.0);
                    Rectangle::new(
                        [(0.0, y0 + bottom_pad), (pct(value(b)), y1 - top_pad)],
                        color.filled(),
                    )
                }))?
                .label(if revenue { "revenue" } else { "customers" })
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
                });
            chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
                let (y0, y1) = row_span(n, i, 0.0);
                let y = if revenue { y0 + 0.31 } else { y1 - 0.31 };
                let label = if revenue && b.revenue.is_none() {
                    "-".to_string()
                } else {
                    format!("{:.1}%", value(b) * 100.0)
                };
                Text::new(
                    label,
                    (pct(value(b)) + x_max * 0.005, y),
                    text_style(15, &INK, HPos::Left),
                )
            }))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(PAPER.mix(0.9))
            .border_style(INK.mix(0.3))
            .label_font((FONT, 16))
            .draw()?;
        Ok(())
    })
}

/// One previous segment's retention.
pub struct RetentionBar {
    /// The segment in the previous run.
    pub name: String,
    /// Share of its customers who bought again, 0..1 (None: no customers).
    pub rate: Option<f64>,
    /// The bar's label: "62.5% (5 of 8)".
    pub label: String,
}

/// Per previous segment, the share of its customers who bought again, as bars.
pub fn retention_bars(bars: &[RetentionBar]) -> Result<String> {
    let title = "Retention of each previous segment: the share of its customers who bought again";
    let n = bars.len();
    let names: Vec<String> = bars.iter().map(|b| b.name.clone()).collect();
    svg(title, (WIDTH, 110 + 34 * n as u32), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(LABEL_AREA)
            .build_cartesian_2d(0f64..100f64, categories(n))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .y_label_formatter(&|y| row_name(&names, *y))
            .x_label_formatter(&|x| format!("{x:.0}%"))
            .x_desc("percent of the segment's customers in the previous run")
            .label_style((FONT, 16))
            .draw()?;
        let pct = |b: &RetentionBar| (b.rate.unwrap_or(0.0) * 100.0).clamp(0.0, 100.0);
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let (y0, y1) = row_span(n, i, 0.15);
            Rectangle::new([(0.0, y0), (pct(b), y1)], REVENUE_BAR.filled())
        }))?;
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let (y0, y1) = row_span(n, i, 0.0);
            // Inside a long bar (white on blue), after a short one.
            let (x, style) = if pct(b) > 70.0 {
                (pct(b) - 1.0, text_style(15, &PAPER, HPos::Right))
            } else {
                (pct(b) + 1.0, text_style(15, &INK, HPos::Left))
            };
            Text::new(b.label.clone(), (x, (y0 + y1) / 2.0), style)
        }))?;
        Ok(())
    })
}

/// One bar of a per-segment value chart.
pub struct ValueBar {
    /// Segment name.
    pub name: String,
    /// The value drawn.
    pub value: f64,
    /// The text at the bar's end.
    pub label: String,
    /// The segment's place in report order (its colour).
    pub color: usize,
}

/// Per segment, one value as a bar in the segment's colour with its label at the end; the
/// axis spans 0 and every value, its ticks written by `tick`.
pub fn segment_values(
    title: &str,
    x_desc: &str,
    bars: &[ValueBar],
    tick: &dyn Fn(f64) -> String,
) -> Result<String> {
    let n = bars.len();
    let names: Vec<String> = bars.iter().map(|b| b.name.clone()).collect();
    let finite = || bars.iter().map(|b| b.value).filter(|v| v.is_finite());
    let low = finite().fold(0.0, f64::min);
    let high = finite().fold(0.0, f64::max);
    let span = (high - low).max(f64::MIN_POSITIVE);
    // Room after the longest bar for its label.
    let (x0, x1) = (
        low - if low < 0.0 { span * 0.12 } else { 0.0 },
        high + span * 0.15,
    );
    let x1 = if x1 <= x0 { x0 + 1.0 } else { x1 };
    svg(title, (WIDTH, 110 + 40 * n as u32), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(LABEL_AREA)
            .build_cartesian_2d(x0..x1, categories(n))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .y_label_formatter(&|y| row_name(&names, *y))
            .x_label_formatter(&|x| tick(*x))
            .x_desc(x_desc)
            .label_style((FONT, 16))
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let (y0, y1) = row_span(n, i, 0.15);
            let v = if b.value.is_finite() { b.value } else { 0.0 };
            Rectangle::new([(0.0, y0), (v, y1)], segment_color(b.color).filled())
        }))?;
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let (y0, y1) = row_span(n, i, 0.15);
            let v = if b.value.is_finite() { b.value } else { 0.0 };
            let (x, h) = if v < 0.0 {
                (v - (x1 - x0) * 0.005, HPos::Right)
            } else {
                (v + (x1 - x0) * 0.005, HPos::Left)
            };
            Text::new(
                b.label.clone(),
                (x, (y0 + y1) / 2.0),
                text_style(15, &INK, h),
            )
        }))?;
        Ok(())
    })
}

/// A matrix of labelled, shaded cells.
pub struct Heatmap {
    /// Chart title.
    pub title: String,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// Column labels, left to right.
    pub columns: Vec<String>,
    /// What the rows are.
    pub y_desc: String,
    /// What the columns are.
    pub x_desc: String,
    /// Shade per cell, 0..1, `[row][column]`.
    pub intensity: Vec<Vec<f64>>,
    /// Text per cell, `[row][column]`.
    pub text: Vec<Vec<String>>,
}

/// Draw a heatmap; long column labels are written vertically.
pub fn heatmap(h: &Heatmap) -> Result<String> {
    let (n_rows, n_cols) = (h.rows.len(), h.columns.len());
    let longest = h
        .columns
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1);
    let vertical = longest > 6;
    let label_area = if h.rows.iter().any(|r| r.chars().count() > 6) {
        LABEL_AREA
    } else {
        80
    };
    let cell = ((WIDTH - label_area - 40) / n_cols.max(1) as u32).min(90);
    let x_area = if vertical {
        40 + 8 * longest as u32
    } else {
        60
    };
    let width = label_area + 40 + cell * n_cols as u32;
    let height = 70 + x_area + cell.min(56) * n_rows as u32;
    svg(&h.title, (width.max(420), height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&h.title, (FONT, 22))
            .margin(14)
            .x_label_area_size(x_area)
            .y_label_area_size(label_area)
            .build_cartesian_2d(categories(n_cols), categories(n_rows))?;
        // Long column names are drawn vertically below, not by the mesh.
        let column_name = |x: &f64| match h.columns.get(x.floor().max(0.0) as usize) {
            Some(name) if !vertical => name.clone(),
            _ => String::new(),
        };
        let row_label = |y: &f64| row_name(&h.rows, *y);
        chart
            .configure_mesh()
            .disable_mesh()
            .y_label_formatter(&row_label)
            .x_label_formatter(&column_name)
            .y_desc(h.y_desc.as_str())
            .x_desc(h.x_desc.as_str())
            .label_style((FONT, 16))
            .draw()?;
        let cells = (0..n_rows).flat_map(|i| (0..n_cols).map(move |j| (i, j)));
        chart.draw_series(cells.clone().map(|(i, j)| {
            let (y0, y1) = row_span(n_rows, i, 0.02);
            let t = h.intensity[i][j];
            Rectangle::new(
                [(j as f64 + 0.02, y0), (j as f64 + 0.98, y1)],
                shade(t).filled(),
            )
        }))?;
        chart.draw_series(cells.map(|(i, j)| {
            let (y0, y1) = row_span(n_rows, i, 0.0);
            let ink = if h.intensity[i][j] > 0.55 {
                &PAPER
            } else {
                &INK
            };
            Text::new(
                h.text[i][j].clone(),
                (j as f64 + 0.5, (y0 + y1) / 2.0),
                text_style(16, ink, HPos::Center),
            )
        }))?;
        if vertical {
            for (j, name) in h.columns.iter().enumerate() {
                let (x, y) = chart.backend_coord(&(j as f64 + 0.5, 0.0));
                let style = TextStyle::from((FONT, 16).into_font())
                    .color(&INK)
                    .pos(Pos::new(HPos::Right, VPos::Center))
                    .transform(FontTransform::Rotate270);
                root.draw(&Text::new(name.clone(), (x, y + 8), style))?;
            }
        }
        Ok(())
    })
}

/// A histogram of one metric; money bins are labelled with `decimals` decimals.
pub fn histogram(h: &Histogram, title: &str, x_desc: &str, decimals: u32) -> Result<String> {
    let (Some(first), Some(last)) = (h.bins.first(), h.bins.last()) else {
        return svg(title, (WIDTH, 120), |root| {
            root.draw(&Text::new(
                format!("{title}: no customers"),
                (20, 60),
                text_style(16, &INK, HPos::Left),
            ))?;
            Ok(())
        });
    };
    let tallest = h.bins.iter().map(|b| b.customers).max().unwrap_or(0).max(1) as f64;
    // Edges are whole numbers unless the bins are narrower than 1 (small amounts).
    let label_decimals = if first.end - first.start >= 1.0 {
        0
    } else {
        decimals
    };
    svg(title, (WIDTH, 360), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(first.start..last.end, 0f64..tallest * 1.12)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .x_label_formatter(&|x| money(*x, label_decimals))
            .y_label_formatter(&|y| {
                if y.fract() == 0.0 {
                    count(*y as u64)
                } else {
                    String::new()
                }
            })
            .x_desc(x_desc)
            .y_desc("customers")
            .label_style((FONT, 16))
            .draw()?;
        chart.draw_series(h.bins.iter().map(|b| {
            Rectangle::new(
                [(b.start, 0.0), (b.end, b.customers as f64)],
                REVENUE_BAR.filled(),
            )
        }))?;
        chart.draw_series(h.bins.iter().map(|b| {
            Rectangle::new(
                [(b.start, 0.0), (b.end, b.customers as f64)],
                PAPER.stroke_width(1),
            )
        }))?;
        Ok(())
    })
}

/// One group's segment mix: (segment index in report order, share of the group's customers).
pub struct GroupMix {
    /// The group's label.
    pub name: String,
    /// Its segments' shares, in report order.
    pub shares: Vec<(usize, f64)>,
}

/// Per group, the share of its customers in each segment, as 100% stacked bars.
pub fn group_mix(groups: &[GroupMix]) -> Result<String> {
    let title = "Segment mix by group (percent of each group's customers)";
    let n = groups.len();
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    svg(title, (WIDTH, 110 + 34 * n as u32), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(LABEL_AREA)
            .build_cartesian_2d(0f64..100f64, categories(n))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .y_label_formatter(&|y| row_name(&names, *y))
            .x_label_formatter(&|x| format!("{x:.0}%"))
            .x_desc("percent of the group's customers; colours as in the legend")
            .label_style((FONT, 16))
            .draw()?;
        let mut pieces = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            let (y0, y1) = row_span(n, i, 0.12);
            let mut left = 0.0;
            for &(segment, share) in &g.shares {
                let right = (left + share * 100.0).min(100.0);
                pieces.push((left, right, y0, y1, segment));
                left = right;
            }
        }
        chart.draw_series(pieces.iter().map(|&(x0, x1, y0, y1, s)| {
            Rectangle::new([(x0, y0), (x1, y1)], segment_color(s).filled())
        }))?;
        chart.draw_series(pieces.iter().filter(|p| p.1 - p.0 >= 6.0).map(
            |&(x0, x1, y0, y1, _)| {
                Text::new(
                    format!("{:.0}%", x1 - x0),
                    ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
                    text_style(14, &INK, HPos::Center),
                )
            },
        ))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_named_from_the_top() {
        let names = ["a", "b", "c"].map(String::from);
        assert_eq!(row_name(&names, 2.5), "a");
        assert_eq!(row_name(&names, 0.5), "c");
        assert_eq!(row_name(&names, 7.5), "");
    }

    #[test]
    fn text_in_charts_is_escaped() {
        let svg = heatmap(&Heatmap {
            title: "<b>&".to_string(),
            rows: vec!["<script>x</script>".to_string()],
            columns: vec!["\"q\"".to_string()],
            y_desc: String::new(),
            x_desc: String::new(),
            intensity: vec![vec![1.0]],
            text: vec![vec!["<i>".to_string()]],
        })
        .unwrap();
        assert!(!svg.contains("<script>") && !svg.contains("<i>") && !svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;x&lt;/script&gt;"), "{svg}");
    }

    #[test]
    fn shades_run_from_light_to_dark() {
        assert_eq!(shade(0.0), RGBColor(239, 243, 255));
        assert_eq!(shade(1.0), RGBColor(8, 48, 107));
        assert_eq!(shade(f64::NAN), shade(0.0));
    }
}
