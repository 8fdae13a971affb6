// The training-history reader against edited, cut and hostile history files: the history comes back exactly
// as written, or UNREADABLE_FILE names the file and the member.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf } from '../../../../tests/support/json-mutations.js';
import { WorldStratError } from '../../src/errors.js';
import { readTrainHistory } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';

/** A history file as trainModel writes it (two epochs, a NaN step loss saved as null, validation with baseline). */
function historyDoc() {
  const summary = (epoch: number, step: number) => ({
    epoch,
    step,
    count: 9,
    loss: 0.012,
    mse: 0.0004,
    mae: 0.015,
    ssimLoss: 0.21,
    psnr: 33.5,
    cssim: 0.79,
    baseline: { psnr: 31.2, ssimLoss: 0.25, loss: 0.02, mse: 0.0007, mae: 0.02 },
  });
  return {
    name: 'srcnn-mf',
    config: { kind: 'srcnn', revisits: 4, hiddenChannels: 8 },
    steps: 4,
    seconds: 12.5,
    resumedFromStep: null,
    history: {
      epochs: [
        { epoch: 0, step: 2, loss: 0.031 },
        { epoch: 1, step: 4, loss: 0.027 },
      ],
      steps: [
        [1, 0.033],
        [2, null],
        [3, 0.028],
        [4, 0.026],
      ],
      validation: [summary(0, 2), summary(1, 4)],
    },
  };
}

describe('readTrainHistory', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('history-'));
  });
  afterAll(() => cleanup());
  const write = (name: string, doc: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return path;
  };
  const failure = async (path: string) => {
    try {
      await readTrainHistory(path);
    } catch (e) {
      return e as WorldStratError;
    }
    throw new Error(`${path} was read`);
  };

  it('reads what trainModel writes; a null loss (NaN when written) comes back as NaN', async () => {
    const doc = historyDoc();
    const h = await readTrainHistory(write('ok.history.json', doc));
    expect(h.epochs).toEqual(doc.history.epochs);
    expect(h.validation).toEqual(doc.history.validation);
    expect(h.steps[0]).toEqual([1, 0.033]);
    expect(h.steps[1]?.[0]).toBe(2);
    expect(Number.isNaN(h.steps[1]?.[1])).toBe(true);
  });

  it('typed errors naming the file and the member', async () => {
    const cases: [unknown, string][] = [
      ['{"history":', 'not JSON'],
      [null, '$ is not an object'],
      [{ ...historyDoc(), history: null }, '$.history is not an object'],
      [
        { ...historyDoc(), history: { ...historyDoc().history, steps: {} } },
        '$.history.steps is not an array',
      ],
      [{ ...historyDoc(), steps: '4' }, '$.steps is not a count'],
      [{ ...historyDoc(), seconds: -1 }, '$.seconds is not a duration'],
    ];
    const doc = historyDoc();
    doc.history.epochs[1] = { epoch: 1.5, step: 4, loss: 0.027 };
    cases.push([doc, '$.history.epochs[1].epoch is not a count']);
    const pair = historyDoc();
    (pair.history.steps as unknown[])[2] = [3];
    cases.push([pair, '$.history.steps[2] is not a [step, loss] pair']);
    const metric = historyDoc();
    (metric.history.validation[1] as { baseline: Record<string, unknown> }).baseline.psnr = '31.2';
    cases.push([metric, '$.history.validation[1].baseline.psnr is not a finite number']);
    // 1e999 parses as Infinity, which the writer saves back as null: the next resume dropped the whole history
    const huge = JSON.stringify(historyDoc()).replace('"seconds":', '"seconds":1e999,"was":');
    cases.push([huge, '$.seconds is not a duration']);
    const hugeLoss = JSON.stringify(historyDoc()).replace(/"loss":[^,}]+/, '"loss":1e999');
    cases.push([hugeLoss, '$.history.epochs[0].loss is not a finite number']);
    for (const [i, [content, message]] of cases.entries()) {
      const path = write(`bad-${i}.history.json`, content);
      const e = await failure(path);
      expect(e).toBeInstanceOf(WorldStratError);
      expect(e.code).toBe('UNREADABLE_FILE');
      expect(e.message).toContain(`training history ${path}: `);
      expect(e.message).toContain(message);
    }
    const missing = await failure(join(dir, 'none.history.json'));
    expect([missing.code, missing.message]).toEqual([
      'UNREADABLE_FILE',
      `training history ${join(dir, 'none.history.json')} does not exist`,
    ]);
    // A FIFO in its place is refused at once (a plain read would wait for a writer for ever).
    const fifo = join(dir, 'fifo.history.json');
    execFileSync('mkfifo', [fifo]);
    const blocked = await failure(fifo);
    expect([blocked.code, blocked.message]).toEqual([
      'UNREADABLE_FILE',
      expect.stringContaining(`training history ${fifo} is not a regular file`),
    ]);
  });

  it('300 hostile variants: the history or UNREADABLE_FILE, and what reads holds numbers where numbers belong', async () => {
    const outcomes = new Map<string, number>();
    let n = 0;
    for (const { doc, what } of jsonMutations(historyDoc(), 300, 17)) {
      const path = write(`m-${n++}.history.json`, doc);
      let h: Awaited<ReturnType<typeof readTrainHistory>> | undefined;
      const outcome = await outcomeOf(
        what,
        async () => {
          h = await readTrainHistory(path);
        },
        WorldStratError,
      );
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (!h) continue;
      for (const e of h.epochs) {
        expect(Number.isSafeInteger(e.epoch) && Number.isSafeInteger(e.step), what).toBe(true);
        expect(typeof e.loss, what).toBe('number');
      }
      for (const s of h.steps) {
        expect(s.length, what).toBe(2);
        expect(Number.isSafeInteger(s[0]) && typeof s[1] === 'number', what).toBe(true);
      }
      for (const v of h.validation) expect(typeof v.psnr, what).toBe('number');
    }
    expect([...outcomes.keys()].sort()).toEqual(['UNREADABLE_FILE', 'ok']);
  });
});
