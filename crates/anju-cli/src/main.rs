//! `anju`: run the server, build a demo, administer areas.

mod backup;
mod demo;
mod demo_flood;
mod demo_items;
mod demo_prevention;
mod export;
mod import;
mod population;
mod progress;

use std::io::Write;
use std::path::PathBuf;

use anju_core::{AreaCode, Clock, Role, Scope};
use anju_server::AppState;
use anju_store::{BoundarySeed, ListQuery, NewUser, Store};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "anju",
    version,
    about = "安居 Anju: closed-loop disaster prevention and recovery"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and web app) on a database.
    Serve {
        /// `sqlite:PATH` or `postgres://user@host/db`.
        #[arg(long, env = "ANJU_DB", default_value = "sqlite:anju.sqlite")]
        db: String,
        #[arg(long, env = "ANJU_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Run the clock from this date (a demo database: `--as-of 2023-12-18`).
        #[arg(long, env = "ANJU_AS_OF", value_parser = parse_as_of)]
        as_of: Option<time::Date>,
    },
    /// Build a fresh demo database with the real Chongqing area tree and a synthetic
    /// population, then serve it.
    Demo {
        #[arg(long, env = "ANJU_DB", default_value = "sqlite:.anju/demo.sqlite")]
        db: String,
        #[arg(long, env = "ANJU_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Number of synthetic households, spread over the 11,270 villages.
        #[arg(long, default_value_t = 200_000)]
        households: usize,
        /// Seed of the synthetic population (same seed, same people).
        #[arg(long, default_value_t = 2023)]
        seed: u64,
        /// Build the database and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// The date the demo lives at: its clock starts there (at the present time of
        /// day) and runs. The default puts the July 2023 flood's reconstruction under way.
        #[arg(long, default_value = "2023-12-18", value_parser = parse_as_of)]
        as_of: time::Date,
    },
    /// Plan the evacuation of everyone the area's risk points and zones threaten for a
    /// hazard, store the plan, and print its figures.
    Plan {
        #[arg(long, env = "ANJU_DB", default_value = "sqlite:anju.sqlite")]
        db: String,
        /// Area code (district, town or village).
        #[arg(long)]
        area: String,
        /// landslide, collapse, debris_flow, flood, waterlogging, reservoir or dyke.
        #[arg(long)]
        hazard: String,
    },
    /// Administer the area tree.
    Areas {
        #[command(subcommand)]
        command: AreasCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage user accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage sessions.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Check the tamper-evident records.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The closed loop's items.
    Items {
        #[command(subcommand)]
        command: ItemsCommand,
    },
    /// Recovery: disasters, assessments, cases and their figures.
    Recovery {
        #[command(subcommand)]
        command: RecoveryCommand,
    },
    /// Import households, houses, units or officers from CSV (UTF-8 or GB18030) or XLSX,
    /// or `assessments` from a KoboToolbox/ODK export: every row or none (docs/import.md).
    Import {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        /// households, houses, units, officers or assessments.
        kind: String,
        file: PathBuf,
        /// The sheet of an XLSX file (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Report what would be added, changed and left unchanged; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to write the error report (the file's rows with an error column).
        #[arg(long)]
        report: Option<PathBuf>,
        /// assessments: the disaster they belong to (its id).
        #[arg(long)]
        disaster: Option<String>,
        /// assessments: the field form's name; its saved mapping is used, or saved when
        /// --mapping is given too.
        #[arg(long)]
        form: Option<String>,
        /// assessments: the column mapping, a JSON file
        /// (`{"fields": {"house_id": "house/house_id", "outcome": "damage/grade"}}`).
        #[arg(long)]
        mapping: Option<PathBuf>,
    },
    /// Export a list to CSV (UTF-8 with BOM) or XLSX.
    Export {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        /// households, houses, units or officers.
        kind: String,
        /// Only this area's subtree.
        #[arg(long)]
        area: Option<String>,
        /// csv or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Back the database up: SQLite to a database file copy (or a `.jsonl` dump);
    /// PostgreSQL to a portable `.jsonl` dump.
    Backup {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        file: PathBuf,
    },
    /// Restore a backup (dump or SQLite copy) into an empty database of either backend.
    Restore {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum RecoveryCommand {
    /// Recompute every disaster's figures per area from scratch (they are kept up to
    /// date by every write; this is for a restored or repaired database).
    Rebuild {
        #[arg(long, env = "ANJU_DB")]
        db: String,
    },
}

#[derive(Subcommand)]
enum ItemsCommand {
    /// List items, soonest due first.
    List {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        /// Limit to this area's subtree.
        #[arg(long)]
        area: Option<String>,
        /// Only open items past their deadline.
        #[arg(long)]
        overdue: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One item with its history.
    Show {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        id: uuid::Uuid,
    },
    /// The supervision table: items by state and overdue for each child area.
    Stats {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        #[arg(long, default_value = "50")]
        area: String,
    },
    /// Send the reminders and escalations due now (the server does this by itself).
    Deadlines {
        #[arg(long, env = "ANJU_DB")]
        db: String,
    },
}

fn kind_arg(kind: &str) -> anyhow::Result<anju_io::Kind> {
    anju_io::Kind::parse(kind)
        .with_context(|| format!("unknown kind {kind:?}: households, houses, units or officers"))
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        name: String,
        /// admin, city, district, town, village or viewer.
        #[arg(long)]
        role: String,
        /// The area the user is bound to; its level must match the role.
        #[arg(long)]
        area: String,
        /// Link to an officer record.
        #[arg(long)]
        officer: Option<uuid::Uuid>,
    },
    /// List users.
    List {
        #[arg(long, env = "ANJU_DB")]
        db: String,
    },
    /// Disable a user and end their sessions.
    Disable {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        name: String,
    },
}

#[derive(Subcommand)]
enum SessionsCommand {
    /// Revoke every session of a user.
    Revoke {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        name: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the access audit chain, every item's history chain and the item ledger;
    /// report the first broken link of each and exit non-zero on any.
    Verify {
        #[arg(long, env = "ANJU_DB")]
        db: String,
    },
}

#[derive(Subcommand)]
enum AreasCommand {
    /// Load the embedded Chongqing tree (names, points, boundaries) into a database.
    Load {
        #[arg(long, env = "ANJU_DB")]
        db: String,
    },
    /// Replace boundaries with a deployment's own approved GeoJSON file
    /// (a FeatureCollection whose features carry an `adcode` or `code`).
    Boundaries {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        file: PathBuf,
    },
    /// Retire a code, naming the code that replaced it.
    Retire {
        #[arg(long, env = "ANJU_DB")]
        db: String,
        code: String,
        #[arg(long)]
        successor: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ANJU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { db, listen, as_of } => {
            let clock = as_of.map_or(Clock::System, Clock::on_date);
            let store = Store::open(&db, clock)
                .await
                .with_context(|| format!("opening {db}"))?;
            serve(store, &listen).await
        }
        Command::Demo {
            db,
            listen,
            households,
            seed,
            no_serve,
            as_of,
        } => {
            let (store, accounts) = demo::build(&db, households, seed, as_of).await?;
            let mut out = std::io::stdout();
            let _ = writeln!(
                out,
                "The demo lives at {} (its clock runs from there; --as-of to change).",
                anju_core::household::format_date(store.clock().today())
            );
            let _ = writeln!(out, "Demo accounts (username / password — role, area):");
            for a in &accounts {
                let _ = writeln!(
                    out,
                    "  {:<11} {:<22} {:<8} {} {}",
                    a.username,
                    a.password,
                    a.role.as_str(),
                    a.area,
                    a.area_name
                );
            }
            if no_serve {
                // Closing checkpoints the write-ahead log into the database file.
                store.close().await;
                return Ok(());
            }
            serve(store, &listen).await
        }
        Command::Plan { db, area, hazard } => plan(&db, &area, &hazard).await,
        Command::Areas { command } => areas(command).await,
        Command::Users { command } => users(command).await,
        Command::Sessions {
            command: SessionsCommand::Revoke { db, name },
        } => {
            let store = open(&db).await?;
            let all = Scope::everything();
            let user = store
                .user_by_name(&all, &name)
                .await
                .with_context(|| format!("no user {name:?}"))?;
            let n = store.revoke_user_sessions(&all, user.id).await?;
            println!("revoked {n} session(s) of {name}");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let store = open(&db).await?;
            let started = std::time::Instant::now();
            let report = store.verify_audit().await?;
            let items = store.verify_items().await?;
            let mut broken = 0;
            match &report.first_break {
                None => println!("access audit: {} rows, chain intact", report.rows),
                Some(b) => {
                    broken += 1;
                    println!("access audit: BROKEN at row {}: {}", b.seq, b.problem);
                }
            }
            match &items.item_break {
                None => println!(
                    "item histories: {} items, {} events, every chain intact",
                    items.items, items.events
                ),
                Some(b) => {
                    broken += 1;
                    println!(
                        "item histories: BROKEN in item {} at event {}: {}",
                        b.item_id, b.seq, b.problem
                    );
                }
            }
            match &items.ledger_break {
                None => println!(
                    "item ledger: {} rows, chain intact and matching every item",
                    items.ledger_rows
                ),
                Some(b) => {
                    broken += 1;
                    println!(
                        "item ledger: BROKEN at item {} (event {}): {}",
                        b.item_id, b.seq, b.problem
                    );
                }
            }
            println!("checked in {:.2} s", started.elapsed().as_secs_f64());
            if broken > 0 {
                bail!("{broken} chain(s) broken");
            }
            Ok(())
        }
        Command::Items { command } => items(command).await,
        Command::Recovery { command } => recovery(command).await,
        Command::Import {
            db,
            kind,
            file,
            sheet,
            dry_run,
            report,
            disaster,
            form,
            mapping,
        } => {
            let store = open(&db).await?;
            if kind == "assessments" {
                let disaster = disaster
                    .as_deref()
                    .context("assessments need --disaster ID")?
                    .parse::<uuid::Uuid>()
                    .context("--disaster takes the disaster's id")?;
                let mapping = match mapping {
                    Some(p) => Some(
                        serde_json::from_slice(
                            &std::fs::read(&p)
                                .with_context(|| format!("reading {}", p.display()))?,
                        )
                        .with_context(|| format!("{} is not a mapping", p.display()))?,
                    ),
                    None => None,
                };
                let opts = anju_store::FieldImportOptions {
                    form,
                    mapping,
                    sheet,
                    dry_run,
                };
                return import::run_assessments(&store, disaster, &file, &opts, report.as_deref())
                    .await;
            }
            if disaster.is_some() || form.is_some() || mapping.is_some() {
                bail!("--disaster, --form and --mapping are for `anju import assessments`");
            }
            let kind = kind_arg(&kind)?;
            import::run(
                &store,
                kind,
                &file,
                sheet.as_deref(),
                dry_run,
                report.as_deref(),
            )
            .await
        }
        Command::Export {
            db,
            kind,
            area,
            format,
            output,
        } => {
            let kind = kind_arg(&kind)?;
            let format = anju_io::Format::parse(&format)
                .with_context(|| format!("unknown format {format:?}: csv or xlsx"))?;
            let area = area
                .as_deref()
                .map(|a| AreaCode::parse(a).with_context(|| format!("area {a:?}")))
                .transpose()?;
            let store = open(&db).await?;
            export::run(&store, kind, area, format, &output).await
        }
        Command::Backup { db, file } => {
            let store = open(&db).await?;
            backup::backup(&store, &file).await
        }
        Command::Restore { db, file } => {
            let store = open(&db).await?;
            backup::restore(&store, &file).await
        }
        Command::Openapi => {
            let store = Store::open("sqlite::memory:", Clock::System).await?;
            let doc = anju_server::openapi(AppState::new(store));
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
    }
}

fn parse_as_of(s: &str) -> Result<time::Date, String> {
    anju_core::household::parse_date(s)
}

async fn plan(db: &str, area: &str, hazard: &str) -> anyhow::Result<()> {
    let store = open(db).await?;
    let area = anju_core::AreaCode::parse(area)?;
    let hazard = anju_store::parse_hazard(hazard)?;
    let started = std::time::Instant::now();
    let p = store
        .create_plan(&anju_core::Scope::everything(), None, area, hazard)
        .await?;
    let total = started.elapsed();
    let mut out = std::io::stdout();
    let _ = writeln!(out, "plan {} for {} ({})", p.id, p.area, p.hazard.as_str());
    let _ = writeln!(
        out,
        "  threatened  {} households, {} people",
        p.households, p.people
    );
    let _ = writeln!(
        out,
        "  placed      {} households, {} people at {} sites",
        p.placed_households,
        p.placed_people,
        p.sites.len()
    );
    let _ = writeln!(
        out,
        "  unplaced    {} households, {} people",
        p.unplaced_households, p.unplaced_people
    );
    let mut reasons: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    for u in &p.unplaced {
        let e = reasons.entry(u.reason.as_str()).or_default();
        e.0 += 1;
        e.1 += u.people;
    }
    for (r, (h, n)) in reasons {
        let _ = writeln!(out, "    {r:<20} {h} households, {n} people");
    }
    let mean = if p.placed_people > 0 {
        p.total_distance_m / p.placed_people
    } else {
        0
    };
    let _ = writeln!(
        out,
        "  distance    {} person-km in all, {} m on average, {} m at most",
        p.total_distance_m / 1000,
        mean,
        p.max_distance_m
    );
    let _ = writeln!(
        out,
        "  solver      cost {}, flow bound {}, gap {} ({:.3} %)",
        p.cost,
        p.flow_bound,
        p.gap,
        if p.flow_bound > 0 {
            p.gap as f64 * 100.0 / p.flow_bound as f64
        } else {
            0.0
        }
    );
    let _ = writeln!(
        out,
        "  time        solver {} ms, end to end {} ms",
        p.solve_ms,
        total.as_millis()
    );
    store.close().await;
    Ok(())
}

async fn open(db: &str) -> anyhow::Result<Store> {
    Store::open(db, Clock::System)
        .await
        .with_context(|| format!("opening {db}"))
}

/// The deadline policy from `ANJU_REMIND_BEFORE_H` (hours before the deadline, e.g.
/// `24,2`), `ANJU_ESCALATE_EVERY_H` and `ANJU_ESCALATE_LEVELS`; the defaults otherwise.
fn deadline_policy() -> anyhow::Result<anju_core::deadline::DeadlinePolicy> {
    let var = |k: &str| std::env::var(k).ok();
    parse_policy(
        var("ANJU_REMIND_BEFORE_H").as_deref(),
        var("ANJU_ESCALATE_EVERY_H").as_deref(),
        var("ANJU_ESCALATE_LEVELS").as_deref(),
    )
}

fn parse_policy(
    remind: Option<&str>,
    every: Option<&str>,
    levels: Option<&str>,
) -> anyhow::Result<anju_core::deadline::DeadlinePolicy> {
    let mut p = anju_core::deadline::DeadlinePolicy::default();
    let hours = |name: &str, v: &str| -> anyhow::Result<i64> {
        let h: f64 = v
            .trim()
            .parse()
            .with_context(|| format!("{name}: {v:?} is not a number of hours"))?;
        if h <= 0.0 || h >= 24.0 * 366.0 || h.is_nan() {
            bail!("{name}: {h} hours is out of range");
        }
        Ok((h * 3_600_000.0) as i64)
    };
    if let Some(v) = remind {
        p.remind_before_ms = v
            .split(',')
            .filter(|x| !x.trim().is_empty())
            .map(|x| hours("ANJU_REMIND_BEFORE_H", x))
            .collect::<anyhow::Result<_>>()?;
    }
    if let Some(v) = every {
        p.escalate_every_ms = hours("ANJU_ESCALATE_EVERY_H", v)?;
    }
    if let Some(v) = levels {
        p.max_level = v
            .trim()
            .parse()
            .with_context(|| format!("ANJU_ESCALATE_LEVELS: {v:?}"))?;
    }
    Ok(p)
}

async fn serve(store: Store, listen: &str) -> anyhow::Result<()> {
    let store = store.with_deadline_policy(deadline_policy()?);
    // An import that was running when the server last stopped was rolled back with it.
    let n = store.fail_interrupted_imports().await?;
    if n > 0 {
        tracing::warn!(
            "{n} import job(s) were interrupted by the last stop; nothing of them was written"
        );
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    // Written without println!, which would panic if whoever started us closed stdout.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "Anju is serving on http://{addr}/  (API: http://{addr}/api/v1/areas/50, OpenAPI: http://{addr}/api/v1/openapi.json)"
    );
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    let _ = out.flush();
    let _deadlines = anju_server::worker::spawn_deadlines(store.clone());
    anju_server::serve(listener, AppState::new(store), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

async fn items(command: ItemsCommand) -> anyhow::Result<()> {
    let all = Scope::everything();
    match command {
        ItemsCommand::List {
            db,
            area,
            overdue,
            limit,
        } => {
            let store = open(&db).await?;
            let area = area
                .as_deref()
                .map(|a| AreaCode::parse(a).with_context(|| format!("area {a:?}")))
                .transpose()?;
            let page = store
                .list_items(
                    &all,
                    &anju_store::ItemQuery {
                        area,
                        overdue: overdue.then_some(true),
                        limit: Some(limit.clamp(1, 500)),
                        ..Default::default()
                    },
                )
                .await?;
            println!(
                "{:<36} {:<12} {:<25} {:<3} title",
                "id", "state", "due", "esc"
            );
            for i in page.items {
                println!(
                    "{:<36} {:<12} {:<25} {:<3} {} ({})",
                    i.id,
                    serde_json::to_value(i.state)?.as_str().unwrap_or(""),
                    i.due_at,
                    i.escalation_level,
                    i.title,
                    i.area_name
                );
            }
        }
        ItemsCommand::Show { db, id } => {
            let store = open(&db).await?;
            let d = store
                .item(&all, id)
                .await
                .with_context(|| format!("no item {id}"))?;
            println!("{}", serde_json::to_string_pretty(&d)?);
        }
        ItemsCommand::Stats { db, area } => {
            let store = open(&db).await?;
            let area = AreaCode::parse(&area).with_context(|| format!("area {area:?}"))?;
            let s = store.item_stats(&all, Some(area)).await?;
            println!(
                "{:<14} {:<16} {:>7} {:>7} {:>9} {:>7} {:>7}",
                "area", "name", "open", "overdue", "submitted", "closed", "total"
            );
            for r in s.rows.iter().chain(std::iter::once(&s.total)) {
                let closed = r.verified + r.cancelled;
                println!(
                    "{:<14} {:<16} {:>7} {:>7} {:>9} {:>7} {:>7}",
                    r.area,
                    r.name_zh,
                    r.open,
                    r.overdue,
                    r.submitted,
                    closed,
                    r.open + closed
                );
            }
        }
        ItemsCommand::Deadlines { db } => {
            let store = open(&db).await?;
            let run = store.run_deadlines(1000).await?;
            println!(
                "sent {} reminder(s), made {} escalation(s)",
                run.reminded, run.escalated
            );
        }
    }
    Ok(())
}

async fn recovery(command: RecoveryCommand) -> anyhow::Result<()> {
    match command {
        RecoveryCommand::Rebuild { db } => {
            let store = open(&db).await?;
            let started = std::time::Instant::now();
            let bar = progress::bar(0, "rebuild");
            let done = store
                .rebuild_recovery_rollups(&|p| {
                    bar.set_length(p.steps as u64);
                    progress::report(&bar, p.done as u64);
                })
                .await?;
            bar.finish_and_clear();
            println!(
                "rebuilt {} row(s) of recovery figures in {:.1} s",
                done.rows,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

async fn areas(command: AreasCommand) -> anyhow::Result<()> {
    match command {
        AreasCommand::Load { db } => {
            let store = open(&db).await?;
            let n = demo::load_atlas(&store).await?;
            println!("loaded {n} areas");
        }
        AreasCommand::Boundaries { db, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let parsed = anju_atlas::parse_boundary_file(&text)
                .with_context(|| format!("in {}", file.display()))?;
            let store = open(&db).await?;
            let seeds: Vec<BoundarySeed> = parsed
                .into_iter()
                .map(|(code, geojson)| BoundarySeed { code, geojson })
                .collect();
            let n = store
                .set_boundaries(&Scope::everything(), &seeds, &file.display().to_string())
                .await?;
            println!("replaced {n} boundaries from {}", file.display());
        }
        AreasCommand::Retire {
            db,
            code,
            successor,
        } => {
            let old = AreaCode::parse(&code).with_context(|| format!("code {code:?}"))?;
            let succ = successor
                .as_deref()
                .map(|s| AreaCode::parse(s).with_context(|| format!("successor {s:?}")))
                .transpose()?;
            if succ == Some(old) {
                bail!("a code cannot succeed itself");
            }
            let store = open(&db).await?;
            store.retire_area(&Scope::everything(), old, succ).await?;
            println!("retired {old}");
        }
    }
    Ok(())
}

async fn users(command: UsersCommand) -> anyhow::Result<()> {
    let all = Scope::everything();
    match command {
        UsersCommand::Add {
            db,
            name,
            role,
            area,
            officer,
        } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            let area = AreaCode::parse(&area).with_context(|| format!("area {area:?}"))?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            anju_core::access::check_password(&name, &password)?;
            let hash = anju_server::auth::hash_password_blocking(&password)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = open(&db).await?;
            let u = store
                .create_user(
                    &all,
                    &NewUser {
                        username: name,
                        password_hash: hash,
                        role,
                        area,
                        officer_id: officer,
                    },
                )
                .await?;
            println!("added {} ({}, {})", u.username, u.role.as_str(), u.area);
        }
        UsersCommand::List { db } => {
            let store = open(&db).await?;
            let mut q = ListQuery {
                limit: Some(500),
                include_archived: true,
                ..Default::default()
            };
            println!("{:<24} {:<9} {:<13} status", "username", "role", "area");
            loop {
                let page = store.list_users(&all, &q).await?;
                for u in &page.items {
                    println!(
                        "{:<24} {:<9} {:<13} {}",
                        u.username,
                        u.role.as_str(),
                        u.area,
                        if u.disabled { "disabled" } else { "active" }
                    );
                }
                match page.next_cursor {
                    Some(c) => q.cursor = Some(c),
                    None => break,
                }
            }
        }
        UsersCommand::Disable { db, name } => {
            let store = open(&db).await?;
            let user = store
                .user_by_name(&all, &name)
                .await
                .with_context(|| format!("no user {name:?}"))?;
            store.set_user_disabled(&all, user.id, true).await?;
            println!("disabled {name} and ended their sessions");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn deadline_settings_parse_and_refuse_nonsense() {
        let p = super::parse_policy(Some("48, 4,1"), Some("12"), Some("3")).unwrap();
        assert_eq!(
            p.remind_before_ms,
            vec![48 * 3_600_000, 4 * 3_600_000, 3_600_000]
        );
        assert_eq!((p.escalate_every_ms, p.max_level), (12 * 3_600_000, 3));
        assert_eq!(
            super::parse_policy(None, None, None).unwrap(),
            Default::default()
        );
        assert!(super::parse_policy(Some("a day"), None, None).is_err());
        assert!(super::parse_policy(None, Some("-1"), None).is_err());
        assert!(super::parse_policy(None, None, Some("300")).is_err());
    }
}
