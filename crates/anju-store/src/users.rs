//! Accounts and sessions. The store sees only password hashes and session-token hashes;
//! hashing lives at the edge.

use anju_core::officer::format_time;
use anju_core::view::Page;
use anju_core::{AreaCode, AreaLevel, Permission, Role, Scope, ValidationError};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{AuditEntry, append_audit};
use crate::households::{opt_uuid, uuid};
use crate::page::{ListQuery, finish};
use crate::pool::on_pool;
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub area: String,
    pub officer_id: Option<Uuid>,
    pub disabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A user as the sign-in check needs them.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: UserView,
    pub password_hash: String,
}

/// A live session's holder, as every authorised request sees them.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: UserView,
    pub area: AreaCode,
    pub csrf_token: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub area: AreaCode,
    pub officer_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    username: String,
    role: String,
    area_code: i64,
    area_level: String,
    officer_id: Option<String>,
    disabled_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const USER_COLUMNS: &str =
    "id, username, role, area_code, area_level, officer_id, disabled_at, created_at, updated_at";

impl UserRow {
    fn area(&self) -> Result<AreaCode> {
        let l = AreaLevel::parse(&self.area_level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {:?}", self.area_level)))?;
        AreaCode::from_padded(self.area_code, l).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    fn into_view(self) -> Result<UserView> {
        Ok(UserView {
            area: self.area()?.to_string(),
            id: uuid(&self.id)?,
            role: Role::parse(&self.role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", self.role)))?,
            username: self.username,
            officer_id: opt_uuid(self.officer_id)?,
            disabled: self.disabled_at.is_some(),
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
        })
    }
}

impl Store {
    /// Creates a user in the caller's subtree (admins only; the CLI has every right).
    pub async fn create_user(&self, scope: &Scope, u: &NewUser) -> Result<UserView> {
        scope.require(Permission::ManageUsers)?;
        anju_core::access::check_username(&u.username)?;
        u.role.check_binding("area", u.area)?;
        self.check_area(scope, "area", u.area, None).await?;
        if let Some(o) = u.officer_id
            && !self.officer_exists(o).await?
        {
            return Err(ValidationError::single(
                "officer_id",
                "unknown_officer",
                "no such officer",
            )
            .into());
        }
        let id = Uuid::now_v7();
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO users (id, username, password_hash, role, area_code, area_level, officer_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (username) DO NOTHING",
            )
            .bind(id.to_string()).bind(u.username.clone()).bind(u.password_hash.clone()).bind(u.role.as_str())
            .bind(u.area.padded()).bind(u.area.level().as_str()).bind(u.officer_id.map(|o| o.to_string())).bind(now)
            .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(ValidationError::single("username", "taken", "this username is taken").into());
            }
            let entry = AuditEntry::new("create", "user", id, Some(u.area))
                .detail(serde_json::json!({"username": u.username, "role": u.role.as_str()}));
            append_audit!(tx, now, scope, [entry]);
            tx.commit().await?;
        });
        self.user(scope, id).await
    }

    pub async fn user(&self, scope: &Scope, id: Uuid) -> Result<UserView> {
        scope.require(Permission::ManageUsers)?;
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND area_code >= $2 AND area_code < $3"
        );
        on_pool!(self, p => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_view()
    }

