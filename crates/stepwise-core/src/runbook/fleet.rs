//! The fleet part of the runbook model: `targets:` (named groups of hosts)
//! and a step's `on:` and `rollout:`. Plain, validated data, like
//! `model.rs`; no parsing, no I/O (a `hosts_from` command is run when the
//! step starts, by the engine, never by the loader).

use serde::Serialize;
use std::time::Duration;

/// Whether `host` is usable as `ssh DEST` and nothing else: no leading
/// `-` (it would be read as an option), no spaces, `/` or control
/// characters. `validate` holds `hosts:` to it; the engine holds what a
/// `hosts_from` command prints to it too.
pub fn is_host_name(host: &str) -> bool {
    !(host.is_empty()
        || host.starts_with('-')
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/'))
}

/// Two different hosts whose logs would be one file (their names differ
/// only in characters [`file_safe_host`] replaces).
pub fn same_log(a: &str, b: &str) -> bool {
    a != b && file_safe_host(a) == file_safe_host(b)
}

/// A host name as part of a file name (its logs): anything but letters,
/// digits, `-`, `_` and `.` becomes `_` (`deploy@web-1` → `deploy_web-1`).
/// Two hosts of a step must not come out the same (checked by `validate`
/// for `hosts:`, by the engine for `hosts_from`).
pub fn file_safe_host(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// How a target's hosts are reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// The OpenSSH client, `ssh HOST`, with the user's ssh config.
    #[default]
    Ssh,
    /// On this machine, once per host name (`TARGET` set): rehearsals, the demo.
    Local,
}

/// A named group of hosts (`targets: { web: { hosts: [...] } }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    pub name: String,
    /// ssh destinations, exactly as `ssh DEST` takes them.
    pub hosts: Vec<String>,
    /// A command printing one host per line, or Ansible inventory JSON.
    pub hosts_from: Option<String>,
    /// Which group of the Ansible inventory JSON `hosts_from` prints.
    pub group: Option<String>,
    pub transport: Transport,
}

/// The size of a batch, or a failure budget: a count or a share of the hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    Count(usize),
    /// 1 to 100.
    Percent(u32),
}

impl Amount {
    /// The amount for `total` hosts: a share is rounded up (at least 1 for
    /// a batch, see [`Rollout::batches_of`]).
    pub fn of(self, total: usize) -> usize {
        match self {
            Amount::Count(n) => n,
            Amount::Percent(p) => (total * p as usize).div_ceil(100),
        }
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Amount::Count(n) => write!(f, "{n}"),
            Amount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// What happens between two batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Between {
    #[default]
    None,
    /// Ask the human, with the batch's results on screen.
    Confirm,
    /// Wait this long.
    #[serde(with = "crate::runbook::duration::serde_millis")]
    Pause(Duration),
}

/// How a fleet step goes through its hosts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rollout {
    /// Batch sizes in order; the last one repeats until every host ran
    /// (Ansible's `serial`). A share is of all the step's hosts.
    pub batches: Vec<Amount>,
    /// At most this many hosts run at once.
    pub max_in_flight: usize,
    /// The rollout stops when failures EXCEED this.
    pub max_failures: Amount,
    pub between_batches: Between,
}

impl Default for Rollout {
    fn default() -> Self {
        Rollout {
            batches: vec![Amount::Percent(100)],
            max_in_flight: 10,
            max_failures: Amount::Count(0),
            between_batches: Between::None,
        }
    }
}

