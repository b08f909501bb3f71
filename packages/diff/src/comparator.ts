// The per-pair comparison the engine calls on its hot path: differences in, tally counts out.

import { InvalidInputError, signatureKey, type DiffKind, type DiffTally, type Exemplar, type Signature, type SignatureTally } from "@parallax/protocol";
import { NOT_JSON } from "./body.js";
import { buildExemplar, DifferenceList } from "./exemplar.js";
import { IgnoreMatcher } from "./ignore.js";
import type { ComparisonState } from "./ml/registry.js";
import type { MlDiffKind } from "./ml/rule.js";
import { selectValues } from "./ml/select.js";
import { COMPARE_DEFAULTS, validateCompareOptions, type CompareOptions, type PairInput } from "./options.js";
import { formatPath, type PathSegment } from "./path.js";
import { reservoirSlot } from "./reservoir.js";
import { BodyView, diffResponses, type OkOutcome, type ResponseRules, type ResponseSink } from "./responses.js";
import { comparisonKey, compileRules, ruleApplies, type CompiledRule } from "./rules.js";
import { recordGrew, recordSize } from "./tally.js";

type ComparisonTally = DiffTally["comparisons"][string];

/** How pairs of one endpoint are compared: the structural rules (ignoring the ML rules' paths) and the ML rules that apply. */
interface EndpointScope {
  readonly rules: ResponseRules;
  readonly comparisons: ReadonlyArray<{ readonly compiled: CompiledRule; readonly key: string }>;
}

/** Endpoint scopes kept at most; beyond it the cache starts over (it only saves recompiling). */
const MAX_SCOPES = 10000;

/** The distinct signatures one comparison (production↔candidate or production↔secondary) shows. */
class SignatureSet implements ResponseSink {
  endpoint = "";
  readonly found = new Map<string, Signature>();

  reset(endpoint: string): void {
    this.endpoint = endpoint;
    this.found.clear();
  }

  difference(kind: DiffKind, path: readonly PathSegment[] | string): boolean {
    const sig: Signature = { endpoint: this.endpoint, path: typeof path === "string" ? path : formatPath(path, true), kind };
    const key = signatureKey(sig);
    // The same signature from many array elements counts once per pair.
    if (!this.found.has(key)) this.found.set(key, sig);
    return true;
  }
}

/**
 * Compares the responses of one pair and adds the outcome to a `DiffTally`. Holds reusable
 * scratch state, so one instance serves one caller at a time (compare is synchronous).
 * With `rules`, the ML comparisons of the pair's endpoint run too: their states accumulate in
 * `into.comparisons`, their differences count as signatures at the rule's path.
 */
export class Comparator {
  readonly #base: EndpointScope;
  readonly #ignore: readonly string[];
  readonly #compiled: readonly CompiledRule[];
  readonly #scopes = new Map<string, EndpointScope>();
  /** ML differences of the current pair against the candidate, for its exemplar. */
  readonly #mlDifferences: Array<{ readonly compiled: CompiledRule; readonly kind: MlDiffKind }> = [];
  readonly #exemplars: number;
  readonly #maxBodyBytes: number;
  readonly #maxSignatures: number;
  readonly #maxCombos: number;
  readonly #random: () => number;
  readonly #candidate = new SignatureSet();
  readonly #secondary = new SignatureSet();
  readonly #production = new BodyView();
  readonly #candidateBody = new BodyView();
  readonly #secondaryBody = new BodyView();
  readonly #stack: PathSegment[] = [];
  readonly #keys: string[] = [];

