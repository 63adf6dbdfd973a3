//! Building statements whose shape depends on the request (filters, multi-row inserts).

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    /// Never NULL: NULL floats do not bind reliably through `Any` on PostgreSQL.
    Real(f64),
}

/// SQL text with its arguments; placeholders are numbered as arguments are pushed, so the text
/// never contains a value.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
    /// Placeholders are `?`, bound in order (SQLite only; see [`Sql::positional`]).
    pub(super) positional: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), args: vec![], positional: false }
    }

    /// For statements with many arguments: on SQLite the placeholders are plain `?`. sqlx binds
    /// numbered ones (`$n`) by asking SQLite each one's name, a linear search of the
    /// statement's names, so binding a statement with n numbered arguments costs n²; plain
    /// ones are bound in order. PostgreSQL knows only `$n`.
    pub fn positional(backend: super::Backend, text: &str) -> Self {
        Self { positional: backend == super::Backend::Sqlite, ..Self::new(text) }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn arg(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        if self.positional {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.args.len().to_string());
        }
        self
    }

    /// Appends `(p1, p2, …)` for a row of values.
    pub fn row(&mut self, values: Vec<Arg>) -> &mut Self {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(v);
        }
        self.push(")")
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::OptInt(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::OptText(v) => q.bind(v.clone()),
                Arg::Real(v) => q.bind(*v),
            };
        }
        q
    }
}

/// `items` cut into chunks whose sizes come from `sizes` (largest first, ending with 1): the
/// largest size that still fits, again and again. Statements built per chunk then take a few
/// fixed shapes, which the connection's statement cache keeps prepared, instead of a new shape
/// for every count of rows.
pub fn fixed_chunks<'a, T>(items: &'a [T], sizes: &'static [usize]) -> impl Iterator<Item = &'a [T]> + 'a {
    debug_assert_eq!(sizes.last(), Some(&1));
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = sizes.iter().copied().find(|&s| s <= rest.len()).unwrap_or(1);
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// The smallest string greater than every string starting with `prefix`, so that
/// `code >= prefix AND code < upper` is an index range scan on both dialects.
pub fn prefix_upper(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    "\u{10FFFF}".to_string()
}

/// The text of a unit-like enum as serde names it (`"on_hold"`), for TEXT columns.
pub fn enum_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

/// Parses a TEXT column written by [`enum_text`].
pub fn enum_from<T: serde::de::DeserializeOwned>(text: &str) -> crate::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|e| crate::StoreError::Corrupt(format!("“{text}”：{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_arguments() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.arg(Arg::Int(1)).push(" AND b IN ").row(vec![Arg::Text("x".into()), Arg::Text("y".into())]);
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(sql.args.len(), 3);
        let mut sqlite = Sql::positional(super::super::Backend::Sqlite, "VALUES ");
        sqlite.row(vec![Arg::Int(1), Arg::Int(2)]);
        assert_eq!(sqlite.text, "VALUES (?, ?)");
        let mut postgres = Sql::positional(super::super::Backend::Postgres, "VALUES ");
        postgres.row(vec![Arg::Int(1), Arg::Int(2)]);
        assert_eq!(postgres.text, "VALUES ($1, $2)");
    }

    #[test]
    fn chunks_take_the_largest_fixed_size_that_fits() {
        let items: Vec<u32> = (0..51).collect();
        let sizes: Vec<usize> = fixed_chunks(&items, &[16, 4, 1]).map(<[u32]>::len).collect();
        assert_eq!(sizes, [16, 16, 16, 1, 1, 1]);
        let joined: Vec<u32> = fixed_chunks(&items, &[16, 4, 1]).flatten().copied().collect();
        assert_eq!(joined, items, "every item once, in order");
        assert_eq!(fixed_chunks(&items[..7], &[16, 4, 1]).map(<[u32]>::len).collect::<Vec<_>>(), [4, 1, 1, 1]);
        assert_eq!(fixed_chunks::<u32>(&[], &[4, 1]).count(), 0);
    }

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_upper("310115137"), "310115138");
        assert_eq!(prefix_upper("31011513P01"), "31011513P02");
    }
}
