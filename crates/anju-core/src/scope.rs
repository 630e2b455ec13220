//! The part of the tree, the rights, and the person a store query runs under.

use std::net::IpAddr;

use crate::access::{Permission, Permissions, Role};
use crate::area::AreaCode;

/// Who is acting, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: uuid::Uuid,
    pub ip: Option<IpAddr>,
}

/// Every store query takes a `Scope`; rows outside `root`'s subtree are invisible to it,
/// and each write checks the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    root: Option<AreaCode>,
    permissions: Permissions,
    actor: Option<Actor>,
}

/// The caller may not do this to a record they can see (or create there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("your role may not {0:?} here")]
pub struct Forbidden(pub Permission);

impl Scope {
    /// The whole system with every right: the CLI and internal jobs.
    pub const fn everything() -> Self {
        Scope {
            root: None,
            permissions: Permissions::all(),
            actor: None,
        }
    }

    /// What a signed-in user may reach: their area's subtree, their role's rights.
    pub const fn user(root: AreaCode, role: Role, actor: Actor) -> Self {
        Scope {
            root: Some(root),
            permissions: role.permissions(),
            actor: Some(actor),
        }
    }

    /// A subtree with every right but personal data as asked (tests and tools).
    pub const fn area(root: AreaCode, see_personal_data: bool) -> Self {
        Scope {
            root: Some(root),
            permissions: if see_personal_data {
                Permissions::all()
            } else {
                Permissions::all().without(Permission::SeePersonalData)
            },
            actor: None,
        }
    }

    /// The same scope with personal data masked or shown.
    pub const fn with_personal_data(self, see: bool) -> Self {
        Scope {
            root: self.root,
            permissions: if see {
                Permissions::of(&[Permission::SeePersonalData]).union(self.permissions)
            } else {
                self.permissions.without(Permission::SeePersonalData)
            },
            actor: self.actor,
        }
    }

    pub fn root(&self) -> Option<AreaCode> {
        self.root
    }

    pub fn actor(&self) -> Option<Actor> {
        self.actor
    }

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.has(p)
    }

    pub fn require(&self, p: Permission) -> Result<(), Forbidden> {
        if self.can(p) {
            Ok(())
        } else {
            Err(Forbidden(p))
        }
    }

    pub fn see_personal_data(&self) -> bool {
        self.can(Permission::SeePersonalData)
    }

    /// The padded-code range a query filters on; the whole code space when unrestricted.
    pub fn range(&self) -> (i64, i64) {
        match self.root {
            Some(r) => r.subtree_range(),
            None => (0, 1_000_000_000_000),
        }
    }

    pub fn contains(&self, code: AreaCode) -> bool {
        self.root.is_none_or(|r| r.contains(code))
    }

    /// The range of `area`'s subtree as seen through this scope: `None` if `area` is
    /// outside it. An area above the scope's root narrows to the root.
    pub fn narrow(&self, area: Option<AreaCode>) -> Option<(i64, i64)> {
        match (self.root, area) {
            (_, None) => Some(self.range()),
            (None, Some(a)) => Some(a.subtree_range()),
            (Some(r), Some(a)) if r.contains(a) => Some(a.subtree_range()),
            (Some(r), Some(a)) if a.contains(r) => Some(r.subtree_range()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing() {
        let d = AreaCode::parse("500101").unwrap();
        let t = AreaCode::parse("500101001").unwrap();
        let other = AreaCode::parse("500102").unwrap();
        let s = Scope::area(d, false);
        assert_eq!(s.narrow(Some(t)), Some(t.subtree_range()));
        assert_eq!(
            s.narrow(Some(AreaCode::parse("50").unwrap())),
            Some(d.subtree_range())
        );
        assert_eq!(s.narrow(Some(other)), None);
        assert!(Scope::everything().contains(other));
        assert!(!s.see_personal_data());
        assert!(s.with_personal_data(true).see_personal_data());
    }

    #[test]
    fn user_scopes_follow_the_role() {
        let v = AreaCode::parse("500101001001").unwrap();
        let actor = Actor {
            user_id: uuid::Uuid::nil(),
            ip: None,
        };
        let s = Scope::user(v, Role::Viewer, actor);
        assert!(s.require(Permission::Read).is_ok());
        assert_eq!(
            s.require(Permission::Create),
            Err(Forbidden(Permission::Create))
        );
        assert!(!s.see_personal_data());
    }
}
