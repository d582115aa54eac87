//! `plan::plan` on any input items and any listed user states.
//!
//! Input: bytes read as choices (`Bytes`): the item count, then for each item its user (one of
//! a few names, in some letter case), counts, an `id` or none, and now and then a broken
//! count; then the listed object count and each object's `id` (from a small pool, so ids
//! repeat), name (or `null`) and counts (or none, or a string). The items go through the
//! request's own rules (`validate::sync_request`), as `planUserStates` checks them.
//!
//! Invariants: nothing panics; every input index is in exactly one of create, update,
//! unchanged, invalid (invalid exactly the items the rules refused); no object is matched
//! twice; extra is every listed id that no item matched, once each, in list order; a matched
//! item has the object's id when the list holds the item's id, else the object's name equals
//! the item's ignoring ASCII case; `changes` holds exactly the differing fields. And the plan
//! converges: the list after applying it (updates, creates with fresh ids, extra deleted or
//! kept) plans again to nothing but unchanged items, and to no extra when extra was deleted.
#![no_main]

use intune_core::json::{Json, Map};
use intune_core::plan::{object_id, plan, Plan};
use intune_core::validate::sync_request;
use intune_script_user_state_fuzz::Bytes;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 4] = ["ada@x.com", "bob@x.com", "eve@x.com", "zoë@x.com"];

fn name(b: &mut Bytes) -> String {
    let base = NAMES[usize::from(b.next()) % NAMES.len()];
    let case = b.next();
    base.chars()
        .enumerate()
        .map(|(i, c)| {
            if case >> (i % 8) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn object(pairs: Vec<(&str, Json)>) -> Json {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Json::Object(m)
}

/// The list after the plan is applied: updates set their fields, creates get fresh ids, extra
/// deleted when `delete_extra`.
fn applied(server: &[Json], plan: &Plan, delete_extra: bool) -> Vec<Json> {
    let mut out: Vec<Json> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for s in server {
        let id = object_id(s).unwrap();
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        if delete_extra && plan.extra.iter().any(|e| object_id(e) == Some(id)) {
            continue;
        }
        let mut s = s.clone();
        if let Some(u) = plan.update.iter().find(|u| u.id == id) {
            let Json::Object(m) = &mut s else {
                unreachable!()
            };
            if let Json::Object(changes) = u.changes.fields_json() {
                for (k, v) in changes.0 {
                    m.insert(k, v);
                }
            }
        }
        out.push(s);
    }
    for (n, c) in plan.create.iter().enumerate() {
        out.push(object(vec![
            ("id", format!("new{n}").into()),
            (
                "userPrincipalName",
                c.user_state.user_principal_name.as_str().into(),
            ),
            (
                "successDeviceCount",
                c.user_state.success_device_count.into(),
            ),
            ("errorDeviceCount", c.user_state.error_device_count.into()),
        ]));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let n = usize::from(b.next() % 12);
    let mut items = Vec::new();
    for _ in 0..n {
        let upn = name(&mut b);
        let success = if b.next() % 16 == 0 {
            Json::Number(-1.0)
        } else {
            i32::from(b.next() % 3).into()
        };
        let error: Json = i32::from(b.next() % 3).into();
        let mut pairs = vec![
            ("userPrincipalName", Json::from(upn.as_str())),
            ("successDeviceCount", success),
            ("errorDeviceCount", error),
        ];
        let id = b.next() % 10;
        if id < 6 {
            pairs.push(("id", format!("k{id}").into()));
        }
        items.push(object(pairs));
    }
    let m = usize::from(b.next() % 12);
    let mut server = Vec::new();
    for _ in 0..m {
        let id = format!("k{}", b.next() % 8);
        let upn = if b.next() % 8 == 0 {
            Json::Null
        } else {
            Json::from(name(&mut b).as_str())
        };
        let mut pairs = vec![("id", Json::from(id.as_str())), ("userPrincipalName", upn)];
        match b.next() % 8 {
            0 => {}
            1 => pairs.push(("successDeviceCount", "1".into())),
            k => pairs.push(("successDeviceCount", i32::from(k % 3).into())),
        }
        pairs.push(("errorDeviceCount", i32::from(b.next() % 3).into()));
        server.push(object(pairs));
    }
    let delete_extra = b.next() % 2 == 1;

    let request = object(vec![
        ("scriptId", "s".into()),
        ("userStates", Json::Array(items)),
    ]);
    let req = sync_request(&request, false).expect("the request itself is valid");
    let p = plan(&req.items, &server);

    // Every index once; invalid exactly the refused items.
    let mut seen = vec![0u8; n];
    for i in p
        .create
        .iter()
        .map(|c| c.index)
        .chain(p.update.iter().map(|u| u.index))
        .chain(p.unchanged.iter().map(|u| u.index))
        .chain(p.invalid.iter().map(|u| u.index))
    {
        seen[i] += 1;
    }
    assert!(seen.iter().all(|&k| k == 1), "{seen:?}");
    for v in &p.invalid {
        assert!(req.items[v.index].is_err());
    }
    // No object twice; extra = listed minus matched, once each, in list order.
    let mut matched: Vec<&str> = p
        .update
        .iter()
        .map(|u| u.id.as_str())
        .chain(p.unchanged.iter().map(|u| u.id.as_str()))
        .collect();
    matched.sort_unstable();
    let all = matched.len();
    matched.dedup();
    assert_eq!(all, matched.len(), "an object matched twice");
    let mut expected: Vec<&str> = Vec::new();
    for s in &server {
        let id = object_id(s).unwrap();
        if !expected.contains(&id) && matched.binary_search(&id).is_err() {
            expected.push(id);
        }
    }
    let extra: Vec<&str> = p.extra.iter().map(|e| object_id(e).unwrap()).collect();
    assert_eq!(extra, expected);
    // Each match by id or by name; changes exactly the differing fields.
    let first = |id: &str| server.iter().find(|s| object_id(s) == Some(id)).unwrap();
    let holds = |id: &str| server.iter().any(|s| object_id(s) == Some(id));
    let check_match = |index: usize, id: &str| {
        let input = req.items[index].as_ref().unwrap();
        let object = first(id);
        match input.id.as_deref() {
            Some(own) if holds(own) => assert_eq!(own, id),
            _ => {
                let upn = object
                    .get("userPrincipalName")
                    .and_then(Json::as_str)
                    .unwrap();
                assert!(upn.eq_ignore_ascii_case(&input.user_principal_name));
            }
        }
        intune_core::plan::changes(input, object)
    };
    for u in &p.unchanged {
        assert_eq!(check_match(u.index, &u.id), None);
    }
    for u in &p.update {
        assert_eq!(check_match(u.index, &u.id).as_ref(), Some(&u.changes));
        assert_eq!(&u.before, first(&u.id));
    }
    for c in &p.create {
        assert_eq!(c.user_state.id, None);
    }

    // Converges: applied, it plans to nothing to write.
    let after = applied(&server, &p, delete_extra);
    let again = plan(&req.items, &after);
    assert!(
        again.create.is_empty() && again.update.is_empty(),
        "{again:?}"
    );
    assert_eq!(
        again.unchanged.len(),
        p.unchanged.len() + p.update.len() + p.create.len()
    );
    if delete_extra {
        assert!(again.extra.is_empty(), "{again:?}");
    } else {
        assert_eq!(again.extra.len(), p.extra.len());
    }
});
