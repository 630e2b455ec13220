//! Field-form imports: a KoboToolbox or ODK export of damage assessments, for one
//! disaster, checked whole and then written through the recovery loader.
//!
//! - Every bad row is reported (line or sheet row, column, reason), and then nothing is
//!   written: the file's own problems (anju-io's `field` module), the houses checked
//!   against the database (unknown, outside the caller's scope or the disaster's area,
//!   archived, fewer rooms than counted), and the recovery rules the loader checks
//!   (household, assessor, dates).
//! - Idempotent on `_uuid`: `field_submissions` remembers the digest of what each
//!   submission said when last imported. The same content again is unchanged; changed
//!   content (an edited submission) is a new version of its house's assessment, whose
//!   `source_uuid` is `_uuid#2`, `_uuid#3`, … (source uuids are unique per disaster).
//! - A dry run does every check and counts what would be added, changed and unchanged.
//!
//! The recovery loader writes in transactions of `LOAD_CHUNK` assessments (figures kept
//! in each). A process stopped between two leaves the chunks before it written; the
//! rows of `field_submissions` are written last, and a re-run of the same file finishes
//! the import without doubling anything (the loader skips the source uuids it holds).

use std::collections::HashMap;

use anju_core::{AreaCode, AreaLevel, Permission, Scope};
use anju_io::RowError;
use anju_io::field::{
    Field, FieldContext, FieldFacts, FieldFile, FieldMapping, HouseFacts, parse_field_file,
    read_field_table,
};
use uuid::Uuid;

use crate::import::{FileImport, ImportOutcome, ImportProgress, ImportSummary};
use crate::pool::on_pool;
use crate::{AssessmentSeed, Result, Store, StoreError};

/// Ids per `IN (…)` lookup.
const LOOKUP: usize = 1000;

/// What an import is asked to do.
#[derive(Debug, Clone, Default)]
pub struct FieldImportOptions {
    /// The form's saved mapping to use (and, with `mapping`, to save).
    pub form: Option<String>,
    /// A mapping given with the file; else the form's saved one; else the defaults.
    pub mapping: Option<FieldMapping>,
    pub sheet: Option<String>,
    pub dry_run: bool,
}

