//! `rfmseg inspect FILE`: the provenance a run stored in its output's Parquet footer, as
//! readable text or JSON; `rfmseg inspect DIR`: what a saved state holds.

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
        if !file.join(crate::state::MANIFEST).exists() {
            return Err(fail(format!(
                "is a folder without {}; give the Parquet file rfmseg run wrote (e.g. out/segments.parquet) or a state folder (run --state DIR)",
                crate::state::MANIFEST
            )));
        }
        let view = crate::pipeline::state::view(file)?;
        return Ok(if json {
            crate::report::inspect::render_state_json(&view)
        } else {
            crate::report::inspect::render_state(&view)
        });
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
