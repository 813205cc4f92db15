//! Project tasks, run as `cargo xtask TASK` from anywhere in the workspace:
//!
//! - `docs [--check]`: asks the built provider for its schema over the plugin protocol and
//!   writes `docs/` from it, the examples and the templates in `xtask/templates/`. With
//!   `--check`, writes nothing and fails when `docs/` differs (`make test` runs this).
//! - `release [--out DIR] [--platform OS_ARCH]... [--profile dev]`: the registry's release
//!   files for every platform this machine can build (or those named), in `DIR` (default
//!   `target/dist`); `--profile dev` packages the tests' development build instead.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

mod docs;
mod plugin;
mod release;
mod zip;

const USAGE: &str = "\
usage: cargo xtask docs [--check]
       cargo xtask release [--out DIR] [--platform OS_ARCH]... [--target-dir DIR] [--profile release|dev]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("docs") => docs::run(&args[1..]),
        Some("release") => release::run(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (this crate sits in it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// `cargo build ARGS` in the workspace; the path of the executable named `bin` it built.
pub fn cargo_build(args: &[&str], bin: &str, env: &[(&str, String)]) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .arg("build")
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build {} failed", args.join(" ")));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == bin)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo did not report the {bin} executable"))
}
