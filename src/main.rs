fn main() {
    // Hidden subcommand: the demo sandbox's service (see src/demo/service.rs).
    // Dispatched before any command-line parsing so it stays out of --help.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args
        .get(1)
        .is_some_and(|a| a == stepwise::demo::service::HIDDEN_COMMAND)
    {
        std::process::exit(stepwise::demo::service::run_hidden(&args[2..]));
    }
}
