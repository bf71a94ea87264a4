//! The crate's module graph has no import cycles.
//!
//! Starting at `src/lib.rs`, every module (file or inline, test-only modules left out) is
//! parsed with `syn`, and every path it names (`use` trees, types, expressions) is resolved to
//! the module it points into (`crate::`, `super::`, `self::`, or a child module's name). A
//! reference from module `a::x` to `b::y` is an edge between the two modules under their
//! lowest common parent (`a -> b`); references between a module and its own ancestors or
//! descendants are not edges (a parent declares its children; a child may use its parent's
//! types). The test fails on any cycle among siblings, naming a file and line for each edge of
//! it, so "no module imports one that imports it back" holds at every level of the tree.
//!
//! Paths inside macro invocations (`tracing::info!(...)`, `format!`) are not seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

type ModPath = Vec<String>;

/// Where a reference was written.
#[derive(Clone, Debug)]
struct Site {
    file: PathBuf,
    line: usize,
}

struct Crate {
    /// Every module, with the file it lives in.
    modules: BTreeMap<ModPath, PathBuf>,
    /// (from module, absolute path named, site)
    refs: Vec<(ModPath, Vec<String>, Site)>,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .map(|l| l.tokens.to_string().contains("test"))
                .unwrap_or(false)
    })
}

fn load(krate: &mut Crate, module: ModPath, file: &Path, items: &[syn::Item], dir: &Path) {
    krate.modules.insert(module.clone(), file.to_path_buf());
    let mut v = Refs {
        module: module.clone(),
        file: file.to_path_buf(),
        out: Vec::new(),
    };
    for item in items {
        match item {
            syn::Item::Mod(m) if is_cfg_test(&m.attrs) => {}
            syn::Item::Mod(m) => {
                let mut child = module.clone();
                child.push(m.ident.to_string());
                let child_dir = dir.join(m.ident.to_string());
                match &m.content {
                    Some((_, inner)) => load(krate, child, file, inner, &child_dir),
                    None => {
                        let flat = dir.join(format!("{}.rs", m.ident));
                        let nested = child_dir.join("mod.rs");
                        let path = if flat.exists() { flat } else { nested };
                        let text = std::fs::read_to_string(&path)
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                        let parsed = syn::parse_file(&text)
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                        load(krate, child, &path, &parsed.items, &child_dir);
                    }
                }
            }
            other => v.visit_item(other),
        }
    }
    krate.refs.extend(v.out);
}

/// Collects the paths one module names (not descending into child modules).
struct Refs {
    module: ModPath,
    file: PathBuf,
    out: Vec<(ModPath, Vec<String>, Site)>,
}

impl Refs {
    fn push(&mut self, segments: Vec<String>, line: usize) {
        self.out.push((
            self.module.clone(),
            segments,
            Site {
                file: self.file.clone(),
                line,
            },
        ));
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut s = prefix.clone();
                if n.ident != "self" {
                    s.push(n.ident.to_string());
                }
                self.push(s, n.ident.span().start().line);
            }
            syn::UseTree::Rename(r) => {
                let mut s = prefix.clone();
                if r.ident != "self" {
                    s.push(r.ident.to_string());
                }
                self.push(s, r.ident.span().start().line);
            }
            syn::UseTree::Glob(g) => {
                self.push(prefix.clone(), g.star_token.spans[0].start().line);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Refs {
    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // Child modules are loaded on their own.
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.segments.len() > 1 {
            let segments = p.segments.iter().map(|s| s.ident.to_string()).collect();
            let line = p
                .segments
                .first()
                .map_or(0, |s| s.ident.span().start().line);
            self.push(segments, line);
        }
        syn::visit::visit_path(self, p);
    }
}

/// The module a path written in `from` points into, if it is one of the crate's.
fn resolve(krate: &Crate, from: &ModPath, path: &[String]) -> Option<ModPath> {
    let mut abs: ModPath = match path.first().map(String::as_str) {
        Some("crate") => path[1..].to_vec(),
        Some("self") => from
            .iter()
            .cloned()
            .chain(path[1..].iter().cloned())
            .collect(),
        Some("super") => {
            let mut base = from.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
            base.into_iter().chain(rest.iter().cloned()).collect()
        }
        Some(first) => {
            let mut child = from.clone();
            child.push(first.to_string());
            if !krate.modules.contains_key(&child) {
                return None;
            }
            from.iter().cloned().chain(path.iter().cloned()).collect()
        }
        None => return None,
    };
    while !krate.modules.contains_key(&abs) {
        abs.pop()?;
    }
    Some(abs)
}

/// Cycles among the children of each module, as lists of module paths.
fn cycles(edges: &BTreeMap<(ModPath, ModPath), Site>) -> Vec<Vec<ModPath>> {
    let mut graph: BTreeMap<&ModPath, BTreeSet<&ModPath>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        graph.entry(a).or_default().insert(b);
    }
    // Tarjan's strongly connected components.
    struct State<'a> {
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(
        v: &'a ModPath,
        graph: &BTreeMap<&'a ModPath, BTreeSet<&'a ModPath>>,
        s: &mut State<'a>,
    ) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(w, graph, s);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    let nodes: Vec<&ModPath> = graph.keys().copied().collect();
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(v, &graph, &mut s);
        }
    }
    s.out
}

