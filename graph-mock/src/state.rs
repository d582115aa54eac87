//! Server state: configuration, stored objects, fault queue, counters, request log, write budget.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::devices::DeviceState;
use crate::faults::FaultRule;
use crate::scripts::Script;

/// The `@odata.type` of the one entity this mock stores.
pub(crate) const ODATA_TYPE: &str = "#microsoft.graph.deviceManagementScriptUserState";

/// Parent collections under `/deviceManagement/` that carry `userRunStates`.
pub(crate) const COLLECTIONS: [&str; 3] = [
    "deviceManagementScripts",
    "deviceShellScripts",
    "deviceCustomAttributeShellScripts",
];

/// How many requests the log keeps (oldest dropped first).
const LOG_LIMIT: usize = 20_000;

/// Runtime configuration, changed through `POST /_mock/config`.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub page_size: usize,
    pub patch_status: u16,
    pub keep_alive: bool,
    pub write_budget: Option<WriteBudget>,
    /// When set, list pages put this origin in `@odata.nextLink` instead of the request's own
    /// (so tests can check that a client refuses to follow a link to another host).
    pub next_link_origin: Option<String>,
    /// `Access-Control-Expose-Headers` on Graph answers. Graph's own CORS answers expose the
    /// request ids but not `Retry-After` (public reports: microsoftgraph/microsoft-graph-docs
    /// issue 17488, microsoftgraph/msgraph-sdk-design issue 76), and nothing says they expose
    /// `Date`; so by default a browser reads neither (`Content-Type` is CORS-safelisted and
    /// always readable). Tests that need them set this through `/_mock/config`.
    pub expose_headers: String,
    /// When set, a `userRunStates` request for a script id that no script collection holds is
    /// 404 `ResourceNotFound` (as Graph answers a wrong id); by default any id is accepted.
    pub strict_scripts: bool,
    /// Which scripts' `userRunStates` writes are answered as a documented-but-absent route
    /// (GRAPH.md, "Documented writes that a tenant may refuse"; issue 17).
    pub refuse_writes: Refuse,
    /// Largest page a list serves (`None`: no limit); see [`OverMax`].
    pub max_page_size: Option<usize>,
    /// What a `$top` above `max_page_size` gets.
    pub over_max_top: OverMax,
    /// How `$filter` on `deviceRunStates` is treated (undocumented in Graph; issue 20).
    pub device_filter: DeviceFilter,
}

/// `refuseRunStateWrites`: no script, every script, or the listed script ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Refuse {
    #[default]
    None,
    All,
    Scripts(Vec<String>),
}

impl Refuse {
    /// Whether writes under `script` are refused.
    pub fn covers(&self, script: &str) -> bool {
        match self {
            Refuse::None => false,
            Refuse::All => true,
            Refuse::Scripts(ids) => ids.iter().any(|s| s == script),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Refuse::None => json!(false),
            Refuse::All => json!(true),
            Refuse::Scripts(ids) => json!(ids),
        }
    }
    fn parse(v: &Value) -> Result<Refuse, String> {
        let err = || "refuseRunStateWrites must be a boolean or an array of script ids".to_string();
        match v {
            Value::Bool(false) | Value::Null => Ok(Refuse::None),
            Value::Bool(true) => Ok(Refuse::All),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned).ok_or_else(err))
                .collect::<Result<Vec<_>, _>>()
                .map(Refuse::Scripts),
            _ => Err(err()),
        }
    }
}

/// `overMaxTop`: serve at most the maximum (with a nextLink), or refuse the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum OverMax {
    #[default]
    Cap,
    Reject,
}

/// `deviceRunStatesFilter`: `$filter=runState eq '...'` applied, ignored, or refused (400).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum DeviceFilter {
    #[default]
    Supported,
    Ignored,
    Rejected,
}

/// Intune's largest observed page (see `README.md`, "Page sizes").
pub(crate) const INTUNE_MAX_PAGE: usize = 1000;

/// What Graph exposes to browsers by default (see [`Config::expose_headers`]).
pub(crate) const GRAPH_EXPOSE_HEADERS: &str = "request-id, client-request-id";

/// At most `writes` writes in any window of `window_ms` milliseconds (sliding window).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriteBudget {
    pub writes: u32,
    pub window_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            page_size: 100,
            patch_status: 204,
            keep_alive: false,
            write_budget: None,
            next_link_origin: None,
            expose_headers: GRAPH_EXPOSE_HEADERS.to_owned(),
            strict_scripts: false,
            refuse_writes: Refuse::None,
            max_page_size: Some(INTUNE_MAX_PAGE),
            over_max_top: OverMax::Cap,
            device_filter: DeviceFilter::Supported,
        }
    }
}