#[derive(sqlx::FromRow)]
struct HouseRow {
    id: String,
    area_code: i64,
    rooms: Option<i64>,
    archived_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct SubmissionRow {
    source_uuid: String,
    fingerprint: String,
    revision: i64,
}

/// What becomes of one record.
enum Plan {
    Add,
    Change {
        revision: i64,
    },
    Same,
    /// Stored already, but not by an import that remembered it (an import stopped
    /// between the loader and `field_submissions`, or the phone app): unchanged, and
    /// remembered from now on.
    Adopt,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn in_list(n: usize, from: usize) -> String {
    (0..n)
        .map(|i| format!("${}", i + from))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Imports a field-form export of damage assessments for `disaster`.
    pub async fn import_field_file(
        &self,
        scope: &Scope,
        disaster: Uuid,
        bytes: &[u8],
        opts: &FieldImportOptions,
        progress: &ImportProgress,
    ) -> Result<FileImport> {
        scope.require(Permission::Create)?;
        let d = self.disaster(scope, disaster).await?;
        let d_area = AreaCode::parse(&d.area).map_err(corrupt)?;
        let started = anju_core::household::parse_date(&d.started_on).map_err(corrupt)?;
        let mapping = match (&opts.mapping, &opts.form) {
            (Some(m), _) => m.clone(),
            (None, Some(form)) => match self.field_form(scope, form).await {
                Ok(f) => f.mapping,
                Err(StoreError::NotFound) => FieldMapping::default(),
                Err(e) => return Err(e),
            },
            (None, None) => FieldMapping::default(),
        };
        let rejected =
            |table: Option<&anju_io::Table>, errors: Vec<RowError>| -> Result<FileImport> {
                let report = anju_io::report::report_csv(table, &errors).map_err(corrupt)?;
                Ok(FileImport {
                    outcome: ImportOutcome::Rejected(errors),
                    records: 0,
                    report: Some(report),
                })
            };
        let table = match read_field_table(bytes, opts.sheet.as_deref()) {
            Ok(t) => t,
            Err(e) => return rejected(None, e),
        };
        let cx = FieldContext {
            today: self.clock.today(),
            not_before: Some(started),
        };
        let mut file = match parse_field_file(&table, &mapping, &cx) {
            Ok(f) => f,
            Err(e) => return rejected(Some(&table), e),
        };
        let records = (file.records.len() + file.errors.len()) as u64;
        progress.set_total(file.records.len() as u64);

        let facts = self.field_facts(scope, d_area, &file).await?;
        file.check(&facts);
        let plans = self.field_plans(disaster, &file).await?;
        let mut seeds = Vec::new();
        let mut seed_of = Vec::new();
        for (i, (r, p)) in file.records.iter().zip(&plans).enumerate() {
            let source = match p {
                Plan::Same | Plan::Adopt => continue,
                Plan::Add => r.uuid.clone(),
                Plan::Change { revision } => format!("{}#{}", r.uuid, revision + 1),
            };
            let mut a = r.assessment.clone();
            a.source_uuid = Some(source);
            seeds.push(AssessmentSeed {
                id: Some(Uuid::now_v7()),
                assessment: a,
            });
            seed_of.push(i);
        }
        // The recovery rules the loader checks, named by line and column like the rest.
        let mut errors = std::mem::take(&mut file.errors);
        if !seeds.is_empty() {
            for e in self.check_assessments(scope, disaster, &seeds).await? {
                errors.push(loader_error(&file, &seed_of, &e.field, e.message));
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            let mut r = rejected(Some(&table), errors)?;
            r.records = records;
            return Ok(r);
        }
        let count = |f: fn(&Plan) -> bool| plans.iter().filter(|p| f(p)).count() as u64;
        let summary = ImportSummary {
            kind: "assessments".into(),
            total: file.records.len() as u64,
            added: count(|p| matches!(p, Plan::Add)),
            changed: count(|p| matches!(p, Plan::Change { .. })),
            unchanged: count(|p| matches!(p, Plan::Same | Plan::Adopt)),
            dry_run: opts.dry_run,
        };
        if opts.dry_run {
            return Ok(FileImport {
                outcome: ImportOutcome::Done(summary),
                records,
                report: None,
            });
        }
        let unchanged = summary.unchanged;
        self.load_assessments(scope, disaster, &seeds, &|n| {
            progress.set_done(unchanged + n as u64);
        })
        .await?;
        // What to remember: each record written, and each adopted one.
        let mut remember: Vec<(usize, String, i64)> = seeds
            .iter()
            .zip(&seed_of)
            .map(|(s, &i)| {
                let revision = match plans[i] {
                    Plan::Change { revision } => revision + 1,
                    _ => 1,
                };
                (
                    i,
                    s.assessment.source_uuid.clone().unwrap_or_default(),
                    revision,
                )
            })
            .collect();
        for (i, p) in plans.iter().enumerate() {
            if matches!(p, Plan::Adopt) {
                remember.push((i, file.records[i].uuid.clone(), 1));
            }
        }
        self.record_submissions(disaster, &file, &remember, opts.form.as_deref())
            .await?;
        progress.set_done(summary.total);
        Ok(FileImport {
            outcome: ImportOutcome::Done(summary),
            records,
            report: None,
        })
    }

    /// The houses and officers a file names, as the checks need them.
    async fn field_facts(
        &self,
        scope: &Scope,
        disaster_area: AreaCode,
        file: &FieldFile,
    ) -> Result<FieldFacts> {
        let mut facts = FieldFacts::default();
        let ids: Vec<String> = file.house_ids().iter().map(Uuid::to_string).collect();
        for chunk in ids.chunks(LOOKUP) {
            // Every house, whatever the scope: "outside your scope" is a clearer answer
            // than "no such house" for a house the user can name.
            let sql = format!(
                "SELECT id, area_code, rooms, archived_at FROM houses WHERE id IN ({})",
                in_list(chunk.len(), 1)
            );
            let rows: Vec<HouseRow> = on_pool!(self, p => {
                let mut q = sqlx::query_as::<_, HouseRow>(sqlx::AssertSqlSafe(sql.clone()));
                for id in chunk {
                    q = q.bind(id.clone());
                }
                q.fetch_all(p).await?
            });
            for h in rows {
                let area =
                    AreaCode::from_padded(h.area_code, AreaLevel::Village).map_err(corrupt)?;
                let id = Uuid::parse_str(&h.id).map_err(corrupt)?;
                facts.houses.insert(
                    id,
                    HouseFacts {
                        in_scope: scope.contains(area),
                        in_disaster: disaster_area.contains(area),
                        archived: h.archived_at.is_some(),
                        rooms: h.rooms,
                    },
                );
            }
        }
        let officers: Vec<String> = file.officer_ids().iter().map(Uuid::to_string).collect();
        for chunk in officers.chunks(LOOKUP) {
            let sql = format!(
                "SELECT id FROM officers WHERE archived_at IS NULL AND id IN ({})",
                in_list(chunk.len(), 1)
            );
            let rows: Vec<String> = on_pool!(self, p => {
                let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.clone()));
                for id in chunk {
                    q = q.bind(id.clone());
                }
                q.fetch_all(p).await?
            });
            for o in rows {
                facts.officers.insert(Uuid::parse_str(&o).map_err(corrupt)?);
            }
        }
        Ok(facts)
    }

