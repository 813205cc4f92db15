//! The fault matrix: every resource × {create, read, update, delete} × every way ARM fails,
//! through real Terraform against the emulator.
//!
//! Each case starts a fresh emulator, brings the resource to where the step begins, injects
//! one fault, runs the step, clears the fault and runs the step once more, as a user would.
//! It has converged when state tells the truth about Azure and nothing was left behind:
//! a refresh changes nothing, the plan is empty, and Azure holds exactly what state knows
//! (after a destroy: nothing, and firewalls as they were found). Otherwise it is lost.
//!
//! Prints `resource × step × fault → converged / lost / not applicable` and the totals, and
//! fails unless nothing is lost. A fault the step never met (an operation fault on a write
//! that has none) is not applicable. `FAULT_MATRIX=compute_cluster`, `…/create` or
//! `…/create/409` runs part of the matrix; `FAULT_MATRIX_THREADS` sets how many cases run at
//! once (default 8: the cases mostly wait on operations and retries).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use amlsecure_acceptance_tests::azure::{Azure, Topology, WorkspaceStores, ubuntu_image};
use amlsecure_acceptance_tests::{Run, TestDir};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Create,
    Read,
    Update,
    Delete,
}

const STEPS: [Step; 4] = [Step::Create, Step::Read, Step::Update, Step::Delete];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Read => "read",
            Step::Update => "update",
            Step::Delete => "delete",
        }
    }

    /// The Terraform command of the step, with its plain re-run the same.
    fn command(self) -> &'static [&'static str] {
        match self {
            Step::Create | Step::Update => &["apply", "-input=false", "-auto-approve"],
            Step::Read => &["apply", "-refresh-only", "-input=false", "-auto-approve"],
            Step::Delete => &["destroy", "-input=false", "-auto-approve"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Throttled,
    Error500,
    Error503,
    DroppedBefore,
    DroppedAfterWrite,
    OperationFailed,
    OperationPastTimeout,
    NotFoundAfterWrite,
    Conflict,
    PreconditionFailed,
    TokenRevoked,
    Interrupted,
}

const FAULTS: [Fault; 12] = [
    Fault::Throttled,
    Fault::Error500,
    Fault::Error503,
    Fault::DroppedBefore,
    Fault::DroppedAfterWrite,
    Fault::OperationFailed,
    Fault::OperationPastTimeout,
    Fault::NotFoundAfterWrite,
    Fault::Conflict,
    Fault::PreconditionFailed,
    Fault::TokenRevoked,
    Fault::Interrupted,
];

/// How long the faulted operation runs when it must outlast the step's timeout or a Ctrl-C.
const LONG_OPERATION: Duration = Duration::from_secs(8);
/// The resource timeout the step runs with when its operation must outlast it.
const SHORT_TIMEOUT: &str = "3s";

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Throttled => "429",
            Fault::Error500 => "500",
            Fault::Error503 => "503",
            Fault::DroppedBefore => "dropped",
            Fault::DroppedAfterWrite => "dropped-after",
            Fault::OperationFailed => "lro-failed",
            Fault::OperationPastTimeout => "lro-timeout",
            Fault::NotFoundAfterWrite => "404",
            Fault::Conflict => "409",
            Fault::PreconditionFailed => "412",
            Fault::TokenRevoked => "token-revoked",
            Fault::Interrupted => "sigint",
        }
    }

    fn needs_operation(self) -> bool {
        matches!(
            self,
            Fault::OperationFailed | Fault::OperationPastTimeout | Fault::Interrupted
        )
    }

    /// The emulator fault for requests `method` to paths containing `path`. The 404 of a
    /// read step is a plain one (a replica behind); of a write step, it follows the write.
    fn spec(self, method: &str, path: &str, step: Step) -> Value {
        let on = |extra: Value| {
            let mut fault = json!({"method": method, "path_contains": path});
            for (key, value) in extra.as_object().expect("object") {
                fault[key] = value.clone();
            }
            fault
        };
        match self {
            Fault::Throttled => on(json!({"status": 429, "retry_after": 1, "times": 2})),
            Fault::Error500 => on(json!({"status": 500, "times": 1})),
            Fault::Error503 => on(json!({"status": 503, "times": 1})),
            Fault::DroppedBefore => on(json!({"drop_connection": true, "times": 1})),
            Fault::DroppedAfterWrite => on(json!({"drop_after": true, "times": 1})),
            Fault::OperationFailed => on(json!({"lro_outcome": "Failed", "times": 1})),
            Fault::OperationPastTimeout | Fault::Interrupted => on(json!({
                "lro_duration_ms": LONG_OPERATION.as_millis() as u64, "times": 1})),
            Fault::NotFoundAfterWrite if step == Step::Read => {
                on(json!({"status": 404, "code": "ResourceNotFound", "times": 1}))
            }
            Fault::NotFoundAfterWrite => json!({"method": "GET", "path_contains": path,
                "status": 404, "code": "ResourceNotFound", "after": method, "times": 1}),
            Fault::Conflict => on(json!({"status": 409, "code": "Conflict", "times": 1})),
            Fault::PreconditionFailed => on(json!({"status": 412, "times": 1})),
            Fault::TokenRevoked => on(json!({"expire_tokens": true, "times": 1})),
        }
    }
}

