//! The registry through the store, on both backends.

use anju_core::household::{HouseInput, HouseholdInput, MemberInput, Vulnerability};
use anju_core::officer::{DutyInput, OfficerInput, ShiftInput, UnitInput, parse_time};
use anju_core::{AreaCode, Clock, GeoPoint, Scope};
use anju_store::{AreaSeed, Backend, BoundarySeed, ListQuery, Store, StoreError};
use anju_testdb::{backends, fresh_store_with};

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("test code")
}

fn seed(c: &str, zh: &str, en: &str) -> AreaSeed {
    AreaSeed {
        code: code(c),
        name_zh: zh.into(),
        name_official: zh.into(),
        name_en: en.into(),
        point: GeoPoint::new(106.5, 29.5),
        point_approximate: c.len() > 6,
    }
}

const V1: &str = "500101001001";
const V2: &str = "500101001002";
const V3: &str = "500102001001";

async fn store(b: Backend) -> Store {
    // 2026-11-27T00:00:00Z
    let s = fresh_store_with(b, Clock::manual(1_795_737_600_000)).await;
    s.upsert_areas(
        &Scope::everything(),
        &[
            seed("50", "重庆市", "Chongqing"),
            seed("500101", "万州区", "Wanzhou District"),
            seed("500101001", "高笋塘街道", "Gaosuntang Subdistrict"),
            seed(V1, "东方广场社区", "Dongfangguangchang Community"),
            seed(V2, "乌龙池社区", "Wulongchi Community"),
            seed("500102", "涪陵区", "Fuling District"),
            seed("500102001", "敦仁街道", "Dunren Subdistrict"),
            seed(V3, "黄旗社区", "Huangqi Community"),
        ],
    )
    .await
    .expect("seed areas");
    s
}

