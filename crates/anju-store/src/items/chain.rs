//! The tamper-evident history: each item's own chain of events, and the ledger that
//! chains every item's head as it was written. Appends happen inside the caller's
//! transaction; verification reads everything back and recomputes.

use std::collections::HashMap;

use anju_core::item::{EventContent, GENESIS, event_hash, event_hash_matches, ledger_hash_matches};
use serde::Serialize;

use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

/// An event about to be written: the content its hash covers, plus the idempotency key.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub item_id: String,
    pub seq: i64,
    pub at: i64,
    pub actor_user_id: Option<String>,
    pub kind: &'static str,
    pub from_state: Option<&'static str>,
    pub to_state: Option<&'static str>,
    pub note: Option<String>,
    pub attachments: String,
    pub payload: String,
    pub idem_key: Option<String>,
}

impl NewEvent {
    pub fn hash(&self, prev: &str) -> String {
        event_hash(
            &EventContent {
                item_id: &self.item_id,
                seq: self.seq,
                at: self.at,
                actor_user_id: self.actor_user_id.as_deref(),
                kind: self.kind,
                from_state: self.from_state,
                to_state: self.to_state,
                note: self.note.as_deref(),
                attachments: &self.attachments,
                payload: &self.payload,
            },
            prev,
        )
    }
}

pub(crate) use anju_core::item::ledger_hash;

/// Writes events (each already chained to its item's previous hash) and their ledger
/// rows inside the transaction `$tx`. `$events` is a slice of `(NewEvent, prev, hash)`.
macro_rules! write_events {
    ($tx:expr, $events:expr) => {{
        let events: &[($crate::items::chain::NewEvent, String, String)] = $events;
        for chunk in events.chunks(500) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO item_events (item_id, seq, at, actor_user_id, kind, from_state, to_state, note, \
                 attachments, payload, idem_key, prev_hash, hash) ",
            );
            qb.push_values(chunk, |mut b, (e, prev, hash)| {
                b.push_bind(e.item_id.clone())
                    .push_bind(e.seq)
                    .push_bind(e.at)
                    .push_bind(e.actor_user_id.clone())
                    .push_bind(e.kind)
                    .push_bind(e.from_state)
                    .push_bind(e.to_state)
                    .push_bind(e.note.clone())
                    .push_bind(e.attachments.clone())
                    .push_bind(e.payload.clone())
                    .push_bind(e.idem_key.clone())
                    .push_bind(prev.clone())
                    .push_bind(hash.clone());
            });
            qb.build().execute(&mut *$tx).await?;
        }
        if !events.is_empty() {
            // Taking the head first queues concurrent writers, as the access audit does.
            let (last, mut prev): (i64, String) = sqlx::query_as(
                "UPDATE item_ledger_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash",
            )
            .bind(events.len() as i64)
            .fetch_one(&mut *$tx)
            .await?;
            let first = last - events.len() as i64 + 1;
            let mut rows = Vec::with_capacity(events.len());
            for (i, (e, _, hash)) in events.iter().enumerate() {
                let seq = first + i as i64;
                let h = $crate::items::chain::ledger_hash(seq, &e.item_id, e.seq, hash, &prev);
                rows.push((seq, e.item_id.clone(), e.seq, hash.clone(), prev.clone(), h.clone()));
                prev = h;
            }
            // The head's hash follows the last row by trigger (migration 0008).
            for chunk in rows.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO item_ledger (seq, item_id, item_seq, item_hash, prev_hash, hash) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.0)
                        .push_bind(r.1.clone())
                        .push_bind(r.2)
                        .push_bind(r.3.clone())
                        .push_bind(r.4.clone())
                        .push_bind(r.5.clone());
                });
                qb.build().execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use write_events;

/// The first broken link found in an item's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemBreak {
    pub item_id: String,
    pub seq: i64,
    pub problem: String,
}

