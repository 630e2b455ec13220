//! Imports: a parsed file checked against the database (areas, scope, references, ids
//! of records the caller cannot see), compared with what is stored, and written in one
//! transaction — or not at all. A dry run does the same reading and writes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use anju_core::household::{House, Household, Member, Vulnerability, format_date};
use anju_core::officer::{Officer, Unit};
use anju_core::{AreaCode, AreaLevel, Permission, Scope};
use anju_io::{Batch, HeaderMap, Parsed, RowError};
use serde::Serialize;

use crate::audit::{AuditEntry, append_audit};
use crate::pool::on_pool;
use crate::{Result, Store};

/// Rows per multi-row INSERT: under SQLite's bound-parameter limit for the widest table.
const CHUNK: usize = 2000;
/// Ids per `IN (…)` lookup.
const LOOKUP: usize = 5000;

/// What an import did, or would do (dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub kind: String,
    pub total: u64,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub dry_run: bool,
}

/// The result of an import: done (or planned), or refused with every bad row.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    Done(ImportSummary),
    Rejected(Vec<RowError>),
}

/// How far an import is: records in the file (known once it is parsed) and records
/// written. Shared with whoever shows progress (a CLI bar, a job's status).
#[derive(Debug, Default)]
pub struct ImportProgress {
    total: AtomicU64,
    done: AtomicU64,
}

impl ImportProgress {
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
    pub(crate) fn set_total(&self, n: u64) {
        self.total.store(n, Ordering::Relaxed);
    }
    pub(crate) fn set_done(&self, n: u64) {
        self.done.store(n, Ordering::Relaxed);
    }
}

type Progress<'a> = &'a ImportProgress;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Add,
    Change,
    Same,
}

type MemberFp = (String, String, String, Option<String>, Option<String>, i64);

/// A household as stored, in a form both the file and the database produce.
#[derive(Debug, Clone, PartialEq)]
struct HouseholdFp {
    area: i64,
    address: String,
    head_name: String,
    phone: Option<String>,
    responsible: Option<String>,
    grid: Option<String>,
    poverty: String,
    members: Vec<MemberFp>,
}

fn member_fp(m: &Member) -> MemberFp {
    (
        m.name.clone(),
        m.sex.as_str().to_owned(),
        format_date(m.birth_date),
        m.id_number.as_ref().map(|n| n.expose().to_owned()),
        m.relation.clone(),
        Vulnerability::to_bits(&m.vulnerabilities),
    )
}

fn household_fp(h: &Household) -> HouseholdFp {
    HouseholdFp {
        area: h.area.padded(),
        address: h.address.clone(),
        head_name: h.head_name.clone(),
        phone: h.phone.as_ref().map(|p| p.expose().to_owned()),
        responsible: h.responsible_officer_id.map(|u| u.to_string()),
        grid: h.grid_officer_id.map(|u| u.to_string()),
        poverty: h.poverty_category.as_str().to_owned(),
        members: h.members.iter().map(member_fp).collect(),
    }
}

fn vulnerable(h: &Household) -> i64 {
    h.members
        .iter()
        .filter(|m| !m.vulnerabilities.is_empty())
        .count() as i64
}

type HouseFp = (
    i64,
    String,
    f64,
    f64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn house_fp(h: &House) -> HouseFp {
    (
        h.area.padded(),
        h.address.clone(),
        h.point.lon,
        h.point.lat,
        h.structure.as_str().to_owned(),
        h.floors,
        h.rooms,
        h.year_built,
        h.owner_household_id.map(|u| u.to_string()),
    )
}

type UnitFp = (String, String, i64, Option<String>);

fn unit_fp(u: &Unit) -> UnitFp {
    (
        u.name.clone(),
        u.kind.as_str().to_owned(),
        u.area.padded(),
        u.phone.as_ref().map(|p| p.expose().to_owned()),
    )
}

type OfficerFp = (
    String,
    Option<String>,
    String,
    Option<String>,
    Vec<(i64, String)>,
);

fn officer_fp(o: &Officer) -> OfficerFp {
    let mut duties: Vec<(i64, String)> = o
        .duties
        .iter()
        .map(|d| (d.area.padded(), d.role.as_str().to_owned()))
        .collect();
    duties.sort();
    duties.dedup();
    (
        o.name.clone(),
        o.phone.as_ref().map(|p| p.expose().to_owned()),
        o.unit_id.to_string(),
        o.title.clone(),
        duties,
    )
}

/// Rolled-up count changes per area code: (households, people, vulnerable).
type Deltas = HashMap<i64, (i64, i64, i64)>;

fn bump(d: &mut Deltas, area: AreaCode, sign: i64, people: i64, vuln: i64) {
    for a in area.path() {
        let e = d.entry(a.padded()).or_default();
        e.0 += sign;
        e.1 += sign * people;
        e.2 += sign * vuln;
    }
}

/// Checks shared by every kind: the caller's scope first (so nothing outside it is
/// confirmed to exist), then that the area is a live one of the right level.
struct AreaCheck<'a> {
    scope: &'a Scope,
    live: HashMap<i64, String>,
}

