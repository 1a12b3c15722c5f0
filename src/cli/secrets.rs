//! Reading passwords and recovery keys: from the terminal without echo, else from the
//! environment, else (when asked) from standard input. They are never printed.

use std::io::{BufRead, IsTerminal};

use zeroize::Zeroizing;

use crate::cli::Auth;
use crate::error::{Error, Result};

/// Password of the acting user.
pub const PASSWORD_ENV: &str = "SIGHTLINE_PASSWORD";
/// New password for `create`, `user add`, `user passwd`, `recover`.
pub const NEW_PASSWORD_ENV: &str = "SIGHTLINE_NEW_PASSWORD";
/// Recovery key for `recover`.
pub const RECOVERY_KEY_ENV: &str = "SIGHTLINE_RECOVERY_KEY";

fn env_secret(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Zeroizing::new)
}

fn prompt(text: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|e| Error::Invalid(format!("Could not read from the terminal: {e}")))
}

/// The acting user's password.
pub fn password(auth: &Auth) -> Result<Zeroizing<String>> {
    if auth.password_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Error::Invalid(format!(
                "Could not read the password from standard input: {e}"
            ))
        })?;
        let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
        return Ok(trimmed);
    }
    if std::io::stdin().is_terminal() && env_secret(PASSWORD_ENV).is_none() {
        return prompt(&format!("Password for {}: ", auth.user));
    }
    env_secret(PASSWORD_ENV).ok_or_else(|| {
        Error::Invalid(format!(
            "No password given: run in a terminal, set {PASSWORD_ENV}, or pass --password-stdin."
        ))
    })
}

/// A new password, typed twice on a terminal or taken from `SIGHTLINE_NEW_PASSWORD`.
pub fn new_password(user: &str) -> Result<Zeroizing<String>> {
    if let Some(p) = env_secret(NEW_PASSWORD_ENV) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Invalid(format!(
            "No new password given: run in a terminal or set {NEW_PASSWORD_ENV}."
        )));
    }
    let first = prompt(&format!("New password for {user}: "))?;
    let second = prompt("Repeat it: ")?;
    if *first != *second {
        return Err(Error::Invalid(
            "The two passwords differ. Nothing was changed.".into(),
        ));
    }
    Ok(first)
}

/// The recovery key, from the terminal or `SIGHTLINE_RECOVERY_KEY`.
pub fn recovery_key() -> Result<Zeroizing<String>> {
    if let Some(k) = env_secret(RECOVERY_KEY_ENV) {
        return Ok(k);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Invalid(format!(
            "No recovery key given: run in a terminal or set {RECOVERY_KEY_ENV}."
        )));
    }
    prompt("Recovery key: ")
}
