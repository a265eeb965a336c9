/**
 * The sequential gate's error control: alpha spending over planned looks (Lan & DeMets 1983),
 * with the Pocock-type spending function alpha(t) = alpha * ln(1 + (e - 1) t) of the information
 * fraction t = n / nMax. Look k may spend alpha(t_k) - alpha(t_(k-1)); each look's interval is
 * taken at that level on its own, so by the union bound the chance that any look's interval
 * misses the true ratio is at most alpha, however the looks depend on each other. (Exact group-
 * sequential boundaries would spend the same alpha more efficiently; the union bound needs no
 * normal model of the joint law of the looks and stays valid with the exact rank intervals.)
 * Pocock-type spending front-loads alpha, so clear cases stop at the first looks.
 *
 * @module
 */

/** Lan-DeMets Pocock-type spending: alpha spent by information fraction t in [0, 1]. */
export function pocockSpending(t: number, alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const f = Math.min(1, Math.max(0, t));
  return alpha * Math.log(1 + (Math.E - 1) * f);
}

/**
 * Planned looks: `first` runs per cell, then each look about `growth` times the previous (a
 * new round costs the same at any n, while a look costs alpha), ending at `max`.
 */
export function plannedLooks(first: number, max: number, growth = 1.5): number[] {
  if (!(Number.isInteger(first) && first >= 1)) throw new RangeError(`first must be >= 1`);
  if (max < first) return [first];
  const looks = [first];
  for (;;) {
    const last = looks[looks.length - 1] as number;
    const next = Math.max(last + 1, Math.round(last * growth));
    if (next >= max) break;
    looks.push(next);
  }
  if ((looks[looks.length - 1] as number) < max) looks.push(max);
  return looks;
}

/** Alpha each planned look spends (they sum to alpha): the increments of pocockSpending. */
export function lookAlphas(looks: readonly number[], alpha: number): number[] {
  const max = looks[looks.length - 1] ?? 1;
  let spent = 0;
  return looks.map((n) => {
    const upTo = pocockSpending(n / max, alpha);
    const here = upTo - spent;
    spent = upTo;
    return here;
  });
}