impl Config {
    /// The configuration as the control API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "pageSize": self.page_size,
            "patchStatus": self.patch_status,
            "keepAlive": self.keep_alive,
            "writeBudget": self.write_budget.map(|b| json!({"writes": b.writes, "windowMs": b.window_ms})),
            "nextLinkOrigin": self.next_link_origin,
            "exposeHeaders": self.expose_headers,
            "strictScripts": self.strict_scripts,
            "refuseRunStateWrites": self.refuse_writes.to_json(),
            "maxPageSize": self.max_page_size,
            "overMaxTop": match self.over_max_top {
                OverMax::Cap => "cap",
                OverMax::Reject => "reject",
            },
            "deviceRunStatesFilter": match self.device_filter {
                DeviceFilter::Supported => "supported",
                DeviceFilter::Ignored => "ignored",
                DeviceFilter::Rejected => "rejected",
            },
        })
    }

    /// The page size for a list: `$top` or the configured page size, at most `maxPageSize`;
    /// `Err` when `$top` is over the maximum and `overMaxTop` is `reject`.
    pub fn page_size(&self, top: Option<usize>) -> Result<usize, String> {
        let max = self.max_page_size.unwrap_or(usize::MAX);
        match top {
            Some(t) if t > max && self.over_max_top == OverMax::Reject => Err(format!(
                "The limit of '{max}' for Top query has been exceeded. The value from the incoming request is '{t}'."
            )),
            Some(t) => Ok(t.min(max)),
            None => Ok(self.page_size.min(max)),
        }
    }

    /// Merges a partial JSON configuration; nothing changes when any field is invalid.
    pub fn merge(&mut self, patch: &Value) -> Result<(), String> {
        let obj = patch.as_object().ok_or("config must be a JSON object")?;
        let mut next = self.clone();
        for (key, value) in obj {
            match key.as_str() {
                "pageSize" => {
                    next.page_size = value
                        .as_u64()
                        .filter(|n| (1..=100_000).contains(n))
                        .ok_or("pageSize must be an integer from 1 to 100000")?
                        as usize
                }
                "patchStatus" => {
                    next.patch_status = match value.as_u64() {
                        Some(200) => 200,
                        Some(204) => 204,
                        _ => return Err("patchStatus must be 200 or 204".into()),
                    }
                }
                "keepAlive" => {
                    next.keep_alive = value.as_bool().ok_or("keepAlive must be a boolean")?
                }
                "writeBudget" => next.write_budget = parse_budget(value)?,
                "nextLinkOrigin" => {
                    next.next_link_origin = match value {
                        Value::Null => None,
                        Value::String(s) => Some(s.trim_end_matches('/').to_owned()),
                        _ => return Err("nextLinkOrigin must be null or a string".into()),
                    }
                }
                "exposeHeaders" => {
                    next.expose_headers = match value {
                        Value::Null => GRAPH_EXPOSE_HEADERS.to_owned(),
                        Value::String(s)
                            if s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
                        {
                            s.clone()
                        }
                        _ => {
                            return Err("exposeHeaders must be null (Graph's default) or a \
                                        comma-separated list of header names"
                                .into())
                        }
                    }
                }
                "strictScripts" => {
                    next.strict_scripts =
                        value.as_bool().ok_or("strictScripts must be a boolean")?
                }
                "refuseRunStateWrites" => next.refuse_writes = Refuse::parse(value)?,
                "maxPageSize" => {
                    next.max_page_size = match value {
                        Value::Null => None,
                        v => Some(
                            v.as_u64()
                                .filter(|n| *n >= 1)
                                .ok_or("maxPageSize must be null or an integer of at least 1")?
                                as usize,
                        ),
                    }
                }
                "overMaxTop" => {
                    next.over_max_top = match value.as_str() {
                        Some("cap") => OverMax::Cap,
                        Some("reject") => OverMax::Reject,
                        _ => return Err("overMaxTop must be \"cap\" or \"reject\"".into()),
                    }
                }
                "deviceRunStatesFilter" => {
                    next.device_filter = match value.as_str() {
                        Some("supported") => DeviceFilter::Supported,
                        Some("ignored") => DeviceFilter::Ignored,
                        Some("rejected") => DeviceFilter::Rejected,
                        _ => {
                            return Err("deviceRunStatesFilter must be \"supported\", \"ignored\" \
                                        or \"rejected\""
                                .into())
                        }
                    }
                }
                other => return Err(format!("unknown config field '{other}'")),
            }
        }
        *self = next;
        Ok(())
    }
}

