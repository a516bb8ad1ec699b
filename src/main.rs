//! The `stepwise` binary: parse the command line, pick the mode, report errors.

use clap::{CommandFactory, Parser};
use std::process::ExitCode;
use stepwise::cli::{Cli, Cmd};
use stepwise::launch::{self, Failure};

fn main() -> ExitCode {
    // Hidden subcommand: the demo sandbox's service (see src/demo/service.rs).
    // Dispatched before any command-line parsing so it stays out of --help.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args
        .get(1)
        .is_some_and(|a| a == stepwise::demo::service::HIDDEN_COMMAND)
    {
        std::process::exit(stepwise::demo::service::run_hidden(&args[2..]));
    }
    // Hidden subcommand: a step's monitor (see stepwise_core::runner::monitor),
    // started by stepwise itself, detached, with its spec on stdin.
    if args
        .get(1)
        .is_some_and(|a| a == stepwise::runner::monitor::HIDDEN_COMMAND)
    {
        std::process::exit(stepwise::runner::monitor::main());
    }
    let cli = Cli::parse();
    // Only the commands that read or write sessions look for the home.
    let home_flag = cli.home;
    stepwise::invocation::remember_home_flag(home_flag.as_deref());
    let home = || stepwise::session::store::home(home_flag.as_deref());
    let result = match cli.command {
        Some(Cmd::Run(args)) => launch::run(&home(), args.into()),
        Some(Cmd::Resume(args)) => launch::resume(&home(), args.into()),
        Some(Cmd::Sessions { all, format }) => stepwise::commands::sessions(&home(), all, format),
        Some(Cmd::Follow { session, plain }) => {
            stepwise::follow::follow(&home(), session.as_deref(), plain)
        }
        Some(Cmd::Status { session, format }) => {
            stepwise::status::status(&home(), session.as_deref(), format)
        }
        Some(Cmd::Export {
            session,
            format,
            output,
        }) => stepwise::commands::export(&home(), &session, format, output.as_deref()),
        Some(Cmd::Verify { session, head }) => {
            stepwise::commands::verify(&home(), &session, head.as_deref())
        }
        Some(Cmd::Validate { files }) => stepwise::commands::validate(&files),
        Some(Cmd::Schema) => stepwise::commands::schema(),
        Some(Cmd::Import { file, output, id }) => {
            stepwise::commands::import(&file, output.as_deref(), id)
        }
        Some(Cmd::Demo(args)) => stepwise::commands::demo(&home(), args),
        Some(Cmd::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "stepwise", &mut std::io::stdout());
            Ok(0)
        }
        None => stepwise::commands::picker(&home()),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(Failure { message, code }) => {
            stepwise::say!("{message}");
            ExitCode::from(code as u8)
        }
    }
}
