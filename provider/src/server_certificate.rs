//! The TLS certificate and private key an AKS scoring endpoint serves (the `ssl` block of
//! `amlsecure_aks_attachment`), read from PEM for the SSL rules: the names the certificate
//! is valid for, when, whether its chain comes with it, and whether the key is its key.
//! Pure and local: nothing is sent anywhere, and no error quotes the text it was given.

use std::fmt;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair, RsaKeyPair,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::extensions::GeneralName;

/// The server's certificate: the first of the PEM, which the rest (its chain) follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    /// The DNS names it is valid for, lower-case: its subject alternative names, or, when it
    /// has none, its subject's common name.
    pub names: Vec<String>,
    /// Valid from and until, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// Issued by itself (self-signed or a root), so it needs no chain.
    pub self_issued: bool,
    /// How many certificates the PEM holds, the server's included.
    pub chain_length: usize,
    /// The bits of its subject public key.
    public_key: Vec<u8>,
}

/// A private key, known by the public key it pairs with.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey {
    /// `None` for a kind of key whose public half this cannot work out (then whether it is
    /// the certificate's is not checked).
    public_key: Option<Vec<u8>>,
}

/// Prints nothing of the key, however little of it is kept.
impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(***)")
    }
}

const PRIVATE_KEY_MARK: &str = "PRIVATE KEY-----";
const CERTIFICATE_MARK: &str = "-----BEGIN CERTIFICATE-----";

/// Reads a PEM certificate chain; the error says what is wrong, never what was there.
pub fn read_certificate(pem: &str) -> Result<ServerCertificate, String> {
    let mut chain = CertificateDer::pem_slice_iter(pem.as_bytes());
    let first = match chain.next() {
        Some(Ok(der)) => der,
        Some(Err(_)) => return Err("its PEM encoding is damaged".to_owned()),
        None if pem.contains(PRIVATE_KEY_MARK) => {
            return Err(
                "it holds a private key, not a certificate (are certificate and key swapped?)"
                    .to_owned(),
            );
        }
        None => return Err(format!("it holds no PEM certificate ({CERTIFICATE_MARK})")),
    };
    let chain_length = 1 + chain.filter(Result::is_ok).count();
    let (_, certificate) = x509_parser::parse_x509_certificate(first.as_ref())
        .map_err(|_| "its first certificate is not a valid X.509 certificate".to_owned())?;
    let alternative: Vec<String> = match certificate.subject_alternative_name() {
        Ok(Some(names)) => names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some(dns.to_ascii_lowercase()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let names = if alternative.is_empty() {
        certificate
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .map(str::to_ascii_lowercase)
            .collect()
    } else {
        alternative
    };
    let validity = certificate.validity();
    Ok(ServerCertificate {
        names,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        self_issued: certificate.subject() == certificate.issuer(),
        chain_length,
        public_key: certificate.public_key().subject_public_key.data.to_vec(),
    })
}

/// Reads an unencrypted PEM private key (PKCS#8, RSA or EC); the error says what is wrong,
/// never what was there.
pub fn read_key(pem: &str) -> Result<PrivateKey, String> {
    let key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            "it is encrypted; Azure ML takes the key unencrypted".to_owned()
        } else if pem.contains(CERTIFICATE_MARK) {
            "it holds a certificate, not a private key (are certificate and key swapped?)"
                .to_owned()
        } else {
            "it holds no PEM private key (-----BEGIN PRIVATE KEY-----)".to_owned()
        }
    })?;
    Ok(PrivateKey {
        public_key: public_half(&key),
    })
}

/// The public key paired with `key`, as a certificate holds it.
fn public_half(key: &PrivateKeyDer<'_>) -> Option<Vec<u8>> {
    let der = key.secret_der();
    let rsa = || match key {
        PrivateKeyDer::Pkcs1(_) => RsaKeyPair::from_der(der).ok(),
        _ => RsaKeyPair::from_pkcs8(der).ok(),
    };
    if let Some(pair) = rsa() {
        return Some(pair.public_key().as_ref().to_vec());
    }
    for curve in [
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &ECDSA_P384_SHA384_ASN1_SIGNING,
    ] {
        if let Ok(pair) = EcdsaKeyPair::from_private_key_der(curve, der) {
            return Some(pair.public_key().as_ref().to_vec());
        }
    }
    Ed25519KeyPair::from_pkcs8(der)
        .ok()
        .map(|pair| pair.public_key().as_ref().to_vec())
}

impl ServerCertificate {
    /// Whether `key` is this certificate's private key; `None` when that cannot be told.
    pub fn pairs_with(&self, key: &PrivateKey) -> Option<bool> {
        key.public_key
            .as_ref()
            .map(|public| *public == self.public_key)
    }

