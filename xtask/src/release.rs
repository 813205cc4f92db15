//! `cargo xtask release [--out DIR] [--platform OS_ARCH]... [--target-dir DIR] [--profile dev]`:
//! the files a Terraform registry (or a mirror) serves for one version, in `DIR` (default
//! `target/dist`), built in Cargo's target folder or the one named:
//!
//! - `terraform-provider-amlsecure_<version>_<os>_<arch>.zip`: the stripped binary
//!   (`terraform-provider-amlsecure_v<version>`) and `LICENSE`;
//! - `terraform-provider-amlsecure_<version>_manifest.json`: `terraform-registry-manifest.json`;
//! - `terraform-provider-amlsecure_<version>_SHA256SUMS`: the SHA-256 of each of the above.
//!
//! The version is the workspace's (`Cargo.toml`). Builds use `--locked`, and the paths of
//! this checkout, its target folder and Cargo's home are mapped to fixed names, so the same
//! sources and toolchain give the same bytes wherever they are built. Without `--platform`,
//! every platform this machine can build is built, and the others are named with the reason.
//!
//! `--profile dev` packages the development build instead, for this machine only: the binary
//! `cargo build` makes for the tests, unoptimised and neither stripped nor reproducible. It
//! exists for the release test (acceptance-tests/tests/acceptance/release.rs), which then
//! reuses the binary the other tests built instead of spending minutes of CPU on an optimised
//! build: what it checks (archive layout, SHA256SUMS, manifest, installing from a mirror with
//! locked hashes, a plan) is the same code for both. What it leaves unchecked is only the
//! compiler's work, optimisation, stripping and path remapping, which `make release` shows.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::workspace_root;
use crate::zip::{self, Entry};

const NAME: &str = "terraform-provider-amlsecure";

/// A platform the registry knows, and the Rust target that builds it.
struct Platform {
    /// `<os>_<arch>` as Terraform names it.
    name: &'static str,
    triple: &'static str,
    /// The C compiler (for aws-lc, and as linker) when cross-building to it from Linux.
    cross_compiler: Option<&'static str>,
}

const PLATFORMS: &[Platform] = &[
    Platform {
        name: "linux_amd64",
        triple: "x86_64-unknown-linux-gnu",
        cross_compiler: Some("x86_64-linux-gnu-gcc"),
    },
    Platform {
        name: "linux_arm64",
        triple: "aarch64-unknown-linux-gnu",
        cross_compiler: Some("aarch64-linux-gnu-gcc"),
    },
    Platform {
        name: "windows_amd64",
        triple: "x86_64-pc-windows-gnu",
        cross_compiler: Some("x86_64-w64-mingw32-gcc"),
    },
    Platform {
        name: "darwin_amd64",
        triple: "x86_64-apple-darwin",
        cross_compiler: None,
    },
    Platform {
        name: "darwin_arm64",
        triple: "aarch64-apple-darwin",
        cross_compiler: None,
    },
];

