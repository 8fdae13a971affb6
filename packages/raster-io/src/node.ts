// Node-only entry of @worldstrat/raster-io (the only place node:* modules are imported).
export * from './index.js';
export { readSafetensorsFile, writeSafetensorsFile } from './safetensors/safetensors-file.node.js';
