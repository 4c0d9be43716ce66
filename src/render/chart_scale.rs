//! The arithmetic of the history chart: round value-axis ticks and how many slot labels fit.

/// A value axis from 0 to `top` in steps of `step` (minor units): `top` is the smallest
/// multiple of `step` at or above the largest value, and there are at most four steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Axis {
    pub step: u64,
    pub top: u64,
}

/// Steps are 1, 2 or 5 times a power of ten.
const NICE: [u64; 3] = [1, 2, 5];
/// At most this many steps between 0 and the top of the axis.
const MAX_STEPS: u64 = 4;

impl Axis {
    /// The axis for values up to `max` (0 is treated as 1: an axis always has a step).
    pub(crate) fn for_max(max: u64) -> Self {
        let max = max.max(1);
        let raw = max.div_ceil(MAX_STEPS);
        // The largest power of ten at or below `raw`.
        let mut magnitude: u64 = 1;
        while let Some(next) = magnitude.checked_mul(10).filter(|m| *m <= raw) {
            magnitude = next;
        }
        let step = NICE
            .iter()
            .filter_map(|n| n.checked_mul(magnitude))
            .find(|s| *s >= raw)
            .or_else(|| magnitude.checked_mul(10))
            .unwrap_or(raw); // only near u64::MAX, where any step will do
        Self {
            step,
            top: max.div_ceil(step).saturating_mul(step),
        }
    }

    /// 0, step, 2·step, …, top.
    pub(crate) fn ticks(self) -> Vec<u64> {
        let steps = self.top.div_ceil(self.step);
        (0..=steps).map(|k| k.saturating_mul(self.step)).collect()
    }

    /// Where `value` sits between 0 (the baseline) and 1 (the top), clamped.
    pub(crate) fn fraction(self, value: u64) -> f32 {
        (value as f64 / self.top.max(1) as f64).clamp(0.0, 1.0) as f32
    }
}

/// Show every `n`-th slot label: the smallest `n` for which labels `widest` pixels wide,
/// with `gap` pixels between them, fit in slots `slot_w` pixels wide.
pub(crate) fn label_every(slot_w: f32, widest: f32, gap: f32) -> usize {
    if slot_w <= 0.0 || !slot_w.is_finite() {
        return usize::MAX;
    }
    let need = ((widest + gap) / slot_w).ceil();
    if need.is_finite() && need >= 1.0 {
        need as usize
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round_and_cover_the_largest_value() {
        // (max, step, top)
        for (max, step, top) in [
            (1, 1, 1),
            (0, 1, 1),
            (4, 1, 4),
            (5, 2, 6),
            (500, 200, 600),
            (501, 200, 600),
            (625, 200, 800),
            (800, 200, 800),
            (801, 500, 1_000),
            (1_250, 500, 1_500),
            (40_100, 20_000, 60_000),
            (99_999, 50_000, 100_000),
            (100_000, 50_000, 100_000),
            (1_000_001, 500_000, 1_500_000),
        ] {
            let axis = Axis::for_max(max);
            assert_eq!((axis.step, axis.top), (step, top), "max {max}");
            assert!(axis.top >= max);
            assert!(axis.top / axis.step <= MAX_STEPS, "max {max}");
        }
    }

    #[test]
    fn ticks_run_from_zero_to_the_top() {
        assert_eq!(Axis::for_max(625).ticks(), vec![0, 200, 400, 600, 800]);
        assert_eq!(Axis::for_max(1).ticks(), vec![0, 1]);
        let axis = Axis::for_max(625);
        assert_eq!(axis.fraction(0), 0.0);
        assert_eq!(axis.fraction(400), 0.5);
        assert_eq!(axis.fraction(800), 1.0);
        assert_eq!(axis.fraction(5_000), 1.0);
    }

    #[test]
    fn huge_values_do_not_overflow() {
        for max in [u64::MAX, u64::MAX / 2, u64::MAX - 1, 10_u64.pow(19)] {
            let axis = Axis::for_max(max);
            assert!(axis.step > 0);
            assert!(axis.top >= max, "{max}: {axis:?}");
            let ticks = axis.ticks();
            assert!(ticks.len() >= 2 && ticks.len() <= 6, "{ticks:?}");
            let f = axis.fraction(max);
            assert!(f > 0.5 && f <= 1.0, "{max}: {f}");
        }
    }

    #[test]
    fn labels_are_thinned_until_they_fit() {
        // 7 wide slots: every label.
        assert_eq!(label_every(80.0, 60.0, 8.0), 1);
        // 31 narrow slots: every other day.
        assert_eq!(label_every(16.0, 18.0, 8.0), 2);
        assert_eq!(label_every(20.0, 30.0, 10.0), 2);
        assert_eq!(label_every(20.0, 31.0, 10.0), 3);
        assert_eq!(label_every(0.0, 30.0, 10.0), usize::MAX);
    }
}
