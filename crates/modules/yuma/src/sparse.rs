//! Compressed sparse rows with sorted, unique column indices.
//!
//! Every operation is `O(rows + columns + nnz)`; nothing densifies a row.
//! Subtensor densifies rows in a few places (EMA, interpolation, liquid alpha);
//! the sorted merges here produce the same entries in the same order.

use crate::fixed::{Divisor, FastMul, Fx, ZERO, safe_div, sat_sum};
use crate::types::{Matrix, SparseRow, YumaError};

/// A CSR matrix of [`Fx`] values. Rows are sorted by column and have no duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Csr {
    offsets: Vec<usize>,
    cols: Vec<u16>,
    vals: Vec<Fx>,
}

/// Buffers of dropped matrices, kept for the next ones on this thread.
///
/// A dense 4096-UID epoch builds two matrices of about 10 MB each. Freed, they go
/// back to the operating system (glibc unmaps or trims blocks that large), and
/// the next epoch pays a page fault for every 4 KiB of them: a quarter of its
/// CPU time. Epochs run back to back on the same threads, so keeping a few
/// buffers makes the steady state fault-free. Bounded: at most [`POOL_SLOTS`]
/// buffer sets, none above [`POOL_MAX_BYTES`]. Contents never leak into results:
/// buffers are cleared before reuse.
struct Buffers {
    offsets: Vec<usize>,
    cols: Vec<u16>,
    vals: Vec<Fx>,
}

const POOL_SLOTS: usize = 4;
const POOL_MAX_BYTES: usize = 64 << 20;

thread_local! {
    static POOL: std::cell::RefCell<Vec<Buffers>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn take_buffers(rows: usize, nnz: usize) -> Buffers {
    let reused = POOL
        .try_with(|p| {
            let mut p = p.borrow_mut();
            // The smallest set that fits without growing, else the largest.
            let fit = (0..p.len())
                .filter(|&k| p[k].vals.capacity() >= nnz)
                .min_by_key(|&k| p[k].vals.capacity())
                .or_else(|| (0..p.len()).max_by_key(|&k| p[k].vals.capacity()));
            fit.map(|k| p.swap_remove(k))
        })
        .ok()
        .flatten();
    let mut b = reused.unwrap_or(Buffers {
        offsets: Vec::new(),
        cols: Vec::new(),
        vals: Vec::new(),
    });
    b.offsets.clear();
    b.cols.clear();
    b.vals.clear();
    b.offsets.reserve(rows + 1);
    b.cols.reserve(nnz);
    b.vals.reserve(nnz);
    b
}

impl Drop for Csr {
    fn drop(&mut self) {
        let bytes = self.vals.capacity() * std::mem::size_of::<Fx>()
            + self.cols.capacity() * 2
            + self.offsets.capacity() * std::mem::size_of::<usize>();
        if bytes == 0 || bytes > POOL_MAX_BYTES {
            return;
        }
        let b = Buffers {
            offsets: std::mem::take(&mut self.offsets),
            cols: std::mem::take(&mut self.cols),
            vals: std::mem::take(&mut self.vals),
        };
        // During thread teardown the pool may be gone; then the buffers are simply freed.
        let _ = POOL.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut()
                && p.len() < POOL_SLOTS
            {
                p.push(b);
            }
        });
    }
}

/// Incremental CSR construction, one row at a time.
pub(crate) struct CsrBuilder {
    m: Csr,
}

impl CsrBuilder {
    pub(crate) fn with_capacity(rows: usize, nnz: usize) -> Self {
        let Buffers {
            mut offsets,
            cols,
            vals,
        } = take_buffers(rows, nnz);
        offsets.push(0);
        Self {
            m: Csr {
                offsets,
                cols,
                vals,
            },
        }
    }

    /// Appends an entry to the current row; columns must arrive in increasing order.
    pub(crate) fn push(&mut self, col: u16, val: Fx) {
        self.m.cols.push(col);
        self.m.vals.push(val);
    }

    pub(crate) fn end_row(&mut self) {
        self.m.offsets.push(self.m.cols.len());
    }

    pub(crate) fn finish(self) -> Csr {
        self.m
    }
}

