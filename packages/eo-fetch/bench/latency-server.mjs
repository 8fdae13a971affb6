// Mock file server for the download benchmark, run in its own process so its CPU does not count against the
// engine: every request answers 4 KiB after LATENCY_MS. Prints the port on stdout.
import { createServer } from 'node:http';

const latency = Number(process.argv[2] ?? 50);
const body = Buffer.alloc(4096, 7);
const server = createServer((_req, res) => {
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  }, latency);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