    pub async fn user_by_name(&self, scope: &Scope, username: &str) -> Result<UserView> {
        scope.require(Permission::ManageUsers)?;
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1 AND area_code >= $2 AND area_code < $3"
        );
        on_pool!(self, p => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
            .bind(username.to_owned()).bind(lo).bind(hi).fetch_optional(p).await?)
        .ok_or(StoreError::NotFound)?
        .into_view()
    }

    pub async fn list_users(&self, scope: &Scope, q: &ListQuery) -> Result<Page<UserView>> {
        scope.require(Permission::ManageUsers)?;
        let Some(range) = scope.narrow(q.area) else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let p = q.parse(range)?;
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE area_code >= $1 AND area_code < $2 AND (area_code, id) > ($3, $4) \
             AND ($5 = '' OR username LIKE $5) AND ($6 = 1 OR disabled_at IS NULL) ORDER BY area_code, id LIMIT $7"
        );
        let rows = on_pool!(self, pool => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
            .bind(p.lo).bind(p.hi).bind(p.after_area).bind(p.after_id.clone())
            .bind(p.like.clone()).bind(p.archived).bind(p.limit + 1)
            .fetch_all(pool).await?);
        let (rows, next_cursor) = finish(rows, p.limit, |r| (r.area_code, r.id.clone()));
        Ok(Page {
            items: rows
                .into_iter()
                .map(UserRow::into_view)
                .collect::<Result<_>>()?,
            next_cursor,
        })
    }

    /// Disables or enables a user; disabling revokes their sessions at once.
    pub async fn set_user_disabled(
        &self,
        scope: &Scope,
        id: Uuid,
        disabled: bool,
    ) -> Result<UserView> {
        let u = self.user(scope, id).await?;
        let area = AreaCode::parse(&u.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE users SET disabled_at = $2, updated_at = $3 WHERE id = $1")
                .bind(id.to_string()).bind(disabled.then_some(now)).bind(now).execute(&mut *tx).await?;
            if disabled {
                sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                    .bind(id.to_string()).bind(now).execute(&mut *tx).await?;
            }
            let entry = AuditEntry::new(if disabled { "disable" } else { "enable" }, "user", id, Some(area));
            append_audit!(tx, now, scope, [entry]);
            tx.commit().await?;
        });
        self.user(scope, id).await
    }

    /// Replaces a user's password hash and revokes their sessions.
    pub async fn set_password(&self, scope: &Scope, id: Uuid, password_hash: &str) -> Result<()> {
        let u = self.user(scope, id).await?;
        let area = AreaCode::parse(&u.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(id.to_string()).bind(password_hash.to_owned()).bind(now).execute(&mut *tx).await?;
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(id.to_string()).bind(now).execute(&mut *tx).await?;
            append_audit!(tx, now, scope, [AuditEntry::new("reset_password", "user", id, Some(area))]);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Revokes every live session of a user; returns how many.
    pub async fn revoke_user_sessions(&self, scope: &Scope, id: Uuid) -> Result<u64> {
        let u = self.user(scope, id).await?;
        let area = AreaCode::parse(&u.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        let n = on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(id.to_string()).bind(now).execute(&mut *tx).await?.rows_affected();
            append_audit!(tx, now, scope, [AuditEntry::new("revoke_sessions", "user", id, Some(area)).detail(serde_json::json!({"sessions": n}))]);
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    /// The account behind a username, for checking a password. Not scoped: nobody is
    /// signed in yet.
    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row = on_pool!(self, p => sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
            .bind(username.to_owned()).fetch_optional(p).await?);
        let Some(row) = row else { return Ok(None) };
        let hash: String = on_pool!(self, p => sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(row.id.clone()).fetch_one(p).await?);
        Ok(Some(Credentials {
            user: row.into_view()?,
            password_hash: hash,
        }))
    }

    /// Failed sign-ins under each key since `since`.
    pub async fn login_failures(&self, keys: &[String], since: i64) -> Result<Vec<i64>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let n: i64 = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2")
                .bind(k.clone()).bind(since).fetch_one(p).await?);
            out.push(n);
        }
        Ok(out)
    }

    /// Records a failed sign-in under each key, and forgets failures older than `forget_before`.
    pub async fn record_login_failure(&self, keys: &[String], forget_before: i64) -> Result<()> {
        let now = self.now();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            for k in keys {
                sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)").bind(k.clone()).bind(now).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at < $2").bind(k.clone()).bind(forget_before).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Starts a session: stores the token's hash, never the token.
    pub async fn create_session(
        &self,
        user: &UserView,
        token_hash: &str,
        csrf_token: &str,
        expires_at: i64,
        scope: &Scope,
    ) -> Result<()> {
        let now = self.now();
        let area = AreaCode::parse(&user.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let ip = scope.actor().and_then(|a| a.ip).map(|i| i.to_string());
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(token_hash.to_owned()).bind(user.id.to_string()).bind(csrf_token.to_owned()).bind(now).bind(expires_at).bind(ip)
                .execute(&mut *tx).await?;
            append_audit!(tx, now, scope, [AuditEntry::new("login", "session", user.id, Some(area))]);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The user holding a live (unexpired, unrevoked) session, if any.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<SessionUser>> {
        let now = self.now();
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            username: String,
            role: String,
            area_code: i64,
            area_level: String,
            officer_id: Option<String>,
            disabled_at: Option<i64>,
            created_at: i64,
            updated_at: i64,
            csrf_token: String,
            expires_at: i64,
        }
        let row = on_pool!(self, p => sqlx::query_as::<_, Row>(
            "SELECT u.id, u.username, u.role, u.area_code, u.area_level, u.officer_id, u.disabled_at, u.created_at, \
             u.updated_at, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL")
            .bind(token_hash.to_owned()).bind(now).fetch_optional(p).await?);
        let Some(r) = row else { return Ok(None) };
        let u = UserRow {
            id: r.id,
            username: r.username,
            role: r.role,
            area_code: r.area_code,
            area_level: r.area_level,
            officer_id: r.officer_id,
            disabled_at: r.disabled_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        };
        let area = u.area()?;
        Ok(Some(SessionUser {
            user: u.into_view()?,
            area,
            csrf_token: r.csrf_token,
            expires_at: r.expires_at,
        }))
    }

    /// Ends one session (sign-out).
    pub async fn revoke_session(&self, scope: &Scope, token_hash: &str) -> Result<()> {
        let now = self.now();
        let area = scope.root();
        on_pool!(self, p => {
            let _turn = self.write_turn().await;
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(token_hash.to_owned()).bind(now).execute(&mut *tx).await?;
            let id = scope.actor().map(|a| a.user_id.to_string()).unwrap_or_default();
            append_audit!(tx, now, scope, [AuditEntry::new("logout", "session", id, area)]);
            tx.commit().await?;
        });
        Ok(())
    }
}
