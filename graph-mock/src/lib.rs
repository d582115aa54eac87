//! `graph-mock`: a local stand-in for Microsoft Graph (beta) `deviceManagementScriptUserState`,
//! for tests. It keeps objects in memory and lets tests inject faults, throttling and
//! dropped connections through a small control API.
//!
//! Run it as `graph-mock --port 0 [--host 127.0.0.1] [--static DIR] [--refuse-run-state-writes]`;
//! it prints exactly one line, `graph-mock listening on http://127.0.0.1:PORT`, and stops on
//! SIGINT/SIGTERM. `--refuse-run-state-writes` starts (and resets) it with
//! `refuseRunStateWrites: true` (below).
//!
//! `README.md` beside this crate describes what issues 17, 18 and 20 added (refused writes, the
//! request log's times, seeding, page sizes, device run states and the run summary) and, for each,
//! what Graph documents and what this stand-in assumes.
//!
//! # Graph routes
//! `/beta` (and `/v1.0`) `/deviceManagement/{deviceManagementScripts|deviceShellScripts|deviceCustomAttributeShellScripts}/{scriptId}/userRunStates[/{id}]`
//! with GET (list: `$top`, `$skiptoken`, `$filter=userPrincipalName eq 'x'`), POST (create, 201),
//! GET by id, PATCH (204, or 200 with `patchStatus: 200`), DELETE (204), and `POST /beta/$batch`.
//! Any token works except an empty one (401), `expired*` (401) and `forbidden*` (403); a script id
//! starting with `missing` is 404, and with `strictScripts` (below) so is any script id that the
//! named collection does not hold. Every answer carries `request-id`, `client-request-id` and
//! `Date`; so does each inner `$batch` answer in its `headers` (its own `request-id`; the
//! inner request's `client-request-id`, else the batch's).
//!
//! Device run states and the run summary (GET only; other methods get the route-missing 400):
//! `.../{collection}/{scriptId}/deviceRunStates[/{id}]`,
//! `.../{collection}/{scriptId}/userRunStates/{userStateId}/deviceRunStates[/{id}]` (`$top`,
//! `$skiptoken`, `$expand=managedDevice[($select=...)]`, `$filter=runState eq '...'`) and
//! `.../{collection}/{scriptId}/runSummary`, computed from what the mock holds (`src/devices.rs`).
//!
//! The script collections themselves: `GET /beta/deviceManagement/{collection}` lists the
//! scripts stored through `POST /_mock/scripts` (creation order; `$select`, `$top`,
//! `$skiptoken`, `pageSize` and `nextLinkOrigin` as for user states; the nextLink keeps `$select`)
//! and `GET .../{collection}/{id}` reads one; other methods are 405. A script has `id`,
//! `displayName`, `description`, `fileName`, `scriptContent` (base64), `createdDateTime`,
//! `lastModifiedDateTime`, `runAsAccount`, `roleScopeTagIds`; `$select` returns the named ones
//! plus `id` and `@odata.type`, and a name the entity lacks is 400 `BadRequest`. Where each
//! behaviour comes from is said in `src/scripts.rs`.
//!
//! # Control API (no auth, CORS enabled)
//! - `POST /_mock/reset` → 204: clears objects, faults, counters, the request log and the config.
//! - `GET|POST /_mock/config` → current config; POST merges
//!   `{"pageSize":100,"patchStatus":204,"keepAlive":false,"writeBudget":{"writes":200,"windowMs":20000}|null,"nextLinkOrigin":null,"exposeHeaders":"request-id, client-request-id","strictScripts":false}`.
//!   `strictScripts: true` makes a `userRunStates` request for a script id that its collection
//!   does not hold a 404 `ResourceNotFound` (as Graph answers a wrong id); by default any script
//!   id is accepted, with or without a stored script.
//!   Also `refuseRunStateWrites` (`true`, `false` or an array of script ids: their
//!   `userRunStates` writes, single or inner, get Graph's 400 `No method match route template`),
//!   `maxPageSize` (default 1000, `null` for none), `overMaxTop` (`cap` or `reject`) and
//!   `deviceRunStatesFilter` (`supported`, `ignored`, `rejected`): see `README.md`.
//!   `nextLinkOrigin` (e.g. `"https://evil.example"`) puts another origin in list pages'
//!   `@odata.nextLink`, to test that clients refuse to follow it. `exposeHeaders` is the
//!   `Access-Control-Expose-Headers` of Graph answers: by default `request-id,
//!   client-request-id`, as Graph's (which hides `Retry-After` and `Date` from browsers:
//!   microsoft-graph-docs issue 17488, msgraph-sdk-design issue 76); a string replaces it,
//!   `null` restores the default. Inner `$batch` answers carry their headers in the JSON body.
//!   With `keepAlive:false` (default) every response has `Connection: close`. Writes over the
//!   `writeBudget` (sliding window, whole server) get 429 with an integer `Retry-After` and are
//!   not processed.
//! - `POST /_mock/faults` a rule or an array of rules → 204; `GET` lists pending rules, `DELETE`
//!   clears them. Each Graph request (and each inner batch request) takes the first matching rule.
//!   Match: `scriptId`, `op` (`create|list|get|update|delete|write|devices|summary|scripts|batch|any`,
//!   default `any`; `write` is any of create, update, delete; `devices` the `deviceRunStates`
//!   reads; `summary` the `runSummary` reads;
//!   `scripts` matches the script collections' GETs, whose `scriptId` is the script read by id
//!   or none for a list; `batch` matches only outer `$batch` requests, `any` never does), `times`
//!   (default 1). Effect:
//!   `status`, `code`, `message`, `retryAfter` (verbatim, or `"date+N"` for an HTTP-date N s
//!   ahead), `commit` (process the request before answering with the fault), `drop` (close the
//!   connection without answering), `delayMs`, `body` (`graph|empty|html|truncated|text`),
//!   `contentType`, `refuse` (answer as a documented-but-absent route, process nothing). A rule
//!   without `status`, `drop` and `refuse` processes the request normally and then applies its
//!   delay/body/header changes.
//! - `GET /_mock/stats[?scriptId=s]` → `{requests, batches, creates, updates, deletes, throttled,
//!   faults, writes, refused, objects}`.
//! - `GET /_mock/requests[?scriptId=s][&since=seq][&write=true]` → the last 20000 logged Graph requests
//!   `{seq, method, path, query, headers, body, batch, outer, write, scriptId, requestId,
//!   receivedMs, answeredMs, status, dropped}` (`requestId`: the `request-id` the mock answered
//!   with; times in ms since start); `DELETE` clears the log.
//! - `GET /_mock/objects[?scriptId=s][&collection=c]` → stored objects in creation order;
//!   `POST` seeds user states (any values, with `deviceRunStates`) → 201; `DELETE
//!   [?scriptId=s]` removes user states and device run states.
//! - `POST /_mock/deviceRunStates` seeds device run states → 201; `GET
//!   [?scriptId=s][&collection=c][&userStateId=u]` lists them; `DELETE [?scriptId=s]` clears them.
//! - `POST /_mock/scripts` a script or an array → 201 with the stored scripts (all fields):
//!   `{"displayName": "required", "scriptKind": "deviceManagementScripts", "id": "default a fresh GUID",
//!   "description": "", "fileName": "from the name", "scriptContent": "base64", "lastModifiedDateTime": "default now"}`;
//!   400 for a bad one, 409 when an id is taken in its collection (nothing is stored then).
//!   `GET /_mock/scripts[?collection=c]` lists them; `DELETE` clears them (reset does too).
//!
//! Order of checks for a Graph request: log and count, auth, route (404/405), write budget
//! (writes only), fault rule, then processing (missing or, with `strictScripts`, unknown script
//! 404, 415, 400, 409, 404).

