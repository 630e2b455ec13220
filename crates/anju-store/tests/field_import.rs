//! Field-form imports (KoboToolbox / ODK exports of damage assessments) through the
//! store, on both backends: a file with bad rows imports nothing and names every bad row;
//! a re-import changes nothing; an edited submission becomes a new version; dry runs
//! write nothing; mappings are saved per form and area.

use anju_core::household::{House, StructureType};
use anju_core::recovery::DisasterInput;
use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_io::RowError;
use anju_io::field::FieldMapping;
use anju_store::{
    AssessmentQuery, Backend, FieldImportOptions, ImportOutcome, ImportProgress, ImportSummary,
    Store, StoreError,
};
use anju_testdb::world::{World, build};
use anju_testdb::{backends, fresh_url};
use encoding_rs::GB18030;
use uuid::Uuid;

/// 2023-07-20 08:00 +08:00.
const NOW: i64 = 1_689_811_200_000;

fn code(c: &str) -> AreaCode {
    AreaCode::parse(c).expect("code")
}

struct Fixture {
    store: Store,
    w: World,
    disaster: Uuid,
    /// 4 rooms, 东方广场社区.
    h1: Uuid,
    /// Rooms not known, 西山社区.
    h2: Uuid,
    /// In 涪陵区: outside a 万州 importer's scope.
    h3: Uuid,
    /// Archived.
    h4: Uuid,
    officer: Uuid,
}

async fn fixture(b: Backend) -> Fixture {
    let url = fresh_url(b).await;
    let store = Store::open(&url, Clock::manual(NOW)).await.expect("open");
    let w = build(&store, |p| format!("hash:{p}")).await;
    let all = Scope::everything();
    let house = |v: &str, rooms: Option<i64>| House {
        area: code(v),
        address: format!("{v} 3组12号"),
        point: GeoPoint::new(108.39, 30.81).expect("point"),
        structure: StructureType::BrickWood,
        floors: 2,
        rooms,
        year_built: Some(1998),
        owner_household_id: None,
    };
    let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let villages = w
        .people
        .values()
        .map(|p| p.area.to_string())
        .filter(|a| a.len() == 12 && a.starts_with("500101"))
        .collect::<std::collections::BTreeSet<_>>();
    let v: Vec<&String> = villages.iter().collect();
    assert!(v.len() >= 2, "the world has two 万州 villages: {v:?}");
    store
        .insert_houses(
            &all,
            &[
                (ids[0], house(v[0], Some(4))),
                (ids[1], house(v[1], None)),
                (ids[2], house("500102001001", Some(3))),
                (ids[3], house(v[0], Some(3))),
            ],
            true,
        )
        .await
        .expect("houses");
    store.archive_house(&all, ids[3]).await.expect("archive");
    let d = DisasterInput {
        name: "2023年7月万州等地暴雨洪涝灾害".into(),
        hazard: "rainstorm_flood".into(),
        started_on: "2023-07-03".into(),
        ended_on: Some("2023-07-05".into()),
        area: "50".into(),
        affected: vec!["500101".into(), "500102".into()],
        target_move_in: "2024-02-10".into(),
        case_grades: None,
        id: None,
    }
    .validate()
    .expect("valid");
    let disaster = store
        .declare_disaster(&w.scope("city_leader"), None, &d)
        .await
        .expect("declare")
        .id;
    let officer = w.person("gst_staff").officer_id.expect("officer");
    Fixture {
        store,
        w,
        disaster,
        h1: ids[0],
        h2: ids[1],
        h3: ids[2],
        h4: ids[3],
        officer,
    }
}

const HEADER: [&str; 12] = [
    "start",
    "house/house_id",
    "damage/grade",
    "damage/rooms_collapsed",
    "damage/rooms_damaged",
    "assessor",
    "note",
    "location",
    "_id",
    "_uuid",
    "_submission_time",
    "_index",
];

