import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageStore, decodeMessage } from "@store/commitlog";

const storePathRootDir = await mkdtemp(join(tmpdir(), "store-")); // any directory you can write
const store = await MessageStore.open({ storePathRootDir, flushDiskType: "SYNC_FLUSH" });

const put = await store.putMessage({
  topic: "orders",
  queueId: 0,
  body: Buffer.from("hello"),
  tags: "new",
  keys: ["o-1"],
});
console.log(put.status, put.appendResult?.msgId, put.appendResult?.logicsOffset); // PUT_OK 7F0000010000… 0

// Consume queues are filled in the background: wait until they hold the put, then read it back.
if (put.appendResult)
  await store.waitForDispatch(put.appendResult.wroteOffset + put.appendResult.wroteBytes);
const pulled = await store.getMessage("my-group", "orders", 0, 0, 32);
for (const record of pulled.messages) {
  const decoded = decodeMessage(record);
  if (decoded.ok) console.log(decoded.message.body.toString(), decoded.message.queueOffset); // hello 0
}
// the next pull starts at pulled.nextBeginOffset

await store.shutdown(); // flushes everything and removes `abort`: the next open recovers normally
