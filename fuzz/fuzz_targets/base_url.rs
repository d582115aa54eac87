//! Any text as a `baseUrl` (the input up to the first newline) and as an `@odata.nextLink`
//! (the rest): `Endpoint::from_base_url` and `check_next_link` never panic; an accepted
//! origin is one of the four Graph roots over https or http(s) to 127.0.0.1, localhost or
//! [::1] with a port, and a browser's URL parser sees the same origin; an accepted next link
//! goes to that same origin (and, as the browser resolves it, stays under /beta/).
#![no_main]

use intune_core::endpoint::{Cloud, Endpoint};
use intune_script_user_state_fuzz::{allowed, is_allowed_origin, whatwg_origin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (base, link) = text.split_once('\n').unwrap_or((&text, ""));

    let accepted = Endpoint::from_base_url(base);
    let endpoint = match accepted {
        Ok(e) => {
            let origin = e.origin();
            assert!(
                is_allowed_origin(origin),
                "{base:?} gave the origin {origin:?}"
            );
            let browser = whatwg_origin(base);
            assert_eq!(
                browser,
                whatwg_origin(origin),
                "{base:?}: a browser goes to {browser:?}, the check approved {origin:?}"
            );
            let u = url::Url::parse(base).expect("parses");
            assert!(
                u.username().is_empty() && u.password().is_none(),
                "{base:?}"
            );
            assert!(u.query().is_none() && u.fragment().is_none(), "{base:?}");
            assert_eq!(u.path(), "/", "{base:?}");
            // The normalised origin is itself accepted, unchanged.
            assert_eq!(Endpoint::from_base_url(origin).as_ref(), Ok(&e));
            e
        }
        Err(why) => {
            assert!(!why.is_empty());
            Endpoint::cloud(Cloud::ALL[data.len() % 4])
        }
    };

    if endpoint.check_next_link(link).is_ok() {
        let browser = whatwg_origin(link);
        assert_eq!(
            browser,
            whatwg_origin(endpoint.origin()),
            "the next link {link:?} goes to {browser:?}, not {}",
            endpoint.origin()
        );
        let u = url::Url::parse(link).expect("parses");
        assert!(
            u.username().is_empty() && u.password().is_none(),
            "{link:?}"
        );
        if !u.path().starts_with("/beta/") && !allowed("next-link-dot-segments") {
            panic!(
                "the next link {link:?} passed as /beta/ but a browser requests {}",
                u.path()
            );
        }
    }
});
