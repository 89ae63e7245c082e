//! Scheduling priority of a pipeline's feeding threads.
//!
//! Why: the headless replay runs four threads on what is often two cores, and one of them (the
//! orientation filter) is the pipeline's critical path: the others can wait a few milliseconds
//! in their bounded channels at no cost, but every millisecond the filter waits for a core is a
//! millisecond more for the whole replay. The kernel shares a core equally between threads of
//! equal priority, so the feeding threads step back a little ([`step_back`]) and the filter keeps
//! its core whenever they would take it.

/// How far a feeding thread steps back: nice +5 weighs a third of nice 0 in the kernel's
/// scheduler (1024 against 335), enough for the critical thread to keep a core when it competes
/// with one of them, not so far that the others starve when the machine is busy.
pub const STEP_BACK_NICE: i32 = 5;

/// Lowers the calling thread's priority by [`STEP_BACK_NICE`] (on Linux nice is per thread),
/// at most to the lowest (19). Best effort: where it cannot, nothing changes.
pub fn step_back() {
    #[cfg(target_os = "linux")]
    if let Ok(now) = rustix::process::getpriority_process(None) {
        let _unchanged_on_error =
            rustix::process::setpriority_process(None, (now + STEP_BACK_NICE).min(19));
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_steps_back_alone_and_not_below_the_lowest() {
        let own = rustix::process::getpriority_process(None).unwrap_or_default();
        let (once, floor) = std::thread::Builder::new()
            .name("step-back-test".into())
            .spawn(|| {
                let before = rustix::process::getpriority_process(None).unwrap_or_default();
                step_back();
                let once = rustix::process::getpriority_process(None).unwrap_or_default() - before;
                for _ in 0..10 {
                    step_back();
                }
                (
                    once,
                    rustix::process::getpriority_process(None).unwrap_or_default(),
                )
            })
            .unwrap_or_else(|e| panic!("{e}"))
            .join()
            .unwrap_or_default();
        assert_eq!(once, STEP_BACK_NICE.min(19 - own));
        assert_eq!(floor, 19);
        // The thread that spawned it keeps its own.
        assert_eq!(
            rustix::process::getpriority_process(None).unwrap_or_default(),
            own
        );
    }
}
