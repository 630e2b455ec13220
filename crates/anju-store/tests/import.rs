//! Imports, exports and backups through the store, on both backends: every kind of bad
//! row refused with nothing written, idempotent re-imports, dry runs, export round trips
//! and a backup restored table by table.

use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_io::synth::households_csv;
use anju_io::write::{Format, Sink};
use anju_io::{Kind, RowError};
use anju_store::{AreaSeed, Backend, ImportOutcome, ImportProgress, ImportSummary, Store};
use anju_testdb::{backends, fresh_store_with};

fn seed(c: &str, zh: &str) -> AreaSeed {
    AreaSeed {
        code: AreaCode::parse(c).expect("code"),
        name_zh: zh.into(),
        name_official: zh.into(),
        name_en: zh.into(),
        point: GeoPoint::new(108.4, 30.8),
        point_approximate: c.len() > 6,
    }
}

const V1: &str = "500101001001";
const V2: &str = "500101001002";
const V3: &str = "500102001001";

async fn store(b: Backend) -> Store {
    // 2026-11-27T00:00:00Z
    let s = fresh_store_with(b, Clock::manual(1_795_737_600_000)).await;
    s.upsert_areas(
        &Scope::everything(),
        &[
            seed("50", "重庆市"),
            seed("500101", "万州区"),
            seed("500101001", "高笋塘街道"),
            seed(V1, "东方广场社区"),
            seed(V2, "乌龙池社区"),
            seed("500102", "涪陵区"),
            seed("500102001", "敦仁街道"),
            seed(V3, "黄旗社区"),
        ],
    )
    .await
    .expect("areas");
    s
}

/// Every table, row by row (a dump, sorted within each table).
async fn snapshot(s: &Store) -> Vec<String> {
    let mut out = Vec::new();
    s.dump(&mut out, &|_, _, _| {}).await.expect("dump");
    let text = String::from_utf8(out).expect("utf8");
    let mut tables: Vec<Vec<String>> = Vec::new();
    for line in text.lines().skip(1) {
        if line.starts_with("{\"table\"") {
            tables.push(vec![line.to_owned()]);
        } else if let Some(t) = tables.last_mut() {
            t.push(line.to_owned());
        }
    }
    tables
        .into_iter()
        .flat_map(|mut t| {
            t[1..].sort();
            t
        })
        .collect()
}

async fn import(s: &Store, scope: &Scope, kind: Kind, bytes: &[u8], dry: bool) -> ImportOutcome {
    s.import_file(scope, kind, bytes, None, dry, &ImportProgress::default())
        .await
        .expect("import")
        .outcome
}

fn done(o: ImportOutcome) -> ImportSummary {
    match o {
        ImportOutcome::Done(s) => s,
        ImportOutcome::Rejected(e) => panic!("rejected: {e:?}"),
    }
}

fn rejected(o: ImportOutcome) -> Vec<RowError> {
    match o {
        ImportOutcome::Rejected(e) => e,
        ImportOutcome::Done(s) => panic!("imported: {s:?}"),
    }
}

fn gb18030(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

fn xlsx(csv: &str) -> Vec<u8> {
    let mut sink = Sink::new(Format::Xlsx, "Sheet1").expect("sink");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    for rec in r.records() {
        let rec = rec.expect("record");
        let cells: Vec<&str> = rec.iter().collect();
        sink.row(&cells).expect("row");
    }
    sink.finish().expect("xlsx")
}

const HEAD: &str =
    "户编号,区划代码,地址,户主姓名,联系电话,成员姓名,性别,出生日期,身份证号,与户主关系,特殊群体";

fn good_rows() -> Vec<String> {
    vec![
        format!(
            "A1,{V1},3组12号,张建国,13812345678,张建国,男,1950-05-06,500101195005060014,户主,残疾"
        ),
        "A1,,,,,李秀英,女,1952-01-01,,配偶,".to_owned(),
        format!("B2,{V2},4组1号,王五,,王五,男,1980-02-02,,户主,"),
    ]
}

fn file(rows: &[String]) -> String {
    let mut s = HEAD.to_owned();
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s
}

/// One bad file per kind of problem, with the line and column each must be named at.
type BadFile = (&'static str, String, Vec<(u64, &'static str)>);