impl AreaCheck<'_> {
    fn check(
        &self,
        area: AreaCode,
        want: Option<AreaLevel>,
        line: u64,
        column: String,
        errors: &mut Vec<RowError>,
    ) {
        if !self.scope.contains(area) {
            errors.push(RowError::new(
                line,
                column,
                format!("the area {area} is outside your scope"),
            ));
        } else if want.is_some_and(|l| l != area.level()) || !self.live.contains_key(&area.padded())
        {
            let what = match want {
                Some(l) => format!("unknown {} code {area}", l.as_str()),
                None => format!("unknown area code {area}"),
            };
            errors.push(RowError::new(line, column, what));
        }
    }
}

fn not_visible(line: u64, column: String) -> RowError {
    RowError::new(
        line,
        column,
        "this id belongs to a record outside your scope",
    )
}

fn archived(line: u64, column: String) -> RowError {
    RowError::new(line, column, "this id belongs to an archived record")
}

/// Runs `$sql` (ending in `IN (`) for `$ids` in chunks on `$tx`, collecting rows of `$ty`.
macro_rules! lookup {
    ($tx:expr, $sql:expr, $ids:expr, $ty:ty) => {{
        let mut out: Vec<$ty> = Vec::new();
        for chunk in $ids.chunks(LOOKUP) {
            let mut qb = sqlx::QueryBuilder::new($sql);
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id.clone());
            }
            qb.push(")");
            out.extend(qb.build_query_as::<$ty>().fetch_all(&mut *$tx).await?);
        }
        out
    }};
}

/// Writes the rolled-up count changes in `$tx`.
macro_rules! write_deltas {
    ($tx:expr, $deltas:expr) => {{
        let rows: Vec<(i64, (i64, i64, i64))> =
            $deltas.into_iter().filter(|(_, d)| *d != (0, 0, 0)).collect();
        for chunk in rows.chunks(1000) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO area_counts (code, households, people, vulnerable) ",
            );
            qb.push_values(chunk, |mut b, (code, (h, pp, v))| {
                b.push_bind(*code).push_bind(*h).push_bind(*pp).push_bind(*v);
            });
            qb.push(
                " ON CONFLICT (code) DO UPDATE SET households = area_counts.households + excluded.households, \
                 people = area_counts.people + excluded.people, vulnerable = area_counts.vulnerable + excluded.vulnerable",
            );
            qb.build().execute(&mut *$tx).await?;
        }
    }};
}

fn member_rows<'a>(items: &[(&'a Parsed<Household>, Action)]) -> Vec<(String, i64, &'a Member)> {
    items
        .iter()
        .flat_map(|(p, _)| {
            let id = p.id.to_string();
            p.value
                .members
                .iter()
                .enumerate()
                .map(move |(i, m)| (id.clone(), i as i64, m))
        })
        .collect()
}

/// An INSERT of many rows through one parameter, a JSON array of row arrays: one bind
/// per chunk instead of one per cell, no bound-parameter limit, the same text every time
/// (prepared once). Column types are needed for PostgreSQL's casts.
pub(crate) fn json_insert_sql(
    backend: crate::Backend,
    table: &str,
    cols: &[(&str, &str)],
) -> String {
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let values: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| match backend {
            crate::Backend::Sqlite => format!("value ->> {i}"),
            crate::Backend::Postgres => format!("(e ->> {i})::{ty}"),
        })
        .collect();
    match backend {
        crate::Backend::Sqlite => format!(
            "INSERT INTO {table} ({}) SELECT {} FROM json_each($1)",
            names.join(", "),
            values.join(", ")
        ),
        crate::Backend::Postgres => format!(
            "INSERT INTO {table} ({}) SELECT {} FROM json_array_elements($1::json) e",
            names.join(", "),
            values.join(", ")
        ),
    }
}

const MEMBER_COLS: &[(&str, &str)] = &[
    ("household_id", "text"),
    ("idx", "bigint"),
    ("name", "text"),
    ("sex", "text"),
    ("birth_date", "text"),
    ("id_number", "text"),
    ("relation", "text"),
    ("vulnerabilities", "bigint"),
];