/// How the binaries are built.
#[derive(Clone, Copy, PartialEq)]
enum Profile {
    /// Optimised, stripped, reproducible: what users install.
    Release,
    /// The development build the tests use, for this machine only (see the top of this file).
    Dev,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let mut out = root.join("target/dist");
    let mut target_dir = None;
    let mut wanted = Vec::new();
    let mut profile = Profile::Release;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(String::as_str)) {
            ("--out", Some(dir)) => out = PathBuf::from(dir),
            ("--platform", Some(name)) => wanted.push(name.to_owned()),
            ("--target-dir", Some(dir)) => target_dir = Some(PathBuf::from(dir)),
            ("--profile", Some("release")) => profile = Profile::Release,
            ("--profile", Some("dev")) => profile = Profile::Dev,
            _ => {
                return Err(
                    "usage: cargo xtask release [--out DIR] [--platform OS_ARCH]... \
                     [--target-dir DIR] [--profile release|dev]"
                        .into(),
                );
            }
        }
    }
    let version = workspace_version(&root)?;
    let host = host_triple()?;
    let mut chosen = Vec::new();
    for platform in PLATFORMS {
        let named = wanted.iter().any(|w| w == platform.name);
        let buildable = match profile {
            Profile::Release => buildable(platform, &host),
            Profile::Dev if platform.triple == host => Ok(()),
            Profile::Dev => Err("--profile dev builds for this machine only".to_owned()),
        };
        match (buildable, named || wanted.is_empty()) {
            (Ok(()), true) => chosen.push(platform),
            (Err(why), true) if named => {
                return Err(format!("cannot build {}: {why}", platform.name));
            }
            (Err(why), _) => eprintln!(
                "not built for {}: {why} (name it with --platform to make that an error)",
                platform.name
            ),
            (Ok(()), false) => {}
        }
    }
    if let Some(unknown) = wanted
        .iter()
        .find(|w| !PLATFORMS.iter().any(|p| p.name == **w))
    {
        return Err(format!("unknown platform {unknown}"));
    }

    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let prefix = format!("{NAME}_{version}_");
    remove_previous(&out, &prefix)?;
    let license = read(&root.join("LICENSE"))?;
    let mut files = Vec::new();
    for platform in chosen {
        let binary = match profile {
            Profile::Release => build(&root, target_dir.as_deref(), platform, &host)?,
            Profile::Dev => build_dev(target_dir.as_deref())?,
        };
        let exe = if platform.name.starts_with("windows") {
            ".exe"
        } else {
            ""
        };
        let archive = zip::archive(&[
            Entry {
                name: format!("{NAME}_v{version}{exe}"),
                data: read(&binary)?,
                mode: 0o755,
            },
            Entry {
                name: "LICENSE".into(),
                data: license.clone(),
                mode: 0o644,
            },
        ])
        .map_err(|e| e.to_string())?;
        files.push((format!("{prefix}{}.zip", platform.name), archive));
    }
    files.push((
        format!("{prefix}manifest.json"),
        read(&root.join("terraform-registry-manifest.json"))?,
    ));
    let mut sums = String::new();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, bytes) in &files {
        sums.push_str(&format!("{}  {name}\n", hex(&Sha256::digest(bytes))));
    }
    files.push((format!("{prefix}SHA256SUMS"), sums.into_bytes()));
    for (name, bytes) in &files {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{:>10}  {}", bytes.len(), path.display());
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The version of the provider package, as Cargo reads it from the workspace.
fn workspace_version(root: &Path) -> Result<String, String> {
    let output = Command::new(cargo())
        .current_dir(root)
        .args(["metadata", "--no-deps", "--locked", "--format-version", "1"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == NAME))
        .and_then(|package| package["version"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("cargo metadata does not list {NAME}"))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn host_triple() -> Result<String, String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("rustc -vV: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| "rustc -vV names no host".into())
}

/// Whether this machine has what building for `platform` takes: the target's standard library
/// and, away from the host, a C cross-compiler (aws-lc is C).
fn buildable(platform: &Platform, host: &str) -> Result<(), String> {
    let output = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", platform.triple])
        .output()
        .map_err(|e| format!("rustc: {e}"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let has_std = std::fs::read_dir(&libdir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
    });
    if !has_std {
        return Err(format!(
            "the Rust standard library for {} is not installed (rustup target add {})",
            platform.triple, platform.triple
        ));
    }
    if platform.triple == host {
        return Ok(());
    }
    match platform.cross_compiler {
        Some(compiler) if on_path(compiler) => Ok(()),
        Some(compiler) => Err(format!("no C cross-compiler {compiler} on PATH")),
        None => Err("needs Apple's SDK, which only macOS has".into()),
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// `cargo build --release --locked --target TRIPLE`, stripped, with the paths of this
/// checkout, the target folder and Cargo's home mapped to fixed names in Rust and C code
/// alike (the target folder last: where paths nest, the last mapping wins).
fn build(
    root: &Path,
    target_dir: Option<&Path>,
    platform: &Platform,
    host: &str,
) -> Result<PathBuf, String> {
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map_err(|_| "neither CARGO_HOME nor HOME is set")?;
    let target = match target_dir {
        Some(dir) => std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?,
        None => std::env::var_os("CARGO_TARGET_DIR")
            .map(|dir| root.join(dir))
            .unwrap_or_else(|| root.join("target")),
    };
    let maps = [
        (root.to_path_buf(), "/build"),
        (cargo_home, "/cargo"),
        (target.clone(), "/target"),
    ];
    let rustflags: Vec<String> = maps
        .iter()
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect();
    let cflags: Vec<String> = maps
        .iter()
        .map(|(from, to)| format!("-ffile-prefix-map={}={to}", from.display()))
        .collect();
    let key = platform.triple.replace('-', "_");
    let mut env = vec![
        (
            "CARGO_ENCODED_RUSTFLAGS".to_owned(),
            rustflags.join("\u{1f}"),
        ),
        (
            "CARGO_PROFILE_RELEASE_STRIP".to_owned(),
            "symbols".to_owned(),
        ),
        ("CARGO_PROFILE_RELEASE_DEBUG".to_owned(), "false".to_owned()),
        (format!("CFLAGS_{key}"), cflags.join(" ")),
    ];
    if platform.triple != host
        && let Some(compiler) = platform.cross_compiler
    {
        env.push((format!("CC_{key}"), compiler.to_owned()));
        env.push((
            format!("CARGO_TARGET_{}_LINKER", key.to_uppercase()),
            compiler.to_owned(),
        ));
    }
    println!("building {} ({})", platform.name, platform.triple);
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let target = target.to_string_lossy().into_owned();
    crate::cargo_build(
        &[
            "--quiet",
            "--release",
            "--locked",
            "--target",
            platform.triple,
            "--target-dir",
            &target,
            "--package",
            NAME,
            "--bin",
            NAME,
        ],
        NAME,
        &env,
    )
}

/// The provider as `cargo build` makes it for the tests (same selection, the whole
/// workspace, and the same environment and target folder, so it is the binary they already
/// built). Its dependencies have the workspace's features, a few more than a release's.
fn build_dev(target_dir: Option<&Path>) -> Result<PathBuf, String> {
    println!("packaging the development build for this machine");
    let mut args = vec!["--quiet", "--locked", "--bin", NAME];
    let target_dir = target_dir.map(|dir| dir.to_string_lossy().into_owned());
    if let Some(dir) = &target_dir {
        args.extend(["--target-dir", dir]);
    }
    crate::cargo_build(&args, NAME, &[])
}

/// Files of an earlier run for this version, so SHA256SUMS lists exactly what is there.
fn remove_previous(out: &Path, prefix: &str) -> Result<(), String> {
    let entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            std::fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
