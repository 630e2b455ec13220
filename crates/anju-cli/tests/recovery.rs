//! `anju recovery rebuild` on both backends: figures damaged behind the store's back are
//! recomputed from the records.

use std::process::Command;

use anju_core::household::{House, StructureType};
use anju_core::recovery::{AssessmentInput, DisasterInput};
use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_store::Store;
use anju_testdb::world::build;
use anju_testdb::{backends, fresh_url};
use sqlx::Connection;

#[tokio::test]
async fn rebuild_recomputes_damaged_figures() {
    for b in backends() {
        let url = fresh_url(b).await;
        let store = Store::open(&url, Clock::System).await.expect("open");
        let w = build(&store, |p| format!("hash:{p}")).await;
        let house = uuid::Uuid::now_v7();
        store
            .insert_houses(
                &Scope::everything(),
                &[(
                    house,
                    House {
                        area: AreaCode::parse("500101001001").expect("code"),
                        address: "东方广场社区3组".into(),
                        point: GeoPoint::new(108.4, 30.8).expect("point"),
                        structure: StructureType::EarthWood,
                        floors: 1,
                        rooms: Some(4),
                        year_built: None,
                        owner_household_id: None,
                    },
                )],
                true,
            )
            .await
            .expect("house");
        let d = DisasterInput {
            name: "万州暴雨".into(),
            hazard: "rainstorm_flood".into(),
            started_on: "2023-07-03".into(),
            area: "500101".into(),
            target_move_in: "2099-02-10".into(),
            ..Default::default()
        }
        .validate()
        .expect("valid");
        let d = store
            .declare_disaster(&w.scope("wz_leader"), None, &d)
            .await
            .expect("declare")
            .id;
        let a = AssessmentInput {
            house_id: house,
            outcome: "D".into(),
            rooms_collapsed: 1,
            assessed_on: "2023-07-08".into(),
            ..Default::default()
        }
        .validate(store.clock().today())
        .expect("valid");
        store
            .assess(&w.scope("gst_staff"), d, None, &a)
            .await
            .expect("assess");
        store.close().await;
        // Damage the figures behind the store's back.
        let sql = "UPDATE recovery_rollup SET grade_d = 99, stage_planned = 7";
        match b {
            anju_store::Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("connect");
                sqlx::query(sql).execute(&mut c).await.expect("damage");
            }
            anju_store::Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query(sql).execute(&mut c).await.expect("damage");
            }
        }
        let out = Command::new(env!("CARGO_BIN_EXE_anju"))
            .args(["recovery", "rebuild", "--db", &url])
            .output()
            .expect("run anju");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{b:?}: {stdout} {stderr}");
        assert!(stdout.contains("rebuilt"), "{stdout}");
        assert!(stderr.contains("rebuild:"), "progress is shown: {stderr}");
        let store = Store::open(&url, Clock::System).await.expect("reopen");
        for c in ["50", "500101", "500101001", "500101001001"] {
            let c = AreaCode::parse(c).expect("code");
            let kept = store.recovery_rollup(d, c).await.expect("kept");
            assert_eq!(
                kept,
                store
                    .recovery_rollups_recomputed(d, c)
                    .await
                    .expect("recount")
            );
            assert_eq!((kept.grade.d, kept.by_stage.planned), (1, 1), "{b:?}");
        }
    }
}
