// Fits Gunther's Universal Scalability Law to measured (concurrency, throughput) points, to
// estimate where a service stops scaling.
//
//   X(N) = λN / (1 + σ(N − 1) + κN(N − 1))

export interface UslPoint {
  /** N, from Little's law: throughput × mean response time in seconds. */
  readonly concurrency: number;
  /** X, in requests per second. */
  readonly throughput: number;
}

export interface UslFit {
  /** Throughput of one unit of concurrency, in requests per second. */
  readonly lambda: number;
  /** Contention (serialisation), in [0, 1]. */
  readonly sigma: number;
  /** Coherency (crosstalk), in [0, 1]. */
  readonly kappa: number;
  /**
   * The concurrency of peak throughput, √((1 − σ) / κ). Infinity when κ = 0: throughput then
   * never falls, it only approaches λ/σ. JSON cannot carry Infinity, so a report writes null.
   * Below 1 only when the data fall from the first point on (σ near 1).
   */
  readonly peakConcurrency: number;
  /** X(peakConcurrency); when κ = 0 the asymptote λ/σ, Infinity when σ = 0 as well. */
  readonly peakRps: number;
  /** Coefficient of determination of the fitted throughput; 1 is a perfect fit. */
  readonly r2: number;
  /** How many points were usable. */
  readonly points: number;
}

type Vec3 = readonly [number, number, number];
type Mat3 = readonly [Vec3, Vec3, Vec3];
type Flags = readonly [boolean, boolean, boolean];

/** Which of σ and κ a search holds at zero. */
interface Face {
  readonly sigma: boolean;
  readonly kappa: boolean;
}

const FACES: readonly Face[] = [
  { sigma: false, kappa: false },
  { sigma: true, kappa: false },
  { sigma: false, kappa: true },
  { sigma: true, kappa: true },
];

/**
 * A fit that uses σ or κ must beat the fit without it by more than this share of ΣX². Below it the
 * difference is floating-point noise, not evidence, and the simpler law (with its exact zero and
 * so its exact "no peak") is the honest answer.
 */
const SIMPLER_TOLERANCE = 1e-12;
const MAX_ITERATIONS = 1000;
const MAX_DAMPING = 1e16;

/**
 * Least-squares fit of the USL on throughput, with σ and κ held in [0, 1] and λ > 0; undefined
 * with fewer than 3 usable points (finite, N > 0, X > 0), fewer than 3 distinct concurrencies
 * (three parameters cannot be told apart with less), or when no fit is finite.
 *
 * The bounds are Gunther's: a negative coefficient would mean concurrency makes each unit of work
 * cheaper, and within [0, 1] the denominator stays positive for every N > 0, including the
 * fractional N that Little's law gives at low load.
 */
export function fitUsl(points: readonly UslPoint[]): UslFit | undefined {
  const usable = points.filter((p) => Number.isFinite(p.concurrency) && Number.isFinite(p.throughput) && p.concurrency > 0 && p.throughput > 0);
  if (usable.length < 3 || new Set(usable.map((p) => p.concurrency)).size < 3) return undefined;

  // The least-squares surface can have more than one valley (retrograde data trade κ against σ),
  // so search from two seeds on every face of the bounds and keep the best; it is cheap at this size.
  const fits = seeds(usable).flatMap((seed) => FACES.map((face) => ({ face, ...refine(usable, seed, face) })));
  const finite = fits.filter((f) => Number.isFinite(f.sse) && f.p[0] > 0);
  if (finite.length === 0) return undefined;
  const best = Math.min(...finite.map((f) => f.sse));
  const tolerance = SIMPLER_TOLERANCE * usable.reduce((s, p) => s + p.throughput * p.throughput, 0);
  const freedom = (f: Face) => (f.sigma ? 0 : 1) + (f.kappa ? 0 : 1);
  const chosen = finite
    .filter((f) => f.sse <= best + tolerance)
    .reduce((a, b) => (freedom(b.face) < freedom(a.face) || (freedom(b.face) === freedom(a.face) && b.sse < a.sse) ? b : a));

  const [lambda, sigma, kappa] = chosen.p;
  const mean = usable.reduce((s, p) => s + p.throughput, 0) / usable.length;
  const sst = usable.reduce((s, p) => s + (p.throughput - mean) ** 2, 0);
  // Constant throughput is fitted exactly by σ = 1, so a zero spread is a perfect fit, not 0/0.
  const r2 = sst > 0 ? 1 - chosen.sse / sst : 1;
  return { lambda, sigma, kappa, ...peak(lambda, sigma, kappa), r2, points: usable.length };
}

