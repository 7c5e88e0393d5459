//! Generates `include/arn.h` with cbindgen and checks the committed copy is
//! current. `ARN_BLESS=1 cargo test --test header` (`make header`) rewrites
//! it instead of failing.

use std::path::Path;

fn generate() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut config = cbindgen::Config::from_file(Path::new(root).join("cbindgen.toml"))
        .expect("cbindgen.toml parses");
    let version = env!("CARGO_PKG_VERSION");
    let macros = format!(
        "\n#define ARN_VERSION_MAJOR {}\n#define ARN_VERSION_MINOR {}\n#define ARN_VERSION_PATCH {}\n#define ARN_VERSION_STRING \"{version}\"",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    let before = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(format!("{before}\n{macros}"));
    let renames = config.export.rename.clone();
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    let header = String::from_utf8(out).expect("the header is UTF-8");
    mark_deprecated_typedefs(header, &renames)
}

/// cbindgen marks deprecated functions but not deprecated type aliases:
/// every `#[deprecated] pub type Old = New;` in `src/` becomes
/// `typedef ... old ARN_DEPRECATED("renamed new");` here, in C names.
fn mark_deprecated_typedefs(
    mut header: String,
    renames: &std::collections::HashMap<String, String>,
) -> String {
    let c = |rust: &String| renames.get(rust).cloned().unwrap_or_else(|| rust.clone());
    for (old, new) in deprecated_aliases() {
        let (old, new) = (c(&old), c(&new));
        let decl = header
            .match_indices(&format!(" {old};\n"))
            .map(|(i, _)| i)
            .find(|&i| {
                header[..i]
                    .rsplit('\n')
                    .next()
                    .unwrap()
                    .starts_with("typedef ")
            })
            .unwrap_or_else(|| panic!("no typedef of {old} in the header"));
        let mark = format!(" ARN_DEPRECATED(\"renamed {new}\")");
        header.insert_str(decl + 1 + old.len(), &mark);
    }
    header
}

/// (old, new) Rust names of every deprecated type alias in `src/`.
fn deprecated_aliases() -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            let mut deprecated = false;
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[deprecated") {
                    deprecated = true;
                } else if let Some(alias) = line.strip_prefix("pub type ").filter(|_| deprecated) {
                    let (old, new) = alias.split_once(" = ").expect("pub type Old = New;");
                    found.push((old.to_string(), new.trim_end_matches(';').to_string()));
                    deprecated = false;
                } else if !line.starts_with("#[") && !line.starts_with("///") {
                    deprecated = false;
                }
            }
        }
    }
    found.sort();
    found
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
