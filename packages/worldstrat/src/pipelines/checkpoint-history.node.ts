// The training history kept beside the resume checkpoint, `<checkpointDir>/last.history.json`: written before
// every `last.safetensors`, so it is never older than the checkpoint. A resumed run continues that history, cut
// back to the checkpoint, instead of starting an empty one: a killed or finished run loses nothing recorded.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import type { CheckpointSink, ValidationSummary } from '@worldstrat/srnet';
import { readTrainRecord, type TrainRecord } from './read-train-history.node.js';

/** What a run has recorded: loss per step (global step, loss), validation per epoch, seconds of training. */
export interface RecordedHistory {
  steps: [number, number][];
  validation: ValidationSummary[];
  seconds: number;
}

/** Where a checkpoint stands: optimiser steps done and the epoch in progress (0-based). */
export interface ResumePoint {
  step: number;
  epoch: number;
}

/** The history file kept beside `<checkpointDir>/last.safetensors`. */
export function checkpointHistoryPath(checkpointDir: string): string {
  return join(checkpointDir, 'last.history.json');
}

/**
 * `sink`, writing `document(step)` to `historyPath` before each resume checkpoint (not `best`, which resume
 * never reads). History first: a kill between the two files leaves a newer history, which resume cuts back.
 */
export function withHistory(
  sink: CheckpointSink,
  historyPath: string,
  document: (step: number) => string,
): CheckpointSink {
  return {
    async save(bytes, info) {
      if (info.kind !== 'best') await writeFileAtomic(historyPath, document(info.step));
      await sink.save(bytes, info);
    },
  };
}

/**
 * The history a run resuming at `at` continues: the one kept beside the checkpoint, else `finishedPath` (the
 * `<stem>.history.json` of a run that ended at this checkpoint before histories were kept beside it).
 *
 * @returns the history up to the checkpoint, or undefined when none covers it (the reason goes to `log`).
 */
export async function resumedHistory(
  keptPath: string,
  finishedPath: string,
  at: ResumePoint,
  log?: (message: string) => void,
): Promise<RecordedHistory | undefined> {
  const kept = await readRecord(keptPath, log);
  const finished = await readRecord(finishedPath, log);
  if (kept && kept.steps >= at.step) {
    const out = cutBack(kept, at);
    // the same run finished at this checkpoint: its final history also counts the time after the checkpoint
    if (finished && finished.steps === at.step && sameSteps(finished, out))
      out.seconds = Math.max(out.seconds, finished.seconds);
    return out;
  }
  // written after the last checkpoint of a finished run: the same step count means that run
  if (finished && finished.steps === at.step) return cutBack(finished, at);
  log?.(`no training history covers the checkpoint (step ${at.step}): the history restarts there`);
  return undefined;
}

/** The record at `path`; undefined when missing or unreadable (a damaged history must not block a resume). */
async function readRecord(path: string, log?: (message: string) => void): Promise<TrainRecord | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return await readTrainRecord(path);
  } catch (e) {
    log?.(`ignoring ${(e as Error).message}`);
    return undefined;
  }
}

/** Whether `r` recorded exactly the step losses of `h` (the same run, not an older one in the same folder). */
function sameSteps(r: TrainRecord, h: RecordedHistory): boolean {
  const a = r.history.steps;
  return (
    a.length === h.steps.length && a.every(([s, l], i) => s === h.steps[i][0] && Object.is(l, h.steps[i][1]))
  );
}

/** `r` as of the checkpoint: the steps it had done, the validation of the epochs it had completed. */
function cutBack(r: TrainRecord, at: ResumePoint): RecordedHistory {
  return {
    steps: r.history.steps.filter(([s]) => s <= at.step),
    validation: r.history.validation.filter((v) => v.epoch < at.epoch && v.step <= at.step),
    seconds: r.seconds,
  };
}
