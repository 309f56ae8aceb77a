//! CPU time from `/proc`: the whole process's, and the part spent on threads whose name starts
//! with a prefix (a runtime of their own, such as the simulator's), so a benchmark that runs
//! the simulator in its process can still report Ferry's own CPU.

/// User plus system seconds of the process.
pub fn process_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .map(|stat| stat_seconds(&stat).1)
        .unwrap_or(0.0)
}

/// User plus system seconds of this process's live threads named `prefix…`. A thread that
/// has exited no longer shows, so runtimes measured this way should keep their threads.
pub fn threads_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .map(|stat| stat_seconds(&stat))
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, seconds)| seconds)
        .sum()
}

/// The name and the CPU seconds of a `stat` line: `pid (name) state …`, with utime and stime
/// the 14th and 15th fields, in clock ticks (100 a second on Linux).
fn stat_seconds(stat: &str) -> (String, f64) {
    let name = stat
        .split_once('(')
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map(|(name, _)| name.to_string())
        .unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (name, (ticks(11) + ticks(12)) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_and_ticks_even_with_parentheses_in_the_name() {
        let stat = "4242 (ferry-sim (2)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1";
        let (name, seconds) = stat_seconds(stat);
        assert_eq!(name, "ferry-sim (2)");
        assert!((seconds - 3.0).abs() < 1e-9, "{seconds}");
        assert!(process_seconds() >= 0.0);
    }
}