fn bad_files() -> Vec<BadFile> {
    let good = good_rows();
    let with = |i: usize, r: String| {
        let mut v = good.clone();
        v[i] = r;
        file(&v)
    };
    vec![
        (
            "wrong header",
            file(&good).replace("户主姓名", "户主名"),
            vec![(1, "户主名"), (1, "户主姓名")],
        ),
        (
            "missing header",
            file(&good)
                .replacen(",性别", "", 1)
                .replace(",男,", ",")
                .replace(",女,", ","),
            vec![(1, "性别")],
        ),
        (
            "unknown area",
            with(
                2,
                "B2,500101001999,4组1号,王五,,王五,男,1980-02-02,,户主,".to_owned(),
            ),
            vec![(4, "区划代码")],
        ),
        (
            "duplicate key",
            with(2, format!("A1,{V2},4组1号,王五,,王五,男,1980-02-02,,户主,")),
            vec![(4, "区划代码"), (4, "地址"), (4, "户主姓名")],
        ),
        (
            "bad date",
            with(1, "A1,,,,,李秀英,女,1952-13-01,,配偶,".into()),
            vec![(3, "出生日期")],
        ),
        (
            "bad check digit",
            with(
                0,
                format!(
                    "A1,{V1},3组12号,张建国,13812345678,张建国,男,1950-05-06,500101195005060015,户主,"
                ),
            ),
            vec![(2, "身份证号")],
        ),
        (
            "bad phone",
            with(
                2,
                format!("B2,{V2},4组1号,王五,12345,王五,男,1980-02-02,,户主,"),
            ),
            vec![(4, "联系电话")],
        ),
        ("empty file", String::new(), vec![(0, "")]),
        ("header only", format!("{HEAD}\n"), vec![(0, "")]),
    ]
}

fn lines_and_columns(e: &[RowError]) -> Vec<(u64, String)> {
    e.iter().map(|e| (e.line, e.column.clone())).collect()
}

#[tokio::test]
async fn every_bad_row_kind_is_refused_and_nothing_changes() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        // Something already there, so "unchanged" means more than "empty".
        done(
            import(
                &s,
                &all,
                Kind::Households,
                households_csv(&[V1, V2], 5).as_bytes(),
                false,
            )
            .await,
        );
        let before = snapshot(&s).await;
        for (what, csv, want) in bad_files() {
            for (enc, bytes) in [
                ("utf-8", csv.clone().into_bytes()),
                ("gb18030", gb18030(&csv)),
                ("xlsx", xlsx(&csv)),
            ] {
                if enc == "xlsx" && csv.is_empty() {
                    continue; // an XLSX file is never zero bytes; an empty sheet is tested below
                }
                let e = rejected(import(&s, &all, Kind::Households, &bytes, false).await);
                let got = lines_and_columns(&e);
                for (line, col) in &want {
                    assert!(
                        got.iter().any(|(l, c)| l == line && c == col),
                        "{b:?} {what} ({enc}): expected line {line} column {col}, got {e:?}"
                    );
                }
            }
        }
        // A sheet with nothing on it.
        let e = rejected(import(&s, &all, Kind::Households, &xlsx(""), false).await);
        assert_eq!(e[0].reason, "the file is empty");
        // Bytes in no encoding, and an over-long line.
        let mut bytes = file(&good_rows()).into_bytes();
        bytes.extend_from_slice(b"A3,\xFF\xFE\xFF,x\n");
        let e = rejected(import(&s, &all, Kind::Households, &bytes, false).await);
        assert_eq!(e[0].line, 5, "{e:?}");
        let long = format!(
            "{}\nC3,{V1},{},x,,x,男,1980-02-02,,,\n",
            file(&good_rows()).trim_end(),
            "长".repeat(30_000)
        );
        let e = rejected(import(&s, &all, Kind::Households, long.as_bytes(), false).await);
        assert!(
            e.iter().any(|e| e.line == 5 && e.reason.contains("longer")),
            "{e:?}"
        );
        // Every bad row of one file is reported, not just the first.
        let mut many = good_rows();
        many.push(format!("C3,{V1},x,x,,x,男,1999-99-99,,,"));
        many.push(format!("D4,{V1},x,x,,x,男,1980-01-01,500101195005060015,,"));
        let e = rejected(import(&s, &all, Kind::Households, file(&many).as_bytes(), false).await);
        assert_eq!(
            e.iter().map(|e| e.line).collect::<Vec<_>>(),
            [5, 6],
            "{e:?}"
        );
        // Outside the caller's scope: the row is named, nothing is written.
        let wanzhou = Scope::area(AreaCode::parse("500101").expect("code"), true);
        let mut out = good_rows();
        out.push(format!("F5,{V3},涪陵1号,赵六,,赵六,男,1970-01-01,,户主,"));
        let e =
            rejected(import(&s, &wanzhou, Kind::Households, file(&out).as_bytes(), false).await);
        assert_eq!(lines_and_columns(&e), [(5, "区划代码".to_owned())], "{e:?}");
        assert!(e[0].reason.contains("outside your scope"));
        assert_eq!(
            snapshot(&s).await,
            before,
            "{b:?}: a refused import changed the store"
        );
    }
}

