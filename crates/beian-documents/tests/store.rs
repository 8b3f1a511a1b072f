//! `FileStore` on a real temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use beian_documents::{FileStore, ImageFormat, is_stored_name};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn put_read_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path().join("docs/nested")).unwrap();
    assert!(store.root().is_dir());
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif] {
        let bytes = format!("content of a {format}").into_bytes();
        let name = store.put(&bytes, format).unwrap();
        assert!(is_stored_name(&name), "{name}");
        let (stem, ext) = name.split_once('.').unwrap();
        assert_eq!(stem.len(), 32);
        assert!(
            stem.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(ext, format.extension());
        assert_eq!(store.read(&name).unwrap(), bytes);
        // Sharded by the first two hex digits.
        let path = store.root().join(&name[..2]).join(&name);
        assert_eq!(store.path(&name).unwrap(), path);
        assert_eq!(fs::read(&path).unwrap(), bytes);
    }
    // The same bytes twice are two files under two names.
    let a = store.put(b"same", ImageFormat::Png).unwrap();
    let b = store.put(b"same", ImageFormat::Png).unwrap();
    assert_ne!(a, b);
    // Empty content is stored as such.
    let e = store.put(b"", ImageFormat::Gif).unwrap();
    assert_eq!(store.read(&e).unwrap(), b"");
}

#[test]
fn no_temporary_file_is_left_after_put() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let mut names = Vec::new();
    for i in 0..20u8 {
        names.push(store.put(&[i; 100], ImageFormat::Jpeg).unwrap());
    }
    let files = files_under(dir.path());
    assert_eq!(files.len(), 20);
    for f in &files {
        let n = f.file_name().unwrap().to_str().unwrap();
        assert!(!n.ends_with(".tmp"), "{n}");
        assert!(is_stored_name(n));
    }
}

#[test]
fn invalid_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path().join("store")).unwrap();
    let good = store.put(b"x", ImageFormat::Png).unwrap();
    // A file outside the store that traversal would reach.
    fs::write(dir.path().join("secret.png"), b"secret").unwrap();
    let upper = good.to_uppercase().replace(".PNG", ".png");
    let stem = &good[..32];
    let bad = [
        "../x".to_string(),
        "a/b".to_string(),
        "../secret.png".to_string(),
        format!("../{good}"),
        format!("{}/{good}", &good[..2]),
        format!("/{good}"),
        format!("./{good}"),
        upper,
        format!("{stem}.PNG"),
        format!("{stem}.jpeg"),
        format!("{stem}.bmp"),
        format!("{stem}.png.tmp"),
        format!("{stem}.png/"),
        format!("{stem}png"),
        format!("{}.png", &stem[..31]),
        format!("{stem}0.png"),
        format!("{}g.png", &stem[..31]),
        format!("{}..png", &stem[..31]),
        format!("{stem}.png\0"),
        String::new(),
        ".png".to_string(),
        "..".to_string(),
    ];
    for name in &bad {
        assert!(!is_stored_name(name), "{name:?}");
        assert_eq!(
            store.read(name).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{name:?}"
        );
        assert_eq!(
            store.remove(name).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{name:?}"
        );
        assert_eq!(
            store.path(name).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{name:?}"
        );
    }
    assert_eq!(store.read(&good).unwrap(), b"x");
    assert_eq!(fs::read(dir.path().join("secret.png")).unwrap(), b"secret");
}

#[test]
fn a_well_formed_name_that_was_never_stored_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let name = format!("{}.jpg", "0".repeat(32));
    assert_eq!(store.read(&name).unwrap_err().kind(), ErrorKind::NotFound);
    store.remove(&name).unwrap();
}

