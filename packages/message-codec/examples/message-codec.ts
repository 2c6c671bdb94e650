import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageStore } from "@store/commitlog";
import { decodeMessage, decodeMessageId } from "@store/message-codec";

const storePathRootDir = await mkdtemp(join(tmpdir(), "codec-")); // any directory you can write
const store = await MessageStore.open({ storePathRootDir });
const put = await store.putMessage({
  topic: "orders",
  queueId: 0,
  body: Buffer.from("hello"),
  tags: "new",
  keys: ["o-1"],
});
if (put.appendResult)
  await store.waitForDispatch(put.appendResult.wroteOffset + put.appendResult.wroteBytes);

const pulled = await store.getMessage("readme", "orders", 0, 0, 1); // complete v1 records
const decoded = decodeMessage(pulled.messages[0] as Buffer);
if (decoded.ok) {
  const { topic, body, tags, keys, msgId, physicalOffset } = decoded.message;
  console.log(topic, body.toString(), tags, keys, msgId === put.appendResult?.msgId); // orders hello new o-1 true
  console.log(decodeMessageId(msgId).offset === physicalOffset); // true: the id is store host + offset
}
await store.shutdown();
