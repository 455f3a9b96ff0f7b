//! `rfmseg inspect FILE`: the provenance a run stored in its output's Parquet footer, as
//! readable text or JSON.

use std::path::Path;

use crate::error::{Error, Result};
use crate::output::footer;

/// `rfmseg inspect FILE`: print the provenance.
pub fn execute(file: &Path, json: bool) -> Result<()> {
    print!("{}", inspect(file, json)?);
    Ok(())
}

/// The provenance of the run that wrote `file`: readable text, or JSON with `json`.
pub fn inspect(file: &Path, json: bool) -> Result<String> {
    let fail = |message: String| Error::Inspect {
        path: file.to_path_buf(),
        message,
    };
    if file.is_dir() {
        return Err(fail(
            "is a folder; give the Parquet file rfmseg run wrote, e.g. out/segments.parquet".into(),
        ));
    }
    let footer = footer::read(file).map_err(|e| {
        fail(format!(
            "{e}; give the Parquet file rfmseg run wrote, e.g. out/segments.parquet"
        ))
    })?;
    let provenance = footer.provenance().map_err(fail)?;
    Ok(if json {
        provenance.to_json(file, footer.rows)
    } else {
        crate::report::inspect::render(&provenance, file, footer.rows)
    })
}