impl Csr {
    /// Loads stored u16 rows: drops columns `>= n`, sorts, rejects duplicates
    /// (before any masking), keeps the entries of row `i` for which
    /// `row_filter(i)(col)` holds,
    /// pads missing trailing rows with empty ones, and, if `normalize_rows`,
    /// divides each row by its sum when that is positive (one pass, row in cache).
    pub(crate) fn from_input<K>(
        rows: &[SparseRow],
        n: usize,
        matrix: Matrix,
        convert: impl Fn(u16) -> Fx,
        mut row_filter: impl FnMut(usize) -> K,
        normalize_rows: bool,
    ) -> Result<Self, YumaError>
    where
        K: FnMut(usize) -> bool,
    {
        if rows.len() > n {
            return Err(YumaError::TooManyRows {
                matrix,
                rows: rows.len(),
                neurons: n,
            });
        }
        let nnz: usize = rows.iter().map(Vec::len).sum();
        let mut b = CsrBuilder::with_capacity(n, nnz);
        let mut scratch: Vec<(u16, u16)> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let start = b.m.vals.len();
            let mut keep = row_filter(i);
            // Fast path: rows as the chain stores them (strictly increasing, in range),
            // checked while loading; anything else is undone and takes the slow path.
            let mut prev: Option<u16> = None;
            let mut canonical = true;
            for &(j, v) in row {
                if prev.is_some_and(|p| p >= j) || usize::from(j) >= n {
                    canonical = false;
                    break;
                }
                prev = Some(j);
                if keep(usize::from(j)) {
                    b.push(j, convert(v));
                }
            }
            if !canonical {
                b.m.cols.truncate(start);
                b.m.vals.truncate(start);
                scratch.clear();
                scratch.extend(row.iter().copied().filter(|&(j, _)| usize::from(j) < n));
                scratch.sort_unstable_by_key(|&(j, _)| j);
                if let Some(w) = scratch.windows(2).find(|w| w[0].0 == w[1].0) {
                    return Err(YumaError::DuplicateEntry {
                        matrix,
                        row: i,
                        uid: w[0].0,
                    });
                }
                let mut keep = row_filter(i);
                for &(j, v) in &scratch {
                    if keep(usize::from(j)) {
                        b.push(j, convert(v));
                    }
                }
            }
            if normalize_rows {
                let row = &mut b.m.vals[start..];
                if let Some(d) = Divisor::new(sat_sum(row.iter().copied())) {
                    row.iter_mut().for_each(|v| *v = d.div(*v));
                }
            }
            b.end_row();
        }
        for _ in rows.len()..n {
            b.end_row();
        }
        Ok(b.finish())
    }

    /// Saturating column sums over `n` columns.
    pub(crate) fn col_sums(&self, n: usize) -> Vec<Fx> {
        let mut sums = vec![ZERO; n];
        for (&j, &v) in self.cols.iter().zip(&self.vals) {
            let s = &mut sums[usize::from(j)];
            *s = s.sadd(v);
        }
        sums
    }

    pub(crate) fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub(crate) fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// Row `i` as parallel column and value slices.
    pub(crate) fn row(&self, i: usize) -> (&[u16], &[Fx]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        (&self.cols[a..b], &self.vals[a..b])
    }

    /// Divides each entry by its column sum when that sum is non-zero.
    pub(crate) fn col_normalize(&mut self, n: usize) {
        let mut sums = vec![ZERO; n];
        for (&j, &v) in self.cols.iter().zip(&self.vals) {
            let s = &mut sums[usize::from(j)];
            *s = s.sadd(v);
        }
        let divisors: Vec<Option<Divisor>> = sums.iter().map(|&s| Divisor::new(s)).collect();
        for (&j, v) in self.cols.iter().zip(self.vals.iter_mut()) {
            let s = sums[usize::from(j)];
            if let Some(d) = divisors[usize::from(j)] {
                *v = d.div(*v);
            } else if s != ZERO {
                *v = safe_div(*v, s);
            }
        }
    }

    /// Divides each entry by its column maximum when that maximum is non-zero.
    pub(crate) fn col_max_upscale(&mut self, n: usize) {
        let mut maxes = vec![ZERO; n];
        for (&j, &v) in self.cols.iter().zip(&self.vals) {
            let m = &mut maxes[usize::from(j)];
            if *m < v {
                *m = v;
            }
        }
        for (&j, v) in self.cols.iter().zip(self.vals.iter_mut()) {
            let m = maxes[usize::from(j)];
            if m != ZERO {
                *v = safe_div(*v, m);
            }
        }
    }

    /// `out_i = Σ_j v_j · m_ij` (subtensor's `matmul_transpose_sparse`).
    pub(crate) fn weighted_row_sums(&self, v: &[Fx]) -> Vec<Fx> {
        (0..self.rows())
            .map(|i| {
                let (cols, vals) = self.row(i);
                sat_sum(
                    cols.iter()
                        .zip(vals)
                        .map(|(&j, &m)| v[usize::from(j)].smul(m)),
                )
            })
            .collect()
    }

    /// Iterates `(row, col, value)` over the non-zero pattern.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, u16, Fx)> + '_ {
        (0..self.rows()).flat_map(move |i| {
            let (c, v) = self.row(i);
            c.iter().zip(v).map(move |(&j, &x)| (i, j, x))
        })
    }
}