fn sibling_edges(krate: &Crate) -> BTreeMap<(ModPath, ModPath), Site> {
    let mut edges = BTreeMap::new();
    for (from, path, site) in &krate.refs {
        let Some(to) = resolve(krate, from, path) else {
            continue;
        };
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue; // the same module, an ancestor or a descendant
        }
        let a = from[..=common].to_vec();
        let b = to[..=common].to_vec();
        edges.entry((a, b)).or_insert_with(|| site.clone());
    }
    edges
}

fn load_crate(root: &Path) -> Crate {
    let lib = root.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).expect("src/lib.rs");
    let parsed = syn::parse_file(&text).expect("src/lib.rs parses");
    let mut krate = Crate {
        modules: BTreeMap::new(),
        refs: Vec::new(),
    };
    load(
        &mut krate,
        Vec::new(),
        &lib,
        &parsed.items,
        &root.join("src"),
    );
    krate
}

fn show(m: &ModPath) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let krate = load_crate(root);
    assert!(
        krate.modules.len() > 30,
        "found only {} modules",
        krate.modules.len()
    );
    let edges = sibling_edges(&krate);
    let found = cycles(&edges);
    let mut report = String::new();
    for cycle in &found {
        report.push_str(&format!(
            "cycle: {}\n",
            cycle.iter().map(show).collect::<Vec<_>>().join(" <-> ")
        ));
        for a in cycle {
            for b in cycle {
                if let Some(site) = edges.get(&(a.clone(), b.clone())) {
                    let file = site.file.strip_prefix(root).unwrap_or(&site.file);
                    report.push_str(&format!(
                        "  {} -> {} at {}:{}\n",
                        show(a),
                        show(b),
                        file.display(),
                        site.line
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "import cycles between modules:\n{report}");
}

/// The check itself sees a cycle when there is one.
#[test]
fn the_check_finds_a_planted_cycle() {
    let parse = |s: &str| syn::parse_file(s).expect("parses").items;
    let mut krate = Crate {
        modules: BTreeMap::new(),
        refs: Vec::new(),
    };
    let dir = Path::new("/nonexistent");
    let items = parse(
        "mod a { use crate::b::Y; pub struct X; mod inner { fn f() -> super::super::c::Z { todo!() } } }
         mod b { pub struct Y(crate::a::X); }
         mod c { pub struct Z; fn g() -> super::a::X { todo!() } }
         mod d { use crate::c::Z; }",
    );
    load(&mut krate, Vec::new(), Path::new("lib.rs"), &items, dir);
    let edges = sibling_edges(&krate);
    let found = cycles(&edges);
    let names: Vec<Vec<String>> = found.iter().map(|c| c.iter().map(show).collect()).collect();
    // a <-> b directly, and a -> c (from a::inner) -> a: one component {a, b, c}; d is outside.
    assert_eq!(names, vec![vec!["a", "b", "c"]]);
}
