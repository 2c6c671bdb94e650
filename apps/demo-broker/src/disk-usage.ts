import { statfs } from "node:fs/promises";
import type { DiskUsage } from "./broker-metrics.js";

/** How long one statfs answer is reused, ms: the page polls twice a second and Prometheus scrapes too. */
const CACHE_MS = 1000;

/** The size and free space of the file system holding a directory (statfs), cached for a second. */
export class DiskUsageProbe {
  readonly #path: string;
  #cached: { readonly at: number; readonly usage: DiskUsage | null } | null = null;
  #pending: Promise<DiskUsage | null> | null = null;

  constructor(path: string) {
    this.#path = path;
  }

  /** The usage, or null when statfs fails (the directory vanished, an unsupported file system). */
  read(): Promise<DiskUsage | null> {
    const cached = this.#cached;
    if (cached !== null && Date.now() - cached.at < CACHE_MS) return Promise.resolve(cached.usage);
    this.#pending ??= statfs(this.#path)
      .then(
        (stats): DiskUsage => ({
          totalBytes: stats.blocks * stats.bsize,
          availableBytes: stats.bavail * stats.bsize,
        }),
        () => null,
      )
      .then((usage) => {
        this.#cached = { at: Date.now(), usage };
        this.#pending = null;
        return usage;
      });
    return this.#pending;
  }
}
