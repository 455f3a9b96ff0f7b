//! `rfmseg explain`: why one customer of a run's output has its scores and its segment, and
//! what would move it to a better one, from the output file alone: the rows, and the config and
//! score edges the run stored in the file's footer.

use std::path::PathBuf;

use crate::config;
use crate::error::{Error, Result};
use crate::output::{footer, read_back};
use crate::report;
use crate::review::explain;

/// What `rfmseg explain` was asked for.
#[derive(Debug, Clone, Default)]
pub struct ExplainOptions {
    /// The run output.
    pub segments: PathBuf,
    /// The customer, as the file writes it.
    pub customer: String,
    /// Group column and value (as text) that choose the customer's group.
    pub groups: Vec<(String, String)>,
    /// The JSON document instead of the text.
    pub json: bool,
}

/// `rfmseg explain`: print the explanation.
pub fn execute(options: &ExplainOptions) -> Result<()> {
    print!("{}", explain(options)?);
    Ok(())
}

/// The explanation of the customer, as text or JSON.
pub fn explain(options: &ExplainOptions) -> Result<String> {
    let path = &options.segments;
    let fail = |message: String| Error::ScoredFile {
        path: path.clone(),
        message,
    };
    const FIX: &str =
        "give the Parquet file `rfmseg run` wrote (its --output, or output.path in its config)";
    if path.is_dir() {
        return Err(fail(format!("is a folder; {FIX}")));
    }
    if !path.exists() {
        return Err(fail(format!("does not exist; {FIX}")));
    }
    let footer = footer::read(path).map_err(|e| fail(format!("{e}; {FIX}")))?;
    let provenance = footer.provenance().map_err(fail)?;
    let thresholds = provenance.thresholds().map_err(fail)?.ok_or_else(|| {
        fail("has no score edges in its footer (key rfmseg.edges), which explain needs: it was written by an rfmseg that did not store them; run it again with this rfmseg (same config and --as-of) to explain its customers".into())
    })?;
    let settings = config::from_footer(&provenance.config, path)?;
    let row = read_back::read_customer(path, &options.customer, &options.groups)?;
    let explained = explain::explain(
        &path.display().to_string(),
        &row,
        provenance.as_of.clone(),
        &settings,
        &thresholds,
    )?;
    Ok(if options.json {
        report::explain::json(&explained)
    } else {
        report::explain::text(&explained)
    })
}
