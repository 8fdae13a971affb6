// Benchmark: unpacking a release-style .tar.gz with extractTarGz (tar-stream + node:zlib, temp + rename per
// file, size-checked resume) vs GNU `tar -xzf`, plus the cost of a resumed run (every member already there)
// and the MD5 throughput used by download-release. BENCH_ARCHIVE_MB (default 64) keeps it short.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRng } from '@worldstrat/geo-sampling';
import { pack } from 'tar-stream';
import { it } from 'vitest';
import { extractTarGz } from '../src/archive/extract-tar-gz.node.js';
import { md5File } from '../src/release/download-release.node.js';

const MB = Number(process.env.BENCH_ARCHIVE_MB ?? 64);

async function buildArchive(path: string): Promise<number> {
  // float32-like content: 60 % noise bytes, the rest runs (compresses ≈2× like the release TIFFs)
  const rng = createRng(1);
  const fileBytes = 256 * 1024;
  const files = Math.max(1, Math.round((MB * 1024 * 1024) / fileBytes));
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => p.on('end', r));
  for (let i = 0; i < files; i++) {
    const data = Buffer.alloc(fileBytes);
    for (let j = 0; j < fileBytes; j++) data[j] = j % 5 < 3 ? (rng.next() * 256) | 0 : 0;
    await new Promise<void>((res, rej) =>
      p.entry(
        { name: `lr_dataset/AOI-${i >> 4}/L2A/AOI-${i >> 4}-${(i % 16) + 1}-L2A_data.tiff`, size: fileBytes },
        data,
        (e) => (e ? rej(e) : res()),
      ),
    );
  }
  p.finalize();
  await ended;
  await writeFile(path, gzipSync(Buffer.concat(chunks), { level: 6 }));
  return files;
}

it('extractTarGz vs tar -xzf', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ws-bench-tar-'));
  try {
    const archive = join(dir, 'lr.tar.gz');
    const files = await buildArchive(archive);
    let t = performance.now();
    execFileSync('tar', ['-xzf', archive, '-C', dir]);
    const gnu = performance.now() - t;
    await rm(join(dir, 'lr_dataset'), { recursive: true });
    t = performance.now();
    const first = await extractTarGz(archive, dir, { topDir: 'lr_dataset' });
    const ours = performance.now() - t;
    t = performance.now();
    const resumed = await extractTarGz(archive, dir, { topDir: 'lr_dataset' });
    const resume = performance.now() - t;
    t = performance.now();
    await md5File(archive);
    const md5 = performance.now() - t;
    if (first.extracted !== files || resumed.skipped !== files)
      throw new Error('unexpected extraction counts');
    console.log(
      `archive ${MB} MB uncompressed, ${files} files: tar -xzf ${gnu.toFixed(0)} ms, extractTarGz ${ours.toFixed(0)} ms ` +
        `(ratio ${(ours / gnu).toFixed(2)}), resumed run (all skipped) ${resume.toFixed(0)} ms, ` +
        `MD5 of the .tar.gz ${md5.toFixed(0)} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