    /// For each record: new, changed since it was last imported, or the same.
    async fn field_plans(&self, disaster: Uuid, file: &FieldFile) -> Result<Vec<Plan>> {
        let uuids: Vec<&str> = file.records.iter().map(|r| r.uuid.as_str()).collect();
        let mut known: HashMap<String, SubmissionRow> = HashMap::new();
        let mut elsewhere: std::collections::HashSet<String> = Default::default();
        for chunk in uuids.chunks(LOOKUP) {
            let list = in_list(chunk.len(), 2);
            let sql = format!(
                "SELECT source_uuid, fingerprint, revision FROM field_submissions \
                 WHERE disaster_id = $1 AND source_uuid IN ({list})"
            );
            let rows: Vec<SubmissionRow> = on_pool!(self, p => {
                let mut q = sqlx::query_as::<_, SubmissionRow>(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(disaster.to_string());
                for u in chunk {
                    q = q.bind((*u).to_owned());
                }
                q.fetch_all(p).await?
            });
            known.extend(rows.into_iter().map(|r| (r.source_uuid.clone(), r)));
            // Submissions stored by another path (the phone app sends a form's uuid as
            // its source_uuid): already assessed, nothing to compare them with.
            let sql = format!(
                "SELECT source_uuid FROM assessments WHERE disaster_id = $1 AND source_uuid IN ({list})"
            );
            let rows: Vec<String> = on_pool!(self, p => {
                let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(disaster.to_string());
                for u in chunk {
                    q = q.bind((*u).to_owned());
                }
                q.fetch_all(p).await?
            });
            elsewhere.extend(rows);
        }
        Ok(file
            .records
            .iter()
            .map(|r| match known.get(&r.uuid) {
                Some(k) if k.fingerprint == r.fingerprint() => Plan::Same,
                Some(k) => Plan::Change {
                    revision: k.revision,
                },
                None if elsewhere.contains(&r.uuid) => Plan::Adopt,
                None => Plan::Add,
            })
            .collect())
    }

    /// Remembers what each submission said, and the assessment it became:
    /// `(record, the assessment's source uuid, revision)`.
    async fn record_submissions(
        &self,
        disaster: Uuid,
        file: &FieldFile,
        remember: &[(usize, String, i64)],
        form: Option<&str>,
    ) -> Result<()> {
        let now = self.now();
        let d = disaster.to_string();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for (i, source, revision) in remember {
                let r = &file.records[*i];
                let id: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM assessments WHERE disaster_id = $1 AND source_uuid = $2")
                    .bind(&d).bind(source).fetch_optional(&mut *tx).await?;
                let id = id.ok_or_else(|| corrupt(format!("the assessment of {source} was not written")))?;
                sqlx::query(
                    "INSERT INTO field_submissions (disaster_id, source_uuid, fingerprint, assessment_id, revision, form, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (disaster_id, source_uuid) DO UPDATE SET \
                     fingerprint = excluded.fingerprint, assessment_id = excluded.assessment_id, revision = excluded.revision, \
                     form = excluded.form, imported_at = excluded.imported_at")
                    .bind(&d).bind(&r.uuid).bind(r.fingerprint()).bind(id).bind(*revision)
                    .bind(form.map(str::to_owned)).bind(now)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// A loader error (`seeds[i].field`) as a row error of the file.
fn loader_error(file: &FieldFile, seed_of: &[usize], field: &str, reason: String) -> RowError {
    let (i, name) = field
        .strip_prefix("seeds[")
        .and_then(|r| r.split_once("]."))
        .map_or((None, field), |(i, f)| (i.parse::<usize>().ok(), f));
    let record = i
        .and_then(|i| seed_of.get(i))
        .and_then(|i| file.records.get(*i));
    let column = match name {
        "house_id" => Some(Field::HouseId),
        "outcome" => Some(Field::Outcome),
        "rooms_collapsed" => Some(Field::RoomsCollapsed),
        "rooms_damaged" => Some(Field::RoomsDamaged),
        "assessed_on" => Some(if file.columns.has(Field::AssessedOn) {
            Field::AssessedOn
        } else {
            Field::SubmissionTime
        }),
        "assessor_officer_id" => Some(Field::Assessor),
        "note" => Some(Field::Note),
        "lon" | "lat" => Some(Field::Location),
        "source_uuid" => Some(Field::Uuid),
        _ => None,
    };
    RowError::new(
        record.map_or(0, |r| r.line),
        column.map(|c| file.columns.header(c)).unwrap_or_default(),
        reason,
    )
}
