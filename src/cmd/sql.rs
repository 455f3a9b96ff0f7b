//! `rfmseg sql`: the job written as one SQL query for Spark or DuckDB ([`crate::sql`]).

use std::path::Path;

use crate::config;
use crate::error::Result;
use crate::sql::{generate, SqlOptions};

/// Print the query for `config` in the dialect `options` names.
pub fn execute(config: &Path, options: &SqlOptions) -> Result<()> {
    let settings = config::load(config, &Default::default())?;
    print!("{}", generate(&settings, options)?);
    Ok(())
}
