//! Resuming from a journal: its records replayed onto a fresh run of the request, by the
//! rules in [`crate::journal`].

use super::{Bulk, Item, Journal};
use crate::error::Error;
use crate::journal::{check_header, unreadable, Header, Line, Record};

/// Item `i`, as record `n` names it: one of the run's valid items.
fn named(items: &[Item], n: usize, i: usize) -> Result<(), Error> {
    match items.get(i) {
        None => Err(unreadable(
            n,
            format!("names item {i} of a run of {}", items.len()),
        )),
        Some(item) if item.input.is_none() => {
            Err(unreadable(n, format!("names item {i}, which is invalid")))
        }
        Some(_) => Ok(()),
    }
}

impl Bulk {
    /// Replays `records` onto this fresh run, whose header is `ours`: an item a `created` or
    /// `failed` record settles gets that result; one whose last record is a `send` is marked
    /// `resumed` and left for the look-up; the rest stay queued. The error is a
    /// `ValidationError` on `journal` saying whether the journal holds a different run or
    /// cannot be read.
    pub(super) fn replay(&mut self, ours: Header, records: Vec<Line>) -> Result<(), Error> {
        let mut journal = Journal {
            pending: Vec::new(),
            next_flight: 1,
            finished: false,
        };
        let mut records = records.into_iter();
        match records.next() {
            None => journal.pending.push(Record::Header(ours).to_json()),
            Some(first) => check_header(first, &ours)?,
        }
        for (k, line) in records.enumerate() {
            let n = k + 2;
            if journal.finished {
                return Err(unreadable(n, "follows the end of the run"));
            }
            let record = line
                .and_then(Record::from_json)
                .map_err(|why| unreadable(n, why))?;
            let (i, result) = match record {
                Record::Header(_) => return Err(unreadable(n, "is a second header")),
                Record::Send { flight, items } => {
                    if flight < journal.next_flight {
                        return Err(unreadable(n, "reuses a flight number"));
                    }
                    journal.next_flight = flight.saturating_add(1);
                    for (k, &i) in items.iter().enumerate() {
                        named(&self.items, n, i)?;
                        if items[..k].contains(&i) {
                            return Err(unreadable(n, format!("sends item {i} twice")));
                        }
                        let item = &mut self.items[i];
                        if item.result.is_some() {
                            return Err(unreadable(n, format!("sends item {i}, already settled")));
                        }
                        item.resumed = true;
                    }
                    continue;
                }
                Record::Created { item, object } => (item, Ok(object)),
                Record::Failed { item, error } => (item, Err(error)),
                Record::Finished { succeeded, failed } => {
                    let mut counts = (0, 0);
                    for item in &self.items {
                        match item.result {
                            // Invalid items count as failed, as they do in the run.
                            Some(Err(_)) => counts.1 += 1,
                            Some(Ok(_)) => counts.0 += 1,
                            None => return Err(unreadable(n, "ends a run with items unsettled")),
                        }
                    }
                    if counts != (succeeded, failed) {
                        return Err(unreadable(
                            n,
                            "ends the run with other counts than its records",
                        ));
                    }
                    journal.finished = true;
                    continue;
                }
            };
            named(&self.items, n, i)?;
            let item = &mut self.items[i];
            if !item.resumed {
                return Err(unreadable(
                    n,
                    format!("settles item {i}, which was not in flight"),
                ));
            }
            item.resumed = false;
            self.set_result(i, result);
        }

        let resumed_error = Error::Network {
            message: "it was in flight when an earlier run of this journal stopped, and no \
                      answer was recorded; the look-up that would tell whether it was created \
                      did not settle it"
                .to_owned(),
            client_request_id: self.policy.client_request_id.clone(),
        };
        for (i, item) in self.items.iter_mut().enumerate() {
            if item.resumed {
                item.last_error = Some(resumed_error.clone());
                self.uncertain.push(i);
            }
        }
        self.queue_unsettled();
        self.resuming = !self.uncertain.is_empty();
        self.resume_lookup = self.resuming;
        self.journal = Some(journal);
        Ok(())
    }
}
