//! Drives the real Terraform CLI against the freshly built `amlsecure` provider.
//!
//! Each [`TestDir`] is a temporary folder with its own CLI configuration
//! (`TF_CLI_CONFIG_FILE`) whose `dev_overrides` point Terraform at this build of the
//! provider, so nothing is installed and the user's own configuration is never read.
//! Terraform is `$TERRAFORM` when set, else the project's `.tools/bin/terraform`
//! (installed by `scripts/install-terraform.sh`, which `make test` runs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub mod azure;
pub mod emulator;

/// The provider's source address in configurations.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/amlsecure/amlsecure";

pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests sits in the workspace")
}

/// Builds the provider binary once per test process and returns its path.
pub fn provider_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| cargo_binary("terraform-provider-amlsecure"))
}

/// Builds the ARM emulator binary once per test process and returns its path.
pub fn emulator_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| cargo_binary("amlsecure-arm-emulator"))
}

/// `cargo build --bin BIN` in this workspace; the executable's path. Without `--package`,
/// Cargo resolves the whole workspace's features, as `make test` does, so this finds the
/// binary already built instead of compiling dependencies again with other features.
fn cargo_binary(bin: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "--quiet",
            "--bin",
            bin,
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "building {bin} failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == bin)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo reports the {bin} executable"))
}

/// The Terraform CLI the tests run.
pub fn terraform_binary() -> PathBuf {
    if let Some(binary) = std::env::var_os("TERRAFORM") {
        return binary.into();
    }
    let installed = workspace_root().join(".tools/bin/terraform");
    assert!(
        installed.exists(),
        "no Terraform: run scripts/install-terraform.sh (make test does), or set TERRAFORM"
    );
    installed
}

/// A temporary Terraform working directory wired to this build of the provider.
pub struct TestDir {
    dir: tempfile::TempDir,
    /// Where Terraform runs: the folder itself, or an example's place in a copy of `examples/`.
    work: PathBuf,
}

/// What one Terraform command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TestDir {
    pub fn new() -> TestDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let plugin_dir = provider_binary().parent().expect("binary has a folder");
        let cli_config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            plugin_dir.display()
        );
        std::fs::write(dir.path().join(".terraformrc"), cli_config).expect("write CLI config");
        let work = dir.path().to_path_buf();
        TestDir { dir, work }
    }

    /// A test directory whose Terraform reads `cli_config` (`provider_installation` for a
    /// mirror, say) instead of the `dev_overrides` that point at this build.
    pub fn with_cli_config(cli_config: &str) -> TestDir {
        let test_dir = TestDir::new();
        std::fs::write(test_dir.dir.path().join(".terraformrc"), cli_config)
            .expect("write CLI config");
        test_dir
    }

    /// Copies `examples/<name>` into this directory (see [`TestDir::from_example`]) and
    /// runs Terraform there from now on.
    pub fn with_example(mut self, name: &str) -> TestDir {
        let examples = workspace_root().join("examples");
        let copies = self.dir.path().join("examples");
        copy_tree(&examples.join(name), &copies.join(name));
        copy_tree(&examples.join("modules"), &copies.join("modules"));
        self.work = copies.join(name);
        self
    }

    /// A test directory holding a copy of `examples/<name>` (its files and folders, like a
    /// `terraform test` suite's `tests/`), at the same place beside a copy of
    /// `examples/modules`, so `source = "../modules/..."` finds the modules.
    pub fn from_example(name: &str) -> TestDir {
        TestDir::new().with_example(name)
    }

    pub fn path(&self) -> &Path {
        &self.work
    }

    pub fn write(&self, name: &str, contents: &str) -> &TestDir {
        std::fs::write(self.path().join(name), contents).expect("write file");
        self
    }

    /// Runs `terraform ARGS` here, with `stdin` as its input.
    pub fn run_with_input(&self, args: &[&str], stdin: &str) -> Run {
        self.run_full(args, stdin, &[])
    }

    /// Runs `terraform ARGS` here with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_full(args, "", env)
    }

    /// Starts `terraform ARGS` here without waiting, for tests that interrupt it.
    pub fn spawn_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        let child = self
            .command(args, env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("terraform starts");
        Running { child }
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(terraform_binary());
        command
            .current_dir(self.path())
            .args(args)
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join(".terraformrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_COLOR", "1")
            .env_remove("TF_CLI_ARGS")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env_remove("TF_DATA_DIR")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .envs(env.iter().copied());
        command
    }

    fn run_full(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args, env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("terraform starts");
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let output = child.wait_with_output().expect("terraform runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: without_colours(&String::from_utf8_lossy(&output.stdout)),
            stderr: without_colours(&String::from_utf8_lossy(&output.stderr)),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, "")
    }
}

