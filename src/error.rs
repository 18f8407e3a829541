//! Errors that end a run with exit code 2. Every error says what went wrong
//! and, where there is one, how to fix it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub hint: Option<String>,
    /// The reader of stdout went away (`riskdiff rules | head -1`): not a
    /// failure to report, the command line ends quietly.
    pub broken_pipe: bool,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
            broken_pipe: false,
        }
    }

    /// Writing the report to stdout failed.
    pub fn output(err: std::io::Error) -> Self {
        Error {
            broken_pipe: err.kind() == std::io::ErrorKind::BrokenPipe,
            ..Error::new(format!("cannot write the output: {err}"))
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A libgit2 failure while reading the repository, with what we were doing.
    pub fn git(doing: &str, err: git2::Error) -> Self {
        Error::new(format!("{doing}: {}", err.message()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {}", hint.replace('\n', "\n        "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
