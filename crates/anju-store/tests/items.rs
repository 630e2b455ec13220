//! The closed loop end to end in the store, on both backends: the lifecycle with real
//! parties, splitting, idempotent retries, deadlines with a controlled clock (two workers
//! on one database), the maintained counts, and tamper detection.

use anju_core::item::{ItemInput, SplitChild, TransitionInput, replay_events};
use anju_core::lifecycle::{Action, ItemState, TransitionError};
use anju_core::officer::format_time;
use anju_core::{AreaCode, Clock, Scope};
use anju_store::{Backend, ItemDetail, Store, StoreError};
use anju_testdb::world::{World, build};
use anju_testdb::{backends, fresh_url};
use proptest::prelude::*;
use sqlx::Connection;
use uuid::Uuid;

const HOUR: i64 = 3_600_000;
/// 2023-07-04 08:00 +08:00, the morning after the Wanzhou rain.
const START: i64 = 1_688_428_800_000;

async fn world(b: Backend) -> (Store, World, String) {
    let url = fresh_url(b).await;
    let store = Store::open(&url, Clock::manual(START)).await.expect("open");
    let w = build(&store, |p| format!("hash:{p}")).await;
    (store, w, url)
}

fn input(w: &World, area: &str, owner: &str, verifier: &str, due_in_h: i64) -> ItemInput {
    ItemInput {
        title: "排查高笋塘街道受损房屋".into(),
        description: "逐户排查，拍照上传".into(),
        source: Some("meeting".into()),
        source_ref: Some("2023-07-03 区防指会议 第3项".into()),
        area: area.into(),
        owner_unit_id: w.unit(owner),
        verifier_unit_id: w.unit(verifier),
        priority: Some("high".into()),
        due_at: format_time(START + due_in_h * HOUR),
        ..Default::default()
    }
}

fn act(action: Action, note: Option<&str>) -> TransitionInput {
    TransitionInput {
        action,
        note: note.map(str::to_owned),
        attachments: vec![],
        owner_unit_id: None,
        owner_officer_id: None,
    }
}

async fn create(store: &Store, w: &World, by: &str, i: ItemInput) -> Uuid {
    let item = i.validate(store.clock().now_ms()).expect("valid");
    store
        .create_item(&w.scope(by), None, &item)
        .await
        .expect("create")
        .id
}

async fn move_(
    store: &Store,
    w: &World,
    by: &str,
    id: Uuid,
    a: Action,
    note: Option<&str>,
) -> Result<ItemState, StoreError> {
    store
        .transition_item(&w.scope(by), id, &act(a, note), None)
        .await
        .map(|v| v.state)
}

fn replayed(d: &ItemDetail) -> Option<ItemState> {
    replay_events(d.events.iter().map(|e| e.kind))
}

async fn counts_match(store: &Store) {
    for c in [
        "50",
        "500101",
        "500101001",
        "500101001001",
        "500101001002",
        "500102",
    ] {
        let a = AreaCode::parse(c).expect("code");
        let kept = store
            .item_stats(&Scope::everything(), Some(a))
            .await
            .expect("stats")
            .total;
        let again = store.item_stats_recomputed(a).await.expect("recount");
        assert_eq!(
            (
                kept.assigned,
                kept.accepted,
                kept.in_progress,
                kept.submitted,
                kept.returned,
                kept.verified,
                kept.cancelled,
                kept.overdue,
                kept.open
            ),
            (
                again.assigned,
                again.accepted,
                again.in_progress,
                again.submitted,
                again.returned,
                again.verified,
                again.cancelled,
                again.overdue,
                again.open
            ),
            "maintained counts of {c} differ from recomputation"
        );
    }
}