/// One Kobo row: house, grade, rooms collapsed, damaged, geopoint, uuid, time.
fn row(
    f: &Fixture,
    house: Uuid,
    grade: &str,
    c: &str,
    d: &str,
    loc: &str,
    uuid: &str,
    t: &str,
) -> Vec<String> {
    [
        "2023-07-08T09:00:00.000+08:00",
        &house.to_string(),
        grade,
        c,
        d,
        &f.officer.to_string(),
        "后墙开裂",
        loc,
        "1001",
        uuid,
        t,
        "1",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn good(f: &Fixture) -> Vec<Vec<String>> {
    vec![
        HEADER.map(str::to_owned).to_vec(),
        row(
            f,
            f.h1,
            "C",
            "0",
            "2",
            "30.81 108.39 250 5",
            "k-1",
            "2023-07-08T10:00:00",
        ),
        row(f, f.h2, "b", "0", "1", "", "k-2", "2023-07-09T02:00:00"),
    ]
}

fn csv(rows: &[Vec<String>], sep: u8) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().delimiter(sep).from_writer(vec![]);
    for r in rows {
        w.write_record(r).expect("row");
    }
    w.into_inner().expect("csv")
}

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, r) in rows.iter().enumerate() {
        for (j, c) in r.iter().enumerate() {
            ws.write_string(i as u32, j as u16, c).expect("cell");
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

/// The rows as a Kobo CSV (`;`, UTF-8), a GB18030 CSV (`,`) and an XLSX export.
fn files(rows: &[Vec<String>]) -> Vec<(&'static str, Vec<u8>)> {
    let text = String::from_utf8(csv(rows, b',')).expect("utf8");
    let (gb, _, _) = GB18030.encode(&text);
    vec![
        ("utf-8", csv(rows, b';')),
        ("gb18030", gb.into_owned()),
        ("xlsx", xlsx(rows)),
    ]
}

async fn import(
    f: &Fixture,
    who: &str,
    bytes: &[u8],
    opts: &FieldImportOptions,
) -> anju_store::FileImport {
    f.store
        .import_field_file(
            &f.w.scope(who),
            f.disaster,
            bytes,
            opts,
            &ImportProgress::default(),
        )
        .await
        .expect("import")
}

fn done(r: anju_store::FileImport) -> ImportSummary {
    match r.outcome {
        ImportOutcome::Done(s) => s,
        ImportOutcome::Rejected(e) => panic!("rejected: {e:#?}"),
    }
}

fn rejected(r: &anju_store::FileImport) -> Vec<RowError> {
    match &r.outcome {
        ImportOutcome::Rejected(e) => e.clone(),
        ImportOutcome::Done(s) => panic!("imported: {s:?}"),
    }
}

async fn assessed(f: &Fixture) -> i64 {
    f.store
        .recovery_overview(&f.w.scope("city_leader"), f.disaster, Some(code("50")))
        .await
        .expect("overview")
        .totals
        .houses_assessed
}

fn plain() -> FieldImportOptions {
    FieldImportOptions::default()
}

#[tokio::test]
async fn a_file_with_bad_rows_imports_nothing_and_names_every_one() {
    for b in backends() {
        let f = fixture(b).await;
        let mut rows = good(&f);
        let base = rows[1].clone();
        let mut bad = |col: usize, v: String, uuid: &str| {
            let mut r = base.clone();
            r[col] = v;
            r[9] = uuid.to_owned();
            rows.push(r);
        };
        bad(1, Uuid::now_v7().to_string(), "x1"); // 4: unknown house
        bad(1, f.h3.to_string(), "x2"); // 5: outside the importer's scope
        bad(2, "E".into(), "x3"); // 6: bad grade
        bad(4, "two".into(), "x4"); // 7: rooms not a number
        bad(4, "5".into(), "x5"); // 8: more rooms than the house's 4
        bad(7, "30.81 north".into(), "x6"); // 9: malformed geopoint
        bad(9, "k-1".into(), "k-1"); // 10: duplicate _uuid
        bad(9, String::new(), ""); // 11: missing _uuid
        bad(10, "2023-07-32T10:00:00".into(), "x9"); // 12: bad date
        bad(1, f.h4.to_string(), "x10"); // 13: archived house
        let expect: &[(u64, &str, &str)] = &[
            (4, "house/house_id", "no such house"),
            (5, "house/house_id", "outside your scope"),
            (6, "damage/grade", "is not a grade"),
            (7, "damage/rooms_damaged", "not a whole number"),
            (8, "damage/rooms_damaged", "more than the house's 4 rooms"),
            (9, "location", "not a geopoint"),
            (10, "_uuid", "duplicate _uuid"),
            (11, "_uuid", "missing _uuid"),
            (12, "_submission_time", "not a date"),
            (13, "house/house_id", "archived"),
        ];
        for (what, bytes) in files(&rows) {
            for dry_run in [false, true] {
                let opts = FieldImportOptions { dry_run, ..plain() };
                let r = import(&f, "wz_leader", &bytes, &opts).await;
                let e = rejected(&r);
                let got: Vec<(u64, &str, &str)> = e
                    .iter()
                    .map(|e| (e.line, e.column.as_str(), e.reason.as_str()))
                    .collect();
                assert_eq!(got.len(), expect.len(), "{b:?} {what}: {got:#?}");
                for (g, x) in got.iter().zip(expect) {
                    assert_eq!((g.0, g.1), (x.0, x.1), "{b:?} {what}: {}", g.2);
                    assert!(g.2.contains(x.2), "{b:?} {what} line {}: {:?}", g.0, g.2);
                }
                // The report is the file's rows with the error column.
                let report = String::from_utf8(r.report.clone().expect("report")).expect("utf8");
                assert!(report.contains("错误 (errors)"), "{report}");
                assert!(report.contains("no such house"), "{report}");
                assert_eq!(
                    report.lines().count(),
                    rows.len(),
                    "{what}: one line per row"
                );
            }
        }
        assert_eq!(assessed(&f).await, 0, "{b:?}: nothing imported");
    }
}

#[tokio::test]
async fn re_imports_are_idempotent_and_edits_are_new_versions() {
    for b in backends() {
        let f = fixture(b).await;
        let rows = good(&f);
        let files = files(&rows);
        // Dry run: counts, nothing written.
        let dry = FieldImportOptions {
            dry_run: true,
            ..plain()
        };
        let s = done(import(&f, "wz_leader", &files[0].1, &dry).await);
        assert_eq!((s.added, s.changed, s.unchanged), (2, 0, 0), "{b:?}");
        assert_eq!(assessed(&f).await, 0);

        let s = done(import(&f, "wz_leader", &files[0].1, &plain()).await);
        assert_eq!(
            (s.total, s.added, s.changed, s.unchanged),
            (2, 2, 0, 0),
            "{b:?}"
        );
        assert_eq!(assessed(&f).await, 2);
        let case = f
            .store
            .case_of_house(&Scope::everything(), f.disaster, f.h1)
            .await
            .expect("case");
        assert!(case.is_some(), "the C house has a case");

        // The same submissions again, from each kind of file: nothing changes.
        for (what, bytes) in &files {
            let s = done(import(&f, "gst_staff", bytes, &plain()).await);
            assert_eq!((s.added, s.changed, s.unchanged), (0, 0, 2), "{b:?} {what}");
        }
        assert_eq!(assessed(&f).await, 2);

        // An edited submission (the grade of k-2 corrected to C): a new version of the
        // house's assessment; the other is left alone.
        let mut edited = rows.clone();
        edited[2][2] = "C".into();
        let bytes = csv(&edited, b',');
        let s = done(import(&f, "wz_leader", &bytes, &dry).await);
        assert_eq!(
            (s.added, s.changed, s.unchanged),
            (0, 1, 1),
            "{b:?} dry run"
        );
        let s = done(import(&f, "wz_leader", &bytes, &plain()).await);
        assert_eq!((s.added, s.changed, s.unchanged), (0, 1, 1), "{b:?}");
        let page = f
            .store
            .list_assessments(
                &f.w.scope("wz_leader"),
                f.disaster,
                &AssessmentQuery::default(),
            )
            .await
            .expect("list");
        let h2 = page
            .items
            .iter()
            .find(|a| a.house_id == f.h2)
            .expect("h2's latest");
        assert_eq!((h2.version, h2.outcome.as_str()), (2, "C"), "{b:?}");
        assert_eq!(h2.source_uuid.as_deref(), Some("k-2#2"));
        let detail = f
            .store
            .assessment(&f.w.scope("wz_leader"), h2.id)
            .await
            .expect("detail");
        assert_eq!(detail.versions.len(), 2);
        assert_eq!(assessed(&f).await, 2, "still two houses");
        assert!(
            f.store
                .case_of_house(&Scope::everything(), f.disaster, f.h2)
                .await
                .expect("case")
                .is_some(),
            "the re-graded house opened a case"
        );
        // And that edit again: unchanged.
        let s = done(import(&f, "wz_leader", &bytes, &plain()).await);
        assert_eq!((s.added, s.changed, s.unchanged), (0, 0, 2), "{b:?}");
    }
}

#[tokio::test]
async fn mappings_are_saved_per_form_and_area() {
    for b in backends() {
        let f = fixture(b).await;
        // A form whose questions have other names, and numbered grade choices.
        let rows: Vec<Vec<String>> = vec![
            ["_uuid", "fw:hid", "jd:dj", "jd:rq", "_submission_time"]
                .map(str::to_owned)
                .to_vec(),
            vec![
                "m-1".into(),
                f.h1.to_string(),
                "4".into(),
                "2023-07-07".into(),
                "2023-07-09T01:00:00".into(),
            ],
        ];
        let bytes = csv(&rows, b',');
        let r = import(&f, "wz_leader", &bytes, &plain()).await;
        assert!(
            rejected(&r)
                .iter()
                .any(|e| e.reason.contains("no column holds the grade")),
            "{b:?}"
        );
        let mapping = FieldMapping {
            fields: [
                ("house_id".to_owned(), "fw/hid".to_owned()),
                ("outcome".to_owned(), "dj".to_owned()),
                ("assessed_on".to_owned(), "jd/rq".to_owned()),
            ]
            .into(),
            grades: [("4".to_owned(), "D".to_owned())].into(),
        };
        let saved = f
            .store
            .save_field_form(&f.w.scope("wz_leader"), "万州区房屋安全鉴定表", &mapping)
            .await
            .expect("save");
        assert_eq!(saved.area, "500101");
        // The district's towns read it; a sibling district does not.
        let got = f
            .store
            .field_form(&f.w.scope("gst_staff"), "万州区房屋安全鉴定表")
            .await
            .expect("town reads the district's mapping");
        assert_eq!(got.mapping, mapping);
        assert!(matches!(
            f.store
                .field_form(&f.w.scope("fl_leader"), "万州区房屋安全鉴定表")
                .await,
            Err(StoreError::NotFound)
        ));
        // A bad mapping is refused.
        let bad = FieldMapping {
            fields: [("house".to_owned(), "x".to_owned())].into(),
            grades: Default::default(),
        };
        assert!(matches!(
            f.store
                .save_field_form(&f.w.scope("wz_leader"), "x", &bad)
                .await,
            Err(StoreError::Validation(_))
        ));
        let opts = FieldImportOptions {
            form: Some("万州区房屋安全鉴定表".into()),
            ..plain()
        };
        let s = done(import(&f, "gst_staff", &bytes, &opts).await);
        assert_eq!(s.added, 1, "{b:?}");
        let page = f
            .store
            .list_assessments(
                &f.w.scope("wz_leader"),
                f.disaster,
                &AssessmentQuery::default(),
            )
            .await
            .expect("list");
        assert_eq!(page.items[0].outcome.as_str(), "D");
        assert_eq!(page.items[0].assessed_on, "2023-07-07");
    }
}