mod batch;
mod clock;
mod control;
mod devices;
mod encoding;
mod envelope;
mod faults;
mod graph;
mod http;
mod resource;
mod scripts;
mod state;
mod static_files;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Server options fixed at start.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Directory served for GET paths outside `/beta`, `/v1.0` and `/_mock`.
    pub static_dir: Option<PathBuf>,
    /// Start (and reset to) `refuseRunStateWrites: true`: every `userRunStates` write answered
    /// as a documented-but-absent route (`--refuse-run-state-writes`, issue 17).
    pub refuse_run_state_writes: bool,
}

/// Shared by every connection.
pub(crate) struct App {
    state: Mutex<state::State>,
    opts: Options,
    local_addr: SocketAddr,
}

impl App {
    /// Locks the state, recovering from a poisoned lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, state::State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Serves connections from `listener` until `shutdown` completes.
///
/// Connections still open at shutdown are left to the runtime; the binary exits right after.
pub async fn serve(
    listener: TcpListener,
    opts: Options,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut config = state::Config::default();
    if opts.refuse_run_state_writes {
        config.refuse_writes = state::Refuse::All;
    }
    let app = Arc::new(App {
        state: Mutex::new(state::State::with_config(config)),
        opts,
        local_addr: listener.local_addr()?,
    });
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| http::handle(app.clone(), req));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