#[tokio::test]
async fn the_loop_closes_only_when_someone_else_verifies() {
    for b in backends() {
        let (s, w, _) = world(b).await;
        let id = create(
            &s,
            &w,
            "wz_leader",
            input(&w, "500101001", "gst_gov", "wz_office", 48),
        )
        .await;
        // Only the owner accepts; the verifier's office cannot.
        let e = move_(&s, &w, "wz_inspector", id, Action::Accept, None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Transition(TransitionError::NotYours { .. })),
            "{b:?}: {e:?}"
        );
        assert_eq!(
            move_(&s, &w, "gst_staff", id, Action::Accept, None)
                .await
                .expect("accept"),
            ItemState::Accepted
        );
        // An illegal move is refused with what is allowed instead.
        match move_(&s, &w, "gst_staff", id, Action::Verify, None)
            .await
            .unwrap_err()
        {
            StoreError::Transition(TransitionError::NotAllowedFrom { allowed, .. }) => {
                assert_eq!(
                    allowed,
                    vec![Action::Start, Action::Cancel, Action::Reassign]
                );
            }
            other => panic!("{b:?}: {other:?}"),
        }
        move_(&s, &w, "gst_staff", id, Action::Start, None)
            .await
            .expect("start");
        // A submission needs a note or evidence.
        assert!(
            move_(&s, &w, "gst_staff", id, Action::Submit, None)
                .await
                .is_err()
        );
        move_(
            &s,
            &w,
            "gst_staff",
            id,
            Action::Submit,
            Some("已排查 312 户，受损 17 户"),
        )
        .await
        .expect("submit");
        // The submitter's own unit is not the verifier; a return needs a note.
        assert!(
            move_(&s, &w, "gst_leader", id, Action::Verify, None)
                .await
                .is_err()
        );
        assert!(
            move_(&s, &w, "wz_inspector", id, Action::Return, None)
                .await
                .is_err()
        );
        move_(&s, &w, "wz_inspector", id, Action::Return, Some("缺照片"))
            .await
            .expect("return");
        move_(&s, &w, "gst_staff", id, Action::Start, None)
            .await
            .expect("restart");
        move_(&s, &w, "gst_staff", id, Action::Submit, Some("补充照片"))
            .await
            .expect("resubmit");
        // The sibling district sees nothing of it.
        assert!(matches!(
            s.item(&w.scope("fl_leader"), id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            move_(&s, &w, "fl_leader", id, Action::Verify, None).await,
            Err(StoreError::NotFound)
        ));
        // A viewer of the district reads it but may not act.
        assert!(
            s.item(&w.scope("wz_viewer"), id)
                .await
                .expect("viewer reads")
                .item
                .allowed
                .is_empty()
        );
        assert_eq!(
            move_(&s, &w, "wz_inspector", id, Action::Verify, None)
                .await
                .expect("verify"),
            ItemState::Verified
        );
        let d = s.item(&w.scope("wz_leader"), id).await.expect("item");
        assert_eq!(replayed(&d), Some(ItemState::Verified));
        assert_eq!(d.events.len(), 8, "{b:?}");
        assert!(d.item.closed_at.is_some());
        counts_match(&s).await;
        assert!(s.verify_items().await.expect("verify").is_intact());
    }
}

#[tokio::test]
async fn the_submitter_cannot_verify_their_own_work() {
    for b in backends() {
        let (s, w, _) = world(b).await;
        // A unit that checks its own members' work: another member must verify.
        let id = create(
            &s,
            &w,
            "wz_leader",
            input(&w, "500101", "wz_gov", "wz_gov", 48),
        )
        .await;
        for a in [Action::Accept, Action::Start] {
            move_(&s, &w, "wz_staff", id, a, None).await.expect("move");
        }
        move_(&s, &w, "wz_staff", id, Action::Submit, Some("完成"))
            .await
            .expect("submit");
        let e = move_(&s, &w, "wz_staff", id, Action::Verify, None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Transition(TransitionError::Missing(_))),
            "{b:?}: {e:?}"
        );
        move_(&s, &w, "wz_leader", id, Action::Verify, None)
            .await
            .expect("another member verifies");
    }
}