/// The result of checking every item chain and the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ItemChainReport {
    pub items: i64,
    pub events: i64,
    pub ledger_rows: i64,
    /// The first item whose own chain is broken.
    pub item_break: Option<ItemBreak>,
    /// The first place the ledger's chain is broken, or disagrees with the items.
    pub ledger_break: Option<ItemBreak>,
}

impl ItemChainReport {
    pub fn is_intact(&self) -> bool {
        self.item_break.is_none() && self.ledger_break.is_none()
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    item_id: String,
    seq: i64,
    at: i64,
    actor_user_id: Option<String>,
    kind: String,
    from_state: Option<String>,
    to_state: Option<String>,
    note: Option<String>,
    attachments: String,
    payload: String,
    prev_hash: String,
    hash: String,
}

#[derive(sqlx::FromRow)]
struct LedgerRow {
    seq: i64,
    item_id: String,
    item_seq: i64,
    item_hash: String,
    prev_hash: String,
    hash: String,
}

const PAGE: i64 = 20_000;
const LEDGER_SQL: &str =
    "SELECT seq, item_id, item_seq, item_hash, prev_hash, hash FROM item_ledger";
const EVENTS_SQL: &str = "SELECT item_id, seq, at, actor_user_id, kind, from_state, to_state, note, attachments, \
     payload, prev_hash, hash FROM item_events";

/// The ledger's chain, checked row by row in order, and the last head it recorded for
/// every item.
struct LedgerCheck {
    rows: i64,
    heads: HashMap<String, (i64, String)>,
    broken: Option<ItemBreak>,
    prev: String,
    expected: i64,
}

impl LedgerCheck {
    fn new() -> Self {
        LedgerCheck {
            rows: 0,
            heads: HashMap::new(),
            broken: None,
            prev: GENESIS.to_owned(),
            expected: 1,
        }
    }

    /// Takes the next row; `false` once the chain is broken.
    fn feed(
        &mut self,
        seq: i64,
        item_id: &str,
        item_seq: i64,
        item_hash: &str,
        prev_hash: &str,
        hash: &str,
    ) -> bool {
        self.rows += 1;
        let problem = if seq != self.expected {
            Some(format!("ledger row {} is missing", self.expected))
        } else if prev_hash != self.prev {
            Some("its previous-hash link does not match the row before".to_owned())
        } else if !ledger_hash_matches(seq, item_id, item_seq, item_hash, prev_hash, hash) {
            Some("its content does not match its hash".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            self.broken = Some(ItemBreak {
                item_id: item_id.to_owned(),
                seq: self.expected.min(seq),
                problem,
            });
            return false;
        }
        self.prev = hash.to_owned();
        self.expected += 1;
        match self.heads.get_mut(item_id) {
            Some(h) => {
                h.0 = item_seq;
                item_hash.clone_into(&mut h.1);
            }
            None => {
                self.heads
                    .insert(item_id.to_owned(), (item_seq, item_hash.to_owned()));
            }
        }
        true
    }
}

/// Every item's chain, fed its events in (item, seq) order.
struct ChainCheck {
    items: i64,
    events: i64,
    /// The last event of every item whose chain is intact, in item order.
    heads: Vec<(String, i64, String)>,
    broken: Option<ItemBreak>,
    /// Every item whose chain is broken (the first is in `broken`).
    broken_items: Vec<String>,
    current: Option<(String, i64, String)>,
    current_broken: bool,
}

impl ChainCheck {
    fn new() -> Self {
        ChainCheck {
            items: 0,
            events: 0,
            heads: Vec::new(),
            broken: None,
            broken_items: Vec::new(),
            current: None,
            current_broken: false,
        }
    }