  /** Throws `InvalidInputError` listing every problem (see `validateCompareOptions`). */
  constructor(options: CompareOptions) {
    const issues = validateCompareOptions(options);
    if (issues.length > 0) throw new InvalidInputError(issues);
    const headers = options.headers.map((h) => h.toLowerCase());
    this.#ignore = [...options.ignore];
    this.#base = {
      rules: { ignore: new IgnoreMatcher(this.#ignore), tolerance: { ...options.tolerance }, headers, headerPaths: headers.map((h) => `header:${h}`) },
      comparisons: [],
    };
    this.#compiled = compileRules(options.rules ?? []);
    this.#exemplars = options.exemplars;
    this.#maxBodyBytes = options.maxExemplarBodyBytes;
    this.#maxSignatures = options.maxSignatures ?? COMPARE_DEFAULTS.maxSignatures;
    this.#maxCombos = options.maxCombos ?? COMPARE_DEFAULTS.maxCombos;
    this.#random = options.random ?? Math.random;
  }

  compare(pair: PairInput, into: DiffTally): void {
    const p = pair.production;
    const c = pair.candidate;
    if (!p.ok || !c.ok) {
      // A transport failure or timeout on one side says nothing about the response content.
      const reason = !p.ok && !c.ok ? "both failed" : !p.ok ? "production failed" : "candidate failed";
      into.notComparable++;
      into.notComparableReasons[reason] = (into.notComparableReasons[reason] ?? 0) + 1;
      return;
    }
    into.compared++;
    let endpoint = into.endpoints[pair.endpoint];
    if (endpoint === undefined) endpoint = into.endpoints[pair.endpoint] = { compared: 0, comparedWithSecondary: 0 };
    endpoint.compared++;
    // A failed secondary only removes this pair from the noise measurement.
    const s = pair.secondary !== undefined && pair.secondary.ok ? pair.secondary : undefined;
    if (s !== undefined) endpoint.comparedWithSecondary++;

    const scope = this.#scope(pair.endpoint);
    this.#production.reset(p);
    this.#candidateBody.reset(c);
    this.#secondaryBody.reset(s);
    this.#candidate.reset(pair.endpoint);
    this.#secondary.reset(pair.endpoint);
    this.#mlDifferences.length = 0;
    diffResponses(this.#production, this.#candidateBody, scope.rules, this.#candidate, this.#stack);
    if (s !== undefined) diffResponses(this.#production, this.#secondaryBody, scope.rules, this.#secondary, this.#stack);
    if (scope.comparisons.length > 0) this.#observe(scope, pair.endpoint, into, p, c, s);

    this.#count(into);
    if (this.#candidate.found.size > 0 && this.#exemplars > 0) this.#sample(pair, into, scope);

    // Bodies must not outlive the pair through the scratch state.
    this.#production.reset(undefined);
    this.#candidateBody.reset(undefined);
    this.#secondaryBody.reset(undefined);
  }

  #scope(endpoint: string): EndpointScope {
    if (this.#compiled.length === 0) return this.#base;
    let scope = this.#scopes.get(endpoint);
    if (scope !== undefined) return scope;
    const applicable = this.#compiled.filter((r) => ruleApplies(r.rule.endpoint, endpoint));
    scope = {
      // What a rule compares is the rule's: structurally it is ignored, with everything below it.
      rules: applicable.length === 0 ? this.#base.rules : { ...this.#base.rules, ignore: new IgnoreMatcher([...this.#ignore, ...applicable.flatMap((r) => r.excluded)]) },
      comparisons: applicable.map((compiled) => ({ compiled, key: comparisonKey(compiled.index, endpoint) })),
    };
    if (this.#scopes.size >= MAX_SCOPES) this.#scopes.clear();
    this.#scopes.set(endpoint, scope);
    return scope;
  }

  /**
   * Feeds the pair to each ML rule of its endpoint: production against the candidate, and against
   * the secondary into the rule's secondary state. A side is observed only when its status equals
   * production's and both bodies are whole, parsed JSON. The kinds observed become signatures at
   * the rule's path, counted like structural ones (so they take part in combos and noise).
   */
  #observe(scope: EndpointScope, endpoint: string, into: DiffTally, p: OkOutcome, c: OkOutcome, s: OkOutcome | undefined): void {
    if (p.bodyTruncated) return;
    const pj = this.#production.json();
    if (pj === NOT_JSON) return;
    const cj = c.status === p.status && !c.bodyTruncated ? this.#candidateBody.json() : NOT_JSON;
    const sj = s !== undefined && s.status === p.status && !s.bodyTruncated ? this.#secondaryBody.json() : NOT_JSON;
    if (cj === NOT_JSON && sj === NOT_JSON) return;
    for (const { compiled, key } of scope.comparisons) {
      const comparison = compiled.comparison;
      let entry: ComparisonTally | undefined = into.comparisons[key];
      if (entry === undefined) entry = into.comparisons[key] = { rule: compiled.index, endpoint, candidate: comparison.createState() };
      if (cj !== NOT_JSON) {
        for (const kind of comparison.observe(entry.candidate as ComparisonState, pj, cj)) {
          this.#candidate.difference(kind, compiled.rule.path);
          this.#mlDifferences.push({ compiled, kind });
        }
      }
      if (sj !== NOT_JSON) {
        entry.secondary ??= comparison.createState();
        for (const kind of comparison.observe(entry.secondary as ComparisonState, pj, sj)) this.#secondary.difference(kind, compiled.rule.path);
      }
    }
  }

  #count(into: DiffTally): void {
    const cand = this.#candidate.found;
    const sec = this.#secondary.found;
    let overflow = false;
    for (const [key, sig] of cand) {
      const st = this.#signature(into, key, sig);
      if (st === undefined) {
        overflow = true;
        continue;
      }
      st.candidate++;
      if (sec.has(key)) {
        st.secondary++;
        st.both++;
      }
    }
    for (const [key, sig] of sec) {
      if (cand.has(key)) continue;
      const st = this.#signature(into, key, sig);
      if (st !== undefined) st.secondary++;
    }
    if (cand.size === 0) {
      into.identical++;
      return;
    }
    if (!overflow) {
      const keys = this.#keys;
      keys.length = 0;
      for (const key of cand.keys()) keys.push(key);
      if (keys.length > 1) keys.sort();
      const combo = keys.length === 1 ? (keys[0] as string) : keys.join("\n");
      const n = into.combos[combo];
      if (n !== undefined) into.combos[combo] = n + 1;
      else if (recordSize(into.combos) < this.#maxCombos) {
        into.combos[combo] = 1;
        recordGrew(into.combos);
      } else overflow = true;
    }
    // The pair still counts: as different, since its exact signature set could not be kept.
    if (overflow) into.overflowPairs++;
  }

  #signature(into: DiffTally, key: string, sig: Signature): SignatureTally | undefined {
    const st = into.signatures[key];
    if (st !== undefined) return st;
    if (recordSize(into.signatures) >= this.#maxSignatures) return undefined;
    const created: SignatureTally = { endpoint: sig.endpoint, path: sig.path, kind: sig.kind, candidate: 0, secondary: 0, both: 0, exemplars: [], exemplarsSeen: 0 };
    into.signatures[key] = created;
    recordGrew(into.signatures);
    return created;
  }

  /** Offers the pair to the reservoir of each of its candidate signatures; builds it only if one takes it. */
  #sample(pair: PairInput, into: DiffTally, scope: EndpointScope): void {
    let exemplar: Exemplar | undefined;
    for (const key of this.#candidate.found.keys()) {
      const st = into.signatures[key];
      if (st === undefined) continue;
      st.exemplarsSeen++;
      const slot = reservoirSlot(st.exemplars.length, st.exemplarsSeen, this.#exemplars, this.#random);
      if (slot < 0) continue;
      exemplar ??= this.#exemplar(pair, scope);
      st.exemplars[slot] = exemplar;
    }
  }

  #exemplar(pair: PairInput, scope: EndpointScope): Exemplar {
    const list = new DifferenceList(this.#maxBodyBytes);
    // ML differences first, with the values at the rule's path (the list of all it selects).
    let room = true;
    for (const { compiled, kind } of this.#mlDifferences) {
      room = list.difference(kind, compiled.rule.path, selectValues(this.#production.json(), compiled.selector), selectValues(this.#candidateBody.json(), compiled.selector));
      if (!room) break;
    }
    if (room) diffResponses(this.#production, this.#candidateBody, scope.rules, list, this.#stack);
    return buildExemplar({
      request: pair.request,
      production: pair.production,
      candidate: pair.candidate,
      secondary: pair.secondary,
      headers: scope.rules.headers,
      maxBodyBytes: this.#maxBodyBytes,
      differences: list.list,
    });
  }
}
