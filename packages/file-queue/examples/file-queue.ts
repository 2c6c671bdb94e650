import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MappedFileQueue } from "@store/file-queue";

const storePath = join(mkdtempSync(join(tmpdir(), "demo-")), "commitlog");
const queue = new MappedFileQueue({ storePath, mappedFileSize: 1024 * 1024 });
await queue.load(); // opens the files already there (none yet)

const file = await queue.getLastMappedFile(0); // creates 00000000000000000000, zero-filled
if (file === null) throw new Error("no segment file", { cause: queue.lastCreateError });
file.appendMessage(Buffer.from("hello, log")); // staged; in the page cache before the tick ends

while (await queue.flush(0)); // true = flushedWhere advanced; one file per call
console.log(queue.flushedWhere); // 10

const found = queue.findMappedFileByOffset(0);
const read = await found?.selectMappedBuffer(0, 10);
console.log(read?.buffer.toString()); // "hello, log"
read?.release();

await queue.shutdown(1000);