    fn feed(&mut self, e: &EventContent<'_>, prev_hash: &str, hash: &str) {
        self.events += 1;
        if self.current.as_ref().is_none_or(|c| c.0 != e.item_id) {
            self.close();
            self.items += 1;
            self.current = Some((e.item_id.to_owned(), 0, GENESIS.to_owned()));
            self.current_broken = false;
        }
        if self.current_broken {
            return;
        }
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        let expected_seq = cur.1 + 1;
        let problem = if e.seq != expected_seq {
            Some(format!("event {expected_seq} is missing"))
        } else if prev_hash != cur.2 {
            Some("its previous-hash link does not match the event before".to_owned())
        } else if !event_hash_matches(e, prev_hash, hash) {
            Some("its content does not match its hash".to_owned())
        } else {
            None
        };
        match problem {
            Some(problem) => {
                if self.broken.is_none() {
                    self.broken = Some(ItemBreak {
                        item_id: e.item_id.to_owned(),
                        seq: expected_seq.min(e.seq),
                        problem,
                    });
                }
                self.broken_items.push(e.item_id.to_owned());
                self.current_broken = true;
            }
            None => {
                cur.1 = e.seq;
                hash.clone_into(&mut cur.2);
            }
        }
    }

    fn close(&mut self) {
        if let Some(done) = self.current.take()
            && !self.current_broken
        {
            self.heads.push(done);
        }
    }
}

impl Store {
    /// Recomputes every event's hash and link, every ledger row, and checks that the
    /// ledger's last word on each item is that item's head, and that no item the ledger
    /// knows has vanished. The two passes run at once. On SQLite they read the file
    /// through its own read-only connections on two threads, and block the caller until
    /// done: call it from the CLI or a blocking task, not from a request.
    pub async fn verify_items(&self) -> Result<ItemChainReport> {
        let (ledger, chains) = match self.sqlite_file() {
            Some(path) => {
                let lp = path.clone();
                let ledger = std::thread::spawn(move || -> Result<LedgerCheck> {
                    let mut c = LedgerCheck::new();
                    crate::rawscan::scan(&lp, &format!("{LEDGER_SQL} ORDER BY seq"), |r| {
                        Ok(c.feed(
                            r.int(0),
                            r.text_or_empty(1)?,
                            r.int(2),
                            r.text_or_empty(3)?,
                            r.text_or_empty(4)?,
                            r.text_or_empty(5)?,
                        ))
                    })?;
                    Ok(c)
                });
                let mut chains = ChainCheck::new();
                crate::rawscan::scan(&path, &format!("{EVENTS_SQL} ORDER BY item_id, seq"), |r| {
                    let e = EventContent {
                        item_id: r.text_or_empty(0)?,
                        seq: r.int(1),
                        at: r.int(2),
                        actor_user_id: r.text(3)?,
                        kind: r.text_or_empty(4)?,
                        from_state: r.text(5)?,
                        to_state: r.text(6)?,
                        note: r.text(7)?,
                        attachments: r.text_or_empty(8)?,
                        payload: r.text_or_empty(9)?,
                    };
                    chains.feed(&e, r.text_or_empty(10)?, r.text_or_empty(11)?);
                    Ok(true)
                })?;
                let ledger = ledger
                    .join()
                    .map_err(|_| StoreError::Corrupt("the ledger check panicked".into()))??;
                (ledger, chains)
            }
            None => {
                let (l, c) =
                    futures_util::future::join(self.ledger_pass(), self.chain_pass()).await;
                (l?, c?)
            }
        };
        let mut chains = chains;
        chains.close();
        let mut ledger = ledger;
        if ledger.broken.is_none() {
            let (head_seq, head_hash): (i64, String) = on_pool!(self, p => sqlx::query_as(
                "SELECT seq, hash FROM item_ledger_head WHERE id = 1").fetch_one(p).await?);
            if head_seq != ledger.expected - 1 || head_hash != ledger.prev {
                ledger.broken = Some(ItemBreak {
                    item_id: String::new(),
                    seq: head_seq,
                    problem: "ledger rows at the end of the chain are missing".into(),
                });
            }
        }
        let mut report = ItemChainReport {
            items: chains.items,
            events: chains.events,
            ledger_rows: ledger.rows,
            item_break: chains.broken.clone(),
            ledger_break: ledger.broken.clone(),
        };
        // The ledger check of a broken item would only repeat the same finding.
        for b in &chains.broken_items {
            ledger.heads.remove(b);
        }
        if report.ledger_break.is_none() {
            for (item, seq, hash) in chains.heads {
                let problem = match ledger.heads.remove(&item) {
                    None => Some("the item's events are not in the ledger".to_owned()),
                    Some((s, _)) if s > seq => Some(format!(
                        "the ledger records event {s} but the item ends at event {seq} (deleted events)"
                    )),
                    Some((s, h)) if s != seq || h != hash => {
                        Some("the item's head does not match the ledger".to_owned())
                    }
                    Some(_) => None,
                };
                if let Some(problem) = problem {
                    report.ledger_break = Some(ItemBreak {
                        item_id: item,
                        seq,
                        problem,
                    });
                    break;
                }
            }
        }
        // Whatever the ledger still holds had no events at all: deleted items.
        if report.ledger_break.is_none()
            && let Some((item, (seq, _))) = ledger.heads.iter().min_by(|a, b| a.0.cmp(b.0))
        {
            report.ledger_break = Some(ItemBreak {
                item_id: item.clone(),
                seq: *seq,
                problem: "the ledger records this item but it has no events (deleted)".into(),
            });
        }
        Ok(report)
    }

