//! `planUserStates`: what an import would change, from the input items and every user state
//! the script holds. Pure: the list is read by the caller (every page), nothing is sent here.
//!
//! The rules (docs/retries.md, "Sync: plan, then apply", says the same for users):
//! - **Matching.** An item with an `id` matches the server's object with that `id`. Every
//!   other item (no `id`, or an `id` the server does not hold: the object was deleted or made
//!   again since the list was exported) matches by `userPrincipalName`, compared ignoring
//!   ASCII case, among the objects no item matched by `id`. An object is matched at most once.
//! - **Which object, when a user has several** (a duplicate left by an earlier double import):
//!   the one with the fewest fields differing from the item (so one already holding the
//!   item's values when there is one), the first listed among equals. The others are `extra`.
//!   Once a sync has run, the next plan picks the same one (it now differs in nothing).
//! - **Changed** means `successDeviceCount`, `errorDeviceCount` or `userPrincipalName` differ,
//!   the name compared as exact text (a change of letter case is a change); a missing or
//!   unreadable value on the server differs from every input value. `changes` holds only the
//!   differing fields, with the input's values. An `id` that matches while the name differs
//!   is a rename: the `id` wins, and `userPrincipalName` is among the changes.
//! - **Creates** carry no `id`: the service assigns ids, and an input `id` the server does not
//!   hold names nothing.
//! - **Invalid** items are those the request's rules refused ([`crate::validate::sync_request`]:
//!   the rules of `createUserStates`, a repeated user refused naming the first item of that
//!   user), each with its `ValidationError` as `createUserStates` reports it.
//! - A listed object without a string `id` can be neither matched nor written: the plan
//!   leaves it out, and the caller refuses such a list before planning ([`check_listing`]).
//!   A repeated `id` in the list (a page that shifted) is one object, its first copy.
//!
//! Every input index lands in exactly one of `create`, `update`, `unchanged`, `invalid`; no
//! object is matched twice; `extra` is every listed object (by `id`) that no item matched, in
//! list order.

use crate::error::{Error, GraphError, ValidationError, INVALID_RESPONSE};
use crate::json::{Json, Map};
use crate::model::UserStateInput;
use crate::validate::Changes;

/// An item with no object on the server: to create.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCreate {
    /// The item's place in the input.
    pub index: usize,
    /// The item, to be sent without its `id`.
    pub user_state: UserStateInput,
}

/// An item whose object differs: to PATCH with `changes`.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedUpdate {
    /// The item's place in the input.
    pub index: usize,
    /// The matched object's id.
    pub id: String,
    /// The server's object as listed.
    pub before: Json,
    /// Only the fields that differ, with the item's values.
    pub changes: Changes,
}

/// An item whose object already holds its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUnchanged {
    /// The item's place in the input.
    pub index: usize,
    /// The matched object's id.
    pub id: String,
}

/// An item the rules refused.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedInvalid {
    /// The item's place in the input.
    pub index: usize,
    /// Why the rules refused it, as `createUserStates` reports it.
    pub error: ValidationError,
}

/// What an import would do. Each list is in input order (`extra`: in list order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Items with no object: to create.
    pub create: Vec<PlannedCreate>,
    /// Items whose object differs: to update.
    pub update: Vec<PlannedUpdate>,
    /// Items whose object holds their values.
    pub unchanged: Vec<PlannedUnchanged>,
    /// The server's objects no item matched.
    pub extra: Vec<Json>,
    /// Items the rules refused.
    pub invalid: Vec<PlannedInvalid>,
}

/// The `id` of a listed object, when it is a non-empty string.
pub fn object_id(state: &Json) -> Option<&str> {
    state
        .get("id")
        .and_then(Json::as_str)
        .filter(|id| !id.is_empty())
}

/// Refuses a list that holds an object without a string `id` (it could be an item's object,
/// yet can be neither matched by `id` nor updated nor deleted): the sync sends nothing then.
pub fn check_listing(server: &[Json]) -> Result<(), Error> {
    match server.iter().position(|s| object_id(s).is_none()) {
        None => Ok(()),
        Some(k) => Err(Error::from(GraphError {
            status: 200,
            code: INVALID_RESPONSE.to_owned(),
            message: format!(
                "the list of user states held an object without a string id (item {k} of the \
                 list), so it cannot be matched; nothing was written"
            ),
            request_id: None,
            client_request_id: None,
            date: None,
            retry_after: None,
        })),
    }
}

/// The fields of `state` that differ from `input`'s values; `None` when none differ.
pub fn changes(input: &UserStateInput, state: &Json) -> Option<Changes> {
    let count = |name| state.get(name).and_then(Json::as_i32);
    let mut c = Changes::default();
    if count("successDeviceCount") != Some(input.success_device_count) {
        c.success_device_count = Some(input.success_device_count);
    }
    if count("errorDeviceCount") != Some(input.error_device_count) {
        c.error_device_count = Some(input.error_device_count);
    }
    if state.get("userPrincipalName").and_then(Json::as_str)
        != Some(input.user_principal_name.as_str())
    {
        c.user_principal_name = Some(input.user_principal_name.clone());
    }
    (c != Changes::default()).then_some(c)
}

