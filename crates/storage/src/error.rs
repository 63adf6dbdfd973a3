use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Someone else changed the record first (optimistic concurrency).
    #[error("数据已被他人修改，请刷新后重试")]
    Conflict,
    #[error("记录不存在：{0}")]
    NotFound(String),
    /// A uniqueness rule was broken (e.g. a username taken).
    #[error("记录已存在：{0}")]
    Duplicate(String),
    #[error("数据库错误：{0}")]
    Database(#[from] sqlx::Error),
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("存储数据损坏：{0}")]
    Corrupt(String),
    #[error("{0}")]
    Other(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
