//! `kiosk-notify-relay [--] COMMAND [ARG…]`: runs COMMAND as the systemd
//! service's main process would, passing its notifications (READY, WATCHDOG)
//! on to systemd from the relay's own PID.
//! `kiosk-notify-relay --report-exit [--] COMMAND [ARG…]`: runs COMMAND inside
//! the compositor and reports its exit status to the relay above.
//! See `kiosk_health::relay`.

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let report = args.first().is_some_and(|a| a == "--report-exit");
    if report {
        args.remove(0);
    }
    if args.first().is_some_and(|a| a == "--") {
        args.remove(0);
    }
    if args.is_empty() || args[0] == "--help" || args[0] == "-h" {
        eprintln!("usage: kiosk-notify-relay [--report-exit] [--] COMMAND [ARG…]");
        eprintln!("Runs COMMAND with its own NOTIFY_SOCKET and passes READY, WATCHDOG, STATUS and STOPPING on");
        eprintln!(
            "to systemd from this process; hands on SIGTERM, SIGINT, SIGHUP, SIGABRT; exits with COMMAND's status."
        );
        std::process::exit(2);
    }
    let result = if report { kiosk_health::relay::report_exit(&args) } else { kiosk_health::relay::run(&args) };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("kiosk-notify-relay: {e}");
            std::process::exit(1);
        }
    }
}
