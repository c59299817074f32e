//! The per-session output ring: a fixed number of bytes addressed by offsets that only grow.
//! When it is full the oldest bytes go; a read whose offset was already overwritten gets what
//! is left and is told so. Readers keep their own offsets, so any number of them can share it.

/// What one read got: `data` starts at `start` (which is past the asked offset when that
/// part was overwritten, and then `truncated` is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub data: Vec<u8>,
    pub start: u64,
    pub truncated: bool,
}

impl Slice {
    /// The offset just past `data`: where the next read should start.
    pub fn end(&self) -> u64 {
        self.start + self.data.len() as u64
    }
}

#[derive(Debug)]
pub struct Ring {
    buf: Vec<u8>,
    capacity: usize,
    /// Offset of the next byte to be written; the oldest byte kept is `end - len`.
    end: u64,
    /// No byte before this offset was ever held (see [`Ring::skip_to`]).
    floor: u64,
}

impl Ring {
    /// A ring keeping the last `capacity` bytes (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        // Grown on demand: an idle session costs little until it prints.
        Ring { buf: Vec::new(), capacity, end: 0, floor: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Offset of the oldest byte still held.
    pub fn start(&self) -> u64 {
        self.end - self.len() as u64
    }

    /// Offset just past the newest byte (the total ever written).
    pub fn end(&self) -> u64 {
        self.end
    }

    fn len(&self) -> usize {
        ((self.end - self.floor).min(self.capacity as u64)) as usize
    }

    /// Moves the end to `offset` without holding the bytes before it: reads below it are
    /// truncated. Does nothing when the end is already there or past.
    pub fn skip_to(&mut self, offset: u64) {
        if offset > self.end {
            self.end = offset;
            self.floor = offset;
        }
    }

    fn pos(&self, offset: u64) -> usize {
        (offset % self.capacity as u64) as usize
    }

    pub fn push(&mut self, mut data: &[u8]) {
        if data.len() > self.capacity {
            // Only the tail survives; account for the skipped bytes as written and dropped.
            let skip = data.len() - self.capacity;
            self.end += skip as u64;
            data = &data[skip..];
        }
        let mut at = self.pos(self.end);
        let mut rest = data;
        while !rest.is_empty() {
            let n = rest.len().min(self.capacity - at);
            if self.buf.len() < at + n {
                self.buf.resize(at + n, 0);
            }
            self.buf[at..at + n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            at = 0;
        }
        self.end += data.len() as u64;
    }

    /// Up to `max` bytes from `offset` (clamped to `limit`, itself clamped to the end).
    /// An offset past the end reads nothing from the end.
    pub fn read(&self, offset: u64, max: usize, limit: u64) -> Slice {
        let limit = limit.min(self.end);
        let truncated = offset < self.start();
        let start = offset.max(self.start()).min(self.end);
        let stop = limit.max(start).min(start.saturating_add(max as u64));
        let mut data = Vec::with_capacity((stop - start) as usize);
        let mut at = start;
        while at < stop {
            let p = self.pos(at);
            let n = ((stop - at) as usize).min(self.capacity - p);
            data.extend_from_slice(&self.buf[p..p + n]);
            at += n as u64;
        }
        Slice { data, start, truncated }
    }

    /// The last `n` bytes held (for prompt detection).
    pub fn tail(&self, n: usize) -> Vec<u8> {
        let from = self.end.saturating_sub(n as u64).max(self.start());
        self.read(from, n, self.end).data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wraps_and_reports_truncation() {
        let mut r = Ring::new(4);
        r.push(b"abc");
        assert_eq!(r.read(0, 10, u64::MAX), Slice { data: b"abc".to_vec(), start: 0, truncated: false });
        r.push(b"def");
        assert_eq!((r.start(), r.end()), (2, 6));
        assert_eq!(r.read(0, 10, u64::MAX), Slice { data: b"cdef".to_vec(), start: 2, truncated: true });
        assert_eq!(r.read(5, 10, u64::MAX).data, b"f");
        assert_eq!(r.read(9, 10, u64::MAX), Slice { data: vec![], start: 6, truncated: false });
        r.push(b"0123456789");
        assert_eq!(r.read(0, 10, u64::MAX), Slice { data: b"6789".to_vec(), start: 12, truncated: true });
    }

    #[test]
    fn a_ring_taken_up_later_holds_nothing_before_its_start() {
        let mut r = Ring::new(8);
        r.skip_to(100);
        assert_eq!((r.start(), r.end()), (100, 100));
        assert_eq!(r.read(50, 10, u64::MAX), Slice { data: vec![], start: 100, truncated: true });
        r.push(b"abc");
        assert_eq!(r.read(100, 10, u64::MAX), Slice { data: b"abc".to_vec(), start: 100, truncated: false });
        r.push(b"0123456789");
        assert_eq!(r.read(0, 10, u64::MAX), Slice { data: b"23456789".to_vec(), start: 105, truncated: true });
    }

    proptest! {
        /// Against a model that keeps everything: every read returns exactly the bytes the
        /// model has at those offsets, starts at the oldest kept byte when it was overwritten,
        /// and any number of readers with their own offsets see the same stream.
        #[test]
        fn matches_a_model(
            cap in 1usize..64,
            pushes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..30),
            readers in proptest::collection::vec((0u64..3000, 1usize..80), 1..6),
        ) {
            let mut ring = Ring::new(cap);
            let mut model: Vec<u8> = Vec::new();
            let mut cursors: Vec<u64> = readers.iter().map(|(o, _)| *o % 50).collect();
            for p in &pushes {
                ring.push(p);
                model.extend_from_slice(p);
                prop_assert_eq!(ring.end(), model.len() as u64);
                prop_assert_eq!(ring.start(), model.len().saturating_sub(cap) as u64);
                for (i, (off, max)) in readers.iter().enumerate() {
                    let s = ring.read(*off, *max, u64::MAX);
                    let first = (*off).max(ring.start()).min(ring.end());
                    prop_assert_eq!(s.start, first);
                    prop_assert_eq!(s.truncated, *off < ring.start());
                    let want_end = (first + *max as u64).min(model.len() as u64);
                    prop_assert_eq!(&s.data[..], &model[first as usize..want_end as usize]);
                    // A reader that follows next_cursor never sees a byte twice nor a gap
                    // unless it is told it was truncated.
                    let c = ring.read(cursors[i], *max, u64::MAX);
                    if !c.truncated {
                        prop_assert_eq!(c.start, cursors[i].min(ring.end()));
                    }
                    prop_assert_eq!(&c.data[..], &model[c.start as usize..c.end() as usize]);
                    cursors[i] = c.end();
                }
            }
        }

        #[test]
        fn limit_caps_the_read(cap in 1usize..32, data in proptest::collection::vec(any::<u8>(), 0..100), off in 0u64..120, lim in 0u64..120) {
            let mut ring = Ring::new(cap);
            ring.push(&data);
            let s = ring.read(off, usize::MAX, lim);
            prop_assert!(s.end() <= lim.max(s.start));
            prop_assert!(s.end() <= ring.end());
        }
    }
}
