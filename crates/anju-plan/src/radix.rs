//! A monotone priority queue for the solver's Dijkstra searches.

/// Radix heap over non-negative `i64` keys. Dijkstra never pushes a key below the last one
/// popped, so an entry only ever moves to a lower bucket and each push and pop is cheap
/// where a binary heap pays a logarithm of sift steps.
#[derive(Debug, Clone)]
pub(crate) struct RadixHeap {
    last: u64,
    len: usize,
    buckets: Vec<Vec<(u64, u32)>>,
}

impl RadixHeap {
    pub(crate) fn new() -> Self {
        RadixHeap {
            last: 0,
            len: 0,
            buckets: vec![Vec::new(); 65],
        }
    }

    pub(crate) fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    /// Bucket `i` holds keys whose highest bit differing from `last` is bit `i − 1`.
    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    pub(crate) fn push(&mut self, key: i64, value: u32) {
        debug_assert!(
            key >= 0 && key as u64 >= self.last,
            "non-monotone key {key}"
        );
        let key = key as u64;
        let b = self.bucket(key);
        self.buckets[b].push((key, value));
        self.len += 1;
    }

    pub(crate) fn pop(&mut self) -> Option<(i64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = self.buckets.iter().position(|b| !b.is_empty())?;
            let mut items = std::mem::take(&mut self.buckets[i]);
            self.last = items.iter().map(|e| e.0).min()?;
            // With `last` the bucket's minimum, every entry lands in a lower bucket.
            for &(k, v) in &items {
                let b = self.bucket(k);
                self.buckets[b].push((k, v));
            }
            items.clear();
            self.buckets[i] = items;
        }
        self.len -= 1;
        self.buckets[0].pop().map(|(k, v)| (k as i64, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Interleaved pushes (never below the last pop) and pops come out sorted.
        #[test]
        fn pops_in_order(steps in prop::collection::vec((0u8..3, 0i64..1_000_000), 1..300)) {
            let mut heap = RadixHeap::new();
            let mut model = std::collections::BinaryHeap::new();
            let mut last = 0i64;
            for (op, delta) in steps {
                if op < 2 {
                    heap.push(last + delta, 7);
                    model.push(std::cmp::Reverse(last + delta));
                } else {
                    let got = heap.pop().map(|(k, _)| k);
                    let want = model.pop().map(|std::cmp::Reverse(k)| k);
                    prop_assert_eq!(got, want);
                    if let Some(k) = got {
                        last = k;
                    }
                }
            }
        }
    }
}
