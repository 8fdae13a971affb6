// WebGPU tests need a Dawn adapter (the optional `webgpu` package + a Vulkan ICD; in CI Mesa >= 25 lavapipe from
// bookworm-backports, installed by .ci/run). Under CI a missing adapter fails the run; on a developer machine
// the tests skip with the reason printed, so a WebGPU check never passes by not running.
import { type BackendSelection, selectBackend } from '../../src/index.js';

/**
 * Activates the webgpu backend (software adapters accepted).
 *
 * @returns the selection, or undefined (reason printed) when unavailable on a developer machine.
 * @throws Error when unavailable and `process.env.CI` is set.
 */
export async function requireWebgpu(): Promise<BackendSelection | undefined> {
  try {
    return await selectBackend('webgpu', { acceptSoftwareGpu: true });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (process.env.CI)
      throw new Error(
        `a WebGPU adapter is required when CI is set but could not be started (install mesa-vulkan-drivers >= 25 and libvulkan1, see .ci/run): ${why}`,
      );
    console.warn(`skipping WebGPU tests: ${why} (CI requires it)`);
    return undefined;
  }
}
