// Turning a (merged) tally into the reported diff: noise classification, pair counts, groups.

import type { DiffGroup, DiffSummary, DiffTally, SignatureTally } from "@parallax/protocol";
import { mcnemarPValue } from "./mcnemar.js";

export interface NoiseOptions {
  /** Significance level of the one-sided McNemar test, e.g. 0.05. */
  readonly alpha: number;
  /** Smallest excess rate (candidate − secondary, per triple) that counts as real, e.g. 0.001. */
  readonly minEffect: number;
}

export const NOISE_METHOD = "mcnemar";

export interface Classification {
  readonly noise: boolean;
  /** Present when the endpoint had secondary responses. */
  readonly pValue?: number;
}

/**
 * Noise test for one signature (design.md §6). With n = triples of its endpoint that had a
 * secondary response, b = candidate − both (only the candidate differs) and c = secondary − both
 * (only the secondary does): p = P(X >= b), X ~ Binomial(b + c, 1/2) (exact one-sided McNemar),
 * effect = (candidate − secondary) / n. Real when the secondary never shows it (secondary = 0) or
 * when p < alpha and effect > minEffect; noise otherwise. Without secondary data nothing is noise.
 * `candidate` counts all compared pairs, including the few whose secondary failed, which can only
 * make a difference look more real, never hide one.
 */
export function classify(sig: SignatureTally, comparedWithSecondary: number, noise: NoiseOptions): Classification {
  if (comparedWithSecondary === 0) return { noise: false };
  const b = Math.max(0, sig.candidate - sig.both);
  const c = Math.max(0, sig.secondary - sig.both);
  const pValue = mcnemarPValue(b, c);
  if (sig.secondary === 0) return { noise: false, pValue };
  const effect = (sig.candidate - sig.secondary) / comparedWithSecondary;
  return { noise: !(pValue < noise.alpha && effect > noise.minEffect), pValue };
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
    const verdict = classify(sig, withSecondary, noise);
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
    groups.push(
      verdict.pValue === undefined
        ? base
        : { ...base, secondaryCount: sig.secondary, secondaryRate: sig.secondary / withSecondary, pValue: verdict.pValue },
    );
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
    noiseMethod: NOISE_METHOD,
    groups,
  };
}
