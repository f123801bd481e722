//! Inputs a GitOps tool hands to `tack template` through the environment: an Argo CD Config Management
//! Plugin passes the Application's plugin parameters as `PARAM_<NAME>` and its plugin env as
//! `ARGOCD_ENV_<NAME>`. They fill in the env, tier, instance and selector a command line would give; flags
//! always win. See docs/gitops.md.

use crate::cli::{LayerArgs, StackArgs};
use crate::error::usage;
use anyhow::Result;

/// One input, where it can come from.
struct Input {
    /// The plugin parameter (`PARAM_ENV` for parameter `env`), read only inside Argo CD.
    param: &'static str,
    /// The Application's plugin env (`ARGOCD_ENV_TACK_ENV` for `TACK_ENV`).
    env: &'static str,
    /// The flag it stands for, for messages.
    flag: &'static str,
}

const ENV: Input = Input {
    param: "PARAM_ENV",
    env: "ARGOCD_ENV_TACK_ENV",
    flag: "--env",
};
const TIER: Input = Input {
    param: "PARAM_TIER",
    env: "ARGOCD_ENV_TACK_TIER",
    flag: "--tier",
};
const INSTANCE: Input = Input {
    param: "PARAM_INSTANCE",
    env: "ARGOCD_ENV_TACK_INSTANCE",
    flag: "--instance",
};
const SELECTOR: Input = Input {
    param: "PARAM_SELECTOR",
    env: "ARGOCD_ENV_TACK_SELECTOR",
    flag: "-l",
};

/// A value and the variable it came from.
type Found = Option<(String, &'static str)>;

fn lookup(input: &Input, get: &dyn Fn(&str) -> Option<String>) -> Found {
    let non_empty = |k: &'static str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(|v| (v, k))
    };
    // PARAM_* are generic names: trust them only when Argo CD runs the command (it always sets the app name)
    let in_argo = non_empty("ARGOCD_APP_NAME").is_some();
    in_argo
        .then(|| non_empty(input.param))
        .flatten()
        .or_else(|| non_empty(input.env))
}

/// Fill the env, tier, instance and selector that the flags leave unset from the environment (`get`, the
/// process environment in the commands). Plugin parameters win over plugin env. An instance or selector
/// with an env or tier is refused, naming the variables, as the flags are.
pub fn apply(
    stack: &mut StackArgs,
    layers: &mut LayerArgs,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let mut used: Vec<(&'static str, &'static str)> = Vec::new();
    if layers.env.is_none() {
        if let Some((v, from)) = lookup(&ENV, get) {
            layers.env = Some(v);
            used.push((ENV.flag, from));
        }
    }
    if layers.tier.is_none() {
        if let Some((v, from)) = lookup(&TIER, get) {
            layers.tier = Some(v);
            used.push((TIER.flag, from));
        }
    }
    let picks_instances = !stack.all && stack.selector.is_empty() && stack.instances.is_empty();
    if picks_instances {
        if let Some((v, from)) = lookup(&INSTANCE, get) {
            stack.instances = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            used.push((INSTANCE.flag, from));
        }
        if let Some((v, from)) = lookup(&SELECTOR, get) {
            stack.selector = vec![v];
            used.push((SELECTOR.flag, from));
        }
    }
    let layer_vars: Vec<&str> = used
        .iter()
        .filter(|(f, _)| *f == ENV.flag || *f == TIER.flag)
        .map(|(_, v)| *v)
        .collect();
    let stack_vars: Vec<&str> = used
        .iter()
        .filter(|(f, _)| *f == INSTANCE.flag || *f == SELECTOR.flag)
        .map(|(_, v)| *v)
        .collect();
    let stack_flags = !stack.selector.is_empty() || !stack.instances.is_empty() || stack.all;
    if !layer_vars.is_empty() && (stack_flags || stack.stack.is_some()) {
        let with = if stack_vars.is_empty() {
            "the stack flags".to_string()
        } else {
            stack_vars.join(" and ")
        };
        return Err(usage(format!(
            "{} set an env or tier, but {with} select stack instances, which name their own env and tier\n\nhint: for a stack instance give only the instance (plugin parameter `instance` or ARGOCD_ENV_TACK_INSTANCE); give env and tier only for a single chart",
            layer_vars.join(" and ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| m.get(k).cloned()
    }

    #[test]
    fn parameters_win_over_plugin_env_and_flags_win_over_both() {
        let (mut s, mut l) = (StackArgs::default(), LayerArgs::default());
        let get = env(&[
            ("ARGOCD_APP_NAME", "web"),
            ("PARAM_TIER", "public"),
            ("ARGOCD_ENV_TACK_TIER", "work"),
            ("ARGOCD_ENV_TACK_ENV", "prod"),
        ]);
        apply(&mut s, &mut l, &get).unwrap();
        assert_eq!(l.tier.as_deref(), Some("public"));
        assert_eq!(l.env.as_deref(), Some("prod"));
        let mut l = LayerArgs {
            tier: Some("private".into()),
            ..Default::default()
        };
        apply(&mut s, &mut l, &get).unwrap();
        assert_eq!(l.tier.as_deref(), Some("private"), "the flag wins");
    }

    #[test]
    fn parameters_count_only_inside_argo_cd() {
        let (mut s, mut l) = (StackArgs::default(), LayerArgs::default());
        apply(&mut s, &mut l, &env(&[("PARAM_ENV", "prod")])).unwrap();
        assert_eq!(l.env, None);
        apply(
            &mut s,
            &mut l,
            &env(&[("PARAM_INSTANCE", "public"), ("ARGOCD_APP_NAME", "a")]),
        )
        .unwrap();
        assert_eq!(s.instances, ["public"]);
    }

    #[test]
    fn an_instance_with_a_tier_is_refused_naming_the_variables() {
        let (mut s, mut l) = (StackArgs::default(), LayerArgs::default());
        let get = env(&[
            ("ARGOCD_ENV_TACK_INSTANCE", "public, work"),
            ("ARGOCD_ENV_TACK_TIER", "public"),
        ]);
        let e = apply(&mut s, &mut l, &get).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::USAGE);
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "ARGOCD_ENV_TACK_TIER set an env or tier, but ARGOCD_ENV_TACK_INSTANCE select"
            ),
            "{msg}"
        );
        let (mut s, mut l) = (StackArgs::default(), LayerArgs::default());
        apply(
            &mut s,
            &mut l,
            &env(&[("ARGOCD_ENV_TACK_INSTANCE", "public, work")]),
        )
        .unwrap();
        assert_eq!(s.instances, ["public", "work"]);
    }
}
