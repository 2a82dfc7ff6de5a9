//! Random well-typed program generator (feature `testing`).
//!
//! Meant for property tests here and for differential tests of the MPC
//! executor against [`crate::interp`] in other crates:
//!
//! ```
//! use synod_blind_lang::{compile, Options, testing::{generate, GenConfig}};
//! let g = generate(42, &GenConfig::default());
//! let prog = compile(&g.source, &Options::default()).expect("well-typed by construction");
//! let _outputs = prog.run(&g.inputs).expect("runs");
//! ```
//!
//! Generated programs mix public and secret inputs of every width (scalars
//! and 1-D arrays), nest expressions up to [`GenConfig::max_depth`], use
//! functions, lambdas, `map`/`fold`/`reduce`/`sum`/`dot`, casts, `min`/`max`,
//! multiplexers and (optionally) `reveal`, and draw input values and literals
//! from edge values (0, ±1, min/max of each width, the middle of unsigned
//! ranges), from values on powers of two (`±2^k`, `±2^k ∓ 1`) as well as
//! random ones. Some comparisons are drawn in pairs, an equality test
//! against a power-of-two constant next to an ordering test, so that an
//! executor batching both in one round meets operands whose bounds sit
//! exactly on powers of two. Divisors are always public and guarded against
//! zero, so a generated program never fails at run time.

use std::fmt::Write as _;

use crate::interp::{Inputs, Value};
use crate::mir::{Mir, shape_len};
use crate::types::{ScalarType, Secrecy};

/// Generator knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Maximum expression nesting per `let`.
    pub max_depth: u32,
    /// Maximum number of parties (≥ 1).
    pub max_parties: usize,
    /// Maximum number of inputs.
    pub max_inputs: usize,
    /// Maximum number of top-level `let`s (each is output).
    pub max_lets: usize,
    /// Maximum array length of array inputs.
    pub max_array_len: usize,
    /// Maximum number of helper functions.
    pub max_fns: usize,
    /// Whether `reveal` may appear.
    pub allow_reveal: bool,
    /// Percentage of top-level `let`s that are an equality test against a
    /// power-of-two constant combined with a no-wider ordering test (both
    /// ready in the same round); such pairs also appear nested, at random.
    pub mixed_comparison_percent: u32,
}

impl Default for GenConfig {
    fn default() -> GenConfig {
        GenConfig {
            max_depth: 8,
            max_parties: 3,
            max_inputs: 6,
            max_lets: 5,
            max_array_len: 4,
            max_fns: 2,
            allow_reveal: true,
            mixed_comparison_percent: 12,
        }
    }
}

impl GenConfig {
    /// Small programs whose every top-level `let` pairs an equality test
    /// against a constant at the middle of its operand's range with an
    /// ordering test ready in the same round (see
    /// [`GenConfig::mixed_comparison_percent`]): a focused search for
    /// executors that size a shared comparison round wrongly.
    pub fn mixed_comparisons() -> GenConfig {
        GenConfig {
            max_depth: 2,
            max_lets: 2,
            max_fns: 0,
            allow_reveal: false,
            mixed_comparison_percent: 100,
            ..GenConfig::default()
        }
    }
}

/// A generated program with matching inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedProgram {
    /// The seed it came from.
    pub seed: u64,
    /// Source text.
    pub source: String,
    /// Inputs for every declared input.
    pub inputs: Inputs,
}

/// SplitMix64: tiny deterministic PRNG.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }

    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den.max(1) < num
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        if xs.is_empty() {
            None
        } else {
            xs.get(self.below(xs.len()))
        }
    }
}

/// Edge values of a type: 0, 1, max, max−1; for signed −1, min, min+1;
/// for unsigned the middle of the range, `2^(w-1)` and `2^(w-1) − 1` (the
/// unsigned counterparts of a signed type's min and max).
pub fn edge_values(ty: ScalarType) -> Vec<i128> {
    if ty == ScalarType::Bool {
        return vec![0, 1];
    }
    let mut v = vec![0, 1, ty.max_value(), ty.max_value() - 1];
    if ty.is_signed() {
        v.extend([-1, ty.min_value(), ty.min_value() + 1]);
    } else {
        let half = 1i128 << (ty.bits() - 1);
        v.extend([half, half - 1]);
    }
    v
}

