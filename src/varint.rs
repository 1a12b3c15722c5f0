//! LEB128 varints and zigzag signs, shared by the compact binary layouts (stored session
//! events, point blocks).

/// A signed number as an unsigned one, small magnitudes small: 0, -1, 1, -2 → 0, 1, 2, 3.
pub fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Appends `n` as a varint: seven bits a byte, low bits first, the high bit set on all but
/// the last byte.
pub fn put(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a varint from the front of `bytes`: the number and the bytes it took, or `None` when
/// the bytes end first or it runs past ten bytes.
pub fn read(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().take(10).enumerate() {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_signs_round_trip_and_damage_is_caught() {
        for n in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put(&mut out, n);
            assert_eq!(read(&out), Some((n, out.len())), "{n}");
            assert_eq!(read(&out[..out.len() - 1]), None, "{n} cut short");
        }
        for n in [0i64, -1, 1, -64, 64, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
        assert_eq!((zigzag(-1), zigzag(1)), (1, 2));
        // Eleven continuation bytes are not a number.
        assert_eq!(read(&[0x80; 11]), None);
    }
}
