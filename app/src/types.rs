//! Types shared by the browser and the server: what server functions take and return.

mod calendar;
#[macro_use]
mod string_enum;
mod connectors;
mod directory;
mod notifications;
mod provisioning;

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

pub use calendar::{format_date, format_utc, parse_date};
pub use connectors::{
    LdapSettings, MemberAttribute, ScimAuth, ScimGroupBy, ScimSettings, ScimUserName,
};
pub use directory::{
    DirectoryMode, DirectoryStatusView, DirectoryTokenView, ScimMatchKey, ScimOperationView,
};
pub use notifications::{
    ChatFormat, ChatWebhookView, NotificationSettings, NotificationTopic, TopicChoice,
};
pub use provisioning::{ConnectorKind, JobKind, JobOperation, JobState, JobView, ProvisioningView};
pub use string_enum::UnknownValue;

/// Every error a server function can answer with. The messages are written for
/// the person in front of the screen: they say what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do this.")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    /// A form field's value is not acceptable; shown next to the field.
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    #[error("Not found.")]
    NotFound,
    /// Someone else changed or decided it first; reload and try again.
    #[error("{0}")]
    Conflict(String),
    /// This approval must be e-signed: the approver signs in again at the
    /// provider (`/auth/reauth/{challenge_id}`), then the decision completes.
    #[error("This approval must be signed by signing in again.")]
    ReauthRequired { challenge_id: String },
    #[error(
        "Something went wrong on our side. Please try again; if it keeps happening, tell your administrator."
    )]
    Internal,
    /// The request never reached the server function (network, encoding).
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

string_enum! {
    /// The roles a signed-in person holds. Everybody signed in is a requester.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Role {
        Requester = "requester",
        Approver = "approver",
        Admin = "admin",
        Auditor = "auditor",
    }
}

/// The signed-in person as the pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    /// The person's groups, when the server read them with the roles for this
    /// request (the guard, a token's owner): the domain uses them instead of
    /// reading the person's row again. Never sent to the browser.
    #[serde(skip)]
    pub groups: Option<Vec<String>>,
}

impl CurrentUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

string_enum! {
    /// The kinds of access a catalog offers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ItemKind {
        Application = "application",
        Role = "role",
        Entitlement = "entitlement",
        AccessProfile = "access_profile",
    }
}

impl ItemKind {
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Application => "Application",
            ItemKind::Role => "Role",
            ItemKind::Entitlement => "Entitlement",
            ItemKind::AccessProfile => "Access profile",
        }
    }
}

string_enum! {
    /// What a personal access token may be used for, chosen at its creation. A
    /// token does at most what its scopes allow *and* its owner may do now.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Scope {
        Read = "read",
        Request = "request",
        Approve = "approve",
        Admin = "admin",
        Audit = "audit",
    }
}

impl Scope {
    /// The plain words on the tokens page.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Read => "Read items, your requests and your tasks",
            Scope::Request => "Request access",
            Scope::Approve => "Approve or deny your tasks",
            Scope::Admin => "Administer items and settings (administrators)",
            Scope::Audit => "Read the audit trail (administrators, auditors)",
        }
    }
}

/// Who decides one approval step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Approver {
    /// The item's owner.
    Owner,
    /// One named person.
    User { user_id: String },
    /// Any member of a group of the provider's groups claim.
    Group { group: String },
    /// The manager of the request's beneficiary, as the directory says
    /// (`users.manager_id`), at the time the step opens.
    Manager,
}

impl Approver {
    /// How a manager step reads on the Approvals tab.
    pub const MANAGER_LABEL: &'static str = "The beneficiary's manager";
}

/// An approval step as the admin pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStepView {
    pub approver: Approver,
    /// The user's name, or the group's name, or "Item owner".
    pub label: String,
    /// The named user or group no longer exists: the step cannot be decided.
    pub broken: bool,
}

/// An access item as every page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AccessItem {
    pub id: String,
    pub kind: ItemKind,
    pub name: String,
    pub description: String,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::db::Flag"))]
    pub requestable: bool,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::db::Flag"))]
    pub enabled: bool,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::db::Flag"))]
    pub require_reauth: bool,
    /// `None`: the organisation's default window.
    pub reauth_window_minutes: Option<i64>,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by_name: Option<String>,
    /// An approval step names a person or group that no longer exists (admin
    /// list only; always false elsewhere).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub needs_attention: bool,
}

