//! Reading the server name from a TLS ClientHello without terminating TLS.
//!
//! [`peek`] looks at the bytes received so far: TLS records of type handshake (22), whose
//! fragments are joined into the first handshake message (a ClientHello may be split across
//! records, and records across reads). It answers `NeedMore` until the whole ClientHello is
//! there, then the `server_name` extension's `host_name` (RFC 6066 §3), if any. Sizes are bounded
//! ([`MAX_HELLO`]); every input is answered without panicking (fuzzed: `fuzz/fuzz_targets/sni.rs`).

/// Largest ClientHello handshake message accepted (post-quantum key shares make them ~2 KiB;
/// 16 KiB leaves room for padding and many extensions).
pub const MAX_HELLO: usize = 16 * 1024;
/// Largest TLS record fragment (RFC 8446 §5.1: 2¹⁴).
const MAX_RECORD: usize = 1 << 14;
/// The buffer bound a caller needs: the message plus record headers of its fragments.
pub const MAX_BUFFER: usize = MAX_HELLO + 5 * 64;

/// What the bytes so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peek {
    /// The ClientHello is not complete yet: read more (within the caller's bound and timeout).
    NeedMore,
    /// The complete ClientHello's server name (raw bytes), or `None` without the extension.
    Done(Option<Vec<u8>>),
}

/// Why the bytes are not a ClientHello we can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HelloError {
    #[error("not a TLS handshake record")]
    NotTls,
    #[error("the first handshake message is not a ClientHello")]
    NotClientHello,
    #[error("ClientHello too large")]
    TooLarge,
    #[error("malformed ClientHello: {0}")]
    Malformed(&'static str),
}

