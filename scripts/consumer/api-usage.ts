// Type-checked by scripts/consumer-test.mjs in a project that installed the packed tarballs, under
// `moduleResolution: nodenext` and `bundler`, with skipLibCheck off (our .d.ts files are checked too).
import { AllocateMappedFileService, MappedFileQueue } from "@store/file-queue";
import type { Flushable, MappedFileQueueOptions } from "@store/file-queue";
import { FlushManager, GroupCommitRequest, parseFlushConfig } from "@store/flush-services";
import type { FlushStatus } from "@store/flush-services";
import {
  MappedFile,
  OS_PAGE_SIZE,
  StoreError,
  TransientStorePool,
  nodeFileIO,
  offsetToFileName,
} from "@store/mapped-file";
import type { AppendMessageResult, FileIO } from "@store/mapped-file";
import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { MAX_DISPATCH_WAITERS, MessageStore, decodeMessage, isPutStored } from "@store/commitlog";
import type {
  GetMessageResult,
  MessageInput,
  PutMessageResult,
  WaitForDispatchOptions,
} from "@store/commitlog";
import {
  BrokerController,
  NamesrvController,
  RemotingCommand,
  RequestCode,
  ResponseCode,
} from "@store/broker";
import { GrpcProxy, MessageStoreBroker } from "@store/proxy";
import type { GrpcProxyOptions } from "@store/proxy";

export async function segment(dir: string): Promise<number> {
  const pool = new TransientStorePool(1, 64 * OS_PAGE_SIZE);
  pool.init();
  const file: MappedFile = await MappedFile.open(
    `${dir}/${offsetToFileName(0)}`,
    64 * OS_PAGE_SIZE,
    { transientStorePool: pool },
  );
  const appended: boolean | AppendMessageResult = file.appendMessage(Buffer.from("x"));
  const committed: number = await file.commit(0);
  await file.destroy(0);
  return appended === true ? committed : -1;
}

export async function queueAndFlush(
  storePath: string,
  io: FileIO = nodeFileIO,
): Promise<FlushStatus> {
  const options: MappedFileQueueOptions = {
    storePath,
    mappedFileSize: 1 << 20,
    io,
    allocateService: new AllocateMappedFileService({ io }),
  };
  const queue = new MappedFileQueue(options);
  const flushable: Flushable = queue;
  await queue.load();
  const manager = new FlushManager(flushable, parseFlushConfig({ flushDiskType: "SYNC_FLUSH" }));
  manager.start();
  const request = new GroupCommitRequest(0, 1000);
  const status: FlushStatus = await manager.handleDiskFlush(0, true);
  await manager.shutdown();
  return request.nextOffset === 0 ? status : "FLUSH_DISK_TIMEOUT";
}

export async function store(storePathRootDir: string): Promise<string[]> {
  const disk = new SimulatedDisk();
  const clock = new VirtualClock();
  const onDisk = await MessageStore.open(
    { storePathRootDir: "/sim" },
    { io: disk.process(), clock },
  );
  await onDisk.halt();
  const messageStore = await MessageStore.open({ storePathRootDir, flushDiskType: "ASYNC_FLUSH" });
  const input: MessageInput = { topic: "T", body: Buffer.from("hello"), keys: ["k"] };
  const put: PutMessageResult = await messageStore.putMessage(input);
  const wait: WaitForDispatchOptions = { timeoutMs: MAX_DISPATCH_WAITERS };
  if (isPutStored(put) && put.appendResult)
    await messageStore.waitForDispatch(
      put.appendResult.wroteOffset + put.appendResult.wroteBytes,
      wait,
    );
  const got: GetMessageResult = await messageStore.getMessage("g", "T", 0, 0, 32);
  const bodies = got.messages
    .map((record) => decodeMessage(record))
    .flatMap((d) => (d.ok ? [d.message.body.toString()] : []));
  await messageStore.shutdown();
  return bodies;
}

export async function brokerAndProxy(storePathRootDir: string): Promise<void> {
  const namesrv = new NamesrvController({ namesrvPort: 0 });
  await namesrv.start();
  const broker = new BrokerController({ storePathRootDir, listenPort: 0 }, { namesrv });
  await broker.start();
  const command = RemotingCommand.request(RequestCode.SEND_MESSAGE, 1, {});
  const ok: number = ResponseCode.SUCCESS;
  const messageStore = broker.messageStore;
  const proxied = await MessageStoreBroker.open({ messageStore });
  const options: GrpcProxyOptions = { broker: proxied, grpcPort: 0, host: "127.0.0.1" };
  const proxy = new GrpcProxy(options);
  await proxy.start();
  await proxy.shutdown();
  await broker.shutdown();
  await namesrv.shutdown();
  if (command.code !== RequestCode.SEND_MESSAGE || ok !== 0)
    throw new StoreError("BAD_ARGUMENT", "unexpected");
}
