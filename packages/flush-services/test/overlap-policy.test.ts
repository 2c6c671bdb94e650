import { describe, expect, it } from "vitest";
import { OverlapPolicy } from "../src/overlap-policy.js";
import type { GroupCommitOverlap } from "../src/overlap-policy.js";

/**
 * A disk and writers where each way serves a fixed rate (acks per ms): `landings` flights of 64
 * acks each, each taking 64 / rate ms. Returns the share of flights that overlapped.
 */
function drive(policy: OverlapPolicy, landings: number, rate: { gather: number; overlap: number }, clock = { nowMs: 0 }): number {
  let overlapped = 0;
  for (let i = 0; i < landings; i++) {
    const acks = 64;
    if (policy.overlap) overlapped++;
    clock.nowMs += acks / (policy.overlap ? rate.overlap : rate.gather);
    policy.landed(acks, clock.nowMs);
  }
  return overlapped / landings;
}

describe("OverlapPolicy", () => {
  for (const mode of ["always", "never"] as GroupCommitOverlap[]) {
    it(`"${mode}" never changes its mind`, () => {
      const policy = new OverlapPolicy(mode);
      expect(drive(policy, 2000, { gather: 1, overlap: 100 })).toBe(mode === "always" ? 1 : 0);
      expect(drive(policy, 2000, { gather: 100, overlap: 1 })).toBe(mode === "always" ? 1 : 0);
    });
  }

  it("adaptive starts by gathering and switches to overlapping when that serves more acks per ms", () => {
    const policy = new OverlapPolicy();
    expect(policy.overlap).toBe(false);
    const clock = { nowMs: 0 };
    // Two trials in a row must win (a trial every 254 flights) before it switches.
    drive(policy, 300, { gather: 100, overlap: 130 }, clock);
    expect(policy.overlap).toBe(false);
    drive(policy, 300, { gather: 100, overlap: 130 }, clock);
    expect(policy.overlap).toBe(true);
    // From then on it overlaps, save a short trial of gathering now and then.
    expect(drive(policy, 3000, { gather: 100, overlap: 130 }, clock)).toBeGreaterThan(0.9);
  });

  it("adaptive goes back to gathering once that is faster", () => {
    const policy = new OverlapPolicy();
    const clock = { nowMs: 0 };
    drive(policy, 600, { gather: 100, overlap: 130 }, clock);
    expect(policy.overlap).toBe(true);
    drive(policy, 600, { gather: 130, overlap: 100 }, clock);
    expect(policy.overlap).toBe(false);
    expect(drive(policy, 3000, { gather: 130, overlap: 100 }, clock)).toBeLessThan(0.1);
  });

  it("adaptive keeps gathering when overlapping is not clearly faster", () => {
    const policy = new OverlapPolicy();
    expect(drive(policy, 3000, { gather: 100, overlap: 108 })).toBeLessThan(0.1);
    expect(policy.trying || !policy.overlap).toBe(true);
  });

  it("adaptive does not switch on one trial that won by noise", () => {
    const policy = new OverlapPolicy();
    const clock = { nowMs: 0 };
    // The first trial (overlap) sees a lucky disk; the next ones see the truth: gathering is faster.
    drive(policy, 260, { gather: 100, overlap: 200 }, clock);
    expect(policy.trying).toBe(false);
    expect(policy.overlap).toBe(false);
    expect(drive(policy, 3000, { gather: 100, overlap: 80 }, clock)).toBeLessThan(0.1);
  });

  it("adaptive tries a way that keeps losing less and less often", () => {
    const policy = new OverlapPolicy();
    const clock = { nowMs: 0 };
    const early = drive(policy, 2000, { gather: 100, overlap: 60 }, clock);
    const late = drive(policy, 40_000, { gather: 100, overlap: 60 }, clock);
    expect(early).toBeGreaterThan(0.01); // a few trials, 14 flights each
    expect(late).toBeLessThan(0.005);
  });
});
