//! A bulk run's journal records (see [`crate::journal`]): an item's result recorded as it is
//! set, and the records handed out to be appended.

use super::Bulk;
use crate::error::Error;
use crate::journal::Record;
use crate::json::Json;

impl Bulk {
    /// The records to append that no poll has handed out yet (after [`Bulk::abort`]: what
    /// the run learnt since its last poll, worth keeping though not needed).
    pub fn take_records(&mut self) -> Vec<Json> {
        let settled = self.all_settled() && !self.aborted;
        let progress = self.progress();
        let Some(j) = &mut self.journal else {
            return Vec::new();
        };
        if settled && !j.finished {
            j.finished = true;
            j.pending.push(
                Record::Finished {
                    succeeded: progress.succeeded,
                    failed: progress.failed,
                }
                .to_json(),
            );
        }
        std::mem::take(&mut j.pending)
    }

    /// Gives item `i` its final result, and records it.
    pub(super) fn finish(&mut self, i: usize, result: Result<Json, Error>) {
        if let Some(j) = &mut self.journal {
            let record = match &result {
                Ok(object) => Some(Record::Created {
                    item: i,
                    object: object.clone(),
                }),
                Err(Error::Validation(_) | Error::Aborted { .. }) => None,
                Err(error) => Some(Record::Failed {
                    item: i,
                    error: error.clone(),
                }),
            };
            if let Some(record) = record {
                j.pending.push(record.to_json());
            }
        }
        self.set_result(i, result);
    }
}
