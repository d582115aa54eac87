//! Where the read side of run states goes: a script's (or one user state's) device run
//! states, and the script's run summary.

use super::{push_segment, with_query, Endpoint, ScriptKind};

/// What `$expand` asks for when the device is wanted: the device's id, name, operating system
/// and user, nothing more.
pub const DEVICE_EXPAND: &str =
    "managedDevice($select=id,deviceName,operatingSystem,userPrincipalName)";

/// The query of a first page of device run states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DevicePage<'a> {
    /// `$top`: the page size asked for.
    pub top: Option<u32>,
    /// `$filter`, sent as given.
    pub filter: Option<&'a str>,
    /// Ask for the device with [`DEVICE_EXPAND`].
    pub device: bool,
}

impl Endpoint {
    /// `{root}/beta/deviceManagement/{kind}/{scriptId}`, the id encoded as one path segment.
    fn script(&self, kind: ScriptKind, script_id: &str) -> String {
        let mut url = format!("{}/beta/deviceManagement/{}/", self.origin, kind.name());
        push_segment(&mut url, script_id);
        url
    }

    /// The first page of device run states: the script's
    /// (`…/{scriptId}/deviceRunStates`), or one user state's
    /// (`…/{scriptId}/userRunStates/{userStateId}/deviceRunStates`), with `$expand`, `$top`
    /// and `$filter` as `page` says.
    pub fn device_run_states_page(
        &self,
        kind: ScriptKind,
        script_id: &str,
        user_state_id: Option<&str>,
        page: DevicePage,
    ) -> String {
        let mut url = match user_state_id {
            Some(id) => {
                let mut url = self.user_run_states(kind, script_id);
                url.push('/');
                push_segment(&mut url, id);
                url
            }
            None => self.script(kind, script_id),
        };
        url.push_str("/deviceRunStates");
        let top = page.top.map(|n| n.to_string());
        with_query(
            url,
            &[
                ("$expand", page.device.then_some(DEVICE_EXPAND)),
                ("$top", top.as_deref()),
                ("$filter", page.filter),
            ],
        )
    }

    /// `{root}/beta/deviceManagement/{kind}/{scriptId}/runSummary`.
    pub fn run_summary(&self, kind: ScriptKind, script_id: &str) -> String {
        let mut url = self.script(kind, script_id);
        url.push_str("/runSummary");
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_run_states_of_a_script_and_of_a_user() {
        let e = Endpoint::from_base_url("http://127.0.0.1:9").unwrap();
        let kind = ScriptKind::default();
        let all = DevicePage {
            device: true,
            ..DevicePage::default()
        };
        assert_eq!(
            e.device_run_states_page(kind, "s/1", None, all),
            "http://127.0.0.1:9/beta/deviceManagement/deviceManagementScripts/s%2F1/deviceRunStates?$expand=managedDevice%28%24select%3Did%2CdeviceName%2CoperatingSystem%2CuserPrincipalName%29"
        );
        assert_eq!(
            e.device_run_states_page(
                ScriptKind::DeviceShellScripts,
                "s",
                Some("u?1"),
                DevicePage {
                    top: Some(50),
                    filter: Some("runState eq 'fail'"),
                    device: false,
                }
            ),
            "http://127.0.0.1:9/beta/deviceManagement/deviceShellScripts/s/userRunStates/u%3F1/deviceRunStates?$top=50&$filter=runState%20eq%20%27fail%27"
        );
        assert_eq!(
            e.device_run_states_page(kind, "s", None, DevicePage::default()),
            "http://127.0.0.1:9/beta/deviceManagement/deviceManagementScripts/s/deviceRunStates"
        );
    }

    #[test]
    fn run_summary_of_each_kind() {
        let g = Endpoint::cloud(super::super::Cloud::China);
        assert_eq!(
            g.run_summary(ScriptKind::DeviceCustomAttributeShellScripts, "a b"),
            "https://microsoftgraph.chinacloudapi.cn/beta/deviceManagement/deviceCustomAttributeShellScripts/a%20b/runSummary"
        );
        for kind in ScriptKind::ALL {
            assert!(g
                .run_summary(kind, "s")
                .ends_with(&format!("/{}/s/runSummary", kind.name())));
        }
    }
}
