//! A bulk run's two safeguards against a service that refuses the write itself: the first
//! write goes alone, and an answer that says no create of the run can succeed stops it.
//!
//! Such an answer (see [`stops_run`]) ends the run at once: no write is sent any more, every
//! item not settled yet fails with that same error (its message in plain words), items already
//! settled keep their results. Two kinds of item are heard out first, so that no item is
//! reported as refused that may exist: those of `$batch` requests still in flight (their
//! answers are read as usual), and uncertain ones (a 5xx, no answer), which the look-up due
//! for them settles (a read): found, they resolve with their object; absent, they fail with
//! the stop. The stop is not final across runs: it is never journaled as an item's result, so
//! a run resumed from the journal (say, once the permission is granted) starts again with a
//! first write alone.

use super::Bulk;
use crate::error::{Error, GraphError};

/// Graph's `error.code` for a route the service does not have (see docs/retries.md).
pub const NO_ROUTE: &str = "No method match route template";

/// Where the run is with its first write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Probe {
    /// The next write goes alone, and nothing else until its answer is in.
    Due,
    /// That write is in flight.
    Flying,
    /// A write got a definite answer that did not stop the run: the rest may go.
    Passed,
}

/// Whether Graph's answer to a create says that no create of the run can succeed: 403, 404
/// (the script), 405, 501, and 400 with code [`NO_ROUTE`]. A 401 stops a run too, once the
/// token was asked again (see [`Bulk::unauthorized_item`]).
pub fn stops_run(g: &GraphError) -> bool {
    match g.status {
        403 | 404 | 405 | 501 => true,
        400 => g.code == NO_ROUTE,
        _ => false,
    }
}

/// The error a stop reports: Graph's status, code and ids kept, the message saying in plain
/// words what the answer means, then what Graph said.
pub fn stop_error(g: &GraphError, script_id: &str) -> Error {
    let meaning = match g.status {
        400 => "The service has no such write route in this tenant: it refused to create user \
                run states as a route it does not have. Intune computes script run states from \
                the devices that run the script, so the documented write may not be available."
            .to_owned(),
        401 => "The service refused the token, also after it was asked for again: sign in \
                again or check the token."
            .to_owned(),
        403 => "The token is not allowed to create user run states for this script: the \
                account or app lacks the permission (or the role) for the write."
            .to_owned(),
        404 => format!(
            "The script {script_id} was not found: no user run state can be created under it."
        ),
        _ => format!(
            "The service does not offer this write here ({} {}): the documented create of user \
             run states may not be available.",
            g.status, g.code
        ),
    };
    let mut ids = Vec::new();
    if let Some(r) = &g.request_id {
        ids.push(format!("request id {r}"));
    }
    if let Some(c) = &g.client_request_id {
        ids.push(format!("client request id {c}"));
    }
    let ids = if ids.is_empty() {
        String::new()
    } else {
        format!("; {}", ids.join(", "))
    };
    let graph_said = if g.message.is_empty() {
        String::new()
    } else {
        format!(": {}", g.message)
    };
    Error::from(GraphError {
        message: format!(
            "{meaning} The run stopped and sent nothing more. (Graph: {} {}{graph_said}{ids})",
            g.status, g.code
        ),
        ..g.clone()
    })
}

impl Bulk {
    /// If `error` says the run cannot succeed, stops the run with it (the first such answer
    /// wins) and says so.
    pub(super) fn stop_on(&mut self, error: &Error) -> bool {
        match error {
            Error::Graph(g) if stops_run(g) => {
                self.stop(g);
                true
            }
            _ => false,
        }
    }

    /// Stops the run with Graph's answer `g`: no write is sent any more. The rest of the
    /// answer being read still settles its items; then every item that is neither settled,
    /// nor in flight, nor waiting for a look-up fails ([`Bulk::end_stopped`]).
    pub(super) fn stop(&mut self, g: &GraphError) {
        if self.stopped.is_none() {
            self.stopped = Some(stop_error(g, &self.script_id));
        }
        self.queue.clear();
    }

    /// After a stop: every item that is neither settled, nor in flight, nor uncertain fails
    /// with the stop's error, which is not journaled (the items stay open for a later run).
    pub(super) fn end_stopped(&mut self) {
        let Some(error) = self.stopped.clone() else {
            return;
        };
        let mut heard_out = vec![false; self.items.len()];
        for (_, f) in &self.flights {
            if let super::Flight::Batch { items, .. } = f {
                for &i in items {
                    heard_out[i] = true;
                }
            }
        }
        let looked_up = self.lookup.iter().flat_map(|l| &l.items);
        for &i in self.uncertain.iter().chain(looked_up) {
            heard_out[i] = true;
        }
        self.queue.clear();
        for (i, heard_out) in heard_out.into_iter().enumerate() {
            if self.items[i].result.is_none() && !heard_out {
                self.set_result(i, Err(error.clone()));
            }
        }
    }

    /// The error that stopped the run, if one did.
    pub fn stopped(&self) -> Option<&Error> {
        self.stopped.as_ref()
    }
}
