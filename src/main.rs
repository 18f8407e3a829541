fn main() {
    // stderr stays unlocked: the progress bar draws from its own thread, and
    // holding the lock for the whole run would deadlock it.
    let code = riskdiff::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
