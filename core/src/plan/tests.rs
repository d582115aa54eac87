//! The plan's rules, one case each, and its invariants over a mixed case.

use super::*;
use crate::error::FieldError;
use crate::validate::sync_request;

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

fn input(upn: &str, success: i32, error: i32, id: Option<&str>) -> UserStateInput {
    UserStateInput {
        success_device_count: success,
        error_device_count: error,
        user_principal_name: upn.into(),
        id: id.map(str::to_owned),
    }
}

fn server(id: &str, upn: &str, success: i32, error: i32) -> Json {
    json(&format!(
        r#"{{"id":"{id}","userPrincipalName":"{upn}","successDeviceCount":{success},"errorDeviceCount":{error}}}"#
    ))
}

fn ids(extra: &[Json]) -> Vec<&str> {
    extra.iter().map(|s| object_id(s).unwrap()).collect()
}

/// Every index once, no object twice, extra = listed ids minus matched ids.
fn assert_invariants(items: usize, server: &[Json], plan: &Plan) {
    let mut seen = vec![0; items];
    for i in plan
        .create
        .iter()
        .map(|c| c.index)
        .chain(plan.update.iter().map(|u| u.index))
        .chain(plan.unchanged.iter().map(|u| u.index))
        .chain(plan.invalid.iter().map(|u| u.index))
    {
        seen[i] += 1;
    }
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    let mut matched: Vec<&str> = plan
        .update
        .iter()
        .map(|u| u.id.as_str())
        .chain(plan.unchanged.iter().map(|u| u.id.as_str()))
        .collect();
    matched.sort_unstable();
    let before = matched.len();
    matched.dedup();
    assert_eq!(before, matched.len(), "an object matched twice");
    let mut listed: Vec<&str> = server.iter().filter_map(object_id).collect();
    listed.sort_unstable();
    listed.dedup();
    let mut expected: Vec<&str> = listed
        .into_iter()
        .filter(|id| matched.binary_search(id).is_err())
        .collect();
    let mut extra = ids(&plan.extra);
    extra.sort_unstable();
    expected.sort_unstable();
    assert_eq!(extra, expected);
}

