import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReferenceResource } from "../src/index.js";

/** Records each cleanup call and the count it saw. */
class Resource extends ReferenceResource {
  readonly cleanups: number[] = [];
  protected cleanup(currentRef: number): boolean {
    this.cleanups.push(currentRef);
    return !this.isAvailable(); // like MappedFile: nothing to free while still available
  }
}

describe("ReferenceResource", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts with the creator's reference; hold and release count up and down", () => {
    const resource = new Resource();
    expect(resource.refCount).toBe(1);
    expect(resource.isAvailable()).toBe(true);
    expect(resource.hold()).toBe(true);
    expect(resource.hold()).toBe(true);
    expect(resource.refCount).toBe(3);
    resource.release();
    resource.release();
    expect(resource.refCount).toBe(1);
    expect(resource.cleanups).toEqual([]);
    expect(resource.isCleanupOver()).toBe(false);
  });

  it("refuses new holders after shutdown", () => {
    const resource = new Resource();
    expect(resource.hold()).toBe(true);
    resource.shutdown(1000);
    expect(resource.isAvailable()).toBe(false);
    expect(resource.hold()).toBe(false);
    expect(resource.refCount).toBe(1); // the creator's reference is gone, the holder's is left
  });

  it("cleans up at shutdown when nobody else holds it", () => {
    const resource = new Resource();
    resource.shutdown(1000);
    expect(resource.refCount).toBe(0);
    expect(resource.cleanups).toEqual([0]);
    expect(resource.isCleanupOver()).toBe(true);
  });

  it("cleans up when the last holder releases after shutdown", () => {
    const resource = new Resource();
    resource.hold();
    resource.hold();
    resource.shutdown(1000);
    resource.release();
    expect(resource.isCleanupOver()).toBe(false);
    resource.release();
    expect(resource.cleanups).toEqual([0]);
    expect(resource.isCleanupOver()).toBe(true);
  });

  it("does not force cleanup before intervalForcibly has passed since the first shutdown", () => {
    const resource = new Resource();
    resource.hold();
    resource.shutdown(1000);
    vi.setSystemTime(1_000_999);
    resource.shutdown(1000);
    expect(resource.refCount).toBe(1);
    expect(resource.isCleanupOver()).toBe(false);
  });

  it("forces cleanup once intervalForcibly has passed, even with holders left", () => {
    const resource = new Resource();
    resource.hold();
    resource.hold();
    resource.shutdown(1000);
    vi.setSystemTime(1_001_000);
    resource.shutdown(1000);
    expect(resource.refCount).toBeLessThan(0); // -1000 - 2, then released once
    expect(resource.refCount).toBe(-1003);
    expect(resource.cleanups).toEqual([-1003]);
    expect(resource.isCleanupOver()).toBe(true);
    // Late releases by the forgotten holders leave it cleaned up.
    resource.release();
    resource.release();
    expect(resource.isCleanupOver()).toBe(true);
    expect(resource.hold()).toBe(false);
  });

  it("does nothing more on a further shutdown once cleaned up", () => {
    const resource = new Resource();
    resource.shutdown(0);
    resource.shutdown(0);
    expect(resource.cleanups).toEqual([0]);
    expect(resource.refCount).toBe(0);
  });

  it("is not cleaned up while cleanup reports work left", () => {
    class Stubborn extends ReferenceResource {
      protected cleanup(): boolean {
        return false;
      }
    }
    const resource = new Stubborn();
    resource.shutdown(0);
    expect(resource.refCount).toBe(0);
    expect(resource.isCleanupOver()).toBe(false);
  });
});
