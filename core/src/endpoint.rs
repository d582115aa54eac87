//! Where requests go: the Graph root of a national cloud or a loopback stand-in, and the
//! paths under it. Nothing here lets a token travel to any other host.

use crate::text::find;

/// A national cloud, named as in the `cloud` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// `global`: graph.microsoft.com.
    Global,
    /// `usgov`: graph.microsoft.us (GCC High).
    UsGov,
    /// `usgovdod`: dod-graph.microsoft.us (DoD).
    UsGovDod,
    /// `china`: microsoftgraph.chinacloudapi.cn (21Vianet).
    China,
}

impl Cloud {
    /// Every cloud, in the order the docs list them.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::UsGov, Cloud::UsGovDod, Cloud::China];

    /// The option's spelling: `global`, `usgov`, `usgovdod`, `china`.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgovdod",
            Cloud::China => "china",
        }
    }

    /// The cloud an option spells, if any.
    pub fn from_name(name: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The Graph root, scheme and host, without a trailing slash.
    pub fn graph_root(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGov => "https://graph.microsoft.us",
            Cloud::UsGovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }
}

/// The collection a script lives in (`scriptKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScriptKind {
    /// Windows PowerShell scripts, the seed's collection.
    #[default]
    DeviceManagementScripts,
    /// macOS shell scripts.
    DeviceShellScripts,
    /// macOS custom attribute scripts.
    DeviceCustomAttributeShellScripts,
}

impl ScriptKind {
    /// Every kind of script.
    pub const ALL: [ScriptKind; 3] = [
        ScriptKind::DeviceManagementScripts,
        ScriptKind::DeviceShellScripts,
        ScriptKind::DeviceCustomAttributeShellScripts,
    ];

    /// The option's spelling, which is also the collection's name in Graph.
    pub fn name(self) -> &'static str {
        match self {
            ScriptKind::DeviceManagementScripts => "deviceManagementScripts",
            ScriptKind::DeviceShellScripts => "deviceShellScripts",
            ScriptKind::DeviceCustomAttributeShellScripts => "deviceCustomAttributeShellScripts",
        }
    }

    /// The kind an option spells, if any.
    pub fn from_name(name: &str) -> Option<ScriptKind> {
        ScriptKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A checked Graph root: one of the four clouds over https, or a loopback host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port]`, lower case, no trailing slash.
    origin: String,
}

const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

impl Endpoint {
    /// The Graph root of `cloud`.
    pub fn cloud(cloud: Cloud) -> Self {
        Self {
            origin: cloud.graph_root().to_owned(),
        }
    }

    /// Checks a `baseUrl`: a Graph root over https (port 443 at most), or `http(s)://` to
    /// 127.0.0.1, localhost or `[::1]` with any port; no user info, path, query or fragment.
    /// The error is the rule that was broken.
    pub fn from_base_url(url: &str) -> Result<Self, &'static str> {
        let (origin, rest) = split_origin(url)?;
        if !(rest.is_empty() || rest == "/") {
            return Err("must be only a scheme and host (like https://graph.microsoft.com), without a path, query or fragment");
        }
        Ok(Self { origin })
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `{root}/beta/deviceManagement/{kind}/{scriptId}/userRunStates`, the id encoded as one
    /// path segment.
    pub fn user_run_states(&self, kind: ScriptKind, script_id: &str) -> String {
        format!(
            "{}/beta{}",
            self.origin,
            relative_user_run_states(kind, script_id)
        )
    }

    /// The first page of a kind's scripts: `{root}/beta/deviceManagement/{kind}` with
    /// `$select` of [`SCRIPT_SELECT`], so `scriptContent` (base64, can be large) never comes
    /// back. Later pages are the service's `@odata.nextLink`s, checked like any list's.
    pub fn scripts(&self, kind: ScriptKind) -> String {
        format!(
            "{}/beta/deviceManagement/{}?$select={SCRIPT_SELECT}",
            self.origin,
            kind.name()
        )
    }

    /// The first page of a script's user states (`listUserStates`): the collection's URL with
    /// `$top` and `$filter` when given.
    pub fn user_run_states_page(
        &self,
        kind: ScriptKind,
        script_id: &str,
        top: Option<u32>,
        filter: Option<&str>,
    ) -> String {
        let top = top.map(|n| n.to_string());
        with_query(
            self.user_run_states(kind, script_id),
            &[("$top", top.as_deref()), ("$filter", filter)],
        )
    }

    /// `{root}/beta/$batch`.
    pub fn batch(&self) -> String {
        format!("{}/beta/$batch", self.origin)
    }

    /// One user state's URL.
    pub fn user_run_state(&self, kind: ScriptKind, script_id: &str, id: &str) -> String {
        let mut url = self.user_run_states(kind, script_id);
        url.push('/');
        push_segment(&mut url, id);
        url
    }

    /// Accepts an `@odata.nextLink` only when it stays on this endpoint's origin and version.
    pub fn check_next_link(&self, link: &str) -> Result<(), &'static str> {
        const ELSEWHERE: &str = "points to another host than the one the call went to";
        let (origin, rest) = split_origin(link).map_err(|_| ELSEWHERE)?;
        if origin != self.origin {
            return Err(ELSEWHERE);
        }
        // Paths are case-sensitive: the prefix is compared as sent. Dot segments, which a URL
        // parser resolves (percent-encoded too), are refused in any case.
        let path = rest.split(['?', '#']).next().unwrap_or(rest);
        let dots = |seg: &str| {
            let seg = seg.to_ascii_lowercase();
            matches!(
                seg.as_str(),
                "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
            )
        };
        if !path.starts_with("/beta/") || path.split('/').any(dots) {
            return Err("leaves the /beta API");
        }
        Ok(())
    }
}

