//! Where each key and list item of a YAML file is: `segments.rules[2].r` -> line 14, column 7.
//! serde_yaml reports positions for syntax and type errors only; the validation problems
//! found after parsing are placed with this index.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::error::Spot;

/// Positions of every mapping key and sequence item, by dotted path.
#[derive(Debug, Default)]
pub struct Locations {
    spots: HashMap<String, Spot>,
}

impl Locations {
    /// Index `text`; a text that does not parse gives an empty index (serde_yaml reports
    /// the syntax error itself).
    pub fn index(text: &str) -> Locations {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut walker, false).is_err() {
            return Locations::default();
        }
        Locations {
            spots: walker.spots,
        }
    }

    /// The position of `path`, or of its nearest parent that has one.
    pub fn find(&self, path: &str) -> Option<Spot> {
        let mut path = path;
        loop {
            if let Some(spot) = self.spots.get(path) {
                return Some(*spot);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

#[derive(Default)]
struct Walker {
    frames: Vec<Frame>,
    spots: HashMap<String, Spot>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Walker {
    fn record(&mut self, path: &str, mark: Marker) {
        self.spots.entry(path.to_string()).or_insert(Spot {
            line: mark.line(),
            column: mark.col() + 1,
        });
    }

    /// The path of the value node starting at `mark`.
    fn value_path(&mut self, mark: Marker) -> String {
        let path = match self.frames.last() {
            None => String::new(),
            Some(Frame::Map { path, key }) => join(path, key.as_deref().unwrap_or("?")),
            Some(Frame::Seq { path, next }) => format!("{path}[{next}]"),
        };
        if matches!(self.frames.last(), Some(Frame::Seq { .. })) {
            self.record(&path, mark);
        }
        path
    }

    fn value_done(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { next, .. }) => *next += 1,
            None => {}
        }
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map { path, key: None }) = self.frames.last() {
                    let full = join(path, &text);
                    self.record(&full, mark);
                    if let Some(Frame::Map { key, .. }) = self.frames.last_mut() {
                        *key = Some(text);
                    }
                } else {
                    self.value_path(mark);
                    self.value_done();
                }
            }
            Event::Alias(_) => {
                self.value_path(mark);
                self.value_done();
            }
            Event::MappingStart(..) => {
                let path = self.value_path(mark);
                self.frames.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.value_path(mark);
                self.frames.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.frames.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_items() {
        let text = "input:\n  paths: [a.csv]\nsegments:\n  rules:\n    - name: A\n      r: [4, 5]\n    - {name: B, when: \"r > 1\"}\n";
        let at = Locations::index(text);
        assert_eq!(at.find("input"), Some(Spot { line: 1, column: 1 }));
        assert_eq!(at.find("input.paths"), Some(Spot { line: 2, column: 3 }));
        assert_eq!(
            at.find("segments.rules[0].r"),
            Some(Spot { line: 6, column: 7 })
        );
        assert_eq!(
            at.find("segments.rules[1]"),
            Some(Spot { line: 7, column: 7 })
        );
        assert_eq!(
            at.find("segments.rules[1].when"),
            Some(Spot {
                line: 7,
                column: 17
            })
        );
        // A missing key falls back to its parent.
        assert_eq!(
            at.find("segments.rules[1].cells"),
            Some(Spot { line: 7, column: 7 })
        );
    }
}
