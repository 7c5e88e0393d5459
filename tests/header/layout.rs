//! The order of `include/arn.h`: cbindgen's declarations regrouped by
//! family, each family opening with an overview of its functions.

/// One part of the header: a title, what the family is, and which
/// declarations it holds (`*` at the end of a pattern matches any rest).
struct Section {
    title: &'static str,
    about: &'static str,
    names: &'static [&'static str],
}

/// The header's parts, in reading order. A declaration goes to the first
/// section whose pattern matches its name, and a type moves up to the
/// first section that uses it.
const SECTIONS: &[Section] = &[
    Section {
        title: "Errors and version",
        about: "Every call that fails returns NULL, 0 or an ARN_E_* code and \
                leaves the reason as the calling thread's last error.",
        names: &[
            "ARN_OK", "ARN_E_*", "arner", "arnem", "arnec", "arnvr", "arnvn",
        ],
    },
    Section {
        title: "Arena (arn*)",
        about: "One zero-filled buffer: allocation moves an offset, a reset \
                takes everything back at once and zeroes only what was used.",
        names: &[
            "ARN_MAX_ALIGN",
            "arn_arena",
            "arn_arena_stats",
            "arnmk",
            "arnal",
            "arnaa",
            "arnln",
            "arnrs",
            "arnfr",
            "arnst",
            "arnow",
            "arncp",
            "arnsd",
        ],
    },
    Section {
        title: "Typed arena (arntm, arnta, arnti)",
        about: "An arena of equal slots handed out in order and found again by \
                index; arnrs, arnfr, arnst and arnow take it too.",
        names: &["arntm", "arnta", "arnti"],
    },
    Section {
        title: "Bump allocator (bmp*, bumpl)",
        about: "A buffer handed out downwards, 8 bytes at a time, reset all \
                at once.",
        names: &["arn_bump*", "bmp*", "bumpl"],
    },
    Section {
        title: "Object pool (pol*)",
        about: "Objects made by a constructor (or zeroed blocks), handed out, \
                returned and reused; the pool knows each by address.",
        names: &[
            "ARN_POOL_*",
            "arn_pool*",
            "arn_ctor",
            "arn_reset",
            "arn_destructor",
            "pol*",
        ],
    },
    Section {
        title: "Block allocator (blck*)",
        about: "Equal blocks of one buffer, allocated and freed one at a time \
                in O(1), tracked by a bitmap.",
        names: &["arn_block*", "blck*"],
    },
    Section {
        title: "Stack allocator (stck*)",
        about: "Pushes and pops of one buffer, with markers to go back to.",
        names: &["arn_stack", "stck*"],
    },
    Section {
        title: "mmap arena (mmp*, mmapl)",
        about: "Reserved address space, committed a page at a time as \
                allocations need it; a reset gives pages back to the OS.",
        names: &["ARN_MMAP_*", "arn_mmap*", "mmp*", "mmapl"],
    },
    Section {
        title: "Region (regin, regnl, rgn*)",
        about: "64 KiB arenas made on demand, freed all together.",
        names: &["ARN_REGION_*", "arn_region*", "regin", "regnl", "rgn*"],
    },
    Section {
        title: "Scratch space (scrt*)",
        about: "An arena with nested checkpoints. The digit is the operation, \
                as in the original API: 1 create, 3 checkpoint, c allocate, \
                2 restore, 0 free.",
        names: &["arn_scratch", "scrt*"],
    },
    Section {
        title: "Fixed-slot byte arena (fxd*)",
        about: "Equal slots of one mapping, claimed and released from any \
                thread without a lock; each slot is handed out as a buffer.",
        names: &["arn_fixed*", "arn_byte_opts", "fxd*"],
    },
    Section {
        title: "Buddy byte arena (bdy*)",
        about: "Power-of-two blocks of one region, split on demand and merged \
                on release, from any thread; each block is handed out as a \
                buffer.",
        names: &["arn_buddy*", "bdy*"],
    },
    Section {
        title: "Buffers (buf*)",
        about: "A slot or block being written, from the front; it freezes \
                into bytes without a copy, or is dropped.",
        names: &["arn_buffer", "buf*"],
    },
    Section {
        title: "Bytes (byt*)",
        about: "Frozen, reference-counted bytes: cloned and sliced without a \
                copy; the memory goes back when the last handle is dropped.",
        names: &["arn_bytes", "byt*"],
    },
    Section {
        title: "Chunk slices (chk*, slc*)",
        about: "Reference-counted slices of equal elements packed into \
                shared chunks; a chunk goes when its last slice does.",
        names: &["arn_chunk*", "arn_slice", "chk*", "slc*"],
    },
    Section {
        title: "Growing arena (grw*)",
        about: "Chunks taken from a memory source as needed; blocks are freed \
                one by one for reuse, grown in place, or all at once by a \
                reset. Not zeroed unless asked (grwaz).",
        names: &["ARN_GROW_*", "arn_grow*", "grw*"],
    },
    Section {
        title: "Vector and map (vec*, map*)",
        about: "Containers whose storage lives in a growing arena: a vector of \
                equal elements and a map of byte strings.",
        names: &["arn_vector*", "arn_map*", "vec*", "map*"],
    },
];

