// Seeded PRNG (sfc32: 128-bit state, period ≥ 2^32, passes PractRand to 2^41 bytes) with exportable state, so
// training can checkpoint and resume its random stream exactly.

/** The full state of a {@link SeededRandom}: four unsigned 32-bit words. */
export type RandomState = [number, number, number, number];

/** A small deterministic PRNG whose state can be saved and restored. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seed from a 32-bit integer (splitmix32 expands it into the 128-bit state; 12 warm-up rounds). */
  constructor(seed: number | RandomState) {
    if (Array.isArray(seed)) {
      [this.a, this.b, this.c, this.d] = seed.map((v) => v >>> 0) as RandomState;
      return;
    }
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Copy of the state, for checkpoints. */
  getState(): RandomState {
    return [this.a, this.b, this.c, this.d];
  }
}
