// Entitlement (spec/compute.md §1.3 [I]): a demand-capped, weighted max-min ("water-filling")
// divvy. Each consumer gets clamp(λ·shares, lo, hi) for the water level λ at which the total is
// min(capacity, Σ hi); the reservation is a floor on the result, not added to it.

export interface Claim {
  shares: number;
  /** floor: the reservation */
  lo: number;
  /** cap: max(lo, min(limit, demand)) */
  hi: number;
}

/** Allocations for `claims` out of `capacity`, in order. Admission control keeps Σ lo ≤ capacity. */
export function divvy(capacity: number, claims: readonly Claim[]): number[] {
  let sumHi = 0;
  let sumLo = 0;
  for (const c of claims) {
    sumHi += c.hi;
    sumLo += c.lo;
  }
  if (sumHi <= capacity) return claims.map((c) => c.hi);
  if (sumLo >= capacity) return claims.map((c) => c.lo);
  const total = (lambda: number) => {
    let t = 0;
    for (const c of claims) t += Math.min(c.hi, Math.max(c.lo, lambda * c.shares));
    return t;
  };
  // Bisection on λ: total(λ) is continuous and non-decreasing.
  let lo = 0;
  let hi = 1;
  while (total(hi) < capacity && hi < 1e15) hi *= 2;
  for (let i = 0; i < 64; i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) < capacity) lo = mid;
    else hi = mid;
  }
  return claims.map((c) => Math.min(c.hi, Math.max(c.lo, hi * c.shares)));
}

/** Idle-memory-tax-adjusted shares (§2.7): S / (f + k·(1 − f)), k = 1 / (1 − τ). */
export function idleTaxedShares(shares: number, activeFraction: number, tau: number): number {
  const k = 1 / (1 - Math.min(tau, 0.99));
  const f = Math.min(1, Math.max(0, activeFraction));
  return shares / (f + k * (1 - f));
}
