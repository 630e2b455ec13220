//! The demo's flood: 2023年7月万州等地暴雨洪涝灾害, the heavy rain of 3–5 July 2023 over
//! Wanzhou and its neighbours, replayed from the declaration to the demo's date on a
//! manual clock, through the same store calls the API makes.
//!
//! - The municipality declares it on 5 July, target move-in 2024-02-10 (Spring Festival).
//! - Grid members assess the damaged houses from 6 July: a slow start (roads cut, the
//!   remote counties later), the bulk in the second half of July, the last in August;
//!   most houses A or B, about one in nine C or D, each C/D opening a case.
//! - From late August the towns take each case through its gates (the items of the closed
//!   loop: the town government accepts, works, submits; the district government verifies),
//!   the districts approve amounts, and pay released tranches some days later.
//! - Districts keep their own pace; almost nothing moves in the National Day holiday
//!   (1–7 October); in 石柱县 nothing has moved since the holiday (funds and builders did
//!   not arrive), which the figures and the forecast should show.

use std::collections::HashMap;

use anju_core::household::format_date;
use anju_core::item::TransitionInput;
use anju_core::lifecycle::Action;
use anju_core::recovery::{DamageGrade, DisasterInput, Gate, NewAssessment, Outcome, Plan, gates};
use anju_core::{Actor, AreaCode, Clock, GeoPoint, Role, Scope};
use anju_store::{AssessmentSeed, NewUser, PaymentInput, Store};
use anyhow::Context;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, Month};
use uuid::Uuid;

use crate::demo::{DemoAccount, Staff};

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

pub const NAME: &str = "2023年7月万州等地暴雨洪涝灾害";

/// The districts and counties hit: their share of the damaged houses, their pace (1: the
/// fastest), and whether work there stalled after the holiday.
const DISTRICTS: [(&str, f64, f64, bool); 6] = [
    ("500101", 0.34, 1.0, false), // 万州区: the worst hit, and the best organised
    ("500154", 0.20, 0.8, false), // 开州区
    ("500235", 0.18, 0.55, false), // 云阳县: remote, slow
    ("500233", 0.10, 0.9, false), // 忠县
    ("500155", 0.10, 0.75, false), // 梁平区
    ("500240", 0.08, 0.7, true),  // 石柱县: stalled since the holiday
];

/// The districts' short names, for payment references.
const SHORT: [&str; 6] = ["万州", "开州", "云阳", "忠县", "梁平", "石柱"];

/// At most this many houses are assessed (the real survey: a few thousand).
const MAX_ASSESSED: usize = 3_400;

/// A house of a flooded district, as the demo made it.
#[derive(Debug, Clone)]
pub struct FloodHouse {
    pub id: Uuid,
    pub village: AreaCode,
    pub point: GeoPoint,
    pub rooms: Option<i64>,
}

/// What the flood needs from the rest of the demo.
pub struct FloodInputs<'a> {
    pub houses: Vec<FloodHouse>,
    /// Grid members of each village: the assessors.
    pub grid: HashMap<AreaCode, Vec<Uuid>>,
    pub staff: &'a Staff,
    pub accounts: &'a [DemoAccount],
}

pub fn district_codes() -> Vec<AreaCode> {
    DISTRICTS
        .iter()
        .filter_map(|d| AreaCode::parse(d.0).ok())
        .collect()
}

/// Milliseconds of `d` at `hh:mm` in Chongqing.
fn at(d: Date, hh: i64, mm: i64) -> i64 {
    d.midnight().assume_utc().unix_timestamp() * 1000 - 8 * HOUR + hh * HOUR + mm * MINUTE
}

fn date(y: i32, m: Month, d: u8) -> anyhow::Result<Date> {
    Date::from_calendar_date(y, m, d).context("a calendar date")
}

fn in_holiday(d: Date) -> bool {
    d.month() == Month::October && d.day() <= 7
}

/// What happens, in time order.
#[derive(Debug, Clone)]
enum Step {
    /// The district sets the plan and the amount to approve (while planned).
    Plan {
        case: usize,
    },
    /// The town accepts, works on and submits gate `seq`.
    Submit {
        case: usize,
        seq: usize,
    },
    /// The district verifies gate `seq`.
    Verify {
        case: usize,
        seq: usize,
    },
    /// The district records the payment of tranche `n`.
    Pay {
        case: usize,
        n: i64,
        reference: String,
    },
    Deadlines,
}

