// The exact one-sided McNemar (sign) test used to tell noise from real differences.

const LN2 = Math.LN2;
const TABLE_SIZE = 256;
const logFactorials: number[] = [0];
for (let k = 1; k < TABLE_SIZE; k++) logFactorials.push((logFactorials[k - 1] as number) + Math.log(k));

/** ln(n!): exact sums below 256, Stirling's series above (error far below 1e-15 relative there). */
export function logFactorial(n: number): number {
  if (n < TABLE_SIZE) return logFactorials[n] as number;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)));
}

/** P(X = k), X ~ Binomial(n, 1/2), computed in log space so large n neither overflows nor underflows early. */
function pointMass(n: number, k: number): number {
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) - n * LN2);
}

/**
 * P(X >= b), X ~ Binomial(n, 1/2), exactly (no normal approximation). The smaller tail is summed
 * from its end next to the mode outwards, each term from the previous by the ratio of binomial
 * coefficients, stopping once terms no longer change the sum; the upper tail is then that sum
 * or 1 minus the lower one.
 */
export function binomialUpperTail(b: number, n: number): number {
  if (b <= 0) return 1;
  if (b > n) return 0;
  // Every trial on the candidate's side (the common "secondary never shows it" case): exactly 2^-n.
  if (b === n) return 2 ** -n;
  if (2 * b > n) {
    let term = pointMass(n, b);
    let sum = term;
    for (let k = b; k < n && term > sum * 1e-17; k++) {
      term *= (n - k) / (k + 1);
      sum += term;
    }
    return Math.min(1, sum);
  }
  // b <= n/2: P(X >= b) = 1 − P(X <= b−1), and the lower tail is the small one.
  let term = pointMass(n, b - 1);
  let sum = term;
  for (let k = b - 1; k > 0 && term > sum * 1e-17; k--) {
    term *= k / (n - k + 1);
    sum += term;
  }
  return Math.max(0, 1 - sum);
}

/**
 * One-sided exact McNemar test on the discordant counts of a signature: `b` triples where only
 * the candidate differs from production, `c` where only the secondary does. Under "the candidate
 * differs no more often than the secondary", b ~ Binomial(b + c, 1/2); the p-value is
 * P(X >= b). Small p: the candidate differs significantly more often.
 */
export function mcnemarPValue(b: number, c: number): number {
  return binomialUpperTail(b, b + c);
}