/// The script properties `listScripts` asks for (never `scriptContent`), as `$select` takes
/// them. Written out: joining a list at run time would bring a generic join into the module.
pub const SCRIPT_SELECT: &str = "id,displayName,description,fileName,lastModifiedDateTime";

/// `/deviceManagement/{kind}/{scriptId}/userRunStates`, relative to the version root, as
/// `$batch` wants it.
pub fn relative_user_run_states(kind: ScriptKind, script_id: &str) -> String {
    let mut path = format!("/deviceManagement/{}/", kind.name());
    push_segment(&mut path, script_id);
    path.push_str("/userRunStates");
    path
}

/// `url` with OData query options, each value percent-encoded (`$top=5&$filter=a%20eq%20%27b%27`).
pub fn with_query(url: String, options: &[(&str, Option<&str>)]) -> String {
    let mut url = url;
    let mut sep = '?';
    for (name, value) in options {
        if let Some(value) = value {
            url.push(sep);
            url.push_str(name);
            url.push('=');
            push_segment(&mut url, value);
            sep = '&';
        }
    }
    url
}

/// Splits `scheme://host[:port]` (normalised) from the rest, refusing any host but the Graph
/// roots (https only) and loopback.
fn split_origin(url: &str) -> Result<(String, &str), &'static str> {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("must not contain spaces or control characters");
    }
    let (scheme, after) = find(url, "://")
        .and_then(|i| Some((url.get(..i)?, url.get(i + 3..)?)))
        .ok_or("must start with https:// (or http:// for a loopback stand-in)")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err("must start with https:// (or http:// for a loopback stand-in)");
    }
    let end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
    let (authority, rest) = after.split_at_checked(end).unwrap_or((after, ""));
    if authority.contains('@') {
        return Err("must not contain user info (an @ before the host)");
    }
    let authority = authority.to_ascii_lowercase();
    let split = authority
        .rfind(':')
        .and_then(|i| Some((authority.get(..i)?, authority.get(i + 1..)?)));
    let (host, port) = match split {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (authority.as_str(), None),
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err("has a port that is not a number from 1 to 65535"),
        },
    };
    let graph = Cloud::ALL
        .iter()
        .any(|c| c.graph_root().strip_prefix("https://") == Some(host));
    let origin = if graph {
        if scheme != "https" {
            return Err("must use https:// for a Graph host");
        }
        if port.is_some_and(|p| p != 443) {
            return Err("must not name a port other than 443 for a Graph host");
        }
        format!("https://{host}")
    } else if LOOPBACK_HOSTS.contains(&host) {
        match port {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        }
    } else {
        return Err("must be a Microsoft Graph root (graph.microsoft.com, graph.microsoft.us, dod-graph.microsoft.us, microsoftgraph.chinacloudapi.cn) or 127.0.0.1, localhost or [::1]");
    };
    Ok((origin, rest))
}