impl Rollout {
    /// Splits `hosts` into batches, in order. Every batch has at least one host.
    pub fn batches_of(&self, hosts: &[String]) -> Vec<Vec<String>> {
        let total = hosts.len();
        let mut out = Vec::new();
        let mut rest = hosts;
        let mut sizes = self.batches.iter().copied();
        let mut last = Amount::Percent(100);
        while !rest.is_empty() {
            let size = sizes.next().unwrap_or(last);
            last = size;
            let n = size.of(total).clamp(1, rest.len());
            out.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        out
    }

    /// The batches of a new attempt over `todo` (the hosts not done),
    /// given the batches of the step's last plan (`earlier`): that plan
    /// goes on, each batch without its hosts done and empty batches
    /// dropped, so that a continue or a retry after a stop, a failure or
    /// a resume keeps the batches the operator first saw instead of
    /// starting a new canary. Hosts no earlier batch holds (a wider
    /// `--limit`, a `hosts_from` that now prints more) come after them,
    /// in batches of their own ([`Rollout::batches_of`]: a canary first).
    /// Without an earlier plan: [`Rollout::batches_of`] of them all.
    /// Each batch comes with its number: a kept batch keeps the number it
    /// had, so "batch 2" names the same hosts in every attempt; new ones
    /// are numbered after the earlier plan's last.
    pub fn batches_after(
        &self,
        earlier: &[(u32, Vec<String>)],
        todo: &[String],
    ) -> Vec<(u32, Vec<String>)> {
        let mut out: Vec<(u32, Vec<String>)> = earlier
            .iter()
            .map(|(n, b)| (*n, b.iter().filter(|h| todo.contains(h)).cloned().collect()))
            .filter(|(_, b): &(u32, Vec<String>)| !b.is_empty())
            .collect();
        let new: Vec<String> = todo
            .iter()
            .filter(|h| !earlier.iter().any(|(_, b)| b.contains(h)))
            .cloned()
            .collect();
        let last = earlier.iter().map(|(n, _)| *n).max().unwrap_or(0);
        out.extend((last + 1..).zip(self.batches_of(&new)));
        out
    }

    /// How many failures the rollout takes before it stops (it stops
    /// when there are more than this).
    pub fn budget(&self, total: usize) -> usize {
        match self.max_failures {
            Amount::Count(n) => n,
            Amount::Percent(p) => total * p as usize / 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn a_new_attempt_goes_on_with_the_last_plan_without_the_hosts_done() {
        let r = Rollout {
            batches: vec![Amount::Count(1), Amount::Percent(25), Amount::Percent(100)],
            ..Rollout::default()
        };
        let all = hosts(8);
        let earlier = r.batches_after(&[], &all);
        let numbers: Vec<u32> = earlier.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 2, 3]);
        // The canary (h1) went through: batches 2 and 3, as numbered.
        let todo: Vec<String> = all[1..].to_vec();
        let next = r.batches_after(&earlier, &todo);
        assert_eq!(next, [earlier[1].clone(), earlier[2].clone()]);
        // h3 failed in batch 2, h2 went through; h9 to h12 are new: they
        // get a canary and batches of their own, numbered after the rest.
        let mut todo: Vec<String> = all[2..].to_vec();
        todo.extend((9..=12).map(|i| format!("h{i}")));
        let next = r.batches_after(&earlier, &todo);
        let s = |v: &[&str]| v.iter().map(|h| h.to_string()).collect::<Vec<_>>();
        assert_eq!(next[0], (2, s(&["h3"])));
        assert_eq!(next[1], earlier[2]);
        assert_eq!(next[2], (4, s(&["h9"])));
        assert_eq!(next[3], (5, s(&["h10"])));
        assert_eq!(next[4], (6, s(&["h11", "h12"])));
        // No earlier plan: a plan of its own, numbered from 1.
        let own: Vec<Vec<String>> = r
            .batches_after(&[], &todo)
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        assert_eq!(own, r.batches_of(&todo));
    }

    #[test]
    fn canary_then_a_quarter_then_the_rest() {
        let r = Rollout {
            batches: vec![Amount::Count(1), Amount::Percent(25), Amount::Percent(100)],
            ..Rollout::default()
        };
        let sizes: Vec<usize> = r.batches_of(&hosts(10)).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![1, 3, 6]);
    }

    #[test]
    fn the_last_batch_size_repeats() {
        let r = Rollout {
            batches: vec![Amount::Count(2)],
            ..Rollout::default()
        };
        let sizes: Vec<usize> = r.batches_of(&hosts(5)).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }

    #[test]
    fn a_percent_budget_rounds_down() {
        let r = Rollout {
            max_failures: Amount::Percent(10),
            ..Rollout::default()
        };
        assert_eq!(r.budget(25), 2);
        assert_eq!(r.budget(9), 0);
    }
}
