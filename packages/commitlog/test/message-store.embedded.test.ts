import { execFile } from "node:child_process";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { FileIO } from "@store/mapped-file";
import { StoreError, nodeFileIO } from "@store/mapped-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { silentLogger, tempDir } from "./helpers.js";

/** A Node fs error as `node:fs` raises it. */
function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

/** node:fs, but `op` fails with `code` on paths under `under` (root bypasses real permissions). */
function denying(op: "mkdir" | "open", under: string, code = "EACCES"): FileIO {
  const io: FileIO = { ...nodeFileIO };
  if (op === "mkdir") io.mkdir = async (path) => Promise.reject(errnoError(code, "mkdir", path));
  else
    io.open = async (path, create) =>
      path.startsWith(under)
        ? Promise.reject(errnoError(code, "open", path))
        : nodeFileIO.open(path, create);
  return io;
}

describe("MessageStore embedded", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  it("opens with no size given without writing a gigabyte: 64 MiB segments", async () => {
    const root = join(dir, "store");
    const store = await MessageStore.open(
      { storePathRootDir: root, flushDiskType: "SYNC_FLUSH" },
      { logger: silentLogger },
    );
    try {
      expect(store.config.mappedFileSizeCommitLog).toBe(64 * 1024 * 1024);
      const put = await store.putMessage({ topic: "T", body: Buffer.from("hello") });
      expect(put.status).toBe("PUT_OK");
      const [first] = (await readdir(join(root, "commitlog"))).sort();
      expect((await stat(join(root, "commitlog", first as string))).size).toBe(64 * 1024 * 1024);
    } finally {
      await store.shutdown();
    }
  });

  it("creates missing parent directories of storePathRootDir", async () => {
    const root = join(dir, "a", "b", "store");
    const store = await MessageStore.open(
      { storePathRootDir: root, mappedFileSizeCommitLog: 64 * 1024 },
      { logger: silentLogger },
    );
    await store.shutdown();
    expect((await stat(join(root, "commitlog"))).isDirectory()).toBe(true);
  });

  it("refuses a storePathRootDir under a regular file with StoreError IO_ERROR naming the path", async () => {
    await writeFile(join(dir, "file"), "not a directory");
    const root = join(dir, "file", "store");
    const failure: unknown = await MessageStore.open(
      { storePathRootDir: root },
      { logger: silentLogger },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({
      name: "StoreError",
      code: "IO_ERROR",
      cause: { code: "ENOTDIR" },
    });
    expect((failure as Error).message).toContain(root);
  });

  it("refuses a directory it may not create with StoreError IO_ERROR carrying EACCES", async () => {
    const root = join(dir, "denied");
    const failure: unknown = await MessageStore.open(
      { storePathRootDir: root },
      { logger: silentLogger, io: denying("mkdir", root) },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ code: "IO_ERROR", cause: { code: "EACCES" } });
    expect((failure as Error).message).toMatch(/EACCES/);
  });

  it("refuses a store whose files it may not open with a StoreError, and releases nothing it did not take", async () => {
    const root = join(dir, "readonly");
    await mkdir(join(root, "commitlog"), { recursive: true });
    await mkdir(join(root, "consumequeue"), { recursive: true });
    const failure: unknown = await MessageStore.open(
      { storePathRootDir: root },
      { logger: silentLogger, io: denying("open", root) },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ cause: { code: "EACCES" } });
    const store = await MessageStore.open(
      { storePathRootDir: root, mappedFileSizeCommitLog: 64 * 1024 },
      { logger: silentLogger },
    );
    await store.shutdown();
  });

  it(
    "prints nothing to stdout with the default logger through open, put, recovery and shutdown",
    { timeout: 30_000 },
    async () => {
      const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));
      const script = `
      const { MessageStore } = await import(${JSON.stringify(entry)});
      const config = { storePathRootDir: ${JSON.stringify(join(dir, "quiet"))}, mappedFileSizeCommitLog: 65536 };
      const store = await MessageStore.open(config);
      await store.putMessage({ topic: "T", body: Buffer.from("x") });
      await store.shutdown();
      const again = await MessageStore.open(config);
      await again.shutdown();`;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [
        "--input-type=module",
        "-e",
        script,
      ]);
      expect(stdout).toBe("");
      expect(stderr).toBe("");
    },
  );
});