const HOUSEHOLD_COLS: &[(&str, &str)] = &[
    ("id", "text"),
    ("area_code", "bigint"),
    ("address", "text"),
    ("head_name", "text"),
    ("phone", "text"),
    ("responsible_officer_id", "text"),
    ("grid_officer_id", "text"),
    ("poverty_category", "text"),
    ("people", "bigint"),
    ("vulnerable", "bigint"),
    ("created_at", "bigint"),
    ("updated_at", "bigint"),
];

fn members_json(rows: &[(String, i64, &Member)]) -> String {
    let v: Vec<serde_json::Value> = rows
        .iter()
        .map(|(hid, i, m)| {
            serde_json::json!([
                hid,
                i,
                m.name,
                m.sex.as_str(),
                format_date(m.birth_date),
                m.id_number.as_ref().map(|n| n.expose()),
                m.relation,
                Vulnerability::to_bits(&m.vulnerabilities)
            ])
        })
        .collect();
    serde_json::Value::Array(v).to_string()
}

fn households_json(chunk: &[(&Parsed<Household>, Action)], now: i64) -> String {
    let v: Vec<serde_json::Value> = chunk
        .iter()
        .map(|(p, _)| {
            let x = &p.value;
            serde_json::json!([
                p.id.to_string(),
                x.area.padded(),
                x.address,
                x.head_name,
                x.phone.as_ref().map(|p| p.expose()),
                x.responsible_officer_id.map(|u| u.to_string()),
                x.grid_officer_id.map(|u| u.to_string()),
                x.poverty_category.as_str(),
                x.members.len() as i64,
                vulnerable(x),
                now,
                now
            ])
        })
        .collect();
    serde_json::Value::Array(v).to_string()
}

