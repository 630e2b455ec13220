//! Items of the closed loop (督查督办): what they are, where they come from, who stands
//! where to them, and the events of their history. The lifecycle itself is in
//! [`crate::lifecycle`]; this module holds the facts the lifecycle is decided from.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::area::AreaCode;
use crate::error::ValidationError;
use crate::lifecycle::{Action, ItemState, Standing};
use crate::officer::parse_time;

/// What kind of work an item is. Later capabilities add their kinds here, so every one
/// of them shares the one lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A task handed down (任务).
    Task,
    /// Follow-up work created from a report (信息报送).
    ReportFollowUp,
    /// A household's appeal against a damage assessment: re-assess the house (复核).
    Reassessment,
    /// A stage gate of a reconstruction case (approval, start, completion, move-in).
    CaseGate,
    /// An inspection of a reconstruction case that may release a tranche of funds.
    Inspection,
}

impl ItemKind {
    pub const ALL: [ItemKind; 5] = [
        ItemKind::Task,
        ItemKind::ReportFollowUp,
        ItemKind::Reassessment,
        ItemKind::CaseGate,
        ItemKind::Inspection,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            ItemKind::Task => "task",
            ItemKind::ReportFollowUp => "report_follow_up",
            ItemKind::Reassessment => "reassessment",
            ItemKind::CaseGate => "case_gate",
            ItemKind::Inspection => "inspection",
        }
    }
    /// Kinds that recovery opens by itself (an appeal, a case's gates): a client cannot
    /// create them, since their effects depend on the records they were opened for.
    pub const fn is_system(self) -> bool {
        matches!(
            self,
            ItemKind::Reassessment | ItemKind::CaseGate | ItemKind::Inspection
        )
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where the work came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemSource {
    /// A decision of a meeting (会议决定).
    Meeting,
    Report,
    Warning,
    Assessment,
    Manual,
}

impl ItemSource {
    pub const ALL: [ItemSource; 5] = [
        ItemSource::Meeting,
        ItemSource::Report,
        ItemSource::Warning,
        ItemSource::Assessment,
        ItemSource::Manual,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            ItemSource::Meeting => "meeting",
            ItemSource::Report => "report",
            ItemSource::Warning => "warning",
            ItemSource::Assessment => "assessment",
            ItemSource::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A registry record an item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Household,
    House,
    Unit,
    Officer,
    Report,
}

impl LinkKind {
    pub const ALL: [LinkKind; 5] = [
        LinkKind::Household,
        LinkKind::House,
        LinkKind::Unit,
        LinkKind::Officer,
        LinkKind::Report,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            LinkKind::Household => "household",
            LinkKind::House => "house",
            LinkKind::Unit => "unit",
            LinkKind::Officer => "officer",
            LinkKind::Report => "report",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Link {
    pub kind: LinkKind,
    pub id: Uuid,
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_LINKS: usize = 100;
pub const MAX_ATTACHMENTS: usize = 20;
/// Children of one split: one per child area (a town has at most a few hundred villages).
pub const MAX_SPLIT: usize = 1_000;

/// An item as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    /// Chosen by the client (UUIDv7) so a retried or offline-queued creation happens once.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `task` (default) or `report_follow_up`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `meeting`, `report`, `warning`, `assessment` or `manual` (default).
    #[serde(default)]
    pub source: Option<String>,
    /// What in the source it comes from: a meeting's minute number, a report's id, …
    #[serde(default)]
    pub source_ref: Option<String>,
    pub area: String,
    pub owner_unit_id: Uuid,
    #[serde(default)]
    pub owner_officer_id: Option<Uuid>,
    /// The unit that checks the work before it is closed.
    pub verifier_unit_id: Uuid,
    /// `low`, `normal` (default), `high`, `urgent`.
    #[serde(default)]
    pub priority: Option<String>,
    /// RFC 3339.
    pub due_at: String,
    #[serde(default)]
    pub links: Vec<Link>,
    /// Content hashes of uploaded attachments.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// A validated item, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub title: String,
    pub description: String,
    pub kind: ItemKind,
    pub source: ItemSource,
    pub source_ref: Option<String>,
    pub area: AreaCode,
    pub owner_unit_id: Uuid,
    pub owner_officer_id: Option<Uuid>,
    pub verifier_unit_id: Uuid,
    pub priority: Priority,
    pub due_at: i64,
    pub links: Vec<Link>,
    pub attachments: Vec<String>,
}

fn check_text(v: &mut ValidationError, field: &str, s: &str, max: usize, required: bool) {
    let n = s.chars().count();
    if required && s.trim().is_empty() {
        v.push(field, "required", "must not be empty");
    } else if n > max {
        v.push(field, "too_long", format!("at most {max} characters"));
    }
}

/// Checks that a string is a content hash as the attachment store names them.
pub fn is_content_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(crate) fn check_attachments(v: &mut ValidationError, field: &str, hashes: &[String]) {
    if hashes.len() > MAX_ATTACHMENTS {
        v.push(field, "too_many", format!("at most {MAX_ATTACHMENTS}"));
    }
    for (i, h) in hashes.iter().enumerate() {
        if !is_content_hash(h) {
            v.push(
                format!("{field}[{i}]"),
                "invalid_hash",
                "not the hash of an uploaded attachment",
            );
        }
    }
}

impl ItemInput {
    /// Validates the input; `now` is for the deadline, which may not already have passed
    /// by more than a day (a typo for a past year is more likely than intent).
    pub fn validate(&self, now_ms: i64) -> Result<NewItem, ValidationError> {
        let mut v = ValidationError::default();
        check_text(&mut v, "title", &self.title, MAX_TITLE_CHARS, true);
        check_text(
            &mut v,
            "description",
            &self.description,
            MAX_TEXT_CHARS,
            false,
        );
        let kind = match self.kind.as_deref() {
            None => Some(ItemKind::Task),
            Some(k) => {
                let p = ItemKind::parse(k).filter(|k| !k.is_system());
                if p.is_none() {
                    v.push("kind", "invalid_kind", "task or report_follow_up");
                }
                p
            }
        };
        let source = match self.source.as_deref() {
            None => Some(ItemSource::Manual),
            Some(k) => {
                let p = ItemSource::parse(k);
                if p.is_none() {
                    v.push(
                        "source",
                        "invalid_source",
                        "meeting, report, warning, assessment or manual",
                    );
                }
                p
            }
        };
        let priority = match self.priority.as_deref() {
            None => Some(Priority::Normal),
            Some(k) => {
                let p = Priority::parse(k);
                if p.is_none() {
                    v.push(
                        "priority",
                        "invalid_priority",
                        "low, normal, high or urgent",
                    );
                }
                p
            }
        };
        if let Some(r) = &self.source_ref {
            check_text(&mut v, "source_ref", r, MAX_TITLE_CHARS, false);
        }
        let area = v.check("area", "invalid_area", AreaCode::parse(&self.area));
        let due_at = v.check("due_at", "invalid_time", parse_time(&self.due_at));
        if let Some(d) = due_at
            && d < now_ms - 86_400_000
        {
            v.push("due_at", "in_the_past", "the deadline has already passed");
        }
        if self.links.len() > MAX_LINKS {
            v.push("links", "too_many", format!("at most {MAX_LINKS}"));
        }
        check_attachments(&mut v, "attachments", &self.attachments);
        match (kind, source, priority, area, due_at) {
            (Some(kind), Some(source), Some(priority), Some(area), Some(due_at))
                if v.is_empty() =>
            {
                Ok(NewItem {
                    title: self.title.trim().to_owned(),
                    description: self.description.clone(),
                    kind,
                    source,
                    source_ref: self.source_ref.clone().filter(|s| !s.trim().is_empty()),
                    area,
                    owner_unit_id: self.owner_unit_id,
                    owner_officer_id: self.owner_officer_id,
                    verifier_unit_id: self.verifier_unit_id,
                    priority,
                    due_at,
                    links: self.links.clone(),
                    attachments: self.attachments.clone(),
                })
            }
            _ => Err(v),
        }
    }
}

/// One child of a split (分解任务): a child area, its owner and its own deadline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SplitChildInput {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub area: String,
    pub owner_unit_id: Uuid,
    #[serde(default)]
    pub owner_officer_id: Option<Uuid>,
    /// RFC 3339; no later than the parent's deadline.
    pub due_at: String,
    /// Defaults to the parent's title.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SplitInput {
    pub children: Vec<SplitChildInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SplitChild {
    pub id: Option<Uuid>,
    pub area: AreaCode,
    pub owner_unit_id: Uuid,
    pub owner_officer_id: Option<Uuid>,
    pub due_at: i64,
    pub title: Option<String>,
    pub description: Option<String>,
}

impl SplitInput {
    /// Each child lies strictly below the parent's area and is due no later than it.
    pub fn validate(
        &self,
        parent_area: AreaCode,
        parent_due: i64,
    ) -> Result<Vec<SplitChild>, ValidationError> {
        let mut v = ValidationError::default();
        if self.children.is_empty() {
            v.push("children", "required", "name at least one child area");
        }
        if self.children.len() > MAX_SPLIT {
            v.push("children", "too_many", format!("at most {MAX_SPLIT}"));
        }
        let mut out = Vec::new();
        for (i, c) in self.children.iter().enumerate() {
            let f = |name: &str| format!("children[{i}].{name}");
            let area = v.check(f("area"), "invalid_area", AreaCode::parse(&c.area));
            if let Some(a) = area
                && (a == parent_area || !parent_area.contains(a))
            {
                v.push(f("area"), "not_below", "must lie below the parent's area");
            }
            let due = v.check(f("due_at"), "invalid_time", parse_time(&c.due_at));
            if let Some(d) = due
                && d > parent_due
            {
                v.push(
                    f("due_at"),
                    "after_parent",
                    "a child is due no later than its parent",
                );
            }
            if let Some(t) = &c.title {
                check_text(&mut v, &f("title"), t, MAX_TITLE_CHARS, true);
            }
            if let (Some(area), Some(due_at)) = (area, due) {
                out.push(SplitChild {
                    id: c.id,
                    area,
                    owner_unit_id: c.owner_unit_id,
                    owner_officer_id: c.owner_officer_id,
                    due_at,
                    title: c.title.clone(),
                    description: c.description.clone(),
                });
            }
        }
        v.finish(out)
    }
}

/// A transition as a client asks for it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransitionInput {
    pub action: Action,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub attachments: Vec<String>,
    /// For `reassign`: the new owner unit (and optionally officer).
    #[serde(default)]
    pub owner_unit_id: Option<Uuid>,
    #[serde(default)]
    pub owner_officer_id: Option<Uuid>,
}

impl TransitionInput {
    pub fn check(&self) -> Result<(), ValidationError> {
        let mut v = ValidationError::default();
        if let Some(n) = &self.note {
            check_text(&mut v, "note", n, MAX_TEXT_CHARS, false);
        }
        check_attachments(&mut v, "attachments", &self.attachments);
        if self.action == Action::Reassign && self.owner_unit_id.is_none() {
            v.push(
                "owner_unit_id",
                "required",
                "a reassignment names the new owner unit",
            );
        }
        v.finish(())
    }

    pub fn has_note(&self) -> bool {
        self.note.as_deref().is_some_and(|n| !n.trim().is_empty())
    }
}

/// Who the actor is, as far as an item's lifecycle cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActorFacts {
    pub user_id: Uuid,
    pub officer_id: Option<Uuid>,
    /// The unit of the actor's officer record.
    pub unit_id: Option<Uuid>,
    /// The actor's role may verify work.
    pub may_verify: bool,
    /// The actor's role may change records at all (viewers may not).
    pub may_act: bool,
}

/// The people and units an item names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemParties {
    pub owner_unit_id: Uuid,
    pub owner_officer_id: Option<Uuid>,
    pub assigner_user_id: Uuid,
    pub assigner_unit_id: Option<Uuid>,
    pub verifier_unit_id: Uuid,
    pub submitted_by: Option<Uuid>,
}

/// How an actor stands to an item. Membership comes only from the actor's officer
/// record: an account that is no officer owns and verifies nothing, whatever its area.
pub fn standing(actor: &ActorFacts, item: &ItemParties) -> Standing {
    if !actor.may_act {
        return Standing::default();
    }
    let in_unit = |u: Uuid| actor.unit_id == Some(u);
    Standing {
        owner: in_unit(item.owner_unit_id)
            || (item.owner_officer_id.is_some() && actor.officer_id == item.owner_officer_id),
        assigner: actor.user_id == item.assigner_user_id
            || item.assigner_unit_id.is_some_and(in_unit),
        verifier: actor.may_verify && in_unit(item.verifier_unit_id),
        submitted_it: item.submitted_by == Some(actor.user_id),
    }
}

/// What happened to an item: lifecycle transitions and the things around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Create,
    Accept,
    Start,
    Submit,
    Return,
    Verify,
    Cancel,
    Reassign,
    /// Child items were made from this one.
    Split,
    /// A child item closed or reopened (the parent's progress changed).
    ChildClosed,
    /// A reminder before the deadline (催办).
    Remind,
    /// Overdue: raised one level (逾期升级).
    Escalate,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::Create,
        EventKind::Accept,
        EventKind::Start,
        EventKind::Submit,
        EventKind::Return,
        EventKind::Verify,
        EventKind::Cancel,
        EventKind::Reassign,
        EventKind::Split,
        EventKind::ChildClosed,
        EventKind::Remind,
        EventKind::Escalate,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Create => "create",
            EventKind::Accept => "accept",
            EventKind::Start => "start",
            EventKind::Submit => "submit",
            EventKind::Return => "return",
            EventKind::Verify => "verify",
            EventKind::Cancel => "cancel",
            EventKind::Reassign => "reassign",
            EventKind::Split => "split",
            EventKind::ChildClosed => "child_closed",
            EventKind::Remind => "remind",
            EventKind::Escalate => "escalate",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// The lifecycle action this event records, if it is a transition.
    pub const fn action(self) -> Option<Action> {
        match self {
            EventKind::Accept => Some(Action::Accept),
            EventKind::Start => Some(Action::Start),
            EventKind::Submit => Some(Action::Submit),
            EventKind::Return => Some(Action::Return),
            EventKind::Verify => Some(Action::Verify),
            EventKind::Cancel => Some(Action::Cancel),
            EventKind::Reassign => Some(Action::Reassign),
            _ => None,
        }
    }
    pub const fn of_action(a: Action) -> Self {
        match a {
            Action::Accept => EventKind::Accept,
            Action::Start => EventKind::Start,
            Action::Submit => EventKind::Submit,
            Action::Return => EventKind::Return,
            Action::Verify => EventKind::Verify,
            Action::Cancel => EventKind::Cancel,
            Action::Reassign => EventKind::Reassign,
        }
    }
}