/// One page of a list, and the cursor of the next page (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page from rows fetched with one extra (`limit + 1`): the extra row only
    /// says there is a next page, whose cursor is made from the last row kept.
    pub fn from_overfetch(mut rows: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Page<T> {
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit.max(0) as usize);
            rows.last().map(cursor)
        } else {
            None
        };
        Page { rows, next }
    }
}

/// A keyset cursor `<epoch>_<id>` (newest-first lists), or `None` when malformed.
pub fn parse_time_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (at, id) = cursor.split_once('_')?;
    Some((at.parse().ok()?, id))
}

/// A person, as pickers and lists show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PersonRef {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

string_enum! {
    /// What a people picker chooses a person as; the server offers, and later
    /// accepts, only the people each allows (`domain::people`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum PickFor {
        /// An item's owner: anyone who has not left.
        Owner = "owner",
        /// A named approver: a holder of the approver role.
        Approver = "approver",
        /// Whom a task is handed to: who could have been given its step.
        Reassignment = "reassignment",
        /// Whom access is requested for: per `requestOnBehalfOfConfig`.
        OnBehalf = "on_behalf",
        /// The audit trail's actor filter: anyone who has not left.
        AuditActor = "audit_actor",
    }
}

/// Who may request access for whom (the `requestOnBehalfOfConfig` of the access-request configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOnBehalfOfConfig {
    pub allow_request_on_behalf_of_anyone_by_anyone: bool,
    pub allow_request_on_behalf_of_employee_by_manager: bool,
}

/// The organisation's access-request configuration; field names follow the
/// governance suite's `access-request-config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRequestConfig {
    pub reauthorization_enabled: bool,
    pub approvals_must_be_external: bool,
    pub auto_approval_enabled: bool,
    pub request_on_behalf_of_config: RequestOnBehalfOfConfig,
    pub default_reauth_window_minutes: i64,
    /// Reminders and escalation of tasks that wait (off while absent).
    #[serde(default)]
    pub approval_reminder_and_escalation_config: ApprovalReminderAndEscalationConfig,
    /// An approver with more pending tasks than this gets one daily digest
    /// instead of a mail per new task; 0 = never.
    #[serde(default)]
    pub digest_threshold: i64,
}

/// When a waiting approval task is reminded and escalated (field names follow
/// the governance suite's `approvalReminderAndEscalationConfig`). Days count
/// from when the task opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalReminderAndEscalationConfig {
    /// After this many days the task is handed to the fallback; 0 = never.
    pub days_until_escalation: i64,
    /// Days between reminders (the first after this many days); 0 = none.
    pub days_between_reminders: i64,
    /// The most reminders one task gets; 0 = none.
    pub max_reminders: i64,
    /// Who gets a task that waited too long.
    #[serde(default)]
    pub fallback_approver_ref: Option<FallbackApproverRef>,
}

/// The fallback approver of escalation: one person or any member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FallbackApproverRef {
    /// A person (by id), who must hold the approver role.
    Person { id: String },
    /// A group of approvers (by name).
    Group { name: String },
}

/// The configuration with what the settings page needs around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettings {
    pub config: AccessRequestConfig,
    pub version: i64,
    /// An OIDC provider is configured for this installation.
    pub provider_configured: bool,
    /// When the live re-authentication test last passed.
    pub reauth_test_passed_at: Option<i64>,
    /// The escalation's fallback person (their name for the form), if one is set.
    pub fallback_person: Option<PersonRef>,
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RequestKind {
        /// Asks for access.
        Grant = "grant",
        /// Asks for access held to be removed.
        Revoke = "revoke",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RequestStatus {
        Pending = "pending",
        Approved = "approved",
        Denied = "denied",
        Cancelled = "cancelled",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TaskState {
        Pending = "pending",
        Approved = "approved",
        Denied = "denied",
        Cancelled = "cancelled",
        Reassigned = "reassigned",
    }
}

string_enum! {
    /// What an approver does with one task from its card in the inbox: one
    /// form, three submit buttons (so it works without WebAssembly).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TaskAction {
        Approve = "approve",
        Deny = "deny",
        Reassign = "reassign",
    }
}

string_enum! {
    /// What an approver decides.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Decision {
        Approve = "approve",
        Deny = "deny",
    }
}

/// One approval step of a request, as the requester and approvers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: String,
    pub position: i64,
    pub approver_label: String,
    pub state: TaskState,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    pub automatic: bool,
    /// "re-authenticated at …" evidence of an e-signed approval (the request's
    /// own page only; lists leave it out).
    pub signed_auth_time: Option<i64>,
}

