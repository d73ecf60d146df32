//! CPU time used by this process (all threads), for the reports that bill cores.

/// User plus system CPU seconds of the whole process, or `None` where `/proc` is missing.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_proc_stat(&stat)
}

/// Clock ticks per second of `/proc` times: USER_HZ, fixed at 100 in the Linux user ABI.
const TICKS_PER_SECOND: f64 = 100.0;

fn parse_proc_stat(stat: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces and parentheses; fields after its last `)`
    // start at field 3, so utime (14) and stime (15) are the 12th and 13th of them.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_after_a_tricky_command_name() {
        let line = "1234 (my (odd) bin) R 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 4 0 100 0";
        assert_eq!(parse_proc_stat(line), Some(3.0));
    }

    /// Linux always has `/proc/self/stat`, so there the reading must exist and grow; a
    /// system without `/proc` gets `None`, which the reports show as an unknown CPU time.
    #[cfg(target_os = "linux")]
    #[test]
    fn grows_with_work() {
        let before = process_cpu_seconds().expect("/proc/self/stat on Linux");
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed().as_millis() < 150 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let after = process_cpu_seconds().expect("/proc/self/stat on Linux");
        assert!(after > before, "{before} -> {after}");
    }
}