#[tokio::test]
async fn other_kinds_report_bad_numbers_and_references() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        let before = snapshot(&s).await;
        let houses = format!(
            "房屋编号,区划代码,地址,经度,纬度,结构类型,层数\nh1,{V1},1号,108.4,30.8,砖混,2\nh2,{V1},2号,108.4,abc,砖木,two\nh1,{V1},3号,108.4,30.8,土木,1\n"
        );
        for bytes in [houses.clone().into_bytes(), gb18030(&houses), xlsx(&houses)] {
            let e = rejected(import(&s, &all, Kind::Houses, &bytes, false).await);
            assert_eq!(
                lines_and_columns(&e),
                [
                    (3, "纬度".to_owned()),
                    (3, "层数".to_owned()),
                    (4, "房屋编号".to_owned())
                ],
                "{e:?}"
            );
        }
        let officers = "人员编号,姓名,单位ID,职责\no1,李四,0190a0a0-0000-7000-8000-000000000000,500101001001:网格员\n";
        let e = rejected(import(&s, &all, Kind::Officers, officers.as_bytes(), false).await);
        assert_eq!(e[0].column, "单位ID", "{e:?}");
        assert_eq!(snapshot(&s).await, before);
    }
}

#[tokio::test]
async fn imports_are_idempotent_and_dry_runs_write_nothing() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        let csv = file(&good_rows());
        let before = snapshot(&s).await;
        let plan = done(import(&s, &all, Kind::Households, csv.as_bytes(), true).await);
        assert_eq!(
            (plan.added, plan.changed, plan.unchanged, plan.dry_run),
            (2, 0, 0, true)
        );
        assert_eq!(snapshot(&s).await, before, "a dry run wrote");
        let first = done(import(&s, &all, Kind::Households, csv.as_bytes(), false).await);
        assert_eq!((first.added, first.changed, first.unchanged), (2, 0, 0));
        let after = snapshot(&s).await;
        // The same rows again (in GB18030 and XLSX too): nothing changes but the audit row.
        for bytes in [csv.clone().into_bytes(), gb18030(&csv), xlsx(&csv)] {
            let again = done(import(&s, &all, Kind::Households, &bytes, false).await);
            assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 2));
        }
        let without_audit = |snap: &[String]| -> Vec<String> {
            let mut in_audit = false;
            snap.iter()
                .filter(|l| {
                    if l.starts_with("{\"table\"") {
                        in_audit = l.contains("\"audit");
                        return false;
                    }
                    !in_audit
                })
                .cloned()
                .collect()
        };
        assert_eq!(without_audit(&snapshot(&s).await), without_audit(&after));
        // A changed row updates that household; the dry run says so first.
        let mut rows = good_rows();
        rows[2] = format!("B2,{V2},4组2号,王五,,王五,男,1980-02-02,,户主,");
        rows.push("B2,,,,,王小五,男,2010-03-03,,子,儿童".into());
        let plan = done(import(&s, &all, Kind::Households, file(&rows).as_bytes(), true).await);
        assert_eq!((plan.added, plan.changed, plan.unchanged), (0, 1, 1));
        done(import(&s, &all, Kind::Households, file(&rows).as_bytes(), false).await);
        let p = s
            .list_households(
                &all,
                &anju_store::ListQuery {
                    q: Some("王五".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].address, "4组2号");
        assert_eq!(p.items[0].members.len(), 2);
        let area = s
            .area(&all, AreaCode::parse("500101").expect("code"))
            .await
            .expect("area");
        assert_eq!(
            (area.households, area.people, area.vulnerable_people),
            (2, 4, 2),
            "{b:?}"
        );
        // The audit trail has one summary row per import that wrote, and still verifies.
        assert!(
            s.verify_audit()
                .await
                .expect("verify")
                .first_break
                .is_none()
        );
    }
}