fn parse_budget(value: &Value) -> Result<Option<WriteBudget>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let err =
        || "writeBudget must be null or {\"writes\": n >= 1, \"windowMs\": n >= 1}".to_string();
    let obj = value.as_object().ok_or_else(err)?;
    if obj.keys().any(|k| k != "writes" && k != "windowMs") {
        return Err(err());
    }
    let writes = obj
        .get("writes")
        .and_then(Value::as_u64)
        .filter(|n| *n >= 1 && *n <= u32::MAX as u64);
    let window = obj
        .get("windowMs")
        .and_then(Value::as_u64)
        .filter(|n| *n >= 1);
    match (writes, window) {
        (Some(w), Some(ms)) => Ok(Some(WriteBudget {
            writes: w as u32,
            window_ms: ms,
        })),
        _ => Err(err()),
    }
}

/// Counters shown by `GET /_mock/stats`.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct Counters {
    pub requests: u64,
    pub batches: u64,
    pub creates: u64,
    pub updates: u64,
    pub deletes: u64,
    pub throttled: u64,
    pub faults: u64,
    /// Write requests (POST, PATCH, DELETE) to a `userRunStates` path, single or inner,
    /// whatever their answer.
    pub writes: u64,
    /// Writes answered as a documented-but-absent route.
    pub refused: u64,
}

/// One stored `deviceManagementScriptUserState`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserState {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub id: String,
    pub success_device_count: i32,
    pub error_device_count: i32,
    pub user_principal_name: Option<String>,
}

/// Objects of one (collection, script), in creation order, indexed by id.
#[derive(Debug, Default)]
pub(crate) struct Bucket {
    next_seq: u64,
    items: BTreeMap<u64, UserState>,
    index: HashMap<String, u64>,
}

impl Bucket {
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }
    pub fn get(&self, id: &str) -> Option<&UserState> {
        self.index.get(id).and_then(|s| self.items.get(s))
    }
    pub fn get_mut(&mut self, id: &str) -> Option<&mut UserState> {
        let seq = *self.index.get(id)?;
        self.items.get_mut(&seq)
    }
    pub fn insert(&mut self, obj: UserState) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.index.insert(obj.id.clone(), seq);
        self.items.insert(seq, obj);
    }
    pub fn remove(&mut self, id: &str) -> Option<UserState> {
        let seq = self.index.remove(id)?;
        self.items.remove(&seq)
    }
    pub fn iter(&self) -> impl Iterator<Item = &UserState> {
        self.items.values()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
}

/// One logged Graph request (outer `$batch` requests and inner requests included).
#[derive(Clone, Debug)]
pub(crate) struct LogEntry {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub batch: bool,
    pub script_id: Option<String>,
    /// The `request-id` the mock answered with (its own for each inner request of a batch).
    pub request_id: String,
    /// Filled in by [`State::log`]: position in arrival order, from 1.
    pub seq: u64,
    /// For an inner request: the `seq` of its outer `$batch`.
    pub outer: Option<u64>,
    /// A write (POST, PATCH, DELETE) to a `userRunStates` path.
    pub write: bool,
    /// Filled in by [`State::log`]: arrival, in ms since the server started (monotonic).
    pub received_ms: f64,
    /// When the answer left (after any delay), or the connection was dropped.
    pub answered_ms: Option<f64>,
    /// The status answered (an inner request's own status); `None` while pending or dropped.
    pub status: Option<u16>,
    pub dropped: bool,
}

impl LogEntry {
    fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            headers.insert(k.clone(), Value::String(v.clone()));
        }
        json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body": self.body,
            "batch": self.batch,
            "scriptId": self.script_id,
            "requestId": self.request_id,
            "seq": self.seq,
            "outer": self.outer,
            "write": self.write,
            "receivedMs": self.received_ms,
            "answeredMs": self.answered_ms,
            "status": self.status,
            "dropped": self.dropped,
        })
    }
}

/// When the server started: the zero of the request log's times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Epoch(pub Instant);

impl Default for Epoch {
    fn default() -> Self {
        Epoch(Instant::now())
    }
}

