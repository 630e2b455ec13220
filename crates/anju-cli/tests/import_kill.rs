//! A `kill -9` in the middle of `anju import` leaves the store exactly as it was: the
//! import is one transaction, and a transaction cut off is rolled back (SQLite on the
//! next open, PostgreSQL when the connection drops). The real binary, both backends.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_io::synth::households_csv;
use anju_store::{AreaSeed, ImportOutcome, ImportProgress, Store};
use anju_testdb::{backends, fresh_url};

const VILLAGES: [&str; 2] = ["500101001001", "500101001002"];

fn seed(c: &str) -> AreaSeed {
    AreaSeed {
        code: AreaCode::parse(c).expect("code"),
        name_zh: c.into(),
        name_official: c.into(),
        name_en: c.into(),
        point: GeoPoint::new(108.4, 30.8),
        point_approximate: c.len() > 6,
    }
}

/// Every table's rows, sorted: the whole database.
async fn snapshot(s: &Store) -> Vec<String> {
    let mut out = Vec::new();
    s.dump(&mut out, &|_, _, _| {}).await.expect("dump");
    let mut lines: Vec<String> = String::from_utf8(out)
        .expect("utf8")
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn a_killed_import_leaves_the_store_as_it_was() {
    let dir = std::env::temp_dir().join("anju-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    // Big enough that writing takes seconds in a debug build, so the kill lands mid-way.
    let file = dir.join(format!("kill-{}.csv", uuid::Uuid::now_v7()));
    std::fs::write(&file, households_csv(&VILLAGES, 30_000)).expect("write file");
    for b in backends() {
        let url = fresh_url(b).await;
        let store = Store::open(&url, Clock::System).await.expect("open");
        store
            .upsert_areas(
                &Scope::everything(),
                &["50", "500101", "500101001", VILLAGES[0], VILLAGES[1]].map(seed),
            )
            .await
            .expect("areas");
        // Some households already there (the first 100 of the same file, so the big
        // import would both add and leave unchanged).
        let small = households_csv(&VILLAGES, 100);
        let r = store
            .import_file(
                &Scope::everything(),
                anju_io::Kind::Households,
                small.as_bytes(),
                None,
                false,
                &ImportProgress::default(),
            )
            .await
            .expect("import");
        assert!(matches!(r.outcome, ImportOutcome::Done(_)));
        let before = snapshot(&store).await;
        store.close().await;

        let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
            .args(["import", "households"])
            .arg(&file)
            .args(["--db", &url])
            .env("ANJU_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start anju");
        let err = child.stderr.take().expect("stderr");
        let written = tokio::task::spawn_blocking(move || {
            // "importing: DONE/TOTAL" lines: wait until rows are being written.
            for line in BufReader::new(err).lines() {
                let line = line.unwrap_or_default();
                if let Some(rest) = line.strip_prefix("importing: ")
                    && let Some((done, total)) = rest.split_once('/')
                    && let (Ok(done), Ok(total)) = (done.parse::<u64>(), total.parse::<u64>())
                    && done > 0
                {
                    assert!(
                        done < total,
                        "the import finished before it could be killed"
                    );
                    return done;
                }
            }
            panic!("anju ended without writing");
        })
        .await
        .expect("reader");
        child.kill().expect("kill -9"); // SIGKILL on Unix
        let status = child.wait().expect("wait");
        assert!(!status.success());

        let store = Store::open(&url, Clock::System).await.expect("reopen");
        assert_eq!(
            snapshot(&store).await,
            before,
            "{b:?}: killed after {written} households were written, the store changed"
        );
        assert!(
            store
                .verify_audit()
                .await
                .expect("verify")
                .first_break
                .is_none()
        );
        store.close().await;
    }
    let _ = std::fs::remove_file(&file);
}
