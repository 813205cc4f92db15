//! Client certificates for Entra sign-in: a PKCS#12 (PFX) or PEM file, or the same bytes
//! base64-encoded, turned into signed client assertions (RFC 7523 JWTs with the
//! certificate's thumbprint). Parsing is pure Rust; signing uses aws-lc-rs, the crypto the
//! TLS stack already carries.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{ArmError, Secret};

/// How long a client assertion is valid; Entra accepts at most 10 minutes ahead.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// The certificate Entra knows the application by, and its private key.
pub struct ClientCertificate {
    key: RsaKeyPair,
    /// Base64url SHA-1 of the certificate's DER: the `x5t` Entra matches against the
    /// certificates uploaded to the application.
    thumbprint: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

fn invalid(origin: &str, why: impl fmt::Display) -> ArmError {
    ArmError::Config {
        message: format!("client certificate {origin}: {why}"),
    }
}

impl ClientCertificate {
    /// Reads a PFX (PKCS#12) or PEM certificate with its private key. `origin` names where
    /// the bytes came from for error messages (a path, or `ARM_CLIENT_CERTIFICATE`);
    /// `password` opens a PFX (an empty one when none is given).
    pub fn parse(
        bytes: &[u8],
        password: Option<&Secret>,
        origin: &str,
    ) -> Result<ClientCertificate, ArmError> {
        let (certificate, key) = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            from_pem(bytes, origin)?
        } else {
            from_pfx(bytes, password.map_or("", Secret::expose), origin)?
        };
        let key = RsaKeyPair::from_pkcs8(&key)
            .or_else(|_| RsaKeyPair::from_der(&key))
            .map_err(|e| {
                invalid(
                    origin,
                    format!("the private key is not an RSA key Entra accepts ({e})"),
                )
            })?;
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            certificate.as_ref(),
        );
        Ok(ClientCertificate {
            key,
            thumbprint: URL_SAFE_NO_PAD.encode(digest.as_ref()),
        })
    }

    /// Base64url SHA-1 thumbprint (`x5t`).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A client assertion for `client_id` addressed to `token_url`, valid for ten minutes.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<Secret, ArmError> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| ArmError::Auth {
            message: "no randomness for the client assertion".to_owned(),
        })?;
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint});
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME.as_secs(),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| ArmError::Auth {
                message: "signing the client assertion with the certificate's key failed"
                    .to_owned(),
            })?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

/// Decodes `ARM_CLIENT_CERTIFICATE`: base64 of a PFX or PEM file (whitespace allowed).
pub fn decode_base64(text: &Secret) -> Result<Vec<u8>, ArmError> {
    let compact: String = text
        .expose()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| ArmError::Config {
            message: "client_certificate (ARM_CLIENT_CERTIFICATE) is not base64: give the \
                      base64 of a PFX or PEM file, or client_certificate_path"
                .to_owned(),
        })
}

fn from_pem(bytes: &[u8], origin: &str) -> Result<(Vec<u8>, Vec<u8>), ArmError> {
    let certificate = CertificateDer::pem_slice_iter(bytes)
        .next()
        .ok_or_else(|| invalid(origin, "the PEM holds no CERTIFICATE"))?
        .map_err(|e| invalid(origin, format!("unreadable PEM certificate ({e})")))?;
    let key = PrivateKeyDer::from_pem_slice(bytes).map_err(|_| {
        invalid(
            origin,
            "the PEM holds no PRIVATE KEY beside the certificate",
        )
    })?;
    Ok((certificate.as_ref().to_vec(), key.secret_der().to_vec()))
}

