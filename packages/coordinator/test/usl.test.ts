import assert from "node:assert/strict";
import { it } from "node:test";
import { fitUsl, type UslFit, type UslPoint } from "../src/capacity/usl.js";

function usl(lambda: number, sigma: number, kappa: number, n: number): number {
  return (lambda * n) / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

function points(lambda: number, sigma: number, kappa: number, concurrencies: readonly number[], noise: readonly number[] = []): UslPoint[] {
  return concurrencies.map((n, i) => ({ concurrency: n, throughput: usl(lambda, sigma, kappa, n) * (1 + (noise[i] ?? 0)) }));
}

function sse(data: readonly UslPoint[], lambda: number, sigma: number, kappa: number): number {
  return data.reduce((s, p) => s + (p.throughput - usl(lambda, sigma, kappa, p.concurrency)) ** 2, 0);
}

function close(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${what}: ${actual} is not within ${relative} of ${expected}`);
}

function fit(data: readonly UslPoint[]): UslFit {
  const f = fitUsl(data);
  assert.ok(f, "expected a fit");
  return f;
}

const RETROGRADE = [1, 2, 4, 8, 16, 24, 32, 48, 64];
// Fixed, uneven ±1.2 % errors: deterministic, and not a pattern the law can absorb.
const NOISE = [0.01, -0.01, 0.005, -0.005, 0.008, -0.012, 0.003, 0.01, -0.007];

it("recovers λ, σ and κ from exact retrograde data, with the peak where the law puts it", () => {
  const f = fit(points(100, 0.05, 0.001, RETROGRADE));
  close(f.lambda, 100, 1e-9, "lambda");
  close(f.sigma, 0.05, 1e-9, "sigma");
  close(f.kappa, 0.001, 1e-9, "kappa");
  close(f.r2, 1, 1e-12, "r2");
  assert.equal(f.points, 9);
  const peak = Math.sqrt(0.95 / 0.001);
  close(f.peakConcurrency, peak, 1e-9, "peakConcurrency");
  close(f.peakRps, usl(100, 0.05, 0.001, peak), 1e-9, "peakRps");
  // The peak is a maximum: a little either side is lower.
  assert.ok(f.peakRps > usl(100, 0.05, 0.001, peak - 0.5) && f.peakRps > usl(100, 0.05, 0.001, peak + 0.5));
});

it("recovers λ from the lowest point without an N = 1 point, and reports no peak when κ is 0", () => {
  const f = fit(points(250, 0.1, 0, [2, 5, 10, 20, 40, 80]));
  close(f.lambda, 250, 1e-9, "lambda");
  close(f.sigma, 0.1, 1e-9, "sigma");
  assert.equal(f.kappa, 0);
  assert.equal(f.peakConcurrency, Infinity);
  close(f.peakRps, 2500, 1e-9, "peakRps (λ/σ)");
  close(f.r2, 1, 1e-12, "r2");
});

it("reports κ as exactly 0, not a rounding residue that would invent a peak", () => {
  // Cases where the unconstrained best lands on κ ≈ 1e-17 by rounding alone.
  for (const [lambda, sigma, ns] of [
    [1.7, 0.013, [1.3, 2.7, 5.1, 9.9]],
    [33.3, 0.1, [1.3, 2.7, 5.1, 9.9]],
    [250, 0.9, [2, 5, 10, 20, 40, 80]],
  ] as const) {
    const f = fit(points(lambda, sigma, 0, ns));
    assert.equal(f.kappa, 0, `kappa for λ ${lambda}, σ ${sigma}`);
    assert.equal(f.peakConcurrency, Infinity);
    close(f.sigma, sigma, 1e-9, "sigma");
  }
});

it("recovers the law from the fractional concurrencies Little's law gives at low load", () => {
  const f = fit(points(100, 0.02, 0.0002, [0.4, 0.9, 2.5, 7.3, 15, 40, 90]));
  close(f.lambda, 100, 1e-9, "lambda");
  close(f.sigma, 0.02, 1e-9, "sigma");
  close(f.kappa, 0.0002, 1e-9, "kappa");
  close(f.peakConcurrency, 70, 1e-9, "peakConcurrency");
});

it("with noise, fits less than perfectly but stays close, at a least-squares minimum", () => {
  const data = points(100, 0.05, 0.001, RETROGRADE, NOISE);
  const f = fit(data);
  assert.ok(f.r2 < 1 && f.r2 > 0.999, `r2 ${f.r2}`);
  close(f.lambda, 100, 0.01, "lambda");
  close(f.sigma, 0.05, 0.02, "sigma");
  close(f.kappa, 0.001, 0.02, "kappa");
  // No nearby parameters fit the throughput better, which the linearised seed alone does not achieve.
  const best = sse(data, f.lambda, f.sigma, f.kappa);
  for (const h of [1e-4, -1e-4]) {
    assert.ok(sse(data, f.lambda * (1 + h), f.sigma, f.kappa) > best, `lambda ${h}`);
    assert.ok(sse(data, f.lambda, f.sigma * (1 + h), f.kappa) > best, `sigma ${h}`);
    assert.ok(sse(data, f.lambda, f.sigma, f.kappa * (1 + h)) > best, `kappa ${h}`);
  }
  const mean = data.reduce((s, p) => s + p.throughput, 0) / data.length;
  close(f.r2, 1 - best / data.reduce((s, p) => s + (p.throughput - mean) ** 2, 0), 1e-12, "r2");
});

it("does not depend on the order of the points", () => {
  const data = points(100, 0.05, 0.001, RETROGRADE, NOISE);
  const a = fit(data);
  const b = fit([...data].reverse());
  for (const key of ["lambda", "sigma", "kappa", "r2"] as const) close(b[key], a[key], 1e-9, key);
});

it("fits an exactly linear law with σ = κ = 0 and no peak", () => {
  const f = fit(points(80, 0, 0, [1, 3, 7, 12]));
  close(f.lambda, 80, 1e-12, "lambda");
  assert.equal(f.sigma, 0);
  assert.equal(f.kappa, 0);
  assert.equal(f.peakConcurrency, Infinity);
  assert.equal(f.peakRps, Infinity);
});

it("holds σ and κ at 0 for superlinear data instead of going negative, with λ the least-squares slope", () => {
  const data = [1, 2, 4, 8].map((n) => ({ concurrency: n, throughput: 100 * n ** 1.1 }));
  const f = fit(data);
  assert.equal(f.sigma, 0);
  assert.equal(f.kappa, 0);
  // With σ = κ = 0 the law is X = λN, whose least-squares λ is ΣXN / ΣN².
  const slope = data.reduce((s, p) => s + p.throughput * p.concurrency, 0) / data.reduce((s, p) => s + p.concurrency ** 2, 0);
  close(f.lambda, slope, 1e-9, "lambda");
  assert.ok(f.r2 < 1);
});

it("fits flat throughput as fully serialised (σ = 1), peaking at λ", () => {
  const f = fit(points(100, 1, 0, [1, 2, 3, 6]));
  close(f.lambda, 100, 1e-9, "lambda");
  close(f.sigma, 1, 1e-9, "sigma");
  assert.equal(f.kappa, 0);
  close(f.peakRps, 100, 1e-9, "peakRps");
  assert.equal(f.r2, 1);
});

it("ignores unusable points and counts only the usable ones", () => {
  const good = points(100, 0.05, 0.001, RETROGRADE);
  const bad: UslPoint[] = [
    { concurrency: 0, throughput: 50 },
    { concurrency: -3, throughput: 50 },
    { concurrency: 5, throughput: 0 },
    { concurrency: Number.NaN, throughput: 50 },
    { concurrency: 5, throughput: Infinity },
  ];
  const f = fit([...bad, ...good]);
  assert.equal(f.points, 9);
  close(f.kappa, 0.001, 1e-9, "kappa");
});

it("gives no fit with fewer than three usable points or three distinct concurrencies", () => {
  assert.equal(fitUsl([]), undefined);
  assert.equal(fitUsl(points(100, 0.05, 0.001, [1, 2])), undefined);
  assert.equal(fitUsl([...points(100, 0.05, 0.001, [1, 2]), { concurrency: 4, throughput: 0 }]), undefined);
  assert.equal(fitUsl(points(100, 0.05, 0.001, [1, 2, 2, 1])), undefined);
  assert.ok(fitUsl(points(100, 0.05, 0.001, [1, 2, 4])));
});
