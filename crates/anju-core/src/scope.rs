//! The part of the tree, and the rights, a store query runs under.

use crate::area::AreaCode;

/// Every store query takes a `Scope`; rows outside `root`'s subtree are invisible to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    root: Option<AreaCode>,
    pub see_personal_data: bool,
}

impl Scope {
    /// The whole system: used by the CLI and, until accounts exist, by the server.
    pub const fn everything() -> Self {
        Scope {
            root: None,
            see_personal_data: true,
        }
    }

    /// The same subtree with personal data masked or shown.
    pub const fn with_personal_data(self, see: bool) -> Self {
        Scope {
            root: self.root,
            see_personal_data: see,
        }
    }

    pub const fn area(root: AreaCode, see_personal_data: bool) -> Self {
        Scope {
            root: Some(root),
            see_personal_data,
        }
    }

    pub fn root(&self) -> Option<AreaCode> {
        self.root
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
    }
}