/// Read the server name from the start of a TLS connection's bytes.
pub fn peek(buf: &[u8]) -> Result<Peek, HelloError> {
    // Join handshake fragments until the message is complete.
    let mut message: Vec<u8> = Vec::new();
    let mut at = 0usize;
    loop {
        let Some(header) = buf.get(at..at + 5) else {
            return need_more(buf, at);
        };
        if header[0] != 22 {
            return Err(if at == 0 {
                HelloError::NotTls
            } else {
                HelloError::Malformed("non-handshake record inside the ClientHello")
            });
        }
        if header[1] != 3 {
            return Err(HelloError::NotTls);
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len > MAX_RECORD {
            return Err(HelloError::Malformed("record longer than 2^14"));
        }
        if len == 0 {
            return Err(HelloError::Malformed("empty handshake record"));
        }
        let Some(fragment) = buf.get(at + 5..at + 5 + len) else {
            // A partial record: wait for the rest, but look at what is here already so that an
            // oversized or wrong message is refused early.
            let partial = &buf[(at + 5).min(buf.len())..];
            message.extend_from_slice(partial);
            check_head(&message)?;
            return Ok(Peek::NeedMore);
        };
        message.extend_from_slice(fragment);
        at += 5 + len;
        if let Some(total) = check_head(&message)?
            && message.len() >= total
        {
            return parse_client_hello(&message[4..total]).map(Peek::Done);
        }
    }
}

fn need_more(buf: &[u8], at: usize) -> Result<Peek, HelloError> {
    // A partial record header: refuse at once what can never be TLS.
    if let Some(&t) = buf.get(at)
        && t != 22
    {
        return Err(if at == 0 {
            HelloError::NotTls
        } else {
            HelloError::Malformed("non-handshake record inside the ClientHello")
        });
    }
    if let Some(&v) = buf.get(at + 1)
        && v != 3
    {
        return Err(HelloError::NotTls);
    }
    Ok(Peek::NeedMore)
}

/// Check the handshake header once it is there; the message's total length (header included).
fn check_head(message: &[u8]) -> Result<Option<usize>, HelloError> {
    let Some(head) = message.get(..4) else {
        if let Some(&t) = message.first()
            && t != 1
        {
            return Err(HelloError::NotClientHello);
        }
        return Ok(None);
    };
    if head[0] != 1 {
        return Err(HelloError::NotClientHello);
    }
    let len = (usize::from(head[1]) << 16) | (usize::from(head[2]) << 8) | usize::from(head[3]);
    if len > MAX_HELLO {
        return Err(HelloError::TooLarge);
    }
    Ok(Some(len + 4))
}

/// A bounds-checked reader.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], HelloError> {
        if n > self.data.len() {
            return Err(HelloError::Malformed(what));
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }
    fn u8(&mut self, what: &'static str) -> Result<usize, HelloError> {
        Ok(usize::from(self.take(1, what)?[0]))
    }
    fn u16(&mut self, what: &'static str) -> Result<usize, HelloError> {
        let b = self.take(2, what)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn vec8(&mut self, what: &'static str) -> Result<&'a [u8], HelloError> {
        let n = self.u8(what)?;
        self.take(n, what)
    }
    fn vec16(&mut self, what: &'static str) -> Result<&'a [u8], HelloError> {
        let n = self.u16(what)?;
        self.take(n, what)
    }
}

/// The ClientHello body (RFC 8446 §4.1.2, compatible with TLS 1.0–1.2 hellos).
fn parse_client_hello(body: &[u8]) -> Result<Option<Vec<u8>>, HelloError> {
    let mut r = Reader { data: body };
    let version = r.take(2, "version")?;
    if version[0] != 3 {
        return Err(HelloError::Malformed("legacy_version"));
    }
    r.take(32, "random")?;
    let session = r.vec8("session id")?;
    if session.len() > 32 {
        return Err(HelloError::Malformed("session id longer than 32"));
    }
    let suites = r.vec16("cipher suites")?;
    if suites.is_empty() || suites.len() % 2 != 0 {
        return Err(HelloError::Malformed("cipher suites"));
    }
    if r.vec8("compression methods")?.is_empty() {
        return Err(HelloError::Malformed("compression methods"));
    }
    if r.data.is_empty() {
        return Ok(None); // no extensions at all
    }
    let mut ext = Reader {
        data: r.vec16("extensions")?,
    };
    if !r.data.is_empty() {
        return Err(HelloError::Malformed("bytes after the extensions"));
    }
    let mut name: Option<Vec<u8>> = None;
    let mut seen_sni = false;
    while !ext.data.is_empty() {
        let kind = ext.u16("extension type")?;
        let data = ext.vec16("extension data")?;
        if kind != 0 {
            continue;
        }
        if seen_sni {
            return Err(HelloError::Malformed("two server_name extensions"));
        }
        seen_sni = true;
        let mut sn = Reader { data };
        let mut list = Reader {
            data: sn.vec16("server name list")?,
        };
        if !sn.data.is_empty() || list.data.is_empty() {
            return Err(HelloError::Malformed("server name list"));
        }
        while !list.data.is_empty() {
            let name_type = list.u8("name type")?;
            let value = list.vec16("host name")?;
            if name_type == 0 {
                if name.is_some() {
                    return Err(HelloError::Malformed("two host names"));
                }
                if value.is_empty() {
                    return Err(HelloError::Malformed("empty host name"));
                }
                name = Some(value.to_vec());
            }
        }
    }
    Ok(name)
}

/// A fatal `unrecognized_name` alert (RFC 8446 §6: level 2, description 112) in a TLS 1.2
/// record, sent before closing a denied connection.
pub const ALERT_UNRECOGNIZED_NAME: [u8; 7] = [21, 3, 3, 0, 2, 2, 112];
/// A fatal `decode_error` alert (description 50), for bytes that are not a usable ClientHello.
pub const ALERT_DECODE_ERROR: [u8; 7] = [21, 3, 3, 0, 2, 2, 50];

/// Build a minimal ClientHello (tests, benchmarks and examples): `name` in the SNI extension,
/// split into records of at most `record_size` bytes of handshake data.
pub fn build_client_hello(name: Option<&[u8]>, record_size: usize) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7u8; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 2, 0x13, 0x01]); // one suite
    body.extend_from_slice(&[1, 0]); // null compression
    let mut exts = Vec::new();
    if let Some(n) = name {
        let mut list = vec![0u8];
        list.extend_from_slice(&(n.len() as u16).to_be_bytes());
        list.extend_from_slice(n);
        let mut sn = (list.len() as u16).to_be_bytes().to_vec();
        sn.extend_from_slice(&list);
        exts.extend_from_slice(&[0, 0]);
        exts.extend_from_slice(&(sn.len() as u16).to_be_bytes());
        exts.extend_from_slice(&sn);
    }
    // supported_versions: TLS 1.3
    exts.extend_from_slice(&[0, 43, 0, 3, 2, 3, 4]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![1];
    let len = body.len() as u32;
    hs.extend_from_slice(&len.to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut out = Vec::new();
    for chunk in hs.chunks(record_size.max(1)) {
        out.extend_from_slice(&[22, 3, 1]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sni_whole_and_in_pieces() {
        for record_size in [1, 2, 5, 17, 100, 16384] {
            let hello = build_client_hello(Some(b"www.example.cn"), record_size);
            assert_eq!(
                peek(&hello),
                Ok(Peek::Done(Some(b"www.example.cn".to_vec()))),
                "record size {record_size}"
            );
            for cut in 0..hello.len() {
                assert_eq!(peek(&hello[..cut]), Ok(Peek::NeedMore), "cut {cut}");
            }
        }
        assert_eq!(peek(&build_client_hello(None, 1000)), Ok(Peek::Done(None)));
    }

    #[test]
    fn refuses_what_is_not_a_client_hello() {
        assert_eq!(peek(b"GET / HTTP/1.1\r\n"), Err(HelloError::NotTls));
        assert_eq!(peek(b"G"), Err(HelloError::NotTls));
        assert_eq!(peek(&[22, 2]), Err(HelloError::NotTls));
        assert_eq!(
            peek(&[22, 3, 1, 0, 4, 2, 0, 0, 0]),
            Err(HelloError::NotClientHello)
        );
        assert_eq!(
            peek(&[22, 3, 1, 0, 4, 1, 0xff, 0, 0]),
            Err(HelloError::TooLarge)
        );
        assert!(peek(&[22, 3, 1, 0, 0]).is_err());
        assert!(peek(&[22, 3, 1, 0x50, 0]).is_err());
        // A complete message whose extensions length lies.
        let mut hello = build_client_hello(Some(b"a.cn"), 16384);
        let ext_len_at = 5 + 4 + 2 + 32 + 1 + 4 + 2;
        hello[ext_len_at] = 0xff;
        assert_eq!(peek(&hello), Err(HelloError::Malformed("extensions")));
        // An alert record in the middle of a split hello.
        let mut split = build_client_hello(Some(b"a.cn"), 10);
        split[15] = 21;
        assert!(peek(&split).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = peek(&bytes);
        }

        #[test]
        fn mutated_hellos_never_panic(i in 0usize..200, v in proptest::num::u8::ANY, size in 1usize..64) {
            let mut hello = build_client_hello(Some(b"www.example.cn"), size);
            let at = i % hello.len();
            hello[at] = v;
            let _ = peek(&hello);
        }
    }
}
