//! Public-key login: the remote's key file (ed25519, ecdsa, rsa), or ssh-agent
//! (`SSH_AUTH_SOCK`) when the file is encrypted or missing.

use super::connect::Client;
use super::error::SshError;
use russh::client::{AuthResult, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use std::path::Path;
use std::sync::Arc;

/// Who logs in where, for the error messages.
pub struct Login<'a> {
    pub user: &'a str,
    pub host: &'a str,
    pub hop: &'a str,
    pub key: &'a Path,
    /// `IdentitiesOnly`: of ssh-agent's keys, only the one matching `KEY.pub`.
    pub only: bool,
}

impl Login<'_> {
    fn fail(&self, reason: impl Into<String>) -> SshError {
        SshError::Auth { user: self.user.into(), host: self.host.into(), hop: self.hop.into(), reason: reason.into() }
    }
}

pub async fn authenticate(handle: &mut Handle<Client>, login: &Login<'_>) -> Result<(), SshError> {
    let key_path = login.key.display();
    let why_agent = match russh::keys::load_secret_key(login.key, None) {
        Ok(key) => {
            let hash = handle.best_supported_rsa_hash().await.ok().flatten().flatten();
            let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
            let res = handle.authenticate_publickey(login.user, key).await.map_err(|e| login.fail(e.to_string()))?;
            return match res {
                AuthResult::Success => Ok(()),
                AuthResult::Failure { .. } => Err(login.fail(format!("the server refused the key {key_path}"))),
            };
        }
        Err(russh::keys::Error::KeyIsEncrypted) => format!("{key_path} is encrypted"),
        Err(russh::keys::Error::IO(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            format!("{key_path} does not exist")
        }
        Err(e) => return Err(login.fail(format!("cannot read the key {key_path}: {e}"))),
    };
    with_agent(handle, login, &why_agent).await
}

/// Tries the agent's keys, the one matching `KEY.pub` first.
async fn with_agent(handle: &mut Handle<Client>, login: &Login<'_>, why: &str) -> Result<(), SshError> {
    let mut agent = AgentClient::connect_env()
        .await
        .map_err(|e| login.fail(format!("{why} and no ssh-agent is usable (SSH_AUTH_SOCK: {e})")))?;
    let mut identities = agent.request_identities().await.map_err(|e| login.fail(format!("{why}; ssh-agent: {e}")))?;
    if identities.is_empty() {
        return Err(login.fail(format!("{why} and ssh-agent holds no keys (ssh-add {})", login.key.display())));
    }
    let wanted = read_public(&login.key.with_extension("pub"))
        .or_else(|| read_public(Path::new(&format!("{}.pub", login.key.display()))));
    if let Some(w) = &wanted {
        identities.sort_by_key(|i| i.public_key().key_data() != w.key_data());
    }
    if login.only {
        let Some(w) = &wanted else {
            return Err(login.fail(format!(
                "{why}, and with IdentitiesOnly navi needs {}.pub to pick the agent's key",
                login.key.display()
            )));
        };
        identities.retain(|i| i.public_key().key_data() == w.key_data());
        if identities.is_empty() {
            return Err(login.fail(format!("{why}, and ssh-agent does not hold that key (IdentitiesOnly)")));
        }
    }
    let hash = handle.best_supported_rsa_hash().await.ok().flatten().flatten();
    for id in identities {
        let public = id.public_key().into_owned();
        match handle.authenticate_publickey_with(login.user, public, hash, &mut agent).await {
            Ok(AuthResult::Success) => return Ok(()),
            Ok(AuthResult::Failure { .. }) => continue,
            Err(e) => return Err(login.fail(format!("{why}; ssh-agent: {e}"))),
        }
    }
    Err(login.fail(format!("{why}, and the server refused every key in ssh-agent")))
}

fn read_public(path: &Path) -> Option<PublicKey> {
    russh::keys::load_public_key(path).ok()
}
