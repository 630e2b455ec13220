//! Background work of a server instance: the deadline worker, which sends reminders and
//! escalates late items. It sleeps until the earliest `next_wake_at` (read from its
//! index) and looks again at least every `POLL`, so items created through another
//! instance are seen too. Any number of instances may run it on one database.

use std::time::Duration;

use anju_store::Store;

/// The longest the worker sleeps without looking.
const POLL: Duration = Duration::from_secs(5);
/// Items handled per transaction.
const BATCH: i64 = 1_000;

/// Runs the deadline worker until the task is dropped.
pub fn spawn_deadlines(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match store.run_deadlines(BATCH).await {
                Ok(run) if run.total() > 0 => {
                    tracing::info!(
                        reminded = run.reminded,
                        escalated = run.escalated,
                        "deadlines"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::error!("deadline worker: {e}"),
            }
            let wait = match store.next_deadline_wake().await {
                Ok(Some(at)) => {
                    let ms = (at - store.clock().now_ms()).max(0);
                    Duration::from_millis(ms.unsigned_abs()).min(POLL)
                }
                Ok(None) => POLL,
                Err(e) => {
                    tracing::error!("deadline worker: {e}");
                    POLL
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(20))).await;
        }
    })
}
