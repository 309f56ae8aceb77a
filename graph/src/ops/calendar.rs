//! Permissions of the default calendar: `users/{user}/calendar/calendarPermissions` (list,
//! add, change the role, remove). Graph has no permissions API for other folders, nor for
//! calendars other than the default one in this form.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{segment, user_path};
use crate::client::read_json;
use crate::{GraphClient, GraphError};

/// `calendarRoleType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CalendarRole {
    /// No access.
    None,
    /// Free/busy only.
    FreeBusyRead,
    /// Free/busy, subject and location.
    LimitedRead,
    /// Everything except private events.
    Read,
    /// Read and write.
    Write,
    /// A delegate without access to private events.
    DelegateWithoutPrivateEventAccess,
    /// A delegate with access to private events.
    DelegateWithPrivateEventAccess,
    /// Rights no role names (read only: it cannot be granted).
    Custom,
    /// A role newer than this client.
    #[serde(other)]
    Unknown,
}

/// `emailAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EmailAddress {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SMTP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `calendarPermission`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarPermission {
    /// Id.
    pub id: String,
    /// Who; the entry for everyone in the organisation has a name and no address.
    #[serde(default)]
    pub email_address: Option<EmailAddress>,
    /// Whether it can be removed (the organisation's entry cannot).
    #[serde(default)]
    pub is_removable: Option<bool>,
    /// Whether the grantee is in the organisation.
    #[serde(default)]
    pub is_inside_organization: Option<bool>,
    /// The role granted.
    pub role: CalendarRole,
    /// The roles this grantee may be given.
    #[serde(default)]
    pub allowed_roles: Vec<CalendarRole>,
}

impl GraphClient {
    fn permissions_url(&self, user: &str) -> Result<String, GraphError> {
        Ok(self.url(&format!(
            "{}/calendar/calendarPermissions",
            user_path(user)?
        )))
    }

    /// The default calendar's permissions.
    pub async fn calendar_permissions(
        &self,
        user: &str,
    ) -> Result<Vec<CalendarPermission>, GraphError> {
        let url = self.permissions_url(user)?;
        self.get_all("listCalendarPermissions", &url, &[]).await
    }

    /// Grants `role` on the default calendar to an address.
    pub async fn add_calendar_permission(
        &self,
        user: &str,
        grantee: &EmailAddress,
        role: CalendarRole,
    ) -> Result<CalendarPermission, GraphError> {
        let url = self.permissions_url(user)?;
        let body = json!({ "emailAddress": grantee, "role": role });
        let response = self
            .send_json("addCalendarPermission", Method::POST, &url, &body)
            .await?;
        read_json("addCalendarPermission", response).await
    }

    /// Changes the role of an entry.
    pub async fn update_calendar_permission(
        &self,
        user: &str,
        id: &str,
        role: CalendarRole,
    ) -> Result<CalendarPermission, GraphError> {
        let url = format!("{}/{}", self.permissions_url(user)?, segment(id));
        let body = json!({ "role": role });
        let response = self
            .send_json("updateCalendarPermission", Method::PATCH, &url, &body)
            .await?;
        read_json("updateCalendarPermission", response).await
    }

    /// Removes an entry.
    pub async fn delete_calendar_permission(&self, user: &str, id: &str) -> Result<(), GraphError> {
        let url = format!("{}/{}", self.permissions_url(user)?, segment(id));
        self.call("deleteCalendarPermission", Method::DELETE, &url, &[])
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_as_graph_spells_them_and_unknown_ones_do_not_fail() {
        let entry: CalendarPermission = serde_json::from_value(json!({
            "id": "RGVmYXVsdA==",
            "emailAddress": {"name": "My Organization"},
            "isRemovable": false,
            "isInsideOrganization": true,
            "role": "freeBusyRead",
            "allowedRoles": ["none", "freeBusyRead", "someFutureRole"]
        }))
        .expect("a calendarPermission");
        assert_eq!(entry.role, CalendarRole::FreeBusyRead);
        assert_eq!(entry.allowed_roles[2], CalendarRole::Unknown);
        assert_eq!(
            serde_json::to_value(CalendarRole::DelegateWithPrivateEventAccess).expect("serialises"),
            "delegateWithPrivateEventAccess"
        );
    }
}
