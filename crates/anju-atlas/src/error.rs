//! The crate's one error type.

/// Why the atlas, or a boundary file, could not be read.
///
/// Every variant names the file it concerns; CSV errors name the line and column, GeoJSON
/// errors the feature (by its index in the `features` array) and the member at fault, so a
/// data maintainer can go straight to the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtlasError {
    /// A CSV row lacks a field, holds a bad value, or contradicts another row.
    #[error("{file}:{line}: field `{field}`: {problem}")]
    Csv {
        file: String,
        line: u64,
        field: String,
        problem: String,
    },
    /// A GeoJSON document, or one of its features, is malformed or unusable.
    #[error("{file}: {}field `{field}`: {problem}", feature_prefix(.feature))]
    GeoJson {
        file: String,
        /// Index in the `features` array; `None` when the document as a whole is at fault.
        feature: Option<usize>,
        field: String,
        problem: String,
    },
    /// The data is incomplete or contradicts other data (a district without a boundary or
    /// an English name, a seat outside its district).
    #[error("{file}: {problem}")]
    Inconsistent { file: String, problem: String },
}

fn feature_prefix(feature: &Option<usize>) -> String {
    feature
        .map(|i| format!("feature {i}: "))
        .unwrap_or_default()
}

impl AtlasError {
    pub(crate) fn csv(file: &str, line: u64, field: &str, problem: impl Into<String>) -> Self {
        AtlasError::Csv {
            file: file.to_owned(),
            line,
            field: field.to_owned(),
            problem: problem.into(),
        }
    }

    pub(crate) fn geojson(
        file: &str,
        feature: Option<usize>,
        field: &str,
        problem: impl Into<String>,
    ) -> Self {
        AtlasError::GeoJson {
            file: file.to_owned(),
            feature,
            field: field.to_owned(),
            problem: problem.into(),
        }
    }

    pub(crate) fn inconsistent(file: &str, problem: impl Into<String>) -> Self {
        AtlasError::Inconsistent {
            file: file.to_owned(),
            problem: problem.into(),
        }
    }
}