#[test]
fn open_removes_leftover_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let kept;
    {
        let store = FileStore::open(dir.path()).unwrap();
        kept = store.put(b"kept", ImageFormat::Png).unwrap();
    }
    // What an interrupted put leaves: a temp file beside the stored ones, and one in a shard that
    // holds nothing else; plus one at the root.
    let shard = dir.path().join(&kept[..2]);
    let interrupted = shard.join(format!("{}.png.tmp", "a".repeat(32)));
    fs::write(&interrupted, b"half").unwrap();
    let other_shard = dir
        .path()
        .join(if &kept[..2] == "ff" { "00" } else { "ff" });
    fs::create_dir(&other_shard).unwrap();
    let lone = other_shard.join(format!("ff{}.jpg.tmp", "1".repeat(30)));
    fs::write(&lone, b"half").unwrap();
    let at_root = dir.path().join("x.tmp");
    fs::write(&at_root, b"half").unwrap();
    // Leftovers are old; a temp file written just now may be another process's write in flight.
    let old = std::time::SystemTime::now() - 2 * beian_documents::TMP_MAX_AGE;
    for f in [&interrupted, &lone, &at_root] {
        fs::File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let in_flight = shard.join(format!("{}.png.tmp", "b".repeat(32)));
    fs::write(&in_flight, b"half").unwrap();
    // Not ours: left alone.
    let unrelated = dir.path().join("README");
    fs::write(&unrelated, b"keep").unwrap();

    let store = FileStore::open(dir.path()).unwrap();
    assert!(!interrupted.exists());
    assert!(!lone.exists());
    assert!(!at_root.exists());
    assert!(in_flight.exists());
    assert!(unrelated.exists());
    assert_eq!(store.read(&kept).unwrap(), b"kept");
    assert_eq!(store.names().unwrap(), vec![kept]);
}

#[test]
fn names_lists_what_was_put() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    assert!(store.names().unwrap().is_empty());
    let mut put = Vec::new();
    for (i, f) in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif]
        .into_iter()
        .cycle()
        .take(30)
        .enumerate()
    {
        put.push(store.put(&[i as u8], f).unwrap());
    }
    // Things that are not stored files are not listed.
    fs::write(dir.path().join("stray.png"), b"").unwrap();
    fs::create_dir_all(dir.path().join("zz")).unwrap();
    fs::write(dir.path().join("zz").join(&put[0]), b"").unwrap();
    let misplaced = format!(
        "{}{}",
        if put[0].starts_with("00") { "01" } else { "00" },
        &put[0][2..]
    );
    fs::write(dir.path().join(&put[0][..2]).join(&misplaced), b"").unwrap();

    let mut expected = put.clone();
    expected.sort();
    assert_eq!(store.names().unwrap(), expected);

    store.remove(&put[3]).unwrap();
    expected.retain(|n| n != &put[3]);
    assert_eq!(store.names().unwrap(), expected);
}

#[test]
fn remove_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let name = store.put(b"doc", ImageFormat::Jpeg).unwrap();
    store.remove(&name).unwrap();
    assert_eq!(store.read(&name).unwrap_err().kind(), ErrorKind::NotFound);
    store.remove(&name).unwrap();
    assert!(store.names().unwrap().is_empty());
}

#[test]
fn open_refuses_a_root_that_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    fs::write(&file, b"").unwrap();
    assert!(FileStore::open(&file).is_err());
}

#[cfg(unix)]
#[test]
fn stored_documents_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("docs");
    let store = FileStore::open(&root).unwrap();
    let name = store.put(b"id card", ImageFormat::Jpeg).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    assert_eq!(mode(&root.join(&name[..2])), 0o700);
    assert_eq!(mode(&store.path(&name).unwrap()), 0o600);
}

#[test]
fn a_stored_clean_image_round_trips() {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(5, 4, image::Rgb([1, 2, 3])))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let clean = beian_documents::inspect(&png, &Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let name = store.put(&clean.bytes, clean.format).unwrap();
    assert!(name.ends_with(".png"));
    let back = store.read(&name).unwrap();
    assert_eq!(back, clean.bytes);
    let again = beian_documents::inspect(&back, &Default::default()).unwrap();
    assert_eq!(
        again.sha256, clean.sha256,
        "re-encoding a clean PNG is stable"
    );
}