/// What the emulator holds for every case, whatever resource it tests.
struct World {
    topology: Topology,
    stores: WorkspaceStores,
    nsg_id: String,
    table_id: String,
    vm_id: String,
    hdinsight_id: String,
}

impl World {
    fn seed(azure: &Azure) -> World {
        let topology = azure.seed_topology();
        let stores = azure.seed_workspace_stores(&topology);
        let rg = &topology.resource_group;
        let nsg_id = format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/ml-nsg");
        azure.put(&nsg_id, json!({"location": "westeurope"}));
        // Forced tunnelling through a firewall; the table is on no subnet, so the compute
        // subnet stays untunnelled.
        let table_id = format!("{rg}/providers/Microsoft.Network/routeTables/to-firewall");
        azure.put(
            &table_id,
            json!({"location": "westeurope", "properties": {"routes": [{"name": "default-to-firewall",
                "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                    "nextHopIpAddress": "10.0.0.4"}}]}}),
        );
        azure.put(
            &topology.training_subnet_id,
            json!({"properties": {"addressPrefix": "10.0.1.0/24",
                "serviceEndpoints": [{"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]}}),
        );
        let vm_id = azure.seed_vm(&topology, "dev", ubuntu_image(), None);
        let hdinsight_id = azure.seed_hdinsight(&topology, "spark");
        World {
            topology,
            stores,
            nsg_id,
            table_id,
            vm_id,
            hdinsight_id,
        }
    }

    fn variables(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TF_VAR_workspace_id", self.topology.workspace_id.clone()),
            ("TF_VAR_subnet_id", self.topology.training_subnet_id.clone()),
            ("TF_VAR_aks_subnet_id", self.topology.aks_subnet_id.clone()),
            ("TF_VAR_nsg_id", self.nsg_id.clone()),
            ("TF_VAR_table_id", self.table_id.clone()),
            ("TF_VAR_vm_id", self.vm_id.clone()),
            ("TF_VAR_hdinsight_id", self.hdinsight_id.clone()),
        ]
    }

    fn computes(&self) -> String {
        format!("{}/computes", self.topology.workspace_id)
    }
}

/// The request of a step that a fault hits, and whether it starts a long-running operation.
struct Target {
    method: &'static str,
    path: String,
    operation: bool,
}

/// One resource type under test.
struct Subject {
    name: &'static str,
    /// The resource block; `updated` is the change the update step makes.
    block: fn(updated: bool) -> String,
    target: fn(&World, Step) -> Target,
    /// What of it Azure holds, and what state says it holds, in the same terms.
    in_azure: fn(&Azure, &World) -> BTreeSet<String>,
    in_state: fn(&Value) -> BTreeSet<String>,
}

const TIMEOUTS: &str = "  timeouts {\n    create = var.timeout\n    update = var.timeout\n    delete = var.timeout\n  }\n";

/// The requests to an ML compute; `update_method` is PATCH for a cluster scaled in place, PUT
/// for an attachment written again (in place, or replaced).
fn compute_target(name: &str, step: Step, update_method: &'static str) -> Target {
    let (method, operation) = match step {
        Step::Create => ("PUT", true),
        Step::Read => ("GET", false),
        // The attachment written again, or its replacement's PUT.
        Step::Update if update_method == "PUT" => ("PUT", true),
        Step::Update => (update_method, false),
        Step::Delete => ("DELETE", true),
    };
    Target {
        method,
        path: format!("computes/{name}"),
        operation,
    }
}

fn compute_names(azure: &Azure, world: &World) -> BTreeSet<String> {
    azure.names_in(&world.computes())
}

fn state_name(values: &Value) -> BTreeSet<String> {
    values["name"]
        .as_str()
        .map(|n| n.to_ascii_lowercase())
        .into_iter()
        .collect()
}

fn child_names(azure: &Azure, parent: &str, collection: &str) -> BTreeSet<String> {
    azure
        .get(parent)
        .and_then(|p| p["properties"][collection].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|item| item["name"].as_str().map(str::to_ascii_lowercase))
        .filter(|name| name.starts_with("amlsecure-"))
        .collect()
}

fn state_children(values: &Value, list: &str) -> BTreeSet<String> {
    values[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["name"].as_str().map(str::to_ascii_lowercase))
        .collect()
}

/// A firewall holds the resource's lock when it differs from how the world seeded it.
fn firewall_lock(azure: &Azure, id: &str) -> BTreeSet<String> {
    let acls = &azure.get(id).expect("the store exists")["properties"]["networkAcls"];
    let seeded = acls["defaultAction"] == "Allow"
        && acls["virtualNetworkRules"]
            .as_array()
            .is_none_or(|r| r.is_empty())
        && acls["ipRules"].as_array().is_none_or(|r| r.is_empty());
    if seeded {
        BTreeSet::new()
    } else {
        ["locked".to_owned()].into()
    }
}

fn locked(_: &Value) -> BTreeSet<String> {
    ["locked".to_owned()].into()
}

fn subjects() -> Vec<Subject> {
    vec![
        Subject {
            name: "compute_cluster",
            block: |updated| {
                format!(
                    "resource \"amlsecure_compute_cluster\" \"this\" {{\n  name = \"cluster1\"\n  workspace_id = var.workspace_id\n  vm_size = \"STANDARD_D2_V2\"\n  max_nodes = {}\n  subnet_id = var.subnet_id\n{TIMEOUTS}}}\n",
                    if updated { 3 } else { 2 }
                )
            },
            target: |_, step| compute_target("cluster1", step, "PATCH"),
            in_azure: compute_names,
            in_state: state_name,
        },
        Subject {
            name: "aks_attachment",
            // The update is in place: HTTPS scoring switched on (the compute read, then
            // written back with its sslConfiguration).
            block: |updated| {
                format!(
                    "resource \"amlsecure_aks_attachment\" \"this\" {{\n  name = \"aks1\"\n  workspace_id = var.workspace_id\n  subnet_id = var.aks_subnet_id\n  service_cidr = \"10.240.0.0/16\"\n  dns_service_ip = \"10.240.0.10\"\n{}{TIMEOUTS}}}\n",
                    if updated {
                        "  ssl {\n    status = \"Auto\"\n    leaf_domain_label = \"aks1\"\n  }\n"
                    } else {
                        ""
                    }
                )
            },
            target: |_, step| compute_target("aks1", step, "PUT"),
            // The compute and the AKS cluster Azure ML created for it.
            in_azure: |azure, world| {
                let mut held = compute_names(azure, world);
                let clusters = azure.names_in(&format!(
                    "{}/providers/Microsoft.ContainerService/managedClusters",
                    world.topology.resource_group
                ));
                held.extend(clusters.iter().map(|_| "aks cluster".to_owned()));
                held
            },
            in_state: |values| {
                let mut known = state_name(values);
                if !known.is_empty() {
                    known.insert("aks cluster".to_owned());
                }
                known
            },
        },
        Subject {
            name: "vm_attachment",
            block: |updated| {
                format!(
                    "resource \"amlsecure_vm_attachment\" \"this\" {{\n  name = \"dev-vm\"\n  workspace_id = var.workspace_id\n  virtual_machine_id = var.vm_id\n  username = \"azureuser\"\n  password = \"Matrix-Passw0rd!\"\n  credentials_version = {}\n{TIMEOUTS}}}\n",
                    if updated { 2 } else { 1 }
                )
            },
            target: |_, step| compute_target("dev-vm", step, "PUT"),
            in_azure: compute_names,
            in_state: state_name,
        },
        Subject {
            name: "hdinsight_attachment",
            block: |updated| {
                format!(
                    "resource \"amlsecure_hdinsight_attachment\" \"this\" {{\n  name = \"spark\"\n  workspace_id = var.workspace_id\n  hdinsight_cluster_id = var.hdinsight_id\n  username = \"sshuser\"\n  password = \"Matrix-Passw0rd!\"\n  credentials_version = {}\n{TIMEOUTS}}}\n",
                    if updated { 2 } else { 1 }
                )
            },
            target: |_, step| compute_target("spark", step, "PUT"),
            in_azure: compute_names,
            in_state: state_name,
        },
        Subject {
            name: "compute_network_security_rules",
            block: |updated| {
                format!(
                    "resource \"amlsecure_compute_network_security_rules\" \"this\" {{\n  network_security_group_id = var.nsg_id\n  ssh_source_addresses = [\"{}\"]\n{TIMEOUTS}}}\n",
                    if updated {
                        "198.51.100.0/24"
                    } else {
                        "203.0.113.0/24"
                    }
                )
            },
            target: |_, step| match step {
                Step::Read => Target {
                    method: "GET",
                    path: "networksecuritygroups/ml-nsg".into(),
                    operation: false,
                },
                Step::Delete => Target {
                    method: "DELETE",
                    path: "securityrules/amlsecure-".into(),
                    operation: true,
                },
                Step::Create | Step::Update => Target {
                    method: "PUT",
                    path: "securityrules/amlsecure-".into(),
                    operation: true,
                },
            },
            in_azure: |azure, world| child_names(azure, &world.nsg_id, "securityRules"),
            in_state: |values| state_children(values, "rules"),
        },
        Subject {
            name: "forced_tunneling_routes",
            block: |updated| {
                format!(
                    "resource \"amlsecure_forced_tunneling_routes\" \"this\" {{\n  route_table_id = var.table_id\n  include_azure_machine_learning = {updated}\n{TIMEOUTS}}}\n"
                )
            },
            target: |_, step| match step {
                Step::Read => Target {
                    method: "GET",
                    path: "routetables/to-firewall".into(),
                    operation: false,
                },
                Step::Delete => Target {
                    method: "DELETE",
                    path: "routes/amlsecure-".into(),
                    operation: true,
                },
                Step::Create | Step::Update => Target {
                    method: "PUT",
                    path: "routes/amlsecure-".into(),
                    operation: true,
                },
            },
            in_azure: |azure, world| child_names(azure, &world.table_id, "routes"),
            in_state: |values| state_children(values, "routes"),
        },
        Subject {
            name: "workspace_storage_network_rules",
            block: |updated| {
                format!(
                    "resource \"amlsecure_workspace_storage_network_rules\" \"this\" {{\n  workspace_id = var.workspace_id\n  subnet_ids = [var.subnet_id]\n  ip_rules = {}\n{TIMEOUTS}}}\n",
                    if updated {
                        "[\"198.51.100.7\"]"
                    } else {
                        "null"
                    }
                )
            },
            target: |_, step| Target {
                method: if step == Step::Read { "GET" } else { "PATCH" },
                path: "storageaccounts/mlstore".into(),
                operation: false,
            },
            in_azure: |azure, world| firewall_lock(azure, &world.stores.storage_account_id),
            in_state: locked,
        },
        Subject {
            name: "workspace_key_vault_network_rules",
            block: |updated| {
                format!(
                    "resource \"amlsecure_workspace_key_vault_network_rules\" \"this\" {{\n  workspace_id = var.workspace_id\n  subnet_ids = [var.subnet_id]\n  ip_rules = {}\n{TIMEOUTS}}}\n",
                    if updated {
                        "[\"198.51.100.7\"]"
                    } else {
                        "null"
                    }
                )
            },
            target: |_, step| Target {
                method: if step == Step::Read { "GET" } else { "PATCH" },
                path: "vaults/ml-kv".into(),
                operation: false,
            },
            in_azure: |azure, world| firewall_lock(azure, &world.stores.key_vault_id),
            in_state: locked,
        },
    ]
}

fn configuration(subject: &Subject, updated: bool) -> String {
    let mut text = String::from(
        "terraform {\n  required_providers {\n    amlsecure = {\n      source = \"amlsecure/amlsecure\"\n    }\n  }\n}\n\nprovider \"amlsecure\" {}\n\n",
    );
    for name in [
        "workspace_id",
        "subnet_id",
        "aks_subnet_id",
        "nsg_id",
        "table_id",
        "vm_id",
        "hdinsight_id",
    ] {
        let _ = writeln!(text, "variable \"{name}\" {{\n  type = string\n}}\n");
    }
    text.push_str("variable \"timeout\" {\n  type    = string\n  default = \"30m\"\n}\n\n");
    text.push_str(&(subject.block)(updated));
    text
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Converged,
    NotApplicable,
    Lost(String),
}

struct Case<'a> {
    subject: &'a Subject,
    step: Step,
    fault: Fault,
}

impl Case<'_> {
    fn label(&self) -> String {
        format!(
            "{}/{}/{}",
            self.subject.name,
            self.step.name(),
            self.fault.name()
        )
    }

    fn run(&self) -> Verdict {
        let azure = Azure::start();
        let world = World::seed(&azure);
        let dir = TestDir::new();
        dir.write("main.tf", &configuration(self.subject, false));
        let mut env = azure.env();
        env.extend(world.variables());
        let terraform = |args: &[&str]| {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            dir.run_with_env(args, &env)
        };

        if self.step != Step::Create {
            let setup = terraform(Step::Create.command());
            if setup.code != 0 {
                return Verdict::Lost(format!("setup failed:\n{}", setup.all_output()));
            }
        }
        if self.step == Step::Update {
            dir.write("main.tf", &configuration(self.subject, true));
        }
        let target = (self.subject.target)(&world, self.step);
        if self.fault.needs_operation() && !target.operation {
            return Verdict::NotApplicable;
        }
        azure.fault(self.fault.spec(target.method, &target.path, self.step));
        let short_timeout = format!("timeout={SHORT_TIMEOUT}");
        let mut command: Vec<&str> = self.step.command().to_vec();
        if self.fault == Fault::OperationPastTimeout {
            command.extend(["-var", &short_timeout]);
        }
        let faulted = if self.fault == Fault::Interrupted {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let running = dir.spawn_with_env(&command, &env);
            let deadline = Instant::now() + Duration::from_secs(60);
            while azure.faults_fired() == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            // The operation is under way and the provider is polling it.
            std::thread::sleep(Duration::from_millis(1500));
            running.interrupt();
            running.wait()
        } else {
            terraform(&command)
        };
        if azure.faults_fired() == 0 {
            return Verdict::NotApplicable;
        }
        azure.clear_faults();
        let rerun = terraform(self.step.command());
        if rerun.code != 0 {
            return Verdict::Lost(format!(
                "the re-run failed:\n{}\n(faulted run: {})",
                rerun.all_output(),
                faulted.all_output()
            ));
        }
        self.verify(&azure, &world, &terraform)
    }

    fn verify(&self, azure: &Azure, world: &World, terraform: &dyn Fn(&[&str]) -> Run) -> Verdict {
        let held = (self.subject.in_azure)(azure, world);
        if self.step == Step::Delete {
            let listed = terraform(&["state", "list"]);
            if !listed.stdout.trim().is_empty() {
                return Verdict::Lost(format!("state still lists {}", listed.stdout.trim()));
            }
            if !held.is_empty() {
                return Verdict::Lost(format!("Azure still holds {held:?}"));
            }
            return Verdict::Converged;
        }
        // One plan says both: what its refresh found changed in Azure since state was written
        // (resource_drift), and what it would change (resource_changes).
        let plan = terraform(&[
            "plan",
            "-out=verify.tfplan",
            "-detailed-exitcode",
            "-input=false",
        ]);
        if plan.code != 0 {
            return Verdict::Lost(format!("the plan is not empty:\n{}", plan.all_output()));
        }
        let shown = terraform(&["show", "-json", "verify.tfplan"]).json();
        if let Some(drift) = shown["resource_drift"].as_array().filter(|d| !d.is_empty()) {
            return Verdict::Lost(format!("a refresh changes state: {drift:?}"));
        }
        let values = shown["prior_state"]["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|r| r.first())
            .map(|r| r["values"].clone())
            .unwrap_or(Value::Null);
        let known = if values.is_null() {
            BTreeSet::new()
        } else {
            (self.subject.in_state)(&values)
        };
        if known != held {
            return Verdict::Lost(format!("state knows {known:?}, Azure holds {held:?}"));
        }
        Verdict::Converged
    }
}

/// `FAULT_MATRIX` as `resource[/step[/fault]]`.
fn selected(case: &Case) -> bool {
    let Ok(filter) = std::env::var("FAULT_MATRIX") else {
        return true;
    };
    let label = case.label();
    filter
        .split(',')
        .map(str::trim)
        .any(|f| label == f || label.starts_with(&format!("{f}/")))
}

#[test]
fn every_fault_converges_in_one_rerun() {
    let subjects = subjects();
    let cases: Vec<Case> = subjects
        .iter()
        .flat_map(|subject| {
            STEPS.iter().flat_map(move |&step| {
                FAULTS.iter().map(move |&fault| Case {
                    subject,
                    step,
                    fault,
                })
            })
        })
        .filter(selected)
        .collect();
    assert!(!cases.is_empty(), "FAULT_MATRIX selects no case");
    // A case spends most of its time waiting (polls, timeouts, Terraform starting), so cases
    // run many more at once than there are cores.
    let threads: usize = std::env::var("FAULT_MATRIX_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(16);
    let started = Instant::now();
    let next = Mutex::new(0usize);
    let verdicts: Mutex<Vec<Option<(Verdict, Duration)>>> = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut next = next.lock().unwrap();
                        let index = *next;
                        *next += 1;
                        index
                    };
                    let Some(case) = cases.get(index) else {
                        return;
                    };
                    let begun = Instant::now();
                    let verdict =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case.run()))
                            .unwrap_or_else(|panic| {
                                let text = panic
                                    .downcast_ref::<String>()
                                    .cloned()
                                    .or_else(|| {
                                        panic.downcast_ref::<&str>().map(|s| (*s).to_owned())
                                    })
                                    .unwrap_or_default();
                                Verdict::Lost(format!("the case panicked: {text}"))
                            });
                    eprintln!(
                        "{:<60} {:?} ({:.1} s)",
                        case.label(),
                        short(&verdict),
                        begun.elapsed().as_secs_f64()
                    );
                    verdicts.lock().unwrap()[index] = Some((verdict, begun.elapsed()));
                }
            });
        }
    });
    let verdicts = verdicts.into_inner().unwrap();
    let mut table = String::from("\nresource × step × fault → verdict\n");
    let (mut injected, mut converged, mut lost, mut skipped) = (0, 0, 0, 0);
    let mut failures = String::new();
    for (case, outcome) in cases.iter().zip(&verdicts) {
        let (verdict, took) = outcome.as_ref().expect("every case ran");
        let word = match verdict {
            Verdict::Converged => {
                injected += 1;
                converged += 1;
                "converged"
            }
            Verdict::NotApplicable => {
                skipped += 1;
                "not applicable"
            }
            Verdict::Lost(why) => {
                injected += 1;
                lost += 1;
                let _ = writeln!(failures, "\n--- {} lost: {why}", case.label());
                "LOST"
            }
        };
        let _ = writeln!(
            table,
            "{:<34} {:<7} {:<14} → {word} ({:.1} s)",
            case.subject.name,
            case.step.name(),
            case.fault.name(),
            took.as_secs_f64()
        );
    }
    let _ = writeln!(
        table,
        "\ninjected {injected}, converged {converged}, lost {lost} ({skipped} not applicable) in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    println!("{table}");
    assert_eq!(lost, 0, "{table}{failures}");
}

fn short(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Converged => "converged",
        Verdict::NotApplicable => "n/a",
        Verdict::Lost(_) => "LOST",
    }
}
