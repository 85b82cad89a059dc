//! How model values are stored in one column: ids and string enums as TEXT (one generic impl
//! per type, for every backend), [`Timestamp`] as INTEGER milliseconds on SQLite and
//! TIMESTAMPTZ on PostgreSQL.

use crate::model::*;

/// `sqlx::Type`, `Encode` and `Decode` for TEXT-valued model types, generic over the database.
/// `ids`: a prefixed id (stored as is, read back without validation); `enums`: a string enum
/// (stored as `as_str()`, read back with `FromStr`).
macro_rules! text_column {
    (@type $name:ty) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }
    };
    (ids: $($id:ty),* ; enums: $($enum:ty),* $(,)?) => {
        $(
            text_column!(@type $id);

            impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $id
            where
                String: sqlx::Encode<'q, DB>,
            {
                fn encode_by_ref(
                    &self,
                    buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
                ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                    self.0.encode_by_ref(buf)
                }
            }

            impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $id
            where
                String: sqlx::Decode<'r, DB>,
            {
                fn decode(
                    v: <DB as sqlx::Database>::ValueRef<'r>,
                ) -> Result<Self, sqlx::error::BoxDynError> {
                    Ok(Self::from_trusted(<String as sqlx::Decode<'r, DB>>::decode(v)?))
                }
            }
        )*
        $(
            text_column!(@type $enum);

            impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $enum
            where
                String: sqlx::Encode<'q, DB>,
            {
                fn encode_by_ref(
                    &self,
                    buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
                ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                    <String as sqlx::Encode<'q, DB>>::encode(self.as_str().to_owned(), buf)
                }
            }

            impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $enum
            where
                String: sqlx::Decode<'r, DB>,
            {
                fn decode(
                    v: <DB as sqlx::Database>::ValueRef<'r>,
                ) -> Result<Self, sqlx::error::BoxDynError> {
                    let s = <String as sqlx::Decode<'r, DB>>::decode(v)?;
                    Ok(s.parse()?)
                }
            }
        )*
    };
}

text_column! {
    ids: CertificateId, VersionId, AgentId, GroupId, TargetId, IssuerId, JobId, PolicyId, TeamId,
        OwnerId, EventId, NotificationId, RenewalPolicyId, ChannelId, ApiKeyId, ViolationId,
        BootstrapTokenId;
    enums: AgentStatus, NotificationStatus, Role, ActorType, JobType, JobStatus, CertificateStatus,
        NotifySeverity, EventKind, ChannelType, DeliveryStatus, PolicyType, Severity, PolicyMode,
}

/// SQLite stores timestamps as INTEGER milliseconds since the epoch: exact, compact, ordered.
#[cfg(feature = "sqlite")]
mod sqlite_timestamp {
    use sqlx::{
        Decode, Encode, Type,
        encode::IsNull,
        error::BoxDynError,
        sqlite::{Sqlite, SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef},
    };

    use crate::model::Timestamp;

    impl Type<Sqlite> for Timestamp {
        fn type_info() -> SqliteTypeInfo {
            <i64 as Type<Sqlite>>::type_info()
        }
        fn compatible(ty: &SqliteTypeInfo) -> bool {
            <i64 as Type<Sqlite>>::compatible(ty)
        }
    }

    impl<'q> Encode<'q, Sqlite> for Timestamp {
        fn encode_by_ref(
            &self,
            buf: &mut Vec<SqliteArgumentValue<'q>>,
        ) -> Result<IsNull, BoxDynError> {
            <i64 as Encode<'q, Sqlite>>::encode(self.unix_millis(), buf)
        }
    }

    impl<'r> Decode<'r, Sqlite> for Timestamp {
        fn decode(v: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
            let ms = <i64 as Decode<'r, Sqlite>>::decode(v)?;
            Timestamp::from_unix_millis(ms)
                .ok_or_else(|| format!("timestamp {ms} out of range").into())
        }
    }
}

/// PostgreSQL stores timestamps as TIMESTAMPTZ.
#[cfg(feature = "postgres")]
mod postgres_timestamp {
    use sqlx::{
        Decode, Encode, Type,
        encode::IsNull,
        error::BoxDynError,
        postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres},
    };
    use time::OffsetDateTime;

    use crate::model::Timestamp;

    impl Type<Postgres> for Timestamp {
        fn type_info() -> PgTypeInfo {
            <OffsetDateTime as Type<Postgres>>::type_info()
        }
        fn compatible(ty: &PgTypeInfo) -> bool {
            <OffsetDateTime as Type<Postgres>>::compatible(ty)
        }
    }

    impl Encode<'_, Postgres> for Timestamp {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <OffsetDateTime as Encode<'_, Postgres>>::encode_by_ref(&self.datetime(), buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for Timestamp {
        fn decode(v: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(Timestamp::from_datetime(<OffsetDateTime as Decode<'r, Postgres>>::decode(v)?))
        }
    }
}