fn household(area: &str, name: &str) -> HouseholdInput {
    HouseholdInput {
        area: area.into(),
        address: format!("{name}家"),
        head_name: name.into(),
        phone: Some("13812345678".into()),
        members: vec![
            MemberInput {
                name: name.into(),
                sex: "male".into(),
                birth_date: "1950-05-06".into(),
                id_number: Some("500101195005060014".into()),
                vulnerabilities: vec![Vulnerability::ElderlyAlone],
                ..Default::default()
            },
            MemberInput {
                name: "孙女".into(),
                sex: "female".into(),
                birth_date: "2015-01-01".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

async fn add(s: &Store, area: &str, name: &str) -> uuid::Uuid {
    let h = household(area, name)
        .validate(s.clock().today())
        .expect("valid");
    s.create_household(&Scope::everything(), None, &h)
        .await
        .expect("create")
        .id
}

#[tokio::test]
async fn households_crud_counts_and_archive() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        let id = add(&s, V1, "张三").await;
        let got = s.household(&all, id).await.expect("get");
        assert_eq!(got.head_name, "张三");
        assert_eq!(got.members.len(), 2);
        assert_eq!(
            got.members[0].id_number.as_deref(),
            Some("500101195005060014")
        );
        assert_eq!(got.vulnerable_people, 1);

        let city = s.area(&all, code("50")).await.expect("city");
        assert_eq!(
            (city.households, city.people, city.vulnerable_people),
            (1, 2, 1)
        );
        assert_eq!(city.children, 2);

        // Moving the household to another district moves the counts.
        let moved = household(V3, "张三")
            .validate(s.clock().today())
            .expect("valid");
        s.update_household(&all, id, &moved).await.expect("update");
        assert_eq!(
            s.area(&all, code("500101")).await.expect("d1").households,
            0
        );
        assert_eq!(
            s.area(&all, code("500102")).await.expect("d2").households,
            1
        );

        let archived = s.archive_household(&all, id).await.expect("archive");
        assert!(archived.archived_at.is_some());
        assert_eq!(s.area(&all, code("50")).await.expect("city").households, 0);
        // Archived, not lost.
        assert!(s.household(&all, id).await.is_ok());
        let listed = s
            .list_households(&all, &ListQuery::default())
            .await
            .expect("list");
        assert!(listed.items.is_empty(), "{b:?}");
        let with = s
            .list_households(
                &all,
                &ListQuery {
                    include_archived: true,
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(with.items.len(), 1);
    }
}

#[tokio::test]
async fn paging_subtree_and_search() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        for i in 0..7 {
            add(&s, V1, &format!("王{i}")).await;
        }
        for i in 0..3 {
            add(&s, V2, &format!("李{i}")).await;
        }
        add(&s, V3, "赵一").await;

        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = s
                .list_households(
                    &all,
                    &ListQuery {
                        area: Some(code("500101")),
                        limit: Some(3),
                        cursor: cursor.clone(),
                        ..Default::default()
                    },
                )
                .await
                .expect("page");
            assert!(page.items.len() <= 3);
            seen.extend(page.items.into_iter().map(|h| h.head_name));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 10, "{b:?}: {seen:?}");
        assert!(!seen.contains(&"赵一".to_string()));
        // A later district's first page starts at that district, not at the first row.
        let later = s
            .list_households(
                &all,
                &ListQuery {
                    area: Some(code("500102")),
                    ..Default::default()
                },
            )
            .await
            .expect("later");
        let names: Vec<_> = later.items.iter().map(|h| h.head_name.as_str()).collect();
        assert_eq!(names, ["赵一"]);

        let found = s
            .list_households(
                &all,
                &ListQuery {
                    q: Some("李".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("search");
        assert_eq!(found.items.len(), 3);

        let bad = s
            .list_households(
                &all,
                &ListQuery {
                    cursor: Some("nonsense".into()),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Validation(e)) if e.errors[0].field == "cursor"));
        let bad = s
            .list_households(
                &all,
                &ListQuery {
                    limit: Some(0),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Validation(e)) if e.errors[0].field == "limit"));
    }
}

#[tokio::test]
async fn scope_hides_other_subtrees_and_masks_personal_data() {
    for b in backends() {
        let s = store(b).await;
        let mine = add(&s, V1, "本村").await;
        let theirs = add(&s, V3, "外区").await;
        let scope = Scope::area(code("500101"), false);

        assert!(matches!(
            s.household(&scope, theirs).await,
            Err(StoreError::NotFound)
        ));
        let h = s.household(&scope, mine).await.expect("mine");
        assert_eq!(h.phone.as_deref(), Some("138****5678"));
        assert_eq!(
            h.members[0].id_number.as_deref(),
            Some("500***********0014")
        );

        let page = s
            .list_households(&scope, &ListQuery::default())
            .await
            .expect("list");
        assert_eq!(page.items.len(), 1);
        let other = s
            .list_households(
                &scope,
                &ListQuery {
                    area: Some(code("500102")),
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert!(other.items.is_empty());
        assert!(matches!(
            s.area(&scope, code("500102")).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.area(&scope, code("50")).await,
            Err(StoreError::NotFound)
        ));

        let outside = household(V3, "越界")
            .validate(s.clock().today())
            .expect("valid");
        assert!(matches!(
            s.create_household(&scope, None, &outside).await,
            Err(StoreError::OutOfScope(_))
        ));
        assert!(matches!(
            s.archive_household(&scope, theirs).await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn references_are_checked_by_field() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        let mut h = household("500101001099", "无村")
            .validate(s.clock().today())
            .expect("valid");
        let e = s.create_household(&all, None, &h).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Validation(v) if v.errors[0].field == "area" && v.errors[0].code == "unknown_area"),
            "{e:?}"
        );

        h.area = code(V1);
        h.responsible_officer_id = Some(uuid::Uuid::now_v7());
        let e = s.create_household(&all, None, &h).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Validation(v) if v.errors[0].field == "responsible_officer_id"),
            "{e:?}"
        );

        // A retired code takes no new records, and names its successor.
        s.retire_area(&Scope::everything(), code(V2), Some(code(V1)))
            .await
            .expect("retire");
        let a = s.area(&all, code(V2)).await.expect("retired area");
        assert_eq!(a.successor.as_deref(), Some(V1));
        assert!(a.retired_at.is_some());
        h.area = code(V2);
        h.responsible_officer_id = None;
        let e = s.create_household(&all, None, &h).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Validation(v) if v.errors[0].code == "retired_area"),
            "{e:?}"
        );

        // A client-chosen id is accepted once.
        let id = uuid::Uuid::now_v7();
        h.area = code(V1);
        s.create_household(&all, Some(id), &h).await.expect("first");
        assert!(matches!(
            s.create_household(&all, Some(id), &h).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.area(&all, code(V1)).await.expect("v1").households, 1);
    }
}

#[tokio::test]
async fn units_officers_duties_and_houses() {
    for b in backends() {
        let s = store(b).await;
        let all = Scope::everything();
        let unit = UnitInput {
            id: None,
            name: "高笋塘街道办事处".into(),
            kind: "government".into(),
            area: "500101001".into(),
            phone: None,
        }
        .validate()
        .expect("unit");
        let unit = s.create_unit(&all, None, &unit).await.expect("create unit");
        let area = s
            .set_supervising_unit(&all, code("500101001"), unit.id)
            .await
            .expect("supervise");
        assert_eq!(
            area.supervising_unit.map(|u| u.name).as_deref(),
            Some("高笋塘街道办事处")
        );

        let officer = OfficerInput {
            id: None,
            name: "刘值班".into(),
            phone: Some("13900001111".into()),
            unit_id: unit.id,
            title: Some("副主任".into()),
            duties: vec![
                DutyInput {
                    area: "500101001".into(),
                    role: "duty_officer".into(),
                    shifts: vec![ShiftInput {
                        starts_at: "2026-11-26T20:00:00+08:00".into(),
                        ends_at: "2026-11-27T20:00:00+08:00".into(),
                    }],
                },
                DutyInput {
                    area: V1.into(),
                    role: "grid_member".into(),
                    shifts: vec![],
                },
            ],
        }
        .validate()
        .expect("officer");
        let o = s
            .create_officer(&all, None, &officer)
            .await
            .expect("create officer");
        assert_eq!(o.area, "500101001");
        assert_eq!(o.duties.len(), 2);

        let mut h = household(V1, "网格户")
            .validate(s.clock().today())
            .expect("valid");
        h.grid_officer_id = Some(o.id);
        let hh = s.create_household(&all, None, &h).await.expect("household");
        assert_eq!(
            s.officer(&all, o.id)
                .await
                .expect("officer")
                .grid_households,
            1
        );

        let duty = s
            .area_duty(
                &all,
                code("500101001"),
                parse_time("2026-11-27T08:00:00+08:00").expect("t"),
            )
            .await
            .expect("duty");
        assert_eq!(duty.on_duty, vec![o.id]);
        let later = s
            .area_duty(
                &all,
                code("500101001"),
                parse_time("2026-11-28T08:00:00+08:00").expect("t"),
            )
            .await
            .expect("duty");
        assert!(later.on_duty.is_empty());

        // A unit with officers cannot be archived away from under them.
        assert!(matches!(
            s.archive_unit(&all, unit.id).await,
            Err(StoreError::Conflict(_))
        ));

        let house = HouseInput {
            id: None,
            area: V1.into(),
            address: "3 组".into(),
            lon: 108.4,
            lat: 30.8,
            structure: "brick_wood".into(),
            floors: 2,
            rooms: Some(4),
            year_built: Some(1995),
            owner_household_id: Some(hh.id),
        }
        .validate(s.clock().today())
        .expect("house");
        let created = s.create_house(&all, None, &house).await.expect("house");
        assert_eq!(created.owner_household_id, Some(hh.id));
        let page = s
            .list_houses(
                &all,
                &ListQuery {
                    area: Some(code("500101")),
                    ..Default::default()
                },
            )
            .await
            .expect("houses");
        assert_eq!(page.items.len(), 1);

        let units = s
            .list_units(
                &all,
                &ListQuery {
                    q: Some("高笋塘".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("units");
        assert_eq!(units.items.len(), 1);
        let officers = s
            .list_officers(
                &all,
                &ListQuery {
                    area: Some(code("500101")),
                    ..Default::default()
                },
            )
            .await
            .expect("officers");
        assert_eq!(officers.items.len(), 1);
        let masked = s
            .officer(&Scope::area(code("500101"), false), o.id)
            .await
            .expect("masked");
        assert_eq!(masked.phone.as_deref(), Some("139****1111"));

        s.set_boundaries(
            &Scope::everything(),
            &[BoundarySeed {
                code: code("500101"),
                geojson: "{\"type\":\"Feature\"}".into(),
            }],
            "test",
        )
        .await
        .expect("boundary");
        assert!(
            s.area_boundary(&all, code("500101"))
                .await
                .expect("b")
                .is_some()
        );
        assert!(
            s.area_boundary(&all, code("500102"))
                .await
                .expect("b")
                .is_none()
        );
        let bad = s
            .set_boundaries(
                &Scope::everything(),
                &[BoundarySeed {
                    code: code("500199"),
                    geojson: "{}".into(),
                }],
                "test",
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Validation(_))));
    }
}
