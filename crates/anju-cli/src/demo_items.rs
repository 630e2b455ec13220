//! The demo's closed loop: the four weeks before the demo's date (by default late 2023,
//! while the houses damaged by the July rain are rebuilt), replayed on a manual clock
//! that ends at the demo clock's now. The city's supervision office assigns the
//! standing committee's recovery decisions (2023-09-15) to every district; the
//! districts hit hardest split the house-by-house check down to their towns; towns work
//! at their own pace (one district stalls), districts verify, the deadline worker
//! reminds and escalates as it would have, and reports come in from a community and are
//! triaged.

use std::collections::HashMap;

use anju_atlas::Atlas;
use anju_core::item::{ItemInput, SplitChild, TransitionInput};
use anju_core::lifecycle::{Action, ItemState};
use anju_core::officer::format_time;
use anju_core::report::{ReportInput, TriageInput};
use anju_core::{Actor, AreaCode, AreaLevel, Clock, Role, Scope};
use anju_store::{NewUser, Store};
use anyhow::Context;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use crate::demo::{DemoAccount, Staff};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// The districts and counties hit by the July 2023 rain around Wanzhou.
const FLOODED: [&str; 8] = [
    "500101", "500154", "500155", "500233", "500235", "500236", "500237", "500238",
];
/// Nothing moves here after acceptance: the district the forecast should flag.
const STALLED: &str = "500238";

/// The standing committee's recovery decisions (2023-09-15 meeting), as the city's
/// supervision round assigns them.
const DECISIONS: [(&str, &str, i64); 4] = [
    (
        "逐户复核受损房屋鉴定和重建进度",
        "对辖区内C、D级受损房屋逐户复核鉴定结论和维修重建进度，更新台账，确保春节前搬入新居。",
        14,
    ),
    (
        "组织冬春补种改种，减少农业损失",
        "对受淹农田逐村核实复耕面积，组织油菜、冬春蔬菜补种改种，确保不误农时。",
        21,
    ),
    (
        "落实防止因灾返贫监测帮扶",
        "对因灾收入骤减户逐户核查，符合条件的纳入监测并落实帮扶措施。",
        28,
    ),
    (
        "健全基层防灾避险体系",
        "完善村（社区）避险安置点和转移预案，落实责任人和叫应机制。",
        45,
    ),
];

/// An officer's account the history acts through; disabled, with a password nobody knows.
struct Acting {
    scopes: HashMap<AreaCode, Scope>,
}

