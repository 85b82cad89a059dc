//! Group matching benchmark on a deterministic fleet of 10,000 agents and 200 groups: one agent's
//! heartbeat against all groups, one group change against all agents, and a full recompute.
//! Run: `cargo bench -p certctl-lib --bench groups`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use certctl::groups::{CompiledCriteria, Membership, compile, describe, diff, members};
use certctl::model::*;
use common::pct;

const AGENTS: usize = 10_000;
const GROUPS: usize = 200;

/// Tiny deterministic generator (xorshift64*), so every run sees the same fleet.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const OS: &[&str] = &["linux", "Linux", "darwin", "windows", "freebsd"];
const ARCH: &[&str] = &["x86_64", "aarch64", "armv7"];
const ROLES: &[&str] = &["web", "api", "db", "cache", "queue", "batch"];
const ENVS: &[&str] = &["prod", "staging", "dev"];
const DCS: &[&str] = &["fra", "ams", "iad", "sfo"];
const VERSIONS: &[&str] = &["1.0.0", "1.1.4", "1.2.0", "1.3.2", "2.0.0-rc.1", "2.0.1", "dev"];

fn fleet(rng: &mut Rng) -> Vec<Agent> {
    let now = Timestamp::now();
    (0..AGENTS)
        .map(|i| {
            let role = rng.pick(ROLES);
            let dc = rng.below(DCS.len());
            let mut ips = vec![format!(
                "10.{}.{}.{}",
                dc * 16 + rng.below(16),
                rng.below(256),
                rng.below(254) + 1
            )];
            if rng.below(3) == 0 {
                ips.push(format!("2001:db8:{:x}::{:x}", dc, rng.below(65536)));
            }
            if rng.below(10) == 0 {
                ips.push(format!("::ffff:192.168.{}.{}", rng.below(256), rng.below(256)));
            }
            let labels: BTreeMap<String, String> =
                [("env", rng.pick(ENVS)), ("dc", DCS[dc]), ("role", role)]
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect();
            Agent {
                id: AgentId::from_trusted(format!("ag-{i:05}")),
                name: format!("agent {i}"),
                status: AgentStatus::Online,
                hostname: format!("{role}-{i}.{}.{}.example.com", DCS[dc], labels["env"]),
                os: rng.pick(OS).into(),
                os_version: "1".into(),
                arch: rng.pick(ARCH).into(),
                ip_addresses: ips,
                agent_version: rng.pick(VERSIONS).into(),
                labels,
                reported_labels: BTreeMap::new(),
                observed_ip: None,
                last_heartbeat_at: None,
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

/// 200 groups mixing every criterion, one to four fields each, some with include / exclude.
fn group_criteria(rng: &mut Rng) -> Vec<GroupCriteria> {
    (0..GROUPS)
        .map(|i| {
            let mut c = GroupCriteria::default();
            let fields = 1 + rng.below(4);
            for _ in 0..fields {
                match rng.below(6) {
                    0 => c.os = vec![rng.pick(OS).to_lowercase(), rng.pick(OS).to_uppercase()],
                    1 => c.arch = vec![rng.pick(ARCH).into()],
                    2 => {
                        c.hostname = vec![
                            format!("{}-*", rng.pick(ROLES)),
                            format!("*.{}.prod.example.com", rng.pick(DCS)),
                            "db-[0-9]*".into(),
                        ]
                    }
                    3 => {
                        c.cidr = vec![
                            format!("10.{}.0.0/12", rng.below(4) * 16),
                            "2001:db8::/32".into(),
                            "192.168.0.0/16".into(),
                        ]
                    }
                    4 => {
                        c.labels =
                            [("env".to_string(), rng.pick(ENVS).to_string())].into_iter().collect()
                    }
                    _ => c.agent_version = [">=1.2", "^1", "<2.0.0", "=1.3.2"][rng.below(4)].into(),
                }
            }
            if i % 10 == 0 {
                c.include = vec![AgentId::from_trusted(format!("ag-{:05}", rng.below(AGENTS)))];
            }
            if i % 7 == 0 {
                c.exclude = vec![AgentId::from_trusted(format!("ag-{:05}", rng.below(AGENTS)))];
            }
            c
        })
        .collect()
}

fn bench(name: &str, target: Duration, runs: usize, mut f: impl FnMut(usize)) {
    for i in 0..runs.div_ceil(10) {
        f(i); // warm-up
    }
    let mut samples: Vec<Duration> = (0..runs)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let verdict = if pct(&samples, 0.99) <= target { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<44} n={runs:<6} mean={mean:>10.3?} p50={:>10.3?} p99={:>10.3?} max={:>10.3?}  target {target:?}: {verdict}",
        pct(&samples, 0.5),
        pct(&samples, 0.99),
        samples[samples.len() - 1],
    );
}

fn main() {
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let agents = fleet(&mut rng);
    let criteria = group_criteria(&mut rng);
    let t = Instant::now();
    let compiled: Vec<(GroupId, CompiledCriteria)> = criteria
        .iter()
        .enumerate()
        .map(|(i, c)| (GroupId::from_trusted(format!("grp-{i:03}")), compile(c).unwrap()))
        .collect();
    println!(
        "compile {GROUPS} groups: {:?} (e.g. group 1: {})",
        t.elapsed(),
        describe(&criteria[1])
    );
    let membership = Membership::new(compiled.clone());
    let metas: Vec<AgentMetadata> = agents.iter().map(Agent::metadata).collect();
    let before: Vec<Vec<GroupId>> = agents.iter().map(|a| membership.groups_of_agent(a)).collect();

    // Fleet statistics, so the figures can be judged against a realistic hit rate.
    let all = membership.recompute(&agents);
    let pairs: usize = all.values().map(Vec::len).sum();
    println!(
        "fleet: {AGENTS} agents, {GROUPS} groups, {pairs} memberships ({:.1} groups per agent)\n",
        pairs as f64 / AGENTS as f64
    );

    bench("heartbeat: 1 agent vs 200 groups (+ diff)", Duration::from_micros(50), 20_000, |i| {
        let a = &agents[i % AGENTS];
        let after = membership.groups_of(&a.id, &metas[i % AGENTS]);
        black_box(diff(&before[i % AGENTS], &after));
    });
    bench("group change: 1 group vs 10,000 agents", Duration::from_millis(20), 400, |i| {
        black_box(members(&compiled[i % GROUPS].1, &agents));
    });
    bench("full recompute: 10,000 agents x 200 groups", Duration::from_secs(1), 10, |_| {
        black_box(membership.recompute(&agents));
    });
}
