//! The one error of the JavaScript API: a `code` and a message, thrown by
//! each binding as a JS `Error` with a `code` property.

#[cfg(feature = "full")]
use calib_core::manifest::ManifestError;
use std::fmt;

/// `code` of errors about a JavaScript value of the wrong type or range.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

/// What a call throws: calib-core's [`Error::code`](calib_core::Error::code)
/// with its one-line message, the manifest loader's
/// [`ManifestError::code`] with its message, or [`INVALID_ARGUMENT`] with
/// words that name the argument and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: &'static str,
    message: String,
}

/// A result whose error is thrown to JavaScript.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An [`INVALID_ARGUMENT`] error with `message`.
    pub(crate) fn invalid_argument(message: String) -> Error {
        Error { code: INVALID_ARGUMENT, message }
    }

    /// The JS `Error`'s `code`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The JS `Error`'s `message`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<calib_core::Error> for Error {
    fn from(e: calib_core::Error) -> Error {
        Error { code: e.code(), message: e.to_string() }
    }
}

#[cfg(feature = "full")]
impl From<ManifestError> for Error {
    fn from(e: ManifestError) -> Error {
        Error { code: e.code(), message: e.message().to_string() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}
