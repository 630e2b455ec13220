//! The closed loop's one lifecycle (督查督办): every tracked piece of work — a task, a
//! report follow-up, a reconstruction case, a warning's call-and-response — moves through
//! these states, and only by these transitions.
//!
//! `assigned → accepted → in_progress → submitted → verified`; a verifier may return a
//! submission (`returned → in_progress`); the assigner may cancel or reassign any open item.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Assigned,
    Accepted,
    InProgress,
    Submitted,
    Returned,
    /// Closed after verification (销号).
    Verified,
    Cancelled,
}

impl ItemState {
    pub const fn is_open(self) -> bool {
        !matches!(self, ItemState::Verified | ItemState::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Start,
    Submit,
    Return,
    Verify,
    Cancel,
    Reassign,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Accept,
        Action::Start,
        Action::Submit,
        Action::Return,
        Action::Verify,
        Action::Cancel,
        Action::Reassign,
    ];
}

/// How the actor stands to the item; the caller works it out from the item's owner unit,
/// verifier unit, assigner and the actor's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    /// A member of the owner unit (or the owner officer).
    pub owner: bool,
    /// The person or unit that assigned the item.
    pub assigner: bool,
    /// A member of the verifier unit with the right to verify.
    pub verifier: bool,
    /// The actor made the submission now awaiting verification.
    pub submitted_it: bool,
}

/// What the transition carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evidence {
    pub has_note: bool,
    pub attachments: usize,
    /// For reassignment: a new owner was named.
    pub new_owner: bool,
    /// Child items still open (a parent closes only after all its children).
    pub open_children: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {action:?} an item that is {from:?}; allowed: {allowed:?}")]
    NotAllowedFrom {
        from: ItemState,
        action: Action,
        allowed: Vec<Action>,
    },
    #[error("only {who} may {action:?} this item")]
    NotYours { action: Action, who: &'static str },
    #[error("{0}")]
    Missing(&'static str),
}

fn target(from: ItemState, action: Action) -> Option<ItemState> {
    use Action as A;
    use ItemState as S;
    match (from, action) {
        (S::Assigned, A::Accept) => Some(S::Accepted),
        (S::Accepted | S::Returned, A::Start) => Some(S::InProgress),
        (S::InProgress, A::Submit) => Some(S::Submitted),
        (S::Submitted, A::Return) => Some(S::Returned),
        (S::Submitted, A::Verify) => Some(S::Verified),
        (s, A::Cancel) if s.is_open() => Some(S::Cancelled),
        (s, A::Reassign) if s.is_open() => Some(S::Assigned),
        _ => None,
    }
}

/// The actions that lead anywhere from `from`, whoever asks.
pub fn actions_from(from: ItemState) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| target(from, *a).is_some())
        .collect()
}

/// The actions this actor may take now, with this evidence: what the UI offers as buttons.
pub fn allowed(from: ItemState, who: Standing, evidence: Evidence) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| transition(from, *a, who, evidence).is_ok())
        .collect()
}

/// The one transition function: the state an action leads to, or why it may not happen.
pub fn transition(
    from: ItemState,
    action: Action,
    who: Standing,
    evidence: Evidence,
) -> Result<ItemState, TransitionError> {
    let to = target(from, action).ok_or_else(|| TransitionError::NotAllowedFrom {
        from,
        action,
        allowed: actions_from(from),
    })?;
    match action {
        Action::Accept | Action::Start | Action::Submit if !who.owner => {
            return Err(TransitionError::NotYours {
                action,
                who: "the owner",
            });
        }
        Action::Return | Action::Verify if !who.verifier => {
            return Err(TransitionError::NotYours {
                action,
                who: "the verifier",
            });
        }
        Action::Cancel | Action::Reassign if !who.assigner => {
            return Err(TransitionError::NotYours {
                action,
                who: "the assigner",
            });
        }
        _ => {}
    }
    match action {
        Action::Submit if !evidence.has_note && evidence.attachments == 0 => Err(
            TransitionError::Missing("a submission needs a note or evidence"),
        ),
        Action::Return if !evidence.has_note => Err(TransitionError::Missing(
            "a return needs a note saying what is missing",
        )),
        Action::Verify if who.submitted_it => Err(TransitionError::Missing(
            "a verification is by someone other than the submitter",
        )),
        Action::Verify if evidence.open_children > 0 => Err(TransitionError::Missing(
            "every child item must be closed before the parent is verified",
        )),
        Action::Reassign if !evidence.new_owner => Err(TransitionError::Missing(
            "a reassignment names the new owner",
        )),
        _ => Ok(to),
    }
}

