#!/usr/bin/env node
/*
 * NBC's official JavaScript KHQR SDK (npm `bakong-khqr`, pinned in package.json) timed on the
 * same three cases as `benches/khqr.rs`, so the two can be compared in one session on one machine.
 *
 *   cd benches/js && npm ci && node khqr_sdk_bench.js [--secs S] [--samples N]
 *
 * Before timing, each case's QR string and md5 are checked against `expected.json`, which the
 * Rust bench checks its own output against too: both sides time the same strings.
 *
 * `qr+md5` is one `generateIndividual` / `generateMerchant` call (validate, encode, md5) on an
 * info object built once, as the Rust bench builds its `KhqrInput` once. `verify` is
 * `BakongKHQR.verify` (CRC, decode, field checks). The SDK writes `Date.now()` into tag 99 and
 * checks expiry against it, so `Date.now` returns the bench's fixed instant for the whole run.
 *
 * Reported per case: the median over samples of wall-clock ns/op and of process CPU ns/op
 * (`process.cpuUsage()`: user + system of every thread of the process, V8's GC helpers included,
 * so it can exceed wall time), and ops/s from each.
 */
"use strict";

const path = require("path");
const { BakongKHQR, IndividualInfo, MerchantInfo } = require("bakong-khqr");
const SDK_VERSION = require("bakong-khqr/package.json").version;
const EXPECTED = require(path.join(__dirname, "expected.json"));

// The instant `benches/khqr.rs` builds and verifies at (NOW there).
const NOW = 1767225600000;
Date.now = () => NOW;

const USD = 840;
const KHR = 116;

const CASES = [
  {
    name: "static_khr",
    info: () => new IndividualInfo("john_smith@devb", "John Smith", "Phnom Penh", {}),
    merchant: false,
  },
  {
    name: "dynamic_usd_bill",
    info: () =>
      new IndividualInfo("coffee.shop@wing", "Coffee Shop", "Siem Reap", {
        currency: USD,
        amount: 12.34,
        billNumber: "INV-2026-000042",
        expirationTimestamp: NOW + 600000,
      }),
    merchant: false,
  },
  {
    name: "merchant_khmer_62_64_99",
    info: () =>
      new MerchantInfo("merchant_0001@ppcb", "Coffee Shop", "Phnom Penh", "1243546472", "ACLEDA Bank", {
        merchantCategoryCode: "5812",
        currency: KHR,
        amount: 25000,
        billNumber: "TG-7349215",
        mobileNumber: "85512345678",
        storeLabel: "Toul Kork Branch",
        terminalLabel: "POS-01",
        purposeOfTransaction: "Telegram order",
        languagePreference: "km",
        merchantNameAlternateLanguage: "ហាងកាហ្វេ",
        merchantCityAlternateLanguage: "ភ្នំពេញ",
        expirationTimestamp: NOW + 600000,
      }),
    merchant: true,
  },
];

function args() {
  const out = { secs: 0.5, samples: 15, warmup: 2 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const key = a[i].replace(/^--/, "");
    if (!(key in out) || a[i + 1] === undefined) throw new Error(`usage: [--secs S] [--samples N] [--warmup S]; got ${a[i]}`);
    out[key] = Number(a[i + 1]);
  }
  return out;
}

function generate(khqr, info, merchant) {
  const res = merchant ? khqr.generateMerchant(info) : khqr.generateIndividual(info);
  if (res.status.code !== 0 || typeof res.data.qr !== "string") {
    throw new Error(`SDK refused the input: ${JSON.stringify(res.status)}`);
  }
  return res.data;
}

// Runs `op` in batches until `secs` have passed; returns [wall ns/op, cpu ns/op].
function sample(op, secs) {
  let n = 0;
  let batch = 1000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const limit = BigInt(Math.round(secs * 1e9));
  let t = t0;
  while (t - t0 < limit) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    t = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  return [Number(t - t0) / n, ((cpu.user + cpu.system) * 1000) / n];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function time(label, op, opts) {
  sample(op, opts.warmup);
  const walls = [];
  const cpus = [];
  for (let i = 0; i < opts.samples; i++) {
    const [w, c] = sample(op, opts.secs);
    walls.push(w);
    cpus.push(c);
  }
  const w = median(walls);
  const c = median(cpus);
  const row = `${label.padEnd(34)} ${w.toFixed(0).padStart(7)} ns  ${(1e9 / w / 1e3).toFixed(1).padStart(8)} k/s` +
    `   cpu ${c.toFixed(0).padStart(7)} ns  ${(1e9 / c / 1e3).toFixed(1).padStart(8)} k/s`;
  console.log(row);
}

function main() {
  const opts = args();
  const khqr = new BakongKHQR();
  console.log(`bakong-khqr ${SDK_VERSION}, node ${process.version}, ${opts.samples} samples of ${opts.secs} s after ${opts.warmup} s warm-up`);

  // Same strings as ours, or no timing at all.
  let mismatch = false;
  for (const c of CASES) {
    const got = generate(khqr, c.info(), c.merchant);
    const want = EXPECTED[c.name];
    const same = want && got.qr === want.qr && got.md5 === want.md5;
    console.log(`${c.name}\n  sdk:           ${got.qr} ${got.md5}\n  expected.json: ${want ? `${want.qr} ${want.md5}` : "(missing)"}\n  ${same ? "equal" : "DIFFERENT"}`);
    if (!BakongKHQR.verify(got.qr).isValid) {
      console.log("  the SDK does not verify its own string");
      mismatch = true;
    }
    mismatch ||= !same;
  }
  if (mismatch) {
    console.error("the SDK's strings differ from expected.json: not timing different work");
    process.exit(1);
  }

  for (const c of CASES) {
    const info = c.info();
    time(`qr+md5/${c.name}`, () => generate(khqr, info, c.merchant), opts);
  }
  for (const c of CASES) {
    const qr = EXPECTED[c.name].qr;
    time(`verify/${c.name}`, () => {
      if (!BakongKHQR.verify(qr).isValid) throw new Error("verify failed");
    }, opts);
  }
}

main();
