//! Your own TLS certificate and key for an AKS scoring endpoint (the `ssl` block of
//! `amlsecure_aks_attachment`), read from PEM into what the SSL rules look at
//! ([`Certificate`], [`Key`]): the names the certificate is valid for, when, whether its
//! chain comes with it, and whether the key is its key. Local: nothing is sent anywhere, and
//! no error quotes the text it was given.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair, RsaKeyPair,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::extensions::GeneralName;

use crate::rules::ssl::{Certificate, Key, Readable, Setting};

const PRIVATE_KEY_MARK: &str = "PRIVATE KEY-----";
const CERTIFICATE_MARK: &str = "-----BEGIN CERTIFICATE-----";

/// The certificate and key as the SSL rules see them, from their PEM as configured.
pub fn read(
    certificate: Setting<String>,
    key: Setting<String>,
) -> (Readable<Certificate>, Readable<Key>) {
    let certificate = match certificate {
        Setting::Set(pem) => Setting::Set(read_certificate(&pem)),
        Setting::Unknown => Setting::Unknown,
        Setting::Unset => Setting::Unset,
    };
    let served_key = match &certificate {
        Setting::Set(Ok((_, public_key))) => Some(public_key.as_slice()),
        _ => None,
    };
    let key = match key {
        Setting::Set(pem) => Setting::Set(read_key(&pem).map(|public_half| {
            Key {
                of_the_certificate: served_key
                    .zip(public_half)
                    .map(|(served, own)| served == own.as_slice()),
            }
        })),
        Setting::Unknown => Setting::Unknown,
        Setting::Unset => Setting::Unset,
    };
    let certificate = match certificate {
        Setting::Set(read) => Setting::Set(read.map(|(certificate, _)| certificate)),
        Setting::Unknown => Setting::Unknown,
        Setting::Unset => Setting::Unset,
    };
    (certificate, key)
}

/// A PEM certificate chain: the server's certificate (the first), and the bits of its
/// subject public key.
fn read_certificate(pem: &str) -> Result<(Certificate, Vec<u8>), String> {
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
    let read = Certificate {
        names,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        self_issued: certificate.subject() == certificate.issuer(),
        chain_length,
    };
    Ok((
        read,
        certificate.public_key().subject_public_key.data.to_vec(),
    ))
}

/// An unencrypted PEM private key (PKCS#8, RSA or EC), by its public half as a certificate
/// holds it; `None` for a kind of key whose public half is not worked out.
fn read_key(pem: &str) -> Result<Option<Vec<u8>>, String> {
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
    let der = key.secret_der();
    let rsa = match key {
        PrivateKeyDer::Pkcs1(_) => RsaKeyPair::from_der(der).ok(),
        _ => RsaKeyPair::from_pkcs8(der).ok(),
    };
    if let Some(pair) = rsa {
        return Ok(Some(pair.public_key().as_ref().to_vec()));
    }
    for curve in [
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &ECDSA_P384_SHA384_ASN1_SIGNING,
    ] {
        if let Ok(pair) = EcdsaKeyPair::from_private_key_der(curve, der) {
            return Ok(Some(pair.public_key().as_ref().to_vec()));
        }
    }
    Ok(Ed25519KeyPair::from_pkcs8(der)
        .ok()
        .map(|pair| pair.public_key().as_ref().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair as GeneratedKey};

    /// A certificate for `names` (none: only a common name), valid between the two Unix
    /// times, signed by itself, and its key, in PEM.
    fn self_signed(names: &[&str], valid: (i64, i64)) -> (String, String) {
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

    fn set(pem: &str) -> Setting<String> {
        Setting::Set(pem.to_owned())
    }

    #[test]
    fn names_validity_chain_and_key_are_read() {
        let (pem, key) = self_signed(
            &["www.contoso.com", "*.api.contoso.com"],
            (YEAR_2020, YEAR_2030),
        );
        let (Setting::Set(Ok(certificate)), Setting::Set(Ok(its_key))) = read(set(&pem), set(&key))
        else {
            panic!("both read");
        };
        assert_eq!(
            certificate,
            Certificate {
                names: vec!["www.contoso.com".into(), "*.api.contoso.com".into()],
                not_before: YEAR_2020,
                not_after: YEAR_2030,
                self_issued: true,
                chain_length: 1,
            }
        );
        assert_eq!(its_key.of_the_certificate, Some(true));
        let (_, other_key) = self_signed(&["www.contoso.com"], (YEAR_2020, YEAR_2030));
        let (_, other) = read(set(&pem), set(&other_key));
        assert_eq!(
            other,
            Setting::Set(Ok(Key {
                of_the_certificate: Some(false)
            }))
        );
        // Without a readable certificate, whether the key is its key cannot be told.
        let (_, alone) = read(Setting::Unknown, set(&key));
        assert_eq!(
            alone,
            Setting::Set(Ok(Key {
                of_the_certificate: None
            }))
        );
        let (second, _) = self_signed(&["a.contoso.com"], (YEAR_2020, YEAR_2030));
        let (Setting::Set(Ok(chained)), _) = read(set(&format!("{pem}{second}")), Setting::Unset)
        else {
            panic!("a chain reads");
        };
        assert_eq!(chained.chain_length, 2);
    }

    #[test]
    fn the_common_name_counts_only_without_alternative_names() {
        let (pem, _) = self_signed(&[], (YEAR_2020, YEAR_2030));
        assert_eq!(read_certificate(&pem).unwrap().0.names, ["cn.example.com"]);
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
            read_key(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
            )
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
    }
}