macro_rules! insert_member_rows {
    ($tx:expr, $sql:expr, $rows:expr) => {
        for chunk in $rows.chunks(3 * CHUNK) {
            sqlx::query(sqlx::AssertSqlSafe($sql.clone()))
                .bind(members_json(chunk))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

fn tally(kind: &str, actions: &[Action], dry_run: bool) -> ImportSummary {
    let n = |a| actions.iter().filter(|x| **x == a).count() as u64;
    ImportSummary {
        kind: kind.to_owned(),
        total: actions.len() as u64,
        added: n(Action::Add),
        changed: n(Action::Change),
        unchanged: n(Action::Same),
        dry_run,
    }
}

fn audit_entry(scope: &Scope, s: &ImportSummary, entity: &'static str) -> AuditEntry {
    AuditEntry {
        action: "import",
        entity,
        entity_id: None,
        area: scope.root(),
        detail: serde_json::json!({
            "records": s.total, "added": s.added, "changed": s.changed, "unchanged": s.unchanged
        }),
    }
}

/// A whole file's import: the outcome, and for a rejected file the report to download.
#[derive(Debug, Clone)]
pub struct FileImport {
    pub outcome: ImportOutcome,
    /// Records the file holds (0 when it could not be read).
    pub records: u64,
    /// The file's rows with an error column (CSV), when rejected.
    pub report: Option<Vec<u8>>,
}

impl Store {
    /// Reads, parses and imports a file's bytes: CSV (UTF-8 or GB18030) or XLSX.
    pub async fn import_file(
        &self,
        scope: &Scope,
        kind: anju_io::Kind,
        bytes: &[u8],
        sheet: Option<&str>,
        dry_run: bool,
        progress: &ImportProgress,
    ) -> Result<FileImport> {
        scope.require(Permission::Create)?;
        let rejected =
            |table: Option<&anju_io::Table>, errors: Vec<RowError>| -> Result<FileImport> {
                let report = anju_io::report::report_csv(table, &errors)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
                Ok(FileImport {
                    outcome: ImportOutcome::Rejected(errors),
                    records: 0,
                    report: Some(report),
                })
            };
        let table = match anju_io::read_table(bytes, sheet) {
            Ok(t) => t,
            Err(e) => return rejected(None, e),
        };
        let parsed = match anju_io::parse_file(kind, &table, self.clock.today()) {
            Ok(p) => p,
            Err(e) => return rejected(Some(&table), e),
        };
        let records = parsed.batch.len() as u64;
        progress.set_total(records);
        // With bad rows the good ones are still checked against the database (nothing is
        // written), so the report names every bad row, not only the first kind found.
        let check_only = dry_run || !parsed.errors.is_empty();
        let outcome = self
            .import(scope, &parsed.batch, &parsed.headers, check_only, progress)
            .await?;
        let mut errors = parsed.errors;
        match outcome {
            ImportOutcome::Rejected(e) => errors.extend(e),
            done if errors.is_empty() => {
                return Ok(FileImport {
                    outcome: done,
                    records,
                    report: None,
                });
            }
            ImportOutcome::Done(_) => {}
        }
        errors.sort_by_key(|e| e.line);
        let mut r = rejected(Some(&table), errors)?;
        r.records = records;
        Ok(r)
    }

    /// Live areas in the scope, padded code → level.
    async fn live_areas(&self, scope: &Scope) -> Result<HashMap<i64, String>> {
        let (lo, hi) = scope.range();
        let rows: Vec<(i64, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT code, level FROM areas WHERE code >= $1 AND code < $2 AND retired_at IS NULL")
            .bind(lo).bind(hi).fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    /// Imports a parsed file under `scope`: all of it in one transaction, or nothing.
    pub async fn import(
        &self,
        scope: &Scope,
        batch: &Batch,
        headers: &HeaderMap,
        dry_run: bool,
        progress: &ImportProgress,
    ) -> Result<ImportOutcome> {
        scope.require(Permission::Create)?;
        let areas = AreaCheck {
            scope,
            live: self.live_areas(scope).await?,
        };
        match batch {
            Batch::Households(v) => {
                self.import_households(scope, v, headers, &areas, dry_run, progress)
                    .await
            }
            Batch::Houses(v) => {
                self.import_houses(scope, v, headers, &areas, dry_run, progress)
                    .await
            }
            Batch::Units(v) => {
                self.import_units(scope, v, headers, &areas, dry_run, progress)
                    .await
            }
            Batch::Officers(v) => {
                self.import_officers(scope, v, headers, &areas, dry_run, progress)
                    .await
            }
        }
    }

    async fn import_households(
        &self,
        scope: &Scope,
        items: &[Parsed<Household>],
        h: &HeaderMap,
        areas: &AreaCheck<'_>,
        dry_run: bool,
        progress: Progress<'_>,
    ) -> Result<ImportOutcome> {
        let mut errors = Vec::new();
        for p in items {
            areas.check(
                p.value.area,
                Some(AreaLevel::Village),
                p.line,
                h.header("area"),
                &mut errors,
            );
        }
        let officer_refs: Vec<String> = items
            .iter()
            .flat_map(|p| [p.value.responsible_officer_id, p.value.grid_officer_id])
            .flatten()
            .map(|u| u.to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let ids: Vec<String> = items.iter().map(|p| p.id.to_string()).collect();
        let (lo, hi) = scope.range();
        let now = self.now();
        let outcome = on_pool!(self, pool => {
            // A big page cache for the load: random-order B-tree inserts into a table larger
            // than the default cache otherwise re-read pages for every chunk.
            let sqlite = self.backend() == crate::Backend::Sqlite;
            let mut conn = pool.acquire().await?;
            if sqlite {
                sqlx::query("PRAGMA cache_size = -1048576").execute(&mut *conn).await?;
            }
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let live_officers: HashSet<String> = lookup!(tx,
                "SELECT id FROM officers WHERE archived_at IS NULL AND id IN (", officer_refs, (String,))
                .into_iter().map(|(s,)| s).collect();
            for p in items {
                for (col, r) in [("responsible_officer_id", p.value.responsible_officer_id), ("grid_officer_id", p.value.grid_officer_id)] {
                    if let Some(r) = r && !live_officers.contains(&r.to_string()) {
                        errors.push(RowError::new(p.line, h.header(col), "no such officer"));
                    }
                }
            }
            type Row = (String, i64, String, String, Option<String>, Option<String>, Option<String>, String, i64, i64, Option<i64>);
            let existing: Vec<Row> = lookup!(tx,
                "SELECT id, area_code, address, head_name, phone, responsible_officer_id, grid_officer_id, \
                 poverty_category, people, vulnerable, archived_at FROM households WHERE id IN (", ids, Row);
            let mut old: HashMap<String, (HouseholdFp, i64, i64, Option<i64>)> = HashMap::with_capacity(existing.len());
            let existing_ids: Vec<String> = existing.iter().map(|r| r.0.clone()).collect();
            for r in existing {
                old.insert(r.0, (HouseholdFp { area: r.1, address: r.2, head_name: r.3, phone: r.4, responsible: r.5,
                    grid: r.6, poverty: r.7, members: vec![] }, r.8, r.9, r.10));
            }
            type MRow = (String, i64, String, String, String, Option<String>, Option<String>, i64);
            let members: Vec<MRow> = lookup!(tx,
                "SELECT household_id, idx, name, sex, birth_date, id_number, relation, vulnerabilities FROM members \
                 WHERE household_id IN (", existing_ids, MRow);
            let mut members_by: HashMap<String, Vec<(i64, MemberFp)>> = HashMap::new();
            for m in members {
                members_by.entry(m.0).or_default().push((m.1, (m.2, m.3, m.4, m.5, m.6, m.7)));
            }
            for (id, mut ms) in members_by {
                ms.sort_by_key(|(i, _)| *i);
                if let Some(o) = old.get_mut(&id) {
                    o.0.members = ms.into_iter().map(|(_, m)| m).collect();
                }
            }
            let mut actions = Vec::with_capacity(items.len());
            let mut deltas = Deltas::new();
            for p in items {
                let action = match old.get(&p.id.to_string()) {
                    None => Action::Add,
                    Some((fp, _, _, _)) if fp.area < lo || fp.area >= hi => {
                        errors.push(not_visible(p.line, h.header("id")));
                        Action::Same
                    }
                    Some((_, _, _, Some(_))) => {
                        errors.push(archived(p.line, h.header("id")));
                        Action::Same
                    }
                    Some((fp, _, _, _)) if *fp == household_fp(&p.value) => Action::Same,
                    Some((fp, people, vuln, _)) => {
                        if let Ok(a) = AreaCode::from_padded(fp.area, AreaLevel::Village) {
                            bump(&mut deltas, a, -1, *people, *vuln);
                        }
                        Action::Change
                    }
                };
                if action != Action::Same {
                    bump(&mut deltas, p.value.area, 1, p.value.members.len() as i64, vulnerable(&p.value));
                }
                actions.push(action);
            }
            let summary = tally("households", &actions, dry_run);
            if !errors.is_empty() {
                errors.sort_by_key(|e| e.line);
                ImportOutcome::Rejected(errors)
            } else if summary.changed > 0 && !scope.can(Permission::Update) {
                return Err(anju_core::Forbidden(Permission::Update).into());
            } else if dry_run {
                ImportOutcome::Done(summary)
            } else {
                let mut done = 0u64;
                let mut adds: Vec<(&Parsed<Household>, Action)> =
                    items.iter().zip(actions.iter().copied()).filter(|(_, a)| *a == Action::Add).collect();
                // In key order, each chunk lands on neighbouring pages of the primary keys.
                adds.sort_unstable_by_key(|(p, _)| p.id);
                let household_sql = json_insert_sql(self.backend(), "households", HOUSEHOLD_COLS);
                let member_sql = json_insert_sql(self.backend(), "members", MEMBER_COLS);
                for chunk in adds.chunks(CHUNK) {
                    sqlx::query(sqlx::AssertSqlSafe(household_sql.clone()))
                        .bind(households_json(chunk, now))
                        .execute(&mut *tx)
                        .await?;
                    let rows = member_rows(chunk);
                    insert_member_rows!(tx, member_sql, rows);
                    done += chunk.len() as u64;
                    progress.set_done(done);
                }
                let changes: Vec<(&Parsed<Household>, Action)> =
                    items.iter().zip(actions.iter().copied()).filter(|(_, a)| *a == Action::Change).collect();
                for (p, _) in &changes {
                    let x = &p.value;
                    sqlx::query(
                        "UPDATE households SET area_code = $2, address = $3, head_name = $4, phone = $5, \
                         responsible_officer_id = $6, grid_officer_id = $7, poverty_category = $8, people = $9, \
                         vulnerable = $10, updated_at = $11 WHERE id = $1",
                    )
                    .bind(p.id.to_string()).bind(x.area.padded()).bind(x.address.clone()).bind(x.head_name.clone())
                    .bind(x.phone.as_ref().map(|p| p.expose().to_owned()))
                    .bind(x.responsible_officer_id.map(|u| u.to_string()))
                    .bind(x.grid_officer_id.map(|u| u.to_string()))
                    .bind(x.poverty_category.as_str()).bind(x.members.len() as i64).bind(vulnerable(x)).bind(now)
                    .execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM members WHERE household_id = $1").bind(p.id.to_string()).execute(&mut *tx).await?;
                    done += 1;
                }
                let rows = member_rows(&changes);
                insert_member_rows!(tx, member_sql, rows);
                write_deltas!(tx, deltas);
                append_audit!(tx, now, scope, [audit_entry(scope, &summary, "household")]);
                tx.commit().await?;
                if sqlite {
                    sqlx::query("PRAGMA cache_size = -65536").execute(&mut *conn).await?;
                }
                progress.set_done(done);
                ImportOutcome::Done(summary)
            }
        });
        Ok(outcome)
    }

    async fn import_houses(
        &self,
        scope: &Scope,
        items: &[Parsed<House>],
        h: &HeaderMap,
        areas: &AreaCheck<'_>,
        dry_run: bool,
        progress: Progress<'_>,
    ) -> Result<ImportOutcome> {
        let mut errors = Vec::new();
        for p in items {
            areas.check(
                p.value.area,
                Some(AreaLevel::Village),
                p.line,
                h.header("area"),
                &mut errors,
            );
        }
        let owners: Vec<String> = items
            .iter()
            .filter_map(|p| p.value.owner_household_id.map(|u| u.to_string()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let ids: Vec<String> = items.iter().map(|p| p.id.to_string()).collect();
        let (lo, hi) = scope.range();
        let now = self.now();
        let outcome = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let live_owners: HashSet<String> = lookup!(tx,
                "SELECT id, area_code FROM households WHERE archived_at IS NULL AND id IN (", owners, (String, i64))
                .into_iter().filter(|(_, a)| *a >= lo && *a < hi).map(|(s, _)| s).collect();
            for p in items {
                if let Some(o) = p.value.owner_household_id && !live_owners.contains(&o.to_string()) {
                    errors.push(RowError::new(p.line, h.header("owner_household_id"), "no such household in your scope"));
                }
            }
            type Row = (String, i64, String, f64, f64, String, i64, Option<i64>, Option<i64>, Option<String>, Option<i64>);
            let existing: Vec<Row> = lookup!(tx,
                "SELECT id, area_code, address, lon, lat, structure, floors, rooms, year_built, owner_household_id, archived_at \
                 FROM houses WHERE id IN (", ids, Row);
            let old: HashMap<String, (HouseFp, Option<i64>)> = existing.into_iter()
                .map(|r| (r.0, ((r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9), r.10))).collect();
            let mut actions = Vec::with_capacity(items.len());
            for p in items {
                actions.push(match old.get(&p.id.to_string()) {
                    None => Action::Add,
                    Some((fp, _)) if fp.0 < lo || fp.0 >= hi => { errors.push(not_visible(p.line, h.header("id"))); Action::Same }
                    Some((_, Some(_))) => { errors.push(archived(p.line, h.header("id"))); Action::Same }
                    Some((fp, _)) if *fp == house_fp(&p.value) => Action::Same,
                    Some(_) => Action::Change,
                });
            }
            let summary = tally("houses", &actions, dry_run);
            if !errors.is_empty() {
                errors.sort_by_key(|e| e.line);
                ImportOutcome::Rejected(errors)
            } else if summary.changed > 0 && !scope.can(Permission::Update) {
                return Err(anju_core::Forbidden(Permission::Update).into());
            } else if dry_run {
                ImportOutcome::Done(summary)
            } else {
                let todo: Vec<&Parsed<House>> = items.iter().zip(&actions).filter(|(_, a)| **a != Action::Same).map(|(p, _)| p).collect();
                let mut done = 0u64;
                for chunk in todo.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO houses (id, area_code, address, lon, lat, structure, floors, rooms, year_built, \
                         owner_household_id, created_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut b, p| {
                        let x = &p.value;
                        b.push_bind(p.id.to_string()).push_bind(x.area.padded()).push_bind(x.address.clone())
                            .push_bind(x.point.lon).push_bind(x.point.lat).push_bind(x.structure.as_str())
                            .push_bind(x.floors).push_bind(x.rooms).push_bind(x.year_built)
                            .push_bind(x.owner_household_id.map(|u| u.to_string())).push_bind(now).push_bind(now);
                    });
                    // An existing id is a change: its fields are replaced, its creation time kept.
                    qb.push(" ON CONFLICT (id) DO UPDATE SET area_code = excluded.area_code, address = excluded.address, \
                             lon = excluded.lon, lat = excluded.lat, structure = excluded.structure, floors = excluded.floors, \
                             rooms = excluded.rooms, year_built = excluded.year_built, \
                             owner_household_id = excluded.owner_household_id, updated_at = excluded.updated_at");
                    qb.build().execute(&mut *tx).await?;
                    done += chunk.len() as u64;
                    progress.set_done(done);
                }
                append_audit!(tx, now, scope, [audit_entry(scope, &summary, "house")]);
                tx.commit().await?;
                ImportOutcome::Done(summary)
            }
        });
        Ok(outcome)
    }

    async fn import_units(
        &self,
        scope: &Scope,
        items: &[Parsed<Unit>],
        h: &HeaderMap,
        areas: &AreaCheck<'_>,
        dry_run: bool,
        progress: Progress<'_>,
    ) -> Result<ImportOutcome> {
        let mut errors = Vec::new();
        for p in items {
            areas.check(p.value.area, None, p.line, h.header("area"), &mut errors);
        }
        let ids: Vec<String> = items.iter().map(|p| p.id.to_string()).collect();
        let (lo, hi) = scope.range();
        let now = self.now();
        let outcome = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            type Row = (String, String, String, i64, Option<String>, Option<i64>);
            let existing: Vec<Row> = lookup!(tx,
                "SELECT id, name, kind, area_code, phone, archived_at FROM units WHERE id IN (", ids, Row);
            let old: HashMap<String, (UnitFp, Option<i64>)> = existing.into_iter()
                .map(|r| (r.0, ((r.1, r.2, r.3, r.4), r.5))).collect();
            let mut actions = Vec::with_capacity(items.len());
            for p in items {
                actions.push(match old.get(&p.id.to_string()) {
                    None => Action::Add,
                    Some((fp, _)) if fp.2 < lo || fp.2 >= hi => { errors.push(not_visible(p.line, h.header("id"))); Action::Same }
                    Some((_, Some(_))) => { errors.push(archived(p.line, h.header("id"))); Action::Same }
                    Some((fp, _)) if *fp == unit_fp(&p.value) => Action::Same,
                    Some(_) => Action::Change,
                });
            }
            let summary = tally("units", &actions, dry_run);
            if !errors.is_empty() {
                errors.sort_by_key(|e| e.line);
                ImportOutcome::Rejected(errors)
            } else if summary.changed > 0 && !scope.can(Permission::Update) {
                return Err(anju_core::Forbidden(Permission::Update).into());
            } else if dry_run {
                ImportOutcome::Done(summary)
            } else {
                let todo: Vec<(&Parsed<Unit>, Action)> = items.iter().zip(actions.iter().copied()).filter(|(_, a)| *a != Action::Same).collect();
                let mut done = 0u64;
                for chunk in todo.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO units (id, name, kind, area_code, phone, created_at, updated_at) ");
                    qb.push_values(chunk, |mut b, (p, _)| {
                        let x = &p.value;
                        b.push_bind(p.id.to_string()).push_bind(x.name.clone()).push_bind(x.kind.as_str())
                            .push_bind(x.area.padded()).push_bind(x.phone.as_ref().map(|p| p.expose().to_owned()))
                            .push_bind(now).push_bind(now);
                    });
                    qb.push(" ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                             area_code = excluded.area_code, phone = excluded.phone, updated_at = excluded.updated_at");
                    qb.build().execute(&mut *tx).await?;
                    done += chunk.len() as u64;
                    progress.set_done(done);
                }
                // An officer is placed where their unit is (as `update_unit` does).
                for (p, _) in todo.iter().filter(|(_, a)| *a == Action::Change) {
                    sqlx::query("UPDATE officers SET area_code = $2 WHERE unit_id = $1")
                        .bind(p.id.to_string()).bind(p.value.area.padded()).execute(&mut *tx).await?;
                }
                append_audit!(tx, now, scope, [audit_entry(scope, &summary, "unit")]);
                tx.commit().await?;
                ImportOutcome::Done(summary)
            }
        });
        Ok(outcome)
    }

    async fn import_officers(
        &self,
        scope: &Scope,
        items: &[Parsed<Officer>],
        h: &HeaderMap,
        areas: &AreaCheck<'_>,
        dry_run: bool,
        progress: Progress<'_>,
    ) -> Result<ImportOutcome> {
        let mut errors = Vec::new();
        for p in items {
            for d in &p.value.duties {
                areas.check(d.area, None, p.line, h.header("duties"), &mut errors);
            }
        }
        let unit_ids: Vec<String> = items
            .iter()
            .map(|p| p.value.unit_id.to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let ids: Vec<String> = items.iter().map(|p| p.id.to_string()).collect();
        let (lo, hi) = scope.range();
        let now = self.now();
        let outcome = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let units: HashMap<String, i64> = lookup!(tx,
                "SELECT id, area_code FROM units WHERE archived_at IS NULL AND id IN (", unit_ids, (String, i64))
                .into_iter().filter(|(_, a)| *a >= lo && *a < hi).collect();
            let mut unit_area: Vec<i64> = Vec::with_capacity(items.len());
            for p in items {
                match units.get(&p.value.unit_id.to_string()) {
                    Some(a) => unit_area.push(*a),
                    None => {
                        errors.push(RowError::new(p.line, h.header("unit_id"), "no such unit in your scope"));
                        unit_area.push(0);
                    }
                }
            }
            type Row = (String, String, Option<String>, String, i64, Option<String>, Option<i64>);
            let existing: Vec<Row> = lookup!(tx,
                "SELECT id, name, phone, unit_id, area_code, title, archived_at FROM officers WHERE id IN (", ids, Row);
            let existing_ids: Vec<String> = existing.iter().map(|r| r.0.clone()).collect();
            let duties: Vec<(String, i64, String)> = lookup!(tx,
                "SELECT officer_id, area_code, role FROM duties WHERE officer_id IN (", existing_ids, (String, i64, String));
            let mut duty_map: HashMap<String, Vec<(i64, String)>> = HashMap::new();
            for (o, a, r) in duties {
                duty_map.entry(o).or_default().push((a, r));
            }
            let old: HashMap<String, (OfficerFp, i64, Option<i64>)> = existing.into_iter().map(|r| {
                let mut d = duty_map.remove(&r.0).unwrap_or_default();
                d.sort();
                (r.0, ((r.1, r.2, r.3, r.5, d), r.4, r.6))
            }).collect();
            let mut actions = Vec::with_capacity(items.len());
            for p in items {
                actions.push(match old.get(&p.id.to_string()) {
                    None => Action::Add,
                    Some((_, a, _)) if *a < lo || *a >= hi => { errors.push(not_visible(p.line, h.header("id"))); Action::Same }
                    Some((_, _, Some(_))) => { errors.push(archived(p.line, h.header("id"))); Action::Same }
                    Some((fp, _, _)) if *fp == officer_fp(&p.value) => Action::Same,
                    Some(_) => Action::Change,
                });
            }
            let summary = tally("officers", &actions, dry_run);
            if !errors.is_empty() {
                errors.sort_by_key(|e| e.line);
                ImportOutcome::Rejected(errors)
            } else if summary.changed > 0 && !scope.can(Permission::Update) {
                return Err(anju_core::Forbidden(Permission::Update).into());
            } else if dry_run {
                ImportOutcome::Done(summary)
            } else {
                let todo: Vec<(&Parsed<Officer>, i64)> = items.iter().zip(actions.iter().zip(unit_area))
                    .filter(|(_, (a, _))| **a != Action::Same).map(|(p, (_, area))| (p, area)).collect();
                let mut done = 0u64;
                for chunk in todo.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO officers (id, name, phone, unit_id, area_code, title, created_at, updated_at) ");
                    qb.push_values(chunk, |mut b, (p, area)| {
                        let x = &p.value;
                        b.push_bind(p.id.to_string()).push_bind(x.name.clone())
                            .push_bind(x.phone.as_ref().map(|p| p.expose().to_owned()))
                            .push_bind(x.unit_id.to_string()).push_bind(*area).push_bind(x.title.clone())
                            .push_bind(now).push_bind(now);
                    });
                    qb.push(" ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, \
                             unit_id = excluded.unit_id, area_code = excluded.area_code, title = excluded.title, \
                             updated_at = excluded.updated_at");
                    qb.build().execute(&mut *tx).await?;
                    let ids: Vec<String> = chunk.iter().map(|(p, _)| p.id.to_string()).collect();
                    let mut qb = sqlx::QueryBuilder::new("DELETE FROM duties WHERE officer_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in &ids {
                        sep.push_bind(id.clone());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await?;
                    let duties: Vec<(String, i64, &'static str)> = chunk.iter()
                        .flat_map(|(p, _)| p.value.duties.iter().map(move |d| (p.id.to_string(), d.area.padded(), d.role.as_str())))
                        .collect();
                    for dchunk in duties.chunks(CHUNK) {
                        let mut qb = sqlx::QueryBuilder::new("INSERT INTO duties (officer_id, area_code, role) ");
                        qb.push_values(dchunk, |mut b, (id, a, r)| {
                            b.push_bind(id.clone()).push_bind(*a).push_bind(*r);
                        });
                        qb.push(" ON CONFLICT DO NOTHING");
                        qb.build().execute(&mut *tx).await?;
                    }
                    done += chunk.len() as u64;
                    progress.set_done(done);
                }
                // The file carries no roster: shifts stay, except where the duty they belong to is gone.
                for (p, _) in &todo {
                    sqlx::query("DELETE FROM shifts WHERE officer_id = $1 AND area_code NOT IN \
                                 (SELECT area_code FROM duties WHERE officer_id = $1 AND role = 'duty_officer')")
                        .bind(p.id.to_string()).execute(&mut *tx).await?;
                }
                append_audit!(tx, now, scope, [audit_entry(scope, &summary, "officer")]);
                tx.commit().await?;
                ImportOutcome::Done(summary)
            }
        });
        Ok(outcome)
    }
}