function peak(lambda: number, sigma: number, kappa: number): { peakConcurrency: number; peakRps: number } {
  if (kappa === 0) return { peakConcurrency: Infinity, peakRps: sigma > 0 ? lambda / sigma : Infinity };
  const n = Math.sqrt((1 - sigma) / kappa);
  // X(n) with (1 − σ)/n = κn substituted: the same value, and still defined when σ = 1 puts n at 0.
  return { peakConcurrency: n, peakRps: lambda / (sigma + kappa * (2 * n - 1)) };
}

function model(p: Vec3, n: number): number {
  return (p[0] * n) / (1 + p[1] * (n - 1) + p[2] * n * (n - 1));
}

function sumOfSquares(points: readonly UslPoint[], p: Vec3): number {
  let sse = 0;
  for (const pt of points) sse += (pt.throughput - model(p, pt.concurrency)) ** 2;
  return sse;
}

/**
 * Starting points from the linearisation N/X = 1/λ + (σ/λ)(N − 1) + (κ/λ)N(N − 1): once with λ
 * estimated jointly, and once with λ taken from the lowest-concurrency point, which stays sound
 * when the joint intercept comes out non-positive on noisy data.
 */
function seeds(points: readonly UslPoint[]): Vec3[] {
  const out: Vec3[] = [];
  const joint = leastSquares3(points.map((p) => [1, p.concurrency - 1, p.concurrency * (p.concurrency - 1)]), points.map((p) => p.concurrency / p.throughput));
  if (joint && joint[0] > 0) out.push([1 / joint[0], clamp01(joint[1] / joint[0]), clamp01(joint[2] / joint[0])]);
  const lowest = points.reduce((a, b) => (b.concurrency < a.concurrency ? b : a));
  const lambda = lowest.throughput / lowest.concurrency;
  const rest = leastSquares3(
    points.map((p) => [0, p.concurrency - 1, p.concurrency * (p.concurrency - 1)]),
    points.map((p) => (p.concurrency / p.throughput) * lambda - 1),
    [false, true, true],
  );
  out.push([lambda, clamp01(rest?.[1] ?? 0), clamp01(rest?.[2] ?? 0)]);
  return out;
}

/**
 * Levenberg–Marquardt on throughput from `start`, projected onto the bounds. A coefficient at a
 * bound whose gradient points out of the box is held for that step, so the search slides along
 * the bound instead of stalling against it; the face's zeros are held throughout.
 */
function refine(points: readonly UslPoint[], start: Vec3, face: Face): { p: Vec3; sse: number } {
  let p: Vec3 = [start[0], face.sigma ? 0 : start[1], face.kappa ? 0 : start[2]];
  let sse = sumOfSquares(points, p);
  let damping = 1e-3;
  for (let iteration = 0; iteration < MAX_ITERATIONS && sse > 0 && damping < MAX_DAMPING; iteration++) {
    const { jtj, jtr } = normalEquations(points, p);
    const free: Flags = [true, !face.sigma && !pinned(p[1], jtr[1]), !face.kappa && !pinned(p[2], jtr[2])];
    // Marquardt's scaling: damp each parameter in proportion to its own curvature, as λ (in rps)
    // and κ (often 1e-4) differ by orders of magnitude.
    const k = 1 + damping;
    const damped: Mat3 = [
      [jtj[0][0] * k, jtj[0][1], jtj[0][2]],
      [jtj[1][0], jtj[1][1] * k, jtj[1][2]],
      [jtj[2][0], jtj[2][1], jtj[2][2] * k],
    ];
    const step = solve3(damped, jtr, free);
    const next: Vec3 | undefined = step && [p[0] + step[0], clamp01(p[1] + step[1]), clamp01(p[2] + step[2])];
    const nextSse = next && next[0] > 0 ? sumOfSquares(points, next) : Infinity;
    if (!next || !(nextSse < sse)) {
      damping *= 10;
      continue;
    }
    const gain = (sse - nextSse) / sse;
    p = next;
    sse = nextSse;
    damping = Math.max(damping / 10, 1e-12);
    // A relative gain at the level of rounding means the minimum is reached.
    if (gain < 1e-15) break;
  }
  return { p, sse };
}

