//! Records the git commit being built, for the `brandpulse_build_info` metric. Outside a git
//! checkout (a crates.io package, a source tarball) the metric says `unknown`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-env-changed=BRANDPULSE_GIT_COMMIT");
    if std::env::var_os("BRANDPULSE_GIT_COMMIT").is_some() {
        return;
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(commit) = commit {
        println!("cargo:rustc-env=BRANDPULSE_GIT_COMMIT={commit}");
    }
}
