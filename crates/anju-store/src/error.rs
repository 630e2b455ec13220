use anju_core::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Absent, archived away, or outside the caller's scope: indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A write aimed at an area outside the caller's scope.
    #[error("the area {0} is outside your scope")]
    OutOfScope(String),
    /// The caller sees the record but their role may not do this to it.
    #[error("your role may not {0:?} here")]
    Forbidden(anju_core::Permission),
    /// The lifecycle refused the move; it says what is allowed instead.
    #[error(transparent)]
    Transition(#[from] anju_core::lifecycle::TransitionError),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://…")]
    BadUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}
