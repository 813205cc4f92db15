//! Zip archives as the release needs them: deflated entries with Unix permissions and one
//! fixed timestamp, so the same files always give the same bytes.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;

pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    /// Unix permission bits, like `0o755`.
    pub mode: u32,
}

const VERSION: u16 = 20; // 2.0: deflate, folders
const MADE_ON_UNIX: u16 = 3 << 8;
const DEFLATE: u16 = 8;
const REGULAR_FILE: u32 = 0o100_000;
// 1980-01-01 00:00, the earliest time zip records: no build time leaks into the archive.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

pub fn archive(entries: &[Entry]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&entry.data)?;
        let compressed = encoder.finish()?;
        let crc = crc32fast::hash(&entry.data);
        let sizes = [size(compressed.len())?, size(entry.data.len())?];
        let name = entry.name.as_bytes();
        let offset = size(out.len())?;

        put32(&mut out, 0x0403_4b50);
        for field in [VERSION, 0, DEFLATE, DOS_TIME, DOS_DATE] {
            put16(&mut out, field);
        }
        for field in [crc, sizes[0], sizes[1]] {
            put32(&mut out, field);
        }
        put16(&mut out, name.len() as u16);
        put16(&mut out, 0);
        out.extend_from_slice(name);
        out.extend_from_slice(&compressed);

        put32(&mut central, 0x0201_4b50);
        for field in [
            MADE_ON_UNIX | VERSION,
            VERSION,
            0,
            DEFLATE,
            DOS_TIME,
            DOS_DATE,
        ] {
            put16(&mut central, field);
        }
        for field in [crc, sizes[0], sizes[1]] {
            put32(&mut central, field);
        }
        for field in [name.len() as u16, 0, 0, 0, 0] {
            put16(&mut central, field);
        }
        put32(&mut central, (REGULAR_FILE | entry.mode) << 16);
        put32(&mut central, offset);
        central.extend_from_slice(name);
    }
    let central_offset = size(out.len())?;
    let count = entries.len() as u16;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    for field in [0, 0, count, count] {
        put16(&mut out, field);
    }
    put32(&mut out, size(central.len())?);
    put32(&mut out, central_offset);
    put16(&mut out, 0);
    Ok(out)
}

fn size(length: usize) -> std::io::Result<u32> {
    u32::try_from(length).map_err(|_| std::io::Error::other("over 4 GiB: zip64 not supported"))
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn u16_at(bytes: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([bytes[at], bytes[at + 1]])
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn entries_read_back_through_the_central_directory() {
        let entries = [
            Entry {
                name: "bin".into(),
                data: b"binary ".repeat(1000),
                mode: 0o755,
            },
            Entry {
                name: "LICENSE".into(),
                data: b"text".to_vec(),
                mode: 0o644,
            },
        ];
        let zip = archive(&entries).unwrap();
        assert_eq!(zip, archive(&entries).unwrap(), "not reproducible");

        let end = zip.len() - 22;
        assert_eq!(u32_at(&zip, end), 0x0605_4b50);
        assert_eq!(u16_at(&zip, end + 10), 2);
        let mut at = u32_at(&zip, end + 16) as usize;
        for entry in &entries {
            assert_eq!(u32_at(&zip, at), 0x0201_4b50);
            let compressed = u32_at(&zip, at + 20) as usize;
            let name_len = u16_at(&zip, at + 28) as usize;
            assert_eq!(&zip[at + 46..at + 46 + name_len], entry.name.as_bytes());
            assert_eq!(u32_at(&zip, at + 38) >> 16, 0o100_000 | entry.mode);
            let local = u32_at(&zip, at + 42) as usize;
            assert_eq!(u32_at(&zip, local), 0x0403_4b50);
            let data_at = local + 30 + u16_at(&zip, local + 26) as usize;
            let mut inflated = Vec::new();
            flate2::read::DeflateDecoder::new(&zip[data_at..data_at + compressed])
                .read_to_end(&mut inflated)
                .unwrap();
            assert_eq!(inflated, entry.data);
            assert_eq!(u32_at(&zip, at + 16), crc32fast::hash(&entry.data));
            at += 46 + name_len;
        }
    }
}
