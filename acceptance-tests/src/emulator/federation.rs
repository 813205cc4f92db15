//! The emulator's side of the sign-in flows beyond a client secret: the application's
//! registered client certificate, an OIDC issuer standing in for GitHub Actions and Azure
//! DevOps (their token services, and Entra's federated credentials that trust them), and the
//! JWT checks Entra makes of a client assertion.

use std::path::Path;
use std::time::{Duration, SystemTime};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::http::{random_token, unix_seconds};

/// Audience Entra requires of federated tokens.
pub const EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The subject the emulated GitHub Actions job's tokens carry.
pub const GITHUB_SUBJECT: &str = "repo:amlsecure/infra:environment:production";
/// Password of the client certificate's PFX file.
const PFX_PASSWORD: &str = "emulator-pfx-password";
/// Clock skew Entra tolerates on `nbf`/`exp`.
const SKEW: Duration = Duration::from_secs(300);

/// What the emulator hands out and trusts for the non-secret flows.
pub struct Federation {
    /// Issuer URL of the emulated CI token services (`iss` of their tokens).
    pub issuer: String,
    issuer_key: RsaKeyPair,
    /// The application's registered certificate: its `x5t` and public key.
    certificate_thumbprint: String,
    certificate_public_key: Vec<u8>,
    /// Bearer tokens the CI token services accept (GitHub's request token, Azure DevOps'
    /// System.AccessToken).
    pub github_request_token: String,
    pub ado_access_token: String,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// Files and values a test needs to sign in with a certificate or through the CI flows.
pub struct Credentials {
    pub certificate_pem: std::path::PathBuf,
    pub certificate_pfx: std::path::PathBuf,
    pub certificate_password: &'static str,
}

fn rsa_key() -> Result<(RsaKeyPair, Vec<u8>), super::Error> {
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)?;
    let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key)?;
    Ok((key, pkcs8.as_ref().to_vec()))
}