/// A random value of `ty` on a power of two: `2^k`, `2^k − 1`, `−2^k` or
/// `−2^k + 1` for a random `k < w` (wrapped into `ty` when negative and
/// `ty` is unsigned, which lands near `2^w`). Differences against such
/// constants have bounds that end exactly on powers of two, where width
/// computations are off by one if they are wrong.
pub fn pow2_scalar(rng: &mut Rng, ty: ScalarType) -> i128 {
    if ty == ScalarType::Bool {
        return i128::from(rng.chance(1, 2));
    }
    let k = rng.below(ty.bits() as usize) as u32;
    let p = 1i128 << k;
    let v = match rng.below(4) {
        0 => p,
        1 => p - 1,
        2 => -p,
        _ => 1 - p,
    };
    if ty.fits(v) { v } else { ty.wrap(v) }
}

/// Extreme inputs for any MIR program: every element is 0, the minimum or
/// the maximum of its type. Those are the values at which an operand
/// reaches the end points of its bound.
pub fn extreme_inputs(mir: &Mir, rng: &mut Rng) -> Inputs {
    let mut inputs = Inputs::new();
    for decl in &mir.inputs {
        let party = mir
            .parties
            .get(decl.party as usize)
            .cloned()
            .unwrap_or_default();
        let v = extreme_value(rng, decl.ty, &decl.shape);
        inputs
            .entry(party)
            .or_default()
            .insert(decl.name.clone(), v);
    }
    inputs
}

fn extreme_value(rng: &mut Rng, ty: ScalarType, shape: &[u32]) -> Value {
    match shape.split_first() {
        None if ty == ScalarType::Bool => Value::Bool(rng.chance(1, 2)),
        None => {
            let choices = [0, ty.min_value(), ty.max_value()];
            Value::Int(choices[rng.below(choices.len())])
        }
        Some((d, rest)) => Value::Array((0..*d).map(|_| extreme_value(rng, ty, rest)).collect()),
    }
}

/// A random value of `ty`, edge values half of the time.
pub fn random_scalar(rng: &mut Rng, ty: ScalarType) -> i128 {
    if ty == ScalarType::Bool {
        return i128::from(rng.chance(1, 2));
    }
    if rng.chance(1, 2) {
        let e = edge_values(ty);
        e[rng.below(e.len())]
    } else {
        let raw = i128::from(rng.next_u64());
        let small = rng.chance(1, 2);
        ty.wrap(if small { raw % 16 } else { raw })
    }
}

/// Random inputs (edge-value biased) for any MIR program.
pub fn random_inputs(mir: &Mir, rng: &mut Rng) -> Inputs {
    let mut inputs = Inputs::new();
    for decl in &mir.inputs {
        let party = mir
            .parties
            .get(decl.party as usize)
            .cloned()
            .unwrap_or_default();
        let v = random_value(rng, decl.ty, &decl.shape);
        inputs
            .entry(party)
            .or_default()
            .insert(decl.name.clone(), v);
    }
    inputs
}

fn random_value(rng: &mut Rng, ty: ScalarType, shape: &[u32]) -> Value {
    match shape.split_first() {
        None => {
            let v = random_scalar(rng, ty);
            if ty == ScalarType::Bool {
                Value::Bool(v != 0)
            } else {
                Value::Int(v)
            }
        }
        Some((d, rest)) => Value::Array((0..*d).map(|_| random_value(rng, ty, rest)).collect()),
    }
}

#[derive(Clone, Debug)]
enum GTy {
    S(Secrecy, ScalarType),
    A(Secrecy, ScalarType, usize),
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    ty: GTy,
    input: Option<usize>,
}

#[derive(Clone, Debug)]
struct FnSig {
    name: String,
    params: Vec<(Secrecy, ScalarType)>,
    ret: ScalarType,
}

struct Gen<'c> {
    rng: Rng,
    cfg: &'c GenConfig,
    fns: Vec<FnSig>,
    used_inputs: Vec<bool>,
    fresh: u32,
    /// Inside a lambda or function body, or a secret branch: no `reveal`.
    no_reveal: bool,
}

type Env = Vec<Var>;

fn join(a: Secrecy, b: Secrecy) -> Secrecy {
    a.join(b)
}

