//! Roles and what each may do: the one permission table of the system.

use serde::{Deserialize, Serialize};

use crate::area::{AreaCode, AreaLevel};
use crate::error::ValidationError;

/// What a user is, bound to one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users and reads the audit trail in their subtree; may do everything else too.
    Admin,
    /// Municipal command centre and general office.
    City,
    /// A district or county officer.
    District,
    /// A town (subdistrict) officer.
    Town,
    /// A village cadre or grid member.
    Village,
    /// Reads, without personal data; changes nothing.
    Viewer,
}

/// One thing a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    Read,
    Create,
    Update,
    Archive,
    Verify,
    Export,
    SeePersonalData,
    ManageUsers,
    ReadAudit,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::Read,
        Permission::Create,
        Permission::Update,
        Permission::Archive,
        Permission::Verify,
        Permission::Export,
        Permission::SeePersonalData,
        Permission::ManageUsers,
        Permission::ReadAudit,
    ];

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Permissions(u16);

impl Permissions {
    pub const fn none() -> Self {
        Permissions(0)
    }
    pub const fn all() -> Self {
        Permissions(0x1ff)
    }
    pub const fn of(list: &[Permission]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < list.len() {
            bits |= list[i].bit();
            i += 1;
        }
        Permissions(bits)
    }
    pub const fn has(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }
    pub const fn union(self, other: Permissions) -> Self {
        Permissions(self.0 | other.0)
    }
    pub const fn without(self, p: Permission) -> Self {
        Permissions(self.0 & !p.bit())
    }
    pub fn list(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.has(*p))
            .collect()
    }
}

use Permission as P;

const OFFICER: Permissions = Permissions::of(&[
    P::Read,
    P::Create,
    P::Update,
    P::Archive,
    P::Verify,
    P::Export,
    P::SeePersonalData,
]);

/// Village cadres need names and phone numbers to move people in a flood, but deleting
/// records, verifying work and bulk export belong to the levels above.
const VILLAGE: Permissions = Permissions::of(&[P::Read, P::Create, P::Update, P::SeePersonalData]);

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::City,
        Role::District,
        Role::Town,
        Role::Village,
        Role::Viewer,
    ];

    /// The permission table (docs/security.md renders the same).
    pub const fn permissions(self) -> Permissions {
        match self {
            Role::Admin => Permissions::all(),
            Role::City | Role::District | Role::Town => OFFICER,
            Role::Village => VILLAGE,
            Role::Viewer => Permissions::of(&[P::Read]),
        }
    }

    /// The level of area this role must be bound to; `None` for any level.
    pub const fn level(self) -> Option<AreaLevel> {
        match self {
            Role::City => Some(AreaLevel::City),
            Role::District => Some(AreaLevel::District),
            Role::Town => Some(AreaLevel::Town),
            Role::Village => Some(AreaLevel::Village),
            Role::Admin | Role::Viewer => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::City => "city",
            Role::District => "district",
            Role::Town => "town",
            Role::Village => "village",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Checks that this role may be bound to `area`.
    pub fn check_binding(self, field: &str, area: AreaCode) -> Result<(), ValidationError> {
        match self.level() {
            Some(l) if l != area.level() => Err(ValidationError::single(
                field,
                "wrong_level",
                format!(
                    "a {} user is bound to a {} code ({} digits)",
                    self.as_str(),
                    l.as_str(),
                    l.digits()
                ),
            )),
            _ => Ok(()),
        }
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 200;

/// Password rules: long enough, not the username.
pub fn check_password(username: &str, password: &str) -> Result<(), ValidationError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ValidationError::single(
            "password",
            "too_short",
            format!("at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(ValidationError::single(
            "password",
            "too_long",
            format!("at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err(ValidationError::single(
            "password",
            "is_username",
            "must not be the username",
        ));
    }
    Ok(())
}

/// Usernames: 3–64 characters of letters (any script), digits, `.`, `_`, `-`.
pub fn check_username(username: &str) -> Result<(), ValidationError> {
    let n = username.chars().count();
    let ok = (3..=64).contains(&n)
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::single(
            "username",
            "invalid_username",
            "3–64 letters, digits, '.', '_' or '-'",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        assert!(Role::Admin.permissions().has(P::ManageUsers));
        assert!(!Role::City.permissions().has(P::ManageUsers));
        assert!(Role::Village.permissions().has(P::SeePersonalData));
        assert!(!Role::Village.permissions().has(P::Archive));
        let viewer = Role::Viewer.permissions();
        assert_eq!(viewer.list(), vec![P::Read]);
    }

    #[test]
    fn binding_levels() {
        let town = AreaCode::parse("500101001").unwrap();
        assert!(Role::Town.check_binding("area", town).is_ok());
        assert!(Role::Village.check_binding("area", town).is_err());
        assert!(Role::Admin.check_binding("area", town).is_ok());
        assert!(Role::Viewer.check_binding("area", town).is_ok());
    }

    #[test]
    fn passwords() {
        assert!(check_password("wang", "short").is_err());
        assert!(check_password("wanglaoshi1", "WANGLAOSHI1").is_err());
        assert!(check_password("wang", "correct horse battery").is_ok());
        assert!(check_username("王小明").is_ok());
        assert!(check_username("a b").is_err());
    }
}
