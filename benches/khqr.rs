//! KHQR codec throughput. Run: `cargo bench --bench khqr`; figures go in BENCHMARKS.md.
//!
//! `qr+md5/*` is what NBC's JS SDK does per `generateIndividual`/`generateMerchant` call
//! (validate the input, encode, md5). `benches/js/khqr_sdk_bench.js` times the SDK on the same
//! cases; both check their strings against `benches/js/expected.json` before timing, so the
//! two figures are for the same work.

use std::hint::black_box;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use khqr_bot::khqr::{Amount, Currency, KhqrInput, crc16, decode, md5_hex, verify};

const NOW: u64 = 1_767_225_600_000;

fn cases() -> Vec<(&'static str, KhqrInput)> {
    let static_khr = KhqrInput {
        account_id: "john_smith@devb".into(),
        merchant_name: "John Smith".into(),
        merchant_city: Some("Phnom Penh".into()),
        ..KhqrInput::default()
    };
    let dynamic_usd_bill = KhqrInput {
        account_id: "coffee.shop@wing".into(),
        merchant_name: "Coffee Shop".into(),
        merchant_city: Some("Siem Reap".into()),
        currency: Currency::Usd,
        amount: Some(Amount::parse_decimal("12.34", Currency::Usd).unwrap()),
        bill_number: Some("INV-2026-000042".into()),
        expiration_ms: Some(NOW + 600_000),
        ..KhqrInput::default()
    };
    let merchant_khmer = KhqrInput {
        merchant_id: Some("1243546472".into()),
        account_id: "merchant_0001@ppcb".into(),
        acquiring_bank: Some("ACLEDA Bank".into()),
        merchant_name: "Coffee Shop".into(),
        merchant_city: Some("Phnom Penh".into()),
        merchant_category_code: Some("5812".into()),
        currency: Currency::Khr,
        amount: Some(Amount::parse_decimal("25000", Currency::Khr).unwrap()),
        bill_number: Some("TG-7349215".into()),
        mobile_number: Some("85512345678".into()),
        store_label: Some("Toul Kork Branch".into()),
        terminal_label: Some("POS-01".into()),
        purpose: Some("Telegram order".into()),
        language_preference: Some("km".into()),
        alt_merchant_name: Some("ហាងកាហ្វេ".into()),
        alt_merchant_city: Some("ភ្នំពេញ".into()),
        expiration_ms: Some(NOW + 600_000),
        ..KhqrInput::default()
    };
    vec![
        ("static_khr", static_khr),
        ("dynamic_usd_bill", dynamic_usd_bill),
        ("merchant_khmer_62_64_99", merchant_khmer),
    ]
}

/// Our string and md5 for each case equal the SDK's (`benches/js/expected.json`, which the JS
/// bench checks the SDK against), or the comparison with the SDK would be of different work.
fn check_same_strings_as_the_sdk() {
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("js/expected.json")).expect("benches/js/expected.json");
    for (name, input) in cases() {
        let qr = input.build(NOW).unwrap().encode();
        let md5 = md5_hex(&qr);
        let want_qr = expected[name]["qr"].as_str().unwrap_or("(missing)");
        let want_md5 = expected[name]["md5"].as_str().unwrap_or("(missing)");
        let same = qr.as_str() == want_qr && md5.as_str() == want_md5;
        println!(
            "{name}\n  ours:          {} {md5}\n  expected.json: {want_qr} {want_md5}\n  {}",
            qr.as_str(),
            if same { "equal" } else { "DIFFERENT" }
        );
        assert!(same, "{name}: our string differs from the SDK's");
    }
}

fn bench(c: &mut Criterion) {
    check_same_strings_as_the_sdk();
    let mut group = c.benchmark_group("khqr");
    group.throughput(Throughput::Elements(1));
    for (name, input) in cases() {
        let khqr = input.build(NOW).unwrap();
        let qr = khqr.encode();
        assert_eq!(decode(&qr).unwrap(), khqr);

        // Validate + encode + md5: one SDK generate call.
        group.bench_function(format!("qr+md5/{name}"), |b| {
            b.iter(|| {
                let khqr = black_box(&input).build(black_box(NOW)).unwrap();
                let qr = khqr.encode();
                let md5 = md5_hex(&qr);
                black_box((qr, md5))
            })
        });
        // Encode + md5 of an already validated value.
        group.bench_function(format!("encode+md5/{name}"), |b| {
            b.iter(|| {
                let qr = black_box(&khqr).encode();
                let md5 = md5_hex(&qr);
                black_box((qr, md5))
            })
        });
        // Decode + verify (CRC, structure, limits, expiry).
        group.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| black_box(verify(black_box(&qr), black_box(NOW))).unwrap())
        });
    }
    group.finish();

    // Where the time goes, on the dynamic USD QR with bill number.
    let mut parts = c.benchmark_group("khqr_parts");
    parts.throughput(Throughput::Elements(1));
    let (_, input) = cases().swap_remove(1);
    let khqr = input.build(NOW).unwrap();
    let qr = khqr.encode();
    parts.bench_function("build", |b| {
        b.iter(|| black_box(black_box(&input).build(black_box(NOW)).unwrap()))
    });
    parts.bench_function("encode", |b| {
        b.iter(|| black_box(black_box(&khqr).encode()))
    });
    parts.bench_function("crc16", |b| {
        b.iter(|| black_box(crc16(black_box(qr.as_bytes()))))
    });
    parts.bench_function("md5_hex", |b| b.iter(|| black_box(md5_hex(black_box(&qr)))));
    parts.finish();
}

/// CPU time of the benchmarking thread (Linux `CLOCK_THREAD_CPUTIME_ID`), in ns. Unlike wall
/// time it does not count time the thread spends descheduled, so figures stay meaningful on a
/// machine shared with other work (caches and memory bandwidth are still shared).
struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a Linux constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Same unit (ns) as wall time, so its formatter fits.
        WALL.formatter()
    }
}

/// The headline figures again, in thread CPU time.
fn bench_cpu(c: &mut Criterion<ThreadCpuTime>) {
    let mut group = c.benchmark_group("khqr_cpu");
    group.throughput(Throughput::Elements(1));
    for (name, input) in cases() {
        let qr = input.build(NOW).unwrap().encode();
        group.bench_function(format!("qr+md5/{name}"), |b| {
            b.iter(|| {
                let khqr = black_box(&input).build(black_box(NOW)).unwrap();
                let qr = khqr.encode();
                let md5 = md5_hex(&qr);
                black_box((qr, md5))
            })
        });
        group.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| black_box(verify(black_box(&qr), black_box(NOW))).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_cpu
}
criterion_main!(benches, cpu);
