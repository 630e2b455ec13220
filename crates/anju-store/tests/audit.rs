//! The access audit trail: written with every change, hash-chained, tamper-evident.

use anju_core::officer::UnitInput;
use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_store::{AreaSeed, Backend, Store};
use anju_testdb::{backends, fresh_url};
use sqlx::Connection;

async fn raw(url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if let Some(path) = url.strip_prefix("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
    }
}

async fn store_with_writes(b: Backend) -> (Store, String) {
    let url = fresh_url(b).await;
    let s = Store::open(&url, Clock::System).await.expect("open");
    let all = Scope::everything();
    s.upsert_areas(
        &all,
        &[AreaSeed {
            code: AreaCode::parse("50").expect("code"),
            name_zh: "重庆市".into(),
            name_official: "重庆市".into(),
            name_en: "Chongqing".into(),
            point: GeoPoint::new(106.5, 29.5),
            point_approximate: false,
        }],
    )
    .await
    .expect("areas");
    for i in 0..5 {
        let u = UnitInput {
            id: None,
            name: format!("单位{i}"),
            kind: "department".into(),
            area: "50".into(),
            phone: None,
        }
        .validate()
        .expect("unit");
        s.create_unit(&all, None, &u).await.expect("unit");
    }
    (s, url)
}

#[tokio::test]
async fn every_write_is_chained_and_the_chain_verifies() {
    for b in backends() {
        let (s, _) = store_with_writes(b).await;
        let report = s.verify_audit().await.expect("verify");
        assert_eq!(report.rows, 6, "{b:?}");
        assert!(report.first_break.is_none(), "{report:?}");
        let (rows, _) = s
            .audit(&Scope::everything(), None, 10, None)
            .await
            .expect("audit");
        assert_eq!(rows[0].action, "create");
        assert_eq!(rows[0].entity, "unit");
    }
}

#[tokio::test]
async fn the_trail_refuses_changes_and_tampering_is_found() {
    for b in backends() {
        let (s, url) = store_with_writes(b).await;
        // The database itself refuses to rewrite history…
        let sql = sqlx::AssertSqlSafe("UPDATE audit SET detail = '{}' WHERE seq = 3".to_owned());
        let refused = if let Some(path) = url.strip_prefix("sqlite:") {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
                .await
                .expect("connect");
            sqlx::raw_sql(sql).execute(&mut c).await.is_err()
        } else {
            let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
            sqlx::raw_sql(sql).execute(&mut c).await.is_err()
        };
        assert!(refused, "{b:?}: an UPDATE of the audit trail went through");

        // …and when someone with the database's own rights does it anyway, verify finds it.
        let disable = match b {
            Backend::Sqlite => "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
            Backend::Postgres => "ALTER TABLE audit DISABLE TRIGGER audit_no_change;",
        };
        raw(&url, disable).await;
        raw(
            &url,
            "UPDATE audit SET detail = '{\"units\": 999}' WHERE seq = 3",
        )
        .await;
        let r = s.verify_audit().await.expect("verify");
        assert_eq!(r.first_break.as_ref().map(|b| b.seq), Some(3), "{r:?}");

        let (s, url) = store_with_writes(b).await;
        raw(&url, disable).await;
        raw(&url, "DELETE FROM audit WHERE seq = 6").await;
        let r = s.verify_audit().await.expect("verify");
        assert!(
            r.first_break.is_some(),
            "{b:?}: deleting the last row went unnoticed"
        );

        let (s, url) = store_with_writes(b).await;
        raw(&url, disable).await;
        raw(&url, "DELETE FROM audit WHERE seq = 2").await;
        let r = s.verify_audit().await.expect("verify");
        assert_eq!(r.first_break.as_ref().map(|b| b.seq), Some(2), "{r:?}");
    }
}