/// Walks two sorted rows together, calling `f(col, a, b)` once per column that
/// appears in either, in increasing column order.
pub(crate) fn merge_rows(
    (ac, av): (&[u16], &[Fx]),
    (bc, bv): (&[u16], &[Fx]),
    mut f: impl FnMut(u16, Option<Fx>, Option<Fx>),
) {
    let (mut x, mut y) = (0usize, 0usize);
    while x < ac.len() || y < bc.len() {
        match (ac.get(x), bc.get(y)) {
            (Some(&ja), Some(&jb)) if ja == jb => {
                f(ja, Some(av[x]), Some(bv[y]));
                x += 1;
                y += 1;
            }
            (Some(&ja), Some(&jb)) if ja < jb => {
                f(ja, Some(av[x]), None);
                x += 1;
            }
            (Some(&ja), None) => {
                f(ja, Some(av[x]), None);
                x += 1;
            }
            (_, Some(&jb)) => {
                f(jb, None, Some(bv[y]));
                y += 1;
            }
            (None, None) => break,
        }
    }
}

/// Like [`merge_rows`], with both rows given as iterators of `(col, value)` in
/// increasing column order.
pub(crate) fn merge_iters(
    a: impl Iterator<Item = (u16, Fx)>,
    b: impl Iterator<Item = (u16, Fx)>,
    mut f: impl FnMut(u16, Option<Fx>, Option<Fx>),
) {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (Some((ja, x)), Some((jb, y))) => {
                if ja == jb {
                    f(ja, Some(x), Some(y));
                    a.next();
                    b.next();
                } else if ja < jb {
                    f(ja, Some(x), None);
                    a.next();
                } else {
                    f(jb, None, Some(y));
                    b.next();
                }
            }
            (Some((ja, x)), None) => {
                f(ja, Some(x), None);
                a.next();
            }
            (None, Some((jb, y))) => {
                f(jb, None, Some(y));
                b.next();
            }
            (None, None) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(x: u16) -> Fx {
        Fx::from_num(x)
    }

    #[test]
    fn load_filters_sorts_and_rejects_duplicates() {
        let rows = vec![vec![(3, 1), (9, 5), (0, 2)], vec![]];
        let m = Csr::from_input(&rows, 4, Matrix::Weights, fx, |_| |_| true, false).expect("valid");
        assert_eq!(m.rows(), 4);
        assert_eq!(m.row(0).0, &[0, 3]);
        assert_eq!(m.row(0).1, &[fx(2), fx(1)]);
        assert!(m.row(3).0.is_empty());

        let dup = vec![vec![(1, 1), (1, 2)]];
        assert_eq!(
            Csr::from_input(&dup, 2, Matrix::Bonds, fx, |_| |_| true, false),
            Err(YumaError::DuplicateEntry {
                matrix: Matrix::Bonds,
                row: 0,
                uid: 1
            })
        );
        assert!(matches!(
            Csr::from_input(
                &[vec![], vec![]],
                1,
                Matrix::Weights,
                fx,
                |_| |_| true,
                false
            ),
            Err(YumaError::TooManyRows { .. })
        ));
    }

    #[test]
    fn merge_visits_union_in_order() {
        let (av, bv) = ([fx(1), fx(4), fx(6)], [fx(10), fx(40), fx(70)]);
        let a = ([1u16, 4, 6].as_slice(), av.as_slice());
        let b = ([0u16, 4, 7].as_slice(), bv.as_slice());
        let mut seen = Vec::new();
        merge_rows(a, b, |j, x, y| seen.push((j, x.is_some(), y.is_some())));
        assert_eq!(
            seen,
            vec![
                (0, false, true),
                (1, true, false),
                (4, true, true),
                (6, true, false),
                (7, false, true)
            ]
        );
    }

    #[test]
    fn column_ops() {
        let rows = vec![vec![(0, 1), (1, 3)], vec![(0, 3)]];
        let mut m =
            Csr::from_input(&rows, 2, Matrix::Weights, fx, |_| |_| true, false).expect("valid");
        let mut up = m.clone();
        m.col_normalize(2);
        let e: Vec<_> = m.entries().collect();
        assert_eq!(e[0].2, Fx::from_num(0.25));
        assert_eq!(e[1].2, Fx::from_num(1));
        assert_eq!(e[2].2, Fx::from_num(0.75));
        up.col_max_upscale(2);
        let e: Vec<_> = up.entries().map(|x| x.2).collect();
        assert_eq!(e[1], Fx::from_num(1));
        assert_eq!(e[2], Fx::from_num(1));
    }
}