/// Exports every page of `kind` into one CSV (as the server and CLI stream it).
async fn export(s: &Store, scope: &Scope, kind: Kind, format: Format) -> Vec<u8> {
    let mut sink = Sink::new(format, kind.as_str()).expect("sink");
    sink.row(&kind.zh_headers()).expect("header");
    let mut after = None;
    loop {
        let page = s
            .export_page(scope, kind, None, after.as_ref())
            .await
            .expect("page");
        for r in &page.rows {
            sink.row(r).expect("row");
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    sink.finish().expect("finish")
}

#[tokio::test]
async fn export_then_import_gives_back_the_same_records() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        // More than one export page, with formula-like text in it.
        let mut csv = households_csv(&[V1, V2, V3], 2500);
        csv.push_str(&format!(",Z9,{V1},=HYPERLINK(\"http://x\"),@SUM(A1),+8613812345678,,,,-张三,男,1980-02-02,,+亲属,\n"));
        done(import(&s, &all, Kind::Households, csv.as_bytes(), false).await);
        let unit = "单位编号,单位名称,单位类型,区划代码,联系电话\nu1,万州区应急管理局,部门,500101,023-58001111\n";
        done(import(&s, &all, Kind::Units, unit.as_bytes(), false).await);
        for format in [Format::Csv, Format::Xlsx] {
            let hh = export(&s, &all, Kind::Households, format).await;
            if format == Format::Csv {
                assert!(
                    hh.starts_with(b"\xEF\xBB\xBF"),
                    "CSV exports start with a BOM"
                );
                let text = String::from_utf8_lossy(&hh);
                for cell in [
                    ",\"'=HYPERLINK(",
                    ",'@SUM(A1),13812345678,",
                    ",'-张三,",
                    ",'+亲属,",
                ] {
                    assert!(
                        text.contains(cell),
                        "{cell} not neutralised in {}",
                        &text[text.len() - 300..]
                    );
                }
            }
            let units = export(&s, &all, Kind::Units, format).await;
            let before = snapshot(&s).await;
            let again = done(import(&s, &all, Kind::Households, &hh, false).await);
            assert_eq!(
                (again.added, again.changed, again.unchanged),
                (0, 0, 2501),
                "{b:?} {format:?}"
            );
            let u = done(import(&s, &all, Kind::Units, &units, false).await);
            assert_eq!(u.unchanged, 1);
            // Into a fresh database: the same records come back.
            let fresh = store(b).await;
            done(import(&fresh, &all, Kind::Units, &units, false).await);
            done(import(&fresh, &all, Kind::Households, &hh, false).await);
            let records = |snap: Vec<String>| -> Vec<String> {
                let mut keep = false;
                snap.into_iter()
                    .filter(|l| {
                        if l.starts_with("{\"table\"") {
                            keep = l.contains("\"households\"")
                                || l.contains("\"members\"")
                                || l.contains("\"units\"")
                                || l.contains("\"area_counts\"");
                        }
                        keep
                    })
                    .map(|l| l.split(",\"created_at\"").next().unwrap_or(&l).to_owned())
                    .collect()
            };
            assert_eq!(
                records(snapshot(&fresh).await),
                records(before),
                "{b:?} {format:?}"
            );
        }
        // Masked for a scope without personal data; refused without the Export right.
        let masked = export(
            &s,
            &all.with_personal_data(false),
            Kind::Households,
            Format::Csv,
        )
        .await;
        let text = String::from_utf8_lossy(&masked);
        assert!(
            !text.contains("13812345678") && text.contains("*"),
            "personal data masked"
        );
        let village = Scope::user(
            AreaCode::parse(V1).expect("code"),
            anju_core::Role::Village,
            anju_core::Actor {
                user_id: uuid::Uuid::nil(),
                ip: None,
            },
        );
        assert!(
            s.export_page(&village, Kind::Households, None, None)
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn backup_and_restore_give_back_every_table() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        done(
            import(
                &s,
                &all,
                Kind::Households,
                households_csv(&[V1, V2, V3], 300).as_bytes(),
                false,
            )
            .await,
        );
        let houses = format!(
            "房屋编号,区划代码,地址,经度,纬度,结构类型,层数\nh1,{V1},1号,108.43219876543211,30.1,砖混,2\n"
        );
        done(import(&s, &all, Kind::Houses, houses.as_bytes(), false).await);
        let before = snapshot(&s).await;
        let mut dump = Vec::new();
        s.dump(&mut dump, &|_, _, _| {}).await.expect("dump");
        // Into an empty database of each backend: the same backend, and across.
        for target in backends() {
            let t = fresh_store_with(target, Clock::System).await;
            t.restore(&mut dump.as_slice(), &|_, _, _| {})
                .await
                .expect("restore");
            if target == b {
                assert_eq!(snapshot(&t).await, before, "{b:?} → {target:?}");
            }
            assert!(
                t.verify_audit()
                    .await
                    .expect("verify")
                    .first_break
                    .is_none()
            );
            assert_eq!(t.household_count(&all).await.expect("count"), 300);
            // A second restore into the now non-empty database is refused.
            assert!(
                t.restore(&mut dump.as_slice(), &|_, _, _| {})
                    .await
                    .is_err()
            );
        }
        if b == Backend::Sqlite {
            let dir = std::env::temp_dir().join("anju-tests");
            let path = dir.join(format!("{}.backup.sqlite", uuid::Uuid::now_v7()));
            s.backup_sqlite_file(&path).await.expect("vacuum into");
            let copy = Store::open(&format!("sqlite:{}", path.display()), Clock::System)
                .await
                .expect("open copy");
            assert_eq!(snapshot(&copy).await, before);
        }
    }
}