const DEPRECATED_TITLE: &str = "Deprecated spellings";
const DEPRECATED_ABOUT: &str = "The old names of renamed functions, types \
    and macros, kept for this release only; each behaves exactly as its new \
    name (CHANGELOG.md).";

/// A declaration cbindgen wrote: its doc comment and the code after it.
struct Item {
    name: String,
    doc: String,
    code: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Macro,
    Type,
    Function,
}

const OPEN_CXX: &str = "#ifdef __cplusplus\nextern \"C\" {\n#endif // __cplusplus\n";
const CLOSE_CXX: &str = "#ifdef __cplusplus\n}  // extern \"C\"\n#endif  // __cplusplus\n";
const GUARD_END: &str = "#endif  /* ARN_H */\n";
/// The last line cbindgen writes before the declarations.
const LAST_PROLOGUE_LINE: &str = "#define ARN_VERSION_STRING";

/// The names of the functions `header` declares.
pub fn functions(header: &str) -> Vec<String> {
    let (_, body) = split(header);
    items(&body)
        .into_iter()
        .filter(|i| i.kind == Kind::Function)
        .map(|i| i.name)
        .collect()
}

/// cbindgen's prologue, and its declarations with the C++ markers taken out.
fn split(header: &str) -> (&str, String) {
    let at = header.find(LAST_PROLOGUE_LINE).expect("the version macros");
    let body_start = at + header[at..].find('\n').expect("a line end") + 1;
    let body_end = header.rfind(CLOSE_CXX).expect("the end of extern \"C\"");
    let body = header[body_start..body_end].replacen(OPEN_CXX, "", 1);
    (&header[..body_start], body)
}

fn items(body: &str) -> Vec<Item> {
    body.split("\n\n")
        .map(str::trim)
        .filter(|chunk| !chunk.is_empty() && !chunk.starts_with(RULE))
        .map(item)
        .collect()
}

