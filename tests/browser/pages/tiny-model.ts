// A tiny seeded SRCNN and input, built the same way in the page and in Node (for slow software GPUs).
import { initStateDict, resolveModelConfig } from '@worldstrat/srnet';

export const TINY_CONFIG = resolveModelConfig({
  kind: 'srcnn',
  revisits: 2,
  inChannels: 3,
  outChannels: 3,
  hiddenChannels: 4,
  outputSize: [16, 16],
});
export const tinyStateDict = () => initStateDict(TINY_CONFIG, { seed: 3 });
export const tinyInput = () => ({
  data: Float32Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37)),
  shape: [1, 2, 3, 8, 8] as [number, number, number, number, number],
});
