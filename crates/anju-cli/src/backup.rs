//! `anju backup` and `anju restore`.

use std::io::{BufReader, BufWriter, Read};
use std::path::Path;

use anju_core::Clock;
use anju_store::{Backend, Store};
use anyhow::{Context, bail};

use crate::progress::bar;

fn table_progress() -> impl Fn(&str, u64, u64) + Send + Sync {
    let b = bar(0, "");
    move |table: &str, done: u64, total: u64| {
        b.set_message(table.to_owned());
        b.set_length(total);
        b.set_position(done);
    }
}

/// SQLite into a `.sqlite` (or any name but `.jsonl`) file: a database file copy. Any
/// backend into `.jsonl`: a portable dump.
pub async fn backup(store: &Store, file: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let dump = file.extension().is_some_and(|e| e == "jsonl");
    if store.backend() == Backend::Sqlite && !dump {
        if file.exists() {
            bail!("{} exists; choose a new file", file.display());
        }
        store.backup_sqlite_file(file).await?;
        println!(
            "copied the database to {} ({:.1} s)",
            file.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let mut out = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create_new(file).with_context(|| format!("creating {}", file.display()))?,
    );
    let n = store.dump(&mut out, &table_progress()).await?;
    println!(
        "dumped {n} rows to {} ({:.1} s)",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Restores a dump, or a SQLite file copy, into an empty database.
pub async fn restore(store: &Store, file: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut magic = [0u8; 16];
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let is_sqlite = f.read_exact(&mut magic).is_ok() && &magic == b"SQLite format 3\0";
    let n = if is_sqlite {
        // Read from a copy: opening a database migrates it, and the backup stays as it was.
        let dir = std::env::temp_dir().join(format!("anju-restore-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        let copy = dir.join("source.sqlite");
        std::fs::copy(file, &copy)?;
        let source = Store::open(&format!("sqlite:{}", copy.display()), Clock::System).await?;
        let dump = dir.join("dump.jsonl");
        {
            let mut out = BufWriter::new(std::fs::File::create(&dump)?);
            source.dump(&mut out, &|_, _, _| {}).await?;
        }
        source.close().await;
        let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(&dump)?);
        let n = store.restore(&mut input, &table_progress()).await;
        let _ = std::fs::remove_dir_all(&dir);
        n?
    } else {
        let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
        store.restore(&mut input, &table_progress()).await?
    };
    println!(
        "restored {n} rows from {} ({:.1} s)",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