/// A Terraform command still running (see [`TestDir::spawn_with_env`]).
pub struct Running {
    child: std::process::Child,
}

impl Running {
    /// Sends SIGINT, as Ctrl-C would: Terraform asks the provider to stop and saves state.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "could not interrupt terraform");
    }

    /// Waits for the command to end.
    pub fn wait(self) -> Run {
        let output = self.child.wait_with_output().expect("terraform runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: without_colours(&String::from_utf8_lossy(&output.stdout)),
            stderr: without_colours(&String::from_utf8_lossy(&output.stderr)),
        }
    }
}

/// Copies the files and folders under `from` into `to` (created), leaving out Terraform's own
/// working files.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let path = entry.expect("readable").path();
        let name = path.file_name().expect("a name");
        // Terraform's working files, and the documentation's import example, which names
        // objects that tests do not have.
        if name == ".terraform"
            || name == ".terraform.lock.hcl"
            || name == "terraform.tfstate"
            || name == "import-by-identity.tf"
        {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).expect("copy example file");
        }
    }
}

/// Terraform colours some output even with `NO_COLOR`; tests match on plain text.
fn without_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip `ESC [ params letter`.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

impl Default for TestDir {
    fn default() -> TestDir {
        TestDir::new()
    }
}

impl Run {
    /// Panics with Terraform's output unless the command succeeded.
    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(
            self.code, 0,
            "terraform failed:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics with Terraform's output unless the command failed with exit code 1.
    #[track_caller]
    pub fn failure(self) -> Run {
        assert_eq!(
            self.code, 1,
            "terraform did not fail:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// stdout as one JSON document (`output -json`, `providers schema -json`, `validate -json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// stdout as JSON lines (`plan -json`, `apply -json`).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// The diagnostics of a `-json` run (`plan -json`, `apply -json`), in order.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.json_lines()
            .iter()
            .filter(|line| line["type"] == "diagnostic")
            .map(|line| {
                let field = |name: &str| {
                    line["diagnostic"][name]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                };
                Diagnostic {
                    severity: field("severity"),
                    summary: field("summary"),
                    detail: field("detail"),
                    address: field("address"),
                }
            })
            .collect()
    }

    /// stdout and stderr together, for asserting on messages wherever Terraform put them.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// One diagnostic of a `-json` run, as Terraform reports it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: String,
    pub summary: String,
    pub detail: String,
    /// The resource it is about, e.g. `amlsecure_compute_cluster.training`; empty for none.
    pub address: String,
}

impl Diagnostic {
    /// The ID of the rule that raised it (summaries start `AMLSnnn: `), if a rule did.
    pub fn rule(&self) -> Option<&str> {
        self.summary
            .split_once(':')
            .map(|(id, _)| id)
            .filter(|id| id.starts_with("AMLS"))
    }
}

/// A running `amlsecure-arm-emulator` process with its own state folder. Dropping it
/// closes the emulator's stdin, which stops it.
pub struct ArmEmulator {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    dir: tempfile::TempDir,
    /// The ready line: `endpoint`, `ca_file`, `tenant_id`, `client_id`, `client_secret`,
    /// `subscription_id`, `admin`, `log`, `identity_endpoint`, `identity_header`, ...
    pub ready: serde_json::Value,
}

/// Set to `N` or `N-M` milliseconds, every emulator the tests start answers each ARM request
/// that much later, as real ARM does.
pub const LATENCY_VARIABLE: &str = "AMLSECURE_EMULATOR_LATENCY_MS";

impl ArmEmulator {
    /// Starts the emulator with extra command-line arguments and waits for its ready line.
    pub fn start(args: &[&str]) -> ArmEmulator {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("temp dir");
        let latency = std::env::var(LATENCY_VARIABLE)
            .map(|ms| vec!["--latency-ms".to_owned(), ms])
            .unwrap_or_default();
        let mut child = Command::new(emulator_binary())
            .arg("--dir")
            .arg(dir.path())
            .args(latency)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the emulator starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the ready line");
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("emulator ready line {line:?}: {e}"));
        ArmEmulator {
            child,
            stdin,
            dir,
            ready,
        }
    }

    /// A ready-line field as text.
    pub fn field(&self, name: &str) -> &str {
        self.ready[name]
            .as_str()
            .unwrap_or_else(|| panic!("ready line has no {name}: {}", self.ready))
    }

    /// `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        self.field("endpoint")
    }

    pub fn ca_file(&self) -> &Path {
        Path::new(self.field("ca_file"))
    }

    pub fn log_file(&self) -> &Path {
        Path::new(self.field("log"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ArmEmulator {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