impl Gen<'_> {
    fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn lit(&mut self, t: ScalarType) -> String {
        if t == ScalarType::Bool {
            return if self.rng.chance(1, 2) {
                "true"
            } else {
                "false"
            }
            .into();
        }
        let v = if self.rng.chance(1, 4) {
            pow2_scalar(&mut self.rng, t)
        } else {
            random_scalar(&mut self.rng, t)
        };
        self.int_lit(t, v)
    }

    fn int_lit(&mut self, t: ScalarType, v: i128) -> String {
        if v >= 0 && self.rng.chance(3, 4) {
            format!("{v}{t}")
        } else if v >= 0 {
            format!("({v} as {t})")
        } else {
            format!("((-{}) as {t})", -v)
        }
    }

    fn mark(&mut self, v: &Var) {
        if let Some(i) = v.input
            && let Some(u) = self.used_inputs.get_mut(i)
        {
            *u = true;
        }
    }

    fn scalar_vars(env: &Env, t: ScalarType, public: bool) -> Vec<Var> {
        env.iter()
            .filter(
                |v| matches!(v.ty, GTy::S(s, ty) if ty == t && (!public || s == Secrecy::Public)),
            )
            .cloned()
            .collect()
    }

    fn array_vars(env: &Env, t: ScalarType, public: bool) -> Vec<Var> {
        env.iter()
            .filter(|v| matches!(v.ty, GTy::A(s, ty, _) if ty == t && (!public || s == Secrecy::Public)))
            .cloned()
            .collect()
    }

    fn leaf(&mut self, t: ScalarType, public: bool, env: &Env) -> (String, Secrecy) {
        let vars = Self::scalar_vars(env, t, public);
        if !vars.is_empty()
            && self.rng.chance(3, 4)
            && let Some(v) = self.rng.pick(&vars).cloned()
        {
            self.mark(&v);
            let s = match v.ty {
                GTy::S(s, _) | GTy::A(s, _, _) => s,
            };
            return (v.name, s);
        }
        // An element of an array variable.
        let arrs = Self::array_vars(env, t, public);
        if !arrs.is_empty()
            && self.rng.chance(1, 2)
            && let Some(v) = self.rng.pick(&arrs).cloned()
            && let GTy::A(s, _, n) = v.ty
            && n > 0
        {
            self.mark(&v);
            let i = self.rng.below(n);
            return (format!("{}[{i}]", v.name), s);
        }
        // Any variable, converted to the wanted type.
        if self.rng.chance(4, 5) {
            let any: Vec<Var> = env
                .iter()
                .filter(|v| match v.ty {
                    GTy::S(s, _) | GTy::A(s, _, _) => !public || s == Secrecy::Public,
                })
                .cloned()
                .collect();
            if let Some(v) = self.rng.pick(&any).cloned() {
                self.mark(&v);
                let (x, s, vt) = match v.ty {
                    GTy::S(s, vt) => (v.name.clone(), s, vt),
                    GTy::A(s, vt, n) => {
                        let i = self.rng.below(n.max(1));
                        (format!("{}[{i}]", v.name), s, vt)
                    }
                };
                let conv = match (vt == ScalarType::Bool, t == ScalarType::Bool) {
                    (_, false) => format!("({x} as {t})"),
                    (true, true) => x,
                    (false, true) => {
                        let op = ["<", "==", "!=", ">="][self.rng.below(4)];
                        let l = self.lit(vt);
                        format!("({x} {op} {l})")
                    }
                };
                return (conv, s);
            }
        }
        (self.lit(t), Secrecy::Public)
    }

    fn int(&mut self, t: ScalarType, public: bool, depth: u32, env: &Env) -> (String, Secrecy) {
        if depth == 0 || self.rng.chance(1, 5) {
            return self.leaf(t, public, env);
        }
        let d = depth - 1;
        match self.rng.below(12) {
            0..=2 => {
                let op = ["+", "-", "*"][self.rng.below(3)];
                let (a, sa) = self.int(t, public, d, env);
                let (b, sb) = self.int(t, public, d, env);
                (format!("({a} {op} {b})"), join(sa, sb))
            }
            3 => {
                let (a, s) = self.int(t, public, d, env);
                (format!("(-{a})"), s)
            }
            4 => {
                let op = if self.rng.chance(1, 2) { "/" } else { "%" };
                let (a, s) = self.int(t, public, d, env);
                let div = if self.rng.chance(1, 2) {
                    let mut v = random_scalar(&mut self.rng, t);
                    if v == 0 {
                        v = 1;
                    }
                    if v > 0 {
                        format!("{v}{t}")
                    } else {
                        format!("((-{}) as {t})", -v)
                    }
                } else {
                    let (p, _) = self.int(t, true, d.min(2), env);
                    format!("(if {p} == 0 then 1 else {p})")
                };
                (format!("({a} {op} {div})"), s)
            }
            5 => {
                // Cast from another type (or bool).
                let from = ScalarType::ALL[self.rng.below(ScalarType::ALL.len())];
                let (a, s) = if from == ScalarType::Bool {
                    self.boolean(public, d, env)
                } else {
                    self.int(from, public, d, env)
                };
                (format!("({a} as {t})"), s)
            }
            6 => {
                let (c, sc) = self.boolean(public, d, env);
                let saved = self.no_reveal;
                self.no_reveal |= sc == Secrecy::Secret;
                let (a, sa) = self.int(t, public, d, env);
                let (b, sb) = self.int(t, public, d, env);
                self.no_reveal = saved;
                (
                    format!("(if {c} then {a} else {b})"),
                    join(sc, join(sa, sb)),
                )
            }
            7 => {
                let f = if self.rng.chance(1, 2) { "min" } else { "max" };
                let (a, sa) = self.int(t, public, d, env);
                let (b, sb) = self.int(t, public, d, env);
                (format!("{f}({a}, {b})"), join(sa, sb))
            }
            8 | 9 => self.array_expr(t, public, d, env),
            10 if !public => {
                let cands: Vec<FnSig> = self.fns.iter().filter(|f| f.ret == t).cloned().collect();
                match self.rng.pick(&cands).cloned() {
                    Some(f) => {
                        let mut args = Vec::new();
                        for (s, pt) in &f.params {
                            let public = *s == Secrecy::Public;
                            let (a, _) = if *pt == ScalarType::Bool {
                                self.boolean(public, d, env)
                            } else {
                                self.int(*pt, public, d, env)
                            };
                            args.push(a);
                        }
                        (format!("{}({})", f.name, args.join(", ")), Secrecy::Secret)
                    }
                    None => self.leaf(t, public, env),
                }
            }
            _ => {
                if self.cfg.allow_reveal && !self.no_reveal {
                    let (a, _) = self.int(t, false, d, env);
                    (format!("reveal({a})"), Secrecy::Public)
                } else {
                    self.leaf(t, public, env)
                }
            }
        }
    }

    fn array_expr(&mut self, t: ScalarType, public: bool, d: u32, env: &Env) -> (String, Secrecy) {
        let arrs = Self::array_vars(env, t, public);
        let Some(v) = self.rng.pick(&arrs).cloned() else {
            return self.leaf(t, public, env);
        };
        self.mark(&v);
        let GTy::A(s, _, n) = v.ty else {
            return self.leaf(t, public, env);
        };
        let saved = self.no_reveal;
        self.no_reveal = true;
        let r = match self.rng.below(5) {
            0 => (format!("sum({})", v.name), s),
            1 => {
                let others: Vec<Var> = arrs
                    .iter()
                    .filter(|w| matches!(w.ty, GTy::A(_, _, m) if m == n))
                    .cloned()
                    .collect();
                let w = self.rng.pick(&others).cloned().unwrap_or_else(|| v.clone());
                self.mark(&w);
                let sw = match w.ty {
                    GTy::A(s, _, _) | GTy::S(s, _) => s,
                };
                (format!("dot({}, {})", v.name, w.name), join(s, sw))
            }
            2 => {
                let acc = self.fresh("acc");
                let x = self.fresh("x");
                let mut inner = env.clone();
                inner.push(Var {
                    name: acc.clone(),
                    ty: GTy::S(Secrecy::Secret, t),
                    input: None,
                });
                inner.push(Var {
                    name: x.clone(),
                    ty: GTy::S(s, t),
                    input: None,
                });
                // The accumulator may be secret: only allowed if not public.
                if public {
                    (
                        format!(
                            "fold({}, {}, |{acc}, {x}| {acc} + {x})",
                            v.name,
                            self.lit(t)
                        ),
                        s,
                    )
                } else {
                    let (body, _) = self.int(t, false, d.min(3), &inner);
                    (
                        format!("fold({}, {}, |{acc}, {x}| {body})", v.name, self.lit(t)),
                        Secrecy::Secret,
                    )
                }
            }
            3 => {
                let f = if self.rng.chance(1, 2) { "min" } else { "max" };
                let a = self.fresh("a");
                let b = self.fresh("b");
                (format!("reduce({}, |{a}, {b}| {f}({a}, {b}))", v.name), s)
            }
            _ => {
                let x = self.fresh("x");
                let mut inner = env.clone();
                inner.push(Var {
                    name: x.clone(),
                    ty: GTy::S(s, t),
                    input: None,
                });
                let (body, sb) = self.int(t, public, d.min(3), &inner);
                (format!("sum(map({}, |{x}| {body}))", v.name), join(s, sb))
            }
        };
        self.no_reveal = saved;
        r
    }

    fn boolean(&mut self, public: bool, depth: u32, env: &Env) -> (String, Secrecy) {
        if depth == 0 || self.rng.chance(1, 6) {
            let (x, s) = self.leaf(ScalarType::Bool, public, env);
            return (x, s);
        }
        let d = depth - 1;
        match self.rng.below(8) {
            0..=2 => {
                let t = ScalarType::INTS[self.rng.below(ScalarType::INTS.len())];
                let op = ["<", "<=", ">", ">=", "==", "!="][self.rng.below(6)];
                let (a, sa) = self.int(t, public, d, env);
                let (b, sb) = self.int(t, public, d, env);
                (format!("({a} {op} {b})"), join(sa, sb))
            }
            3 => {
                let op = ["and", "or", "==", "!="][self.rng.below(4)];
                let (a, sa) = self.boolean(public, d, env);
                let (b, sb) = self.boolean(public, d, env);
                (format!("({a} {op} {b})"), join(sa, sb))
            }
            4 => {
                let (a, s) = self.boolean(public, d, env);
                (format!("(not {a})"), s)
            }
            5 => {
                let (c, sc) = self.boolean(public, d, env);
                let saved = self.no_reveal;
                self.no_reveal |= sc == Secrecy::Secret;
                let (a, sa) = self.boolean(public, d, env);
                let (b, sb) = self.boolean(public, d, env);
                self.no_reveal = saved;
                (
                    format!("(if {c} then {a} else {b})"),
                    join(sc, join(sa, sb)),
                )
            }
            6 => self.mixed_comparisons(public, env),
            _ => {
                if self.cfg.allow_reveal && !self.no_reveal {
                    let (a, _) = self.boolean(false, d, env);
                    (format!("reveal({a})"), Secrecy::Public)
                } else {
                    self.leaf(ScalarType::Bool, public, env)
                }
            }
        }
    }
}

