import { takesQueueOffset } from "./append-message-callback.js";
import { readDispatchUnit } from "@store/message-codec";
import type { CommitLog } from "./commit-log.js";
import type { UnitCheck } from "./consume-queue.js";

/**
 * Recovery's check of a kept unit against the commit log: the record it points at must be a message
 * of the unit's size, stored there (its PHYSICALOFFSET), of the unit's topic and queue id, at the
 * unit's queue offset, with the unit's tagsCode.
 * A unit whose record was deleted with its commit-log file passes (nothing is left to compare).
 */
export function unitMatchesRecord(commitLog: CommitLog): UnitCheck {
  return async (queue, unit, index) => {
    const minOffset = commitLog.getMinOffset();
    if (minOffset > 0 && unit.offset < minOffset) return true;
    const data = await commitLog.getMessage(unit.offset, unit.size);
    if (data === null) return false;
    try {
      const read = readDispatchUnit(data.buffer, 0);
      return (
        read.kind === "MESSAGE" &&
        read.size === unit.size &&
        read.physicalOffset === unit.offset &&
        read.topic === queue.topic &&
        read.queueId === queue.queueId &&
        read.queueOffset === index &&
        read.tagsCode === unit.tagsCode &&
        takesQueueOffset(read.sysFlag)
      );
    } finally {
      data.release();
    }
  };
}
