//! Where an EWS client connects in each Microsoft cloud: token endpoint, EWS URL, token resource.

use serde::{Deserialize, Serialize};

pub use ferry_auth::Cloud;

/// Where a client connects: token endpoint, EWS endpoint, token resource. Built from a cloud and
/// a tenant, each part overridable (that is how tests reach the simulator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// `https://<authority>/<tenant>/oauth2/v2.0/token`.
    pub token_url: String,
    /// `https://<host>/EWS/Exchange.asmx`.
    pub ews_url: String,
    /// The resource scopes are built from (`<resource>/.default`).
    pub resource: String,
}

impl Endpoints {
    /// The endpoints of `cloud` for `tenant` (its id or a verified domain).
    pub fn for_cloud(cloud: Cloud, tenant: &str) -> Endpoints {
        Endpoints {
            token_url: format!("{}/{tenant}/oauth2/v2.0/token", cloud.authority()),
            ews_url: format!("{}/EWS/Exchange.asmx", cloud.exchange_resource()),
            resource: cloud.exchange_resource().to_string(),
        }
    }

    /// The app-only scope (`<resource>/.default`).
    pub fn app_scope(&self) -> String {
        format!("{}/.default", self.resource.trim_end_matches('/'))
    }

    /// The delegated scope (`<resource>/EWS.AccessAsUser.All`).
    pub fn delegated_scope(&self) -> String {
        format!(
            "{}/EWS.AccessAsUser.All",
            self.resource.trim_end_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds_have_their_own_endpoints() {
        let worldwide = Endpoints::for_cloud(Cloud::Worldwide, "contoso.onmicrosoft.com");
        assert_eq!(
            worldwide.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            worldwide.ews_url,
            "https://outlook.office365.com/EWS/Exchange.asmx"
        );
        assert_eq!(
            worldwide.app_scope(),
            "https://outlook.office365.com/.default"
        );
        let gcc_high = Endpoints::for_cloud(Cloud::UsGovernment, "t");
        assert!(gcc_high
            .token_url
            .starts_with("https://login.microsoftonline.us/"));
        assert_eq!(
            gcc_high.delegated_scope(),
            "https://outlook.office365.us/EWS.AccessAsUser.All"
        );
        assert!(Endpoints::for_cloud(Cloud::China, "t")
            .ews_url
            .contains("partner.outlook.cn"));
        assert!(Endpoints::for_cloud(Cloud::Germany, "t")
            .ews_url
            .contains("outlook.office.de"));
    }
}
