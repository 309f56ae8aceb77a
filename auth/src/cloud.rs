//! Microsoft clouds: each has its own sign-in authority and its own service hosts.

use serde::{Deserialize, Serialize};

/// A Microsoft 365 cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// Microsoft 365 worldwide, including GCC (Government Community Cloud), which uses the same
    /// endpoints.
    #[default]
    Worldwide,
    /// Microsoft 365 US Government GCC High.
    UsGovernment,
    /// Microsoft 365 US Government DoD.
    UsGovernmentDod,
    /// Microsoft 365 operated by 21Vianet (China).
    China,
    /// Microsoft Cloud Deutschland (Germany).
    Germany,
}

impl Cloud {
    /// The Entra ID sign-in authority.
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Worldwide => "https://login.microsoftonline.com",
            Cloud::UsGovernment | Cloud::UsGovernmentDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
            Cloud::Germany => "https://login.microsoftonline.de",
        }
    }

    /// Exchange Online's resource (EWS tokens are issued for it; its host serves EWS).
    pub fn exchange_resource(self) -> &'static str {
        match self {
            Cloud::Worldwide => "https://outlook.office365.com",
            Cloud::UsGovernment => "https://outlook.office365.us",
            Cloud::UsGovernmentDod => "https://webmail.apps.mil",
            Cloud::China => "https://partner.outlook.cn",
            Cloud::Germany => "https://outlook.office.de",
        }
    }

    /// Microsoft Graph's host, which is also the resource Graph tokens are issued for.
    pub fn graph_resource(self) -> &'static str {
        match self {
            Cloud::Worldwide => "https://graph.microsoft.com",
            Cloud::UsGovernment => "https://graph.microsoft.us",
            Cloud::UsGovernmentDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
            Cloud::Germany => "https://graph.microsoft.de",
        }
    }

    /// Whether Graph's mailbox import/export API is offered in this cloud: Microsoft documents
    /// it for the global service only, so national clouds keep EWS.
    pub fn has_graph_mailbox_import_export(self) -> bool {
        self == Cloud::Worldwide
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds_have_their_own_hosts() {
        assert_eq!(
            Cloud::Worldwide.authority(),
            "https://login.microsoftonline.com"
        );
        assert_eq!(
            Cloud::UsGovernment.graph_resource(),
            "https://graph.microsoft.us"
        );
        assert_eq!(
            Cloud::China.exchange_resource(),
            "https://partner.outlook.cn"
        );
        assert!(Cloud::Worldwide.has_graph_mailbox_import_export());
        assert!(!Cloud::UsGovernmentDod.has_graph_mailbox_import_export());
    }
}