/// Appends `segment` percent-encoded so that it stays one path segment: everything but
/// RFC 3986's unreserved characters is encoded, `/`, `?`, `#`, `%` and `\` included.
pub(crate) fn push_segment(url: &mut String, segment: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            url.push(b as char);
        } else {
            url.push('%');
            url.push(HEX[usize::from(b >> 4)] as char);
            url.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// The rule an id used as a path segment breaks, if any: not empty, not `.` or `..` (which a
/// URL parser would resolve as a step up), at most 256 characters, no control characters.
pub fn check_segment(id: &str) -> Result<(), &'static str> {
    if id.trim().is_empty() {
        Err("must not be empty")
    } else if id == "." || id == ".." {
        Err("must not be . or ..")
    } else if id.chars().count() > 256 {
        Err("must be at most 256 characters")
    } else if id.chars().any(char::is_control) {
        Err("must not contain control characters")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(url: &str) -> Result<String, &'static str> {
        Endpoint::from_base_url(url).map(|e| e.origin)
    }

    #[test]
    fn accepts_graph_roots_and_loopback() {
        for cloud in Cloud::ALL {
            assert_eq!(base(cloud.graph_root()).unwrap(), cloud.graph_root());
            assert_eq!(
                base(&format!("{}/", cloud.graph_root())).unwrap(),
                cloud.graph_root()
            );
        }
        assert_eq!(
            base("HTTPS://Graph.Microsoft.com:443/").unwrap(),
            "https://graph.microsoft.com"
        );
        assert_eq!(
            base("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(base("https://localhost").unwrap(), "https://localhost");
        assert_eq!(base("http://[::1]:9/").unwrap(), "http://[::1]:9");
    }

    #[test]
    fn refuses_every_other_host() {
        for bad in [
            "https://graph.microsoft.com.evil.example",
            "https://graph.microsoft.com@evil.example",
            "https://user:pass@graph.microsoft.com",
            "https://evil.example#@graph.microsoft.com",
            "https://evil.example/graph.microsoft.com",
            "https://graph.microsoft.com./",
            "http://graph.microsoft.com",
            "https://graph.microsoft.com:8443",
            "https://graph.microsoft.com/beta",
            "https://graph.microsoft.com?x=1",
            "https://graph.microsoft.com\\@evil.example",
            "https://graph.micro\tsoft.com",
            " https://graph.microsoft.com",
            "ftp://graph.microsoft.com",
            "graph.microsoft.com",
            "//graph.microsoft.com",
            "http://127.0.0.2",
            "http://localhost.evil.example",
            "http://127.0.0.1:0",
            "http://127.0.0.1:65536",
            "http://127.0.0.1:+80",
            "http://[::2]:80",
            "http://[::1",
            "",
        ] {
            assert!(base(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn script_id_stays_one_segment() {
        let e = Endpoint::cloud(Cloud::Global);
        let url = e.user_run_states(ScriptKind::default(), "../x?y#z/w%2e\\ é");
        assert_eq!(
            url,
            "https://graph.microsoft.com/beta/deviceManagement/deviceManagementScripts/..%2Fx%3Fy%23z%2Fw%252e%5C%20%C3%A9/userRunStates"
        );
        assert!(check_segment("..").is_err());
        assert!(check_segment(".").is_err());
        assert!(check_segment(" ").is_err());
        assert!(check_segment("a\nb").is_err());
        assert!(check_segment(&"x".repeat(257)).is_err());
        assert!(check_segment("0f3c1f4e-2a5b-4c2e-9d1a-1b2c3d4e5f60").is_ok());
    }

    #[test]
    fn scripts_of_each_kind_with_select() {
        let e = Endpoint::cloud(Cloud::UsGov);
        assert_eq!(
            e.scripts(ScriptKind::default()),
            "https://graph.microsoft.us/beta/deviceManagement/deviceManagementScripts?$select=id,displayName,description,fileName,lastModifiedDateTime"
        );
        let local = Endpoint::from_base_url("http://127.0.0.1:9").unwrap();
        for kind in ScriptKind::ALL {
            let url = local.scripts(kind);
            assert!(
                url.starts_with(&format!(
                    "http://127.0.0.1:9/beta/deviceManagement/{}?",
                    kind.name()
                )),
                "{url}"
            );
            assert!(!url.contains("scriptContent"), "{url}");
        }
    }

    #[test]
    fn query_values_are_encoded() {
        let url = with_query(
            "u".into(),
            &[
                ("$top", Some("5")),
                ("$x", None),
                ("$filter", Some("userPrincipalName eq 'a&b'")),
            ],
        );
        assert_eq!(url, "u?$top=5&$filter=userPrincipalName%20eq%20%27a%26b%27");
        assert_eq!(with_query("u".into(), &[("$top", None)]), "u");
        let local = Endpoint::from_base_url("http://127.0.0.1:9").unwrap();
        let kind = ScriptKind::default();
        assert_eq!(
            local.user_run_states_page(kind, "s", Some(5), Some("a eq 'b'")),
            "http://127.0.0.1:9/beta/deviceManagement/deviceManagementScripts/s/userRunStates?$top=5&$filter=a%20eq%20%27b%27"
        );
        assert_eq!(
            local.user_run_states_page(kind, "s", None, None),
            local.user_run_states(kind, "s")
        );
        assert_eq!(
            relative_user_run_states(ScriptKind::DeviceShellScripts, "a/b"),
            "/deviceManagement/deviceShellScripts/a%2Fb/userRunStates"
        );
    }

    #[test]
    fn next_link_must_stay_home() {
        let e = Endpoint::from_base_url("http://127.0.0.1:9000").unwrap();
        assert!(e
            .check_next_link("http://127.0.0.1:9000/beta/x?$skiptoken=1")
            .is_ok());
        assert!(e.check_next_link("http://127.0.0.1:9001/beta/x").is_err());
        assert!(e.check_next_link("https://evil.example/beta/x").is_err());
        assert!(e
            .check_next_link("http://127.0.0.1:9000@evil.example/beta/x")
            .is_err());
        assert!(e.check_next_link("http://127.0.0.1:9000/v1.0/x").is_err());
        // Found by the base_url fuzz target: a browser resolves dot segments.
        assert!(e
            .check_next_link("http://127.0.0.1:9000/beta/../v1.0/me")
            .is_err());
        assert!(e
            .check_next_link("http://127.0.0.1:9000/beta/%2E%2e/v1.0/me")
            .is_err());
        assert!(e
            .check_next_link("http://127.0.0.1:9000/beta/x?$filter=a/../b")
            .is_ok());
        let g = Endpoint::cloud(Cloud::Global);
        assert!(g
            .check_next_link("https://graph.microsoft.com/beta/x")
            .is_ok());
        assert!(g
            .check_next_link("https://graph.microsoft.us/beta/x")
            .is_err());
    }
}