/// Everything the mock remembers; guarded by one mutex, never held across an await.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The configuration a reset returns to (`--refuse-run-state-writes` changes it).
    pub base_config: Config,
    /// Device run states per (collection, script), in seeding order.
    pub devices: HashMap<(&'static str, String), Vec<DeviceState>>,
    epoch: Epoch,
    next_seq: u64,
    pub config: Config,
    pub buckets: HashMap<(&'static str, String), Bucket>,
    pub faults: Vec<FaultRule>,
    /// Scripts of every collection, in creation order.
    scripts: Vec<Script>,
    global: Counters,
    per_script: HashMap<String, Counters>,
    log: VecDeque<LogEntry>,
    writes: VecDeque<Instant>,
}

impl State {
    /// A fresh server whose configuration (and reset target) is `config`.
    pub fn with_config(config: Config) -> State {
        State {
            base_config: config.clone(),
            config,
            ..State::default()
        }
    }

    /// Back to a fresh server: no objects, faults, counters, log, and the start-up config.
    /// The log's clock keeps running (times stay comparable across a reset).
    pub fn reset(&mut self) {
        let epoch = self.epoch;
        let next_seq = self.next_seq;
        *self = State::with_config(self.base_config.clone());
        self.epoch = epoch;
        self.next_seq = next_seq;
    }

    /// Milliseconds since the server started (monotonic, microsecond precision).
    pub fn now_ms(&self) -> f64 {
        (self.epoch.0.elapsed().as_micros() as f64) / 1000.0
    }

    /// Applies `f` to the global counters and to those of `script`, if any.
    pub fn count(&mut self, script: Option<&str>, f: impl Fn(&mut Counters)) {
        f(&mut self.global);
        if let Some(s) = script {
            f(self.per_script.entry(s.to_string()).or_default());
        }
    }

    /// Logs a request, counts it in `requests` (and `writes`), and returns its `seq`.
    pub fn log(&mut self, mut entry: LogEntry) -> u64 {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        entry.received_ms = self.now_ms();
        let write = entry.write;
        self.count(entry.script_id.as_deref(), |c| {
            c.requests += 1;
            if write {
                c.writes += 1;
            }
        });
        if self.log.len() >= LOG_LIMIT {
            self.log.pop_front();
        }
        self.log.push_back(entry);
        self.next_seq
    }

    fn entry_mut(&mut self, seq: u64) -> Option<&mut LogEntry> {
        let first = self.log.front()?.seq;
        let at = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.log.get_mut(at).filter(|e| e.seq == seq)
    }

    /// Records the status of a logged request (inner requests: their own status).
    pub fn set_status(&mut self, seq: u64, status: u16) {
        if let Some(e) = self.entry_mut(seq) {
            e.status = Some(status);
        }
    }

    /// Records that the answer to `seq` left now (`status`), or that its connection was
    /// dropped (`None`); the inner requests of a `$batch` share their batch's answer time.
    pub fn mark_answered(&mut self, seq: u64, status: Option<u16>) {
        let now = self.now_ms();
        let Some(first) = self.log.front().map(|e| e.seq) else {
            return;
        };
        let Some(start) = seq.checked_sub(first).and_then(|d| usize::try_from(d).ok()) else {
            return;
        };
        // The inner requests of a batch are logged right after it, under the same lock.
        for e in self.log.iter_mut().skip(start) {
            let inner = e.outer == Some(seq);
            if e.seq != seq && !inner {
                break;
            }
            e.answered_ms = Some(now);
            match status {
                None => {
                    e.dropped = true;
                    e.status = None;
                }
                Some(s) if !inner => e.status = Some(s),
                Some(_) => {}
            }
        }
    }

    /// Stores seeded user states (and their device run states); none when an id is taken.
    pub fn seed_objects(
        &mut self,
        new: Vec<(&'static str, String, UserState, Vec<DeviceState>)>,
    ) -> Result<(), String> {
        for (i, (coll, script, obj, _)) in new.iter().enumerate() {
            let key = (*coll, script.clone());
            let taken = self.buckets.get(&key).is_some_and(|b| b.contains(&obj.id))
                || new[..i]
                    .iter()
                    .any(|(c, s, o, _)| c == coll && s == script && o.id == obj.id);
            if taken {
                return Err(format!(
                    "a user state with id '{}' already exists under {coll}/{script}",
                    obj.id
                ));
            }
        }
        for (coll, script, obj, devices) in new {
            let key = (coll, script);
            self.devices.entry(key.clone()).or_default().extend(devices);
            self.buckets.entry(key).or_default().insert(obj);
        }
        Ok(())
    }

    /// Removes the user states and device run states of one script (every collection), or of
    /// every script.
    pub fn clear_objects(&mut self, script: Option<&str>) {
        self.buckets
            .retain(|(_, s), _| script.is_some_and(|x| x != s));
        self.devices
            .retain(|(_, s), _| script.is_some_and(|x| x != s));
    }

    /// Clears the request log only.
    pub fn clear_log(&mut self) {
        self.log.clear();
    }

    /// Logged requests, optionally only those under `script`.
    ///
    /// `since`: only entries with a larger `seq`; `writes_only`: only writes.
    pub fn requests_json(&self, script: Option<&str>, since: u64, writes_only: bool) -> Value {
        Value::Array(
            self.log
                .iter()
                .filter(|e| script.is_none() || e.script_id.as_deref() == script)
                .filter(|e| e.seq > since && (e.write || !writes_only))
                .map(LogEntry::to_json)
                .collect(),
        )
    }

    /// Takes a slot of the write budget, or says how many seconds until one frees up.
    pub fn admit_write(&mut self, now: Instant) -> Result<(), u64> {
        let Some(budget) = self.config.write_budget else {
            return Ok(());
        };
        let window = Duration::from_millis(budget.window_ms);
        while let Some(first) = self.writes.front() {
            if now.duration_since(*first) >= window {
                self.writes.pop_front();
            } else {
                break;
            }
        }
        if self.writes.len() < budget.writes as usize {
            self.writes.push_back(now);
            return Ok(());
        }
        // The slot frees when the oldest write in the window leaves it.
        let oldest = self.writes[self.writes.len() - budget.writes as usize];
        let wait = window.saturating_sub(now.duration_since(oldest));
        Err(wait.as_millis().div_ceil(1000).max(1) as u64)
    }

    /// Stored scripts, in creation order, optionally of one collection.
    pub fn scripts(&self, collection: Option<&str>) -> Vec<&Script> {
        self.scripts
            .iter()
            .filter(|s| collection.is_none_or(|c| s.collection() == c))
            .collect()
    }

    /// Stores new scripts; none when any id is taken in its collection (or repeated).
    pub fn add_scripts(&mut self, new: Vec<Script>) -> Result<(), String> {
        for (i, s) in new.iter().enumerate() {
            let taken = self.holds_script(s.collection(), &s.id)
                || new[..i]
                    .iter()
                    .any(|o| o.collection() == s.collection() && o.id == s.id);
            if taken {
                return Err(format!("a script with id '{}' already exists", s.id));
            }
        }
        self.scripts.extend(new);
        Ok(())
    }

    /// Clears the scripts only.
    pub fn clear_scripts(&mut self) {
        self.scripts.clear();
    }

    /// Whether `collection` holds a script with this id.
    pub fn holds_script(&self, collection: &str, id: &str) -> bool {
        self.scripts
            .iter()
            .any(|s| s.collection() == collection && s.id == id)
    }

    /// Stored objects, optionally of one script and one collection.
    pub fn objects(&self, script: Option<&str>, collection: Option<&str>) -> Vec<&UserState> {
        let mut out = Vec::new();
        for coll in COLLECTIONS {
            if collection.is_some_and(|c| c != coll) {
                continue;
            }
            let mut keys: Vec<&String> = self
                .buckets
                .keys()
                .filter(|(c, s)| *c == coll && script.is_none_or(|x| x == s))
                .map(|(_, s)| s)
                .collect();
            keys.sort();
            for s in keys {
                out.extend(self.buckets[&(coll, s.clone())].iter());
            }
        }
        out
    }

    /// `GET /_mock/stats` body.
    pub fn stats_json(&self, script: Option<&str>) -> Value {
        let counters = match script {
            None => self.global,
            Some(s) => {
                let mut c = self.per_script.get(s).copied().unwrap_or_default();
                c.batches = self.global.batches;
                c
            }
        };
        let objects: usize = self
            .buckets
            .iter()
            .filter(|((_, s), _)| script.is_none_or(|x| x == s))
            .map(|(_, b)| b.len())
            .sum();
        let mut v = serde_json::to_value(counters).unwrap_or_default();
        v["objects"] = json!(objects);
        v
    }
}
