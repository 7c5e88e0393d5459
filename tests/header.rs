//! Generates `include/arn.h` with cbindgen and checks the committed copy is
//! current. `ARN_BLESS=1 cargo test --test header` (`make header`) rewrites
//! it instead of failing.
//!
//! cbindgen writes every constant, then every type, then every function,
//! each group in module order. `layout` regroups the declarations into the
//! order a reader wants (errors and version, the arn family, the byte
//! arenas, slices, the growing arena, the containers), each family opening
//! with an overview that lists its functions.

#[path = "header/layout.rs"]
mod layout;

use std::collections::HashMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn generate() -> String {
    let mut config =
        cbindgen::Config::from_file(root().join("cbindgen.toml")).expect("cbindgen.toml parses");
    let version = env!("CARGO_PKG_VERSION");
    let macros = format!(
        "\n#define ARN_VERSION_MAJOR {}\n#define ARN_VERSION_MINOR {}\n#define ARN_VERSION_PATCH {}\n/* major * 10000 + minor * 100 + patch, as arnvn() returns it */\n#define ARN_VERSION_NUMBER {}\n#define ARN_VERSION_STRING \"{version}\"",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        version_number(),
    );
    let before = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(format!("\n{before}\n{macros}"));
    let renames = config.export.rename.clone();
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root())
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    let header = String::from_utf8(out).expect("the header is UTF-8");
    let deprecated = deprecated_items(&renames);
    let header = mark_deprecated_typedefs(header, &deprecated);
    layout::arrange(&header, &deprecated.names())
}

/// The deprecated items of the crate, by their C names.
struct Deprecated {
    /// (old, new) C names of the deprecated type aliases.
    types: Vec<(String, String)>,
    /// Deprecated constants (old macro names).
    consts: Vec<String>,
}

impl Deprecated {
    fn names(&self) -> Vec<String> {
        let types = self.types.iter().map(|(old, _)| old.clone());
        types.chain(self.consts.iter().cloned()).collect()
    }
}

/// cbindgen marks deprecated functions but not deprecated type aliases:
/// every `#[deprecated] pub type Old = New;` in `src/` becomes
/// `typedef ... old ARN_DEPRECATED("renamed new");` here, in C names.
fn mark_deprecated_typedefs(mut header: String, deprecated: &Deprecated) -> String {
    for (old, new) in &deprecated.types {
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

/// The `#[deprecated]` type aliases and constants in `src/`.
fn deprecated_items(renames: &HashMap<String, String>) -> Deprecated {
    let c = |rust: &str| {
        renames
            .get(rust)
            .cloned()
            .unwrap_or_else(|| rust.to_string())
    };
    let mut found = Deprecated {
        types: Vec::new(),
        consts: Vec::new(),
    };
    for text in sources() {
        let mut deprecated = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[deprecated") {
                deprecated = true;
                continue;
            }
            if deprecated {
                if let Some(alias) = line.strip_prefix("pub type ") {
                    let (old, new) = alias.split_once(" = ").expect("pub type Old = New;");
                    found.types.push((c(old), c(new.trim_end_matches(';'))));
                } else if let Some(konst) = line.strip_prefix("pub const ") {
                    found
                        .consts
                        .push(konst.split(':').next().unwrap().to_string());
                }
            }
            if !line.starts_with("#[") && !line.starts_with("///") {
                deprecated = false;
            }
        }
    }
    found.types.sort();
    found.consts.sort();
    found
}

/// The text of every Rust file under `src/`.
fn sources() -> Vec<String> {
    let mut texts = Vec::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                texts.push(std::fs::read_to_string(&path).expect("a source file"));
            }
        }
    }
    texts
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
    let path = root().join("include/arn.h");
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

/// Whether `name` stands in `text` as a word of its own.
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[test]
fn every_function_is_in_the_preamble_and_the_readme_tables() {
    let header = generate();
    let functions = layout::functions(&header);
    assert!(functions.len() > 100, "found {} functions", functions.len());
    let preamble = &header[..header.find("#ifndef ARN_H").expect("the include guard")];
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let tables: String = readme
        .lines()
        .filter(|l| l.trim_start().starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    let missing = |text: &str| -> Vec<&str> {
        functions
            .iter()
            .map(String::as_str)
            .filter(|f| !mentions(text, f))
            .collect()
    };
    assert_eq!(
        missing(preamble),
        Vec::<&str>::new(),
        "not in the header's preamble (cbindgen.toml)"
    );
    assert_eq!(
        missing(&tables),
        Vec::<&str>::new(),
        "not in a table of README.md"
    );
}

#[test]
fn every_family_opens_with_its_functions() {
    let header = generate();
    for f in layout::functions(&header) {
        let listed = header
            .lines()
            .filter(|l| l.starts_with(" *   ") && l[5..].starts_with(&format!("{f} ")))
            .count();
        assert_eq!(listed, 1, "{f} is listed {listed} times in the overviews");
    }
}

#[test]
fn the_readme_layout_matches_the_tree() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = &readme[readme.find("## Layout").expect("a Layout section")..];
    let block = section
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the Layout section's text block");
    // Each entry: a path at the start of a line, then what it holds; a
    // directory's `*.rs` names are its files.
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with(' ') {
            if let Some((_, about)) = entries.last_mut() {
                about.push_str(line);
            }
        } else if let Some((path, about)) = line.split_once(' ') {
            entries.push((path.to_string(), about.to_string()));
        }
    }
    let mut wrong = Vec::new();
    for (path, about) in &entries {
        let full = root().join(path);
        if !full.exists() {
            wrong.push(format!("{path} does not exist"));
            continue;
        }
        if !path.ends_with('/') {
            continue;
        }
        for word in about.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
            if word.ends_with(".rs") && !full.join(word).exists() {
                wrong.push(format!("{path}{word} does not exist"));
            }
        }
    }
    for entry in std::fs::read_dir(root().join("src")).expect("src/") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().into_string().expect("a UTF-8 name");
        let listed = if entry.path().is_dir() {
            format!("src/{name}/")
        } else {
            format!("src/{name}")
        };
        if !entries.iter().any(|(p, _)| *p == listed) {
            wrong.push(format!("{listed} is not in the layout"));
        }
    }
    assert!(wrong.is_empty(), "README.md's Layout section: {wrong:#?}");
}