    /// Whether a client calling `host` accepts the certificate's names: one equal to it, or a
    /// wildcard (`*.contoso.com`) standing for its first label.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|name| {
            let name = name.trim_end_matches('.');
            match name.strip_prefix("*.") {
                Some(parent) => host
                    .split_once('.')
                    .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
                None => name == host,
            }
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair as GeneratedKey};

    /// A certificate for `names` (none: only a common name), valid between the two Unix
    /// times, signed by itself, and its key, in PEM.
    pub(crate) fn self_signed(names: &[&str], valid: (i64, i64)) -> (String, String) {
        let key = GeneratedKey::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "cn.example.com");
        params.not_before = rcgen::date_time_ymd(1970, 1, 1)
            + std::time::Duration::from_secs(valid.0.unsigned_abs());
        params.not_after = rcgen::date_time_ymd(1970, 1, 1)
            + std::time::Duration::from_secs(valid.1.unsigned_abs());
        let certificate = params.self_signed(&key).unwrap();
        (certificate.pem(), key.serialize_pem())
    }

    const YEAR_2020: i64 = 1_577_836_800;
    const YEAR_2030: i64 = 1_893_456_000;

    #[test]
    fn names_validity_and_key_are_read() {
        let (pem, key) = self_signed(
            &["www.contoso.com", "*.api.contoso.com"],
            (YEAR_2020, YEAR_2030),
        );
        let certificate = read_certificate(&pem).unwrap();
        assert_eq!(certificate.names, ["www.contoso.com", "*.api.contoso.com"]);
        assert_eq!(
            (certificate.not_before, certificate.not_after),
            (YEAR_2020, YEAR_2030)
        );
        assert!(certificate.self_issued);
        assert_eq!(certificate.chain_length, 1);
        assert_eq!(certificate.pairs_with(&read_key(&key).unwrap()), Some(true));
        let (_, other_key) = self_signed(&["www.contoso.com"], (YEAR_2020, YEAR_2030));
        assert_eq!(
            certificate.pairs_with(&read_key(&other_key).unwrap()),
            Some(false)
        );
        let (with_chain, _) = self_signed(&["a.contoso.com"], (YEAR_2020, YEAR_2030));
        assert_eq!(
            read_certificate(&format!("{pem}{with_chain}"))
                .unwrap()
                .chain_length,
            2
        );
    }

    #[test]
    fn the_common_name_counts_only_without_alternative_names() {
        let (pem, _) = self_signed(&[], (YEAR_2020, YEAR_2030));
        assert_eq!(read_certificate(&pem).unwrap().names, ["cn.example.com"]);
    }

    #[test]
    fn names_cover_hosts_as_clients_match_them() {
        let (pem, _) = self_signed(
            &["www.contoso.com", "*.api.contoso.com"],
            (YEAR_2020, YEAR_2030),
        );
        let certificate = read_certificate(&pem).unwrap();
        for (host, covered) in [
            ("www.contoso.com", true),
            ("WWW.Contoso.com.", true),
            ("contoso.com", false),
            ("eu.api.contoso.com", true),
            ("api.contoso.com", false),
            ("a.eu.api.contoso.com", false),
            ("www.contoso.com.evil.net", false),
        ] {
            assert_eq!(certificate.covers(host), covered, "{host}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong_and_never_quote_the_text() {
        let (pem, key) = self_signed(&["www.contoso.com"], (YEAR_2020, YEAR_2030));
        let body = |pem: &str| pem.lines().nth(1).unwrap().to_owned();
        let cases = [
            read_certificate(&key).unwrap_err(),
            read_certificate("not a certificate at all").unwrap_err(),
            read_certificate(&pem.replace(&body(&pem), "AAAA")).unwrap_err(),
            read_key(&pem).unwrap_err(),
            read_key("secret text").unwrap_err(),
            read_key("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")
                .unwrap_err(),
        ];
        assert!(cases[0].contains("swapped"), "{}", cases[0]);
        assert!(cases[1].contains("no PEM certificate"), "{}", cases[1]);
        assert!(cases[2].contains("not a valid X.509"), "{}", cases[2]);
        assert!(cases[3].contains("swapped"), "{}", cases[3]);
        assert!(cases[4].contains("no PEM private key"), "{}", cases[4]);
        assert!(cases[5].contains("encrypted"), "{}", cases[5]);
        for error in &cases {
            assert!(
                !error.contains(&body(&pem))
                    && !error.contains(&body(&key))
                    && !error.contains("secret text"),
                "{error}"
            );
        }
        assert_eq!(format!("{:?}", read_key(&key).unwrap()), "PrivateKey(***)");
    }
}
