//! Examples for every command's `--help`, kept apart from the flag definitions so each list reads as a
//! short runbook; `command()` attaches them to the clap command.

/// `(command path, examples)`; a path of two words is a subcommand (`registry login`).
const EXAMPLES: &[(&str, &str)] = &[
    (
        "template",
        "
  tack template charts/webapp --env prod --tier public --name shop -n shop-public
  tack template charts/webapp --env dev -s templates/deployment.yaml
  tack template charts/webapp --env prod --output-dir out/       # one file per template
  tack template --all  # every instance of ./tack.yaml
  tack template oci://registry.example.com/charts/webapp --version '^1.4' --env prod",
    ),
    (
        "values",
        "
  tack values charts/webapp --env prod --tier public
  tack values charts/webapp --env prod --explain image.tag  # which layer and line set it
  tack values --instance shop-public --compare shop-private  # how two instances differ",
    ),
    (
        "lint",
        "
  tack lint charts/webapp --env prod --tier public
  tack lint charts/webapp --matrix                  # every env x tier found in ./values
  tack lint --all --strict                          # every stack instance, warnings fail
  tack lint charts/webapp --env prod -o sarif > lint.sarif",
    ),
    (
        "install",
        "
  tack install shop charts/webapp --env prod --tier public -n shop --create-namespace
  tack install shop charts/webapp --env prod -n shop --dry-run=server  # writes nothing
  tack install shop charts/webapp --env prod -n shop --wait --atomic --timeout 5m
  tack install shop charts/webapp -n shop --labels team=shop --description 'spring sale'
  tack install --all  # every instance of ./tack.yaml",
    ),
    (
        "upgrade",
        "
  tack upgrade shop charts/webapp -n shop                     # env and tier as recorded
  tack upgrade shop charts/webapp -n shop --set image.tag=2.8.0 --wait
  tack upgrade --install shop charts/webapp --env prod --tier public -n shop
  tack upgrade shop charts/webapp -n shop --plan plan.json  # what `diff --save-plan` showed
  tack upgrade -l tier=public  # the stack's public instances",
    ),
    (
        "diff",
        "
  tack diff shop charts/webapp -n shop --set image.tag=2.8.0
  tack diff shop charts/webapp -n shop -o markdown --exit-code  # for a pull-request comment
  tack diff rollback shop -n shop
  tack diff revisions shop 3 4 -n shop
  tack diff --offline shop charts/webapp --env prod --against-manifest live.yaml
  tack diff --all -o markdown  # every stack instance in one comment",
    ),
    (
        "rollback",
        "
  tack rollback shop -n shop            # to the revision deployed before the current one
  tack rollback shop 2 -n shop --wait
  tack rollback --instance shop-public  # a stack instance",
    ),
    (
        "uninstall",
        "
  tack uninstall shop -n shop
  tack uninstall shop -n shop --keep-history
  tack uninstall -l tier=private        # the stack's private instances",
    ),
    (
        "history",
        "
  tack history shop -n shop
  tack history shop -n shop --max 5 -o json",
    ),
    (
        "status",
        "
  tack status shop -n shop
  tack status shop -n shop --revision 2 -o yaml
  tack status --all                     # every stack instance",
    ),
    (
        "list",
        "
  tack list -n shop
  tack list -A --status failed
  tack list -A -l team=shop --short
  tack list -A --filter '^shop-' -o json",
    ),
    (
        "unlock",
        "
  tack unlock shop -n shop             # only when the holder's process is gone
  tack unlock shop -n shop --force",
    ),
    (
        "test",
        "
  tack test shop -n shop
  tack test shop -n shop --logs --timeout 2m",
    ),
    (
        "version",
        "
  tack version
  tack version --client
  tack version --timeout 5s",
    ),
    (
        "package",
        "
  tack package charts/webapp                 # webapp-1.4.0.tgz in the current folder
  tack package charts/webapp -d dist/",
    ),
    (
        "push",
        "
  tack push webapp-1.4.0.tgz oci://registry.example.com/charts",
    ),
    (
        "pull",
        "
  tack pull oci://registry.example.com/charts/webapp --version '^1.4'
  tack pull oci://registry.example.com/charts/webapp:1.4.0 --untar -d vendor/",
    ),
    (
        "registry login",
        "
  echo \"$TOKEN\" | tack registry login registry.example.com -u ci --password-stdin",
    ),
    (
        "registry logout",
        "
  tack registry logout registry.example.com",
    ),
    (
        "dependency update",
        "
  tack dependency update charts/webapp      # resolve, write Chart.lock, fill charts/",
    ),
    (
        "dependency build",
        "
  tack dependency build charts/webapp       # exactly what Chart.lock names (for CI)",
    ),
    (
        "completions",
        "
  source <(tack completions bash)                      # in ~/.bashrc
  tack completions zsh > \"${fpath[1]}/_tack\"
  tack completions fish > ~/.config/fish/completions/tack.fish
  tack completions bash --static > /etc/bash_completion.d/tack  # no calls back into tack",
    ),
];

/// Attach the examples to `cmd`'s subcommands (those that define their own keep them).
pub fn attach(mut cmd: clap::Command) -> clap::Command {
    for (path, text) in EXAMPLES {
        let text = format!("Examples:\n{}", text.trim_start_matches('\n'));
        cmd = match path.split_once(' ') {
            Some((parent, child)) => {
                cmd.mut_subcommand(parent, |p| p.mut_subcommand(child, |c| with(c, text)))
            }
            None => cmd.mut_subcommand(path, |c| with(c, text)),
        };
    }
    cmd
}

fn with(c: clap::Command, text: String) -> clap::Command {
    if c.get_after_help().is_some() {
        c
    } else {
        c.after_help(text)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command a user runs has examples; a new command without them fails here.
    #[test]
    fn every_command_has_examples() {
        let cmd = super::attach(crate::cli::Cli::command());
        let mut missing = Vec::new();
        for sub in cmd.get_subcommands() {
            let leaves: Vec<&clap::Command> = if sub.has_subcommands() && sub.get_name() != "diff" {
                sub.get_subcommands().collect()
            } else {
                vec![sub]
            };
            for c in leaves {
                if c.get_name() != "help" && c.get_after_help().is_none() {
                    missing.push(c.get_name().to_string());
                }
            }
        }
        assert!(missing.is_empty(), "commands without examples: {missing:?}");
    }
}