impl Acting {
    fn get(&self, a: AreaCode) -> anyhow::Result<Scope> {
        self.scopes
            .get(&a)
            .copied()
            .with_context(|| format!("no acting account for {a}"))
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

async fn step(
    store: &Store,
    who: Scope,
    id: Uuid,
    a: Action,
    note: Option<&str>,
) -> anyhow::Result<()> {
    store
        .transition_item(&who, id, &act(a, note), None)
        .await
        .with_context(|| format!("{a:?} on item {id}"))?;
    Ok(())
}

/// Builds the history; returns a line saying what was made.
pub async fn build(
    db: &str,
    demo_clock: &Clock,
    atlas: &Atlas,
    government: &HashMap<AreaCode, Uuid>,
    staff: &Staff,
    accounts: &[DemoAccount],
) -> anyhow::Result<String> {
    let now = demo_clock.now_ms();
    let t0 = now - 28 * DAY - now.rem_euclid(DAY) + 9 * HOUR - 8 * HOUR; // 09:00 in Chongqing
    let clock = Clock::manual(t0);
    let store = Store::open(db, clock.clone()).await?;
    let all = Scope::everything();
    let code = |c: &str| AreaCode::parse(c).with_context(|| format!("code {c}"));
    let gov = |a: AreaCode| {
        government
            .get(&a)
            .copied()
            .with_context(|| format!("no government for {a}"))
    };
    let account = |name: &str| -> anyhow::Result<&DemoAccount> {
        accounts
            .iter()
            .find(|a| a.username == name)
            .with_context(|| format!("no demo account {name}"))
    };
    let user_scope = |a: &DemoAccount| {
        Scope::user(
            a.area,
            a.role,
            Actor {
                user_id: a.user_id,
                ip: None,
            },
        )
    };
    let city = user_scope(account("city")?);
    let wanzhou = user_scope(account("wanzhou")?);
    let gaosuntang = user_scope(account("gaosuntang")?);
    let dongfang = user_scope(account("dongfang")?);

    // Accounts for the district and town cadres who do the work in the history.
    let unknown = anju_server::auth::hash_password(Uuid::now_v7().to_string())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let districts: Vec<AreaCode> = atlas
        .areas()
        .iter()
        .filter(|a| a.level() == AreaLevel::District)
        .map(|a| a.code)
        .collect();
    let flooded: Vec<AreaCode> = FLOODED
        .iter()
        .map(|c| code(c))
        .collect::<anyhow::Result<_>>()?;
    let mut acting = Acting {
        scopes: HashMap::new(),
    };
    let towns_of = |d: AreaCode| -> Vec<AreaCode> {
        atlas
            .areas()
            .iter()
            .filter(|a| a.level() == AreaLevel::Town && a.code.parent() == Some(d))
            .map(|a| a.code)
            .collect()
    };
    let mut actors: Vec<AreaCode> = districts.clone();
    for d in &flooded {
        actors.extend(towns_of(*d));
    }
    for a in actors {
        let role = if a.level() == AreaLevel::District {
            Role::District
        } else {
            Role::Town
        };
        let officer = staff.cadres.get(&a).and_then(|c| c.first()).copied();
        let u = store
            .create_user(
                &all,
                &NewUser {
                    username: format!("cadre.{a}"),
                    password_hash: unknown.clone(),
                    role,
                    area: a,
                    officer_id: officer,
                },
            )
            .await?;
        store.set_user_disabled(&all, u.id, true).await?;
        acting.scopes.insert(
            a,
            Scope::user(
                a,
                role,
                Actor {
                    user_id: u.id,
                    ip: None,
                },
            ),
        );
    }

    let mut rng = ChaCha8Rng::seed_from_u64(20_230_704);
    let city_gov = gov(code("50")?)?;
    // Day 0: the city assigns each decision to every district government.
    let mut parents: Vec<(AreaCode, usize, Uuid)> = Vec::new();
    for d in &districts {
        for (k, (title, text, days)) in DECISIONS.iter().enumerate() {
            let input = ItemInput {
                title: (*title).to_owned(),
                description: (*text).to_owned(),
                source: Some("meeting".into()),
                source_ref: Some("市委常委会 2023-09-15 灾后恢复重建部署".into()),
                area: d.to_string(),
                owner_unit_id: gov(*d)?,
                verifier_unit_id: city_gov,
                priority: Some(if k == 0 { "urgent" } else { "high" }.into()),
                due_at: format_time(t0 + days * DAY + 9 * HOUR),
                ..Default::default()
            };
            let item = input.validate(clock.now_ms())?;
            let v = store.create_item(&city, None, &item).await?;
            parents.push((*d, k, v.id));
        }
    }

    // Day 1–2: districts accept (two of them late, after reminders); the flooded ones
    // split the house survey to every town, due in ten days.
    clock.advance_ms(DAY);
    store.run_deadlines(1000).await?;
    let late_accept = [code("500230")?, code("500242")?];
    for (d, _, id) in &parents {
        if !late_accept.contains(d) {
            let who = if *d == code("500101")? {
                wanzhou
            } else {
                acting.get(*d)?
            };
            step(&store, who, *id, Action::Accept, None).await?;
        }
    }
    clock.advance_ms(DAY);
    let mut children: Vec<(AreaCode, AreaCode, Uuid, f64)> = Vec::new();
    for (d, k, id) in &parents {
        if *k != 0 || !flooded.contains(d) {
            continue;
        }
        let who = if *d == code("500101")? {
            wanzhou
        } else {
            acting.get(*d)?
        };
        step(&store, who, *id, Action::Start, None).await?;
        let split: Vec<SplitChild> = towns_of(*d)
            .into_iter()
            .map(|t| {
                Ok(SplitChild {
                    id: None,
                    area: t,
                    owner_unit_id: gov(t)?,
                    owner_officer_id: None,
                    due_at: t0 + 12 * DAY + 9 * HOUR,
                    title: None,
                    description: None,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let detail = store.split_item(&who, *id, &split, None).await?;
        // Each district's towns keep their own pace; the stalled county's not at all.
        let pace = if d.to_string() == STALLED {
            0.0
        } else {
            0.55 + rng.random::<f64>() * 0.4
        };
        for c in detail.children {
            let area = code(&c.area)?;
            children.push((*d, area, c.id, pace * (0.6 + rng.random::<f64>() * 0.8)));
        }
    }
    // Days 3–25: towns accept, survey and submit; districts verify the next day.
    let mut state: HashMap<Uuid, ItemState> = children
        .iter()
        .map(|c| (c.2, ItemState::Assigned))
        .collect();
    for day in 3..=25 {
        clock.advance_ms(DAY);
        store.run_deadlines(1000).await?;
        if day == 5 {
            for d in &late_accept {
                for (pd, _, id) in &parents {
                    if pd == d {
                        step(&store, acting.get(*d)?, *id, Action::Accept, None).await?;
                    }
                }
            }
        }
        for (d, town, id, pace) in &children {
            let s = state[id];
            let chance = (*pace * 0.35).min(0.95);
            let moves = rng.random::<f64>() < chance;
            let next = match s {
                ItemState::Assigned if moves => Some((Action::Accept, None, town)),
                ItemState::Accepted if moves => Some((Action::Start, None, town)),
                ItemState::InProgress if moves && day >= 5 => {
                    Some((Action::Submit, Some("已逐户复核，台账已更新"), town))
                }
                ItemState::Returned if moves => Some((Action::Start, None, town)),
                ItemState::Submitted => Some((Action::Verify, None, d)),
                _ => None,
            };
            let Some((a, note, who)) = next else { continue };
            // One survey in twelve comes back for photos before it is accepted.
            let (a, note) = if a == Action::Verify && rng.random::<f64>() < 0.08 {
                (Action::Return, Some("缺少受损房屋照片，请补充"))
            } else {
                (a, note)
            };
            let who = if *who == code("500101")? {
                wanzhou
            } else {
                acting.get(*who)?
            };
            store
                .transition_item(&who, *id, &act(a, note), None)
                .await?;
            state.insert(
                *id,
                match a {
                    Action::Accept => ItemState::Accepted,
                    Action::Start => ItemState::InProgress,
                    Action::Submit => ItemState::Submitted,
                    Action::Return => ItemState::Returned,
                    _ => ItemState::Verified,
                },
            );
        }
        // A district whose towns have all closed reports up; the city verifies.
        if day == 22 {
            for (d, k, id) in &parents {
                if *k != 0 || !flooded.contains(d) {
                    continue;
                }
                let open = children
                    .iter()
                    .filter(|c| c.0 == *d && state[&c.2].is_open())
                    .count();
                if open == 0 {
                    let who = if *d == code("500101")? {
                        wanzhou
                    } else {
                        acting.get(*d)?
                    };
                    step(
                        &store,
                        who,
                        *id,
                        Action::Submit,
                        Some("全区受损房屋复核完毕，台账附后"),
                    )
                    .await?;
                    step(&store, city, *id, Action::Verify, None).await?;
                }
            }
        }
    }

    // Reports from 东方广场社区, triaged by 高笋塘街道's leader.
    let village = code("500101001001")?;
    let sightings = [
        (
            "landslide_sign",
            "社区后山挡墙出现裂缝，宽约2厘米，长10余米",
            108.3905,
            30.8121,
        ),
        (
            "flooded_road",
            "沙龙路下穿道供水管破裂，积水约20厘米，车辆缓行",
            108.3921,
            30.8098,
        ),
        (
            "damaged_house",
            "3组12号房屋后墙裂缝加宽，住户担心安全",
            108.3899,
            30.8110,
        ),
        (
            "landslide_sign",
            "后山挡墙裂缝处有泥水渗出",
            108.3906,
            30.8122,
        ),
        ("other", "居民反映停电，已联系供电所", 108.3912, 30.8105),
        (
            "missing_person",
            "独居老人刘某联系不上，家属求助",
            108.3918,
            30.8101,
        ),
    ];
    let mut reports = Vec::new();
    for (cat, text, lon, lat) in sightings {
        clock.advance_ms(2 * HOUR);
        let r = ReportInput {
            id: None,
            category: cat.into(),
            area: village.to_string(),
            lon,
            lat,
            description: text.into(),
            attachments: vec![],
        }
        .validate()?;
        reports.push(store.create_report(&dongfang, None, &r).await?.id);
    }
    let committee = gov(village)?;
    let gst_gov = gov(code("500101001")?)?;
    let deadline = format_time(clock.now_ms() + 2 * DAY);
    store
        .triage_report(
            &gaosuntang,
            reports[0],
            &TriageInput::CreateItems {
                items: vec![ItemInput {
                    title: "后山挡墙裂缝：设置警示、安排监测".into(),
                    description: "划定警戒范围，每日两次巡查，雨天加密".into(),
                    area: village.to_string(),
                    owner_unit_id: committee,
                    verifier_unit_id: gst_gov,
                    priority: Some("urgent".into()),
                    due_at: deadline.clone(),
                    ..Default::default()
                }],
            },
        )
        .await?;
    store
        .triage_report(
            &gaosuntang,
            reports[3],
            &TriageInput::Merge {
                into: reports[0],
                note: Some("同一处裂缝".into()),
            },
        )
        .await?;
    store
        .triage_report(
            &gaosuntang,
            reports[4],
            &TriageInput::Dismiss {
                reason: "供电所已处理，非本系统事项".into(),
            },
        )
        .await?;

    // Work now on the desks of the printed accounts: 高笋塘 has a fresh task to accept
    // and submit, 万州 a town's submission to verify.
    let fresh = ItemInput {
        title: "组织高笋塘街道受灾户春节前搬入新居".into(),
        description: "逐户核实重建进度，2024年2月10日前全部入住".into(),
        source: Some("meeting".into()),
        source_ref: Some(format!(
            "区防指会议 {}",
            anju_core::household::format_date(demo_clock.today() - time::Duration::days(3))
        )),
        area: "500101001".into(),
        owner_unit_id: gst_gov,
        verifier_unit_id: gov(code("500101")?)?,
        priority: Some("high".into()),
        due_at: format_time(now + 14 * DAY),
        ..Default::default()
    }
    .validate(clock.now_ms())?;
    store.create_item(&wanzhou, None, &fresh).await?;
    let awaiting = ItemInput {
        title: "高笋塘街道避险安置点物资清点".into(),
        due_at: format_time(now + 3 * DAY),
        ..ItemInput {
            description: "清点帐篷、饮用水、药品，报送清单".into(),
            area: "500101001".into(),
            owner_unit_id: gst_gov,
            verifier_unit_id: gov(code("500101")?)?,
            ..Default::default()
        }
    }
    .validate(clock.now_ms())?;
    let a = store.create_item(&wanzhou, None, &awaiting).await?;
    for (x, note) in [
        (Action::Accept, None),
        (Action::Start, None),
        (Action::Submit, Some("清单已上传")),
    ] {
        step(&store, gaosuntang, a.id, x, note).await?;
    }

    // Up to now: the last reminders and escalations the worker would have sent.
    let moved = now - clock.now_ms();
    clock.advance_ms(moved.max(0));
    store.run_deadlines(1000).await?;
    let stats = store.item_stats(&all, None).await?;
    store.close().await;
    Ok(format!(
        "items: {} open ({} overdue and escalated), {} closed; {} reports",
        stats.total.open,
        stats.total.overdue,
        stats.total.verified + stats.total.cancelled,
        reports.len()
    ))
}
