//! `graph-mock --port N [--host 127.0.0.1] [--static DIR] [--refuse-run-state-writes]`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use graph_mock::{serve, Options};

const USAGE: &str =
    "usage: graph-mock --port N [--host 127.0.0.1] [--static DIR] [--refuse-run-state-writes]";

struct Args {
    host: String,
    port: u16,
    static_dir: Option<PathBuf>,
    refuse_run_state_writes: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut host = "127.0.0.1".to_string();
    let mut port = None;
    let mut static_dir = None;
    let mut refuse_run_state_writes = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Err(String::new());
        }
        if name == "--refuse-run-state-writes" {
            if inline.is_some() {
                return Err(format!("{name} takes no value"));
            }
            refuse_run_state_writes = true;
            continue;
        }
        let value = match inline.or_else(|| it.next()) {
            Some(v) => v,
            None => return Err(format!("{name} needs a value")),
        };
        match name.as_str() {
            "--port" => {
                port = Some(
                    value
                        .parse::<u16>()
                        .map_err(|_| format!("bad port '{value}'"))?,
                )
            }
            "--host" => host = value,
            "--static" => {
                let dir = PathBuf::from(value);
                if !dir.is_dir() {
                    return Err(format!("--static {} is not a directory", dir.display()));
                }
                static_dir = Some(dir);
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let port = port.ok_or("--port is required")?;
    Ok(Args {
        host,
        port,
        static_dir,
        refuse_run_state_writes,
    })
}

/// Installs the SIGTERM and SIGINT handlers now (before the "listening" line is printed, so
/// that a signal sent right after it is never taken by the default action) and returns a
/// future that completes on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = int.recv() => {},
                        _ = term.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("graph-mock: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "graph-mock: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return ExitCode::from(1);
        }
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => {
            eprintln!("graph-mock: {e}");
            return ExitCode::from(1);
        }
    };
    let host = if args.host.contains(':') {
        format!("[{}]", args.host)
    } else {
        args.host.clone()
    };
    let shutdown = shutdown_signal();
    let mut out = std::io::stdout();
    let _ = writeln!(out, "graph-mock listening on http://{host}:{port}");
    let _ = out.flush();
    let opts = Options {
        static_dir: args.static_dir,
        refuse_run_state_writes: args.refuse_run_state_writes,
    };
    match serve(listener, opts, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("graph-mock: {e}");
            ExitCode::from(1)
        }
    }
}