#[tokio::test]
async fn retries_have_the_effect_of_one() {
    for b in backends() {
        let (s, w, _) = world(b).await;
        let item = input(&w, "500101001", "gst_gov", "wz_office", 48)
            .validate(START)
            .expect("valid");
        let cid = Uuid::now_v7();
        let a = s
            .create_item(&w.scope("wz_leader"), Some(cid), &item)
            .await
            .expect("create");
        let again = s
            .create_item(&w.scope("wz_leader"), Some(cid), &item)
            .await
            .expect("retry");
        assert_eq!(a.id, again.id);
        for _ in 0..3 {
            s.transition_item(
                &w.scope("gst_staff"),
                cid,
                &act(Action::Accept, None),
                Some("k-accept-1"),
            )
            .await
            .expect("accept (retried)");
        }
        let d = s.item(&w.scope("gst_staff"), cid).await.expect("item");
        assert_eq!(d.events.len(), 2, "{b:?}: one create, one accept");
        assert_eq!(d.item.state, ItemState::Accepted);
        let stats = s
            .item_stats(&Scope::everything(), None)
            .await
            .expect("stats");
        assert_eq!(stats.total.accepted, 1);
        assert_eq!(stats.total.open, 1);
    }
}

#[tokio::test]
async fn split_down_and_close_up() {
    for b in backends() {
        let (s, w, _) = world(b).await;
        let id = create(
            &s,
            &w,
            "wz_leader",
            input(&w, "500101001", "gst_gov", "wz_office", 72),
        )
        .await;
        // Splitting belongs to the owner, once accepted.
        let children = |due: i64| {
            vec![
                SplitChild {
                    id: None,
                    area: AreaCode::parse("500101001001").expect("c"),
                    owner_unit_id: w.unit("df_committee"),
                    owner_officer_id: None,
                    due_at: START + due * HOUR,
                    title: Some("东方广场社区排查".into()),
                    description: None,
                },
                SplitChild {
                    id: None,
                    area: AreaCode::parse("500101001002").expect("c"),
                    owner_unit_id: w.unit("xs_committee"),
                    owner_officer_id: None,
                    due_at: START + due * HOUR,
                    title: None,
                    description: None,
                },
            ]
        };
        assert!(
            s.split_item(&w.scope("gst_staff"), id, &children(48), None)
                .await
                .is_err(),
            "split before accept"
        );
        move_(&s, &w, "gst_staff", id, Action::Accept, None)
            .await
            .expect("accept");
        assert!(matches!(
            s.split_item(&w.scope("wz_inspector"), id, &children(48), None)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        let d = s
            .split_item(&w.scope("gst_staff"), id, &children(48), Some("split-1"))
            .await
            .expect("split");
        let again = s
            .split_item(&w.scope("gst_staff"), id, &children(48), Some("split-1"))
            .await
            .expect("split retried");
        assert_eq!(d.children.len(), 2);
        assert_eq!(
            again.children.len(),
            2,
            "{b:?}: a retried split made more children"
        );
        assert_eq!(d.item.children_total, 2);
        // The village cadre sees and works their own child only.
        let mine = &d
            .children
            .iter()
            .find(|c| c.area == "500101001001")
            .expect("child");
        assert!(
            s.item(&w.scope("df_cadre"), d.children[1].id)
                .await
                .is_err()
                || d.children[1].area == "500101001001"
        );
        for a in [Action::Accept, Action::Start] {
            move_(&s, &w, "df_cadre", mine.id, a, None)
                .await
                .expect("child moves");
        }
        move_(
            &s,
            &w,
            "df_cadre",
            mine.id,
            Action::Submit,
            Some("完成 41 户"),
        )
        .await
        .expect("child submit");
        // A village cadre may not verify; the town (the parent's owner) does.
        move_(&s, &w, "gst_leader", mine.id, Action::Verify, None)
            .await
            .expect("child verified by the town");
        move_(&s, &w, "gst_staff", id, Action::Start, None)
            .await
            .expect("parent start");
        move_(&s, &w, "gst_staff", id, Action::Submit, Some("汇总"))
            .await
            .expect("parent submit");
        let e = move_(&s, &w, "wz_inspector", id, Action::Verify, None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Transition(TransitionError::Missing(_))),
            "{b:?}: parent verified with a child open: {e:?}"
        );
        let other = d
            .children
            .iter()
            .find(|c| c.area == "500101001002")
            .expect("child");
        s.transition_item(
            &w.scope("gst_leader"),
            other.id,
            &act(Action::Cancel, None),
            None,
        )
        .await
        .expect("the assigner cancels");
        move_(&s, &w, "wz_inspector", id, Action::Verify, None)
            .await
            .expect("parent verified");
        let d = s.item(&w.scope("wz_leader"), id).await.expect("parent");
        assert_eq!(d.item.children_closed, 2);
        assert!(
            d.events
                .iter()
                .any(|e| e.kind == anju_core::item::EventKind::Split)
        );
        counts_match(&s).await;
        assert!(s.verify_items().await.expect("verify").is_intact());
    }
}

#[tokio::test]
async fn reminders_then_escalation_up_the_tree_with_two_workers() {
    for b in backends() {
        let (s, w, url) = world(b).await;
        let id = create(
            &s,
            &w,
            "wz_leader",
            input(&w, "500101001001", "df_committee", "gst_gov", 30),
        )
        .await;
        let other = Store::open(&url, s.clock().clone())
            .await
            .expect("second instance");
        let run = |n: usize| {
            let (a, b2) = (s.clone(), other.clone());
            async move {
                let (x, y) = tokio::join!(a.run_deadlines(100), b2.run_deadlines(100));
                let total = x.expect("worker a").total() + y.expect("worker b").total();
                assert_eq!(total, n, "the two workers did {total} things, not {n}");
            }
        };
        run(0).await;
        assert_eq!(
            s.next_deadline_wake().await.expect("wake"),
            Some(START + 6 * HOUR)
        );
        s.clock().advance_ms(6 * HOUR);
        run(1).await; // 24 h before
        run(0).await;
        s.clock().advance_ms(22 * HOUR);
        run(1).await; // 2 h before
        s.clock().advance_ms(2 * HOUR);
        run(1).await; // due: level 1, the committee's leader (none: the committee itself)
        let view = s.item_view(&w.scope("gst_leader"), id).await.expect("item");
        assert_eq!((view.escalation_level, view.overdue), (1, true));
        assert_eq!(
            s.item_stats(&Scope::everything(), None)
                .await
                .expect("stats")
                .total
                .overdue,
            1
        );
        s.clock().advance_ms(23 * HOUR);
        run(0).await; // a level never comes early
        s.clock().advance_ms(HOUR);
        run(1).await; // level 2: the village's supervising unit, the town government
        let inbox = s.inbox(&w.scope("gst_leader")).await.expect("inbox");
        assert!(
            inbox
                .notifications
                .iter()
                .any(|n| n.kind == "escalation" && n.level == 2),
            "{b:?}: {:?}",
            inbox.notifications
        );
        s.clock().advance_ms(24 * HOUR);
        run(1).await; // level 3: the town's supervising unit (its government)
        s.clock().advance_ms(24 * HOUR);
        run(1).await; // level 4: the district's supervision office
        let office = s
            .notifications(&w.scope("wz_inspector"), true, 50)
            .await
            .expect("notes");
        assert!(office.iter().any(|n| n.level == 4), "{b:?}: {office:?}");
        let d = s.item(&w.scope("wz_leader"), id).await.expect("item");
        let levels: Vec<i64> = d
            .events
            .iter()
            .filter_map(|e| e.payload.get("level").and_then(|l| l.as_i64()))
            .collect();
        assert_eq!(
            levels,
            vec![1, 2, 3, 4],
            "{b:?}: escalations skipped or repeated a level"
        );
        // Closing the item stops the clock and clears it from the overdue count.
        for a in [Action::Accept, Action::Start] {
            move_(&s, &w, "df_cadre", id, a, None).await.expect("move");
        }
        move_(&s, &w, "df_cadre", id, Action::Submit, Some("已完成"))
            .await
            .expect("submit");
        move_(&s, &w, "gst_leader", id, Action::Verify, None)
            .await
            .expect("verify");
        s.clock().advance_ms(100 * HOUR);
        run(0).await;
        counts_match(&s).await;
        assert!(s.verify_items().await.expect("verify").is_intact());
    }
}

#[tokio::test]
async fn many_items_falling_due_at_once_are_escalated_once_each() {
    for b in backends() {
        let (s, w, url) = world(b).await;
        let due = input(&w, "500101001", "gst_gov", "wz_office", 1);
        for _ in 0..300 {
            create(&s, &w, "wz_leader", due.clone()).await;
        }
        let other = Store::open(&url, s.clock().clone())
            .await
            .expect("second instance");
        s.clock().advance_ms(HOUR);
        let (x, y) = tokio::join!(s.run_deadlines(50), other.run_deadlines(50));
        let (x, y) = (x.expect("a"), y.expect("b"));
        assert_eq!(x.escalated + y.escalated, 300, "{b:?}: {x:?} {y:?}");
        assert_eq!(
            s.item_stats(&Scope::everything(), None)
                .await
                .expect("stats")
                .total
                .overdue,
            300
        );
        counts_match(&s).await;
        assert!(s.verify_items().await.expect("verify").is_intact());
    }
}

async fn raw(url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if let Some(path) = url.strip_prefix("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("raw sql");
    }
}

async fn three_items(s: &Store, w: &World) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = create(
            s,
            w,
            "wz_leader",
            input(w, "500101001", "gst_gov", "wz_office", 48),
        )
        .await;
        move_(s, w, "gst_staff", id, Action::Accept, None)
            .await
            .expect("accept");
        move_(s, w, "gst_staff", id, Action::Start, None)
            .await
            .expect("start");
        ids.push(id);
    }
    ids.sort();
    ids
}