/// Plans `items` (as the request's rules checked them, in input order) against `server`
/// (every user state of the script, in the order listed).
pub fn plan(items: &[Result<UserStateInput, ValidationError>], server: &[Json]) -> Plan {
    // The listed objects with an id, each id once (its first copy). Every sort here is of
    // `(String, usize)`, one instance of the sort's code in the module.
    let mut by_id: Vec<(String, usize)> = server
        .iter()
        .enumerate()
        .filter_map(|(k, s)| Some((object_id(s)?.to_owned(), k)))
        .collect();
    by_id.sort_unstable();
    by_id.dedup_by(|later, first| later.0 == first.0);
    // Which listed objects count (with an id, its first copy), in list order.
    let mut object = vec![false; server.len()];
    for &(_, k) in &by_id {
        object[k] = true;
    }
    // Objects by name (ASCII case ignored), each name's in list order.
    let mut by_name: Vec<(String, usize)> = (0..server.len())
        .filter(|&k| object[k])
        .filter_map(|k| {
            let upn = server[k].get("userPrincipalName")?.as_str()?;
            Some((upn.to_ascii_lowercase(), k))
        })
        .collect();
    by_name.sort_unstable();

    let mut claimed = vec![false; server.len()];
    let mut matched: Vec<Option<usize>> = vec![None; items.len()];
    // First every item with an id the server holds, then the rest by name.
    for (i, item) in items.iter().enumerate() {
        let Some(id) = item.as_ref().ok().and_then(|input| input.id.as_deref()) else {
            continue;
        };
        if let Ok(at) = by_id.binary_search_by(|probe| probe.0.as_str().cmp(id)) {
            let k = by_id[at].1;
            if !claimed[k] {
                claimed[k] = true;
                matched[i] = Some(k);
            }
        }
    }
    for (i, item) in items.iter().enumerate() {
        let Ok(input) = item else { continue };
        if matched[i].is_some() {
            continue;
        }
        let name = input.user_principal_name.to_ascii_lowercase();
        let start = by_name.partition_point(|probe| probe.0 < name);
        let candidates = by_name[start..]
            .iter()
            .take_while(|probe| probe.0 == name)
            .map(|&(_, k)| k)
            .filter(|&k| !claimed[k]);
        // The one with the fewest differing fields; the first listed of those.
        let mut best: Option<(usize, usize)> = None;
        for k in candidates {
            let differing = changes(input, &server[k]).map_or(0, |c| c.count());
            if best.is_none_or(|(fewest, _)| differing < fewest) {
                best = Some((differing, k));
            }
            if differing == 0 {
                break;
            }
        }
        if let Some((_, k)) = best {
            claimed[k] = true;
            matched[i] = Some(k);
        }
    }

    let mut plan = Plan::default();
    for (i, item) in items.iter().enumerate() {
        let input = match item {
            Ok(input) => input,
            Err(error) => {
                plan.invalid.push(PlannedInvalid {
                    index: i,
                    error: error.clone(),
                });
                continue;
            }
        };
        let Some(k) = matched[i] else {
            plan.create.push(PlannedCreate {
                index: i,
                user_state: UserStateInput {
                    id: None,
                    ..input.clone()
                },
            });
            continue;
        };
        let state = &server[k];
        let id = object_id(state).unwrap_or_default().to_owned();
        match changes(input, state) {
            None => plan.unchanged.push(PlannedUnchanged { index: i, id }),
            Some(changes) => plan.update.push(PlannedUpdate {
                index: i,
                id,
                before: state.clone(),
                changes,
            }),
        }
    }
    plan.extra = (0..server.len())
        .filter(|&k| object[k] && !claimed[k])
        .map(|k| server[k].clone())
        .collect();
    plan
}

impl Changes {
    /// How many fields change.
    pub fn count(&self) -> usize {
        usize::from(self.success_device_count.is_some())
            + usize::from(self.error_device_count.is_some())
            + usize::from(self.user_principal_name.is_some())
    }

    /// The changed fields alone (no `@odata.type`): what a plan shows.
    pub fn fields_json(&self) -> Json {
        let mut m = Map::new();
        if let Some(n) = self.success_device_count {
            m.insert("successDeviceCount", n.into());
        }
        if let Some(n) = self.error_device_count {
            m.insert("errorDeviceCount", n.into());
        }
        if let Some(upn) = &self.user_principal_name {
            m.insert("userPrincipalName", upn.as_str().into());
        }
        Json::Object(m)
    }
}

impl Plan {
    /// The plan as `planUserStates` resolves to it, but for `invalid` (whose errors the edge
    /// makes JS errors): `{ create: [{ index, userState }], update: [{ index, id, before,
    /// changes }], unchanged: [{ index, id }], extra: [object] }`.
    pub fn to_json(&self) -> Json {
        let index = |i: usize| Json::Number(i as f64);
        let entry = |pairs: Vec<(&str, Json)>| {
            let mut m = Map::new();
            for (k, v) in pairs {
                m.insert(k, v);
            }
            Json::Object(m)
        };
        let mut out = Map::new();
        let create = self.create.iter().map(|c| {
            entry(vec![
                ("index", index(c.index)),
                ("userState", input_json(&c.user_state)),
            ])
        });
        out.insert("create", Json::Array(create.collect()));
        let update = self.update.iter().map(|u| {
            entry(vec![
                ("index", index(u.index)),
                ("id", u.id.as_str().into()),
                ("before", u.before.clone()),
                ("changes", u.changes.fields_json()),
            ])
        });
        out.insert("update", Json::Array(update.collect()));
        let unchanged = self.unchanged.iter().map(|u| {
            entry(vec![
                ("index", index(u.index)),
                ("id", u.id.as_str().into()),
            ])
        });
        out.insert("unchanged", Json::Array(unchanged.collect()));
        out.insert("extra", Json::Array(self.extra.clone()));
        Json::Object(out)
    }
}

/// An input as a plan shows it: the three fields.
fn input_json(input: &UserStateInput) -> Json {
    let mut m = Map::new();
    m.insert(
        "userPrincipalName",
        input.user_principal_name.as_str().into(),
    );
    m.insert("successDeviceCount", input.success_device_count.into());
    m.insert("errorDeviceCount", input.error_device_count.into());
    Json::Object(m)
}

#[cfg(test)]
mod tests;