fn item(chunk: &str) -> Item {
    let (doc, code) = match chunk.find(" */\n") {
        Some(end) if chunk.starts_with("/**") => (&chunk[..end + 3], &chunk[end + 4..]),
        _ => ("", chunk),
    };
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let (name, kind) = if let Some(rest) = code.strip_prefix("#define ") {
        (ident(rest), Kind::Macro)
    } else if code.starts_with("typedef") {
        let last = code.lines().last().unwrap();
        let name = match last.find("(*") {
            Some(p) => ident(&last[p + 2..]),
            None => {
                let tail = last
                    .trim_end_matches(';')
                    .split(" ARN_DEPRECATED")
                    .next()
                    .unwrap();
                ident(tail.rsplit([' ', '}']).next().unwrap())
            }
        };
        (name, Kind::Type)
    } else {
        let decl = code.replace("ARN_DEPRECATED(", "");
        let open = decl.find('(').expect("a function declaration");
        let before = decl[..open].trim_end();
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        (before[start..].to_string(), Kind::Function)
    };
    assert!(!name.is_empty(), "no name in:\n{chunk}");
    Item {
        name,
        doc: doc.to_string(),
        code: code.to_string(),
        kind,
    }
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// Whether `name` stands in `code` as a word of its own.
fn uses(code: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(name).any(|(i, _)| {
        !code[..i].chars().next_back().is_some_and(word)
            && !code[i + name.len()..].chars().next().is_some_and(word)
    })
}

/// `header` regrouped: the prologue, then every section with its overview
/// and declarations, then the deprecated spellings, all in one
/// `extern "C"` block.
pub fn arrange(header: &str, deprecated: &[String]) -> String {
    let (prologue, body) = split(header);
    let items = items(&body);
    let last = SECTIONS.len();
    let mut place: Vec<usize> = items
        .iter()
        .map(|it| {
            let is_old = deprecated.contains(&it.name) || it.code.contains("ARN_DEPRECATED(");
            if is_old {
                return last;
            }
            SECTIONS
                .iter()
                .position(|s| s.names.iter().any(|p| matches(p, &it.name)))
                .unwrap_or_else(|| {
                    panic!(
                        "{} has no section: add it to SECTIONS in tests/header/layout.rs",
                        it.name
                    )
                })
        })
        .collect();
    // A type goes up to the first section that uses it, until nothing moves.
    loop {
        let mut moved = false;
        for (t, ty) in items.iter().enumerate() {
            if ty.kind != Kind::Type {
                continue;
            }
            for (u, user) in items.iter().enumerate() {
                if u != t && place[u] < place[t] && uses(&user.code, &ty.name) {
                    place[t] = place[u];
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    let mut out = String::from(prologue);
    out.push('\n');
    out.push_str(OPEN_CXX);
    for s in 0..=last {
        let (title, about) = match SECTIONS.get(s) {
            Some(sec) => (sec.title, sec.about),
            None => (DEPRECATED_TITLE, DEPRECATED_ABOUT),
        };
        let mine: Vec<&Item> = items
            .iter()
            .zip(&place)
            .filter(|&(_, &p)| p == s)
            .map(|(it, _)| it)
            .collect();
        if mine.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&banner(title, about, &mine));
        // cbindgen's order within a section: macros, types, functions.
        for kind in [Kind::Macro, Kind::Type, Kind::Function] {
            for it in mine.iter().filter(|it| it.kind == kind) {
                out.push('\n');
                if !it.doc.is_empty() {
                    out.push_str(&it.doc);
                    out.push('\n');
                }
                out.push_str(&it.code);
                out.push('\n');
            }
        }
    }
    out.push('\n');
    out.push_str(CLOSE_CXX);
    out.push('\n');
    out.push_str(GUARD_END);
    out
}

const RULE: &str = "/* ==========================================================================";
const RULE_END: &str =
    " * ======================================================================== */";
const WIDTH: usize = 78;

/// A section's opening comment: title, what it is, and each function with
/// the first sentence of its documentation.
fn banner(title: &str, about: &str, items: &[&Item]) -> String {
    let mut out = format!("{RULE}\n * {title}\n *\n");
    for line in wrap(about, WIDTH - 3) {
        out.push_str(&format!(" * {line}\n"));
    }
    let functions: Vec<&&Item> = items.iter().filter(|i| i.kind == Kind::Function).collect();
    if !functions.is_empty() {
        out.push_str(" *\n");
        for f in functions {
            let mut lines = wrap(&first_sentence(&f.doc), WIDTH - 12).into_iter();
            out.push_str(&format!(
                " *   {:<6} {}\n",
                f.name,
                lines.next().unwrap_or_default()
            ));
            for line in lines {
                out.push_str(&format!(" *          {line}\n"));
            }
        }
    }
    out.push_str(RULE_END);
    out.push('\n');
    out
}

/// The first sentence of a doc comment, on one line.
fn first_sentence(doc: &str) -> String {
    let text: Vec<&str> = doc
        .lines()
        .map(|l| l.trim().trim_start_matches("/**").trim_start_matches("*/"))
        .map(|l| l.strip_prefix('*').unwrap_or(l).trim())
        .collect();
    let mut words = Vec::new();
    for line in text {
        if line.is_empty() {
            if words.is_empty() {
                continue;
            }
            break;
        }
        for w in line.split_whitespace() {
            words.push(w);
            if w.ends_with('.') && !w.ends_with("e.g.") && !w.ends_with("i.e.") {
                return words.join(" ");
            }
        }
    }
    words.join(" ")
}

/// `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
