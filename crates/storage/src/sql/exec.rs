//! The little a batch write asks of a database — run a statement, read rows — so that one
//! routine writes new cases through sqlx's transactions (PostgreSQL; SQLite outside intake)
//! and through the SQLite intake thread's own connection ([`Direct`], rusqlite), which runs
//! each statement where it is without handing it to another thread.

use async_trait::async_trait;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::{Any, Row as _, Transaction};

use super::bind::{Arg, Sql};
use crate::{Result, StoreError};

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// A row read by [`Exec::fetch`].
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn value(&self, i: usize) -> Result<&Value> {
        self.0.get(i).ok_or_else(|| StoreError::Corrupt(format!("结果缺少第 {i} 列")))
    }

    pub fn int(&self, i: usize) -> Result<i64> {
        match self.value(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!("第 {i} 列应为整数，实为 {other:?}"))),
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        match self.value(i)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Corrupt(format!("第 {i} 列应为文本，实为 {other:?}"))),
        }
    }
}

#[async_trait]
pub trait Exec: Send {
    /// Runs a statement; returns the rows it changed.
    async fn execute(&mut self, sql: &Sql) -> Result<u64>;
    async fn fetch(&mut self, sql: &Sql) -> Result<Vec<Row>>;

    async fn fetch_one(&mut self, sql: &Sql) -> Result<Row> {
        self.fetch(sql).await?.into_iter().next().ok_or_else(|| StoreError::Corrupt("查询没有结果".into()))
    }
}

#[async_trait]
impl Exec for Transaction<'static, Any> {
    async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        Ok(sql.query().execute(&mut **self).await?.rows_affected())
    }

    async fn fetch(&mut self, sql: &Sql) -> Result<Vec<Row>> {
        let rows = sql.query().fetch_all(&mut **self).await?;
        rows.iter().map(any_row).collect()
    }
}

/// Through `Any` a column's type is known only by trying: integers, then text, then reals.
fn any_row(row: &sqlx::any::AnyRow) -> Result<Row> {
    (0..row.len())
        .map(|i| {
            if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                return Ok(v.map_or(Value::Null, Value::Int));
            }
            if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                return Ok(v.map_or(Value::Null, Value::Text));
            }
            Ok(row.try_get::<Option<f64>, _>(i)?.map_or(Value::Null, Value::Real))
        })
        .collect::<Result<Vec<_>>>()
        .map(Row)
}

/// A SQLite connection used where it is (the intake thread's). Statements stay prepared in
/// the connection's cache; `$n` placeholders bind in order of appearance, as [`Sql`] numbers
/// them.
pub struct Direct<'c>(pub &'c mut rusqlite::Connection);

#[async_trait]
impl Exec for Direct<'_> {
    async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        let mut statement = self.0.prepare_cached(&sql.text)?;
        Ok(statement.execute(rusqlite::params_from_iter(sql.args.iter()))? as u64)
    }

    async fn fetch(&mut self, sql: &Sql) -> Result<Vec<Row>> {
        let mut statement = self.0.prepare_cached(&sql.text)?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(sql.args.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let values = (0..columns)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(v) => Value::Int(v),
                        ValueRef::Real(v) => Value::Real(v),
                        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Blob(_) => return Err(StoreError::Corrupt("意外的二进制列".into())),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            out.push(Row(values));
        }
        Ok(out)
    }
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Int(v) => ToSqlOutput::from(*v),
            Arg::OptInt(v) => v.map_or(ToSqlOutput::from(rusqlite::types::Null), ToSqlOutput::from),
            Arg::Text(v) => ToSqlOutput::from(v.as_str()),
            Arg::OptText(v) => v.as_deref().map_or(ToSqlOutput::from(rusqlite::types::Null), ToSqlOutput::from),
            Arg::Real(v) => ToSqlOutput::from(*v),
        })
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Other(format!("数据库错误：{e}"))
    }
}
