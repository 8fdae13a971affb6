import { packageVitestConfig } from '../../../vitest.shared';

export default packageVitestConfig({ include: ['bench/**/*.bench.ts'], testTimeout: 600_000 });