/// One event as its hash covers it: these fields, in this order, each written
/// unambiguously (see [`ChainHasher`]); the store keeps the same fields in columns, so a
/// changed byte in any of them breaks the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventContent<'a> {
    pub item_id: &'a str,
    pub seq: i64,
    pub at: i64,
    pub actor_user_id: Option<&'a str>,
    pub kind: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub note: Option<&'a str>,
    pub attachments: &'a str,
    pub payload: &'a str,
}

/// The hash of the chain before an item's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over a sequence of fields, each written so that no two sequences give the
/// same bytes: a text as a tag byte, its length (8 bytes, little-endian) and its UTF-8; a
/// missing text as one zero byte; a number as its 8 bytes. No allocation, so checking
/// millions of rows costs little more than hashing them.
pub struct ChainHasher(Sha256);

impl Default for ChainHasher {
    fn default() -> Self {
        ChainHasher(Sha256::new())
    }
}

impl ChainHasher {
    pub fn text(mut self, s: &str) -> Self {
        self.0.update([1u8]);
        self.0.update((s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
        self
    }

    pub fn opt(self, s: Option<&str>) -> Self {
        match s {
            Some(s) => self.text(s),
            None => {
                let mut h = self;
                h.0.update([0u8]);
                h
            }
        }
    }

    pub fn int(mut self, v: i64) -> Self {
        self.0.update([2u8]);
        self.0.update(v.to_le_bytes());
        self
    }

    fn digest_hex(self) -> [u8; 64] {
        let d = self.0.finalize();
        let mut out = [0u8; 64];
        // 32 bytes always fit 64 hex digits.
        let _ = hex::encode_to_slice(d, &mut out);
        out
    }

    pub fn finish(self) -> String {
        String::from_utf8_lossy(&self.digest_hex()).into_owned()
    }

    /// Whether the hash is `stored` (lower-case hex), without allocating.
    pub fn matches(self, stored: &str) -> bool {
        self.digest_hex() == stored.as_bytes()
    }
}

fn event_hasher(e: &EventContent<'_>, prev_hash: &str) -> ChainHasher {
    ChainHasher::default()
        .text(e.item_id)
        .int(e.seq)
        .int(e.at)
        .opt(e.actor_user_id)
        .text(e.kind)
        .opt(e.from_state)
        .opt(e.to_state)
        .opt(e.note)
        .text(e.attachments)
        .text(e.payload)
        .text(prev_hash)
}

/// The hash of an event: SHA-256 over its canonical content and the previous hash.
pub fn event_hash(e: &EventContent<'_>, prev_hash: &str) -> String {
    event_hasher(e, prev_hash).finish()
}

/// Whether an event's stored hash is right.
pub fn event_hash_matches(e: &EventContent<'_>, prev_hash: &str, stored: &str) -> bool {
    event_hasher(e, prev_hash).matches(stored)
}

/// The hash of one row of the item ledger: its position, the item, the item's event and
/// that event's hash, chained to the row before.
pub fn ledger_hash(seq: i64, item_id: &str, item_seq: i64, item_hash: &str, prev: &str) -> String {
    ledger_hasher(seq, item_id, item_seq, item_hash, prev).finish()
}

pub fn ledger_hash_matches(
    seq: i64,
    item_id: &str,
    item_seq: i64,
    item_hash: &str,
    prev: &str,
    stored: &str,
) -> bool {
    ledger_hasher(seq, item_id, item_seq, item_hash, prev).matches(stored)
}

fn ledger_hasher(
    seq: i64,
    item_id: &str,
    item_seq: i64,
    item_hash: &str,
    prev: &str,
) -> ChainHasher {
    ChainHasher::default()
        .int(seq)
        .text(item_id)
        .int(item_seq)
        .text(item_hash)
        .text(prev)
}

/// Replays an item's stored events to its state: the transitions in order from
/// `assigned`. `None` when the history holds a move the lifecycle does not allow.
pub fn replay_events(kinds: impl IntoIterator<Item = EventKind>) -> Option<ItemState> {
    crate::lifecycle::replay(kinds.into_iter().filter_map(EventKind::action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ItemInput {
        ItemInput {
            title: "排查受损房屋".into(),
            area: "500101001".into(),
            due_at: "2023-08-01T18:00:00+08:00".into(),
            owner_unit_id: Uuid::nil(),
            verifier_unit_id: Uuid::nil(),
            ..Default::default()
        }
    }

    const JULY_2023: i64 = 1_688_169_600_000;

    #[test]
    fn a_valid_item() {
        let it = input().validate(JULY_2023).unwrap();
        assert_eq!(it.kind, ItemKind::Task);
        assert_eq!(it.source, ItemSource::Manual);
        assert_eq!(it.priority, Priority::Normal);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut i = input();
        i.title = " ".into();
        i.kind = Some("chore".into());
        i.area = "5001".into();
        i.due_at = "tomorrow".into();
        i.attachments = vec!["abc".into()];
        let e = i.validate(JULY_2023).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "kind", "area", "due_at", "attachments[0]"]
        );
        let mut late = input();
        late.due_at = "2020-01-01T00:00:00Z".into();
        assert_eq!(
            late.validate(JULY_2023).unwrap_err().errors[0].code,
            "in_the_past"
        );
    }

    #[test]
    fn split_children_lie_below_and_before() {
        let parent = AreaCode::parse("500101001").unwrap();
        let due = parse_time("2023-08-01T18:00:00+08:00").unwrap();
        let ok = SplitChildInput {
            area: "500101001001".into(),
            due_at: "2023-07-31T18:00:00+08:00".into(),
            ..Default::default()
        };
        let s = SplitInput {
            children: vec![
                ok.clone(),
                SplitChildInput {
                    area: "500101002001".into(),
                    ..ok.clone()
                },
                SplitChildInput {
                    due_at: "2023-08-02T18:00:00+08:00".into(),
                    ..ok.clone()
                },
            ],
        };
        let e = s.validate(parent, due).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["children[1].area", "children[2].due_at"]);
        let fine = SplitInput { children: vec![ok] };
        assert_eq!(fine.validate(parent, due).unwrap().len(), 1);
        assert!(SplitInput::default().validate(parent, due).is_err());
    }

    #[test]
    fn standing_comes_from_the_officer_record() {
        let unit = Uuid::from_u128(1);
        let verifier = Uuid::from_u128(2);
        let me = Uuid::from_u128(10);
        let parties = ItemParties {
            owner_unit_id: unit,
            owner_officer_id: None,
            assigner_user_id: Uuid::from_u128(99),
            assigner_unit_id: Some(verifier),
            verifier_unit_id: verifier,
            submitted_by: Some(me),
        };
        let member = ActorFacts {
            user_id: me,
            officer_id: Some(Uuid::from_u128(20)),
            unit_id: Some(unit),
            may_verify: true,
            may_act: true,
        };
        let s = standing(&member, &parties);
        assert!(s.owner && !s.verifier && !s.assigner && s.submitted_it);
        let boss = ActorFacts {
            unit_id: Some(verifier),
            user_id: Uuid::from_u128(11),
            ..member
        };
        let s = standing(&boss, &parties);
        assert!(!s.owner && s.verifier && s.assigner && !s.submitted_it);
        let no_officer = ActorFacts {
            officer_id: None,
            unit_id: None,
            ..member
        };
        assert!(!standing(&no_officer, &parties).owner);
        let viewer = ActorFacts {
            may_act: false,
            ..boss
        };
        assert_eq!(standing(&viewer, &parties), Standing::default());
    }

    #[test]
    fn hashes_cover_every_field() {
        let e = EventContent {
            item_id: "i",
            seq: 1,
            at: 5,
            actor_user_id: Some("u"),
            kind: "create",
            from_state: None,
            to_state: Some("assigned"),
            note: Some("备注"),
            attachments: "[]",
            payload: "{}",
        };
        let h = event_hash(&e, GENESIS);
        assert_eq!(h.len(), 64);
        assert_ne!(
            h,
            event_hash(
                &EventContent {
                    seq: 2,
                    ..e.clone()
                },
                GENESIS
            )
        );
        assert_ne!(
            h,
            event_hash(
                &EventContent {
                    note: Some("备注 "),
                    ..e.clone()
                },
                GENESIS
            )
        );
        assert_ne!(h, event_hash(&e, &"1".repeat(64)));
        assert!(event_hash_matches(&e, GENESIS, &h));
        // Moving a byte from one field to the next changes the hash.
        let shifted = EventContent {
            attachments: "[]{",
            payload: "}",
            ..e.clone()
        };
        let unshifted = EventContent {
            attachments: "[]",
            payload: "{}",
            ..e.clone()
        };
        assert_ne!(
            event_hash(&shifted, GENESIS),
            event_hash(&unshifted, GENESIS)
        );
        assert_ne!(
            event_hash(
                &EventContent {
                    note: None,
                    ..e.clone()
                },
                GENESIS
            ),
            event_hash(
                &EventContent {
                    note: Some(""),
                    ..e.clone()
                },
                GENESIS
            )
        );
        let l = ledger_hash(1, "i", 1, &h, GENESIS);
        assert!(ledger_hash_matches(1, "i", 1, &h, GENESIS, &l));
        assert!(!ledger_hash_matches(2, "i", 1, &h, GENESIS, &l));
    }

    #[test]
    fn replay_skips_non_transitions() {
        use EventKind as K;
        assert_eq!(
            replay_events([K::Create, K::Accept, K::Remind, K::Start, K::Escalate]),
            Some(ItemState::InProgress)
        );
        assert_eq!(replay_events([K::Create, K::Verify]), None);
    }
}