/// Replays a history of actions from `assigned`; the current state of an item is always
/// the replay of its events.
pub fn replay(actions: impl IntoIterator<Item = Action>) -> Option<ItemState> {
    actions.into_iter().try_fold(ItemState::Assigned, target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OWNER: Standing = Standing {
        owner: true,
        assigner: false,
        verifier: false,
        submitted_it: false,
    };
    const VERIFIER: Standing = Standing {
        owner: false,
        assigner: false,
        verifier: true,
        submitted_it: false,
    };
    const NOTE: Evidence = Evidence {
        has_note: true,
        attachments: 0,
        new_owner: false,
        open_children: 0,
    };

    #[test]
    fn the_happy_path() {
        let mut s = ItemState::Assigned;
        for a in [Action::Accept, Action::Start, Action::Submit] {
            s = transition(s, a, OWNER, NOTE).unwrap();
        }
        assert_eq!(s, ItemState::Submitted);
        s = transition(s, Action::Verify, VERIFIER, Evidence::default()).unwrap();
        assert_eq!(s, ItemState::Verified);
        assert!(actions_from(s).is_empty());
    }

    #[test]
    fn illegal_moves_list_what_is_allowed() {
        let e = transition(ItemState::Assigned, Action::Verify, VERIFIER, NOTE).unwrap_err();
        assert_eq!(
            e,
            TransitionError::NotAllowedFrom {
                from: ItemState::Assigned,
                action: Action::Verify,
                allowed: vec![Action::Accept, Action::Cancel, Action::Reassign],
            }
        );
    }

    #[test]
    fn rules_of_the_loop() {
        let submitter_verifier = Standing {
            verifier: true,
            submitted_it: true,
            ..Default::default()
        };
        assert!(matches!(
            transition(
                ItemState::Submitted,
                Action::Verify,
                submitter_verifier,
                NOTE
            ),
            Err(TransitionError::Missing(_))
        ));
        assert!(matches!(
            transition(
                ItemState::InProgress,
                Action::Submit,
                OWNER,
                Evidence::default()
            ),
            Err(TransitionError::Missing(_))
        ));
        let photo = Evidence {
            attachments: 1,
            ..Default::default()
        };
        assert!(transition(ItemState::InProgress, Action::Submit, OWNER, photo).is_ok());
        let children = Evidence {
            open_children: 2,
            ..Default::default()
        };
        assert!(transition(ItemState::Submitted, Action::Verify, VERIFIER, children).is_err());
        assert!(matches!(
            transition(ItemState::InProgress, Action::Cancel, OWNER, NOTE),
            Err(TransitionError::NotYours { .. })
        ));
        assert_eq!(
            allowed(ItemState::Submitted, VERIFIER, NOTE),
            vec![Action::Return, Action::Verify]
        );
    }

    fn standing() -> impl Strategy<Value = Standing> {
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(o, a, v, s)| {
            Standing {
                owner: o,
                assigner: a,
                verifier: v,
                submitted_it: s,
            }
        })
    }

    fn evidence() -> impl Strategy<Value = Evidence> {
        (any::<bool>(), 0usize..3, any::<bool>(), 0usize..3).prop_map(|(n, a, o, c)| Evidence {
            has_note: n,
            attachments: a,
            new_owner: o,
            open_children: c,
        })
    }

    fn action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn random_histories_stay_valid_and_replay(steps in prop::collection::vec((action(), standing(), evidence()), 0..40)) {
            let mut state = ItemState::Assigned;
            let mut applied = Vec::new();
            for (a, who, ev) in steps {
                match transition(state, a, who, ev) {
                    Ok(next) => {
                        prop_assert_eq!(Some(next), target(state, a));
                        prop_assert!(state.is_open(), "a closed item moved");
                        if next == ItemState::Verified {
                            prop_assert!(who.verifier && !who.submitted_it && ev.open_children == 0);
                        }
                        if next == ItemState::Submitted {
                            prop_assert!(ev.has_note || ev.attachments > 0);
                        }
                        state = next;
                        applied.push(a);
                    }
                    Err(TransitionError::NotAllowedFrom { allowed, .. }) => {
                        prop_assert_eq!(allowed, actions_from(state));
                    }
                    Err(_) => {}
                }
                prop_assert_eq!(replay(applied.iter().copied()), Some(state));
            }
        }
    }
}