fn from_pfx(bytes: &[u8], password: &str, origin: &str) -> Result<(Vec<u8>, Vec<u8>), ArmError> {
    use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
    let store =
        KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Relaxed).map_err(|e| {
            let hint = if password.is_empty() {
                " (no client_certificate_password was given)"
            } else {
                " (is client_certificate_password right?)"
            };
            invalid(
                origin,
                format!("not a readable PFX/PKCS#12 or PEM file: {e}{hint}"),
            )
        })?;
    let (_, chain) = store
        .private_key_chain()
        .ok_or_else(|| invalid(origin, "the PFX holds no private key"))?;
    let certificate = chain
        .certs()
        .first()
        .ok_or_else(|| invalid(origin, "the PFX holds no certificate for its private key"))?;
    Ok((certificate.as_der().to_vec(), chain.key().as_der().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed RSA certificate: (PEM of certificate + key, certificate DER, key PKCS#8).
    fn rsa_certificate() -> (String, Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["amlsecure-test".to_owned()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        (
            format!("{}{}", cert.pem(), key.serialize_pem()),
            cert.der().to_vec(),
            key.serialize_der(),
        )
    }

    fn pfx(cert_der: &[u8], key_der: &[u8], password: &str) -> Vec<u8> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let chain = PrivateKeyChain::new(
            &[1u8; 20][..],
            PrivateKey::from_der(key_der).unwrap(),
            [Certificate::from_der(cert_der).unwrap()],
        );
        let mut store = KeyStore::new();
        store.add_entry("client", KeyStoreEntry::PrivateKeyChain(chain));
        store.writer(password).write().unwrap()
    }

    fn claims(assertion: &Secret) -> (serde_json::Value, serde_json::Value) {
        let parts: Vec<_> = assertion.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |p: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
        (decode(parts[0]), decode(parts[1]))
    }

    #[test]
    fn pem_and_pfx_give_the_same_thumbprint_and_a_verifiable_assertion() {
        let (pem, der, key) = rsa_certificate();
        let from_pem = ClientCertificate::parse(pem.as_bytes(), None, "test.pem").unwrap();
        let password = Secret::new("pfx-password");
        let from_pfx = ClientCertificate::parse(
            &pfx(&der, &key, "pfx-password"),
            Some(&password),
            "test.pfx",
        )
        .unwrap();
        assert_eq!(from_pem.thumbprint(), from_pfx.thumbprint());

        let url = "https://login.example/tenant/oauth2/v2.0/token";
        let assertion = from_pfx.assertion("client-1", url).unwrap();
        let (header, body) = claims(&assertion);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["x5t"], from_pem.thumbprint());
        assert_eq!(body["aud"], url);
        assert_eq!(body["iss"], "client-1");
        assert_eq!(body["sub"], "client-1");
        assert_eq!(
            body["exp"].as_u64().unwrap() - body["nbf"].as_u64().unwrap(),
            600
        );

        // The signature verifies with the certificate's public key.
        let public_key = find_rsa_public_key(&der);
        let (signed, signature) = assertion.expose().rsplit_once('.').unwrap();
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            public_key,
        )
        .verify(
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .unwrap();
    }

    /// The RSAPublicKey inside a certificate: the BIT STRING after the rsaEncryption OID.
    fn find_rsa_public_key(der: &[u8]) -> Vec<u8> {
        const RSA_OID: [u8; 11] = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
        ];
        let at = der
            .windows(RSA_OID.len())
            .position(|w| w == RSA_OID)
            .unwrap();
        // OID, NULL (05 00), then BIT STRING 03 len 00 <RSAPublicKey>.
        let mut i = at + RSA_OID.len() + 2;
        assert_eq!(der[i], 0x03);
        i += 1;
        let (len, skip) = match der[i] {
            l if l < 0x80 => (l as usize, 1),
            0x81 => (der[i + 1] as usize, 2),
            0x82 => (((der[i + 1] as usize) << 8) | der[i + 2] as usize, 3),
            _ => unreachable!(),
        };
        der[i + skip + 1..i + skip + len].to_vec()
    }

    #[test]
    fn wrong_password_and_missing_key_say_what_is_wrong() {
        let (pem, der, key) = rsa_certificate();
        let err = ClientCertificate::parse(
            &pfx(&der, &key, "right"),
            Some(&Secret::new("wrong")),
            "c.pfx",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("c.pfx") && err.contains("password"), "{err}");
        assert!(!err.contains("wrong"), "{err}");

        let only_cert = pem.split("-----BEGIN PRIVATE KEY").next().unwrap();
        let err = ClientCertificate::parse(only_cert.as_bytes(), None, "c.pem")
            .unwrap_err()
            .to_string();
        assert!(err.contains("PRIVATE KEY"), "{err}");
    }

    #[test]
    fn base64_is_decoded_with_line_breaks() {
        let text = Secret::new(format!("{}\n{}", STANDARD.encode(b"abc"), ""));
        assert_eq!(decode_base64(&text).unwrap(), b"abc");
        assert!(decode_base64(&Secret::new("not base64!")).is_err());
    }
}
