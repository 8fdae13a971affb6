// Node-only helpers of @worldstrat/core.
export { type WriteCsvOptions, writeCsv, writeFileAtomic } from './node/write-file-atomic.node.js';
