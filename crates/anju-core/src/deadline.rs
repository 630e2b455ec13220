//! Deadlines (催办 and 逾期升级): when an open item next needs the system's attention,
//! and what happens then. Pure: the worker in the store asks, acts, and stores the answer.

use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;

/// How reminders and escalation are timed. Configurable per deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    /// Reminders this long before the deadline, longest first (e.g. 24 h, then 2 h).
    pub remind_before_ms: Vec<i64>,
    /// After the deadline, one more level up the tree each time this passes. Level 1 (the
    /// owner unit's leader) is raised at the deadline itself.
    pub escalate_every_ms: i64,
    /// The highest level: 1 the owner unit's leader, 2 the area's supervising unit, then
    /// one area up per level; past the city there is no one higher.
    pub max_level: u8,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            remind_before_ms: vec![24 * HOUR_MS, 2 * HOUR_MS],
            escalate_every_ms: 24 * HOUR_MS,
            max_level: 5,
        }
    }
}

/// What the worker does when an item wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Send reminder number `index` (0 for the first) to the owner.
    Remind { index: u8 },
    /// Raise the item to `level`.
    Escalate { level: u8 },
}

/// Where an open item stands on its deadline: how many reminders went out and how far it
/// was escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeadlineProgress {
    pub reminders_sent: u8,
    pub escalation_level: u8,
}

impl DeadlinePolicy {
    /// The reminders already past at `now` for a deadline set then: these are not sent
    /// late, an item created two hours before its deadline gets only the later reminders.
    pub fn reminders_passed(&self, due_at: i64, now: i64) -> u8 {
        let mut sorted = self.remind_before_ms.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        sorted.iter().take_while(|b| due_at - **b <= now).count() as u8
    }

    /// The next moment the item needs attention and what to do then; `None` once the top
    /// level is reached.
    pub fn next(&self, due_at: i64, p: DeadlineProgress) -> Option<(i64, Wake)> {
        let mut sorted = self.remind_before_ms.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        if p.escalation_level == 0
            && let Some(before) = sorted.get(usize::from(p.reminders_sent))
            && *before > 0
        {
            return Some((
                due_at - before,
                Wake::Remind {
                    index: p.reminders_sent,
                },
            ));
        }
        if p.escalation_level >= self.max_level {
            return None;
        }
        let level = p.escalation_level + 1;
        let at = due_at + i64::from(p.escalation_level) * self.escalate_every_ms;
        Some((at, Wake::Escalate { level }))
    }

    /// The progress after acting on `w`.
    pub fn apply(&self, p: DeadlineProgress, w: Wake) -> DeadlineProgress {
        match w {
            Wake::Remind { index } => DeadlineProgress {
                reminders_sent: index + 1,
                ..p
            },
            Wake::Escalate { level } => DeadlineProgress {
                escalation_level: level,
                ..p
            },
        }
    }

    /// The progress of an item whose deadline was (re)set at `now`: past reminders are
    /// skipped, and escalation starts again from nothing.
    pub fn start(&self, due_at: i64, now: i64) -> DeadlineProgress {
        DeadlineProgress {
            reminders_sent: self.reminders_passed(due_at, now),
            escalation_level: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DUE: i64 = 100 * HOUR_MS;

    #[test]
    fn reminders_then_escalation() {
        let pol = DeadlinePolicy::default();
        let mut p = pol.start(DUE, 0);
        let mut seen = Vec::new();
        while let Some((at, w)) = pol.next(DUE, p) {
            seen.push((at / HOUR_MS, w));
            p = pol.apply(p, w);
        }
        assert_eq!(
            seen,
            vec![
                (76, Wake::Remind { index: 0 }),
                (98, Wake::Remind { index: 1 }),
                (100, Wake::Escalate { level: 1 }),
                (124, Wake::Escalate { level: 2 }),
                (148, Wake::Escalate { level: 3 }),
                (172, Wake::Escalate { level: 4 }),
                (196, Wake::Escalate { level: 5 }),
            ]
        );
    }

    #[test]
    fn a_late_start_skips_past_reminders() {
        let pol = DeadlinePolicy::default();
        let p = pol.start(DUE, DUE - 3 * HOUR_MS);
        assert_eq!(p.reminders_sent, 1);
        assert_eq!(
            pol.next(DUE, p),
            Some((DUE - 2 * HOUR_MS, Wake::Remind { index: 1 }))
        );
        let past = pol.start(DUE, DUE + 1);
        assert_eq!(
            pol.next(DUE, past),
            Some((DUE, Wake::Escalate { level: 1 }))
        );
    }

    proptest! {
        #[test]
        fn wakes_never_go_back_in_time_and_levels_never_skip(
            before in prop::collection::vec(1i64..200 * HOUR_MS, 0..4),
            every in 1i64..100 * HOUR_MS,
            start in 0i64..300 * HOUR_MS,
        ) {
            let pol = DeadlinePolicy { remind_before_ms: before, escalate_every_ms: every, max_level: 5 };
            let mut p = pol.start(DUE, start);
            let mut last = i64::MIN;
            let mut level = 0;
            while let Some((at, w)) = pol.next(DUE, p) {
                prop_assert!(at >= last);
                last = at;
                if let Wake::Escalate { level: l } = w {
                    prop_assert_eq!(l, level + 1);
                    prop_assert!(at >= DUE);
                    level = l;
                }
                p = pol.apply(p, w);
            }
            prop_assert_eq!(level, 5);
        }
    }
}
