//! Stacks: one `tack.yaml` runs the same charts several times, isolated per security tier or team (each
//! instance a release in its own namespace with its own values layers). This module reads the stack file,
//! selects instances, guards their isolation, compares their values and runs work over them in parallel;
//! `action::stack` wires it to the commands. See docs/stacks.md.

pub mod compare;
pub mod file;
mod file_clusters;
pub mod guard;
pub mod names;
pub mod runner;
pub mod selector;

pub use file::{ClusterRef, Instance, SetEntry, Stack, FILE_NAME};

use anyhow::{bail, Result};

/// Which instances a command line asks for.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub all: bool,
    /// `-l` selectors; an instance matching any of them is selected.
    pub selectors: Vec<String>,
    /// `--instance` names.
    pub names: Vec<String>,
}

/// The instances `sel` picks, in stack-file order. Names must exist; selectors must match something.
pub fn select<'a>(stack: &'a Stack, sel: &Selection) -> Result<Vec<&'a Instance>> {
    let shown = stack.path.display();
    if !sel.all && sel.selectors.is_empty() && sel.names.is_empty() {
        bail!(
            "no instances selected from `{shown}`\n\nhint: pass --all, -l SELECTOR (e.g. `-l tier=public`) or --instance NAME"
        );
    }
    for name in &sel.names {
        if stack.get(name).is_none() {
            let names: Vec<&str> = stack.instances.iter().map(|i| i.name.as_str()).collect();
            let mut msg = format!(
                "`{shown}` has no instance `{name}`\ninstances: {}",
                names.join(", ")
            );
            if let Some(best) = crate::suggest::closest(name, names.iter().copied()) {
                msg.push_str(&format!("\n\nhint: did you mean `{best}`?"));
            }
            bail!(msg);
        }
    }
    let selectors = sel
        .selectors
        .iter()
        .map(|s| selector::parse(s))
        .collect::<Result<Vec<_>>>()?;
    let picked: Vec<&Instance> = stack
        .instances
        .iter()
        .filter(|i| {
            sel.all
                || sel.names.contains(&i.name)
                || selectors.iter().any(|s| s.matches(&i.labels()))
        })
        .collect();
    if picked.is_empty() {
        let listing: Vec<String> = stack
            .instances
            .iter()
            .map(|i| {
                let labels: Vec<String> =
                    i.labels().iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("  {}: {}", i.name, labels.join(","))
            })
            .collect();
        let wanted: Vec<&str> = sel.selectors.iter().map(String::as_str).collect();
        bail!(
            "selector `{}` matches no instance of `{shown}`; their labels are:\n{}\n\nhint: check the key and value, or list instances with --all",
            wanted.join("` or `"),
            listing.join("\n")
        );
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn stack() -> Stack {
        let text = "defaults:\n  chart: c\n  env: prod\ninstances:\n  - {name: private, namespace: p, tier: private}\n  - {name: work, namespace: w, tier: work, labels: {team: corp}}\n  - {name: public, namespace: u, tier: public}\n  - {name: dev, namespace: d, env: dev, tier: work}\n";
        file::parse(text, Path::new("tack.yaml")).unwrap()
    }

    fn names(sel: Selection) -> Vec<String> {
        let s = stack();
        select(&s, &sel)
            .unwrap()
            .iter()
            .map(|i| i.name.clone())
            .collect()
    }

    #[test]
    fn selects_by_all_labels_and_names_in_file_order() {
        let all = Selection {
            all: true,
            ..Default::default()
        };
        assert_eq!(names(all), ["private", "work", "public", "dev"]);
        let sel = |s: &[&str], n: &[&str]| Selection {
            all: false,
            selectors: s.iter().map(|x| x.to_string()).collect(),
            names: n.iter().map(|x| x.to_string()).collect(),
        };
        assert_eq!(names(sel(&["tier=public"], &[])), ["public"]);
        assert_eq!(names(sel(&["tier=work,env=prod"], &[])), ["work"]);
        assert_eq!(
            names(sel(&["env=prod,tier!=private"], &[])),
            ["work", "public"]
        );
        assert_eq!(
            names(sel(&["tier in (private,public)"], &[])),
            ["private", "public"]
        );
        assert_eq!(names(sel(&["team=corp", "env=dev"], &[])), ["work", "dev"]);
        assert_eq!(names(sel(&["namespace=d"], &["public"])), ["public", "dev"]);
        assert_eq!(names(sel(&[], &["dev", "private"])), ["private", "dev"]);
    }

    #[test]
    fn explains_empty_and_unknown_selections() {
        let s = stack();
        let e = select(&s, &Selection::default()).unwrap_err().to_string();
        assert!(
            e.contains("no instances selected") && e.contains("--all"),
            "{e}"
        );
        let e = select(
            &s,
            &Selection {
                names: vec!["pub".into()],
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("has no instance `pub`") && e.contains("did you mean `public`?"),
            "{e}"
        );
        let e = select(
            &s,
            &Selection {
                selectors: vec!["tier=secret".into()],
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("selector `tier=secret` matches no instance"),
            "{e}"
        );
        assert!(
            e.contains("  public: chart=c,env=prod,name=public,namespace=u,tier=public"),
            "{e}"
        );
    }
}