struct CasePlan {
    id: Uuid,
    district: usize,
    town: AreaCode,
    plan: Plan,
    amount: i64,
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

fn gate_note(g: Gate) -> &'static str {
    match g {
        Gate::Approval => "方案及补助资金申请已报区住建委，附鉴定报告和户主申请",
        Gate::Start => "施工队已进场，开工照片已上传",
        Gate::Allocation => "安置房已分配，签订安置协议",
        Gate::Foundation => "地基基础完工，申请验收",
        Gate::Roof => "主体封顶，申请验收",
        Gate::Completion => "竣工，申请竣工验收",
        Gate::Final => "竣工验收合格，质量安全符合要求",
        Gate::MoveIn => "户主已搬入新居，入住照片已上传",
    }
}

/// Builds the flood; returns a line saying what was made.
pub async fn build(
    db: &str,
    demo_clock: &Clock,
    inputs: FloodInputs<'_>,
) -> anyhow::Result<String> {
    let as_of = demo_clock.today();
    let mut rng = ChaCha8Rng::seed_from_u64(20_230_703);
    let started = date(2023, Month::July, 3)?;
    let declared = date(2023, Month::July, 5)?;
    let clock = Clock::manual(at(declared, 16, 0));
    let store = Store::open(db, clock.clone()).await?;
    let all = Scope::everything();
    let code = |c: &str| AreaCode::parse(c).with_context(|| format!("code {c}"));
    let account = |name: &str| -> anyhow::Result<Scope> {
        let a = inputs
            .accounts
            .iter()
            .find(|a| a.username == name)
            .with_context(|| format!("no demo account {name}"))?;
        Ok(Scope::user(
            a.area,
            a.role,
            Actor {
                user_id: a.user_id,
                ip: None,
            },
        ))
    };
    let city = account("city")?;

    // The municipality declares the disaster on the evening of 5 July.
    let input = DisasterInput {
        id: None,
        name: NAME.into(),
        hazard: "rainstorm_flood".into(),
        started_on: format_date(started),
        ended_on: Some("2023-07-05".into()),
        area: "50".into(),
        affected: DISTRICTS.iter().map(|d| d.0.to_owned()).collect(),
        target_move_in: "2024-02-10".into(),
        case_grades: None,
    };
    let disaster = store
        .declare_disaster(&city, None, &input.validate()?)
        .await
        .context("declaring the flood")?;

    // Accounts for the district and town officers who do the work; disabled, with a
    // password nobody knows. The printed 万州区 and 高笋塘街道 accounts act for their own.
    let unknown = anju_server::auth::hash_password(Uuid::now_v7().to_string())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut acting: HashMap<AreaCode, Scope> = HashMap::new();
    acting.insert(code("500101")?, account("wanzhou")?);
    acting.insert(code("500101001")?, account("gaosuntang")?);
    let mut scope_for = async |a: AreaCode| -> anyhow::Result<Scope> {
        if let Some(s) = acting.get(&a) {
            return Ok(*s);
        }
        let role = if a.level() == anju_core::AreaLevel::District {
            Role::District
        } else {
            Role::Town
        };
        // The second cadre: the one in charge of reconstruction.
        let officer = inputs
            .staff
            .cadres
            .get(&a)
            .and_then(|c| c.get(1).or(c.first()))
            .copied();
        let u = store
            .create_user(
                &all,
                &NewUser {
                    username: format!("recovery.{a}"),
                    password_hash: unknown.clone(),
                    role,
                    area: a,
                    officer_id: officer,
                },
            )
            .await?;
        store.set_user_disabled(&all, u.id, true).await?;
        let s = Scope::user(
            a,
            role,
            Actor {
                user_id: u.id,
                ip: None,
            },
        );
        acting.insert(a, s);
        Ok(s)
    };

    // Which houses were damaged: by district share, clustered in the towns along the
    // rivers (a few towns take most of each district's damage).
    let mut by_district: Vec<Vec<&FloodHouse>> = vec![Vec::new(); DISTRICTS.len()];
    for h in &inputs.houses {
        if let Some(i) = DISTRICTS
            .iter()
            .position(|d| h.village.to_string().starts_with(d.0))
        {
            by_district[i].push(h);
        }
    }
    let flooded_houses: usize = by_district.iter().map(Vec::len).sum();
    let target = ((flooded_houses as f64 * 0.11) as usize).clamp(60, MAX_ASSESSED);
    let mut chosen: Vec<(usize, &FloodHouse)> = Vec::new();
    for (i, houses) in by_district.iter().enumerate() {
        let n = ((target as f64 * DISTRICTS[i].1).round() as usize).min(houses.len());
        let mut town_weight: HashMap<AreaCode, f64> = HashMap::new();
        let mut scored: Vec<(f64, &FloodHouse)> = houses
            .iter()
            .map(|h| {
                let town = h.village.parent().unwrap_or(h.village);
                let w = *town_weight
                    .entry(town)
                    .or_insert_with(|| rng.random::<f64>().powi(3));
                (w * rng.random::<f64>(), *h)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        chosen.extend(scored.into_iter().take(n).map(|(_, h)| (i, h)));
    }

    // The survey: one upload per district per day, at the end of the day.
    let survey_start = date(2023, Month::July, 6)?;
    let mut days: HashMap<(Date, usize), Vec<AssessmentSeed>> = HashMap::new();
    let mut graded: Vec<(usize, Uuid, DamageGrade, Date)> = Vec::new();
    for (i, h) in &chosen {
        // Remote counties start three days late; the pace of the survey rises for a
        // fortnight and tails off through August.
        let lag = if DISTRICTS[*i].2 < 0.8 { 3 } else { 0 };
        let r: f64 = rng.random();
        let day = lag + (r.powf(1.6) * 45.0) as i64 + i64::from(rng.random_bool(0.3));
        let on = survey_start + Duration::days(day.min(55));
        let rooms = h.rooms.unwrap_or(3).max(1);
        let g: f64 = rng.random();
        let (grade, collapsed, damaged, note) = if g < 0.50 {
            (
                DamageGrade::A,
                0,
                i64::from(rng.random_bool(0.3)),
                "房屋结构基本完好，室内进水",
            )
        } else if g < 0.885 {
            (
                DamageGrade::B,
                0,
                rng.random_range(1..=(rooms / 2).max(1)),
                "墙体局部开裂，个别构件危险",
            )
        } else if g < 0.965 {
            let c = i64::from(rooms > 2 && rng.random_bool(0.2));
            (
                DamageGrade::C,
                c,
                rng.random_range(1..=(rooms - c).max(1)),
                "承重墙开裂，局部危险，需维修加固",
            )
        } else {
            let c = if rng.random_bool(0.6) {
                rng.random_range(1..=rooms)
            } else {
                0
            };
            (
                DamageGrade::D,
                c,
                (rooms - c).min(rng.random_range(0..=rooms)),
                "房屋整体危险，不能居住",
            )
        };
        let assessor = inputs
            .grid
            .get(&h.village)
            .and_then(|g| g.get(rng.random_range(0..g.len().max(1))))
            .copied();
        // Where the assessor stood: a few metres from the house.
        let point = GeoPoint::new(
            h.point.lon + (rng.random::<f64>() - 0.5) * 0.0004,
            h.point.lat + (rng.random::<f64>() - 0.5) * 0.0004,
        );
        let a = NewAssessment {
            house_id: h.id,
            outcome: Outcome::Graded(grade),
            rooms_collapsed: collapsed,
            rooms_damaged: damaged,
            household_id: None,
            assessor_officer_id: assessor,
            assessed_on: on,
            note: note.into(),
            photos: vec![],
            point,
            source_uuid: None,
            answers_appeal: None,
        };
        days.entry((on, *i)).or_default().push(AssessmentSeed {
            id: None,
            assessment: a,
        });
        if grade >= DamageGrade::C {
            graded.push((*i, h.id, grade, on));
        }
    }
    let mut upload_days: Vec<(Date, usize)> = days.keys().copied().collect();
    upload_days.sort();
    let mut assessed = 0usize;
    for key in upload_days {
        let seeds = days.remove(&key).unwrap_or_default();
        clock.advance_ms((at(key.0, 19, 0) - clock.now_ms()).max(0));
        let who = scope_for(code(DISTRICTS[key.1].0)?).await?;
        let s = store
            .load_assessments(&who, disaster.id, &seeds, &|_| {})
            .await
            .with_context(|| format!("the survey of {} on {}", DISTRICTS[key.1].0, key.0))?;
        assessed += s.added;
    }

    // The cases the C and D houses opened, and when each gate is verified.
    let approvals_from = date(2023, Month::August, 21)?;
    let stall_from = date(2023, Month::October, 8)?;
    let mut cases: Vec<CasePlan> = Vec::new();
    let mut steps: Vec<(i64, u32, Step)> = Vec::new();
    let mut order = 0u32;
    let mut push = |steps: &mut Vec<(i64, u32, Step)>, t: i64, s: Step| {
        order += 1;
        steps.push((t, order, s));
    };
    for (i, house, grade, on) in &graded {
        let Some(c) = store.case_of_house(&all, disaster.id, *house).await? else {
            continue;
        };
        let town = AreaCode::parse(&c.area)?
            .parent()
            .context("a case in a village")?;
        let (pace, stalled) = (DISTRICTS[*i].2, DISTRICTS[*i].3);
        let plan = match grade {
            DamageGrade::D => match rng.random::<f64>() {
                x if x < 0.7 => Plan::RebuildInPlace,
                x if x < 0.9 => Plan::Relocate,
                _ => Plan::Resettle,
            },
            _ if rng.random_bool(0.06) => Plan::RebuildInPlace,
            _ => Plan::Repair,
        };
        // Yuan to fen: repairs 1.5–3万, rebuilds 4–8万 (the 2023 subsidy ranges).
        let yuan: i64 = match plan {
            Plan::Repair => rng.random_range(15..=30) * 1000,
            Plan::Resettle => rng.random_range(30..=50) * 1000,
            _ => rng.random_range(40..=80) * 1000,
        };
        let idx = cases.len();
        cases.push(CasePlan {
            id: c.id,
            district: *i,
            town,
            plan,
            amount: yuan * 100,
        });
        // Each gate: the town works on it for some days after the last one closed,
        // submits, and the district verifies a day or three later.
        let mut last = (*on + Duration::days(14)).max(approvals_from);
        let lead: i64 = rng.random_range(0..=(45.0 / pace) as i64);
        for (seq, step) in gates(plan).iter().enumerate() {
            let days = |lo: f64, hi: f64, rng: &mut ChaCha8Rng| -> i64 {
                (rng.random_range(lo..hi) / pace).round() as i64
            };
            let work = match step.gate {
                Gate::Approval => lead,
                Gate::Start | Gate::Allocation => days(4.0, 18.0, &mut rng),
                Gate::Foundation => days(12.0, 25.0, &mut rng),
                Gate::Roof => days(20.0, 40.0, &mut rng),
                Gate::Completion if plan == Plan::Repair => days(20.0, 45.0, &mut rng),
                Gate::Completion if plan == Plan::Resettle => days(25.0, 50.0, &mut rng),
                Gate::Completion => days(12.0, 28.0, &mut rng),
                Gate::Final => rng.random_range(3..=9),
                Gate::MoveIn => rng.random_range(2..=10),
            };
            let mut submit = last + Duration::days(work.max(1));
            let mut verify = submit + Duration::days(rng.random_range(1..=3));
            // National Day: nine in ten moves wait for the 8th.
            for d in [&mut submit, &mut verify] {
                if in_holiday(*d) && rng.random_bool(0.9) {
                    *d = stall_from + Duration::days(rng.random_range(0..=3));
                }
            }
            if verify <= submit {
                verify = submit + Duration::days(1);
            }
            if stalled && submit >= stall_from {
                break;
            }
            if submit > as_of {
                break;
            }
            if seq == 0 {
                push(&mut steps, at(submit, 8, 30), Step::Plan { case: idx });
            }
            push(
                &mut steps,
                at(submit, 9, rng.random_range(0..50)),
                Step::Submit { case: idx, seq },
            );
            if verify > as_of || (stalled && verify >= stall_from) {
                break;
            }
            push(
                &mut steps,
                at(verify, 10, rng.random_range(0..50)),
                Step::Verify { case: idx, seq },
            );
            if let Some(n) = step.releases {
                let paid = verify + Duration::days(rng.random_range(3..=12));
                if paid <= as_of && !(stalled && paid >= stall_from) {
                    push(
                        &mut steps,
                        at(paid, 11, rng.random_range(0..50)),
                        Step::Pay {
                            case: idx,
                            n: i64::from(n),
                            reference: format!(
                                "{}财建〔2023〕{}号",
                                SHORT[*i],
                                100 + idx * 3 + usize::from(n)
                            ),
                        },
                    );
                }
            }
            last = verify;
        }
    }
    // The deadline worker, every morning at 08:00 from the first approvals.
    let mut d = approvals_from;
    while d <= as_of {
        push(&mut steps, at(d, 8, 0), Step::Deadlines);
        d += Duration::days(1);
    }
    steps.sort_by_key(|s| (s.0, s.1));

    // The replay.
    let mut items: HashMap<(usize, usize), Uuid> = HashMap::new();
    let (mut verified, mut paid) = (0usize, 0usize);
    for (t, _, step) in steps {
        clock.advance_ms((t - clock.now_ms()).max(0));
        match step {
            Step::Deadlines => {
                store.run_deadlines(1000).await?;
            }
            Step::Plan { case } => {
                let c = &cases[case];
                let who = scope_for(code(DISTRICTS[c.district].0)?).await?;
                store
                    .patch_case(&who, c.id, Some(c.plan), Some(c.amount))
                    .await
                    .with_context(|| format!("planning case {}", c.id))?;
            }
            Step::Submit { case, seq } => {
                let c = &cases[case];
                let view = store.case(&all, c.id).await?;
                let item = view
                    .gates
                    .get(seq)
                    .and_then(|g| g.item_id)
                    .with_context(|| format!("gate {seq} of case {} has no item", c.id))?;
                items.insert((case, seq), item);
                let gate = view.gates[seq].gate;
                let who = scope_for(c.town).await?;
                for (a, note) in [
                    (Action::Accept, None),
                    (Action::Start, None),
                    (Action::Submit, Some(gate_note(gate))),
                ] {
                    clock.advance_ms(10 * MINUTE);
                    store
                        .transition_item(&who, item, &act(a, note), None)
                        .await
                        .with_context(|| format!("{a:?} on gate {seq} of case {}", c.id))?;
                }
            }
            Step::Verify { case, seq } => {
                let c = &cases[case];
                let item = items
                    .get(&(case, seq))
                    .copied()
                    .context("a verified gate was submitted")?;
                let who = scope_for(code(DISTRICTS[c.district].0)?).await?;
                store
                    .transition_item(
                        &who,
                        item,
                        &act(Action::Verify, Some("经核查属实，同意")),
                        None,
                    )
                    .await
                    .with_context(|| format!("verifying gate {seq} of case {}", c.id))?;
                verified += 1;
            }
            Step::Pay { case, n, reference } => {
                let c = &cases[case];
                let who = scope_for(code(DISTRICTS[c.district].0)?).await?;
                let input = PaymentInput {
                    paid_on: format_date(clock.today()),
                    reference,
                };
                store.pay_tranche(&who, c.id, n, &input).await?;
                paid += 1;
            }
        }
    }
    // Up to the demo's now: what the worker would have sent since.
    clock.advance_ms((demo_clock.now_ms() - clock.now_ms()).max(0));
    store.run_deadlines(1000).await?;
    let o = store
        .recovery_overview(&city, disaster.id, Some(code("50")?))
        .await?;
    store.close().await;
    let f = &o.totals;
    Ok(format!(
        "flood: {assessed} houses assessed (A {}, B {}, C {}, D {}), {} cases ({} moved in), {verified} gates verified, {paid} tranches paid",
        f.grade.a, f.grade.b, f.grade.c, f.grade.d, f.cases, f.moved_in
    ))
}