impl Gen<'_> {
    /// An integer variable (or array element) of at most `max_bits` bits,
    /// secret where possible unless `public`, sometimes widened by a cast
    /// (which keeps its bound, now strictly inside the wider type). Returns
    /// the expression, its secrecy, its type and the variable's own type.
    fn comparand(
        &mut self,
        public: bool,
        max_bits: u32,
        env: &Env,
    ) -> Option<(String, Secrecy, ScalarType, ScalarType)> {
        let all: Vec<Var> = env
            .iter()
            .filter(|v| match v.ty {
                GTy::S(s, vt) => {
                    vt != ScalarType::Bool
                        && vt.bits() <= max_bits
                        && (!public || s == Secrecy::Public)
                }
                GTy::A(s, vt, n) => {
                    vt != ScalarType::Bool
                        && vt.bits() <= max_bits
                        && n > 0
                        && (!public || s == Secrecy::Public)
                }
            })
            .cloned()
            .collect();
        // Public comparisons are evaluated in the clear: prefer secrets.
        let secret: Vec<Var> = all
            .iter()
            .filter(|v| {
                matches!(
                    v.ty,
                    GTy::S(Secrecy::Secret, _) | GTy::A(Secrecy::Secret, _, _)
                )
            })
            .cloned()
            .collect();
        let pool = if !secret.is_empty() && self.rng.chance(9, 10) {
            secret
        } else {
            all
        };
        let v = self.rng.pick(&pool).cloned()?;
        self.mark(&v);
        let (x, s, vt) = match v.ty {
            GTy::S(s, vt) => (v.name.clone(), s, vt),
            GTy::A(s, vt, n) => {
                let i = self.rng.below(n.max(1));
                (format!("{}[{i}]", v.name), s, vt)
            }
        };
        let wider: Vec<ScalarType> = ScalarType::INTS
            .iter()
            .copied()
            .filter(|t| t.bits() > vt.bits() && t.bits() <= max_bits)
            .filter(|t| t.is_signed() || !vt.is_signed())
            .collect();
        if self.rng.chance(1, 3)
            && let Some(t) = self.rng.pick(&wider).copied()
        {
            return Some((format!("({x} as {t})"), s, t, vt));
        }
        Some((x, s, vt, vt))
    }

    /// An equality test against a constant at the middle of its operand's
    /// range (or another power of two) and an ordering test no wider than
    /// it, combined so both are ready in the same round: an executor that
    /// batches them into one comparison call must size it for both. With
    /// `c` the middle, `x - c` spans exactly `[-2^(w-1), 2^(w-1))` (and
    /// with `c` one below, its mirror), so the difference's negation needs
    /// one more bit than the difference itself.
    fn mixed_comparisons(&mut self, public: bool, env: &Env) -> (String, Secrecy) {
        let Some((x, sx, t, vt)) = self.comparand(public, 64, env) else {
            return self.leaf(ScalarType::Bool, public, env);
        };
        let mid = if vt.is_signed() {
            0
        } else {
            1i128 << (vt.bits() - 1)
        };
        let c = match self.rng.below(8) {
            0..=2 => mid,
            3..=5 => mid - 1,
            _ => pow2_scalar(&mut self.rng, t),
        };
        let c = self.int_lit(t, c);
        let eq_op = if self.rng.chance(1, 2) { "==" } else { "!=" };
        let eq = if self.rng.chance(1, 2) {
            format!("({x} {eq_op} {c})")
        } else {
            format!("({c} {eq_op} {x})")
        };
        // A wider ordering test would widen a shared batch enough to hide
        // an off-by-one width: test a strictly narrower comparand against
        // a constant, or `x` itself against the middle of its range (which
        // needs exactly `vt`'s bits).
        let narrower = if vt.bits() > 8 && self.rng.chance(1, 2) {
            self.comparand(public, vt.bits() / 2, env)
        } else {
            None
        };
        let (ord, so) = match narrower {
            Some((a, sa, u, _)) => {
                let op = ["<", "<=", ">", ">="][self.rng.below(4)];
                let b = self.lit(u);
                (format!("({a} {op} {b})"), sa)
            }
            None => {
                let m = self.int_lit(t, mid);
                let ord = match self.rng.below(4) {
                    0 => format!("({x} < {m})"),
                    1 => format!("({x} >= {m})"),
                    2 => format!("({m} > {x})"),
                    _ => format!("({m} <= {x})"),
                };
                (ord, sx)
            }
        };
        let join_op = ["and", "or", "==", "!="][self.rng.below(4)];
        let (l, r) = if self.rng.chance(1, 2) {
            (eq, ord)
        } else {
            (ord, eq)
        };
        (format!("({l} {join_op} {r})"), join(sx, so))
    }
}