#[test]
fn the_five_parts_of_a_mixed_import() {
    let request = json(
        r#"{"scriptId":"s","userStates":[
        {"userPrincipalName":"same@x.com","successDeviceCount":1,"errorDeviceCount":0},
        {"userPrincipalName":"counts@x.com","successDeviceCount":5,"errorDeviceCount":1},
        {"userPrincipalName":"Case@X.com","successDeviceCount":2,"errorDeviceCount":2},
        {"userPrincipalName":"new@x.com","successDeviceCount":3,"errorDeviceCount":0},
        {"userPrincipalName":"twice@x.com","successDeviceCount":4,"errorDeviceCount":0},
        {"userPrincipalName":"bad@x.com","successDeviceCount":-1,"errorDeviceCount":0},
        {"userPrincipalName":"SAME@x.com","successDeviceCount":9,"errorDeviceCount":9}
    ]}"#,
    );
    let req = sync_request(&request, false).unwrap();
    let listed = vec![
        server("a", "same@x.com", 1, 0),
        server("b", "counts@x.com", 2, 1),
        server("c", "case@x.com", 2, 2),
        server("d1", "twice@x.com", 7, 7),
        server("d2", "TWICE@x.com", 4, 0),
        server("e", "only@x.com", 0, 0),
    ];
    let plan = plan(&req.items, &listed);
    assert_invariants(7, &listed, &plan);
    assert_eq!(
        plan.create,
        vec![PlannedCreate {
            index: 3,
            user_state: input("new@x.com", 3, 0, None)
        }]
    );
    let updates: Vec<(usize, &str, Json)> = plan
        .update
        .iter()
        .map(|u| (u.index, u.id.as_str(), u.changes.fields_json()))
        .collect();
    assert_eq!(
        updates,
        vec![
            (1, "b", json(r#"{"successDeviceCount":5}"#)),
            (2, "c", json(r#"{"userPrincipalName":"Case@X.com"}"#)),
            // The second of twice@ holds the values in another case: it is the one kept.
            (4, "d2", json(r#"{"userPrincipalName":"twice@x.com"}"#)),
        ]
    );
    assert_eq!(plan.update[0].before, listed[1]);
    assert_eq!(
        plan.unchanged,
        vec![PlannedUnchanged {
            index: 0,
            id: "a".into()
        }]
    );
    assert_eq!(ids(&plan.extra), ["d1", "e"]);
    let invalid: Vec<(usize, &FieldError)> = plan
        .invalid
        .iter()
        .map(|v| (v.index, v.error.first()))
        .collect();
    assert_eq!(
        invalid,
        vec![
            (
                5,
                &FieldError::new(
                    "userStates[5].successDeviceCount",
                    "must be between 0 and 2147483647"
                )
            ),
            (
                6,
                &FieldError::new(
                    "userStates[6].userPrincipalName",
                    "repeats the user of userStates[0]: a script has one user state per user"
                )
            ),
        ]
    );
}

#[test]
fn a_duplicate_keeps_the_closest_copy_then_the_first_listed() {
    let items = vec![Ok(input("u@x.com", 1, 1, None))];
    // Two fields differ in each of p and q, three in r.
    let listed = vec![
        server("r", "U@X.com", 0, 0),
        server("p", "U@x.com", 1, 0),
        server("q", "u@x.com", 0, 0),
    ];
    let plan = plan(&items, &listed);
    assert_eq!(plan.update[0].id, "p");
    assert_eq!(
        plan.update[0].changes.fields_json(),
        json(r#"{"errorDeviceCount":1,"userPrincipalName":"u@x.com"}"#)
    );
    assert_eq!(ids(&plan.extra), ["r", "q"]);
}

#[test]
fn an_id_wins_over_the_name_a_rename() {
    let items = vec![Ok(input("new@x.com", 1, 0, Some("k")))];
    let listed = vec![
        server("m", "new@x.com", 1, 0),
        server("k", "old@x.com", 1, 0),
    ];
    let plan = plan(&items, &listed);
    assert_eq!(plan.update.len(), 1);
    assert_eq!(plan.update[0].id, "k");
    assert_eq!(
        plan.update[0].changes.fields_json(),
        json(r#"{"userPrincipalName":"new@x.com"}"#)
    );
    // The other object of that name is the server's only: kept, or deleted with deleteExtra.
    assert_eq!(ids(&plan.extra), ["m"]);
}

#[test]
fn an_id_the_server_does_not_hold_falls_back_to_the_name() {
    let items = vec![
        Ok(input("ada@x.com", 1, 0, Some("gone"))),
        Ok(input("bob@x.com", 1, 0, Some("gone-too"))),
    ];
    let listed = vec![server("n", "ADA@x.com", 1, 0)];
    let plan = plan(&items, &listed);
    assert_eq!(plan.update[0].id, "n");
    assert_eq!(
        plan.update[0].changes.fields_json(),
        json(r#"{"userPrincipalName":"ada@x.com"}"#)
    );
    // Created without the id: ids are the service's.
    assert_eq!(plan.create[0].index, 1);
    assert_eq!(plan.create[0].user_state.id, None);
    assert!(plan.extra.is_empty());
}

#[test]
fn an_object_matched_by_id_is_not_matched_again_by_name() {
    // Item 0 renames k (bob -> alice); item 1 is bob, whose only object is k: a create.
    let items = vec![
        Ok(input("alice@x.com", 1, 0, Some("k"))),
        Ok(input("bob@x.com", 1, 0, None)),
    ];
    let listed = vec![server("k", "bob@x.com", 1, 0)];
    let plan = plan(&items, &listed);
    assert_eq!(plan.update[0].index, 0);
    assert_eq!(plan.create[0].index, 1);
    assert_invariants(2, &listed, &plan);
}

#[test]
fn unreadable_server_values_differ_and_null_names_match_only_by_id() {
    let listed = vec![
        json(r#"{"id":"a","userPrincipalName":null,"successDeviceCount":1,"errorDeviceCount":0}"#),
        json(r#"{"id":"b","userPrincipalName":"b@x.com","successDeviceCount":"1"}"#),
        json(r#"{"id":"c","userPrincipalName":null}"#),
    ];
    let items = vec![
        Ok(input("a@x.com", 1, 0, Some("a"))),
        Ok(input("b@x.com", 1, 0, None)),
    ];
    let plan = plan(&items, &listed);
    assert_eq!(
        plan.update[0].changes.fields_json(),
        json(r#"{"userPrincipalName":"a@x.com"}"#)
    );
    assert_eq!(
        plan.update[1].changes.fields_json(),
        json(r#"{"successDeviceCount":1,"errorDeviceCount":0}"#)
    );
    assert_eq!(ids(&plan.extra), ["c"]);
}

#[test]
fn a_listed_id_twice_is_one_object_and_an_object_without_id_is_refused() {
    let listed = vec![server("a", "a@x.com", 1, 0), server("a", "a@x.com", 1, 0)];
    let plan = plan(&[], &listed);
    assert_eq!(ids(&plan.extra), ["a"]);
    assert!(check_listing(&listed).is_ok());
    let err = check_listing(&[json(r#"{"userPrincipalName":"a"}"#)]).unwrap_err();
    assert_eq!(err.name(), "GraphError");
}

#[test]
fn repeated_users_in_a_sync_compare_ids_and_names() {
    let request = json(
        r#"{"scriptId":"s","userStates":[
        {"userPrincipalName":"a@x.com","successDeviceCount":1,"errorDeviceCount":0,"id":"k"},
        {"userPrincipalName":"A@X.COM","successDeviceCount":1,"errorDeviceCount":0,"id":"m"},
        {"userPrincipalName":"c@x.com","successDeviceCount":1,"errorDeviceCount":0,"id":"k"}
    ]}"#,
    );
    let req = sync_request(&request, true).unwrap();
    let fields: Vec<String> = req
        .items
        .iter()
        .map(|r| match r {
            Ok(_) => "ok".into(),
            Err(e) => format!("{}: {}", e.first().field, e.first().message),
        })
        .collect();
    assert_eq!(
        fields,
        [
            "ok",
            "userStates[1].userPrincipalName: repeats the user of userStates[0]: a script has one user state per user",
            "userStates[2].id: repeats the user of userStates[0]: a script has one user state per user",
        ]
    );
}

#[test]
fn sync_requests_take_their_options_and_plans_refuse_them() {
    let req = sync_request(
        &json(r#"{"scriptId":"s","userStates":[],"deleteExtra":true,"concurrency":2}"#),
        true,
    )
    .unwrap();
    assert!(req.delete_extra);
    assert_eq!(req.concurrency, 2);
    let err = sync_request(
        &json(r#"{"scriptId":"s","userStates":[],"deleteExtra":1}"#),
        true,
    )
    .unwrap_err();
    assert_eq!(
        err.first(),
        &FieldError::new("deleteExtra", "must be a boolean, not a number")
    );
    let err = sync_request(
        &json(r#"{"scriptId":"s","userStates":[],"deleteExtra":true}"#),
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.first(),
        &FieldError::new(
            "deleteExtra",
            "is not a property of a planUserStates request"
        )
    );
    assert!(
        !sync_request(&json(r#"{"scriptId":"s","userStates":[]}"#), true)
            .unwrap()
            .delete_extra
    );
}

#[test]
fn to_json_shows_the_parts() {
    let items = vec![
        Ok(input("a@x.com", 1, 0, None)),
        Ok(input("b@x.com", 2, 0, None)),
    ];
    let listed = vec![server("b", "b@x.com", 1, 0)];
    let text = serde_json::to_string(&plan(&items, &listed).to_json()).unwrap();
    assert_eq!(
        text,
        r#"{"create":[{"index":0,"userState":{"userPrincipalName":"a@x.com","successDeviceCount":1,"errorDeviceCount":0}}],"update":[{"index":1,"id":"b","before":{"id":"b","userPrincipalName":"b@x.com","successDeviceCount":1,"errorDeviceCount":0},"changes":{"successDeviceCount":2}}],"unchanged":[],"extra":[]}"#
    );
}
