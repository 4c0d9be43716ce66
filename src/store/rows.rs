//! Rows read by name: [`from_row!`] declares a struct and reads each field from the
//! column of the same name (what `#[derive(sqlx::FromRow)]` did; the derive needs
//! sqlx-macros, which builds sqlx and SQLite a second time, for the host).

/// `from_row! { struct Name { field: Type, … } }`: the struct, and `FromRow` for `AnyRow`
/// reading `field` from column `"field"`.
macro_rules! from_row {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $ty),*
        }

        impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for $name {
            fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok(Self {
                    $($field: row.try_get(stringify!($field))?),*
                })
            }
        }
    };
}

pub(super) use from_row;
