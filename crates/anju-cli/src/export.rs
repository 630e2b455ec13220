//! `anju export KIND`: page by page into a file, never the whole list in memory (CSV).

use std::io::Write;
use std::path::Path;

use anju_core::{AreaCode, Scope};
use anju_io::write::Sink;
use anju_io::{Format, Kind};
use anju_store::Store;
use anyhow::Context;

use crate::progress::{bar, report};

pub async fn run(
    store: &Store,
    kind: Kind,
    area: Option<AreaCode>,
    format: Format,
    out: &Path,
) -> anyhow::Result<()> {
    let scope = Scope::everything();
    let total = store.export_count(&scope, kind, area).await?;
    let b = bar(total as u64, "exporting");
    let started = std::time::Instant::now();
    let mut file = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?,
    );
    let mut sink = Sink::new(format, kind.as_str())?;
    sink.row(&kind.zh_headers())?;
    let (mut after, mut done, mut rows) = (None, 0u64, 0u64);
    loop {
        let page = store
            .export_page(&scope, kind, area, after.as_ref())
            .await?;
        for r in &page.rows {
            sink.row(r)?;
        }
        rows += page.rows.len() as u64;
        file.write_all(&sink.take()?)?;
        done += page.records as u64;
        report(&b, done);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    file.write_all(&sink.finish()?)?;
    file.flush()?;
    b.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "exported {done} {} ({rows} rows) to {} in {secs:.1} s ({:.0} rows/s)",
        kind.as_str(),
        out.display(),
        rows as f64 / secs.max(1e-9)
    );
    Ok(())
}
