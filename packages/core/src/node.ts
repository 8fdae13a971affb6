// Node-only helpers of @worldstrat/core.

export { createFolder, folderFailureMessage } from './node/create-folder.node.js';
export { isMissingPathError } from './node/missing-path.node.js';
export { type ReadFileBoundedOptions, readFileBounded } from './node/read-file-bounded.node.js';
export { type WriteCsvOptions, writeCsv, writeFileAtomic } from './node/write-file-atomic.node.js';
