//! `amlsecure-arm-emulator`: a local Azure Resource Manager + Entra ID emulator over HTTPS.
//!
//! Prints one JSON line when ready (endpoint, CA file, credentials, admin URL, traffic
//! log), then serves until SIGINT/SIGTERM or until stdin closes (`--no-stdin` ignores
//! stdin, for running in the background).

use amlsecure_acceptance_tests::emulator::{self, Config, throttle::BucketSize};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
usage: amlsecure-arm-emulator [options]

  --port N                 listen on 127.0.0.1:N (default: any free port)
  --dir DIR                state folder for ca.pem and traffic.jsonl (default: new temp dir)
  --tenant-id GUID         tenant (default: a fixed GUID)
  --subscription-id GUID   subscription (default: a fixed GUID)
  --client-id GUID         service principal client id (default: a fixed GUID)
  --client-secret SECRET   its secret (default: random)
  --latency-ms N[-M]       every ARM request waits N (or N to M) ms before its answer (default 0)
  --lro-ms MS              how long a long-running operation runs (default 500)
  --lro-polls N            polls answering InProgress before an operation ends (default 0)
  --reads CAP[/REFILL]     read token bucket per subscription (default 250/25 per second)
  --writes CAP[/REFILL]    write token bucket per subscription (default 200/10 per second)
  --no-stdin               keep serving when stdin closes
";

fn bucket(text: &str) -> Option<BucketSize> {
    let (capacity, refill) = match text.split_once('/') {
        Some((c, r)) => (c.parse().ok()?, r.parse().ok()?),
        None => (text.parse().ok()?, text.parse::<f64>().ok()? / 10.0),
    };
    Some(BucketSize {
        capacity,
        refill_per_sec: refill,
    })
}

fn parse_args() -> Result<(Config, bool), String> {
    let mut config = Config::default();
    let mut watch_stdin = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                config.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--dir" => config.dir = Some(value("--dir")?.into()),
            "--tenant-id" => config.tenant_id = value("--tenant-id")?,
            "--subscription-id" => config.subscription_id = value("--subscription-id")?,
            "--client-id" => config.client_id = value("--client-id")?,
            "--client-secret" => config.client_secret = Some(value("--client-secret")?),
            "--latency-ms" => {
                config.latency = emulator::state::Latency::parse(&value("--latency-ms")?)
                    .ok_or("--latency-ms: N or N-M milliseconds")?
            }
            "--lro-ms" => {
                config.lro_duration = std::time::Duration::from_millis(
                    value("--lro-ms")?
                        .parse()
                        .map_err(|e| format!("--lro-ms: {e}"))?,
                )
            }
            "--lro-polls" => {
                config.lro_polls = value("--lro-polls")?
                    .parse()
                    .map_err(|e| format!("--lro-polls: {e}"))?
            }
            "--reads" => {
                config.reads = bucket(&value("--reads")?).ok_or("--reads: CAP[/REFILL]")?
            }
            "--writes" => {
                config.writes = bucket(&value("--writes")?).ok_or("--writes: CAP[/REFILL]")?
            }
            "--no-stdin" => watch_stdin = false,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok((config, watch_stdin))
}

fn main() -> ExitCode {
    let (config, watch_stdin) = match parse_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("amlsecure-arm-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let running = match emulator::start(config).await {
            Ok(running) => running,
            Err(e) => {
                eprintln!("amlsecure-arm-emulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", running.ready_line());
        let _ = stdout.flush();
        drop(stdout);
        wait_for_shutdown(watch_stdin).await;
        drop(running);
        ExitCode::SUCCESS
    })
}

async fn wait_for_shutdown(watch_stdin: bool) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).ok();
    // A harness that drops our stdin stops us.
    let stdin_closed = async {
        if watch_stdin {
            let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
                let _ = closed_tx.send(());
            });
            let _ = closed_rx.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let terminated = async {
        match terminate.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
        _ = stdin_closed => {}
    }
}
