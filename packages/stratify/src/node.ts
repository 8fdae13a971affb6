// Node-only entry of @worldstrat/stratify (the only place node:* modules are imported).
export * from './index.js';
export { openClassRasterFile } from './lookup/open-class-raster-file.node.js';
