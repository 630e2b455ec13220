//! `anju import KIND FILE`: one transaction, all rows or none; `anju import assessments`
//! for field-form exports (KoboToolbox, ODK).

use std::path::Path;

use anju_core::Scope;
use anju_io::Kind;
use anju_store::{FieldImportOptions, FileImport, ImportOutcome, ImportProgress, Store};
use anyhow::{Context, bail};

use crate::progress::{bar, report};

/// A bar that follows an import's progress until aborted.
fn ticker(progress: std::sync::Arc<ImportProgress>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let b = bar(0, "importing");
        let mut last = u64::MAX;
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            b.set_length(progress.total());
            if progress.done() != last {
                last = progress.done();
                report(&b, last);
            }
        }
    })
}

pub async fn run(
    store: &Store,
    kind: Kind,
    file: &Path,
    sheet: Option<&str>,
    dry_run: bool,
    report_file: Option<&Path>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let progress = std::sync::Arc::new(ImportProgress::default());
    let ticker = ticker(progress.clone());
    let started = std::time::Instant::now();
    let r = store
        .import_file(
            &Scope::everything(),
            kind,
            &bytes,
            sheet,
            dry_run,
            &progress,
        )
        .await;
    ticker.abort();
    finish(r?, kind.as_str(), file, started, report_file)
}

/// `anju import assessments --disaster ID [--form NAME] [--mapping FILE.json] FILE`.
pub async fn run_assessments(
    store: &Store,
    disaster: uuid::Uuid,
    file: &Path,
    opts: &FieldImportOptions,
    report_file: Option<&Path>,
) -> anyhow::Result<()> {
    let all = Scope::everything();
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if let (Some(form), Some(mapping)) = (&opts.form, &opts.mapping)
        && !opts.dry_run
    {
        store.save_field_form(&all, form, mapping).await?;
        eprintln!("saved the mapping of form {form:?}");
    }
    let progress = std::sync::Arc::new(ImportProgress::default());
    let ticker = ticker(progress.clone());
    let started = std::time::Instant::now();
    let r = store
        .import_field_file(&all, disaster, &bytes, opts, &progress)
        .await;
    ticker.abort();
    finish(r?, "assessments", file, started, report_file)
}

fn finish(
    r: FileImport,
    what: &str,
    file: &Path,
    started: std::time::Instant,
    report_file: Option<&Path>,
) -> anyhow::Result<()> {
    match r.outcome {
        ImportOutcome::Done(s) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{}{what}: {} records in the file; {} added, {} changed, {} unchanged ({:.1} s, {:.0} records/s)",
                if s.dry_run {
                    "dry run, nothing written — "
                } else {
                    ""
                },
                s.total,
                s.added,
                s.changed,
                s.unchanged,
                secs,
                s.total as f64 / secs.max(1e-9)
            );
            Ok(())
        }
        ImportOutcome::Rejected(errors) => {
            for e in errors.iter().take(50) {
                eprintln!("  {e}");
            }
            if errors.len() > 50 {
                eprintln!("  … and {} more", errors.len() - 50);
            }
            if let (Some(path), Some(rep)) = (report_file, &r.report) {
                std::fs::write(path, rep).with_context(|| format!("writing {}", path.display()))?;
                eprintln!(
                    "the report (your rows with an error column) is in {}",
                    path.display()
                );
            }
            bail!(
                "{} problem(s) in {}; nothing was imported",
                errors.len(),
                file.display()
            )
        }
    }
}