/// Generate a program from `seed`.
pub fn generate(seed: u64, cfg: &GenConfig) -> GeneratedProgram {
    let mut g = Gen {
        rng: Rng::new(seed),
        cfg,
        fns: Vec::new(),
        used_inputs: Vec::new(),
        fresh: 0,
        no_reveal: false,
    };
    let mut src = String::new();
    let n_parties = 1 + g.rng.below(cfg.max_parties.max(1));
    let parties: Vec<String> = (0..n_parties).map(|i| format!("P{i}")).collect();
    for p in &parties {
        let _ = writeln!(src, "party {p};");
    }
    // Inputs: at least one per party.
    let n_inputs = n_parties.max(1 + g.rng.below(cfg.max_inputs.max(1)));
    let mut env: Env = Vec::new();
    let mut input_party = Vec::new();
    for i in 0..n_inputs {
        let party = if i < n_parties {
            i
        } else {
            g.rng.below(n_parties)
        };
        let t = ScalarType::ALL[g.rng.below(ScalarType::ALL.len())];
        let s = if g.rng.chance(2, 3) {
            Secrecy::Secret
        } else {
            Secrecy::Public
        };
        let name = format!("in{i}");
        let is_array = t != ScalarType::Bool && g.rng.chance(1, 3);
        let ty = if is_array {
            let n = 1 + g.rng.below(cfg.max_array_len.max(1));
            let _ = writeln!(src, "input {name}: [{s} {t}; {n}] from {};", parties[party]);
            GTy::A(s, t, n)
        } else {
            let _ = writeln!(src, "input {name}: {s} {t} from {};", parties[party]);
            GTy::S(s, t)
        };
        env.push(Var {
            name,
            ty,
            input: Some(i),
        });
        input_party.push(party);
    }
    g.used_inputs = vec![false; n_inputs];
    // Helper functions (see only their parameters).
    let n_fns = g.rng.below(cfg.max_fns + 1);
    for k in 0..n_fns {
        let ret = ScalarType::INTS[g.rng.below(ScalarType::INTS.len())];
        let n_params = 1 + g.rng.below(3);
        let mut params = Vec::new();
        let mut fenv: Env = Vec::new();
        let mut sig = Vec::new();
        for j in 0..n_params {
            let s = if g.rng.chance(2, 3) {
                Secrecy::Secret
            } else {
                Secrecy::Public
            };
            let t = if g.rng.chance(2, 3) {
                ret
            } else {
                ScalarType::ALL[g.rng.below(ScalarType::ALL.len())]
            };
            params.push(format!("p{j}: {s} {t}"));
            fenv.push(Var {
                name: format!("p{j}"),
                ty: GTy::S(s, t),
                input: None,
            });
            sig.push((s, t));
        }
        g.no_reveal = true;
        let (l, _) = g.int(ret, false, cfg.max_depth.min(4), &fenv);
        fenv.push(Var {
            name: "q".into(),
            ty: GTy::S(Secrecy::Secret, ret),
            input: None,
        });
        let (body, _) = g.int(ret, false, cfg.max_depth.min(4), &fenv);
        g.no_reveal = false;
        let name = format!("f{k}");
        let _ = writeln!(
            src,
            "fn {name}({}) -> secret {ret} {{\n    let q: secret {ret} = {l};\n    {body}\n}}",
            params.join(", ")
        );
        g.fns.push(FnSig {
            name,
            params: sig,
            ret,
        });
    }
    // Lets, each output to a random party.
    let n_lets = 1 + g.rng.below(cfg.max_lets.max(1));
    let mut outputs = Vec::new();
    let mixed = u64::from(cfg.mixed_comparison_percent.min(100));
    for k in 0..n_lets {
        let name = format!("v{k}");
        let depth = 1 + g.rng.below(cfg.max_depth.max(1) as usize) as u32;
        let (e, s, ty) = if g.rng.chance(mixed, 100) {
            let (e, s) = g.mixed_comparisons(false, &env);
            (e, s, ScalarType::Bool)
        } else if g.rng.chance(1, 4) {
            let (e, s) = g.boolean(false, depth, &env);
            (e, s, ScalarType::Bool)
        } else {
            let t = ScalarType::INTS[g.rng.below(ScalarType::INTS.len())];
            let (e, s) = g.int(t, false, depth, &env);
            (e, s, t)
        };
        let _ = writeln!(src, "let {name}: secret {ty} = {e};");
        let _ = s;
        env.push(Var {
            name: name.clone(),
            ty: GTy::S(Secrecy::Secret, ty),
            input: None,
        });
        let party = &parties[g.rng.below(n_parties)];
        outputs.push(format!("output o{k} = {name} to {party};"));
    }
    for (i, used) in g.used_inputs.clone().iter().enumerate() {
        if !used {
            let party = &parties[input_party[i]];
            outputs.push(format!("output u{i} = in{i} to {party};"));
        }
    }
    for o in outputs {
        let _ = writeln!(src, "{o}");
    }
    // Input values.
    let mut inputs = Inputs::new();
    for v in &env {
        let Some(i) = v.input else { continue };
        let party = parties[input_party[i]].clone();
        let value = match v.ty {
            GTy::S(_, t) => random_value(&mut g.rng, t, &[]),
            GTy::A(_, t, n) => random_value(&mut g.rng, t, &[n as u32]),
        };
        inputs
            .entry(party)
            .or_default()
            .insert(v.name.clone(), value);
    }
    GeneratedProgram {
        seed,
        source: src,
        inputs,
    }
}

/// Elements of an input shape (re-exported helper for executors' tests).
pub fn elements(shape: &[u32]) -> u32 {
    shape_len(shape).unwrap_or(0)
}

/// proptest strategy over generated programs.
pub fn arb_program(cfg: GenConfig) -> impl proptest::strategy::Strategy<Value = GeneratedProgram> {
    use proptest::strategy::Strategy as _;
    proptest::prelude::any::<u64>().prop_map(move |seed| generate(seed, &cfg))
}
