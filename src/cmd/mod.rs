//! One module per subcommand: each takes the options the command line gave and returns what
//! the binary prints, or an error.

pub mod backtest;
pub mod check;
pub mod explain;
pub mod inspect;
pub mod report;
pub mod run;
pub mod sql;
