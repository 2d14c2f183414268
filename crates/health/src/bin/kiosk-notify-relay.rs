//! `kiosk-notify-relay [--] COMMAND [ARG…]`: runs COMMAND as the systemd
//! service's main process would, passing its notifications (READY, WATCHDOG)
//! on to systemd from the relay's own PID. See `kiosk_health::relay`.

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "--") {
        args.remove(0);
    }
    if args.is_empty() || args[0] == "--help" || args[0] == "-h" {
        eprintln!("usage: kiosk-notify-relay [--] COMMAND [ARG…]");
        eprintln!("Runs COMMAND with its own NOTIFY_SOCKET and passes READY, WATCHDOG, STATUS and STOPPING on");
        eprintln!(
            "to systemd from this process; hands on SIGTERM, SIGINT, SIGHUP, SIGABRT; exits with COMMAND's status."
        );
        std::process::exit(2);
    }
    match kiosk_health::relay::run(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("kiosk-notify-relay: {e}");
            std::process::exit(1);
        }
    }
}
