//! What identifies a running process beyond its pid (boot id, pid namespace, start time), so a lock's holder
//! is declared gone only when that is certain.

/// The kernel's boot id; empty where unknown.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The pid namespace this process runs in (`pid:[4026531836]`); empty where unknown.
pub fn pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// When process `pid` started, in clock ticks after boot (field 22 of `/proc/PID/stat`); `None` when there is
/// no such process or it cannot be read.
pub fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name (field 2) is in parentheses and may contain spaces; fields after it start at 3
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_start_time_and_a_missing_one_has_none() {
        let me = start_ticks(std::process::id());
        assert!(me.is_some());
        assert_eq!(start_ticks(std::process::id()), me, "stable");
        assert_eq!(start_ticks(u32::MAX), None);
    }
}
