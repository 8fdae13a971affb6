// Run the worldstrat CLI in-process with captured output (exit code, stdout, stderr), as the tests need it.
import { runCli } from '../../src/node.js';

/** Run `worldstrat <args…>` in-process; stdout/stderr are captured, not a TTY. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'worldstrat', ...args], {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    isTTY: false,
  });
  return { code, out, err };
}