#[tokio::test]
async fn tampering_with_item_history_is_found() {
    for b in backends() {
        let unlock = match b {
            Backend::Sqlite => {
                "DROP TRIGGER item_events_no_update; DROP TRIGGER item_events_no_delete;"
            }
            Backend::Postgres => "ALTER TABLE item_events DISABLE TRIGGER item_events_no_change;",
        };
        // The database refuses edits to history outright…
        let (s, w, url) = world(b).await;
        let ids = three_items(&s, &w).await;
        let refused = if let Some(path) = url.strip_prefix("sqlite:") {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
                .await
                .expect("c");
            sqlx::raw_sql("DELETE FROM item_events")
                .execute(&mut c)
                .await
                .is_err()
        } else {
            let mut c = sqlx::PgConnection::connect(&url).await.expect("c");
            sqlx::raw_sql("DELETE FROM item_events")
                .execute(&mut c)
                .await
                .is_err()
        };
        assert!(refused, "{b:?}");
        assert!(s.verify_items().await.expect("verify").is_intact());

        // …one changed byte of one event…
        raw(&url, unlock).await;
        raw(
            &url,
            &format!(
                "UPDATE item_events SET note = 'X' WHERE item_id = '{}' AND seq = 1",
                ids[1]
            ),
        )
        .await;
        let r = s.verify_items().await.expect("verify");
        let br = r.item_break.expect("a changed event went unnoticed");
        assert_eq!(
            (br.item_id.as_str(), br.seq),
            (ids[1].to_string().as_str(), 1),
            "{b:?}"
        );

        // …an item's last event deleted (and its head rewritten to match)…
        let (s, w, url) = world(b).await;
        let ids = three_items(&s, &w).await;
        raw(&url, unlock).await;
        raw(
            &url,
            &format!(
                "DELETE FROM item_events WHERE item_id = '{}' AND seq = 3",
                ids[2]
            ),
        )
        .await;
        raw(
            &url,
            &format!("UPDATE items SET head_seq = 2 WHERE id = '{}'", ids[2]),
        )
        .await;
        let r = s.verify_items().await.expect("verify");
        assert!(r.item_break.is_none(), "{r:?}");
        let lb = r.ledger_break.expect("a deleted last event went unnoticed");
        assert_eq!(lb.item_id, ids[2].to_string(), "{b:?}");

        // …and a whole item with all its events.
        let (s, w, url) = world(b).await;
        let ids = three_items(&s, &w).await;
        raw(&url, unlock).await;
        raw(
            &url,
            &format!(
                "DELETE FROM item_events WHERE item_id = '{0}'; DELETE FROM items WHERE id = '{0}'",
                ids[0]
            ),
        )
        .await;
        let r = s.verify_items().await.expect("verify");
        let lb = r.ledger_break.expect("a deleted item went unnoticed");
        assert_eq!(lb.item_id, ids[0].to_string(), "{b:?}");
    }
}

