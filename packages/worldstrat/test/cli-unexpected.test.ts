// An error that is none of ours (a bug) reaching the CLI: one clean line and exit 1, the stack only on request,
// and a secret inside it still scrubbed. The dataset-plot pipeline is replaced by one that throws a TypeError.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cli } from './support/run-cli.js';

const SECRET = 'hunter2-S3CRET';
vi.mock('../src/pipelines/plot-dataset.node.js', () => ({
  plotDatasetPipeline: {
    run: async () => {
      throw new TypeError(
        `Cannot read properties of undefined (reading 'bands') at https://me:${SECRET}@example.test/x (${process.env.SH_CLIENT_SECRET})\nsecond line`,
      );
    },
  },
}));

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
const args = [
  'plot',
  'dataset',
  'somewhere',
  '--out',
  'plots',
  '--aoi',
  `https://me:${SECRET}@example.test/x`,
];

const ENV_SECRET = 'sh-Client-S3cret-42';
beforeEach(() => {
  process.env.SH_CLIENT_SECRET = ENV_SECRET;
  process.env.WS_TEST_FEATURE_TOKEN = 'true'; // not a credential: must not mask `true` in JSON
});
afterEach(() => {
  delete process.env.WORLDSTRAT_DEBUG;
  delete process.env.SH_CLIENT_SECRET;
  delete process.env.WS_TEST_FEATURE_TOKEN;
});

describe('unexpected errors', () => {
  it('print one line naming the error, no stack, exit 1', async () => {
    const r = await cli(...args);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toContain('worldstrat plot dataset: unexpected error (TypeError): Cannot read properties');
    expect(r.err).toContain('WORLDSTRAT_DEBUG=1');
    expect(r.err).not.toContain('second line');
    expect(r.err).not.toMatch(STACK_LINE);
    expect(r.err).not.toContain(SECRET);
    expect(r.err).not.toContain(ENV_SECRET);
    expect(r.err).toContain('(***)');
  });

  it('add the stack with --verbose or WORLDSTRAT_DEBUG=1, still scrubbed', async () => {
    const verbose = await cli('--verbose', ...args);
    process.env.WORLDSTRAT_DEBUG = '1';
    const debug = await cli(...args);
    for (const r of [verbose, debug]) {
      expect(r.code).toBe(1);
      expect(r.err).toMatch(STACK_LINE);
      expect(r.err).not.toContain(SECRET);
      expect(r.err).not.toContain(ENV_SECRET);
    }
  });

  it('with --json: code UNEXPECTED, exit 1, nothing on stderr', async () => {
    const r = await cli('--json', ...args);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'UNEXPECTED', name: 'TypeError', exitCode: 1 });
    expect(r.out).not.toContain(SECRET);
    expect(r.out).not.toContain(ENV_SECRET);
    expect(r.err).toBe('');
  });
});