/** At a bound, with the descent direction (Jᵀr) pointing out of [0, 1]. */
function pinned(value: number, descent: number): boolean {
  return (value <= 0 && descent < 0) || (value >= 1 && descent > 0);
}

/** JᵀJ and Jᵀr of the throughput residuals r = X − X̂ at p. */
function normalEquations(points: readonly UslPoint[], p: Vec3): { jtj: Mat3; jtr: Vec3 } {
  const rows: Vec3[] = [];
  const residuals: number[] = [];
  for (const pt of points) {
    const n = pt.concurrency;
    const d = 1 + p[1] * (n - 1) + p[2] * n * (n - 1);
    residuals.push(pt.throughput - (p[0] * n) / d);
    // ∂X/∂λ, ∂X/∂σ, ∂X/∂κ
    rows.push([n / d, (-p[0] * n * (n - 1)) / (d * d), (-p[0] * n * n * (n - 1)) / (d * d)]);
  }
  return gram(rows, residuals);
}

/** Linear least squares through the normal equations; columns not free are left out (come back 0). */
function leastSquares3(rows: readonly Vec3[], y: readonly number[], free: Flags = [true, true, true]): Vec3 | undefined {
  const { jtj, jtr } = gram(rows, y);
  return solve3(jtj, jtr, free);
}

/** XᵀX and Xᵀy. */
function gram(rows: readonly Vec3[], y: readonly number[]): { jtj: Mat3; jtr: Vec3 } {
  let [a00, a01, a02, a11, a12, a22, b0, b1, b2] = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  rows.forEach(([x0, x1, x2], k) => {
    const yk = y[k] ?? 0;
    a00 += x0 * x0;
    a01 += x0 * x1;
    a02 += x0 * x2;
    a11 += x1 * x1;
    a12 += x1 * x2;
    a22 += x2 * x2;
    b0 += x0 * yk;
    b1 += x1 * yk;
    b2 += x2 * yk;
  });
  return {
    jtj: [
      [a00, a01, a02],
      [a01, a11, a12],
      [a02, a12, a22],
    ],
    jtr: [b0, b1, b2],
  };
}

/**
 * Solves the symmetric system A·x = b over the free parameters (the others come back 0). Rows
 * and columns are first scaled to a unit diagonal, which makes Cramer's rule accurate enough here:
 * the iteration converges on the gradient, which is computed directly, not on this solve.
 */
function solve3(a: Mat3, b: Vec3, free: Flags): Vec3 | undefined {
  const scale = (i: 0 | 1 | 2) => (free[i] && a[i][i] > 0 ? 1 / Math.sqrt(a[i][i]) : 0);
  const s: Vec3 = [scale(0), scale(1), scale(2)];
  // A held parameter becomes the trivial equation x = 0.
  const m = (i: 0 | 1 | 2, j: 0 | 1 | 2) => (s[i] === 0 || s[j] === 0 ? (i === j ? 1 : 0) : a[i][j] * s[i] * s[j]);
  const c: Vec3 = [b[0] * s[0], b[1] * s[1], b[2] * s[2]];
  const col0: Vec3 = [m(0, 0), m(1, 0), m(2, 0)];
  const col1: Vec3 = [m(0, 1), m(1, 1), m(2, 1)];
  const col2: Vec3 = [m(0, 2), m(1, 2), m(2, 2)];
  const d = det(col0, col1, col2);
  if (!Number.isFinite(d) || Math.abs(d) < 1e-300) return undefined;
  const x: Vec3 = [(det(c, col1, col2) / d) * s[0], (det(col0, c, col2) / d) * s[1], (det(col0, col1, c) / d) * s[2]];
  return x.every(Number.isFinite) ? x : undefined;
}

/** Determinant of the matrix with these columns. */
function det(c0: Vec3, c1: Vec3, c2: Vec3): number {
  return c0[0] * (c1[1] * c2[2] - c1[2] * c2[1]) - c1[0] * (c0[1] * c2[2] - c0[2] * c2[1]) + c2[0] * (c0[1] * c1[2] - c0[2] * c1[1]);
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