/// Random sequences of transitions by random people: never an invalid state, the state
/// always the replay of the events, the counts always the recount.
async fn random_walk(b: Backend, steps: Vec<(usize, usize, bool)>) {
    let (s, w, _) = world(b).await;
    let people = [
        "wz_leader",
        "wz_inspector",
        "gst_staff",
        "gst_leader",
        "df_cadre",
        "fl_leader",
        "wz_viewer",
    ];
    let id = create(
        &s,
        &w,
        "wz_leader",
        input(&w, "500101001", "gst_gov", "wz_office", 48),
    )
    .await;
    let mut state = ItemState::Assigned;
    for (who, action, note) in steps {
        let a = Action::ALL[action % Action::ALL.len()];
        let mut t = act(a, note.then_some("说明"));
        if a == Action::Reassign {
            t.owner_unit_id = Some(w.unit("gst_gov"));
        }
        match s
            .transition_item(&w.scope(people[who % people.len()]), id, &t, None)
            .await
        {
            Ok(v) => {
                assert!(state.is_open(), "a closed item moved");
                state = v.state;
            }
            Err(
                StoreError::Transition(_)
                | StoreError::NotFound
                | StoreError::Forbidden(_)
                | StoreError::Validation(_),
            ) => {}
            Err(e) => panic!("{b:?}: {e}"),
        }
        let d = s.item(&Scope::everything(), id).await.expect("item");
        assert_eq!(d.item.state, state);
        assert_eq!(
            replayed(&d),
            Some(state),
            "{b:?}: state differs from the replay of events"
        );
    }
    counts_match(&s).await;
    assert!(s.verify_items().await.expect("verify").is_intact());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn random_transitions_keep_the_loop_sound(steps in prop::collection::vec((0usize..7, 0usize..7, any::<bool>()), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        for b in backends() {
            rt.block_on(random_walk(b, steps.clone()));
        }
    }
}

#[tokio::test]
async fn histories_load_in_bulk_chained_and_counted() {
    use anju_store::{HistoryStep, ItemHistory};
    for b in backends() {
        let (s, w, _) = world(b).await;
        let staff = w.person("gst_staff").user_id;
        let item = input(&w, "500101001", "gst_gov", "wz_office", 48)
            .validate(START)
            .expect("valid");
        let step = |a: Action, h: i64| HistoryStep {
            action: a,
            by: staff,
            at: START + h * HOUR,
            note: Some("迁移".into()),
        };
        let good: Vec<ItemHistory> = (0..50)
            .map(|i| ItemHistory {
                id: Uuid::now_v7(),
                item: item.clone(),
                assigner_user_id: w.person("wz_leader").user_id,
                created_at: START,
                steps: match i % 3 {
                    0 => vec![],
                    1 => vec![step(Action::Accept, 1), step(Action::Start, 2)],
                    _ => vec![step(Action::Accept, 1), step(Action::Cancel, 3)],
                },
            })
            .collect();
        let mut bad = good.clone();
        bad[7].steps = vec![step(Action::Verify, 1)];
        for h in &mut bad {
            h.id = Uuid::now_v7();
        }
        let e = s
            .load_item_histories(&Scope::everything(), &bad)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Validation(v) if v.errors[0].field == "items[7].steps"),
            "{e:?}"
        );
        assert_eq!(
            s.item_stats(&Scope::everything(), None)
                .await
                .expect("stats")
                .total
                .open,
            0,
            "{b:?}: a refused load wrote"
        );
        let n = s
            .load_item_histories(&Scope::everything(), &good)
            .await
            .expect("load");
        assert_eq!(n, 50 + 2 * 17 + 2 * 16);
        counts_match(&s).await;
        let r = s.verify_items().await.expect("verify");
        assert!(r.is_intact(), "{r:?}");
        assert_eq!((r.items, r.events), (50, n as i64));
        // Loaded items live on: the owner works them like any other.
        let open = good
            .iter()
            .find(|h| h.steps.len() == 2 && h.steps[1].action == Action::Start)
            .expect("one");
        move_(&s, &w, "gst_staff", open.id, Action::Submit, Some("完成"))
            .await
            .expect("submit");
        assert!(s.verify_items().await.expect("verify").is_intact());
    }
}
