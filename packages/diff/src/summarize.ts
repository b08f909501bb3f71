// Turning a (merged) tally into the reported diff: noise classification, pair counts, groups.

import type { DiffGroup, DiffSummary, DiffTally, SignatureTally } from "@parallax/protocol";
import { mcnemarPValue } from "./mcnemar.js";

export type NoiseMethod = "mcnemar" | "diffy";
export const NOISE_METHODS: readonly NoiseMethod[] = Object.freeze(["mcnemar", "diffy"]);
/** The default method; `DiffSummary.noiseMethod` names the one a summary used. */
export const NOISE_METHOD: NoiseMethod = "mcnemar";

export interface NoiseOptions {
  /** mcnemar: Significance level of the one-sided McNemar test, e.g. 0.05. */
  readonly alpha: number;
  /** mcnemar: Smallest excess rate (candidate − secondary, per triple) that counts as real, e.g. 0.001. */
  readonly minEffect: number;
  /** How noise is told from real differences (default `mcnemar`); see `classify`. */
  readonly method?: NoiseMethod;
}

/**
 * Diffy's default thresholds (twitter/diffy `DiffyServiceModule`: `threshold.relative` 20.0 and
 * `threshold.absolute` 0.03, both in percent; applied in `analysis/JoinedDifferences.scala`).
 * A relative difference |r − n| / (r + n) above 20 % is the same as r > 1.5·n.
 */
export const DIFFY_THRESHOLDS = Object.freeze({ relative: 0.2, absolute: 0.0003 });

export interface Classification {
  readonly noise: boolean;
  /** mcnemar, when the endpoint had secondary responses. */
  readonly pValue?: number;
}

/** The two sample sizes of a signature's endpoint. */
export interface EndpointCounts {
  /** Pairs compared: the denominator of the candidate's rate. */
  readonly compared: number;
  /** Of those, pairs that also had a secondary response: the denominator of the secondary's rate. */
  readonly comparedWithSecondary: number;
}

/**
 * Noise test for one signature (design.md §6). Without secondary data nothing is noise, whatever
 * the method.
 *
 * `mcnemar` (default): with n = triples of its endpoint that had a secondary response,
 * b = candidate − both (only the candidate differs) and c = secondary − both (only the secondary
 * does): p = P(X >= b), X ~ Binomial(b + c, 1/2) (exact one-sided McNemar), effect =
 * (candidate − secondary) / n. Real when the secondary never shows it (secondary = 0) or when
 * p < alpha and effect > minEffect; noise otherwise. `candidate` counts all compared pairs,
 * including the few whose secondary failed, which can only make a difference look more real,
 * never hide one.
 *
 * `diffy` (Twitter Diffy's rule with its default thresholds, see `DIFFY_THRESHOLDS`): with
 * r = candidate / compared (the group's `rate`) and s = secondary / comparedWithSecondary (its
 * `secondaryRate`), real iff r > s, (r − s) / (r + s) > 20 % (i.e. r > 1.5·s) and r − s > 0.03 %
 * of the traffic; noise otherwise. Diffy compares counts over one total; rates keep the two
 * sides comparable when some secondaries failed, and equal Diffy's figures when none did. The
 * inequalities are strict, as in Diffy's code, and evaluated on integer cross-products, so the
 * boundaries are exact (while compared · comparedWithSecondary < 9·10^11). Unlike McNemar, a
 * signature the secondary never shows is still noise when r <= 0.03 %. `alpha` and `minEffect`
 * are not used.
 */
export function classify(sig: SignatureTally, endpoint: EndpointCounts, noise: NoiseOptions): Classification {
  const withSecondary = endpoint.comparedWithSecondary;
  if (withSecondary === 0) return { noise: false };
  if (noise.method === "diffy") return { noise: !diffyReal(sig.candidate, Math.max(endpoint.compared, 1), sig.secondary, withSecondary) };
  const b = Math.max(0, sig.candidate - sig.both);
  const c = Math.max(0, sig.secondary - sig.both);
  const pValue = mcnemarPValue(b, c);
  if (sig.secondary === 0) return { noise: false, pValue };
  const effect = (sig.candidate - sig.secondary) / withSecondary;
  return { noise: !(pValue < noise.alpha && effect > noise.minEffect), pValue };
}

/** r = candidate / compared, s = secondary / withSecondary: r > s, 100·(r − s) > 20·(r + s) and 10000·(r − s) > 3, times compared · withSecondary. */
function diffyReal(candidate: number, compared: number, secondary: number, withSecondary: number): boolean {
  const r = candidate * withSecondary;
  const s = secondary * compared;
  return r > s && 100 * (r - s) > 20 * (r + s) && 10000 * (r - s) > 3 * compared * withSecondary;
}

function groupOrder(a: DiffGroup, b: DiffGroup): number {
  if (a.noise !== b.noise) return a.noise ? 1 : -1;
  if (a.count !== b.count) return b.count - a.count;
  if (a.endpoint !== b.endpoint) return a.endpoint < b.endpoint ? -1 : 1;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}

/**
 * Classifies every signature, then every pair from its combo: `different` if any of its
 * signatures is real (a signature the tally does not know counts as real) or it overflowed,
 * `noise` if all are noise. `compared = identical + different + noise` holds for any tally the
 * comparator and `mergeTally` built.
 */
export function summarize(tally: DiffTally, noise: NoiseOptions): DiffSummary {
  const isNoise = new Map<string, boolean>();
  const groups: DiffGroup[] = [];
  for (const key in tally.signatures) {
    const sig = tally.signatures[key];
    if (sig === undefined) continue;
    const endpoint = tally.endpoints[sig.endpoint];
    const compared = endpoint?.compared ?? 0;
    const withSecondary = endpoint?.comparedWithSecondary ?? 0;
    const verdict = classify(sig, { compared, comparedWithSecondary: withSecondary }, noise);
    isNoise.set(key, verdict.noise);
    if (sig.candidate === 0) continue;
    const base = {
      endpoint: sig.endpoint,
      path: sig.path,
      kind: sig.kind,
      count: sig.candidate,
      rate: compared > 0 ? sig.candidate / compared : 0,
      noise: verdict.noise,
      examples: sig.exemplars,
    };
    if (withSecondary === 0) groups.push(base);
    else {
      const withNoise = { ...base, secondaryCount: sig.secondary, secondaryRate: sig.secondary / withSecondary };
      groups.push(verdict.pValue === undefined ? withNoise : { ...withNoise, pValue: verdict.pValue });
    }
  }
  groups.sort(groupOrder);

  let different = tally.overflowPairs;
  let noisy = 0;
  for (const combo in tally.combos) {
    const pairs = tally.combos[combo] ?? 0;
    const real = combo.split("\n").some((key) => isNoise.get(key) !== true);
    if (real) different += pairs;
    else noisy += pairs;
  }
  return {
    compared: tally.compared,
    identical: tally.identical,
    different,
    noise: noisy,
    notComparable: tally.notComparable,
    notComparableReasons: { ...tally.notComparableReasons },
    // Named as `classify` applied it: anything but "diffy" ran the default.
    noiseMethod: noise.method === "diffy" ? "diffy" : NOISE_METHOD,
    groups,
  };
}
