import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MappedFileQueue } from "@store/file-queue";
import { FlushManager } from "@store/flush-services";

const storePath = join(await mkdtemp(join(tmpdir(), "flush-demo-")), "commitlog");
const queue = new MappedFileQueue({ storePath, mappedFileSize: 1024 * 1024 });
await queue.load();
let physicMsgTimestamp = 0; // the commit log keeps this in its checkpoint
const flush = new FlushManager(
  queue,
  { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 5000 }, // RocketMQ property names
  { onFlushed: (timestamp) => (physicMsgTimestamp = timestamp) }, // logger: silent unless you pass one
);
flush.start();

const file = await queue.getLastMappedFile(0);
if (file === null) throw new Error("no segment file", { cause: queue.lastCreateError });
file.appendMessage(Buffer.from("hello, durable world"));
const status = await flush.handleDiskFlush(file.fileFromOffset + file.wrotePosition, true);
console.log(status, queue.flushedWhere); // PUT_OK 20: an fdatasync covering the message has completed
// "FLUSH_DISK_TIMEOUT" would mean: the message is stored, but no fdatasync confirmed it within 5 s.

await flush.shutdown(); // every pending request completes; the last bytes are flushed
await queue.shutdown(1000);
console.log(physicMsgTimestamp > 0); // true
