// Child process of the kill -9 test: downloads the jobs in argv[2] (JSON) with the manifest argv[3].
import { downloadAll } from '../../src/download/download-engine.node.js';

const jobs = JSON.parse(process.argv[2]);
const manifestPath = process.argv[3];
const report = await downloadAll(jobs, {
  concurrency: 4,
  perHost: 4,
  manifestPath,
  baseDelayMs: 5,
  bufferBytes: 0,
});
process.stdout.write(JSON.stringify({ downloaded: report.downloaded, failed: report.failed.length }));
