import { packageVitestConfig } from '../vitest.shared';

export default packageVitestConfig({ testTimeout: 300_000 });