impl Federation {
    /// New keys; the application's client certificate is written to `dir` as PEM and PFX.
    pub fn generate(base_url: &str, dir: &Path) -> Result<(Federation, Credentials), super::Error> {
        let (issuer_key, _) = rsa_key()?;
        let (client_key, client_pkcs8) = rsa_key()?;
        let rcgen_key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
            &rustls::pki_types::PrivatePkcs8KeyDer::from(client_pkcs8.clone()),
            &rcgen::PKCS_RSA_SHA256,
        )?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "amlsecure emulator application");
        let certificate = params.self_signed(&rcgen_key)?;
        let der = certificate.der().to_vec();

        let certificate_pem = dir.join("client-certificate.pem");
        std::fs::write(
            &certificate_pem,
            format!("{}{}", certificate.pem(), rcgen_key.serialize_pem()),
        )?;
        let certificate_pfx = dir.join("client-certificate.pfx");
        std::fs::write(&certificate_pfx, pfx(&der, &client_pkcs8)?)?;

        let thumbprint =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        Ok((
            Federation {
                issuer: format!("{base_url}/_emulator/oidc"),
                issuer_key,
                certificate_thumbprint: URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
                certificate_public_key: client_key.public_key().as_ref().to_vec(),
                github_request_token: random_token::<16>(),
                ado_access_token: random_token::<16>(),
            },
            Credentials {
                certificate_pem,
                certificate_pfx,
                certificate_password: PFX_PASSWORD,
            },
        ))
    }

    /// A token from the emulated CI token service for `subject` and `audience`, valid 10 minutes.
    pub fn issue(&self, subject: &str, audience: &str) -> String {
        let now = unix_seconds(SystemTime::now());
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": "emulator-oidc"});
        let claims = json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": random_token::<8>(),
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.issuer_key.public_modulus_len()];
        self.issuer_key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The subject of an Azure DevOps service connection's tokens.
    pub fn ado_subject(service_connection_id: &str) -> String {
        format!("sc://amlsecure/infra/{service_connection_id}")
    }

    /// Checks a client assertion as Entra does for `client_id` at `token_url`: a certificate
    /// assertion (signed with the registered certificate, `x5t` header) or a federated token
    /// (from the trusted issuer, audience and a registered subject). `Err` is
    /// (AADSTS code, message).
    pub fn check_assertion(
        &self,
        assertion: &str,
        client_id: &str,
        token_url: &str,
        service_connections: &[String],
    ) -> Result<(), (u64, String)> {
        let malformed = || (50027, "JWT token is invalid or malformed.".to_owned());
        let parts: Vec<&str> = assertion.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(malformed());
        };
        let decode = |part: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
        };
        let (Some(header), Some(claims), Ok(signature)) = (
            decode(header),
            decode(claims),
            URL_SAFE_NO_PAD.decode(signature),
        ) else {
            return Err(malformed());
        };
        if header["alg"] != "RS256" {
            return Err(malformed());
        }
        let signed = &assertion[..assertion.rfind('.').expect("three parts")];
        let claim = |name: &str| claims[name].as_str().unwrap_or_default().to_owned();
        let certificate = header["x5t"].as_str();
        let key: Vec<u8> = match certificate {
            Some(x5t) if x5t == self.certificate_thumbprint => self.certificate_public_key.clone(),
            Some(x5t) => {
                return Err((
                    700027,
                    format!(
                        "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{x5t}']"
                    ),
                ));
            }
            None => self.issuer_key.public_key().as_ref().to_vec(),
        };
        if UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(signed.as_bytes(), &signature)
            .is_err()
        {
            return Err((
                700027,
                "Client assertion failed signature validation.".to_owned(),
            ));
        }
        let now = unix_seconds(SystemTime::now());
        let within = claims["exp"]
            .as_u64()
            .is_some_and(|exp| exp + SKEW.as_secs() > now)
            && claims["nbf"]
                .as_u64()
                .is_none_or(|nbf| nbf <= now + SKEW.as_secs());
        if !within {
            return Err((
                700024,
                "Client assertion is not within its valid time range.".to_owned(),
            ));
        }
        if certificate.is_some() {
            if claim("aud") != token_url {
                return Err((
                    70021,
                    format!(
                        "No matching federated identity record found for presented assertion audience '{}'.",
                        claim("aud")
                    ),
                ));
            }
            if claim("iss") != client_id || claim("sub") != client_id {
                return Err((
                    700016,
                    format!(
                        "Application with identifier '{}' was not found in the directory.",
                        claim("sub")
                    ),
                ));
            }
            return Ok(());
        }
        if claim("iss") != self.issuer {
            return Err((
                700211,
                format!(
                    "No matching federated identity record found for presented assertion issuer '{}'.",
                    claim("iss")
                ),
            ));
        }
        if claim("aud") != EXCHANGE_AUDIENCE {
            return Err((
                700212,
                format!(
                    "No matching federated identity record found for presented assertion audience '{}'.",
                    claim("aud")
                ),
            ));
        }
        let subject = claim("sub");
        let registered = subject == GITHUB_SUBJECT
            || service_connections
                .iter()
                .any(|id| subject == Self::ado_subject(id));
        if !registered {
            return Err((
                700213,
                format!(
                    "No matching federated identity record found for presented assertion subject '{subject}'."
                ),
            ));
        }
        Ok(())
    }
}

/// A PKCS#12 file holding the certificate and its key, as `az ad sp create-for-rbac
/// --create-cert` users export it.
fn pfx(certificate: &[u8], pkcs8: &[u8]) -> Result<Vec<u8>, super::Error> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let chain = PrivateKeyChain::new(
        random_token::<8>().into_bytes(),
        PrivateKey::from_der(pkcs8)?,
        [Certificate::from_der(certificate)?],
    );
    let mut store = KeyStore::new();
    store.add_entry("amlsecure-emulator", KeyStoreEntry::PrivateKeyChain(chain));
    Ok(store.writer(PFX_PASSWORD).write()?)
}

/// Base64 of a file, as `ARM_CLIENT_CERTIFICATE` carries it.
pub fn base64_file(path: &Path) -> std::io::Result<String> {
    Ok(STANDARD.encode(std::fs::read(path)?))
}