    /// The database file, when the store is a SQLite file (not in memory).
    fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match &self.pool {
            crate::pool::Pool::Sqlite(p) => {
                let opts = p.connect_options();
                let f = opts.get_filename();
                let s = f.to_string_lossy();
                (!s.is_empty() && !s.contains(":memory:")).then(|| f.to_path_buf())
            }
            crate::pool::Pool::Postgres(_) => None,
        }
    }

    async fn ledger_pass(&self) -> Result<LedgerCheck> {
        let mut c = LedgerCheck::new();
        let mut after = 0i64;
        loop {
            let sql = format!("{LEDGER_SQL} WHERE seq > $1 ORDER BY seq LIMIT $2");
            let rows = on_pool!(self, p => sqlx::query_as::<_, LedgerRow>(sqlx::AssertSqlSafe(sql))
                .bind(after).bind(PAGE).fetch_all(p).await?);
            let Some(last) = rows.last() else { break };
            after = last.seq;
            let n = rows.len() as i64;
            for r in &rows {
                if !c.feed(
                    r.seq,
                    &r.item_id,
                    r.item_seq,
                    &r.item_hash,
                    &r.prev_hash,
                    &r.hash,
                ) {
                    return Ok(c);
                }
            }
            if n < PAGE {
                break;
            }
        }
        Ok(c)
    }

    async fn chain_pass(&self) -> Result<ChainCheck> {
        let mut c = ChainCheck::new();
        let mut cursor = (String::new(), 0i64);
        loop {
            let sql = format!(
                "{EVENTS_SQL} WHERE (item_id, seq) > ($1, $2) ORDER BY item_id, seq LIMIT $3"
            );
            let rows = on_pool!(self, p => sqlx::query_as::<_, EventRow>(sqlx::AssertSqlSafe(sql))
                .bind(cursor.0.clone()).bind(cursor.1).bind(PAGE).fetch_all(p).await?);
            let n = rows.len() as i64;
            if let Some(last) = rows.last() {
                cursor = (last.item_id.clone(), last.seq);
            }
            for r in &rows {
                let e = EventContent {
                    item_id: &r.item_id,
                    seq: r.seq,
                    at: r.at,
                    actor_user_id: r.actor_user_id.as_deref(),
                    kind: &r.kind,
                    from_state: r.from_state.as_deref(),
                    to_state: r.to_state.as_deref(),
                    note: r.note.as_deref(),
                    attachments: &r.attachments,
                    payload: &r.payload,
                };
                c.feed(&e, &r.prev_hash, &r.hash);
            }
            if n < PAGE {
                break;
            }
        }
        Ok(c)
    }
}
