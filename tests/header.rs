//! Generates `include/arn.h` with cbindgen and checks the committed copy is
//! current. `ARN_BLESS=1 cargo test --test header` (`make header`) rewrites
//! it instead of failing.

use std::path::Path;

fn generate() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut config = cbindgen::Config::from_file(Path::new(root).join("cbindgen.toml"))
        .expect("cbindgen.toml parses");
    let version = env!("CARGO_PKG_VERSION");
    config.after_includes = Some(format!(
        "\n#define ARN_VERSION_MAJOR {}\n#define ARN_VERSION_MINOR {}\n#define ARN_VERSION_PATCH {}\n#define ARN_VERSION_STRING \"{version}\"\n/* major * 10000 + minor * 100 + patch, as arnvn() returns it */\n#define ARN_VERSION_NUMBER {}",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        version_number(),
    ));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

/// `major * 10000 + minor * 100 + patch`, from Cargo.toml's version.
fn version_number() -> u32 {
    let part = |s: &str| s.parse::<u32>().expect("a decimal version component");
    part(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
        + part(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + part(env!("CARGO_PKG_VERSION_PATCH"))
}

#[test]
fn header_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/arn.h");
    let fresh = generate();
    if std::env::var_os("ARN_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("include/arn.h is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let first = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(fresh.lines().count()));
        panic!(
            "include/arn.h is out of date (first difference at line {}); run `make header` and commit it",
            first + 1
        );
    }
}

#[test]
fn header_version_matches_the_crate() {
    let fresh = generate();
    let want = format!(
        "#define ARN_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(fresh.contains(&want));
    // SAFETY: arnvr returns a static C string.
    let runtime = unsafe { std::ffi::CStr::from_ptr(arn::version::arnvr()) };
    assert_eq!(runtime.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn version_number_matches_the_crate() {
    let want = version_number();
    let fresh = generate();
    assert!(
        fresh.contains(&format!("#define ARN_VERSION_NUMBER {want}\n")),
        "the header's ARN_VERSION_NUMBER is not {want}"
    );
    assert_eq!(arn::version::arnvn(), want);
    assert_eq!(arn::version::VERSION_NUMBER, want);
}