/// A request as its pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: String,
    pub kind: RequestKind,
    pub item_id: String,
    pub item_name: String,
    pub item_kind: ItemKind,
    pub requester_name: String,
    pub beneficiary_name: String,
    pub justification: String,
    pub end_date: Option<i64>,
    pub status: RequestStatus,
    pub created_at: i64,
    pub tasks: Vec<TaskView>,
    /// Its provisioning jobs (grant or revoke in the target system), oldest
    /// first (the request's own page only; lists leave them out).
    pub jobs: Vec<JobView>,
    /// Reminders and escalations of its tasks, oldest first (the request's own
    /// page only).
    pub timeline: Vec<TimelineEntry>,
    /// The whole approval path (the request's own page only; lists leave it out).
    #[serde(default)]
    pub plan: Option<RequestPlan>,
}

/// Something the system did about a request's waiting task (a reminder, an
/// escalation, an escalation it could not make), as the request page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: i64,
    pub what: String,
}

/// A request's approval path up front (`domain::request_plan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPlan {
    /// "Step 1 of {steps_total}".
    pub steps_total: i64,
    /// The steps not reached yet, in order (a pending request only).
    pub upcoming: Vec<UpcomingStep>,
    /// Approving it is e-signed (`routing::approvals_signed`).
    pub approvals_signed: bool,
}

/// A step a pending request has not reached yet, and who decides it today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpcomingStep {
    pub position: i64,
    pub approver_label: String,
}

/// The inbox page's data: one page of pending tasks, and whether decisions are
/// made in the organisation's own system (`approvalsMustBeExternal`: the inbox
/// is read-only). One answer, so a page reads the configuration once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxView {
    pub tasks: Page<InboxTask>,
    pub decisions_external: bool,
}

/// A pending task in an approver's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxTask {
    pub task_id: String,
    pub request_id: String,
    pub request_kind: RequestKind,
    pub item_name: String,
    pub item_kind: ItemKind,
    pub requester_name: String,
    pub beneficiary_name: String,
    pub justification: String,
    pub end_date: Option<i64>,
    pub created_at: i64,
    pub step: i64,
    /// "Step 1 of {steps_total}": the item's steps today, never fewer than `step`.
    pub steps_total: i64,
    /// Approving will ask the approver to sign in again.
    pub needs_reauth: bool,
}

/// A task the approver decided (the inbox history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedTask {
    pub task_id: String,
    pub request_id: String,
    pub item_name: String,
    pub requester_name: String,
    pub beneficiary_name: String,
    pub state: TaskState,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    pub automatic: bool,
}

/// Access a person holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AssignmentView {
    pub item_id: String,
    pub item_name: String,
    pub item_kind: ItemKind,
    pub granted_at: i64,
    pub end_date: Option<i64>,
    /// A removal request is already pending.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::db::Flag"))]
    pub removal_pending: bool,
    /// Its newest provisioning job's state (`None`: granted before provisioning).
    pub provisioning_state: Option<JobState>,
}

/// A person holding an item: the Provisioning tab's "People with this access".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Holder {
    /// The assignment's id.
    pub id: String,
    pub user_id: String,
    pub user_name: String,
    pub user_email: Option<String>,
    pub granted_at: i64,
    pub end_date: Option<i64>,
    /// Its newest provisioning job's state (`None`: granted before provisioning).
    pub provisioning_state: Option<JobState>,
}

/// Access a person who left (or was disabled) still holds: the Directory page's
/// "Access to remove".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct LeaverAccess {
    pub user_id: String,
    pub user_name: String,
    /// When they left (`users.disabled_at`).
    pub left_at: i64,
    pub item_id: String,
    pub item_name: String,
    pub item_kind: ItemKind,
    pub granted_at: i64,
    pub end_date: Option<i64>,
}

/// A pending request, in one line (My team).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PendingRequestLine {
    pub request_id: String,
    pub kind: RequestKind,
    pub item_name: String,
    pub requested_at: i64,
}

/// A person who reports to the manager looking, with what they hold and wait for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub person: PersonRef,
    pub access: Vec<AssignmentView>,
    /// More is held than `access` shows.
    pub more_access: bool,
    pub pending: Vec<PendingRequestLine>,
}

/// A catalog row: an item and where the person stands with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub item: AccessItem,
    pub held: bool,
    pub pending: bool,
    /// Approving it is e-signed (`routing::approvals_signed`): the organisation
    /// has re-authenticated approvals on and the item requires them.
    pub approvals_signed: bool,
}

/// One audit record as the audit pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub actor_name: String,
    pub actor_issuer: Option<String>,
    pub actor_subject: Option<String>,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub item_id: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}
