import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MappedFile, TransientStorePool, offsetToFileName } from "@store/mapped-file";

const fileSize = 1024 * 1024;
const pool = new TransientStorePool(2, fileSize); // two 1 MiB buffers
pool.init();

const dir = await mkdtemp(join(tmpdir(), "commitlog-"));
const path = join(dir, offsetToFileName(0)); // .../00000000000000000000
const file = await MappedFile.open(path, fileSize, { transientStorePool: pool });

file.appendMessage(Buffer.from("hello, commit log")); // true: the bytes are in the pool buffer
await file.commit(0); // written to the file (the OS page cache); readers can see them now
await file.flush(0); // fdatasync: they survive a power cut
console.log(file.wrotePosition, file.committedPosition, file.flushedPosition); // 17 17 17

const read = await file.selectMappedBuffer(0);
console.log(read?.buffer.toString()); // hello, commit log
read?.release(); // a read holds the file: release it, or destroy() waits

await file.destroy(0); // closes the file, deletes it, gives the buffer back to the pool
